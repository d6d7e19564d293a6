// SPDX-License-Identifier: MIT
// The OIDC admin pages (reference §1b "clients.py", "tokens.py") through the whole pipeline:
// manage_oidc on every route and action, CSRF, validation, compare-and-swap, cascades.
#include <algorithm>

#include "harness.hpp"
#include "model/consent.hpp"
#include "model/group.hpp"
#include "util/hash.hpp"
#include "util/random.hpp"

using namespace canaille;
using namespace canaille::test;

namespace {

/// An admin per the default ACL: a member of the group "admin".
model::User add_admin(Harness& h) {
    auto u = h.add_user("root", "admin password");
    model::Group g;
    g.display_name = "admin";
    g.members = {u.id};
    REQUIRE(h.store().create_group(g) == store::Status::ok);
    return u;
}

model::Token add_token(Harness& h, const std::string& client_id, const std::string& subject,
                       const std::string& token_id = "") {
    model::Token t;
    t.token_id = token_id.empty() ? random_token(12) : token_id;
    t.access_token_hash = random_token(24);
    t.client_id = client_id;
    t.subject = subject;
    t.scope = {"openid"};
    t.issue_date = std::chrono::system_clock::now();
    REQUIRE(h.store().create_token(t) == store::Status::ok);
    return t;
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
    std::string out;
    for (const auto& [k, v] : fields) {
        if (!out.empty()) out += "&";
        out += url_encode(k) + "=" + url_encode(v);
    }
    return out;
}

std::string csrf_of(Harness& h, const std::string& page_path) {
    const auto r = h.request("GET", page_path);
    REQUIRE(r.status == 200);
    return Harness::csrf_in(r.body);
}

/// The value of a hidden input of a page.
std::string hidden(const std::string& page, const std::string& name) {
    const std::string marker = "name=\"" + name + "\" value=\"";
    const auto at = page.find(marker);
    REQUIRE(at != std::string::npos);
    const auto start = at + marker.size();
    return page.substr(start, page.find('"', start) - start);
}

std::string code_text(const std::string& page, const std::string& id) {
    const std::string marker = "id=\"" + id + "\">";
    const auto at = page.find(marker);
    REQUIRE(at != std::string::npos);
    const auto start = at + marker.size();
    return page.substr(start, page.find('<', start) - start);
}

}  // namespace

TEST_CASE("admin: anonymous people go to sign-in, others get 403 everywhere", "[app][admin][acl]") {
    Harness h;
    add_admin(h);
    h.add_user("bob", "bob password");
    add_client(h, "app");
    const auto t = add_token(h, "app", h.store().get_user_by_name("bob")->id, "tok1");

    const std::vector<std::pair<std::string, std::string>> routes = {
        {"GET", "/admin/client/"},          {"GET", "/admin/client/add"},
        {"POST", "/admin/client/add"},      {"GET", "/admin/client/edit/app"},
        {"POST", "/admin/client/edit/app"}, {"GET", "/admin/token/"},
        {"GET", "/admin/token/tok1"},       {"POST", "/admin/token/tok1"}};
    for (const auto& [method, path] : routes) {
        INFO(method << " " << path);
        const auto r = h.request(method, path);
        CHECK(r.status == 302);
        CHECK(contains(std::string(r.header("Location")), "/login?next="));
    }
    REQUIRE(h.login("bob", "bob password").status == 302);
    const auto about = h.request("GET", "/about").body;
    CHECK_FALSE(contains(about, "/admin/client/"));  // no nav link without manage_oidc
    const auto csrf = Harness::csrf_in(about);
    const std::vector<std::string> actions = {"edit", "new-client-secret", "new-access-token",
                                              "confirm-delete", "delete"};
    for (const auto& [method, path] : routes) {
        INFO(method << " " << path);
        CHECK(
            h.request(method, path, method == "POST" ? form({{"csrf_token", csrf}}) : "").status ==
            403);
    }
    for (const auto& a : actions) {
        INFO(a);
        CHECK(h.request("POST", "/admin/client/edit/app",
                        form({{"csrf_token", csrf}, {"action", a}, {"client_name", "x"}}))
                  .status == 403);
    }
    CHECK(h.request("POST", "/admin/token/tok1", form({{"csrf_token", csrf}, {"action", "revoke"}}))
              .status == 403);
    CHECK(h.store().get_client_by_client_id("app"));
    CHECK_FALSE(h.store().get_token(t.token_id)->revoked());
}

