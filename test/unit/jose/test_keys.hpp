// SPDX-License-Identifier: MIT
// Keys generated once per test run: RSA generation takes tens of milliseconds.
#pragma once

#include "jose/jwk.hpp"

namespace canaille::jose::test {

inline const Jwk& rsa_key() {
    static const Jwk k = Jwk::generate_rsa(2048);
    return k;
}
inline const Jwk& ec_key(int bits) {
    static const Jwk k256 = Jwk::generate_ec("P-256");
    static const Jwk k384 = Jwk::generate_ec("P-384");
    static const Jwk k521 = Jwk::generate_ec("P-521");
    return bits == 256 ? k256 : bits == 384 ? k384 : k521;
}
inline const Jwk& ed_key() {
    static const Jwk k = Jwk::generate_okp("Ed25519");
    return k;
}
inline const Jwk& oct_key() {
    static const Jwk k = [] {
        Jwk key = Jwk::generate_oct(512);
        key.set_alg("");  // one secret for HS256, HS384 and HS512
        return key;
    }();
    return k;
}

}  // namespace canaille::jose::test
