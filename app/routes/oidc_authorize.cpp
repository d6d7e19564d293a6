// SPDX-License-Identifier: MIT
// The authorization endpoint, GET and POST /oauth/authorize (RFC 6749 §4.1.1, OIDC Core
// §3.1.2), response type `code`, with the consent page (reference §2 "Prompt", "Consent").
//
// The consent form posts back to the same URL, the request parameters in its query string
// and `answer` (accept, deny, logout) plus a CSRF token in the body; unlike Canaille, that
// POST is CSRF-checked. A POST without `answer` is an authorization request sent with form
// serialization (OIDC Core §3.1.2.1).
#include <chrono>

#include "app/routes/oidc_common.hpp"
#include "app/web_app.hpp"
#include "oidc/authorize.hpp"
#include "oidc/tokens.hpp"
#include "oidc/trusted.hpp"
#include "util/hash.hpp"
#include "util/log.hpp"
#include "util/random.hpp"
#include "util/secret.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

using oidc_routes::encode_params;

/// Carries, through the login page, when this request was first sent there: a login at or
/// after it satisfies prompt=login and max_age (oidc::needs_login's `first_seen`), so the
/// flow does not loop. HMAC-bound to the other parameters, so it cannot be forged or moved.
constexpr std::string_view kSeenParam = "canaille_seen";
/// Canaille remembers a request's first sighting for 300 s.
constexpr auto kSeenValidity = std::chrono::seconds(300);

struct ScopeText {
    std::string_view scope;
    std::string_view description;
};

/// What the consent page says of each scope; openid is implied and not shown.
constexpr ScopeText kScopeTexts[] = {
    {"profile", "Your personal information: name, user name, picture, web page, language"},
    {"email", "Your email address"},
    {"address", "Your postal address"},
    {"phone", "Your phone number"},
    {"groups", "The groups you belong to"},
};

/// Only http(s) URIs become links and images on the page.
bool web_uri(const std::optional<std::string>& uri) {
    return uri && (starts_with(*uri, "https://") || starts_with(*uri, "http://"));
}

/// The ID token `sid` (OIDC Front-Channel Logout §2): derived from the session's stored
/// hash, so it names the session without being usable as its cookie.
std::string session_sid(const model::Session& session) {
    return sha256_hex(std::string("sid") + '\0' + session.id_hash).substr(0, 32);
}

/// RFC 8176 values from the session's methods: Canaille factor names are translated,
/// values already in RFC 8176 form are kept.
std::vector<std::string> session_amr(const model::Session& session) {
    auto amr = oidc::amr_values(session.amr);
    return amr.empty() ? session.amr : amr;
}

class AuthorizeRoute {
  public:
    explicit AuthorizeRoute(Services& s) : s_(s) {
        options_.require_nonce = s.settings.oidc.require_nonce;
        options_.registration_enabled = false;
    }

    http::Response run(Context& ctx) {
        // Steps: read parameters, validate client and request, authenticate the person,
        // check the permission, decide on consent, issue the code.
        auto& req = ctx.request();
        const bool answering = req.method == "POST" && req.form.has("answer");
        auto params =
            oidc_routes::to_params(req.method == "POST" && !answering ? req.form : req.query);
        const auto first_seen = take_seen_marker(params);

        std::optional<model::Client> client;
        if (const auto id = oidc::param(params, "client_id"); id && !id->empty()) {
            client = s_.store->get_client_by_client_id(*id);
        }
        auto request =
            oidc::validate_authorization_request(params, client ? &*client : nullptr, options_);
        const auto iss = oidc_routes::issuer(s_.settings, req);
        if (!request) return refuse(ctx, request.error(), iss);

        const auto auth_time =
            ctx.session() ? std::optional<TimePoint>(ctx.session()->auth_time) : std::nullopt;
        if (oidc::needs_login(*request, auth_time, ctx.now(), first_seen)) {
            if (request->prompt.has(oidc::Prompt::none)) {
                return redirect_error(*request, oidc::Errc::login_required, iss);
            }
            return send_to_login(ctx, params, *request);
        }
        if (!ctx.can(account::Permission::use_oidc)) {
            return page_error(ctx, 403, "You are not allowed to sign in to applications.");
        }

        const auto& user = *ctx.user();
        auto consent = s_.store->get_consent_for(user.id, client->client_id);
        if (answering) return answer(ctx, params, *request, *client, consent, iss);

        const bool trusted = oidc::is_trusted(*client, s_.settings.oidc.trusted_domains);
        switch (oidc::consent_needed(*request, *client, consent ? &*consent : nullptr, trusted,
                                     first_seen)) {
            case oidc::ConsentDecision::skip:
                return issue_code(ctx, *request, iss);
            case oidc::ConsentDecision::consent_required:
                return redirect_error(*request, oidc::Errc::consent_required, iss);
            case oidc::ConsentDecision::ask:
                break;
        }
        return consent_page(ctx, params, *request, *client);
    }

