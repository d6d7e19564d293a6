// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "jose/json.hpp"
#include "jose/jws.hpp"
#include "test_keys.hpp"
#include "util/base64.hpp"
#include "util/hash.hpp"

using namespace canaille::jose;
using canaille::base64url_encode;
using canaille::jose::test::ec_key;
using canaille::jose::test::ed_key;
using canaille::jose::test::oct_key;
using canaille::jose::test::rsa_key;

namespace {

struct AlgCase {
    std::string alg;
    const Jwk& (*key)();
};

const std::vector<AlgCase>& alg_cases() {
    static const std::vector<AlgCase> cases = {
        {"RS256", rsa_key},
        {"RS384", rsa_key},
        {"RS512", rsa_key},
        {"PS256", rsa_key},
        {"PS384", rsa_key},
        {"PS512", rsa_key},
        {"ES256", []() -> const Jwk& { return ec_key(256); }},
        {"ES384", []() -> const Jwk& { return ec_key(384); }},
        {"ES512", []() -> const Jwk& { return ec_key(521); }},
        {"EdDSA", ed_key},
        {"HS256", oct_key},
        {"HS384", oct_key},
        {"HS512", oct_key},
    };
    return cases;
}

// RS256 keys carry alg "RS256" when generated; for the PS* cases use the same key without it.
Jwk key_for(const AlgCase& c) {
    Jwk k = c.key();
    if (k.kty() == "RSA") k.set_alg("");
    return k;
}

KeySet set_of(std::vector<Jwk> keys) {
    KeySet set;
    for (auto& k : keys) REQUIRE(set.add(std::move(k), true).has_value());
    return set;
}

std::string b64(std::string_view s) { return base64url_encode(s); }

const std::string kPayload = R"({"iss":"https://auth.example","sub":"user","exp":1700000000})";

}  // namespace

TEST_CASE("every algorithm signs and verifies its own tokens", "[jose][jws]") {
    for (const auto& c : alg_cases()) {
        INFO(c.alg);
        const Jwk key = key_for(c);
        auto token = sign(key, c.alg, kPayload);
        REQUIRE(token.has_value());
        const KeySet keys = set_of({key});
        auto v = verify(*token, keys, {c.alg});
        REQUIRE(v.has_value());
        CHECK(v->payload_json == kPayload);
        CHECK(v->alg == c.alg);
        CHECK(v->kid == key.kid());
        CHECK(v->typ == "JWT");
        auto header = parse_json_object(v->header_json, 4096);
        REQUIRE(header.has_value());
        CHECK(get_string(*header, "alg") == c.alg);
        CHECK(get_string(*header, "kid") == key.kid());

        if (!key.is_symmetric()) {
            // The relying party's view: the published public key alone verifies.
            auto pub = Jwk::from_json(key.to_public_json());
            REQUIRE(pub.has_value());
            CHECK_FALSE(pub->is_private());
            pub->set_alg("");
            CHECK(verify(*token, set_of({*pub}), {c.alg}).has_value());
            CHECK_FALSE(sign(*pub, c.alg, kPayload).has_value());  // cannot sign
        }
    }
}

TEST_CASE("tampered header, payload or signature never verifies", "[jose][jws]") {
    for (const auto& c : alg_cases()) {
        INFO(c.alg);
        const Jwk key = key_for(c);
        const KeySet keys = set_of({key});
        const std::string token = *sign(key, c.alg, kPayload);
        const auto d1 = token.find('.');
        const auto d2 = token.rfind('.');
        const std::string h = token.substr(0, d1);
        const std::string p = token.substr(d1 + 1, d2 - d1 - 1);
        const std::string s = token.substr(d2 + 1);

        const std::string other_payload = b64(R"({"iss":"https://auth.example","sub":"admin"})");
        CHECK_FALSE(verify(h + "." + other_payload + "." + s, keys, {c.alg}).has_value());
        const std::string other_header =
            b64(R"({"alg":")" + c.alg + R"(","kid":")" + key.kid() + R"(","typ":"at+jwt"})");
        CHECK_FALSE(verify(other_header + "." + p + "." + s, keys, {c.alg}).has_value());
        std::string sig = *canaille::base64url_decode(s);
        sig[sig.size() / 2] = static_cast<char>(sig[sig.size() / 2] ^ 0x01);
        CHECK_FALSE(verify(h + "." + p + "." + b64(sig), keys, {c.alg}).has_value());
        CHECK_FALSE(verify(h + "." + p + "." + b64(sig.substr(1)), keys, {c.alg}).has_value());
        CHECK_FALSE(verify(h + "." + p + ".", keys, {c.alg}).has_value());
        CHECK(verify(token, keys, {c.alg}).has_value());
    }
}

TEST_CASE("alg none is refused even when the caller allows it", "[jose][jws]") {
    const KeySet keys = set_of({rsa_key()});
    const std::string p = b64(kPayload);
    for (const std::string& header :
         {std::string(R"({"alg":"none"})"), R"({"alg":"none","kid":")" + rsa_key().kid() + "\"}"}) {
        INFO(header);
        CHECK_FALSE(verify(b64(header) + "." + p + ".", keys, {"none", "RS256"}).has_value());
        CHECK_FALSE(verify(b64(header) + "." + p + "." + b64("x"), keys, {"none"}).has_value());
    }
    CHECK_FALSE(sign(rsa_key(), "none", kPayload).has_value());
}

