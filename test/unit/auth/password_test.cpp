// SPDX-License-Identifier: MIT
#include "auth/password.hpp"

#include <argon2.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

using canaille::auth::Argon2Params;
using canaille::auth::hash_password;
using canaille::auth::kMaxPasswordBytes;
using canaille::auth::Verify;
using canaille::auth::verify_dummy;
using canaille::auth::verify_password;

namespace {

// Cheap enough to run many times; the default (19 MiB, t=2) is exercised once.
const Argon2Params kLight{1, 256, 1};

struct Vector {
    const char* password;
    const char* hash;
};

// PBKDF2 vectors computed with Python's hashlib.pbkdf2_hmac and encoded in passlib's ab64;
// each was checked with passlib 1.7.4's pbkdf2_sha{512,256,1}.verify.
const Vector kPbkdf2Vectors[] = {
    {"correct horse battery staple",
     "$pbkdf2-sha512$25000$AQJzYWx0c2FsdHNhbHT.//s$.LoOpf1nRzMmSYMyYufeQDEF9VQmNZSue.sU8ZaFTdl65"
     "CeI9uVOMYI6och.1ps8Hj1t.HhbMzzjTQsShh/pzw"},
    {"hunter2",
     "$pbkdf2-sha256$29000$yMnKy8zNzs/Q0dLT1NXW1w$x3giGoa2CetJljMLy223WEPRfF4JJC9G9I3pJESZStw"},
    {"Tr0ub4dor&3", "$pbkdf2$131000$....cGVwcGVy$qVIfWbgxoSHmqTT/2/HQ03b1BI8"},
    {"empty salt",
     "$pbkdf2-sha512$1000$$nw88g8ZPfiWi3DM5Wjwphs0a4mQ6X.tCAScjmz780QmGQS0dV677GGrY6yq5lLUXa4k3ri6"
     "woR81OTn5ws7b2Q"},
    {"p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac",
     "$pbkdf2-sha512$3$.vv8/Q$b6glxs859IgsmQ4KDJ.bzwGNluvsOPRE5x/BJHTN2nbWl/wnlvaRMTyzbuyFGMHt5JG"
     "vtEn6X2N6aMlsd39tRg"},
};

// Produced by passlib 1.7.4 itself (pbkdf2_sha512/sha256/sha1.hash("canaille-legacy")), the
// shape Canaille's SQL backend stores.
const char* const kPasslibGenerated[] = {
    // Parenthesised: one hash split over two lines, not two elements missing a comma.
    ("$pbkdf2-sha512$25000$fo/RWstZC8FYKyXkHCNEaA$kBE3pBQst9a9qyXe0AXpnt8cffUUG5ru/DZbW7zCdSl6ZSEL"
     "SbGZYWeVlAr0b7L/GZ7YU/Q4XdAiloHkBiCdIw"),
    "$pbkdf2-sha256$29000$AmBsLaV0jjHmHKM05nxvrQ$0etVpO0DCdlt4JRKmnIMiaQYZYlEb.zLI9WI6YdY2xE",
    "$pbkdf2$131000$dY5RqrX2nvNeSwlh7N1bqw$FL5cG4.yrB7.WtFXF7g0p9VsMkM",
};

std::string argon2_encoded(argon2_type type, const std::string& password) {
    const std::string salt = "fixed-salt-16byt";
    std::string out(argon2_encodedlen(1, 256, 1, salt.size(), 32, type), '\0');
    const int rc =
        argon2_hash(1, 256, 1, password.data(), password.size(), salt.data(), salt.size(), nullptr,
                    32, out.data(), out.size(), type, ARGON2_VERSION_13);
    REQUIRE(rc == ARGON2_OK);
    out.resize(out.find('\0'));
    return out;
}

}  // namespace

TEST_CASE("argon2id hash round trip", "[auth][password]") {
    const std::string h = hash_password("s3cret pass", kLight);
    CHECK(h.rfind("$argon2id$v=19$m=256,t=1,p=1$", 0) == 0);
    CHECK(verify_password(h, "s3cret pass", kLight) == Verify::ok);
    CHECK(verify_password(h, "s3cret pasS", kLight) == Verify::mismatch);
    CHECK(verify_password(h, "", kLight) == Verify::mismatch);
    // Random salt: the same password never hashes to the same string.
    CHECK(hash_password("s3cret pass", kLight) != h);
}

