// SPDX-License-Identifier: MIT
// Single-core signing and verification rates of jose::sign()/verify() on a typical ID token,
// to compare with `openssl speed rsa2048 ecdsap256 ed25519` (doc/jose.md). Not a test.
// Like `openssl speed` (without -elapsed), rates are per second of this process's CPU time,
// so a busy machine does not skew the comparison.
// Usage: jose_bench [CPU-seconds-per-algorithm, default 2]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/keyset.hpp"

using canaille::jose::Jwk;
using canaille::jose::KeySet;
namespace {

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <class F>
double rate(double seconds, F&& op) {
    long n = 0;
    const double start = cpu_seconds();
    double now = start;
    while (now - start < seconds) {
        for (int i = 0; i < 16; ++i) op();
        n += 16;
        now = cpu_seconds();
    }
    return static_cast<double>(n) / (now - start);
}

}  // namespace

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
    const std::string payload =
        R"({"iss":"https://auth.example.org","sub":"jdoe","aud":"client-1234",)"
        R"("exp":1700003600,"iat":1700000000,"auth_time":1700000000,"nonce":"n-0S6_WzA2Mj",)"
        R"("at_hash":"77QmUPtjPfzWtF2AnpK9RQ","amr":["pwd"],"name":"John Doe",)"
        R"("email":"jdoe@example.org","email_verified":true})";
    struct Row {
        const char* alg;
        Jwk key;
    };
    std::vector<Row> rows;
    rows.push_back({"RS256", Jwk::generate_rsa(2048)});
    Jwk ps = rows.back().key;
    ps.set_alg("");
    ps.set_kid("ps");
    rows.push_back({"PS256", ps});
    rows.push_back({"ES256", Jwk::generate_ec("P-256")});
    rows.push_back({"EdDSA", Jwk::generate_okp("Ed25519")});
    rows.push_back({"HS256", Jwk::generate_oct(256)});

    std::printf("%-6s %14s %14s\n", "alg", "sign/s", "verify/s");
    for (const auto& row : rows) {
        KeySet keys;
        if (!keys.add(row.key, true).has_value()) return 1;
        const std::vector<std::string> allowed{row.alg};
        const std::string token = canaille::jose::sign(row.key, row.alg, payload).value();
        bool ok = true;
        const double s = rate(seconds, [&] {
            ok = ok && canaille::jose::sign(row.key, row.alg, payload).has_value();
        });
        const double v = rate(
            seconds, [&] { ok = ok && canaille::jose::verify(token, keys, allowed).has_value(); });
        if (!ok) {
            std::fprintf(stderr, "%s failed\n", row.alg);
            return 1;
        }
        std::printf("%-6s %14.0f %14.0f\n", row.alg, s, v);
    }
    return 0;
}
