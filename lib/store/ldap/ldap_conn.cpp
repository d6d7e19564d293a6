// SPDX-License-Identifier: MIT
#include "store/ldap/ldap_conn.hpp"

#include <lber.h>
#include <ldap.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <thread>
#include <utility>

namespace canaille::store::ldap {

namespace {

struct LdapFree {
    void operator()(LDAP* ld) const { ldap_unbind_ext_s(ld, nullptr, nullptr); }
};
struct MsgFree {
    void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};
struct BerFree {
    void operator()(BerElement* b) const { ber_free(b, 0); }
};
struct BerFreeBuf {
    void operator()(BerElement* b) const { ber_free(b, 1); }
};
struct MemFree {
    void operator()(char* p) const { ldap_memfree(p); }
};
struct ValuesFree {
    void operator()(berval** v) const { ldap_value_free_len(v); }
};
struct ControlFree {
    void operator()(LDAPControl* c) const { ldap_control_free(c); }
};
struct ControlsFree {
    void operator()(LDAPControl** c) const { ldap_controls_free(c); }
};
struct BvarrayFree {
    void operator()(berval* v) const { ber_bvarray_free(v); }
};
struct DnFree {
    void operator()(LDAPDN dn) const { ldap_dnfree(dn); }
};

using LdapPtr = std::unique_ptr<LDAP, LdapFree>;
using MsgPtr = std::unique_ptr<LDAPMessage, MsgFree>;
/// A BerElement reading a message's buffer (ldap_first_attribute): the buffer is not ours.
using BerPtr = std::unique_ptr<BerElement, BerFree>;
/// A BerElement owning its buffer (ber_alloc_t, and ber_init, which copies the value).
using OwnedBerPtr = std::unique_ptr<BerElement, BerFreeBuf>;
using MemPtr = std::unique_ptr<char, MemFree>;
using ValuesPtr = std::unique_ptr<berval*, ValuesFree>;
using ControlPtr = std::unique_ptr<LDAPControl, ControlFree>;
using ControlsPtr = std::unique_ptr<LDAPControl*, ControlsFree>;
using BvarrayPtr = std::unique_ptr<berval, BvarrayFree>;

/// Result codes after which the connection is dead and one reconnect is worth trying.
bool lost_server(int rc) {
    return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_UNAVAILABLE;
}

std::optional<Rc> to_rc(int rc) {
    switch (rc) {
        case LDAP_SUCCESS:
            return Rc::success;
        case LDAP_NO_SUCH_OBJECT:
            return Rc::no_such_object;
        case LDAP_ALREADY_EXISTS:
            return Rc::already_exists;
        case LDAP_ASSERTION_FAILED:
            return Rc::assertion_failed;
        case LDAP_CONSTRAINT_VIOLATION:
            return Rc::constraint_violation;
        case LDAP_OBJECT_CLASS_VIOLATION:
            return Rc::object_class_violation;
        case LDAP_NOT_ALLOWED_ON_NONLEAF:
            return Rc::not_allowed_on_non_leaf;
        case LDAP_INVALID_SYNTAX:
            return Rc::invalid_syntax;
        case LDAP_UNDEFINED_TYPE:
            return Rc::undefined_type;
        case LDAP_NO_SUCH_ATTRIBUTE:
            return Rc::no_such_attribute;
        case LDAP_TYPE_OR_VALUE_EXISTS:
            return Rc::type_or_value_exists;
        case LDAP_INVALID_DN_SYNTAX:
            return Rc::invalid_dn_syntax;
        default:
            return std::nullopt;
    }
}

[[noreturn]] void fail(const char* what, std::string_view dn, int rc, const std::string& diag) {
    std::string msg = "LDAP ";
    msg += what;
    if (!dn.empty()) {
        msg += " '";
        msg += dn;
        msg += "'";
    }
    msg += ": ";
    msg += ldap_err2string(rc);
    if (!diag.empty()) msg += " (" + diag + ")";
    throw StoreError(msg);
}

Rc rc_or_throw(const char* what, std::string_view dn, int rc, const std::string& diag) {
    if (auto r = to_rc(rc)) return *r;
    fail(what, dn, rc, diag);
}

std::optional<timeval> to_timeval(std::chrono::milliseconds ms) {
    if (ms.count() < 0) return std::nullopt;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

/// SASL EXTERNAL needs no prompt; libldap still wants a callback.
int no_interaction(LDAP*, unsigned, void*, void*) { return LDAP_SUCCESS; }

/// libldap (2.5, built without LDAP_USE_NON_BLOCKING_TLS) runs the TLS handshake with
/// blocking reads that neither LDAP timeout bounds (it retries on EAGAIN, so SO_RCVTIMEO
/// does not help): a peer that accepts TCP and then stays silent would hang an ldaps://
/// connect or a StartTLS for ever. While a handle is being opened with a timeout, this
/// guard learns its socket from a connect callback and shuts the socket down when the
/// timeout passes first, which makes the handshake fail.
class HandshakeGuard {
  public:
    explicit HandshakeGuard(std::chrono::milliseconds timeout) {
        current_ = this;
        watchdog_ = std::thread([this, timeout] {
            std::unique_lock lock(mutex_);
            if (!cv_.wait_for(lock, timeout, [this] { return done_; }) && fd_ >= 0) {
                shutdown(fd_, SHUT_RDWR);
            }
        });
    }
    ~HandshakeGuard() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        cv_.notify_all();
        watchdog_.join();
        current_ = nullptr;
    }
    HandshakeGuard(const HandshakeGuard&) = delete;
    HandshakeGuard& operator=(const HandshakeGuard&) = delete;

    /// Registered once per handle: tells the guard of the opening thread, if any, the fd.
    static int on_connect(LDAP*, Sockbuf* sb, LDAPURLDesc*, sockaddr*, ldap_conncb*) {
        int fd = -1;
        if (current_ && ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1) {
            std::lock_guard lock(current_->mutex_);
            current_->fd_ = fd;
        }
        return 0;
    }
    static void on_close(LDAP*, Sockbuf*, ldap_conncb*) {}

  private:
    static thread_local HandshakeGuard* current_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool done_ = false;
    int fd_ = -1;
    std::thread watchdog_;
};

thread_local HandshakeGuard* HandshakeGuard::current_ = nullptr;

/// libldap keeps the pointer, so the callback record lives as long as the program.
ldap_conncb kHandshakeCallbacks{HandshakeGuard::on_connect, HandshakeGuard::on_close, nullptr};

/// Opens (and binds unless `bind` is false) a new handle. Returns the libldap code.
int open_handle(const ConnOptions& o, LdapPtr& out, std::string& diag) {
    LDAP* raw = nullptr;
    int rc = ldap_initialize(&raw, o.uri.c_str());
    if (rc != LDAP_SUCCESS) {
        diag = "bad URI";
        return rc;
    }
    LdapPtr ld(raw);
    int version = LDAP_VERSION3;
    ldap_set_option(ld.get(), LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld.get(), LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld.get(), LDAP_OPT_RESTART, LDAP_OPT_ON);
    if (auto tv = to_timeval(o.timeout)) {
        ldap_set_option(ld.get(), LDAP_OPT_NETWORK_TIMEOUT, &*tv);
        ldap_set_option(ld.get(), LDAP_OPT_TIMEOUT, &*tv);
    }
    const bool tls = o.start_tls || o.uri.rfind("ldaps:", 0) == 0;
    if (tls) {
        int demand = LDAP_OPT_X_TLS_DEMAND;
        ldap_set_option(ld.get(), LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
        if (!o.ca_file.empty()) {
            ldap_set_option(ld.get(), LDAP_OPT_X_TLS_CACERTFILE, o.ca_file.c_str());
        }
        if (o.timeout.count() >= 0) {
            ldap_set_option(ld.get(), LDAP_OPT_CONNECT_CB, &kHandshakeCallbacks);
        }
        // The TLS options above only take effect in a fresh context.
        int is_server = 0;
        rc = ldap_set_option(ld.get(), LDAP_OPT_X_TLS_NEWCTX, &is_server);
        if (rc != LDAP_OPT_SUCCESS) {
            diag = "cannot set up TLS";
            return LDAP_CONNECT_ERROR;
        }
    }
    std::optional<HandshakeGuard> guard;
    if (tls && o.timeout.count() >= 0) guard.emplace(o.timeout);
    if (tls && !o.start_tls) {
        // Connect now, under the guard, rather than inside the first operation.
        rc = ldap_connect(ld.get());
        if (rc != LDAP_SUCCESS) {
            diag = "TLS connection failed";
            return rc;
        }
    }
    if (o.start_tls) {
        rc = ldap_start_tls_s(ld.get(), nullptr, nullptr);
        if (rc != LDAP_SUCCESS) {
            diag = "StartTLS failed";
            return rc;
        }
    }
    out = std::move(ld);
    return LDAP_SUCCESS;
}

int bind_handle(LDAP* ld, const ConnOptions& o) {
    if (o.bind_dn.empty() && o.uri.rfind("ldapi:", 0) == 0) {
        return ldap_sasl_interactive_bind_s(ld, nullptr, "EXTERNAL", nullptr, nullptr,
                                            LDAP_SASL_QUIET, no_interaction, nullptr);
    }
    berval cred{};
    cred.bv_val = const_cast<char*>(o.bind_pw.reveal().data());
    cred.bv_len = o.bind_pw.reveal().size();
    return ldap_sasl_bind_s(ld, o.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr,
                            nullptr);
}

std::string diagnostic(LDAP* ld) {
    char* raw = nullptr;
    ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &raw);
    MemPtr msg(raw);
    return msg ? std::string(msg.get()) : std::string();
}

/// LDAPMod arrays pointing into caller-owned strings; lives as long as the operation.
class ModList {
  public:
    void add(int op, const std::string& attr, const std::vector<std::string>& values) {
        Item item;
        item.name = attr;
        for (const auto& v : values) {
            berval bv{};
            bv.bv_len = v.size();
            bv.bv_val = const_cast<char*>(v.data());
            item.bvs.push_back(bv);
        }
        item.op = op;
        items_.push_back(std::move(item));
    }
    LDAPMod** get() {
        mods_.clear();
        ptrs_.clear();
        mods_.resize(items_.size());
        for (std::size_t i = 0; i < items_.size(); ++i) {
            auto& it = items_[i];
            it.ptrs.clear();
            for (auto& bv : it.bvs) it.ptrs.push_back(&bv);
            it.ptrs.push_back(nullptr);
            LDAPMod& m = mods_[i];
            m.mod_op = it.op | LDAP_MOD_BVALUES;
            m.mod_type = it.name.data();
            m.mod_bvalues = it.bvs.empty() ? nullptr : it.ptrs.data();
        }
        for (auto& m : mods_) ptrs_.push_back(&m);
        ptrs_.push_back(nullptr);
        return ptrs_.data();
    }

