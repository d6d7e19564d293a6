// SPDX-License-Identifier: MIT
// The index redirect rules, /about, /health and the profile page (reference §1a
// "account").
#include "app/web_app.hpp"
#include "util/clock.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

using account::Permission;

/// GET / (reference §1a): anonymous → /login; edit_self or manage_users → own profile;
/// use_oidc → the consent list; otherwise /about.
http::Response index(Context& ctx) {
    if (!ctx.user()) return ctx.redirect("/login");
    if (ctx.can(Permission::edit_self) || ctx.can(Permission::manage_users)) {
        return ctx.redirect("/profile/" + url_encode(ctx.user()->user_name));
    }
    return ctx.redirect("/about");
}

http::Response about(Context& ctx) {
    view::Dict d;
    d.set("TITLE", "About");
    d.set("VERSION", CANAILLE_VERSION);
    return ctx.page("core/about.html", std::move(d));
}

http::Response health(Context&) {
    auto r = http::Response::json(R"({"status":"ok"})");
    r.set_header("Cache-Control", "no-store");
    return r;
}

void set_optional(view::Dict& d, const std::string& key, const std::optional<std::string>& v) {
    if (v && !v->empty()) {
        view::Dict row;
        row.set("LABEL", key);
        row.set("VALUE", *v);
        d.add_section("FIELD", std::move(row));
    }
}

/// GET /profile/<user>: self, or anyone with manage_users; everyone else gets 404 so the
/// page does not reveal which accounts exist.
http::Response profile(Context& ctx) {
    if (!ctx.user()) {
        return http::Response::redirect(ctx.request().url_for("/login") + "?next=" +
                                        url_encode(ctx.request().url_for(ctx.request().path)));
    }
    const auto name = ctx.request().route_param("user");
    const bool self = ctx.user()->user_name == name;
    if (!(self && ctx.can(Permission::edit_self)) && !ctx.can(Permission::manage_users)) {
        return ctx.error(404, "The page you are looking for does not exist.");
    }
    auto user = self ? ctx.user() : ctx.services().store->get_user_by_name(name);
    if (!user) return ctx.error(404, "The page you are looking for does not exist.");

    view::Dict d;
    d.set("TITLE", "Profile");
    d.set("USER_NAME", user->user_name);
    d.set("DISPLAY", user->formatted_name.value_or(user->display_name.value_or(user->user_name)));
    set_optional(d, "Given name", user->given_name);
    set_optional(d, "Family name", user->family_name);
    set_optional(d, "Display name", user->display_name);
    for (const auto& e : user->emails) set_optional(d, "Email", e);
    for (const auto& p : user->phone_numbers) set_optional(d, "Phone number", p);
    set_optional(d, "Address", user->formatted_address);
    set_optional(d, "Organization", user->organization);
    set_optional(d, "Title", user->title);
    set_optional(d, "Department", user->department);
    set_optional(d, "Website", user->profile_url);
    set_optional(d, "Preferred language", user->preferred_language);
    for (const auto& gid : user->groups) {
        if (auto g = ctx.services().store->get_group(gid)) {
            view::Dict row;
            row.set("NAME", g->display_name);
            d.add_section("GROUP", std::move(row));
        }
    }
    return ctx.page("core/profile.html", std::move(d));
}

}  // namespace

void register_core_pages(WebApp& app, Services&) {
    app.get("/", index);
    app.get("/about", about);
    app.get("/health", health);
    app.get("/profile/<user>", profile);
}

}  // namespace canaille::app
