// SPDX-License-Identifier: MIT
// The sign-in journey through a real nginx (the shipped snippets) in front of
// `canaille fcgi --workers 2`, at the vhost root and under /auth, plus hostile input and
// a worker crash. Runs on the store named by $CANAILLE_TEST_BACKEND (meson registers it
// once per backend); the [postgresql] cases restart the database server under the workers.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "fixtures/canaille_fixture.hpp"
#include "fixtures/files.hpp"
#include "fixtures/http_client.hpp"
#include "fixtures/nginx_fixture.hpp"
#include "fixtures/postgres_server.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace canaille::fixtures;
using namespace std::chrono_literals;

namespace {

const std::string kUser = "alice";
const std::string kPassword = "correct horse battery staple";

/// TempDir + canaille (the backend from the environment, one user, fcgi with 2 workers) +
/// nginx with one snippet.
class Stack {
  public:
    explicit Stack(const std::string& snippet) : canaille_(dir_, require_binary()) {
        canaille_.create_user(kUser, kPassword);
        canaille_.start_fcgi(2);
        nginx_ = std::make_unique<NginxFixture>(
            dir_, NginxOptions{snippet, canaille_.socket_path(), "", ""});
    }
    ~Stack() {
        // Meson keeps a test's output in its log and shows it when the test fails: the
        // server logs are what explains a failed check.
        std::cerr << diagnostics() << std::endl;
        nginx_.reset();
    }
    Stack(const Stack&) = delete;
    Stack& operator=(const Stack&) = delete;
    Stack(Stack&&) = delete;
    Stack& operator=(Stack&&) = delete;

    CanailleFixture& canaille() { return canaille_; }
    NginxFixture& nginx() { return *nginx_; }
    [[nodiscard]] std::string diagnostics() const {
        return "--- canaille fcgi log (tail) ---\n" + tail(canaille_.fcgi_log()) +
               "\n--- nginx error log (tail) ---\n" + (nginx_ ? tail(nginx_->error_log()) : "");
    }

  private:
    static std::string tail(const std::string& text) {
        constexpr std::size_t kTail = 4096;
        return text.size() <= kTail ? text : text.substr(text.size() - kTail);
    }
    static std::string require_binary() {
        std::string bin = canaille_binary();
        if (bin.empty()) {
            throw std::runtime_error("CANAILLE_BIN is not set (meson sets it for `meson test`)");
        }
        return bin;
    }

