// SPDX-License-Identifier: MIT
// OIDC client administration (reference §1b "clients.py"): list with search and pages, add,
// edit every metadata field, renew the secret, delete. Every route checks manage_oidc on the
// server and every POST its CSRF token.
#include <algorithm>
#include <functional>
#include <memory>

#include <rapidjson/document.h>

#include "app/routes/admin_common.hpp"
#include "app/routes/oidc_common.hpp"
#include "app/routes/oidc_issue.hpp"
#include "app/web_app.hpp"
#include "util/log.hpp"
#include "util/random.hpp"

namespace canaille::app {
namespace {

/// Lifetime of the access tokens the admin page issues (Canaille: one hour).
constexpr std::int64_t kAdminTokenLifetime = 3600;

using model::Client;

enum class Kind { text, lines, words, check, choice };

/// One editable client attribute: how it shows in the form and how the form sets it.
struct Field {
    const char* name;
    const char* label;
    Kind kind;
    bool on_add;  ///< also on the add form (reference §1b: the short form)
    std::function<std::string(const Client&)> get;
    std::function<void(Client&, const std::vector<std::string>&)> set;
    std::vector<const char*> choices = {};
};

std::string join_lines(const std::vector<std::string>& v, const char* sep = "\n") {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

Field opt(const char* name, const char* label, std::optional<std::string> Client::*m,
          bool on_add = false) {
    return {name,
            label,
            Kind::text,
            on_add,
            [m](const Client& c) { return (c.*m).value_or(""); },
            [m](Client& c, const std::vector<std::string>& v) {
                if (v.empty()) {
                    (c.*m).reset();
                } else {
                    c.*m = v.front();
                }
            }};
}

Field list(const char* name, const char* label, std::vector<std::string> Client::*m,
           Kind kind = Kind::lines, bool on_add = false) {
    return {name,
            label,
            kind,
            on_add,
            [m](const Client& c) { return join_lines(c.*m); },
            [m](Client& c, const std::vector<std::string>& v) { c.*m = v; }};
}

Field choice(const char* name, const char* label, std::string Client::*m,
             std::vector<const char*> choices, bool on_add = false) {
    return {name,
            label,
            Kind::choice,
            on_add,
            [m](const Client& c) { return c.*m; },
            [m](Client& c, const std::vector<std::string>& v) {
                c.*m = v.empty() ? std::string() : v.front();
            },
            std::move(choices)};
}

Field flag(const char* name, const char* label, bool Client::*m) {
    return {name,
            label,
            Kind::check,
            false,
            [m](const Client& c) { return c.*m ? std::string("1") : std::string(); },
            [m](Client& c, const std::vector<std::string>& v) { c.*m = !v.empty(); }};
}

const std::vector<Field>& fields() {
    static const std::vector<Field> f = [] {
        std::vector<Field> a;
        a.push_back(opt("client_name", "Name", &Client::client_name, true));
        a.push_back(list("contacts", "Contacts (one email address per line)", &Client::contacts,
                         Kind::lines, true));
        a.push_back(opt("client_uri", "Client URI", &Client::client_uri, true));
        a.push_back(list("redirect_uris", "Redirect URIs (one per line)", &Client::redirect_uris,
                         Kind::lines, true));
        a.push_back(list("grant_types", "Grant types", &Client::grant_types, Kind::words, true));
        a.push_back(list("response_types", "Response types (one per line)", &Client::response_types,
                         Kind::lines, true));
        a.push_back(list("scope", "Scope", &Client::scope, Kind::words, true));
        a.push_back(choice("token_endpoint_auth_method", "Token endpoint authentication method",
                           &Client::token_endpoint_auth_method,
                           {"client_secret_basic", "client_secret_post", "client_secret_jwt",
                            "private_key_jwt", "none"},
                           true));
        a.push_back(opt("description", "Description", &Client::description));
        a.push_back(list("audience", "Audience (client ids)", &Client::audience, Kind::words));
        a.push_back(opt("logo_uri", "Logo URI", &Client::logo_uri));
        a.push_back(opt("tos_uri", "Terms of service URI", &Client::tos_uri));
        a.push_back(opt("policy_uri", "Policy URI", &Client::policy_uri));
        a.push_back(list("post_logout_redirect_uris", "Post-logout redirect URIs (one per line)",
                         &Client::post_logout_redirect_uris));
        a.push_back(opt("jwks_uri", "JWKS URI", &Client::jwks_uri));
        a.push_back(opt("jwks", "JWKS (JSON)", &Client::jwks));
        a.push_back(
            opt("sector_identifier_uri", "Sector identifier URI", &Client::sector_identifier_uri));
        a.push_back(
            opt("subject_type", "Subject type (public or pairwise)", &Client::subject_type));
        a.push_back(opt("software_id", "Software id", &Client::software_id));
        a.push_back(opt("software_version", "Software version", &Client::software_version));
        a.push_back(choice("application_type", "Application type", &Client::application_type,
                           {"web", "native"}));
        a.push_back(choice("id_token_signed_response_alg", "ID token signing algorithm",
                           &Client::id_token_signed_response_alg, {"RS256", "ES256", "EdDSA"}));
        a.push_back(opt("token_endpoint_auth_signing_alg", "Token endpoint auth signing algorithm",
                        &Client::token_endpoint_auth_signing_alg));
        a.push_back(opt("id_token_encrypted_response_alg", "ID token encryption algorithm",
                        &Client::id_token_encrypted_response_alg));
        a.push_back(opt("id_token_encrypted_response_enc", "ID token encryption encoding",
                        &Client::id_token_encrypted_response_enc));
        a.push_back(opt("userinfo_signed_response_alg", "Userinfo signing algorithm",
                        &Client::userinfo_signed_response_alg));
        a.push_back(opt("userinfo_encrypted_response_alg", "Userinfo encryption algorithm",
                        &Client::userinfo_encrypted_response_alg));
        a.push_back(opt("userinfo_encrypted_response_enc", "Userinfo encryption encoding",
                        &Client::userinfo_encrypted_response_enc));
        a.push_back(Field{"default_max_age", "Default max age (seconds)", Kind::text, false,
                          [](const Client& c) {
                              return c.default_max_age ? std::to_string(*c.default_max_age)
                                                       : std::string();
                          },
                          [](Client& c, const std::vector<std::string>& v) {
                              // Validated beforehand: digits only, bounded length.
                              if (v.empty()) {
                                  c.default_max_age.reset();
                              } else {
                                  c.default_max_age = std::stoll(v.front());
                              }
                          }});
        a.push_back(flag("require_auth_time", "Require auth_time", &Client::require_auth_time));
        a.push_back(list("default_acr_values", "Default ACR values", &Client::default_acr_values,
                         Kind::words));
        a.push_back(opt("initiate_login_uri", "Initiate login URI", &Client::initiate_login_uri));
        a.push_back(opt("request_object_signing_alg", "Request object signing algorithm",
                        &Client::request_object_signing_alg));
        a.push_back(opt("request_object_encryption_alg", "Request object encryption algorithm",
                        &Client::request_object_encryption_alg));
        a.push_back(opt("request_object_encryption_enc", "Request object encryption encoding",
                        &Client::request_object_encryption_enc));
        a.push_back(list("request_uris", "Request URIs (one per line)", &Client::request_uris));
        a.push_back(flag("require_signed_request_object", "Require signed request objects",
                         &Client::require_signed_request_object));
        return a;
    }();
    return f;
}

constexpr std::size_t kMaxValue = 4096;
constexpr std::size_t kMaxItems = 100;

/// The submitted values of one field: list fields accept repeated fields (`name` or
/// `name[]`) and one value per line (or per word); empty entries are dropped.
std::vector<std::string> form_values(const http::Params& form, const Field& f) {
    std::vector<std::string> out;
    auto raw = form.all(f.name);
    for (const auto v : form.all(std::string(f.name) + "[]")) raw.push_back(v);
    for (const auto v : raw) {
        if (f.kind == Kind::text || f.kind == Kind::choice || f.kind == Kind::check) {
            const auto t = trim(v);
            if (!t.empty()) out.emplace_back(t);
            if (!out.empty()) break;
            continue;
        }
        std::string cur;
        const auto flush = [&] {
            const auto t = trim(cur);
            if (!t.empty()) out.emplace_back(t);
            cur.clear();
        };
        for (const char c : v) {
            const bool sep = c == '\n' || c == '\r' ||
                             (f.kind == Kind::words && (c == ' ' || c == '\t' || c == ','));
            if (sep) {
                flush();
            } else {
                cur += c;
            }
        }
        flush();
    }
    return out;
}

/// RFC 3986 §3.1: scheme ":" followed by something.
bool absolute_uri(std::string_view u) {
    const auto colon = u.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= u.size()) return false;
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(u[0])) return false;
    for (std::size_t i = 1; i < colon; ++i) {
        const char c = u[i];
        if (!alpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') return false;
    }
    for (const char c : u) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
    }
    return true;
}

bool web_uri(std::string_view u) {
    return absolute_uri(u) && (starts_with(u, "https://") || starts_with(u, "http://")) &&
           u.size() > 8;
}

bool contains_name(const std::vector<const char*>& names, std::string_view v) {
    for (const auto* n : names) {
        if (v == n) return true;
    }
    return false;
}

/// Reads the submitted fields into `c` (only those of the form shown) and returns the
/// problems found, keyed by field name; `c` is written only when there are none.
std::vector<std::pair<std::string, std::string>> apply_form(const http::Params& form, Client& c,
                                                            bool add, store::Store& store) {
    std::vector<std::pair<std::string, std::string>> errors;
    const auto bad = [&](const char* field, std::string msg) {
        errors.emplace_back(field, std::move(msg));
    };
    Client out = c;
    for (const auto& f : fields()) {
        if (add && !f.on_add) continue;
        if (std::string_view(f.name) == "default_max_age") continue;  // set once validated
        auto values = form_values(form, f);
        if (values.size() > kMaxItems) {
            bad(f.name, "Too many values.");
            continue;
        }
        bool ok = true;
        for (const auto& v : values) {
            if (v.size() > kMaxValue || !valid_utf8(v)) {
                bad(f.name, "A value is too long or not valid text.");
                ok = false;
                break;
            }
        }
        if (!ok) continue;
        if (f.kind == Kind::choice && (values.empty() || !contains_name(f.choices, values[0]))) {
            bad(f.name, "Choose one of the proposed values.");
            continue;
        }
        f.set(out, values);
    }

    if (!out.client_name) bad("client_name", "The name is required.");
    for (const auto& u : out.redirect_uris) {
        // RFC 6749 §3.1.2: the redirection endpoint URI MUST be absolute and MUST NOT
        // include a fragment component.
        if (!absolute_uri(u)) {
            bad("redirect_uris", "'" + u + "' is not an absolute URI.");
        } else if (u.find('#') != std::string::npos) {
            bad("redirect_uris", "'" + u + "' contains a fragment, which RFC 6749 §3.1.2 forbids.");
        }
    }
    for (const auto& u : out.post_logout_redirect_uris) {
        if (!absolute_uri(u) || u.find('#') != std::string::npos) {
            bad("post_logout_redirect_uris",
                "'" + u + "' is not an absolute URI without fragment.");
        }
    }
    for (const auto& u : out.request_uris) {
        if (!absolute_uri(u)) bad("request_uris", "'" + u + "' is not an absolute URI.");
    }
    const std::pair<const char*, std::optional<std::string>*> web[] = {
        {"client_uri", &out.client_uri},
        {"logo_uri", &out.logo_uri},
        {"tos_uri", &out.tos_uri},
        {"policy_uri", &out.policy_uri},
        {"jwks_uri", &out.jwks_uri},
        {"sector_identifier_uri", &out.sector_identifier_uri},
        {"initiate_login_uri", &out.initiate_login_uri}};
    for (const auto& [name, value] : web) {
        if (*value && !web_uri(**value)) bad(name, "Expected an http:// or https:// URL.");
    }
    for (const auto& m : out.contacts) {
        const auto at = m.find('@');
        if (at == std::string::npos || at == 0 || at + 1 == m.size() ||
            m.find_first_of(" \t<>") != std::string::npos) {
            bad("contacts", "'" + m + "' is not an email address.");
        }
    }
    static const std::vector<const char*> kGrants = {
        "authorization_code", "refresh_token", "client_credentials",
        "password",           "implicit",      "urn:ietf:params:oauth:grant-type:jwt-bearer"};
    for (const auto& g : out.grant_types) {
        if (!contains_name(kGrants, g)) bad("grant_types", "Unknown grant type '" + g + "'.");
    }
    for (const auto& r : out.response_types) {
        // OAuth 2.0 Multiple Response Type Encoding Practices §3-5: combinations of these.
        for (const auto part : split(r, ' ')) {
            if (part != "code" && part != "token" && part != "id_token" && part != "none") {
                bad("response_types", "Unknown response type '" + r + "'.");
                break;
            }
        }
    }
    const bool needs_redirect = std::find(out.grant_types.begin(), out.grant_types.end(),
                                          "authorization_code") != out.grant_types.end() ||
                                std::find(out.grant_types.begin(), out.grant_types.end(),
                                          "implicit") != out.grant_types.end();
    if (needs_redirect && out.redirect_uris.empty()) {
        bad("redirect_uris", "The authorization code and implicit grants need a redirect URI.");
    }
    if (!add) {
        if (const auto v = form.get("default_max_age"); v && !trim(*v).empty()) {
            const auto t = trim(*v);
            if (t.size() > 9 || t.find_first_not_of("0123456789") != std::string_view::npos) {
                bad("default_max_age", "Expected a number of seconds.");
            }
        }
        if (out.subject_type && *out.subject_type != "public" && *out.subject_type != "pairwise") {
            bad("subject_type", "Expected public or pairwise.");
        }
        if (out.jwks) {
            rapidjson::Document d;
            d.Parse(out.jwks->c_str(), out.jwks->size());
            if (d.HasParseError() || !d.IsObject() || !d.HasMember("keys") ||
                !d["keys"].IsArray()) {
                bad("jwks", "Expected a JWK Set: a JSON object with a \"keys\" array.");
            }
        }
        for (const auto& a : out.audience) {
            if (a != out.client_id && !store.get_client_by_client_id(a)) {
                bad("audience", "No client has the id '" + a + "'.");
            }
        }
    }
    if (!errors.empty()) return errors;
    // default_max_age is set only now that it is known to be a small number.
    if (!add) {
        for (const auto& f : fields()) {
            if (std::string_view(f.name) == "default_max_age") f.set(out, form_values(form, f));
        }
    }
    c = std::move(out);
    return errors;
}

class ClientsRoute {
  public:
    explicit ClientsRoute(Services& s) : s_(s) {}

