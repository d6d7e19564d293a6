// SPDX-License-Identifier: MIT
// A thin RAII layer over libldap for the LDAP store: one synchronous connection that binds
// lazily, reconnects once after a lost server, and turns LDAP result codes into values the
// store can branch on. ldap.h stays out of this header.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"
#include "util/secret.hpp"

namespace canaille::store::ldap {

/// Attribute description ordering that ignores ASCII case ("memberOf" == "memberof"),
/// as LDAP attribute names do (RFC 4512 §2.5).
struct AttrLess {
    bool operator()(std::string_view a, std::string_view b) const;
    using is_transparent = void;
};

/// Attribute name -> values, as read or to be written.
using Attrs = std::map<std::string, std::vector<std::string>, AttrLess>;

/// One entry of a search result.
struct Entry {
    std::string dn;
    Attrs attrs;

    /// Every value of `name` (empty when absent).
    const std::vector<std::string>& values(std::string_view name) const;
    /// The first value of `name`, if any.
    std::optional<std::string> first(std::string_view name) const;
};

enum class Scope { base, one, sub };

/// One change of a modify operation (RFC 4511 §4.6).
struct Mod {
    enum class Op { add, remove, replace } op;
    std::string attr;
    /// For remove, empty = every value; for replace, empty = delete the attribute.
    std::vector<std::string> values;
};

/// LDAP result codes the store branches on (RFC 4511 §4.1.9); anything else is thrown.
enum class Rc {
    success,
    no_such_object,           ///< 32
    already_exists,           ///< 68
    assertion_failed,         ///< 122 (RFC 4528)
    constraint_violation,     ///< 19 (e.g. a SINGLE-VALUE attribute given twice)
    object_class_violation,   ///< 65 (a MUST attribute missing)
    not_allowed_on_non_leaf,  ///< 66
    invalid_syntax,           ///< 21
    undefined_type,           ///< 17
    no_such_attribute,        ///< 16
    type_or_value_exists,     ///< 20
    invalid_dn_syntax,        ///< 34
};

/// The store's Status for the result of a write: success -> ok, no_such_object -> not_found,
/// already_exists -> already_exists, assertion_failed -> conflict (the entry changed since
/// it was read), anything else -> invalid.
Status status_of(Rc rc);

/// What a password check by bind said (with the ppolicy response control when the
/// server sends one; draft-behera-ldap-password-policy §6.2).
struct BindOutcome {
    enum class Result { ok, invalid_credentials, locked, expired, must_change } result;
    /// Seconds before expiry when the server warns (ppolicy timeBeforeExpiration).
    std::optional<long> expires_in;
    /// Grace logins left after expiry, when the server says so.
    std::optional<int> grace_remaining;
};

/// Connection parameters (from CANAILLE_LDAP; see store::LdapOptions).
struct ConnOptions {
    std::string uri;      ///< ldap://, ldaps:// or ldapi://
    std::string bind_dn;  ///< empty with ldapi:// = SASL EXTERNAL
    Secret bind_pw;
    std::chrono::milliseconds timeout{-1};  ///< network and operation timeout; <0 = none
    bool start_tls = false;                 ///< StartTLS (RFC 4513 §3) on ldap://
    std::string ca_file;                    ///< CA bundle for ldaps/StartTLS; empty = system
};

/// One LDAP connection. Not thread-safe (one per worker, like the SQL stores). Every call
/// connects and binds first when there is no live connection; a call that fails because
/// the server went away (LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR) reconnects once and is
/// retried. Errors other than the Rc values above throw StoreError, whose message names
/// the operation and the DN but never the password.
class Connection {
  public:
    explicit Connection(ConnOptions options);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    /// Entries under `base` matching `filter`; `attrs` empty = all user attributes, and
    /// operational ones when named ("entryUUID", "createTimestamp", "modifyTimestamp",
    /// "memberOf"...). noSuchObject for the base gives an empty result. `size_limit` > 0
    /// asks for at most that many entries (more is not an error); 0 = all of them, read
    /// with the Simple Paged Results control (RFC 2696). A server limit that cuts a result
    /// short of what was asked throws StoreError: a partial list is never returned.
    std::vector<Entry> search(std::string_view base, Scope scope, std::string_view filter,
                              const std::vector<std::string>& attrs = {}, int size_limit = 0);
    /// The entry at `dn`, or nullopt when it does not exist.
    std::optional<Entry> read(std::string_view dn, const std::vector<std::string>& attrs = {});

