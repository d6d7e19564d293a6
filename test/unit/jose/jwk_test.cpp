// SPDX-License-Identifier: MIT
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <catch2/catch.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "jose/json.hpp"
#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "test_keys.hpp"

using namespace canaille::jose;

namespace {

std::vector<const Jwk*> all_generated() {
    return {&test::rsa_key(),   &test::ec_key(256), &test::ec_key(384),
            &test::ec_key(521), &test::ed_key(),    &test::oct_key()};
}

// Replaces the string value of `member` in a flat JSON object.
std::string with_member(const std::string& json, const std::string& member,
                        const std::string& value) {
    const std::string key = "\"" + member + "\":\"";
    const auto start = json.find(key);
    REQUIRE(start != std::string::npos);
    const auto vstart = start + key.size();
    const auto vend = json.find('"', vstart);
    return json.substr(0, vstart) + value + json.substr(vend);
}

std::string member_value(const std::string& json, const std::string& member) {
    auto doc = parse_json_object(json, kMaxJwkBytes);
    REQUIRE(doc.has_value());
    return std::string(get_string(*doc, member).value_or(""));
}

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct BioFree {
    void operator()(BIO* b) const { BIO_free(b); }
};

// A PEM written by OpenSSL directly, for keys this module refuses to create.
std::string raw_pem(EVP_PKEY* pkey, const EVP_CIPHER* cipher = nullptr) {
    std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
    static unsigned char pass[] = "passphrase";
    REQUIRE(PEM_write_bio_PrivateKey(bio.get(), pkey, cipher, cipher ? pass : nullptr,
                                     cipher ? 10 : 0, nullptr, nullptr) == 1);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

}  // namespace

TEST_CASE("generated keys of every type", "[jose][jwk]") {
    struct Expect {
        const Jwk* key;
        std::string kty, crv, alg;
        int bits;
    };
    const std::vector<Expect> table = {
        {&test::rsa_key(), "RSA", "", "RS256", 2048},
        {&test::ec_key(256), "EC", "P-256", "ES256", 256},
        {&test::ec_key(384), "EC", "P-384", "ES384", 384},
        {&test::ec_key(521), "EC", "P-521", "ES512", 521},
        {&test::ed_key(), "OKP", "Ed25519", "EdDSA", 256},
        {&test::oct_key(), "oct", "", "HS256", 512},
    };
    for (const auto& e : table) {
        INFO(e.kty << " " << e.crv);
        CHECK(e.key->kty() == e.kty);
        CHECK(e.key->crv() == e.crv);
        CHECK(e.key->default_alg() == e.alg);
        CHECK(e.key->bits() == e.bits);
        CHECK(e.key->is_private());
        CHECK(e.key->kid() == e.key->thumbprint());
        CHECK(e.key->thumbprint().size() == 43);  // base64url of 32 bytes
    }
    CHECK(test::rsa_key().alg() == "RS256");
    CHECK(Jwk::generate_oct(256).alg() == "HS256");
    CHECK(Jwk::generate_oct(512).alg() == "HS512");
    CHECK(Jwk::generate_ec().crv() == "P-256");
    CHECK(Jwk::generate_ec().kid() != Jwk::generate_ec().kid());

    CHECK_THROWS_AS(Jwk::generate_rsa(1024), std::invalid_argument);
    CHECK_THROWS_AS(Jwk::generate_ec("P-192"), std::invalid_argument);
    CHECK_THROWS_AS(Jwk::generate_okp("X25519"), std::invalid_argument);
    CHECK_THROWS_AS(Jwk::generate_oct(128), std::invalid_argument);
}

TEST_CASE("private JWK JSON round trip keeps the key", "[jose][jwk]") {
    for (const Jwk* key : all_generated()) {
        INFO(key->kty() << " " << key->crv());
        const std::string json = key->to_private_json();
        auto back = Jwk::from_json(json);
        REQUIRE(back.has_value());
        CHECK(back->is_private());
        CHECK(back->thumbprint() == key->thumbprint());
        CHECK(back->kid() == key->kid());
        CHECK(back->alg() == key->alg());
        CHECK(back->to_private_json() == json);
        // A token signed by the re-imported key verifies with the original.
        Jwk copy = *back;
        copy.set_alg("");
        const std::string alg = key->default_alg();
        auto token = sign(copy, alg, "{}");
        REQUIRE(token.has_value());
        KeySet set;
        Jwk original = *key;
        original.set_alg("");
        REQUIRE(set.add(original, true).has_value());
        CHECK(verify(*token, set, {alg}).has_value());
    }
}

TEST_CASE("public JWK JSON holds public members only", "[jose][jwk]") {
    for (const Jwk* key : all_generated()) {
        INFO(key->kty() << " " << key->crv());
        const std::string json = key->to_public_json();
        auto doc = parse_json_object(json, kMaxJwkBytes);
        REQUIRE(doc.has_value());
        for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
            CHECK_FALSE(has_member(*doc, secret));
        }
        CHECK(get_string(*doc, "use") == "sig");
        CHECK(get_string(*doc, "kid") == key->kid());
        CHECK(get_string(*doc, "kty") == key->kty());
        if (key->is_symmetric()) continue;
        auto pub = Jwk::from_json(json);
        REQUIRE(pub.has_value());
        CHECK_FALSE(pub->is_private());
        CHECK(pub->thumbprint() == key->thumbprint());
        CHECK(pub->private_pem().empty());
    }
}

