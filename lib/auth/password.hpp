// SPDX-License-Identifier: MIT
// auth: password hashing and verification, session tokens and CSRF. Uses model and util;
// never a store or an HTTP type.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace canaille::auth {

/// Longest password accepted, in bytes: longer input never matches and is never hashed,
/// so a huge form field cannot become a denial of service.
inline constexpr std::size_t kMaxPasswordBytes = 4096;

/// Argon2id cost (RFC 9106 §4 second recommendation scaled down; OWASP 2023 minimum).
struct Argon2Params {
    unsigned time_cost = 2;
    unsigned memory_kib = 19456;
    unsigned parallelism = 1;
};

/// A PHC-format "$argon2id$v=19$m=...,t=...,p=...$salt$hash" string with a 16-byte random
/// salt and a 32-byte hash. Throws std::invalid_argument when the password is longer than
/// kMaxPasswordBytes or the params are outside what verify_password accepts, and
/// std::runtime_error when libargon2 fails (out of memory).
std::string hash_password(std::string_view password, const Argon2Params& params = {});

enum class Verify {
    mismatch,        ///< wrong password, or an unknown / malformed hash
    ok,              ///< matches, hash is current
    ok_needs_rehash  ///< matches, but the hash is legacy (passlib) or weaker than params
};

/// Verifies against Argon2id PHC strings and passlib's "$pbkdf2-sha512$rounds$salt$hash"
/// (also "$pbkdf2-sha256$" and "$pbkdf2$" for sha1). Constant-time comparison.
/// Argon2i/Argon2d strings and every passlib hash verify as ok_needs_rehash. Malformed
/// hashes, out-of-bounds costs (which would let a stored string allocate gigabytes or spin
/// for minutes) and passwords over kMaxPasswordBytes are a mismatch, never an exception.
Verify verify_password(std::string_view stored_hash, std::string_view password,
                       const Argon2Params& params = {});

/// Spends about as long as a real verification, for unknown users (no timing oracle).
void verify_dummy(std::string_view password, const Argon2Params& params = {});

}  // namespace canaille::auth