    http::Response list(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        const std::string q(trim(ctx.request().query.get_or("q")));
        const auto page = admin::page_number(ctx.request().query.get_or("page"));
        const auto total = s_.store->count_clients(q);
        const auto pages =
            std::max<std::size_t>(1, (total + admin::kPerPage - 1) / admin::kPerPage);
        if (!page || *page > pages) return ctx.error(404, admin::kNotFound);
        const auto clients =
            s_.store->list_clients(q, {(*page - 1) * admin::kPerPage, admin::kPerPage});
        view::Dict d;
        d.set("TITLE", "OIDC clients");
        d.set("Q", q);
        d.set("LIST_URL", ctx.request().url_for("/admin/client/"));
        d.set("ADD_URL", ctx.request().url_for("/admin/client/add"));
        d.set("TOKENS_URL", ctx.request().url_for("/admin/token/"));
        if (clients.empty()) d.show("EMPTY");
        for (const auto& c : clients) {
            view::Dict row;
            row.set("NAME", c.client_name.value_or(c.client_id));
            row.set("CLIENT_ID", c.client_id);
            row.set("CLIENT_URI", c.client_uri.value_or(""));
            row.set("EDIT_URL",
                    ctx.request().url_for("/admin/client/edit/" + url_encode(c.client_id)));
            row.set("CREATED", c.created ? admin::date_time(*c.created) : "");
            d.add_section("CLIENT", std::move(row));
        }
        admin::add_pager(d, ctx.request().url_for("/admin/client/"), q, *page, pages, total);
        return ctx.page("admin/clients.html", std::move(d));
    }

