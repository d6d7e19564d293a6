// SPDX-License-Identifier: MIT
#include "util/random.hpp"

#include <openssl/rand.h>

#include <cstdio>
#include <stdexcept>

#include "util/base64.hpp"

namespace canaille {

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n > 0 &&
        RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return out;
}

std::string random_token(std::size_t n) { return base64url_encode(random_bytes(n)); }

std::string random_uuid() {
    auto b = random_bytes(16);
    b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);  // RFC 4122 §4.4: version 4
    b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);  // variant 10
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        const auto c = static_cast<unsigned char>(b[i]);
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
    return out;
}

}  // namespace canaille
