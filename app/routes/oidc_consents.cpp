// SPDX-License-Identifier: MIT
// The person's consents (reference §1b "consents.py"): GET /consent/ lists them; revoking
// and restoring are CSRF-protected POSTs, where Canaille used state-changing GETs.
// Revoking also revokes the live tokens of that person for that client.
#include <ctime>

#include "app/routes/oidc_common.hpp"
#include "app/web_app.hpp"
#include "oidc/scope.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

std::string day(TimePoint t) {
    const std::time_t s = to_unix(t);
    std::tm tm{};
    gmtime_r(&s, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

void add_link(view::Dict& d, const char* section, const std::optional<std::string>& uri) {
    if (!uri || !(starts_with(*uri, "https://") || starts_with(*uri, "http://"))) return;
    view::Dict v;
    v.set("URI", *uri);
    d.add_section(section, std::move(v));
}

class ConsentsRoute {
  public:
    explicit ConsentsRoute(Services& s) : s_(s) {}

    http::Response list(Context& ctx) {
        if (!ctx.user()) return to_login(ctx);
        view::Dict d;
        d.set("TITLE", "My consents");
        const auto csrf = ctx.csrf_token();
        d.set("CSRF_TOKEN", csrf);
        const auto consents = s_.store->list_consents_of(ctx.user()->id);
        if (consents.empty()) d.show("EMPTY");
        for (const auto& c : consents) {
            const auto client = s_.store->get_client_by_client_id(c.client_id);
            view::Dict row;
            row.set("CLIENT_NAME",
                    client && client->client_name ? *client->client_name : c.client_id);
            if (client) {
                add_link(row, "CLIENT_URI", client->client_uri);
                add_link(row, "TOS", client->tos_uri);
                add_link(row, "POLICY", client->policy_uri);
            }
            row.set("SCOPES", oidc::join_scope(c.scope));
            row.set("ISSUED", day(c.issue_date));
            if (c.revokation_date) {
                view::Dict r;
                r.set("DATE", day(*c.revokation_date));
                row.add_section("REVOKED", std::move(r));
            }
            const auto action = c.revoked() ? "restore" : "revoke";
            row.set("ACTION", ctx.request().url_for("/consent/" + std::string(action) + "/" +
                                                    url_encode(c.consent_id)));
            row.set("BUTTON", c.revoked() ? "Restore access" : "Revoke access");
            row.set("CSRF_TOKEN", csrf);
            d.add_section("CONSENT", std::move(row));
        }
        return ctx.page("oidc/consents.html", std::move(d));
    }

    http::Response revoke(Context& ctx) { return change(ctx, true); }
    http::Response restore(Context& ctx) { return change(ctx, false); }

  private:
    static http::Response to_login(Context& ctx) {
        return http::Response::redirect(ctx.request().url_for("/login") +
                                        "?next=" + url_encode(ctx.request().url_for("/consent/")));
    }

    http::Response change(Context& ctx, bool revoke) {
        // Steps: signed in, CSRF, the consent is this person's, change it, back to the list.
        if (!ctx.user()) return to_login(ctx);
        if (!ctx.csrf_ok()) {
            return ctx.error(400,
                             "The form has expired or its CSRF token is invalid; please reload "
                             "the page and try again.");
        }
        auto consent = s_.store->get_consent(ctx.request().route_param("consent"));
        // Someone else's consent is not acknowledged.
        if (!consent || consent->subject != ctx.user()->id) {
            return ctx.error(404, "The page you are looking for does not exist.");
        }
        const auto now = ctx.now();
        if (revoke && !consent->revoked()) {
            consent->revokation_date = now;
            if (s_.store->update_consent(*consent) != store::Status::ok) {
                throw store::StoreError("could not revoke the consent");
            }
            const auto n = s_.store->revoke_tokens_of(consent->subject, consent->client_id, now);
            log::security(ctx.user()->user_name + " revoked the consent to " + consent->client_id +
                          "; " + std::to_string(n) + " token(s) revoked");
        } else if (!revoke && consent->revoked()) {
            consent->revokation_date.reset();
            if (s_.store->update_consent(*consent) != store::Status::ok) {
                throw store::StoreError("could not restore the consent");
            }
        }
        return ctx.redirect("/consent/", 303);
    }

    Services& s_;
};

}  // namespace

void register_oidc_consents(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto route = std::make_shared<ConsentsRoute>(services);
    app.get("/consent/", [route](Context& c) { return route->list(c); });
    app.get("/consent", [](Context& c) { return c.redirect("/consent/", 301); });
    app.post("/consent/revoke/<consent>", [route](Context& c) { return route->revoke(c); });
    app.post("/consent/restore/<consent>", [route](Context& c) { return route->restore(c); });
}

}  // namespace canaille::app
