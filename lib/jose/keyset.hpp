// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jose/jwk.hpp"
#include "util/result.hpp"

namespace canaille::jose {

/// Largest key source (inline text or file) a KeySet reads.
inline constexpr std::size_t kMaxKeySourceBytes = 1024 * 1024;

/// Parses every key in `text`: a JWKS `{"keys":[...]}`, a single JWK object, a JSON array of
/// JWK objects or PEM strings, or one or more concatenated PEM blocks.
Result<std::vector<Jwk>, std::string> parse_keys(std::string_view text);

/// Like parse_keys, but `source` may also be the path of a file holding such text (the
/// config's CANAILLE_OIDC.ACTIVE_JWKS / INACTIVE_JWKS are either inline or a path).
Result<std::vector<Jwk>, std::string> load_keys(std::string_view source);

/// The server's keys. Active keys sign and verify; inactive keys (being rotated out) only
/// verify. Both are published. Every key has a unique kid (the RFC 7638 thumbprint when the
/// source gave none).
class KeySet {
  public:
    KeySet() = default;

    /// Builds a set from two sources accepted by load_keys (either may be empty).
    static Result<KeySet, std::string> load(std::string_view active_source,
                                            std::string_view inactive_source = "");
    /// Builds a set of verification keys from a client's JWKS text (all active).
    static Result<KeySet, std::string> from_jwks(std::string_view jwks_json);

    /// Adds a key; fails on a duplicate kid.
    Result<void, std::string> add(Jwk key, bool active);

    /// The first active private key usable for `alg`, or nullptr.
    const Jwk* signing_key(std::string_view alg) const;
    /// The key with this kid, active or inactive, or nullptr.
    const Jwk* find(std::string_view kid) const;
    /// True if the key with this kid is active.
    bool is_active(std::string_view kid) const;
    /// Every asymmetric key, active then inactive, public members only: `{"keys":[...]}`.
    /// Symmetric keys are never published.
    std::string public_jwks_json() const;
    /// The algorithms active asymmetric private keys can sign with (each key's alg, or its
    /// default), de-duplicated, in key order: what discovery advertises.
    std::vector<std::string> signing_algs() const;

    const std::vector<Jwk>& active() const { return active_; }
    const std::vector<Jwk>& inactive() const { return inactive_; }
    bool empty() const { return active_.empty() && inactive_.empty(); }
    std::size_t size() const { return active_.size() + inactive_.size(); }

  private:
    std::vector<Jwk> active_;
    std::vector<Jwk> inactive_;
};

}  // namespace canaille::jose