    TempDir dir_;
    CanailleFixture canaille_;
    std::unique_ptr<NginxFixture> nginx_;
};

std::string path_only(const std::optional<std::string>& location) {
    if (!location) {
        return "<no Location>";
    }
    return location->substr(0, location->find('?'));
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string session_set_cookie(const HttpResponse& r) {
    for (const auto& c : r.set_cookies()) {
        if (c.rfind("canaille=", 0) == 0) {
            return c;
        }
    }
    return "";
}

/// GET <mount>/login and return the CSRF token of the form.
std::string fresh_csrf(HttpClient& http, const std::string& mount) {
    auto form = http.get(mount + "/login");
    REQUIRE(form.status == 200);
    auto csrf = form_input_value(form.body, "csrf_token");
    REQUIRE(csrf.has_value());
    REQUIRE_FALSE(csrf->empty());
    return *csrf;
}

HttpResponse sign_in(HttpClient& http, const std::string& mount, const std::string& login,
                     const std::string& password) {
    const std::string csrf = fresh_csrf(http, mount);
    return http.post_form(mount + "/login",
                          {{"login", login}, {"password", password}, {"csrf_token", csrf}});
}

std::string first_css_asset() {
    const std::filesystem::path css = source_root() + "/assets/css";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(css, ec)) {
        if (entry.path().extension() == ".css") {
            return entry.path().filename().string();
        }
    }
    return "";
}

void check_login_journey(Stack& stack, const std::string& mount) {
    INFO("mount: '" << mount << "'");
    HttpClient http(stack.nginx().base_url());

    // Anonymous visitors are sent to the login form.
    auto home = http.get(mount + "/");
    CHECK(home.status == 302);
    CHECK(path_only(home.location_path()) == mount + "/login");

    auto form = http.get(mount + "/login");
    REQUIRE(form.status == 200);
    CHECK(form.body.find("name=\"login\"") != std::string::npos);
    CHECK(form.body.find("name=\"password\"") != std::string::npos);
    CHECK(form_input_value(form.body, "csrf_token").value_or("").size() >= 16);
    const std::string set_cookie = lower(session_set_cookie(form));
    CHECK(set_cookie.find("httponly") != std::string::npos);
    CHECK(set_cookie.find("samesite=lax") != std::string::npos);
    // Plain http on loopback: a Secure cookie would never come back.
    CHECK(set_cookie.find("secure") == std::string::npos);

    // Wrong password and unknown user read the same, so logins cannot be enumerated.
    auto wrong = sign_in(http, mount, kUser, "not the password");
    CHECK(wrong.status == 200);
    CHECK(wrong.body.find("Login failed") != std::string::npos);
    auto unknown = sign_in(http, mount, "nobody-here", kPassword);
    CHECK(unknown.status == 200);
    CHECK(unknown.body.find("Login failed") != std::string::npos);

    // CSRF: a missing or forged token is refused before the password is looked at.
    fresh_csrf(http, mount);
    CHECK(http.post_form(mount + "/login", {{"login", kUser}, {"password", kPassword}}).status ==
          400);
    CHECK(http.post_form(mount + "/login", {{"login", kUser},
                                            {"password", kPassword},
                                            {"csrf_token", "forged-token-value-000000000000"}})
              .status == 400);

    // The good password signs in and rotates the session id.
    fresh_csrf(http, mount);
    const auto anonymous_cookie = http.cookie("canaille");
    REQUIRE(anonymous_cookie.has_value());
    auto ok = sign_in(http, mount, kUser, kPassword);
    REQUIRE(ok.status == 302);
    CHECK(path_only(ok.location_path()) == mount + "/");
    const auto session_cookie = http.cookie("canaille");
    REQUIRE(session_cookie.has_value());
    CHECK(*session_cookie != *anonymous_cookie);

    auto signed_in_home = http.get(mount + "/");
    CHECK(signed_in_home.status == 302);
    CHECK(path_only(signed_in_home.location_path()) == mount + "/profile/" + kUser);
    auto profile = http.get(mount + "/profile/" + kUser);
    CHECK(profile.status == 200);
    CHECK(profile.body.find(kUser) != std::string::npos);

    // Static files are served by nginx itself, under the same mount.
    const std::string css = first_css_asset();
    REQUIRE_FALSE(css.empty());
    auto asset = http.get(mount + "/static/css/" + css);
    CHECK(asset.status == 200);
    CHECK(asset.header("Cache-Control") == "max-age=2592000");

    // `next` is followed when it is a local path under the mount, never to another site.
    HttpClient second(stack.nginx().base_url());
    const std::string csrf = fresh_csrf(second, mount);
    auto to_profile =
        second.post_form(mount + "/login?next=" + mount + "/profile/" + kUser,
                         {{"login", kUser}, {"password", kPassword}, {"csrf_token", csrf}});
    CHECK(to_profile.status == 302);
    CHECK(to_profile.location_path() == mount + "/profile/" + kUser);
    for (const std::string next :
         {"https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example%2Fx", "%2F%5Cevil.example"}) {
        INFO("next=" << next);
        HttpClient third(stack.nginx().base_url());
        const std::string csrf3 = fresh_csrf(third, mount);
        auto offsite =
            third.post_form(mount + "/login?next=" + next,
                            {{"login", kUser}, {"password", kPassword}, {"csrf_token", csrf3}});
        CHECK(offsite.status == 302);
        CHECK(offsite.header("Location").value_or("").find("evil.example") == std::string::npos);
    }

    auto logout = http.get(mount + "/logout");
    CHECK(logout.status == 302);
    CHECK(path_only(logout.location_path()) == mount + "/login");
    auto after = http.get(mount + "/");
    CHECK(after.status == 302);
    CHECK(path_only(after.location_path()) == mount + "/login");

    // A copy of the session cookie taken before logout is dead: the session lived on the
    // server and logout destroyed it.
    HttpClient thief(stack.nginx().base_url());
    thief.set_cookie("canaille", *session_cookie);
    auto replay_home = thief.get(mount + "/");
    CHECK(replay_home.status == 302);
    CHECK(path_only(replay_home.location_path()) == mount + "/login");
    auto replay_profile = thief.get(mount + "/profile/" + kUser);
    CHECK(replay_profile.status == 302);
    CHECK(path_only(replay_profile.location_path()) == mount + "/login");
}

void check_hostile_input(Stack& stack, const std::string& mount) {
    INFO("mount: '" << mount << "'");
    HttpClient http(stack.nginx().base_url());
    const std::string csrf = fresh_csrf(http, mount);

    // Over client_max_body_size: nginx refuses before the app reads anything.
    CHECK(http.post_raw(mount + "/login", "application/x-www-form-urlencoded",
                        std::string(20 << 20, 'a'))
              .status == 413);

    // Beyond large_client_header_buffers: nginx answers 400.
    auto huge = http.get(mount + "/login", {"Cookie: junk=" + std::string(64 << 10, 'c')});
    CHECK(huge.status >= 400);
    CHECK(huge.status < 500);
    // Large but within nginx's limits: the app must cope (any non-5xx answer).
    auto big = http.get(mount + "/login", {"Cookie: junk=" + std::string(12 << 10, 'c')});
    CHECK(big.status < 500);

    // Multipart bodies that cannot be parsed are a clear 400.
    const std::string truncated =
        "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + csrf +
        "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\nalice";
    CHECK(http.post_raw(mount + "/login", "multipart/form-data; boundary=XyZ", truncated).status ==
          400);
    CHECK(http.post_raw(mount + "/login", "multipart/form-data", "--x\r\n\r\n").status == 400);
    CHECK(http.post_raw(mount + "/login", "multipart/form-data; boundary=XyZ",
                        "--XyZ\r\nno headers end")
              .status == 400);

    // Odd paths are answered, not crashed on.
    CHECK(http.get(mount + "/%0a/login").status < 500);
    CHECK(http.get(mount + "/login?next=%00%ff").status < 500);

    // Nothing above hurt the workers.
    CHECK(http.get(mount + "/login").status == 200);
}

std::vector<pid_t> wait_for_workers(CanailleFixture& canaille, std::size_t n,
                                    std::optional<pid_t> without = std::nullopt) {
    std::vector<pid_t> workers;
    for (int i = 0; i < 1000; ++i) {  // 10 s at most
        workers = canaille.worker_pids();
        bool gone =
            !without || std::find(workers.begin(), workers.end(), *without) == workers.end();
        if (workers.size() == n && gone) {
            return workers;
        }
        std::this_thread::sleep_for(10ms);
    }
    return workers;
}

}  // namespace