TEST_CASE("admin: client list, search and pages", "[app][admin][clients]") {
    Harness h;
    add_admin(h);
    for (int i = 0; i < 30; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "c%02d", i);
        add_client(h, id);
    }
    add_client(h, "special");
    REQUIRE(h.login("root", "admin password").status == 302);
    auto r = h.request("GET", "/admin/client/");
    REQUIRE(r.status == 200);
    CHECK(contains(h.request("GET", "/about").body, "/admin/client/"));  // nav link for admins
    CHECK(contains(r.body, "The c00"));
    CHECK(contains(r.body, "Page 1 of 2"));
    CHECK_FALSE(contains(r.body, "The special"));
    r = h.request("GET", "/admin/client/?page=2");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "The special"));
    CHECK_FALSE(contains(r.body, "The c00"));
    CHECK(h.request("GET", "/admin/client/?page=3").status == 404);
    CHECK(h.request("GET", "/admin/client/?page=0").status == 404);
    CHECK(h.request("GET", "/admin/client/?page=x").status == 404);
    r = h.request("GET", "/admin/client/?q=SPEC");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "The special"));
    CHECK_FALSE(contains(r.body, "The c01"));
    CHECK(contains(r.body, "Page 1 of 1"));
}

TEST_CASE("admin: add a client, valid and invalid", "[app][admin][clients]") {
    Harness h;
    add_admin(h);
    REQUIRE(h.login("root", "admin password").status == 302);
    const auto csrf = csrf_of(h, "/admin/client/add");

    SECTION("valid, confidential") {
        auto r =
            h.request("POST", "/admin/client/add",
                      form({{"csrf_token", csrf},
                            {"client_name", "My app"},
                            {"contacts[]", "ops@example.org"},
                            {"client_uri", "https://app.example/"},
                            {"redirect_uris", "https://app.example/cb\nhttps://app.example/cb2\n"},
                            {"grant_types", "authorization_code refresh_token"},
                            {"response_types", "code"},
                            {"scope", "openid email"},
                            {"token_endpoint_auth_method", "client_secret_post"}}));
        REQUIRE(r.status == 303);
        const auto location = std::string(r.header("Location"));
        CHECK(contains(location, "/admin/client/edit/"));
        const auto all = h.store().list_clients("", {});
        REQUIRE(all.size() == 1);
        const auto& c = all.front();
        CHECK(c.client_name == "My app");
        CHECK(c.contacts == std::vector<std::string>{"ops@example.org"});
        CHECK(c.redirect_uris ==
              std::vector<std::string>{"https://app.example/cb", "https://app.example/cb2"});
        CHECK(c.grant_types == std::vector<std::string>{"authorization_code", "refresh_token"});
        CHECK(c.scope == std::vector<std::string>{"openid", "email"});
        CHECK(c.token_endpoint_auth_method == "client_secret_post");
        REQUIRE(c.client_secret);
        CHECK(c.client_secret->size() == 48);
        CHECK(c.client_id.size() >= 16);
        r = h.request("GET", location.substr(location.find("/admin/")));
        REQUIRE(r.status == 200);
        CHECK(code_text(r.body, "client-secret") == *c.client_secret);
        CHECK(contains(r.body, "The client has been created."));
    }
    SECTION("valid, public: no secret") {
        auto r = h.request("POST", "/admin/client/add",
                           form({{"csrf_token", csrf},
                                 {"client_name", "SPA"},
                                 {"redirect_uris", "https://spa.example/cb"},
                                 {"grant_types", "authorization_code"},
                                 {"response_types", "code"},
                                 {"token_endpoint_auth_method", "none"}}));
        REQUIRE(r.status == 303);
        const auto all = h.store().list_clients("", {});
        REQUIRE(all.size() == 1);
        CHECK_FALSE(all.front().client_secret);
    }
    SECTION("invalid: messages, nothing written") {
        const std::vector<std::pair<std::string, std::string>> bad = {
            {"redirect_uris", "https://app.example/cb#frag"},
            {"redirect_uris", "/relative/cb"},
            {"client_uri", "javascript:alert(1)"},
            {"contacts", "not-an-email"},
            {"grant_types", "authorization_code magic"},
            {"token_endpoint_auth_method", "magic"},
            {"client_name", ""}};
        for (const auto& [field, value] : bad) {
            INFO(field << "=" << value);
            std::vector<std::pair<std::string, std::string>> f = {
                {"csrf_token", csrf},
                {"client_name", "App"},
                {"redirect_uris", "https://app.example/cb"},
                {"grant_types", "authorization_code"},
                {"response_types", "code"},
                {"token_endpoint_auth_method", "client_secret_basic"}};
            for (auto& [k, v] : f) {
                if (k == field) v = value;
            }
            if (field == "client_uri" || field == "contacts") f.emplace_back(field, value);
            const auto r = h.request("POST", "/admin/client/add", form(f));
            CHECK(r.status == 400);
            CHECK(contains(r.body, "class=\"message error\""));
            CHECK(contains(r.body, "id=\"client-form\""));
        }
        const auto r = h.request("POST", "/admin/client/add",
                                 form({{"csrf_token", csrf},
                                       {"client_name", "App"},
                                       {"redirect_uris", "https://app.example/cb#x"},
                                       {"grant_types", "authorization_code"},
                                       {"response_types", "code"},
                                       {"token_endpoint_auth_method", "none"}}));
        CHECK(contains(r.body, "RFC 6749 §3.1.2"));
        CHECK(h.store().count_clients("") == 0);
    }
    SECTION("CSRF refused") {
        auto r = h.request("POST", "/admin/client/add",
                           form({{"csrf_token", "forged"},
                                 {"client_name", "App"},
                                 {"redirect_uris", "https://app.example/cb"},
                                 {"token_endpoint_auth_method", "none"}}));
        CHECK(r.status == 400);
        r = h.request("POST", "/admin/client/add",
                      form({{"client_name", "App"}, {"token_endpoint_auth_method", "none"}}));
        CHECK(r.status == 400);
        CHECK(h.store().count_clients("") == 0);
    }
}