    http::Response add_form(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        Client c;
        return form_page(ctx, c, true, {}, "", 200);
    }

    http::Response add(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        if (!ctx.csrf_ok()) return ctx.error(400, admin::kBadCsrf);
        Client c;
        const auto errors = apply_form(ctx.request().form, c, true, *s_.store);
        if (!errors.empty()) return form_page(ctx, c, true, errors, "", 400);
        // Reference §1b: a random client_id and a 48-character secret for confidential
        // clients (36 random bytes, base64url).
        c.client_id = random_token(18);
        if (c.token_endpoint_auth_method != "none") c.client_secret = random_token(36);
        c.client_id_issued_at = ctx.now();
        if (s_.store->create_client(c) != store::Status::ok) {
            throw store::StoreError("could not create the client");
        }
        log::security(ctx.user()->user_name + " created the OIDC client " + c.client_id);
        return ctx.redirect("/admin/client/edit/" + url_encode(c.client_id) + "?created=1", 303);
    }

    http::Response edit_form(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        auto c = s_.store->get_client_by_client_id(ctx.request().route_param("client"));
        if (!c) return ctx.error(404, admin::kNotFound);
        std::string notice;
        if (ctx.request().query.has("created")) notice = "The client has been created.";
        if (ctx.request().query.has("secret")) notice = "A new client secret has been generated.";
        if (ctx.request().query.has("saved")) notice = "The client has been saved.";
        return form_page(ctx, *c, false, {}, notice, 200);
    }