TEST_CASE("login journey through nginx at the vhost root", "[e2e][nginx]") {
    Stack stack("deploy/nginx/canaille.conf");
    check_login_journey(stack, "");
}

TEST_CASE("login journey through nginx under /auth", "[e2e][nginx]") {
    Stack stack("deploy/nginx/canaille-prefix.conf");
    check_login_journey(stack, "/auth");
    HttpClient http(stack.nginx().base_url());
    auto bare = http.get("/auth");
    CHECK(bare.status == 301);
    CHECK(bare.location_path() == "/auth/");
    // Outside the mount nothing reaches the app.
    CHECK(http.get("/login").status == 404);
}

TEST_CASE("hostile input through nginx", "[e2e][nginx]") {
    SECTION("root") {
        Stack stack("deploy/nginx/canaille.conf");
        check_hostile_input(stack, "");
    }
    SECTION("/auth") {
        Stack stack("deploy/nginx/canaille-prefix.conf");
        check_hostile_input(stack, "/auth");
    }
}

TEST_CASE("a killed FastCGI worker is replaced and service continues", "[e2e][nginx]") {
    Stack stack("deploy/nginx/canaille.conf");
    auto& canaille = stack.canaille();
    const auto workers = wait_for_workers(canaille, 2);
    REQUIRE(workers.size() == 2);

    // Keep requests flowing while a worker dies, so that one is likely in flight.
    std::atomic<bool> stop{false};
    std::atomic<int> served{0};
    std::atomic<int> bad_gateway{0};
    std::atomic<int> other{0};
    std::thread load([&] {
        HttpClient http(stack.nginx().base_url());
        for (int i = 0; i < 100000 && !stop.load(); ++i) {
            try {
                long status = http.get("/login").status;
                (status == 200 ? served : status == 502 ? bad_gateway : other)++;
            } catch (const std::runtime_error&) {
                other++;
            }
        }
    });
    for (int i = 0; i < 500 && served.load() < 5; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    const int served_before_kill = served.load();
    REQUIRE(kill(workers[0], SIGKILL) == 0);

    const auto replaced = wait_for_workers(canaille, 2, workers[0]);
    INFO("workers after kill: " << replaced.size());
    CHECK(replaced.size() == 2);
    CHECK(std::find(replaced.begin(), replaced.end(), workers[0]) == replaced.end());

    // The next requests succeed (a short bounded retry covers the respawn window).
    HttpClient http(stack.nginx().base_url());
    int first_ok = -1;
    for (int i = 0; i < 500 && first_ok < 0; ++i) {
        if (http.get("/login").status == 200) {
            first_ok = i;
        } else {
            std::this_thread::sleep_for(10ms);
        }
    }
    CHECK(first_ok >= 0);
    int ok_in_a_row = 0;
    for (int i = 0; i < 20; ++i) {
        ok_in_a_row += http.get("/login").status == 200 ? 1 : 0;
    }
    CHECK(ok_in_a_row == 20);
    auto signed_in = sign_in(http, "", kUser, kPassword);
    CHECK(signed_in.status == 302);

    stop = true;
    load.join();
    INFO("served before kill " << served_before_kill << ", served " << served.load() << ", 502 "
                               << bad_gateway.load() << ", other " << other.load());
    CHECK(served.load() > served_before_kill);
    // A request on the dying worker may fail with 502; nothing else may.
    CHECK(other.load() == 0);
    CHECK(bad_gateway.load() <= 2);

    // SIGTERM drains and exits cleanly.
    CHECK(canaille.stop_fcgi() == 0);
}

TEST_CASE("PostgreSQL restarts under running workers: nothing lost, no canaille restart",
          "[e2e][nginx][postgresql]") {
    Stack stack("deploy/nginx/canaille.conf");
    auto& canaille = stack.canaille();
    REQUIRE(canaille.backend() == Backend::postgresql);
    const auto workers = wait_for_workers(canaille, 2);
    REQUIRE(workers.size() == 2);
    const pid_t supervisor = canaille.supervisor_pid();
    auto& server = canaille::fixtures::PostgresServer::instance();
    // Both workers hold their connection (opened when a worker starts) before the restart:
    // a worker still starting would fail to start and be respawned, which is not what this
    // case is about.
    for (int i = 0; i < 1000 && server.connections_to(canaille.database_name()) < 2; ++i) {
        std::this_thread::sleep_for(10ms);
    }
    REQUIRE(server.connections_to(canaille.database_name()) == 2);

    HttpClient http(stack.nginx().base_url());
    REQUIRE(sign_in(http, "", kUser, kPassword).status == 302);
    const auto session_cookie = http.cookie("canaille");
    REQUIRE(session_cookie.has_value());
    // Enough requests that both workers hold a connection (and prepared statements).
    for (int i = 0; i < 10; ++i) {
        REQUIRE(http.get("/profile/" + kUser).status == 200);
    }

    server.stop();
    // While the database is down the workers answer an error page, and survive it.
    const long down_status = http.get("/profile/" + kUser).status;
    CHECK(down_status >= 500);
    CHECK(down_status != 502);  // 502 would mean the worker died, not the database
    server.start();

    // The very next requests succeed on the same workers (each reconnects on its own), and
    // the signed-in session written before the restart is still there.
    int profile_ok = 0;
    for (int i = 0; i < 20; ++i) {
        auto profile = http.get("/profile/" + kUser);
        profile_ok += profile.status == 200 && profile.body.find(kUser) != std::string::npos;
    }
    CHECK(profile_ok == 20);
    CHECK(http.cookie("canaille") == session_cookie);

    // Writes work too: a new sign-in (session rows, rotated id) after the restart.
    HttpClient other(stack.nginx().base_url());
    CHECK(sign_in(other, "", kUser, kPassword).status == 302);
    CHECK(other.get("/profile/" + kUser).status == 200);

    // A second restart with no request in between, then logout (a delete).
    server.stop();
    server.start();
    CHECK(http.get("/profile/" + kUser).status == 200);
    CHECK(http.get("/logout").status == 302);
    auto after_logout = http.get("/profile/" + kUser);
    CHECK(after_logout.status == 302);

    INFO(stack.diagnostics());
    CHECK(canaille.supervisor_pid() == supervisor);
    auto now_workers = canaille.worker_pids();
    std::sort(now_workers.begin(), now_workers.end());
    auto before = workers;
    std::sort(before.begin(), before.end());
    CHECK(now_workers == before);
    CHECK(canaille.stop_fcgi() == 0);
}