TEST_CASE("admin: edit, compare-and-swap, secret renewal, CSRF", "[app][admin][clients]") {
    Harness h;
    add_admin(h);
    add_client(h, "app");
    REQUIRE(h.login("root", "admin password").status == 302);
    auto page = h.request("GET", "/admin/client/edit/app");
    REQUIRE(page.status == 200);
    const auto csrf = Harness::csrf_in(page.body);
    const auto version = hidden(page.body, "last_modified");
    CHECK(contains(page.body, "name=\"jwks\""));  // every field is on the form
    CHECK(contains(page.body, "name=\"require_signed_request_object\""));

    const auto edit = [&](const std::string& name, const std::string& v) {
        return h.request("POST", "/admin/client/edit/app",
                         form({{"csrf_token", csrf},
                               {"action", "edit"},
                               {"last_modified", v},
                               {"client_name", name},
                               {"redirect_uris", "https://app.example/cb\nhttps://other/cb"},
                               {"grant_types", "authorization_code client_credentials"},
                               {"response_types", "code"},
                               {"scope", "openid profile"},
                               {"token_endpoint_auth_method", "client_secret_basic"},
                               {"application_type", "web"},
                               {"id_token_signed_response_alg", "ES256"},
                               {"default_max_age", "600"},
                               {"require_auth_time", "1"},
                               {"tos_uri", "https://app.example/terms"}}));
    };

    SECTION("edit saves every field") {
        const auto r = edit("Renamed", version);
        REQUIRE(r.status == 303);
        const auto location = std::string(r.header("Location"));
        const auto c = h.store().get_client_by_client_id("app");
        REQUIRE(c);
        CHECK(c->client_name == "Renamed");
        CHECK(c->redirect_uris ==
              std::vector<std::string>{"https://app.example/cb", "https://other/cb"});
        CHECK(c->grant_types ==
              std::vector<std::string>{"authorization_code", "client_credentials"});
        CHECK(c->id_token_signed_response_alg == "ES256");
        CHECK(c->default_max_age == 600);
        CHECK(c->require_auth_time);
        CHECK(c->tos_uri == "https://app.example/terms");
        CHECK_FALSE(c->client_uri);  // cleared: it was not submitted
        CHECK(c->client_secret == kSecret);
        CHECK(contains(h.request("GET", location.substr(location.find("/admin/"))).body,
                       "The client has been saved."));
    }
    SECTION("a concurrent change is not overwritten") {
        REQUIRE(edit("First", version).status == 303);
        const auto r = edit("Second", version);  // the stale version
        CHECK(r.status == 409);
        CHECK(contains(r.body, "Someone else changed this client"));
        CHECK(h.store().get_client_by_client_id("app")->client_name == "First");
    }
    SECTION("invalid edit writes nothing") {
        const auto r = h.request("POST", "/admin/client/edit/app",
                                 form({{"csrf_token", csrf},
                                       {"action", "edit"},
                                       {"last_modified", version},
                                       {"client_name", "X"},
                                       {"redirect_uris", "https://app.example/cb#f"},
                                       {"token_endpoint_auth_method", "client_secret_basic"},
                                       {"application_type", "web"},
                                       {"id_token_signed_response_alg", "RS256"},
                                       {"default_max_age", "99999999999999"}}));
        CHECK(r.status == 400);
        CHECK(h.store().get_client_by_client_id("app")->client_name == "The app");
    }
    SECTION("secret renewal") {
        auto c = *h.store().get_client_by_client_id("app");
        c.client_secret_expires_at = std::chrono::system_clock::now();
        REQUIRE(h.store().update_client(c) == store::Status::ok);
        const auto r = h.request("POST", "/admin/client/edit/app",
                                 form({{"csrf_token", csrf}, {"action", "new-client-secret"}}));
        REQUIRE(r.status == 303);
        c = *h.store().get_client_by_client_id("app");
        REQUIRE(c.client_secret);
        CHECK(c.client_secret != kSecret);
        CHECK(c.client_secret->size() == 48);
        CHECK_FALSE(c.client_secret_expires_at);
    }
    SECTION("a one-hour access token for the client, shown once") {
        const auto before = h.store().count_tokens("");
        const auto r = h.request("POST", "/admin/client/edit/app",
                                 form({{"csrf_token", csrf}, {"action", "new-access-token"}}));
        REQUIRE(r.status == 200);
        const auto start = r.body.find("readonly rows=\"4\">");
        REQUIRE(start != std::string::npos);
        const auto from = start + std::string("readonly rows=\"4\">").size();
        const auto token = r.body.substr(from, r.body.find('<', from) - from);
        CHECK(std::count(token.begin(), token.end(), '.') == 2);  // a JWS
        REQUIRE(h.store().count_tokens("") == before + 1);
        const auto stored = h.store().get_token_by_access_hash(sha256_hex(token));
        REQUIRE(stored);
        CHECK(stored->client_id == "app");
        CHECK_FALSE(stored->subject);
        CHECK(stored->lifetime == 3600);
        CHECK_FALSE(stored->refresh_token_hash);
    }
    SECTION("CSRF refused on every action") {
        for (const auto* a :
             {"edit", "new-client-secret", "new-access-token", "confirm-delete", "delete"}) {
            INFO(a);
            CHECK(h.request("POST", "/admin/client/edit/app",
                            form({{"csrf_token", "bad"}, {"action", a}, {"client_name", "Z"}}))
                      .status == 400);
        }
        const auto c = h.store().get_client_by_client_id("app");
        REQUIRE(c);
        CHECK(c->client_name == "The app");
        CHECK(c->client_secret == kSecret);
    }
    CHECK(h.request("GET", "/admin/client/edit/nope").status == 404);
}