  private:
    /// RFC 6749 §4.1.2.1: before client and redirect_uri are validated, never redirect.
    http::Response refuse(Context& ctx, const oidc::AuthorizeError& error, const std::string& iss) {
        if (error.redirectable) return http::Response::redirect(oidc::error_redirect(error, iss));
        return page_error(
            ctx, 400,
            "The application sent an invalid sign-in request: " + error.error.description);
    }

    static http::Response redirect_error(const oidc::AuthorizationRequest& request, oidc::Errc code,
                                         const std::string& iss) {
        return http::Response::redirect(oidc::error_redirect(request, oidc::Error{code, ""}, iss));
    }

    /// An HTML page even though /oauth/ paths answer errors in JSON: a person reads it.
    static http::Response page_error(Context& ctx, int status, const std::string& message) {
        view::Dict d;
        d.set("TITLE", std::string(http::status_reason(status)));
        d.set("STATUS", std::to_string(status));
        d.set("MESSAGE", message);
        return ctx.page("error.html", std::move(d), status);
    }

    std::string seen_mac(const std::string& stamp, const oidc::Params& params) const {
        return to_hex(
            hmac_sha256(s_.settings.secret_key.reveal(),
                        std::string("oidc-seen") + '\0' + stamp + '\0' + encode_params(params)));
    }