TEST_CASE("an RSA public key is never used as an HMAC secret", "[jose][jws]") {
    // The classic confusion: HS256 "signed" with the bytes of the server's public key.
    const Jwk& rsa = rsa_key();
    const KeySet keys = set_of({rsa});
    for (const std::string& secret : {rsa.public_pem(), rsa.to_public_json()}) {
        for (const bool with_kid : {true, false}) {
            const std::string header =
                with_kid ? R"({"alg":"HS256","kid":")" + rsa.kid() + "\"}" : R"({"alg":"HS256"})";
            const std::string input = b64(header) + "." + b64(kPayload);
            const std::string token = input + "." + b64(canaille::hmac_sha256(secret, input));
            CHECK_FALSE(verify(token, keys, {"RS256", "HS256"}).has_value());
        }
    }
    // And the RSA key cannot be asked to HMAC.
    CHECK_FALSE(sign(rsa, "HS256", kPayload).has_value());
    CHECK_FALSE(verify_input(rsa, "HS256", "a.b", "sig"));
}

TEST_CASE("key selection by kid", "[jose][jws]") {
    const Jwk a = key_for(alg_cases()[0]);
    Jwk b = Jwk::generate_ec("P-256");
    const KeySet keys = set_of({a, b});

    SECTION("unknown kid") {
        Jwk stranger = Jwk::generate_ec("P-256");
        auto token = sign(stranger, "ES256", kPayload);
        auto v = verify(*token, keys, {"ES256"});
        REQUIRE_FALSE(v.has_value());
        CHECK_THAT(v.error(), Catch::Contains("unknown kid"));
    }
    SECTION("kid of a key of another type") {
        Jwk forged = Jwk::generate_ec("P-256");
        forged.set_kid(a.kid());  // claims to be the RSA key
        CHECK_FALSE(verify(*sign(forged, "ES256", kPayload), keys, {"ES256"}).has_value());
    }
    SECTION("no kid: the single key usable for alg") {
        Jwk anonymous = b;
        anonymous.set_kid("");
        auto token = sign(anonymous, "ES256", kPayload);
        REQUIRE(token.has_value());
        auto v = verify(*token, keys, {"ES256"});
        REQUIRE(v.has_value());
        CHECK(v->kid == b.kid());
    }
    SECTION("no kid and two candidate keys is ambiguous") {
        const KeySet two = set_of({b, Jwk::generate_ec("P-256")});
        Jwk anonymous = b;
        anonymous.set_kid("");
        CHECK_FALSE(verify(*sign(anonymous, "ES256", kPayload), two, {"ES256"}).has_value());
    }
    SECTION("alg outside the allowed list") {
        auto token = sign(b, "ES256", kPayload);
        CHECK_FALSE(verify(*token, keys, {"RS256"}).has_value());
        CHECK_FALSE(verify(*token, keys, {}).has_value());
    }
    SECTION("key alg pins the algorithm (RFC 7517 §4.4)") {
        const Jwk& pinned = rsa_key();  // alg RS256
        REQUIRE(pinned.alg() == "RS256");
        CHECK_FALSE(sign(pinned, "PS256", kPayload).has_value());
        Jwk loose = pinned;
        loose.set_alg("");
        auto ps = sign(loose, "PS256", kPayload);
        REQUIRE(ps.has_value());
        CHECK_FALSE(verify(*ps, set_of({pinned}), {"PS256"}).has_value());
        CHECK(verify(*ps, set_of({loose}), {"PS256"}).has_value());
    }
    SECTION("use enc keys do not sign") {
        Jwk enc = b;
        enc.set_use("enc");
        CHECK_FALSE(sign(enc, "ES256", kPayload).has_value());
    }
}

TEST_CASE("HMAC keys shorter than the hash do not sign (RFC 7518 §3.2)", "[jose][jws]") {
    const Jwk short_key = Jwk::from_secret(std::string(31, 'k'), "short");
    CHECK_FALSE(sign(short_key, "HS256", kPayload).has_value());
    const Jwk k32 = Jwk::from_secret(std::string(32, 'k'), "k32");
    CHECK(sign(k32, "HS256", kPayload).has_value());
    CHECK_FALSE(sign(k32, "HS384", kPayload).has_value());
}

