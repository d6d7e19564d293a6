// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>

namespace canaille {

/// `n` bytes from the OpenSSL CSPRNG (RAND_bytes); throws if the generator fails.
std::string random_bytes(std::size_t n);

/// `n` random bytes encoded base64url without padding: ids, session ids, CSRF tokens.
std::string random_token(std::size_t n = 32);

/// A random RFC 4122 version 4 UUID in its canonical lowercase form.
std::string random_uuid();

}  // namespace canaille