  private:
    struct Item {
        std::string name;
        int op = 0;
        std::vector<berval> bvs;
        std::vector<berval*> ptrs;
    };
    std::vector<Item> items_;
    std::vector<LDAPMod> mods_;
    std::vector<LDAPMod*> ptrs_;
};

/// Null-terminated char* array over attribute names (nullptr when empty = all attributes).
class AttrList {
  public:
    explicit AttrList(const std::vector<std::string>& attrs) {
        for (const auto& a : attrs) ptrs_.push_back(const_cast<char*>(a.c_str()));
        ptrs_.push_back(nullptr);
    }
    char** get() { return ptrs_.size() > 1 ? ptrs_.data() : nullptr; }

  private:
    std::vector<char*> ptrs_;
};

Entry read_entry(LDAP* ld, LDAPMessage* e) {
    Entry entry;
    MemPtr dn(ldap_get_dn(ld, e));
    if (dn) entry.dn = dn.get();
    BerElement* raw_ber = nullptr;
    char* name = ldap_first_attribute(ld, e, &raw_ber);
    BerPtr ber(raw_ber);
    for (; name != nullptr; name = ldap_next_attribute(ld, e, ber.get())) {
        MemPtr attr(name);
        ValuesPtr vals(ldap_get_values_len(ld, e, attr.get()));
        auto& out = entry.attrs[attr.get()];
        if (vals) {
            for (berval** v = vals.get(); *v != nullptr; ++v) {
                out.emplace_back((*v)->bv_val, (*v)->bv_len);
            }
        }
    }
    return entry;
}

/// Parses the value of a Pre-Read response control (RFC 4527 §3.1: a SearchResultEntry).
std::optional<Entry> parse_pre_read(const LDAPControl* ctrl) {
    if (ctrl == nullptr || ctrl->ldctl_value.bv_val == nullptr) return std::nullopt;
    berval value = ctrl->ldctl_value;
    OwnedBerPtr ber(ber_init(&value));
    if (!ber) return std::nullopt;
    berval dn{};
    if (ber_scanf(ber.get(), "{m{", &dn) == LBER_ERROR) return std::nullopt;
    Entry entry;
    entry.dn.assign(dn.bv_val, dn.bv_len);
    for (int guard = 0; guard < 10000; ++guard) {
        ber_len_t len = 0;
        if (ber_peek_tag(ber.get(), &len) != LBER_SEQUENCE) break;
        berval name{};
        berval* raw_vals = nullptr;
        if (ber_scanf(ber.get(), "{m[W]}", &name, &raw_vals) == LBER_ERROR) break;
        BvarrayPtr vals(raw_vals);
        auto& out = entry.attrs[std::string(name.bv_val, name.bv_len)];
        for (berval* v = vals.get(); v != nullptr && v->bv_val != nullptr; ++v) {
            out.emplace_back(v->bv_val, v->bv_len);
        }
    }
    return entry;
}

/// Waits for the result of `msgid`; fills the server controls and diagnostic message.
int wait_result(LDAP* ld, int msgid, const std::optional<timeval>& timeout, ControlsPtr& ctrls,
                std::string& diag) {
    LDAPMessage* raw = nullptr;
    timeval tv = timeout.value_or(timeval{});
    int got = ldap_result(ld, msgid, LDAP_MSG_ALL, timeout ? &tv : nullptr, &raw);
    MsgPtr res(raw);
    if (got == 0) {
        ldap_abandon_ext(ld, msgid, nullptr, nullptr);
        return LDAP_TIMEOUT;
    }
    if (got < 0) {
        int err = LDAP_SERVER_DOWN;
        ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err);
        return err;
    }
    int err = LDAP_OTHER;
    char* raw_msg = nullptr;
    LDAPControl** raw_ctrls = nullptr;
    int rc = ldap_parse_result(ld, res.get(), &err, nullptr, &raw_msg, nullptr, &raw_ctrls, 0);
    MemPtr msg(raw_msg);
    ctrls.reset(raw_ctrls);
    if (rc != LDAP_SUCCESS) return rc;
    if (msg) diag = msg.get();
    return err;
}

const std::vector<std::string> kNoValues;

}  // namespace