    http::Response edit(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        if (!ctx.csrf_ok()) return ctx.error(400, admin::kBadCsrf);
        auto c = s_.store->get_client_by_client_id(ctx.request().route_param("client"));
        if (!c) return ctx.error(404, admin::kNotFound);
        const auto& form = ctx.request().form;
        const auto action = form.get_or("action", "edit");
        const auto self = "/admin/client/edit/" + url_encode(c->client_id);
        if (action == "edit") return save(ctx, *c);
        if (action == "new-client-secret") {
            if (c->token_endpoint_auth_method == "none") {
                return ctx.error(400, "A public client has no secret.");
            }
            c->client_secret = random_token(36);
            c->client_secret_expires_at.reset();
            if (s_.store->update_client(*c) != store::Status::ok) {
                throw store::StoreError("could not renew the client secret");
            }
            log::security(ctx.user()->user_name + " renewed the secret of the OIDC client " +
                          c->client_id);
            return ctx.redirect(self + "?secret=1", 303);
        }
        if (action == "new-access-token") {
            // Canaille's admin shortcut: a one-hour access token for the client itself (no
            // subject), shown once and never stored in clear.
            Grant grant;
            grant.scopes = c->scope;
            grant.scopes.erase(std::remove(grant.scopes.begin(), grant.scopes.end(), "openid"),
                               grant.scopes.end());
            auto issued =
                issue_tokens(s_, *c, std::move(grant), ctx.now(),
                             oidc_routes::issuer(s_.settings, ctx.request()), kAdminTokenLifetime);
            log::security(ctx.user()->user_name + " issued an access token for the OIDC client " +
                          c->client_id);
            return form_page(ctx, *c, false, {},
                             "A new access token has been issued; it is shown only once and "
                             "expires in one hour.",
                             200, issued.access_token);
        }
        if (action == "confirm-delete") {
            view::Dict d;
            d.set("TITLE", "Delete a client");
            d.set("NAME", c->client_name.value_or(c->client_id));
            d.set("CLIENT_ID", c->client_id);
            d.set("ACTION", ctx.request().url_for(self));
            d.set("CANCEL_URL", ctx.request().url_for(self));
            return ctx.page("admin/client_delete.html", std::move(d));
        }
        if (action == "delete") {
            if (s_.store->delete_client(c->id) != store::Status::ok) {
                throw store::StoreError("could not delete the client");
            }
            log::security(ctx.user()->user_name + " deleted the OIDC client " + c->client_id);
            return ctx.redirect("/admin/client/", 303);
        }
        return ctx.error(400, "Unknown action.");
    }