TEST_CASE("argon2id with the default params", "[auth][password]") {
    const std::string h = hash_password("default cost");
    CHECK(h.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
    CHECK(verify_password(h, "default cost") == Verify::ok);
}

TEST_CASE("empty and binary passwords hash and verify", "[auth][password]") {
    const std::string h = hash_password("", kLight);
    CHECK(verify_password(h, "", kLight) == Verify::ok);
    const std::string bin("a\0b", 3);
    const std::string hb = hash_password(bin, kLight);
    CHECK(verify_password(hb, bin, kLight) == Verify::ok);
    CHECK(verify_password(hb, "a", kLight) == Verify::mismatch);
}

TEST_CASE("weaker argon2 params ask for a rehash", "[auth][password]") {
    const std::string h = hash_password("pw", kLight);
    CHECK(verify_password(h, "pw", Argon2Params{1, 512, 1}) == Verify::ok_needs_rehash);
    CHECK(verify_password(h, "pw", Argon2Params{2, 256, 1}) == Verify::ok_needs_rehash);
    CHECK(verify_password(h, "pw", Argon2Params{1, 256, 2}) == Verify::ok_needs_rehash);
    CHECK(verify_password(h, "nope", Argon2Params{2, 512, 1}) == Verify::mismatch);
    // Stronger than required is fine.
    CHECK(verify_password(h, "pw", Argon2Params{1, 128, 1}) == Verify::ok);
}

TEST_CASE("argon2i and argon2d hashes verify and ask for a rehash", "[auth][password]") {
    const std::string hi = argon2_encoded(Argon2_i, "legacy");
    const std::string hd = argon2_encoded(Argon2_d, "legacy");
    CHECK(hi.rfind("$argon2i$", 0) == 0);
    CHECK(hd.rfind("$argon2d$", 0) == 0);
    CHECK(verify_password(hi, "legacy", kLight) == Verify::ok_needs_rehash);
    CHECK(verify_password(hd, "legacy", kLight) == Verify::ok_needs_rehash);
    CHECK(verify_password(hi, "Legacy", kLight) == Verify::mismatch);
    CHECK(verify_password(hd, "Legacy", kLight) == Verify::mismatch);
}

TEST_CASE("argon2 type in the string is honoured", "[auth][password]") {
    // Same salt and params, different variant: the id hash relabelled as i must not match.
    std::string h = argon2_encoded(Argon2_id, "pw");
    CHECK(verify_password(h, "pw", kLight) == Verify::ok);
    h.replace(0, 9, "$argon2i");
    CHECK(verify_password(h, "pw", kLight) == Verify::mismatch);
    // A string without "v=" is read as version 1.0, which computes a different hash.
    std::string nov = argon2_encoded(Argon2_id, "pw");
    nov.erase(nov.find("v=19$"), 5);
    CHECK(verify_password(nov, "pw", kLight) == Verify::mismatch);
}

TEST_CASE("passlib pbkdf2 vectors", "[auth][password]") {
    for (const Vector& v : kPbkdf2Vectors) {
        INFO(v.hash);
        CHECK(verify_password(v.hash, v.password) == Verify::ok_needs_rehash);
        CHECK(verify_password(v.hash, std::string(v.password) + "x") == Verify::mismatch);
        CHECK(verify_password(v.hash, "") == Verify::mismatch);
        // Flip the last checksum character: still well-formed, must not match.
        std::string tampered = v.hash;
        tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
        CHECK(verify_password(tampered, v.password) == Verify::mismatch);
    }
    for (const char* h : kPasslibGenerated) {
        INFO(h);
        CHECK(verify_password(h, "canaille-legacy") == Verify::ok_needs_rehash);
        CHECK(verify_password(h, "canaille-Legacy") == Verify::mismatch);
    }
}

TEST_CASE("password length is bounded", "[auth][password]") {
    // pbkdf2-sha256, 1 round, salt "longsalt", password 'a' x 4096 and x 4097.
    const char* h4096 = "$pbkdf2-sha256$1$bG9uZ3NhbHQ$.Qf50D0.oxlGZBn/f1ovnKdsz4vHj4qxcxuAKu5QaqE";
    const char* h4097 = "$pbkdf2-sha256$1$bG9uZ3NhbHQ$OsPemd10Ynx4/.CikK7j4yDov9p5lab9sOWnf4GzwtI";
    REQUIRE(kMaxPasswordBytes == 4096);
    CHECK(verify_password(h4096, std::string(4096, 'a')) == Verify::ok_needs_rehash);
    CHECK(verify_password(h4097, std::string(4097, 'a')) == Verify::mismatch);
    CHECK_THROWS_AS(hash_password(std::string(4097, 'a'), kLight), std::invalid_argument);
    CHECK_NOTHROW(hash_password(std::string(4096, 'a'), kLight));
}

TEST_CASE("hash_password rejects params it could not verify", "[auth][password]") {
    CHECK_THROWS_AS(hash_password("pw", Argon2Params{0, 256, 1}), std::invalid_argument);
    CHECK_THROWS_AS(hash_password("pw", Argon2Params{1, 4, 1}), std::invalid_argument);
    CHECK_THROWS_AS(hash_password("pw", Argon2Params{1, 256, 0}), std::invalid_argument);
    CHECK_THROWS_AS(hash_password("pw", Argon2Params{1, 1U << 30, 1}), std::invalid_argument);
}

TEST_CASE("malformed hashes are a mismatch", "[auth][password]") {
    const std::string good = argon2_encoded(Argon2_id, "pw");
    // good = "$argon2id$v=19$m=256,t=1,p=1$<salt>$<hash>"
    const std::size_t last = good.rfind('$');
    const std::size_t before = good.rfind('$', last - 1);
    const std::string salt = good.substr(before + 1, last - before - 1);
    const std::string hash = good.substr(last + 1);
    const std::string tail = "$" + salt + "$" + hash;
    const std::vector<std::string> bad = {
        "",
        "$",
        "$$",
        "$$$$$",
        "pw",
        "plaintext",
        "{SSHA}aGVsbG8=",
        "$argon2id",
        "$argon2id$",
        "$argon2id$v=19$",
        "$argon2id$v=19$m=256,t=1,p=1$",
        "$argon2id$v=19$m=256,t=1,p=1$$",
        "$argon2x$v=19$m=256,t=1,p=1" + tail,
        "$argon2id$v=18$m=256,t=1,p=1" + tail,
        "$argon2id$v=$m=256,t=1,p=1" + tail,
        "$argon2id$v=19$m=256,t=1" + tail,
        "$argon2id$v=19$m=256,t=1,p=1,x=2" + tail,
        "$argon2id$v=19$t=1,m=256,p=1" + tail,
        "$argon2id$v=19$m=256,t=0,p=1" + tail,
        "$argon2id$v=19$m=256,t=1,p=0" + tail,
        "$argon2id$v=19$m=4,t=1,p=1" + tail,
        "$argon2id$v=19$m=4294967295,t=1,p=1" + tail,
        "$argon2id$v=19$m=99999999999999999999,t=1,p=1" + tail,
        "$argon2id$v=19$m=256,t=4294967295,p=1" + tail,
        "$argon2id$v=19$m=256,t=1,p=255" + tail,
        "$argon2id$v=19$m=-256,t=1,p=1" + tail,
        "$argon2id$v=19$m=+256,t=1,p=1" + tail,
        "$argon2id$v=19$m= 256,t=1,p=1" + tail,
        "$argon2id$v=19$m=abc,t=1,p=1" + tail,
        "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$",
        "$argon2id$v=19$m=256,t=1,p=1$$" + hash,
        "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + hash + "$",
        "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + hash + "=",
        "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + hash + "!",
        "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + hash + "A",
        "$argon2id$v=19$m=256,t=1,p=1$c2FsdA$" + hash,  // 4-byte salt
        "$argon2id$v=19$m=256,t=1,p=1$" + salt + "$" + std::string(400, 'A'),
        std::string("$argon2id$v=19$m=256,t=1,p=1$") + salt + '\0' + "$" + hash,
        "$pbkdf2-sha512",
        "$pbkdf2-sha512$",
        "$pbkdf2-sha512$25000",
        "$pbkdf2-sha512$25000$",
        "$pbkdf2-sha512$25000$c2FsdA",
        "$pbkdf2-sha512$25000$c2FsdA$",
        "$pbkdf2-sha512$25000$c2FsdA$AAAA",  // checksum too short
        "$pbkdf2-sha384$25000$c2FsdA$" + std::string(64, 'A'),
        "$pbkdf2-sha512$$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$0$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$10000001$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$4294967296$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$99999999999999999999999$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$abc$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$-1$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$1e3$c2FsdA$" + std::string(86, 'A'),
        "$pbkdf2-sha512$1$c2F+dA$" + std::string(86, 'A'),    // '+' is not ab64
        "$pbkdf2-sha512$1$c2FsdA==$" + std::string(86, 'A'),  // no padding in ab64
        "$pbkdf2-sha512$1$c2FsdA$" + std::string(85, 'A') + "*",
        "$pbkdf2-sha512$1$c2FsdA$" + std::string(87, 'A'),
        "$pbkdf2-sha512$1$c2FsdA$" + std::string(86, 'A') + "$extra",
        "$pbkdf2-sha512$1$" + std::string(2000, 'A') + "$" + std::string(86, 'A'),
        std::string(100000, '$'),
    };
    for (const std::string& h : bad) {
        INFO("hash: " << h.substr(0, 120));
        CHECK(verify_password(h, "pw", kLight) == Verify::mismatch);
    }
}

TEST_CASE("every truncation of a valid hash is a mismatch", "[auth][password]") {
    const std::string a = argon2_encoded(Argon2_id, "pw");
    for (std::size_t n = 0; n < a.size(); ++n) {
        INFO(a.substr(0, n));
        CHECK(verify_password(a.substr(0, n), "pw", kLight) == Verify::mismatch);
    }
    for (const Vector& v : kPbkdf2Vectors) {
        const std::string h = v.hash;
        for (std::size_t n = 0; n < h.size(); ++n) {
            INFO(h.substr(0, n));
            CHECK(verify_password(h.substr(0, n), v.password) == Verify::mismatch);
        }
    }
}

TEST_CASE("verify_dummy runs and never throws", "[auth][password]") {
    CHECK_NOTHROW(verify_dummy("anything", kLight));
    CHECK_NOTHROW(verify_dummy(std::string(10000, 'x'), kLight));
    CHECK_NOTHROW(verify_dummy("anything", Argon2Params{0, 0, 0}));
}