Status status_of(Rc rc) {
    switch (rc) {
        case Rc::success:
            return Status::ok;
        case Rc::no_such_object:
            return Status::not_found;
        case Rc::already_exists:
            return Status::already_exists;
        case Rc::assertion_failed:
            return Status::conflict;
        default:
            return Status::invalid;
    }
}

bool AttrLess::operator()(std::string_view a, std::string_view b) const {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const int ca = std::tolower(static_cast<unsigned char>(a[i]));
        const int cb = std::tolower(static_cast<unsigned char>(b[i]));
        if (ca != cb) return ca < cb;
    }
    return a.size() < b.size();
}

const std::vector<std::string>& Entry::values(std::string_view name) const {
    auto it = attrs.find(name);
    return it == attrs.end() ? kNoValues : it->second;
}

std::optional<std::string> Entry::first(std::string_view name) const {
    const auto& v = values(name);
    if (v.empty()) return std::nullopt;
    return v.front();
}

struct Connection::Handle {
    LdapPtr ld;
};

Connection::Connection(ConnOptions options) : options_(std::move(options)) {}
Connection::~Connection() = default;

bool Connection::connected() const { return handle_ != nullptr; }
void Connection::disconnect() { handle_.reset(); }

template <typename F>
auto Connection::with_handle(const char* what, std::string_view dn, F&& op) {
    // Errors are reported by the callers, which know how to word them.
    (void)what;
    (void)dn;
    for (int attempt = 0;; ++attempt) {
        if (!handle_) {
            LdapPtr ld;
            std::string diag;
            int rc = open_handle(options_, ld, diag);
            if (rc == LDAP_SUCCESS) {
                rc = bind_handle(ld.get(), options_);
                if (rc != LDAP_SUCCESS) diag = diagnostic(ld.get());
            }
            if (rc != LDAP_SUCCESS) {
                if (lost_server(rc) && attempt == 0) continue;
                // The bind DN is named, never the password.
                fail("connect/bind as", options_.bind_dn, rc, diag);
            }
            handle_ = std::make_unique<Handle>();
            handle_->ld = std::move(ld);
        }
        std::string diag;
        int rc = op(handle_->ld.get(), diag);
        if (lost_server(rc)) {
            handle_.reset();
            if (attempt == 0) continue;
        }
        return std::make_pair(rc, diag);
    }
}