    /// Add (RFC 4511 §4.7). `relax` sends the Relax Rules control (to set entryUUID and
    /// other NO-USER-MODIFICATION attributes on restore; needs manage rights).
    Rc add(std::string_view dn, const Attrs& attrs, bool relax = false);
    /// Modify; with `assertion`, the Assertion control (RFC 4528): the change happens only
    /// if the entry matches the filter, otherwise assertion_failed and nothing changes.
    Rc modify(std::string_view dn, const std::vector<Mod>& mods,
              std::optional<std::string_view> assertion = std::nullopt);
    /// Modify with the Pre-Read control (RFC 4527 §3.1): returns the entry as it was just
    /// before the change (`attrs` of it), or nullopt when the entry does not exist or the
    /// assertion failed. One atomic step: the single-use consume of codes and refresh
    /// tokens is built on this.
    std::optional<Entry> modify_pre_read(std::string_view dn, const std::vector<Mod>& mods,
                                         std::string_view assertion,
                                         const std::vector<std::string>& attrs = {});
    /// Delete (RFC 4511 §4.8); with `assertion`, only if the entry matches it (RFC 4528).
    Rc remove(std::string_view dn, std::optional<std::string_view> assertion = std::nullopt);
    /// Delete with the Pre-Read control: the entry as it was, or nullopt if it was gone.
    std::optional<Entry> remove_pre_read(std::string_view dn,
                                         const std::vector<std::string>& attrs = {});
    /// ModifyDN (RFC 4511 §4.9) to `new_rdn` under the same parent, old RDN value removed.
    Rc rename(std::string_view dn, std::string_view new_rdn);

    /// Password Modify extended operation (RFC 3062) on `dn`: the server hashes.
    Rc password_modify(std::string_view dn, const Secret& new_password);

    /// Checks a password with a simple bind as `dn` on a separate, short-lived connection,
    /// sending the ppolicy request control. Never throws for a wrong password.
    BindOutcome check_bind(std::string_view dn, std::string_view password);

    /// Entries asked for per page of an unbounded search.
    static constexpr int kPageSize = 200;
    /// Changes the page size (tests: several pages with few entries); <= 0 = kPageSize.
    void set_page_size(int entries);

    /// True when a connection is open (tests).
    bool connected() const;
    /// Drops the connection; the next call reconnects (tests, after a fork).
    void disconnect();

  private:
    struct Handle;
    /// Runs `op` against the live handle; reconnects and retries once on a lost server.
    template <typename F>
    auto with_handle(const char* what, std::string_view dn, F&& op);
    /// One modify or delete with its Assertion / Pre-Read controls: `send` starts it
    /// (libldap's asynchronous call), this waits for the result. Returns the libldap code.
    template <typename Send>
    int write(const char* what, std::string_view dn, const std::optional<std::string>& assertion,
              const std::vector<std::string>* pre_read, std::optional<Entry>* before,
              std::string& diag, Send&& send);
    /// The modify / delete behind the public calls; returns the libldap result code.
    int write_modify(std::string_view dn, const std::vector<Mod>& mods,
                     const std::optional<std::string>& assertion,
                     const std::vector<std::string>* pre_read, std::optional<Entry>* before,
                     std::string& diag);
    int write_delete(std::string_view dn, const std::optional<std::string>& assertion,
                     const std::vector<std::string>* pre_read, std::optional<Entry>* before,
                     std::string& diag);

    ConnOptions options_;
    int page_size_ = kPageSize;
    std::unique_ptr<Handle> handle_;
};

/// RFC 4515 §3: a value for use inside a filter ('*', '(', ')', '\\', NUL and bytes >= 0x80
/// written as \XX).
std::string escape_filter(std::string_view value);
/// RFC 4514 §2.4: an attribute value for use in a DN (',', '+', '"', '\\', '<', '>', ';',
/// a leading '#' or space, a trailing space, NUL).
std::string escape_dn_value(std::string_view value);
/// RFC 4514 §3: the raw value of the first RDN of `dn` ("uid=a\\2Cb,ou=x" -> "a,b").
std::string first_rdn_value(std::string_view dn);
/// RFC 4517 §3.3.13 GeneralizedTime "YYYYMMDDHHMMSSZ" (seconds; UTC) and back; nullopt
/// when the text is not one.
std::string to_generalized_time(TimePoint t);
std::optional<TimePoint> from_generalized_time(std::string_view text);

}  // namespace canaille::store::ldap
