// SPDX-License-Identifier: MIT
// `canaille dump` and `canaille restore` through the real binary: every model with every
// attribute set on SQLite, dumped, restored into PostgreSQL, dumped again, and the two
// documents compared object by object; a hand-written Canaille (Python) dump; refusals.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>

#include "fixtures/canaille_fixture.hpp"
#include "fixtures/files.hpp"
#include "fixtures/temp_dir.hpp"
#include "store/store.hpp"
#include "util/base64.hpp"
#include "util/hash.hpp"

using namespace canaille;
using namespace canaille::fixtures;
using namespace std::chrono_literals;

namespace {

std::string require_binary() {
    std::string bin = canaille_binary();
    if (bin.empty()) throw std::runtime_error("CANAILLE_BIN is not set (meson sets it)");
    return bin;
}

/// A fixed instant with microseconds, the precision both SQL stores keep.
TimePoint at(std::int64_t unix_seconds, std::int64_t micros = 0) {
    return from_unix(unix_seconds) + std::chrono::microseconds(micros);
}

const std::string kPhoto = std::string("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x7f", 14);

/// Seeds every model with every attribute set (and a client audience cycle).
void seed(store::Store& st) {
    using store::Status;
    model::User alice;
    alice.id = "11111111-1111-4111-8111-111111111111";
    alice.created = at(1700000000, 123456);
    alice.last_modified = at(1700000100, 654321);
    alice.user_name = "alice";
    alice.password = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    alice.password_last_update = at(1700000200, 1);
    alice.password_failure_timestamps = {at(1700000300, 5), at(1700000301, 6)};
    alice.preferred_language = "fr";
    alice.family_name = "Liddell";
    alice.given_name = "Alice";
    alice.formatted_name = "Alice Liddell";
    alice.display_name = "Alice ✓";
    alice.emails = {"alice@example.org", "alice@wonderland.example"};
    alice.phone_numbers = {"+33 1 23 45 67 89", "555-0100"};
    alice.formatted_address = "1 Rabbit Hole\nOxford";
    alice.street = "1 Rabbit Hole";
    alice.postal_code = "OX1";
    alice.locality = "Oxford";
    alice.region = "Oxfordshire";
    alice.photo = kPhoto;
    alice.profile_url = "https://alice.example/";
    alice.title = "Explorer";
    alice.organization = "Wonderland";
    alice.employee_number = "42";
    alice.department = "Looking glass";
    alice.lock_date = at(1900000000, 999999);
    alice.last_otp_login = at(1700000400);
    alice.secret_token = "JBSWY3DPEHPK3PXP";
    alice.hotp_counter = 7;
    alice.one_time_password = "123456";
    alice.one_time_password_emission_date = at(1700000500, 42);
    REQUIRE(st.create_user(alice) == Status::ok);

    model::User bob;
    bob.id = "22222222-2222-4222-8222-222222222222";
    bob.user_name = "bob";
    bob.emails = {"bob@example.org"};
    REQUIRE(st.create_user(bob) == Status::ok);

    model::Group team;
    team.id = "33333333-3333-4333-8333-333333333333";
    team.created = at(1700001000, 10);
    team.last_modified = at(1700001001, 11);
    team.display_name = "team";
    team.members = {bob.id, alice.id};
    team.owner = alice.id;
    team.description = "the team";
    REQUIRE(st.create_group(team) == Status::ok);
    model::Group empty;
    empty.id = "44444444-4444-4444-8444-444444444444";
    empty.display_name = "nobody";
    REQUIRE(st.create_group(empty) == Status::ok);

    model::Client rp2;
    rp2.id = "c2c2c2c2-0000-4000-8000-000000000002";
    rp2.client_id = "rp2";
    rp2.created = at(1700002000);
    rp2.last_modified = at(1700002001);
    rp2.audience = {"rp2"};
    REQUIRE(st.create_client(rp2) == Status::ok);

    model::Client rp1;
    rp1.id = "c1c1c1c1-0000-4000-8000-000000000001";
    rp1.created = at(1700002100, 1);
    rp1.last_modified = at(1700002101, 2);
    rp1.client_id = "rp1";
    rp1.client_secret = "s3cret";
    rp1.client_id_issued_at = at(1700002100);
    rp1.client_secret_expires_at = at(1800000000);
    rp1.description = "every attribute";
    rp1.audience = {"rp1", "rp2"};
    rp1.redirect_uris = {"https://rp1.example/cb", "https://rp1.example/cb2"};
    rp1.token_endpoint_auth_method = "private_key_jwt";
    rp1.token_endpoint_auth_signing_alg = "ES256";
    rp1.grant_types = {"authorization_code", "refresh_token", "client_credentials"};
    rp1.response_types = {"code", "code id_token"};
    rp1.client_name = "RP one";
    rp1.client_uri = "https://rp1.example/";
    rp1.logo_uri = "https://rp1.example/logo.png";
    rp1.scope = {"openid", "profile", "email"};
    rp1.contacts = {"admin@rp1.example"};
    rp1.tos_uri = "https://rp1.example/tos";
    rp1.policy_uri = "https://rp1.example/policy";
    rp1.jwks_uri = "https://rp1.example/jwks";
    rp1.jwks = R"({"keys":[]})";
    rp1.sector_identifier_uri = "https://rp1.example/sector";
    rp1.subject_type = "pairwise";
    rp1.software_id = "sw";
    rp1.software_version = "1.2";
    rp1.post_logout_redirect_uris = {"https://rp1.example/bye"};
    rp1.application_type = "native";
    rp1.id_token_signed_response_alg = "ES256";
    rp1.id_token_encrypted_response_alg = "RSA-OAEP";
    rp1.id_token_encrypted_response_enc = "A128GCM";
    rp1.userinfo_signed_response_alg = "RS256";
    rp1.userinfo_encrypted_response_alg = "RSA-OAEP-256";
    rp1.userinfo_encrypted_response_enc = "A256GCM";
    rp1.default_max_age = 3600;
    rp1.require_auth_time = true;
    rp1.default_acr_values = {"urn:acr:1"};
    rp1.initiate_login_uri = "https://rp1.example/login";
    rp1.request_object_signing_alg = "RS256";
    rp1.request_object_encryption_alg = "RSA-OAEP";
    rp1.request_object_encryption_enc = "A128CBC-HS256";
    rp1.request_uris = {"https://rp1.example/req"};
    rp1.require_signed_request_object = true;
    REQUIRE(st.create_client(rp1) == Status::ok);

    // An audience cycle: restore needs its second pass.
    model::Client rp3;
    rp3.id = "c3c3c3c3-0000-4000-8000-000000000003";
    rp3.client_id = "rp3";
    REQUIRE(st.create_client(rp3) == Status::ok);
    model::Client rp4;
    rp4.id = "c4c4c4c4-0000-4000-8000-000000000004";
    rp4.client_id = "rp4";
    rp4.audience = {"rp3"};
    REQUIRE(st.create_client(rp4) == Status::ok);
    rp3.audience = {"rp4"};
    REQUIRE(st.update_client(rp3) == Status::ok);

    model::AuthorizationCode code;
    code.id = "c0de0000-0000-4000-8000-000000000001";
    code.authorization_code_id = "code-1";
    code.code_hash = sha256_hex("the code");
    code.client_id = "rp1";
    code.subject = alice.id;
    code.redirect_uri = "https://rp1.example/cb";
    code.response_type = "code";
    code.scope = {"openid", "profile"};
    code.nonce = "n-0S6_WzA2Mj";
    code.issue_date = at(1700003000, 77);
    code.lifetime = 600;
    code.challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    code.challenge_method = "S256";
    code.revokation_date = at(1700003100);
    code.auth_time = at(1700002999);
    code.acr = "urn:acr:1";
    code.amr = {"pwd", "otp"};
    code.sid = "session-id";
    code.consumed_at = at(1700003010, 5);
    REQUIRE(st.create_code(code) == Status::ok);

    model::Token token;
    token.id = "70c0e000-0000-4000-8000-000000000001";
    token.token_id = "token-1";
    token.access_token_hash = sha256_hex("access 1");
    token.refresh_token_hash = sha256_hex("refresh 1");
    token.client_id = "rp1";
    token.subject = alice.id;
    token.type = "access_token";
    token.scope = {"openid", "profile"};
    token.issue_date = at(1700003010, 6);
    token.lifetime = 3600;
    token.revokation_date = at(1700003500);
    token.audience = {"rp1", "rp2"};
    token.authorization_code_id = "code-1";
    token.refresh_token_consumed_at = at(1700003500);
    token.parent_token_id = "token-0";
    REQUIRE(st.create_token(token) == Status::ok);
    model::Token machine;
    machine.id = "70c0e000-0000-4000-8000-000000000002";
    machine.token_id = "token-2";
    machine.access_token_hash = sha256_hex("access 2");
    machine.client_id = "rp2";
    machine.issue_date = at(1700004000);
    REQUIRE(st.create_token(machine) == Status::ok);

    model::Consent consent;
    consent.id = "c0c0c0c0-0000-4000-8000-000000000001";
    consent.consent_id = "consent-1";
    consent.subject = alice.id;
    consent.client_id = "rp1";
    consent.scope = {"openid", "profile"};
    consent.issue_date = at(1700002990, 3);
    consent.revokation_date = at(1700004000, 4);
    REQUIRE(st.create_consent(consent) == Status::ok);
}

rapidjson::Document parse(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str());
    REQUIRE_FALSE(d.HasParseError());
    REQUIRE(d.IsObject());
    return d;
}