namespace {
/// Reads the cookie of the Simple Paged Results response control (RFC 2696 §2) from the
/// final message of a search; an empty cookie = the last page. False when the server
/// sent no page control (it ignored the non-critical request: the page was everything).
bool next_page_cookie(LDAP* ld, LDAPMessage* res, std::string& cookie, int& rc) {
    cookie.clear();
    rc = LDAP_SUCCESS;
    int err = LDAP_SUCCESS;
    LDAPControl** raw_ctrls = nullptr;
    int r = ldap_parse_result(ld, res, &err, nullptr, nullptr, nullptr, &raw_ctrls, 0);
    ControlsPtr ctrls(raw_ctrls);
    if (r != LDAP_SUCCESS) {
        rc = r;
        return false;
    }
    LDAPControl* pr = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls.get(), nullptr);
    if (pr == nullptr) return false;
    ber_int_t estimate = 0;
    berval next{};
    r = ldap_parse_pageresponse_control(ld, pr, &estimate, &next);
    if (r != LDAP_SUCCESS) {
        rc = r;
        return false;
    }
    if (next.bv_val != nullptr) {
        cookie.assign(next.bv_val, next.bv_len);
        ber_memfree(next.bv_val);
    }
    return true;
}
}  // namespace

void Connection::set_page_size(int entries) { page_size_ = entries > 0 ? entries : kPageSize; }

