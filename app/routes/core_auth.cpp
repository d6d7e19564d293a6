// SPDX-License-Identifier: MIT
// Sign-in and sign-out (reference §1a "auth"): /login, /login/<username>, /logout.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "app/accounts.hpp"
#include "app/web_app.hpp"
#include "auth/password.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace canaille::app {
namespace {

constexpr std::string_view kLoginFailed = "Login failed, please check your credentials.";
constexpr auto kLockoutWindow = std::chrono::seconds(600);

/// Intruder lockout (reference §7): after n recent failures the next attempt must wait
/// min(2·2^(n−1), 600) s from the last failure. Returns the seconds still to wait.
long lockout_remaining(const model::User& user, TimePoint now) {
    std::vector<TimePoint> recent;
    for (const auto& t : user.password_failure_timestamps) {
        if (now - t < kLockoutWindow) recent.push_back(t);
    }
    if (recent.empty()) return 0;
    const auto last = *std::max_element(recent.begin(), recent.end());
    const double delay =
        std::min(2.0 * std::pow(2.0, static_cast<double>(recent.size()) - 1.0), 600.0);
    const auto since = std::chrono::duration_cast<std::chrono::seconds>(now - last).count();
    return std::max(0L, static_cast<long>(delay) - static_cast<long>(since));
}

class LoginRoute {
  public:
    explicit LoginRoute(Services& s) : s_(s) {}

    http::Response show(Context& ctx) {
        if (ctx.user()) return ctx.redirect("/");
        auto prefill = std::string(ctx.request().route_param("username"));
        return form(ctx, prefill, "", 200);
    }

    http::Response submit(Context& ctx) {
        // Steps: csrf, read fields, find account, throttle, verify, sign in, redirect.
        if (!ctx.csrf_ok()) {
            return ctx.error(400,
                             "The form has expired or its CSRF token is invalid; "
                             "please reload the page and try again.");
        }
        const auto& form_data = ctx.request().form;
        const auto login = std::string(trim(form_data.get_or("login")));
        const auto password = form_data.get_or("password");
        if (login.empty() || password.empty()) {
            return form(ctx, login, "Please enter your login and your password.", 200);
        }
        if (login.size() > kMaxLoginBytes || password.size() > kMaxPasswordBytes) {
            return form(ctx, "", std::string(kLoginFailed), 200);
        }
        const auto remote = ctx.request().remote_addr;

        auto user = find_account(s_, login);
        if (!user) {
            (void)check_account_password(s_, nullptr, password);
            log::security("failed login for an unknown account from " + remote);
            return form(ctx, login, std::string(kLoginFailed), 200);
        }
        const auto now = ctx.now();
        if (s_.settings.canaille.enable_intruder_lockout) {
            if (const auto wait = lockout_remaining(*user, now); wait > 0) {
                return form(
                    ctx, login,
                    "Too many attempts. Please try again in " + std::to_string(wait) + " seconds.",
                    200);
            }
        }
        const auto checked = check_account_password(s_, &*user, password);
        using store::PasswordVerdict;
        switch (checked.verdict) {
            case PasswordVerdict::mismatch:
                record_failure(*user, now);
                log::security("failed login for " + user->user_name + " from " + remote);
                return form(ctx, login, std::string(kLoginFailed), 200);
            case PasswordVerdict::locked:
                log::security("refused login for locked account " + user->user_name + " from " +
                              remote);
                return form(ctx, login, "Your account has been locked.", 200);
            case PasswordVerdict::expired:
                log::security("refused login with an expired password for " + user->user_name +
                              " from " + remote);
                return form(ctx, login,
                            "Your password has expired. Please ask an administrator to reset it.",
                            200);
            case PasswordVerdict::must_change:
                // The directory reset it (ppolicy pwdReset): the sign-in stands, as in Canaille.
                log::security("login with a password to change for " + user->user_name);
                break;
            case PasswordVerdict::ok:
                break;
        }
        if (user->locked(now)) {
            log::security("refused login for locked account " + user->user_name + " from " +
                          remote);
            return form(ctx, login, "Your account has been locked.", 200);
        }
        if (checked.rehashed || !user->password_failure_timestamps.empty()) {
            user->password_failure_timestamps.clear();
            if (s_.store->update_user(*user) != store::Status::ok) {
                log::warning("could not update the password hash of " + user->user_name);
            }
        }
        const bool remember = form_data.has("remember") || !form_data.has("remember_set");
        ctx.sign_in(*user, {"pwd"}, remember);
        log::security("successful login for " + user->user_name + " from " + remote);

        auto next = safe_next(ctx.request(), ctx.request().query.get_or("next"));
        if (next.empty()) next = safe_next(ctx.request(), form_data.get_or("next"));
        if (!next.empty()) return http::Response::redirect(next);
        return ctx.redirect("/");
    }

  private:
    void record_failure(model::User& user, TimePoint now) {
        if (!s_.settings.canaille.enable_intruder_lockout) return;
        auto& stamps = user.password_failure_timestamps;
        stamps.erase(std::remove_if(stamps.begin(), stamps.end(),
                                    [&](TimePoint t) { return now - t >= kLockoutWindow; }),
                     stamps.end());
        stamps.push_back(now);
        (void)s_.store->update_user(user);
    }

    http::Response form(Context& ctx, const std::string& login, const std::string& message,
                        int status) {
        view::Dict d;
        d.set("TITLE", "Sign in");
        d.set("LOGIN", login);
        d.set("ACTION", ctx.request().url_for("/login"));
        d.set("CSRF_TOKEN", ctx.csrf_token());
        const auto next = safe_next(ctx.request(), ctx.request().query.get_or("next"));
        if (!next.empty()) {
            view::Dict n;
            n.set("NEXT", next);
            d.add_section("HAS_NEXT", std::move(n));
        }
        if (!message.empty()) {
            view::Dict e;
            e.set("MESSAGE", message);
            d.add_section("ERROR", std::move(e));
        }
        return ctx.page("core/login.html", std::move(d), status);
    }

    Services& s_;
};

class LogoutRoute {
  public:
    http::Response run(Context& ctx) {
        if (ctx.user()) {
            log::security("logout of " + ctx.user()->user_name + " from " +
                          ctx.request().remote_addr);
        }
        ctx.sign_out();
        return ctx.redirect("/login");
    }
};

}  // namespace

void register_core_auth(WebApp& app, Services& services) {
    auto login = std::make_shared<LoginRoute>(services);
    auto logout = std::make_shared<LogoutRoute>();
    app.get("/login", [login](Context& c) { return login->show(c); });
    app.get("/login/<username>", [login](Context& c) { return login->show(c); });
    app.post("/login", [login](Context& c) { return login->submit(c); });
    app.post("/login/<username>", [login](Context& c) { return login->submit(c); });
    // GET is kept for Canaille compatibility; the page offers a POST form with CSRF.
    app.get("/logout", [logout](Context& c) { return logout->run(c); });
    app.post("/logout", [logout](Context& c) { return logout->run(c); });
}

}  // namespace canaille::app