/// model → (id → object).
std::map<std::string, std::map<std::string, const rapidjson::Value*>> by_id(
    const rapidjson::Document& d) {
    std::map<std::string, std::map<std::string, const rapidjson::Value*>> out;
    for (auto it = d.MemberBegin(); it != d.MemberEnd(); ++it) {
        auto& objects = out[it->name.GetString()];
        for (const auto& o : it->value.GetArray()) objects[o["id"].GetString()] = &o;
    }
    return out;
}

/// Attribute by attribute, so a failure names the attribute. `skip` is left out.
void compare(const rapidjson::Document& a, const rapidjson::Document& b,
             const std::map<std::string, std::string>& skip = {}) {
    const auto left = by_id(a);
    const auto right = by_id(b);
    REQUIRE(left.size() == right.size());
    for (const auto& [model, objects] : left) {
        INFO("model " << model);
        REQUIRE(right.count(model) == 1);
        const auto& other = right.at(model);
        CHECK(objects.size() == other.size());
        for (const auto& [id, obj] : objects) {
            INFO("object " << id);
            REQUIRE(other.count(id) == 1);
            const auto& o2 = *other.at(id);
            CHECK(obj->MemberCount() == o2.MemberCount());
            for (auto m = obj->MemberBegin(); m != obj->MemberEnd(); ++m) {
                const std::string attr = m->name.GetString();
                auto s = skip.find(id);
                if (s != skip.end() && s->second == attr) continue;
                INFO("attribute " << attr);
                REQUIRE(o2.HasMember(m->name));
                CHECK(m->value == o2[m->name]);
            }
        }
    }
}