std::vector<Entry> Connection::search(std::string_view base, Scope scope, std::string_view filter,
                                      const std::vector<std::string>& attrs, int size_limit) {
    const std::string base_s(base);
    const std::string filter_s(filter);
    AttrList attr_list(attrs);
    std::vector<Entry> out;
    const int ldap_scope = scope == Scope::base  ? LDAP_SCOPE_BASE
                           : scope == Scope::one ? LDAP_SCOPE_ONELEVEL
                                                 : LDAP_SCOPE_SUBTREE;
    // An unbounded search is read in pages (RFC 2696), so a server-side size limit on the
    // bind identity does not apply to each request; whatever limit still cuts the result
    // (slapd's size.prtotal, by default the hard limit) is an error, never a short list.
    auto [rc, diag] = with_handle("search", base, [&](LDAP* ld, std::string& d) {
        out.clear();
        bool paged = size_limit == 0 && scope != Scope::base;
        std::string cookie;
        for (;;) {
            ControlPtr page_ctrl;
            if (paged) {
                berval ck{};
                ck.bv_val = cookie.data();
                ck.bv_len = cookie.size();
                LDAPControl* raw_ctrl = nullptr;
                // Not critical: a server without paging answers the plain search.
                int r = ldap_create_page_control(ld, page_size_, cookie.empty() ? nullptr : &ck, 0,
                                                 &raw_ctrl);
                page_ctrl.reset(raw_ctrl);
                if (r != LDAP_SUCCESS) return r;
            }
            LDAPControl* sctrls[] = {page_ctrl.get(), nullptr};
            LDAPMessage* raw = nullptr;
            int r =
                ldap_search_ext_s(ld, base_s.c_str(), ldap_scope, filter_s.c_str(), attr_list.get(),
                                  0, paged ? sctrls : nullptr, nullptr, nullptr, size_limit, &raw);
            MsgPtr res(raw);
            if (r == LDAP_ADMINLIMIT_EXCEEDED && paged && cookie.empty()) {
                // slapd refuses the control itself (size.prtotal=disabled, or a size.pr
                // below our page size): a plain search, whose own limit is still checked.
                paged = false;
                continue;
            }
            if (r != LDAP_SUCCESS && r != LDAP_SIZELIMIT_EXCEEDED) {
                d = diagnostic(ld);
                return r;
            }
            for (LDAPMessage* e = ldap_first_entry(ld, res.get()); e != nullptr;
                 e = ldap_next_entry(ld, e)) {
                out.push_back(read_entry(ld, e));
            }
            if (r == LDAP_SIZELIMIT_EXCEEDED) {
                // Only the limit the caller asked for may cut the result short.
                if (size_limit > 0 && out.size() >= static_cast<std::size_t>(size_limit)) {
                    return LDAP_SUCCESS;
                }
                d = "the server's size limit for the bind identity cut the result after " +
                    std::to_string(out.size()) +
                    " entries; lift it (slapd: olcLimits size.prtotal=unlimited, see "
                    "doc/store-ldap.md)";
                return r;
            }
            if (!paged || !next_page_cookie(ld, res.get(), cookie, r)) return r;
            if (cookie.empty()) return LDAP_SUCCESS;
        }
    });
    if (rc == LDAP_NO_SUCH_OBJECT) return {};
    if (rc != LDAP_SUCCESS) fail("search", base, rc, diag + " filter " + filter_s);
    return out;
}

std::optional<Entry> Connection::read(std::string_view dn, const std::vector<std::string>& attrs) {
    auto found = search(dn, Scope::base, "(objectClass=*)", attrs, 1);
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
}

Rc Connection::add(std::string_view dn, const Attrs& attrs, bool relax) {
    const std::string dn_s(dn);
    ModList mods;
    for (const auto& [name, values] : attrs) mods.add(LDAP_MOD_ADD, name, values);
    auto [rc, diag] = with_handle("add", dn, [&](LDAP* ld, std::string& d) {
        LDAPControl relax_ctrl{};
        relax_ctrl.ldctl_oid = const_cast<char*>(LDAP_CONTROL_RELAX);
        relax_ctrl.ldctl_iscritical = 1;
        LDAPControl* sctrls[] = {&relax_ctrl, nullptr};
        int msgid = 0;
        int r =
            ldap_add_ext(ld, dn_s.c_str(), mods.get(), relax ? sctrls : nullptr, nullptr, &msgid);
        if (r != LDAP_SUCCESS) return r;
        ControlsPtr ctrls;
        return wait_result(ld, msgid, to_timeval(options_.timeout), ctrls, d);
    });
    return rc_or_throw("add", dn, rc, diag);
}

namespace {
int mod_op(Mod::Op op) {
    switch (op) {
        case Mod::Op::add:
            return LDAP_MOD_ADD;
        case Mod::Op::remove:
            return LDAP_MOD_DELETE;
        case Mod::Op::replace:
            return LDAP_MOD_REPLACE;
    }
    return LDAP_MOD_REPLACE;
}
}  // namespace

