// SPDX-License-Identifier: MIT
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "jose/json.hpp"
#include "jose/jws.hpp"
#include "jose/keyset.hpp"
#include "test_keys.hpp"

using namespace canaille::jose;

namespace {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "jose_test.XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string write(const std::string& name, const std::string& content) const {
        const auto file = path_ / name;
        std::ofstream(file) << content;
        return file.string();
    }

  private:
    std::filesystem::path path_;
};

std::string jwks(std::initializer_list<const Jwk*> keys) {
    std::string out = "{\"keys\":[";
    bool first = true;
    for (const Jwk* k : keys) {
        if (!first) out.push_back(',');
        first = false;
        out += k->to_private_json();
    }
    return out + "]}";
}

}  // namespace

TEST_CASE("active keys sign, inactive keys only verify", "[jose][keyset]") {
    const Jwk old_rsa = Jwk::generate_rsa();
    const Jwk& ec = test::ec_key(256);
    auto set = KeySet::load(jwks({&test::rsa_key(), &test::oct_key()}), jwks({&old_rsa, &ec}));
    REQUIRE(set.has_value());
    CHECK(set->size() == 4);
    CHECK(set->active().size() == 2);

    REQUIRE(set->signing_key("RS256") != nullptr);
    CHECK(set->signing_key("RS256")->kid() == test::rsa_key().kid());
    CHECK(set->signing_key("ES256") == nullptr);  // only inactive
    CHECK(set->signing_key("EdDSA") == nullptr);
    CHECK(set->signing_key("none") == nullptr);

    // A token issued before the rotation still verifies.
    auto old_token = sign(old_rsa, "RS256", R"({"sub":"a"})");
    auto v = verify(*old_token, *set, {"RS256"});
    REQUIRE(v.has_value());
    CHECK(v->kid == old_rsa.kid());
    CHECK(verify(*sign(ec, "ES256", "{}"), *set, {"ES256"}).has_value());

    CHECK(set->find(old_rsa.kid()) != nullptr);
    CHECK(set->find("nope") == nullptr);
    CHECK(set->is_active(test::rsa_key().kid()));
    CHECK_FALSE(set->is_active(old_rsa.kid()));
    CHECK(set->signing_algs() == std::vector<std::string>{"RS256"});
}

TEST_CASE("the public JWKS never leaks a private member or a symmetric key", "[jose][keyset]") {
    auto set = KeySet::load(jwks({&test::rsa_key(), &test::oct_key(), &test::ec_key(384)}),
                            jwks({&test::ed_key(), &test::ec_key(521)}));
    REQUIRE(set.has_value());
    const std::string json = set->public_jwks_json();
    auto doc = parse_json_object(json, 1 << 20);
    REQUIRE(doc.has_value());
    const auto& keys = (*doc)["keys"];
    REQUIRE(keys.IsArray());
    CHECK(keys.Size() == 4);  // every asymmetric key, active and inactive; no oct
    for (const auto& k : keys.GetArray()) {
        for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
            CHECK_FALSE(has_member(k, secret));
        }
        CHECK(get_string(k, "kty") != "oct");
        CHECK(get_string(k, "kid").has_value());
        CHECK(get_string(k, "use") == "sig");
    }
    CHECK(json.find(std::string(test::oct_key().kid())) == std::string::npos);
    // The published set verifies what the server signs.
    auto published = KeySet::from_jwks(json);
    REQUIRE(published.has_value());
    CHECK(published->size() == 4);
    auto token = sign(*set->signing_key("ES384"), "ES384", "{}");
    CHECK(verify(*token, *published, {"ES384"}).has_value());
    CHECK(set->signing_algs() == std::vector<std::string>{"RS256", "ES384"});
}