TEST_CASE("PEM import and export round trip", "[jose][jwk]") {
    for (const Jwk* key : all_generated()) {
        if (key->is_symmetric()) {
            CHECK(key->public_pem().empty());
            continue;
        }
        INFO(key->kty() << " " << key->crv());
        const std::string priv_pem = key->private_pem();
        CHECK(priv_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
        auto priv = Jwk::from_pem(priv_pem);
        REQUIRE(priv.has_value());
        CHECK(priv->is_private());
        CHECK(priv->kty() == key->kty());
        CHECK(priv->crv() == key->crv());
        CHECK(priv->kid() == key->thumbprint());  // RFC 7638 default kid
        CHECK(priv->alg() == key->default_alg());
        CHECK(priv->to_private_json() == key->to_private_json());

        const std::string pub_pem = key->public_pem();
        CHECK(pub_pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);  // SPKI
        auto pub = Jwk::from_pem(pub_pem, "my-kid");
        REQUIRE(pub.has_value());
        CHECK_FALSE(pub->is_private());
        CHECK(pub->kid() == "my-kid");
        CHECK(pub->thumbprint() == key->thumbprint());
        CHECK(pub->public_pem() == pub_pem);
    }
}

TEST_CASE("PEM inputs that are refused", "[jose][jwk]") {
    std::unique_ptr<EVP_PKEY, PkeyFree> small(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)));
    REQUIRE(small);
    auto weak = Jwk::from_pem(raw_pem(small.get()));
    REQUIRE_FALSE(weak.has_value());
    CHECK_THAT(weak.error(), Catch::Contains("1024"));

    std::unique_ptr<EVP_PKEY, PkeyFree> x25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
    REQUIRE(x25519);
    CHECK_FALSE(Jwk::from_pem(raw_pem(x25519.get())).has_value());

    std::unique_ptr<EVP_PKEY, PkeyFree> p192(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "prime192v1"));
    REQUIRE(p192);
    CHECK_FALSE(Jwk::from_pem(raw_pem(p192.get())).has_value());

    // Encrypted keys: refused without ever prompting for a passphrase.
    const std::string encrypted = raw_pem(test::ec_key(256).pkey(), EVP_aes_256_cbc());
    CHECK_FALSE(Jwk::from_pem(encrypted).has_value());

    for (const std::string& bad : {
             std::string(""),
             std::string("not pem"),
             std::string("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
             std::string("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n"),
             std::string("-----BEGIN PRIVATE KEY-----\n"),
             std::string("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
             "-----BEGIN PRIVATE KEY-----\n" + std::string(70000, 'A') +
                 "\n-----END PRIVATE KEY-----\n",
         }) {
        INFO(bad.substr(0, 60));
        CHECK_FALSE(Jwk::from_pem(bad).has_value());
    }
}

TEST_CASE("JWK values that are refused", "[jose][jwk]") {
    const std::string ec = test::ec_key(256).to_private_json();
    const std::string ed = test::ed_key().to_private_json();
    const std::string rsa = test::rsa_key().to_private_json();

    SECTION("EC point not on the curve") {
        std::string y = member_value(ec, "y");
        y[10] = y[10] == 'A' ? 'B' : 'A';
        std::string pub = test::ec_key(256).to_public_json();
        CHECK_FALSE(Jwk::from_json(with_member(pub, "y", y)).has_value());
        CHECK_FALSE(Jwk::from_json(with_member(ec, "y", y)).has_value());
    }
    SECTION("private part of another key") {
        const Jwk other_ec = Jwk::generate_ec("P-256");
        const std::string d = member_value(other_ec.to_private_json(), "d");
        auto r = Jwk::from_json(with_member(ec, "d", d));
        REQUIRE_FALSE(r.has_value());
        CHECK_THAT(r.error(), Catch::Contains("does not match"));

        const Jwk other_ed = Jwk::generate_okp();
        const std::string edd = member_value(other_ed.to_private_json(), "d");
        CHECK_FALSE(Jwk::from_json(with_member(ed, "d", edd)).has_value());

        // RSA: a d that is not the inverse of e.
        std::string rd = member_value(rsa, "d");
        rd[20] = rd[20] == 'A' ? 'B' : 'A';
        std::string no_crt = R"({"kty":"RSA","n":")" + member_value(rsa, "n") + R"(","e":")" +
                             member_value(rsa, "e") + R"(","d":")" + rd + "\"}";
        CHECK_FALSE(Jwk::from_json(no_crt).has_value());
        CHECK_FALSE(Jwk::from_json(with_member(rsa, "d", rd)).has_value());
        std::string dp = member_value(rsa, "dp");
        dp[5] = dp[5] == 'A' ? 'B' : 'A';
        CHECK_FALSE(Jwk::from_json(with_member(rsa, "dp", dp)).has_value());
    }
    SECTION("RSA with n, e and d only is accepted") {
        const std::string nd = R"({"kty":"RSA","n":")" + member_value(rsa, "n") + R"(","e":")" +
                               member_value(rsa, "e") + R"(","d":")" + member_value(rsa, "d") +
                               "\"}";
        auto key = Jwk::from_json(nd);
        REQUIRE(key.has_value());
        CHECK(key->is_private());
        CHECK(sign(*key, "RS256", "{}").has_value());
    }
    SECTION("RSA below 2048 bits") {
        std::unique_ptr<EVP_PKEY, PkeyFree> small(
            EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(1024)));
        auto as_pem = Jwk::from_pem(raw_pem(small.get()));
        REQUIRE_FALSE(as_pem.has_value());
        // Cut the 2048-bit modulus to 1024 bits: refused before any other check.
        const std::string n = member_value(rsa, "n").substr(0, 171);
        CHECK_FALSE(Jwk::from_json(R"({"kty":"RSA","e":"AQAB","n":")" + n + "\"}").has_value());
    }
}