namespace {
/// Encodes the Pre-Read request control value (RFC 4527 §3.1: a SEQUENCE OF attribute names).
int make_pre_read_control(const std::vector<std::string>& attrs, ControlPtr& out) {
    BerElement* raw = ber_alloc_t(LBER_USE_DER);
    if (raw == nullptr) return LDAP_NO_MEMORY;
    OwnedBerPtr ber(raw);
    std::vector<char*> names;
    for (const auto& a : attrs) names.push_back(const_cast<char*>(a.c_str()));
    names.push_back(nullptr);
    if (ber_printf(ber.get(), "{v}", names.data()) == -1) return LDAP_ENCODING_ERROR;
    berval value{};
    if (ber_flatten2(ber.get(), &value, 0) == -1) return LDAP_ENCODING_ERROR;
    LDAPControl* ctrl = nullptr;
    int rc = ldap_control_create(LDAP_CONTROL_PRE_READ, 1, &value, 1, &ctrl);
    out.reset(ctrl);
    return rc;
}

/// The request controls of one modify or delete: Pre-Read (RFC 4527) when `pre_read` is
/// given, Assertion (RFC 4528) when `assertion` is; both critical.
class WriteControls {
  public:
    int build(LDAP* ld, const std::optional<std::string>& assertion,
              const std::vector<std::string>* pre_read) {
        if (pre_read != nullptr) {
            int r = make_pre_read_control(*pre_read, pre_read_);
            if (r != LDAP_SUCCESS) return r;
        }
        if (assertion) {
            LDAPControl* raw = nullptr;
            int r =
                ldap_create_assertion_control(ld, const_cast<char*>(assertion->c_str()), 1, &raw);
            assertion_.reset(raw);
            if (r != LDAP_SUCCESS) return r;
        }
        return LDAP_SUCCESS;
    }
    /// The null-terminated list, or nullptr when there is no control.
    LDAPControl** get() {
        std::size_t n = 0;
        for (LDAPControl* c : {pre_read_.get(), assertion_.get()}) {
            if (c != nullptr) list_[n++] = c;
        }
        list_[n] = nullptr;
        return n == 0 ? nullptr : list_;
    }

  private:
    ControlPtr pre_read_;
    ControlPtr assertion_;
    LDAPControl* list_[3] = {nullptr, nullptr, nullptr};
};

/// Waits for the result of a write; with `before`, parses the Pre-Read response into it.
int await_write(LDAP* ld, int msgid, const std::optional<timeval>& timeout, std::string& diag,
                std::optional<Entry>* before) {
    ControlsPtr ctrls;
    int r = wait_result(ld, msgid, timeout, ctrls, diag);
    if (r == LDAP_SUCCESS && before != nullptr) {
        *before = parse_pre_read(ldap_control_find(LDAP_CONTROL_PRE_READ, ctrls.get(), nullptr));
        if (!*before) return LDAP_DECODING_ERROR;
    }
    return r;
}

std::optional<std::string> as_owned(std::optional<std::string_view> v) {
    if (!v) return std::nullopt;
    return std::string(*v);
}
}  // namespace

template <typename Send>
int Connection::write(const char* what, std::string_view dn,
                      const std::optional<std::string>& assertion,
                      const std::vector<std::string>* pre_read, std::optional<Entry>* before,
                      std::string& diag, Send&& send) {
    auto [rc, d] = with_handle(what, dn, [&](LDAP* ld, std::string& out_diag) {
        if (before != nullptr) before->reset();
        WriteControls ctrls;
        int r = ctrls.build(ld, assertion, pre_read);
        if (r != LDAP_SUCCESS) return r;
        int msgid = 0;
        r = send(ld, ctrls.get(), msgid);
        if (r != LDAP_SUCCESS) return r;
        return await_write(ld, msgid, to_timeval(options_.timeout), out_diag, before);
    });
    diag = std::move(d);
    return rc;
}

int Connection::write_modify(std::string_view dn, const std::vector<Mod>& mods,
                             const std::optional<std::string>& assertion,
                             const std::vector<std::string>* pre_read, std::optional<Entry>* before,
                             std::string& diag) {
    const std::string dn_s(dn);
    ModList list;
    for (const auto& m : mods) list.add(mod_op(m.op), m.attr, m.values);
    return write("modify", dn, assertion, pre_read, before, diag,
                 [&](LDAP* ld, LDAPControl** ctrls, int& msgid) {
                     return ldap_modify_ext(ld, dn_s.c_str(), list.get(), ctrls, nullptr, &msgid);
                 });
}

int Connection::write_delete(std::string_view dn, const std::optional<std::string>& assertion,
                             const std::vector<std::string>* pre_read, std::optional<Entry>* before,
                             std::string& diag) {
    const std::string dn_s(dn);
    return write("delete", dn, assertion, pre_read, before, diag,
                 [&](LDAP* ld, LDAPControl** ctrls, int& msgid) {
                     return ldap_delete_ext(ld, dn_s.c_str(), ctrls, nullptr, &msgid);
                 });
}