TEST_CASE("key sources: JWKS, JWK, list, PEM, file", "[jose][keyset]") {
    const Jwk& rsa = test::rsa_key();
    const Jwk& ed = test::ed_key();
    TempDir dir;

    SECTION("single JWK object") {
        auto keys = parse_keys(ed.to_private_json());
        REQUIRE(keys.has_value());
        REQUIRE(keys->size() == 1);
        CHECK(keys->front().kid() == ed.kid());
    }
    SECTION("JSON list of JWK objects and PEM strings") {
        std::string pem = ed.private_pem();
        std::string escaped;
        for (char c : pem) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
        auto keys = parse_keys("[" + rsa.to_private_json() + ",\"" + escaped + "\"]");
        REQUIRE(keys.has_value());
        REQUIRE(keys->size() == 2);
        CHECK(keys->at(1).thumbprint() == ed.thumbprint());
    }
    SECTION("concatenated PEM blocks") {
        auto keys = parse_keys("\n" + rsa.private_pem() + ed.public_pem());
        REQUIRE(keys.has_value());
        REQUIRE(keys->size() == 2);
        CHECK(keys->at(0).is_private());
        CHECK_FALSE(keys->at(1).is_private());
        CHECK(keys->at(0).kid() == rsa.thumbprint());
    }
    SECTION("a file path") {
        const std::string path = dir.write("keys.json", jwks({&rsa, &ed}));
        auto set = KeySet::load(path, dir.write("old.pem", test::ec_key(256).private_pem()));
        REQUIRE(set.has_value());
        CHECK(set->active().size() == 2);
        CHECK(set->inactive().size() == 1);
        auto missing = KeySet::load(path + ".missing");
        REQUIRE_FALSE(missing.has_value());
        CHECK_THAT(missing.error(), Catch::Contains("cannot read"));
        auto bad = KeySet::load(dir.write("bad.json", "{\"keys\":[{\"kty\":\"RSA\"}]}"));
        REQUIRE_FALSE(bad.has_value());
        CHECK_THAT(bad.error(), Catch::Contains("bad.json"));
    }
    SECTION("empty sources give an empty set") {
        auto set = KeySet::load("", "  \n");
        REQUIRE(set.has_value());
        CHECK(set->empty());
        CHECK(set->public_jwks_json() == R"({"keys":[]})");
        CHECK(set->signing_algs().empty());
    }
}

TEST_CASE("kids are unique and always present", "[jose][keyset]") {
    SECTION("duplicate kid is an error") {
        Jwk a = Jwk::generate_ec();
        Jwk b = Jwk::generate_ec();
        b.set_kid(a.kid());
        auto set = KeySet::load(jwks({&a}), jwks({&b}));
        REQUIRE_FALSE(set.has_value());
        CHECK_THAT(set.error(), Catch::Contains("duplicate kid"));
        CHECK_FALSE(KeySet::load(jwks({&a, &a})).has_value());
        KeySet manual;
        REQUIRE(manual.add(a, true).has_value());
        CHECK_FALSE(manual.add(b, false).has_value());
    }
    SECTION("a key without kid gets its thumbprint") {
        Jwk anonymous = test::ed_key();
        anonymous.set_kid("");
        KeySet set;
        REQUIRE(set.add(anonymous, true).has_value());
        CHECK(set.active().front().kid() == test::ed_key().thumbprint());
        std::string json = test::ec_key(256).to_private_json();
        const auto kid_at = json.find(",\"kid\"");
        const auto alg_at = json.find(",\"alg\"");
        json.erase(kid_at, alg_at - kid_at);
        auto loaded = KeySet::load(json);
        REQUIRE(loaded.has_value());
        CHECK(loaded->active().front().kid() == test::ec_key(256).thumbprint());
    }
}

TEST_CASE("client JWKS skips keys it cannot use", "[jose][keyset]") {
    const std::string x = test::ed_key().to_public_json();
    const std::string json = R"({"keys":[{"kty":"OKP","crv":"X25519","x":"AAAA","use":"enc"},)" +
                             x + "," + x + R"(,{"kty":"weird"}]})";
    auto set = KeySet::from_jwks(json);
    REQUIRE(set.has_value());
    CHECK(set->size() == 1);
    CHECK_FALSE(KeySet::from_jwks("[]").has_value());
    CHECK_FALSE(KeySet::from_jwks(R"({"keys":{}})").has_value());
    CHECK_FALSE(KeySet::from_jwks("{}").has_value());
}

TEST_CASE("malformed key sources are errors", "[jose][keyset]") {
    const std::vector<std::string> bad = {
        "{",
        "[",
        "[1]",
        "[null]",
        "{\"keys\":5}",
        "{\"keys\":[5]}",
        "{\"keys\":[{}]}",
        "[\"not a pem\"]",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIV",
        std::string(2 << 20, '['),
    };
    for (const auto& text : bad) {
        INFO(text.substr(0, 80));
        CHECK_FALSE(parse_keys(text).has_value());
        CHECK_FALSE(KeySet::load(text).has_value());
    }
}