std::size_t count(const rapidjson::Document& d, const char* model) {
    return d.HasMember(model) ? d[model].Size() : 0;
}

const rapidjson::Value* find(const rapidjson::Document& d, const char* model, const char* key,
                             const std::string& value) {
    if (!d.HasMember(model)) return nullptr;
    for (const auto& o : d[model].GetArray()) {
        if (o.HasMember(key) && o[key].IsString() && value == o[key].GetString()) return &o;
    }
    return nullptr;
}

/// A Canaille (Python) dump as its `canaille dump` writes it: clear codes and tokens,
/// references by id, datetimes from isoformat(), photo in base64, attributes this port does
/// not know, a model it does not have.
std::string canaille_style_dump() {
    return R"({
  "user": [
    {"id": "u-1", "created": "2024-01-02T03:04:05.123456+00:00",
     "last_modified": "2024-01-02T03:04:05+00:00", "user_name": "jdoe",
     "password": "$pbkdf2-sha512$25000$c2FsdA$aGFzaA", "emails": ["jdoe@example.org"],
     "given_name": "John", "family_name": "Doe", "photo": "/9j/4AAQ",
     "groups": ["g-1"], "webauthn_credentials": [], "lock_date": null,
     "password_failure_timestamps": ["2024-01-03T00:00:00+01:00"]},
    {"id": "u-2", "user_name": "jane", "emails": ["jane@example.org"], "groups": []}
  ],
  "group": [
    {"id": "g-1", "display_name": "admins", "members": ["u-2"], "owners": ["u-2"],
     "description": null}
  ],
  "client": [
    {"id": "cl-1", "client_id": "legacy", "client_secret": "xyz",
     "client_id_issued_at": "2024-01-01T00:00:00", "client_secret_expires_at": null,
     "redirect_uris": ["https://legacy.example/cb"], "audience": ["cl-1"],
     "grant_types": ["authorization_code"], "response_types": ["code"],
     "scope": ["openid"], "token_endpoint_auth_method": "client_secret_post",
     "trusted": true, "require_nonce": false}
  ],
  "authorizationcode": [
    {"id": "ac-1", "authorization_code_id": "acid", "code": "clear-code", "client": "cl-1",
     "subject": "u-1", "redirect_uri": "https://legacy.example/cb", "response_type": "code",
     "scope": ["openid"], "nonce": "n", "issue_date": "2024-01-05T10:00:00+00:00",
     "lifetime": 84400, "challenge": null, "challenge_method": null,
     "revokation_date": null, "auth_time": "2024-01-05T09:59:00+00:00", "acr": null,
     "amr": ["pwd"], "created": "2024-01-05T10:00:00+00:00"}
  ],
  "token": [
    {"id": "tk-1", "token_id": "tid", "access_token": "clear-access",
     "refresh_token": "clear-refresh", "client": "cl-1", "subject": "u-1",
     "type": "access_token", "scope": ["openid"], "issue_date": "2024-01-05T10:00:01Z",
     "lifetime": 3600, "revokation_date": null, "audience": ["cl-1"]}
  ],
  "consent": [
    {"id": "co-1", "consent_id": "cid", "subject": "u-1", "client": "cl-1",
     "scope": ["openid"], "issue_date": "2024-01-05T09:59:30+00:00"}
  ],
  "webauthncredential": []
})";
}

}  // namespace

