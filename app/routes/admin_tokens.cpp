// SPDX-License-Identifier: MIT
// OIDC token administration (reference §1b "tokens.py"): list with search and pages, view,
// revoke after a confirmation. Revoking is a CSRF-protected POST.
#include <memory>

#include "app/routes/admin_common.hpp"
#include "app/web_app.hpp"
#include "util/log.hpp"

namespace canaille::app {
namespace {

std::string status_of(const model::Token& t, TimePoint now) {
    if (t.revoked()) return "revoked";
    if (t.expired(now)) return "expired";
    return "active";
}

std::string join_words(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += " ";
        out += s;
    }
    return out;
}

class TokensRoute {
  public:
    explicit TokensRoute(Services& s) : s_(s) {}

    http::Response list(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        const std::string q(trim(ctx.request().query.get_or("q")));
        const auto page = admin::page_number(ctx.request().query.get_or("page"));
        const auto total = s_.store->count_tokens(q);
        const auto pages =
            std::max<std::size_t>(1, (total + admin::kPerPage - 1) / admin::kPerPage);
        if (!page || *page > pages) return ctx.error(404, admin::kNotFound);
        const auto tokens =
            s_.store->list_tokens(q, {(*page - 1) * admin::kPerPage, admin::kPerPage});
        view::Dict d;
        d.set("TITLE", "OIDC tokens");
        d.set("Q", q);
        d.set("LIST_URL", ctx.request().url_for("/admin/token/"));
        d.set("CLIENTS_URL", ctx.request().url_for("/admin/client/"));
        if (tokens.empty()) d.show("EMPTY");
        const auto now = ctx.now();
        for (const auto& t : tokens) {
            view::Dict row;
            row.set("TOKEN_ID", t.token_id);
            row.set("URL", ctx.request().url_for("/admin/token/" + url_encode(t.token_id)));
            row.set("CLIENT_ID", t.client_id);
            row.set("SUBJECT", subject_name(t));
            row.set("ISSUED", admin::date_time(t.issue_date));
            row.set("STATUS", status_of(t, now));
            d.add_section("TOKEN", std::move(row));
        }
        admin::add_pager(d, ctx.request().url_for("/admin/token/"), q, *page, pages, total);
        return ctx.page("admin/tokens.html", std::move(d));
    }

    http::Response view(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        const auto t = s_.store->get_token(ctx.request().route_param("token"));
        if (!t) return ctx.error(404, admin::kNotFound);
        return show(ctx, *t, false);
    }

    http::Response act(Context& ctx) {
        if (auto r = admin::guard(ctx)) return *r;
        if (!ctx.csrf_ok()) return ctx.error(400, admin::kBadCsrf);
        const auto t = s_.store->get_token(ctx.request().route_param("token"));
        if (!t) return ctx.error(404, admin::kNotFound);
        const auto action = ctx.request().form.get_or("action");
        if (action == "confirm-revoke") return show(ctx, *t, true);
        if (action == "revoke") {
            if (!t->revoked()) {
                if (s_.store->revoke_token(t->token_id, ctx.now()) != store::Status::ok) {
                    throw store::StoreError("could not revoke the token");
                }
                log::security(ctx.user()->user_name + " revoked the token " + t->token_id);
            }
            return ctx.redirect("/admin/token/" + url_encode(t->token_id), 303);
        }
        return ctx.error(400, "Unknown action.");
    }

  private:
    std::string subject_name(const model::Token& t) {
        if (!t.subject) return "";
        const auto u = s_.store->get_user(*t.subject);
        return u ? u->user_name : *t.subject;
    }

    http::Response show(Context& ctx, const model::Token& t, bool confirm) {
        view::Dict d;
        d.set("TITLE", "Token " + t.token_id);
        d.set("TOKEN_ID", t.token_id);
        d.set("CLIENT_ID", t.client_id);
        if (s_.store->get_client_by_client_id(t.client_id)) {
            view::Dict c;
            c.set("URL", ctx.request().url_for("/admin/client/edit/" + url_encode(t.client_id)));
            c.set("CLIENT_ID", t.client_id);
            d.add_section("CLIENT_LINK", std::move(c));
        }
        d.set("SUBJECT", subject_name(t));
        d.set("TYPE", t.type);
        d.set("SCOPE", join_words(t.scope));
        d.set("AUDIENCE", join_words(t.audience));
        d.set("ISSUED", admin::date_time(t.issue_date));
        d.set("EXPIRES", admin::date_time(t.expires()));
        d.set("STATUS", status_of(t, ctx.now()));
        d.set("HAS_REFRESH", t.refresh_token_hash ? "yes" : "no");
        d.set("LIST_URL", ctx.request().url_for("/admin/token/"));
        d.set("ACTION", ctx.request().url_for("/admin/token/" + url_encode(t.token_id)));
        if (t.revokation_date) {
            view::Dict r;
            r.set("DATE", admin::date_time(*t.revokation_date));
            d.add_section("REVOKED", std::move(r));
        } else if (confirm) {
            d.show("CONFIRM_REVOKE");
        } else {
            d.show("CAN_REVOKE");
        }
        return ctx.page("admin/token.html", std::move(d));
    }

    Services& s_;
};

}  // namespace

void register_admin_tokens(WebApp& app, Services& services) {
    if (!services.settings.oidc.enable_oidc) return;
    auto route = std::make_shared<TokensRoute>(services);
    app.get("/admin/token/", [route](Context& c) { return route->list(c); });
    app.get("/admin/token", [](Context& c) { return c.redirect("/admin/token/", 301); });
    app.get("/admin/token/<token>", [route](Context& c) { return route->view(c); });
    app.post("/admin/token/<token>", [route](Context& c) { return route->act(c); });
}

}  // namespace canaille::app
