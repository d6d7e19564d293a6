// SPDX-License-Identifier: MIT
// jose: the keys and signed tokens of the OpenID Connect provider — JWK (RFC 7517/7518/8037),
// compact JWS (RFC 7515) and key sets with rotation, on OpenSSL 3 EVP handles parsed once.
// It depends on util, OpenSSL and RapidJSON only: no HTTP, no store, no OAuth rules.
#pragma once

#include <openssl/types.h>
#include <rapidjson/document.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace canaille::jose {

/// Largest JWK (or JWS) text accepted by any parser of this module.
inline constexpr std::size_t kMaxJwkBytes = 64 * 1024;
/// RSA keys below this size are refused everywhere (NIST SP 800-131A; RFC 7518 §3.3 says
/// 2048 or larger MUST be used).
inline constexpr int kMinRsaBits = 2048;
/// Upper bound that keeps a hostile key from making every verification slow.
inline constexpr int kMaxRsaBits = 8192;

namespace detail {
struct PkeyDeleter {
    void operator()(EVP_PKEY* p) const;
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
}  // namespace detail

/// One JSON Web Key: an asymmetric key held as a pre-parsed EVP_PKEY (RSA, EC P-256/384/521,
/// OKP Ed25519) or the raw bytes of a symmetric "oct" key. Copies share the EVP_PKEY
/// (reference counted by OpenSSL) and are cheap.
class Jwk {
  public:
    Jwk(const Jwk& other);
    Jwk& operator=(const Jwk& other);
    Jwk(Jwk&&) noexcept = default;
    Jwk& operator=(Jwk&&) noexcept = default;
    ~Jwk();

    /// Parses one JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2) of at most kMaxJwkBytes.
    /// Refuses unknown kty/crv, RSA keys outside [kMinRsaBits, kMaxRsaBits], EC points not
    /// on their curve, and private parts that do not match the public ones.
    static Result<Jwk, std::string> from_json(std::string_view json);
    /// Same as from_json, for a JWK already parsed (a member of a JWKS).
    static Result<Jwk, std::string> from_json_value(const rapidjson::Value& object);
    /// Imports a PEM private key (PKCS#8, or traditional RSA/EC) or a public key (SPKI).
    /// `kid` defaults to the RFC 7638 thumbprint; alg is set to default_alg(). Encrypted
    /// PEM is refused (no passphrase prompt).
    static Result<Jwk, std::string> from_pem(std::string_view pem, std::string kid = "");
    /// An "oct" key from raw secret bytes (e.g. a client secret for client_secret_jwt).
    static Jwk from_secret(std::string_view secret, std::string kid = "");

    /// Fresh keys; kid = thumbprint, alg = default_alg(), use = "sig". Throw
    /// std::invalid_argument for an unsupported size or curve.
    static Jwk generate_rsa(int bits = 2048);
    static Jwk generate_ec(std::string crv = "P-256");
    static Jwk generate_okp(std::string crv = "Ed25519");
    static Jwk generate_oct(int bits = 256);

    /// Public members only (RFC 7517 §4, RFC 7518 §6.x.1) plus kid, alg (when set),
    /// use ("sig" unless set otherwise). For an oct key, no "k": it has no public part.
    std::string to_public_json() const;
    /// Every member, private ones included: handle like a password.
    std::string to_private_json() const;
    /// SubjectPublicKeyInfo PEM; empty for oct keys.
    std::string public_pem() const;
    /// PKCS#8 PEM of the private key; empty for oct and public-only keys.
    std::string private_pem() const;
    /// RFC 7638 §3 thumbprint (SHA-256, base64url), RFC 8037 §2 members for OKP.
    std::string thumbprint() const;

    bool is_private() const;
    bool is_symmetric() const { return kty_ == "oct"; }
    /// RSA→RS256, P-256→ES256, P-384→ES384, P-521→ES512, Ed25519→EdDSA, oct→HS256.
    std::string default_alg() const;
    /// True when this key may produce or check a JWS with `alg`: kty/crv fit the algorithm
    /// (RFC 7518 §3.1), "use" is absent or "sig" (RFC 7517 §4.2) and "alg", when set,
    /// is the same (RFC 7517 §4.4).
    bool usable_for(std::string_view alg) const;
    /// Size of the key in bits (modulus, field or secret).
    int bits() const;

    const std::string& kid() const { return kid_; }
    const std::string& alg() const { return alg_; }
    const std::string& use() const { return use_; }
    const std::string& kty() const { return kty_; }
    const std::string& crv() const { return crv_; }
    void set_kid(std::string kid) { kid_ = std::move(kid); }
    void set_alg(std::string alg) { alg_ = std::move(alg); }
    void set_use(std::string use) { use_ = std::move(use); }

    /// The OpenSSL handle (nullptr for oct keys); owned by this Jwk.
    EVP_PKEY* pkey() const { return pkey_.get(); }
    /// The secret bytes of an oct key (empty otherwise).
    std::string_view secret() const { return secret_; }

  private:
    Jwk() = default;
    std::string members_json(bool with_private) const;

    detail::PkeyPtr pkey_;
    std::string secret_;
    std::string kid_;
    std::string alg_;
    std::string use_;
    std::string kty_;
    std::string crv_;
    bool private_ = false;
};

}  // namespace canaille::jose
