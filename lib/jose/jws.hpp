// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "jose/jwk.hpp"
#include "jose/keyset.hpp"
#include "util/result.hpp"

namespace canaille::jose {

/// Largest compact JWS verify() accepts.
inline constexpr std::size_t kMaxJwsBytes = 64 * 1024;

/// Every algorithm sign() and verify() implement (RFC 7518 §3.1 and RFC 8037 §3.1).
/// "none" is deliberately absent.
const std::vector<std::string>& supported_algs();

/// Signs `payload_json` as a compact JWS (RFC 7515 §7.1) with protected header
/// {"alg", "kid", "typ"} ("kid" omitted when the key has none, "typ" when empty).
/// Fails when the key is public-only or not usable for `alg` (Jwk::usable_for), or when an
/// HMAC key is shorter than the hash (RFC 7518 §3.2).
Result<std::string, std::string> sign(const Jwk& key, std::string_view alg,
                                      std::string_view payload_json, std::string_view typ = "JWT");

/// The JWS Signature of `signing_input` (already "b64(header).b64(payload)"), raw bytes;
/// ECDSA signatures in the R||S form of RFC 7518 §3.4.
Result<std::string, std::string> sign_input(const Jwk& key, std::string_view alg,
                                            std::string_view signing_input);
/// Checks a raw JWS Signature over `signing_input`. HMAC compares in constant time.
bool verify_input(const Jwk& key, std::string_view alg, std::string_view signing_input,
                  std::string_view signature);

/// A compact JWS whose signature checked out. The payload is returned as signed, unparsed.
struct Verified {
    std::string header_json;
    std::string payload_json;
    std::string kid;
    std::string alg;
    std::string typ;
};

/// Verifies a compact JWS against `keys`:
/// - at most kMaxJwsBytes, exactly three parts, strict base64url (no padding, RFC 7515 §2);
/// - the header is a JSON object without duplicate members; "crit" is refused since this
///   implementation understands no extension (RFC 7515 §4.1.11);
/// - "none" is always refused; alg must be in `allowed_algs`;
/// - the key is the one named by "kid", or, without a kid, the single key usable for alg;
///   the key must be usable for alg (no RSA/HMAC confusion: only "oct" keys do HMAC).
Result<Verified, std::string> verify(std::string_view token, const KeySet& keys,
                                     const std::vector<std::string>& allowed_algs);

}  // namespace canaille::jose