TEST_CASE("dump on SQLite, restore into PostgreSQL, dump again: the same objects",
          "[e2e][dump][postgresql]") {
    const std::string bin = require_binary();
    TempDir src_dir;
    CanailleFixture src(src_dir, bin, Backend::sqlite);
    {
        SystemClock clock;
        auto st = store::open_store(src.database_uri(), clock);
        seed(*st);
    }
    const auto first = src.cli_ok({"dump"});
    const std::string dump_file = src_dir.file("dump.json");
    write_file(dump_file, first.out);
    const auto d1 = parse(first.out);

    // Everything is in the dump, secrets and binary values included.
    CHECK(count(d1, "user") == 2);
    CHECK(count(d1, "group") == 2);
    CHECK(count(d1, "client") == 4);
    CHECK(count(d1, "authorizationcode") == 1);
    CHECK(count(d1, "token") == 2);
    CHECK(count(d1, "consent") == 1);
    const auto* alice = find(d1, "user", "user_name", "alice");
    REQUIRE(alice != nullptr);
    CHECK(base64_decode((*alice)["photo"].GetString()) == kPhoto);
    CHECK(std::string((*alice)["password"].GetString()).rfind("$argon2id$", 0) == 0);
    CHECK(std::string((*alice)["lock_date"].GetString()) == "2030-03-17T17:46:40.999999+00:00");
    CHECK((*alice)["password_failure_timestamps"].Size() == 2);
    CHECK((*alice)["hotp_counter"].GetInt64() == 7);
    const auto* code = find(d1, "authorizationcode", "authorization_code_id", "code-1");
    REQUIRE(code != nullptr);
    CHECK(std::string((*code)["code_hash"].GetString()) == sha256_hex("the code"));
    CHECK(std::string((*code)["client"].GetString()) == "c1c1c1c1-0000-4000-8000-000000000001");
    // Sessions are not dumped.
    CHECK_FALSE(d1.HasMember("session"));

    TempDir dst_dir;
    CanailleFixture dst(dst_dir, bin, Backend::postgresql);
    const auto restored = dst.cli_with_input({"restore"}, dump_file);
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK(restored.err.find("warning") == std::string::npos);
    const auto second = dst.cli_ok({"dump"});
    const auto d2 = parse(second.out);
    // The clients of the audience cycle get their audience in a second write, which stamps
    // a new last_modified (doc/dump.md); everything else is identical.
    compare(d1, d2,
            {{"c3c3c3c3-0000-4000-8000-000000000003", "last_modified"},
             {"c4c4c4c4-0000-4000-8000-000000000004", "last_modified"}});

    // The restored store works: alice's password hash and sign-in data came along.
    SystemClock clock;
    auto pg = store::open_store(dst.database_uri(), clock);
    auto user = pg->get_user_by_name("alice");
    REQUIRE(user.has_value());
    CHECK(user->photo == kPhoto);
    CHECK(user->groups == std::vector<std::string>{"33333333-3333-4333-8333-333333333333"});
    CHECK(pg->get_group_by_name("team")->members ==
          std::vector<std::string>{"22222222-2222-4222-8222-222222222222",
                                   "11111111-1111-4111-8111-111111111111"});
    CHECK(pg->get_code_by_hash(sha256_hex("the code")).has_value());
    CHECK(pg->get_token_by_refresh_hash(sha256_hex("refresh 1"))->parent_token_id == "token-0");

    // Restoring again clashes with every object: refused, nothing written.
    const auto again = dst.cli_with_input({"restore"}, dump_file);
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("nothing was written") != std::string::npos);
    CHECK(again.err.find("user[0] 'alice'") != std::string::npos);
    compare(d2, parse(dst.cli_ok({"dump"}).out));

    // Only some models.
    const auto partial = parse(dst.cli_ok({"dump", "user", "group"}).out);
    CHECK(partial.MemberCount() == 2);
    CHECK(count(partial, "user") == 2);
}