  private:
    http::Response save(Context& ctx, Client stored) {
        const auto& form = ctx.request().form;
        Client c = stored;
        // The version the person edited: compare-and-swap against it, not against what was
        // just read, so a change made meanwhile by someone else is not overwritten.
        const auto version = form.get_or("last_modified");
        if (version.empty() || version.size() > 20 ||
            version.find_first_not_of("-0123456789") != std::string_view::npos) {
            return ctx.error(400, "The form is missing its version; please reload the page.");
        }
        c.last_modified = TimePoint(TimePoint::duration(std::stoll(std::string(version))));
        const auto errors = apply_form(form, c, false, *s_.store);
        if (!errors.empty()) return form_page(ctx, c, false, errors, "", 400);
        // Switching between public and confidential keeps the secret consistent.
        if (c.token_endpoint_auth_method == "none") {
            c.client_secret.reset();
            c.client_secret_expires_at.reset();
        } else if (!c.client_secret) {
            c.client_secret = random_token(36);
        }
        const auto status = s_.store->update_client(c);
        if (status == store::Status::conflict) {
            auto fresh = s_.store->get_client(stored.id);
            if (!fresh) return ctx.error(404, admin::kNotFound);
            return form_page(ctx, *fresh, false,
                             {{"",
                               "Someone else changed this client while you were editing it. "
                               "Your changes were not saved: the form now shows the current "
                               "values; apply your changes again."}},
                             "", 409);
        }
        if (status != store::Status::ok) {
            return form_page(ctx, c, false,
                             {{"", "The client could not be saved (" +
                                       std::string(store::to_string(status)) + ")."}},
                             "", 400);
        }
        log::security(ctx.user()->user_name + " edited the OIDC client " + c.client_id);
        return ctx.redirect("/admin/client/edit/" + url_encode(c.client_id) + "?saved=1", 303);
    }