    /// Removes the marker from `params`; returns its time when authentic and recent.
    std::optional<TimePoint> take_seen_marker(oidc::Params& params) const {
        std::optional<std::string> marker;
        for (auto it = params.begin(); it != params.end();) {
            if (it->first == kSeenParam) {
                if (!marker) marker = it->second;
                it = params.erase(it);
            } else {
                ++it;
            }
        }
        if (!marker) return std::nullopt;
        const auto dot = marker->find('.');
        if (dot == std::string::npos || dot == 0 || dot > 12) return std::nullopt;
        const auto stamp = marker->substr(0, dot);
        if (stamp.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        if (!constant_time_equal(marker->substr(dot + 1), seen_mac(stamp, params))) {
            return std::nullopt;
        }
        const auto seen = from_unix(std::stoll(stamp));
        const auto now = s_.clock->now();
        if (seen > now || now - seen > kSeenValidity) return std::nullopt;
        return seen;
    }

    /// The authorize URL with `params` and a fresh marker, for `next` and the consent form.
    std::string authorize_url(const http::Request& req, const oidc::Params& params,
                              std::optional<TimePoint> seen) const {
        auto query = encode_params(params);
        if (seen) {
            const auto stamp = std::to_string(to_unix(*seen));
            query += std::string(query.empty() ? "" : "&") + std::string(kSeenParam) + "=" + stamp +
                     "." + seen_mac(stamp, params);
        }
        return req.url_for("/oauth/authorize") + "?" + query;
    }

    /// Anonymous, or a re-authentication asked by prompt=login, select_account or max_age:
    /// the current session ends (Canaille does the same) and the login page returns here.
    http::Response send_to_login(Context& ctx, const oidc::Params& params,
                                 const oidc::AuthorizationRequest& request) {
        if (ctx.user()) ctx.sign_out();
        const auto next = authorize_url(ctx.request(), params, ctx.now());
        std::string login = "/login";
        if (request.login_hint && !request.login_hint->empty() &&
            request.login_hint->size() <= 256 &&
            request.login_hint->find_first_of("/\\") == std::string::npos) {
            login += "/" + url_encode(*request.login_hint);
        }
        return http::Response::redirect(ctx.request().url_for(login) + "?next=" + url_encode(next));
    }

    http::Response consent_page(Context& ctx, const oidc::Params& params,
                                const oidc::AuthorizationRequest& request,
                                const model::Client& client) {
        view::Dict d;
        const auto name = client.client_name.value_or(client.client_id);
        d.set("TITLE", "Authorize " + name);
        d.set("CLIENT_NAME", name);
        d.set("USER_NAME", ctx.user()->user_name);
        d.set("ACTION", authorize_url(ctx.request(), params, std::nullopt));
        d.set("CSRF_TOKEN", ctx.csrf_token());
        const auto link = [&d](const char* section, const std::optional<std::string>& uri) {
            if (!web_uri(uri)) return;
            view::Dict v;
            v.set("URI", *uri);
            d.add_section(section, std::move(v));
        };
        link("LOGO", client.logo_uri);
        link("CLIENT_URI", client.client_uri);
        link("TOS", client.tos_uri);
        link("POLICY", client.policy_uri);
        for (const auto& scope : request.scopes) {
            if (scope == "openid") continue;
            view::Dict row;
            row.set("SCOPE", scope);
            std::string text = scope;
            for (const auto& known : kScopeTexts) {
                if (known.scope == scope) text = std::string(known.description);
            }
            row.set("DESCRIPTION", text);
            d.add_section("SCOPE", std::move(row));
        }
        return ctx.page("oidc/consent.html", std::move(d));
    }

    http::Response answer(Context& ctx, const oidc::Params& params,
                          const oidc::AuthorizationRequest& request, const model::Client& client,
                          std::optional<model::Consent> consent, const std::string& iss) {
        if (!ctx.csrf_ok()) {
            return page_error(ctx, 400,
                              "The form has expired or its CSRF token is invalid; please go "
                              "back to the application and sign in again.");
        }
        const auto choice = ctx.request().form.get_or("answer");
        if (choice == "logout") {
            ctx.sign_out();
            return http::Response::redirect(authorize_url(ctx.request(), params, std::nullopt));
        }
        if (choice == "deny") {
            log::security(ctx.user()->user_name + " denied consent to " + client.client_id);
            return redirect_error(request, oidc::Errc::access_denied, iss);
        }
        if (choice != "accept") return page_error(ctx, 400, "Unknown answer.");
        record_consent(ctx, request, client, std::move(consent));
        return issue_code(ctx, request, iss);
    }

    /// Reference §2 "Consent": accepting merges the scopes and lifts a revocation.
    void record_consent(Context& ctx, const oidc::AuthorizationRequest& request,
                        const model::Client& client, std::optional<model::Consent> consent) {
        const auto now = ctx.now();
        store::Status status;
        if (consent) {
            consent->scope = oidc::merge_scopes(consent->scope, request.scopes);
            consent->issue_date = now;
            consent->revokation_date.reset();
            status = s_.store->update_consent(*consent);
        } else {
            model::Consent c;
            c.consent_id = random_uuid();
            c.subject = ctx.user()->id;
            c.client_id = client.client_id;
            c.scope = request.scopes;
            c.issue_date = now;
            status = s_.store->create_consent(c);
        }
        if (status != store::Status::ok) {
            throw store::StoreError("could not record the consent: " +
                                    std::string(store::to_string(status)));
        }
    }

    /// RFC 6749 §4.1.2: a random code, stored only as its SHA-256, with what the token
    /// endpoint needs to check the exchange and build the ID token.
    http::Response issue_code(Context& ctx, const oidc::AuthorizationRequest& request,
                              const std::string& iss) {
        const auto now = ctx.now();
        const auto lifetime = s_.settings.oidc.authorization_code_lifetime;
        // Reference §2 "ID token": a nonce is accepted once per client.
        if (request.nonce) {
            const auto key = "nonce:" + sha256_hex(request.client_id + '\0' + *request.nonce);
            const auto keep = std::max(lifetime, s_.settings.oidc.id_token_lifetime);
            if (!s_.store->remember_jti(key, now + std::chrono::seconds(keep))) {
                return http::Response::redirect(oidc::error_redirect(
                    request, oidc::Error{oidc::Errc::invalid_request, "nonce already used"}, iss));
            }
        }
        const auto& session = *ctx.session();
        const auto code = random_token(32);
        model::AuthorizationCode c;
        c.authorization_code_id = random_uuid();
        c.code_hash = sha256_hex(code);
        c.client_id = request.client_id;
        c.subject = ctx.user()->id;
        if (request.redirect_uri_given) c.redirect_uri = request.redirect_uri;
        c.response_type = request.response_type;
        c.scope = request.scopes;
        c.nonce = request.nonce;
        c.issue_date = now;
        c.lifetime = lifetime;
        c.challenge = request.code_challenge;
        if (request.code_challenge) c.challenge_method = request.code_challenge_method;
        c.auth_time = session.auth_time;
        c.amr = session_amr(session);
        c.sid = session_sid(session);
        if (const auto st = s_.store->create_code(c); st != store::Status::ok) {
            throw store::StoreError("could not store the authorization code: " +
                                    std::string(store::to_string(st)));
        }
        return http::Response::redirect(oidc::code_redirect(request, code, iss));
    }

    Services& s_;
    oidc::AuthorizeOptions options_;
};

}  // namespace

void register_oidc_authorize(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto route = std::make_shared<AuthorizeRoute>(services);
    app.get("/oauth/authorize", [route](Context& c) { return route->run(c); });
    app.post("/oauth/authorize", [route](Context& c) { return route->run(c); });
}

}  // namespace canaille::app