TEST_CASE("admin: delete after confirmation cascades to tokens and consents",
          "[app][admin][clients]") {
    Harness h;
    const auto admin = add_admin(h);
    add_client(h, "app");
    add_client(h, "other");
    const auto t = add_token(h, "app", admin.id);
    const auto kept = add_token(h, "other", admin.id);
    model::Consent consent;
    consent.consent_id = "consent-1";
    consent.subject = admin.id;
    consent.client_id = "app";
    consent.scope = {"openid"};
    consent.issue_date = std::chrono::system_clock::now();
    REQUIRE(h.store().create_consent(consent) == store::Status::ok);
    REQUIRE(h.login("root", "admin password").status == 302);
    const auto csrf = csrf_of(h, "/admin/client/edit/app");

    auto r = h.request("POST", "/admin/client/edit/app",
                       form({{"csrf_token", csrf}, {"action", "confirm-delete"}}));
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "id=\"delete-form\""));
    CHECK(h.store().get_client_by_client_id("app"));  // confirming deletes nothing
    r = h.request("POST", form_action(r.body, "id=\"delete-form\"").substr(0),
                  form({{"csrf_token", Harness::csrf_in(r.body)}, {"action", "delete"}}));
    REQUIRE(r.status == 303);
    CHECK_FALSE(h.store().get_client_by_client_id("app"));
    CHECK_FALSE(h.store().get_token(t.token_id));
    CHECK_FALSE(h.store().get_consent("consent-1"));
    CHECK(h.store().get_token(kept.token_id));
    CHECK(h.store().get_client_by_client_id("other"));
}