TEST_CASE("header values are JSON-escaped", "[jose][jws]") {
    Jwk key = ed_key();
    key.set_kid("we\"ird\\kid\n");
    auto token = sign(key, "EdDSA", kPayload, "x\"y");
    REQUIRE(token.has_value());
    auto v = verify(*token, set_of({key}), {"EdDSA"});
    REQUIRE(v.has_value());
    CHECK(v->kid == "we\"ird\\kid\n");
    CHECK(v->typ == "x\"y");
    auto untyped = sign(key, "EdDSA", kPayload, "");
    REQUIRE(untyped.has_value());
    CHECK(verify(*untyped, set_of({key}), {"EdDSA"})->typ.empty());
}

TEST_CASE("malformed compact JWS inputs are errors, not crashes", "[jose][jws]") {
    const Jwk key = ed_key();
    const KeySet keys = set_of({key});
    const std::string good = *sign(key, "EdDSA", kPayload);
    const auto d1 = good.find('.');
    const auto d2 = good.rfind('.');
    const std::string h = good.substr(0, d1);
    const std::string p = good.substr(d1 + 1, d2 - d1 - 1);
    const std::string s = good.substr(d2 + 1);
    const std::string kid = key.kid();
    const auto hdr = [&](const std::string& json) { return b64(json) + "." + p + "." + s; };

    const std::vector<std::string> bad = {
        "",
        ".",
        "..",
        "...",
        "abc",
        h,
        h + "." + p,
        good + ".",
        good + "." + s,
        h + "." + p + "." + s + "=",
        h + "=." + p + "." + s,
        h + "." + p + "=." + s,
        " " + good,
        good + " ",
        h + ".!!!." + s,
        h + "." + p + ".***",
        "." + p + "." + s,
        h + "..",
        "e30." + p + "." + s,  // {}
        hdr("null"),
        hdr("[]"),
        hdr("\"alg\""),
        hdr("{"),
        hdr(R"({"alg":"EdDSA"} trailing)"),
        hdr(R"({"alg":5,"kid":")" + kid + "\"}"),
        hdr(R"({"alg":null})"),
        hdr(R"({"alg":"EdDSA","kid":7})"),
        hdr(R"({"alg":"EdDSA","kid":")" + kid + R"(","typ":1})"),
        hdr(R"({"alg":"EdDSA","alg":"EdDSA","kid":")" + kid + "\"}"),
        hdr(R"({"alg":"EdDSA","kid":")" + kid + R"(","crit":["exp"]})"),
        hdr(R"({"alg":"ES256","kid":")" + kid + "\"}"),
        hdr(R"({"alg":"EDDSA","kid":")" + kid + "\"}"),
        hdr("{\"alg\":\"EdDSA\",\"kid\":\"\xff\xfe\"}"),
        hdr(std::string(200000, '[')),
        hdr(std::string(40000, '[')),  // deep nesting inside the size limit
        std::string(70000, 'a') + "." + p + "." + s,
        good.substr(0, good.size() - 1),
    };
    for (const auto& token : bad) {
        INFO(token.substr(0, 120));
        CHECK_FALSE(verify(token, keys, {"EdDSA", "ES256"}).has_value());
    }
    CHECK(verify(good, keys, {"EdDSA"}).has_value());
}

TEST_CASE("ECDSA signatures of the wrong length are refused (RFC 7518 §3.4)", "[jose][jws]") {
    const Jwk& key = ec_key(256);
    const std::string input = b64(R"({"alg":"ES256"})") + "." + b64(kPayload);
    const std::string sig = *sign_input(key, "ES256", input);
    REQUIRE(sig.size() == 64);
    CHECK(verify_input(key, "ES256", input, sig));
    CHECK_FALSE(verify_input(key, "ES256", input, sig.substr(0, 63)));
    CHECK_FALSE(verify_input(key, "ES256", input, sig + '\0'));
    CHECK_FALSE(verify_input(key, "ES256", input, std::string(64, '\0')));
    CHECK(sign_input(ec_key(521), "ES512", input)->size() == 132);
    CHECK(sign_input(ec_key(384), "ES384", input)->size() == 96);
}

TEST_CASE("supported algorithms", "[jose][jws]") {
    const auto& algs = supported_algs();
    CHECK(algs.size() == 13);
    CHECK(std::find(algs.begin(), algs.end(), "none") == algs.end());
    CHECK(std::find(algs.begin(), algs.end(), "EdDSA") != algs.end());
}