TEST_CASE("restore reads a Canaille (Python) dump", "[e2e][dump][postgresql]") {
    const std::string bin = require_binary();
    TempDir dir;
    CanailleFixture canaille(dir, bin, Backend::postgresql);
    write_file(dir.file("canaille.json"), canaille_style_dump());

    const auto dry = canaille.cli_with_input({"restore", "--dry-run"}, dir.file("canaille.json"));
    INFO(dry.err);
    CHECK(dry.exit_code == 0);
    CHECK(count(parse(canaille.cli_ok({"dump"}).out), "user") == 0);

    const auto result = canaille.cli_with_input({"restore"}, dir.file("canaille.json"));
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    // Unknown attributes and models are warnings.
    CHECK(result.err.find("unknown attribute 'trusted'") != std::string::npos);
    CHECK(result.err.find("unknown attribute 'webauthn_credentials'") != std::string::npos);
    CHECK(result.err.find("unknown model 'webauthncredential'") != std::string::npos);

    const auto d = parse(canaille.cli_ok({"dump"}).out);
    const auto* jdoe = find(d, "user", "user_name", "jdoe");
    REQUIRE(jdoe != nullptr);
    CHECK(std::string((*jdoe)["created"].GetString()) == "2024-01-02T03:04:05.123456+00:00");
    CHECK(std::string((*jdoe)["password"].GetString()) == "$pbkdf2-sha512$25000$c2FsdA$aGFzaA");
    CHECK(std::string((*jdoe)["password_failure_timestamps"][0].GetString()) ==
          "2024-01-02T23:00:00+00:00");
    CHECK(std::string((*jdoe)["photo"].GetString()) == "/9j/4AAQ");
    // The membership only the user listed, and the one only the group listed.
    const auto* admins = find(d, "group", "display_name", "admins");
    REQUIRE(admins != nullptr);
    CHECK((*admins)["members"].Size() == 2);
    CHECK(std::string((*admins)["owner"].GetString()) == "u-2");
    // Clear secrets become hashes; references by id come back as the same ids.
    CHECK(result.out.find("1 authorization codes") != std::string::npos);
    // This code has no token issued from it, so a dump does not list it (doc/dump.md): read
    // it through the store.
    SystemClock clock;
    auto st = store::open_store(canaille.database_uri(), clock);
    auto code = st->get_code("acid");
    REQUIRE(code.has_value());
    CHECK(code->code_hash == sha256_hex("clear-code"));
    CHECK(code->client_id == "legacy");
    CHECK(code->subject == "u-1");
    CHECK(code->amr == std::vector<std::string>{"pwd"});
    const auto* token = find(d, "token", "token_id", "tid");
    REQUIRE(token != nullptr);
    CHECK(std::string((*token)["access_token_hash"].GetString()) == sha256_hex("clear-access"));
    CHECK(std::string((*token)["refresh_token_hash"].GetString()) == sha256_hex("clear-refresh"));
    CHECK(count(d, "consent") == 1);
    const auto* client = find(d, "client", "client_id", "legacy");
    REQUIRE(client != nullptr);
    CHECK(std::string((*client)["client_id_issued_at"].GetString()) == "2024-01-01T00:00:00+00:00");
}