TEST_CASE("malformed JWK inputs are errors, not crashes", "[jose][jwk]") {
    const std::string n = member_value(test::rsa_key().to_public_json(), "n");
    const std::string x = member_value(test::ec_key(256).to_public_json(), "x");
    const std::string y = member_value(test::ec_key(256).to_public_json(), "y");
    const std::vector<std::string> bad = {
        "",
        " ",
        "null",
        "[]",
        "\"kty\"",
        "{}",
        "{",
        R"({"kty":1})",
        R"({"kty":"RSA"})",
        R"({"kty":"RSA","n":")" + n + "\"}",
        R"({"kty":"RSA","e":"AQAB"})",
        R"({"kty":"RSA","n":")" + n + R"(","e":65537})",
        R"({"kty":"RSA","n":"!!!","e":"AQAB"})",
        R"({"kty":"RSA","n":"","e":"AQAB"})",
        R"({"kty":"RSA","n":")" + n + R"(","e":"AQABAQABAQAB"})",
        R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB","p":"AQAB"})",
        R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB","oth":[]})",
        R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB","kid":5})",
        R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB","use":"other"})",
        R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB","kty":"RSA"})",
        R"({"kty":"RSA","n":")" + n + R"(","e":"AQAB"} x)",
        R"({"kty":"RSA","n":")" + n + n + n + n + n + R"(","e":"AQAB"})",
        R"({"kty":"EC","x":")" + x + R"(","y":")" + y + "\"}",
        R"({"kty":"EC","crv":"P-192","x":")" + x + R"(","y":")" + y + "\"}",
        R"({"kty":"EC","crv":"P-384","x":")" + x + R"(","y":")" + y + "\"}",
        R"({"kty":"EC","crv":"P-256","x":")" + x + "\"}",
        R"({"kty":"EC","crv":"P-256","x":")" + x.substr(2) + R"(","y":")" + y + "\"}",
        R"({"kty":"EC","crv":"P-256","x":")" + x + R"(","y":")" + y + R"(","d":")" + x + x + "\"}",
        R"({"kty":"EC","crv":"secp256k1","x":")" + x + R"(","y":")" + y + "\"}",
        R"({"kty":"OKP","crv":"Ed448","x":")" + x + "\"}",
        R"({"kty":"OKP","crv":"X25519","x":")" + x + "\"}",
        R"({"kty":"OKP","crv":"Ed25519"})",
        R"({"kty":"OKP","crv":"Ed25519","x":"AAAA"})",
        R"({"kty":"oct"})",
        R"({"kty":"oct","k":""})",
        R"({"kty":"oct","k":7})",
        R"({"kty":"foo","k":"AAAA"})",
        R"({"kty":"rsa","n":")" + n + R"(","e":"AQAB"})",
        "{\"kty\":\"oct\",\"k\":\"AAAA\",\"kid\":\"\xc3\x28\"}",
        "{\"a\":" + std::string(30000, '[') + std::string(30000, ']') + "}",
        R"({"kty":"oct","k":"AAAA","x":")" + std::string(70000, 'a') + "\"}",
    };
    for (const auto& json : bad) {
        INFO(json.substr(0, 100));
        CHECK_FALSE(Jwk::from_json(json).has_value());
    }
}