    http::Response form_page(Context& ctx, const Client& c, bool add,
                             const std::vector<std::pair<std::string, std::string>>& errors,
                             const std::string& notice, int status,
                             const std::string& new_access_token = "") {
        view::Dict d;
        d.set("TITLE", add ? "Add a client" : "Edit a client");
        d.set("LIST_URL", ctx.request().url_for("/admin/client/"));
        if (!notice.empty()) {
            view::Dict n;
            n.set("TEXT", notice);
            d.add_section("NOTICE", std::move(n));
        }
        if (!new_access_token.empty()) {
            view::Dict t;
            t.set("TOKEN", new_access_token);
            d.add_section("NEW_ACCESS_TOKEN", std::move(t));
        }
        for (const auto& [field, message] : errors) {
            if (!field.empty()) continue;
            view::Dict e;
            e.set("TEXT", message);
            d.add_section("ERROR", std::move(e));
        }
        if (add) {
            d.show("ADD");
            d.set("ACTION", ctx.request().url_for("/admin/client/add"));
        } else {
            const auto self =
                ctx.request().url_for("/admin/client/edit/" + url_encode(c.client_id));
            view::Dict e;
            e.set("CLIENT_ID", c.client_id);
            if (c.client_secret) {
                view::Dict s;
                s.set("SECRET", *c.client_secret);
                s.set("ACTION", self);
                s.set("CSRF_TOKEN", ctx.csrf_token());
                e.add_section("SECRET", std::move(s));
            }
            e.set("ISSUED", c.client_id_issued_at ? admin::date_time(*c.client_id_issued_at) : "");
            e.set("SECRET_EXPIRES", c.client_secret_expires_at
                                        ? admin::date_time(*c.client_secret_expires_at)
                                        : "never");
            e.set("ACTION", self);
            e.set("CSRF_TOKEN", ctx.csrf_token());
            d.add_section("EDIT", std::move(e));
            d.set("ACTION", self);
            d.set("LAST_MODIFIED", c.last_modified
                                       ? std::to_string(c.last_modified->time_since_epoch().count())
                                       : "");
        }
        for (const auto& f : fields()) {
            if (add && !f.on_add) continue;
            view::Dict row;
            row.set("NAME", f.name);
            row.set("LABEL", f.label);
            std::string value = f.get(c);
            if (f.kind == Kind::words) {
                // split() returns views: the string they point into must outlive the loop.
                const std::string lines = std::move(value);
                value.clear();
                for (const auto& w : split(lines, '\n')) {
                    if (!value.empty()) value += " ";
                    value += std::string(w);
                }
            }
            view::Dict input;
            input.set("NAME", f.name);
            input.set("VALUE", value);
            switch (f.kind) {
                case Kind::text:
                case Kind::words:
                    row.add_section("INPUT", std::move(input));
                    break;
                case Kind::lines:
                    row.add_section("AREA", std::move(input));
                    break;
                case Kind::check:
                    if (!value.empty()) input.show("CHECKED");
                    row.add_section("CHECK", std::move(input));
                    break;
                case Kind::choice:
                    for (const auto* option : f.choices) {
                        view::Dict o;
                        o.set("VALUE", option);
                        if (value == option) o.show("SELECTED");
                        input.add_section("OPTION", std::move(o));
                    }
                    row.add_section("SELECT", std::move(input));
                    break;
            }
            for (const auto& [field, message] : errors) {
                if (field != f.name) continue;
                view::Dict e;
                e.set("TEXT", message);
                row.add_section("FIELD_ERROR", std::move(e));
            }
            d.add_section("FIELD", std::move(row));
        }
        return ctx.page("admin/client_form.html", std::move(d), status);
    }

    Services& s_;
};

}  // namespace

void register_admin_clients(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto route = std::make_shared<ClientsRoute>(services);
    app.get("/admin/client/", [route](Context& c) { return route->list(c); });
    app.get("/admin/client", [](Context& c) { return c.redirect("/admin/client/", 301); });
    app.get("/admin/client/add", [route](Context& c) { return route->add_form(c); });
    app.post("/admin/client/add", [route](Context& c) { return route->add(c); });
    app.get("/admin/client/edit/<client>", [route](Context& c) { return route->edit_form(c); });
    app.post("/admin/client/edit/<client>", [route](Context& c) { return route->edit(c); });
}

}  // namespace canaille::app