TEST_CASE("restore refuses bad documents and writes nothing", "[e2e][dump][postgresql]") {
    const std::string bin = require_binary();
    TempDir dir;
    CanailleFixture canaille(dir, bin, Backend::postgresql);
    auto restore = [&](const std::string& text) {
        write_file(dir.file("in.json"), text);
        return canaille.cli_with_input({"restore"}, dir.file("in.json"));
    };
    auto empty_store = [&] {
        const auto d = parse(canaille.cli_ok({"dump"}).out);
        return count(d, "user") + count(d, "group") + count(d, "client") == 0;
    };

    CHECK(restore("").exit_code == 1);
    CHECK(restore("{\"user\": [").exit_code == 1);
    CHECK(restore("[1, 2]").exit_code == 1);
    CHECK(restore(std::string(100000, '[')).exit_code == 1);  // deep nesting: no crash

    // A dangling reference and a bad attribute type, reported together.
    auto bad = restore(R"({"user": [{"id": "u1", "user_name": "ok", "emails": "a@b.c"},
                                     {"id": "u2", "user_name": "x", "hotp_counter": "many"}],
                          "group": [{"display_name": "g", "members": ["u1", "ghost"]}]})");
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("'hotp_counter' an integer was expected") != std::string::npos);
    CHECK(empty_store());
    bad = restore(R"({"user": [{"id": "u1", "user_name": "ok"}],
                      "group": [{"display_name": "g", "members": ["u1", "ghost"]}]})");
    CHECK(bad.exit_code == 1);
    CHECK(bad.err.find("group[0] 'g': has a member that does not exist: ghost") !=
          std::string::npos);
    CHECK(bad.err.find("nothing was written") != std::string::npos);
    CHECK(empty_store());

    // Valid as a document, refused by the store half-way (PostgreSQL text cannot hold NUL):
    // what was written before is taken back.
    const auto midway =
        restore(R"({"user": [{"id": "u1", "user_name": "first", "emails": ["f@example.org"]},
                             {"id": "u2", "user_name": "second", "display_name": "a\u0000b"}]})");
    CHECK(midway.exit_code == 1);
    CHECK(midway.err.find("user 'second'") != std::string::npos);
    CHECK(midway.err.find("removed again") != std::string::npos);
    CHECK(empty_store());
}
