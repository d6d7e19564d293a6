// SPDX-License-Identifier: MIT
// Published test vectors. Each value below was also cross-checked with python3-cryptography
// and hashlib while writing these tests (not needed at run time).
#include <catch2/catch.hpp>

#include <string>

#include "jose/jwk.hpp"
#include "jose/jws.hpp"
#include "jose/keyset.hpp"
#include "util/base64.hpp"

using namespace canaille::jose;

namespace {

// RFC 7515 Appendix A.1-A.3: the JWT Claims Set shared by the examples (CRLF line breaks).
const std::string kExamplePayload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

// RFC 7515 Appendix A.1.1.
const std::string kA1Key =
    R"({"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"})";
const std::string kA1Token =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

// RFC 7515 Appendix A.2.1.
const std::string kA2N =
    "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4"
    "QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdb"
    "BYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-D"
    "WNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const std::string kA2Public = R"({"kty":"RSA","e":"AQAB","n":")" + kA2N + "\"}";
const std::string kA2Private =
    R"({"kty":"RSA","e":"AQAB","n":")" + kA2N +
    R"(","d":"Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ")"
    R"(,"p":"4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc")"
    R"(,"q":"uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc")"
    R"(,"dp":"BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3QCLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0")"
    R"(,"dq":"h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-kyNlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU")"
    R"(,"qi":"IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U"})";
const std::string kA2SigningInput =
    "eyJhbGciOiJSUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
const std::string kA2Signature =
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_"
    "O8W2Fp5jujG"
    "bds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
    "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
    "0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
    "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6"
    "LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 7515 Appendix A.3.1.
const std::string kA3Public =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";
const std::string kA3Private =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})";
const std::string kA3Token =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

// RFC 8037 Appendix A.1-A.4.
const std::string kEdPrivate =
    R"({"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"})";
const std::string kEdSigningInput = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
const std::string kEdSignature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

KeySet one_key(const std::string& jwk_json) {
    KeySet set;
    auto key = Jwk::from_json(jwk_json);
    REQUIRE(key.has_value());
    REQUIRE(set.add(std::move(*key), true).has_value());
    return set;
}

}  // namespace

TEST_CASE("RFC 7515 A.1: the HS256 example verifies with its key", "[jose][rfc]") {
    const KeySet keys = one_key(kA1Key);
    auto v = verify(kA1Token, keys, {"HS256"});
    REQUIRE(v.has_value());
    CHECK(v->alg == "HS256");
    CHECK(v->typ == "JWT");
    CHECK(v->payload_json == kExamplePayload);
    CHECK(v->header_json == "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}");

    // The same key re-signs the same input to the same MAC (HMAC is deterministic).
    auto key = Jwk::from_json(kA1Key);
    REQUIRE(key.has_value());
    const auto last_dot = kA1Token.rfind('.');
    auto mac = sign_input(*key, "HS256", kA1Token.substr(0, last_dot));
    REQUIRE(mac.has_value());
    CHECK(canaille::base64url_encode(*mac) == kA1Token.substr(last_dot + 1));
}

TEST_CASE("RFC 7515 A.2: the RS256 example verifies and re-signs identically", "[jose][rfc]") {
    const KeySet keys = one_key(kA2Public);
    auto v = verify(kA2SigningInput + "." + kA2Signature, keys, {"RS256"});
    REQUIRE(v.has_value());
    CHECK(v->payload_json == kExamplePayload);

    // RSASSA-PKCS1-v1_5 is deterministic: the private key gives the published signature.
    auto priv = Jwk::from_json(kA2Private);
    REQUIRE(priv.has_value());
    CHECK(priv->is_private());
    auto sig = sign_input(*priv, "RS256", kA2SigningInput);
    REQUIRE(sig.has_value());
    CHECK(canaille::base64url_encode(*sig) == kA2Signature);
}

TEST_CASE("RFC 7515 A.3: the ES256 example verifies", "[jose][rfc]") {
    const KeySet keys = one_key(kA3Public);
    auto v = verify(kA3Token, keys, {"ES256"});
    REQUIRE(v.has_value());
    CHECK(v->payload_json == kExamplePayload);

    // ECDSA is randomized: the private key's signature differs but verifies.
    auto priv = Jwk::from_json(kA3Private);
    REQUIRE(priv.has_value());
    const std::string input = kA3Token.substr(0, kA3Token.rfind('.'));
    auto sig = sign_input(*priv, "ES256", input);
    REQUIRE(sig.has_value());
    CHECK(sig->size() == 64);  // RFC 7518 §3.4: R||S, 32 bytes each
    CHECK(verify_input(*priv, "ES256", input, *sig));
    auto v2 = verify(input + "." + canaille::base64url_encode(*sig), keys, {"ES256"});
    CHECK(v2.has_value());
}

TEST_CASE("RFC 8037 A.4: Ed25519 signature is exactly the published one", "[jose][rfc]") {
    auto key = Jwk::from_json(kEdPrivate);
    REQUIRE(key.has_value());
    auto sig = sign_input(*key, "EdDSA", kEdSigningInput);
    REQUIRE(sig.has_value());
    CHECK(canaille::base64url_encode(*sig) == kEdSignature);
    // RFC 8037 A.5: and it verifies.
    const KeySet keys = one_key(kEdPrivate);
    auto v = verify(kEdSigningInput + "." + kEdSignature, keys, {"EdDSA"});
    REQUIRE(v.has_value());
    CHECK(v->payload_json == "Example of Ed25519 signing");
}

TEST_CASE("RFC 7638 §3.1 and RFC 8037 A.3 thumbprints", "[jose][rfc]") {
    const std::string rfc7638_key =
        R"({"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"})";
    auto rsa = Jwk::from_json(rfc7638_key);
    REQUIRE(rsa.has_value());
    CHECK(rsa->thumbprint() == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    CHECK(rsa->kid() == "2011-04-29");

    auto ed = Jwk::from_json(kEdPrivate);
    REQUIRE(ed.has_value());
    CHECK(ed->thumbprint() == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    CHECK(ed->kid() == ed->thumbprint());  // no kid given: the thumbprint
}

TEST_CASE("RFC vectors fail with the wrong key or a tampered part", "[jose][rfc]") {
    const KeySet rsa = one_key(kA2Public);
    CHECK_FALSE(verify(kA3Token, rsa, {"ES256"}).has_value());
    std::string tampered = kA2SigningInput + "." + kA2Signature;
    tampered[30] = tampered[30] == 'A' ? 'B' : 'A';
    CHECK_FALSE(verify(tampered, rsa, {"RS256"}).has_value());
    const KeySet ec = one_key(kA3Public);
    CHECK_FALSE(verify(kA3Token, ec, {"ES384"}).has_value());  // alg not allowed
    const KeySet hs = one_key(R"({"kty":"oct","k":"c2VjcmV0LXRoYXQtaXMtbm90LXRoZS1yaWdodC1vbmU"})");
    CHECK_FALSE(verify(kA1Token, hs, {"HS256"}).has_value());
}