Rc Connection::modify(std::string_view dn, const std::vector<Mod>& mods,
                      std::optional<std::string_view> assertion) {
    if (mods.empty()) return Rc::success;
    std::string diag;
    int rc = write_modify(dn, mods, as_owned(assertion), nullptr, nullptr, diag);
    return rc_or_throw("modify", dn, rc, diag);
}

std::optional<Entry> Connection::modify_pre_read(std::string_view dn, const std::vector<Mod>& mods,
                                                 std::string_view assertion,
                                                 const std::vector<std::string>& attrs) {
    std::optional<Entry> before;
    std::string diag;
    int rc = write_modify(dn, mods,
                          assertion.empty() ? std::nullopt : std::optional<std::string>(assertion),
                          &attrs, &before, diag);
    if (rc == LDAP_NO_SUCH_OBJECT || rc == LDAP_ASSERTION_FAILED) return std::nullopt;
    if (rc != LDAP_SUCCESS) fail("modify (pre-read)", dn, rc, diag);
    return before;
}

Rc Connection::remove(std::string_view dn, std::optional<std::string_view> assertion) {
    std::string diag;
    int rc = write_delete(dn, as_owned(assertion), nullptr, nullptr, diag);
    return rc_or_throw("delete", dn, rc, diag);
}

std::optional<Entry> Connection::remove_pre_read(std::string_view dn,
                                                 const std::vector<std::string>& attrs) {
    std::optional<Entry> before;
    std::string diag;
    int rc = write_delete(dn, std::nullopt, &attrs, &before, diag);
    if (rc == LDAP_NO_SUCH_OBJECT) return std::nullopt;
    if (rc != LDAP_SUCCESS) fail("delete (pre-read)", dn, rc, diag);
    return before;
}

Rc Connection::rename(std::string_view dn, std::string_view new_rdn) {
    const std::string dn_s(dn);
    const std::string rdn_s(new_rdn);
    auto [rc, diag] = with_handle("rename", dn, [&](LDAP* ld, std::string& d) {
        int msgid = 0;
        int r = ldap_rename(ld, dn_s.c_str(), rdn_s.c_str(), nullptr, 1, nullptr, nullptr, &msgid);
        if (r != LDAP_SUCCESS) return r;
        ControlsPtr ctrls;
        return wait_result(ld, msgid, to_timeval(options_.timeout), ctrls, d);
    });
    return rc_or_throw("rename", dn, rc, diag);
}

Rc Connection::password_modify(std::string_view dn, const Secret& new_password) {
    const std::string dn_s(dn);
    auto [rc, diag] = with_handle("password modify", dn, [&](LDAP* ld, std::string& d) {
        berval user{};
        user.bv_val = const_cast<char*>(dn_s.data());
        user.bv_len = dn_s.size();
        berval pw{};
        pw.bv_val = const_cast<char*>(new_password.reveal().data());
        pw.bv_len = new_password.reveal().size();
        berval generated{};
        int r = ldap_passwd_s(ld, &user, nullptr, &pw, &generated, nullptr, nullptr);
        if (generated.bv_val != nullptr) ber_memfree(generated.bv_val);
        if (r != LDAP_SUCCESS) d = diagnostic(ld);
        return r;
    });
    return rc_or_throw("password modify", dn, rc, diag);
}

BindOutcome Connection::check_bind(std::string_view dn, std::string_view password) {
    BindOutcome out{BindOutcome::Result::invalid_credentials, std::nullopt, std::nullopt};
    // RFC 4513 §5.1.2: an empty password is an unauthenticated bind, which succeeds.
    if (password.empty() || dn.empty()) return out;
    int rc = LDAP_SUCCESS;
    ControlsPtr ctrls;
    std::string diag;
    LdapPtr ld;
    for (int attempt = 0; attempt < 2; ++attempt) {
        diag.clear();
        ctrls.reset();
        ld.reset();
        rc = open_handle(options_, ld, diag);
        if (rc == LDAP_SUCCESS) {
            LDAPControl* raw = nullptr;
            rc = ldap_create_passwordpolicy_control(ld.get(), &raw);
            ControlPtr pp(raw);
            if (rc == LDAP_SUCCESS) {
                LDAPControl* sctrls[] = {pp.get(), nullptr};
                berval cred{};
                cred.bv_val = const_cast<char*>(password.data());
                cred.bv_len = password.size();
                const std::string dn_s(dn);
                int msgid = 0;
                rc = ldap_sasl_bind(ld.get(), dn_s.c_str(), LDAP_SASL_SIMPLE, &cred, sctrls,
                                    nullptr, &msgid);
                if (rc == LDAP_SUCCESS) {
                    rc = wait_result(ld.get(), msgid, to_timeval(options_.timeout), ctrls, diag);
                }
            }
        }
        if (!lost_server(rc)) break;
    }
    std::optional<LDAPPasswordPolicyError> pp_error;
    if (ld) {
        if (LDAPControl* c =
                ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls.get(), nullptr)) {
            ber_int_t expire = -1;
            ber_int_t grace = -1;
            LDAPPasswordPolicyError err = PP_noError;
            if (ldap_parse_passwordpolicy_control(ld.get(), c, &expire, &grace, &err) ==
                LDAP_SUCCESS) {
                if (expire >= 0) out.expires_in = expire;
                if (grace >= 0) out.grace_remaining = grace;
                if (err != PP_noError) pp_error = err;
            }
        }
    }
    if (rc == LDAP_SUCCESS) {
        out.result = pp_error == PP_changeAfterReset ? BindOutcome::Result::must_change
                                                     : BindOutcome::Result::ok;
        return out;
    }
    if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INVALID_DN_SYNTAX ||
        rc == LDAP_UNWILLING_TO_PERFORM || rc == LDAP_INAPPROPRIATE_AUTH) {
        if (pp_error == PP_accountLocked) {
            out.result = BindOutcome::Result::locked;
        } else if (pp_error == PP_passwordExpired) {
            out.result = BindOutcome::Result::expired;
        }
        return out;
    }
    fail("bind as", dn, rc, diag);
}