TEST_CASE("usable_for matches kty, crv, use and alg", "[jose][jwk]") {
    struct Row {
        const Jwk* key;
        std::string alg;
        bool ok;
    };
    Jwk rsa = test::rsa_key();
    rsa.set_alg("");
    const std::vector<Row> rows = {
        {&rsa, "RS256", true},
        {&rsa, "PS512", true},
        {&rsa, "ES256", false},
        {&rsa, "HS256", false},
        {&rsa, "none", false},
        {&test::ec_key(256), "ES256", true},
        {&test::ec_key(256), "ES384", false},
        {&test::ec_key(384), "ES384", true},
        {&test::ec_key(521), "ES512", true},
        {&test::ed_key(), "EdDSA", true},
        {&test::ed_key(), "ES256", false},
        {&test::oct_key(), "HS512", true},
        {&test::oct_key(), "RS256", false},
        {&test::rsa_key(), "PS256", false},
    };
    for (const auto& r : rows) {
        INFO(r.key->kty() << " " << r.alg);
        CHECK(r.key->usable_for(r.alg) == r.ok);
    }
}

TEST_CASE("copies share the key and outlive the original", "[jose][jwk]") {
    std::optional<Jwk> copy;
    {
        const Jwk original = Jwk::generate_okp();
        copy = original;
        Jwk assigned = test::ec_key(256);
        assigned = original;
        CHECK(assigned.thumbprint() == original.thumbprint());
    }
    CHECK(sign(*copy, "EdDSA", "{}").has_value());
    const Jwk secret_copy = test::oct_key();
    CHECK(secret_copy.secret() == test::oct_key().secret());
}

TEST_CASE("JSON helpers", "[jose][json]") {
    auto doc = parse_json_object(
        R"({"i":1700000000,"f":1700000000.75,"neg":-5,"big":18446744073709551615,"s":"x","h":1e300})",
        1024);
    REQUIRE(doc.has_value());
    CHECK(get_numeric_date(*doc, "i") == 1700000000);
    CHECK(get_numeric_date(*doc, "f") == 1700000000);
    CHECK(get_numeric_date(*doc, "neg") == -5);
    CHECK_FALSE(get_numeric_date(*doc, "big").has_value());
    CHECK_FALSE(get_numeric_date(*doc, "h").has_value());
    CHECK_FALSE(get_numeric_date(*doc, "s").has_value());
    CHECK_FALSE(get_numeric_date(*doc, "missing").has_value());
    CHECK(get_string(*doc, "s") == "x");
    CHECK_FALSE(get_string(*doc, "i").has_value());
    CHECK_FALSE(parse_json_object(R"({"a":1})", 6).has_value());
    CHECK_FALSE(parse_json_object(R"({"a":1,"a":2})", 100).has_value());
    CHECK_FALSE(parse_json_object("[1]", 100).has_value());
    std::string out;
    append_json_string(out, "a\"b\\c\x01\n");
    CHECK(out == "\"a\\\"b\\\\c\\u0001\\n\"");
}