TEST_CASE("admin: token list, view and revoke", "[app][admin][tokens]") {
    Harness h;
    const auto admin = add_admin(h);
    add_client(h, "app");
    for (int i = 0; i < 26; ++i) add_token(h, "app", admin.id, "tok" + std::to_string(i));
    add_client(h, "zeta");
    add_token(h, "zeta", admin.id, "ztoken");
    REQUIRE(h.login("root", "admin password").status == 302);

    auto r = h.request("GET", "/admin/token/");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "Page 1 of 2"));
    CHECK(h.request("GET", "/admin/token/?page=2").status == 200);
    CHECK(h.request("GET", "/admin/token/?page=3").status == 404);
    r = h.request("GET", "/admin/token/?q=zeta");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "ztoken"));
    CHECK_FALSE(contains(r.body, "tok1<"));

    r = h.request("GET", "/admin/token/ztoken");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "active"));
    CHECK(contains(r.body, "root"));  // the subject by name
    const auto csrf = Harness::csrf_in(r.body);
    CHECK(h.request("POST", "/admin/token/ztoken",
                    form({{"csrf_token", "bad"}, {"action", "revoke"}}))
              .status == 400);
    CHECK_FALSE(h.store().get_token("ztoken")->revoked());
    r = h.request("POST", "/admin/token/ztoken",
                  form({{"csrf_token", csrf}, {"action", "confirm-revoke"}}));
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "id=\"revoke-form\""));
    CHECK_FALSE(h.store().get_token("ztoken")->revoked());
    r = h.request("POST", "/admin/token/ztoken",
                  form({{"csrf_token", csrf}, {"action", "revoke"}}));
    REQUIRE(r.status == 303);
    CHECK(h.store().get_token("ztoken")->revoked());
    CHECK(contains(h.request("GET", "/admin/token/ztoken").body, "revoked on"));
    CHECK(h.request("GET", "/admin/token/nope").status == 404);
}

TEST_CASE("admin: client names are escaped", "[app][admin][escaping]") {
    Harness h;
    add_admin(h);
    model::Client c;
    c.client_id = "evil";
    c.client_name = "<script>alert(1)</script>";
    c.client_uri = "javascript:alert(2)";
    c.redirect_uris = {"https://evil.example/cb"};
    REQUIRE(h.store().create_client(c) == store::Status::ok);
    REQUIRE(h.login("root", "admin password").status == 302);
    for (const auto* path : {"/admin/client/", "/admin/client/edit/evil"}) {
        INFO(path);
        const auto r = h.request("GET", path);
        REQUIRE(r.status == 200);
        CHECK_FALSE(contains(r.body, "<script>alert(1)"));
        CHECK(contains(r.body, "&lt;script&gt;alert(1)"));
    }
}

TEST_CASE("admin: links and redirects under a path prefix", "[app][admin][prefix]") {
    Harness h("", "/auth");
    add_admin(h);
    add_client(h, "app");
    auto r = h.request("GET", "/admin/client/?q=app");
    REQUIRE(r.status == 302);
    CHECK(std::string(r.header("Location")) ==
          "/auth/login?next=" + url_encode("/auth/admin/client/?q=app"));
    REQUIRE(h.login("root", "admin password").status == 302);
    r = h.request("GET", "/admin/client/");
    REQUIRE(r.status == 200);
    CHECK(contains(r.body, "href=\"/auth/admin/client/edit/app\""));
    r = h.request("GET", "/admin/client/edit/app");
    REQUIRE(r.status == 200);
    CHECK(form_action(r.body, "id=\"client-form\"") == "/auth/admin/client/edit/app");
}