std::string escape_filter(std::string_view value) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '*' || c == '(' || c == ')' || c == '\\' || u == 0 || u >= 0x80) {
            out += '\\';
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_dn_value(std::string_view value) {
    std::string out;
    out.reserve(value.size() + 4);
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        const bool special = c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' ||
                             c == '>' || c == ';' || c == '=';
        const bool leading = i == 0 && (c == '#' || c == ' ');
        const bool trailing = i + 1 == value.size() && c == ' ';
        if (c == '\0') {
            out += "\\00";
        } else if (special || leading || trailing) {
            out += '\\';
            out += c;
        } else {
            out += c;
        }
    }
    return out;
}

std::string first_rdn_value(std::string_view dn) {
    if (dn.empty()) return {};
    berval bv{};
    bv.bv_val = const_cast<char*>(dn.data());
    bv.bv_len = dn.size();
    LDAPDN raw = nullptr;
    if (ldap_bv2dn(&bv, &raw, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || raw == nullptr) {
        return {};
    }
    std::unique_ptr<LDAPRDN, DnFree> parsed(raw);
    if (raw[0] == nullptr || raw[0][0] == nullptr) return {};
    const berval& v = raw[0][0]->la_value;
    return std::string(v.bv_val, v.bv_len);
}

std::string to_generalized_time(TimePoint t) {
    const std::time_t secs = static_cast<std::time_t>(to_unix(t));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
}  // namespace

std::optional<TimePoint> from_generalized_time(std::string_view s) {
    // RFC 4517 §3.3.13: YYYYMMDDHH[MM[SS]][(.|,)fraction](Z|(+|-)HH[MM])
    if (s.size() > 64) return std::nullopt;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(s, 0, 4, year) || !digits(s, 4, 2, month) || !digits(s, 6, 2, day) ||
        !digits(s, 8, 2, hour)) {
        return std::nullopt;
    }
    std::size_t pos = 10;
    if (digits(s, pos, 2, minute)) {
        pos += 2;
        if (digits(s, pos, 2, second)) pos += 2;
    }
    std::chrono::nanoseconds fraction{0};
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        const std::size_t start = pos;
        std::int64_t ns = 0;
        int scale = 100'000'000;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            ns += (s[pos] - '0') * static_cast<std::int64_t>(scale);
            scale /= 10;
            ++pos;
        }
        if (pos == start) return std::nullopt;
        // Only a fraction of the last given unit; with seconds given that is sub-second.
        if (pos - start > 0 && (pos - start) <= 9) fraction = std::chrono::nanoseconds(ns);
    }
    int offset_minutes = 0;
    if (pos >= s.size()) return std::nullopt;
    if (s[pos] == 'Z') {
        ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
        const int sign = s[pos] == '-' ? -1 : 1;
        ++pos;
        int oh = 0, om = 0;
        if (!digits(s, pos, 2, oh) || oh > 23) return std::nullopt;
        pos += 2;
        if (digits(s, pos, 2, om)) {
            if (om > 59) return std::nullopt;
            pos += 2;
        }
        offset_minutes = sign * (oh * 60 + om);
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) return std::nullopt;
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1) return std::nullopt;
    const int max_day = kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0);
    if (day > max_day || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    const std::int64_t secs = days_from_civil(year, month, day) * 86400 + hour * 3600 +
                              minute * 60 + second - offset_minutes * 60;
    return from_unix(secs) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(fraction);
}

}  // namespace canaille::store::ldap
