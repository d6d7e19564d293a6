// SPDX-License-Identifier: MIT
// The shipped nginx snippets cache the metadata documents (discovery, RFC 8414 metadata,
// JWKS) and the documented key rotation refreshes them: change the keys, reload canaille
// (SIGHUP), reload nginx (SIGHUP) — then clients see the new JWKS (doc/deployment.md,
// "Cached metadata"). Runs on the store named by $CANAILLE_TEST_BACKEND.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "fixtures/canaille_fixture.hpp"
#include "fixtures/files.hpp"
#include "fixtures/http_client.hpp"
#include "fixtures/nginx_fixture.hpp"
#include "fixtures/process.hpp"
#include "fixtures/temp_dir.hpp"

using namespace canaille::fixtures;
using namespace std::chrono_literals;

namespace {

constexpr auto kDeadline = 15s;

/// Every "kid" value in a JWK or JWKS text.
std::vector<std::string> kids(const std::string& json) {
    std::vector<std::string> out;
    const std::string marker = "\"kid\"";
    for (auto at = json.find(marker); at != std::string::npos; at = json.find(marker, at + 1)) {
        const auto open = json.find('"', json.find(':', at + marker.size()));
        const auto close = json.find('"', open + 1);
        if (open == std::string::npos || close == std::string::npos) break;
        out.push_back(json.substr(open + 1, close - open - 1));
    }
    return out;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A GET on a fresh connection: after an nginx reload, a kept-alive connection would still
/// be served by an old worker.
HttpResponse fresh_get(const NginxFixture& nginx, const std::string& path) {
    HttpClient http(nginx.base_url());
    return http.get(path);
}

class CacheStack {
  public:
    explicit CacheStack(const std::string& snippet) : canaille_(dir_, require_binary()) {
        canaille_.start_fcgi(2);
        nginx_ = std::make_unique<NginxFixture>(
            dir_, NginxOptions{snippet, canaille_.socket_path(), "", ""});
    }
    ~CacheStack() {
        std::cerr << "--- canaille fcgi log (tail) ---\n"
                  << tail(canaille_.fcgi_log()) << "\n--- nginx error log (tail) ---\n"
                  << (nginx_ ? tail(nginx_->error_log()) : "") << std::endl;
        nginx_.reset();
    }
    CacheStack(const CacheStack&) = delete;
    CacheStack& operator=(const CacheStack&) = delete;
    CacheStack(CacheStack&&) = delete;
    CacheStack& operator=(CacheStack&&) = delete;

    CanailleFixture& canaille() { return canaille_; }
    NginxFixture& nginx() { return *nginx_; }
    const TempDir& dir() const { return dir_; }

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

/// Polls `path` until its body contains `part` on several requests in a row (during an
/// nginx reload the old workers finish their connections while the new ones take over);
/// returns that body, or "" when the deadline passed first.
std::string settled_body(const NginxFixture& nginx, const std::string& path,
                         const std::string& part) {
    constexpr int kInARow = 5;
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    int in_a_row = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto r = fresh_get(nginx, path);
        in_a_row = r.status == 200 && contains(r.body, part) ? in_a_row + 1 : 0;
        if (in_a_row == kInARow) return r.body;
        std::this_thread::sleep_for(in_a_row > 0 ? 10ms : 50ms);
    }
    return "";
}

/// Waits until none of `before` is among the supervisor's workers any more and two are up.
bool workers_replaced(const CanailleFixture& canaille, const std::vector<pid_t>& before) {
    const auto deadline = std::chrono::steady_clock::now() + kDeadline;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto now = canaille.worker_pids();
        const bool all_new = std::none_of(now.begin(), now.end(), [&](pid_t p) {
            return std::find(before.begin(), before.end(), p) != before.end();
        });
        if (all_new && now.size() == before.size()) return true;
        std::this_thread::sleep_for(20ms);
    }
    return false;
}

void check_cache_and_rotation(CacheStack& stack, const std::string& mount) {
    INFO("mount: '" << mount << "'");
    auto& nginx = stack.nginx();
    auto& canaille = stack.canaille();
    const std::string jwks_path = mount + "/oauth/jwks.json";
    const std::string discovery_path = mount + "/.well-known/openid-configuration";
    const std::string metadata_path = mount + "/.well-known/oauth-authorization-server";
    const std::string key_file = stack.dir().file("jwks.json");
    const auto old_kids = kids(read_file(key_file));
    REQUIRE(old_kids.size() == 1);

    // 1. The documents are answered, and from then on by nginx: they survive the workers.
    const auto jwks = fresh_get(nginx, jwks_path);
    REQUIRE(jwks.status == 200);
    CHECK(contains(jwks.body, old_kids[0]));
    CHECK(jwks.header("Content-Type").value_or("") == "application/jwk-set+json");
    const auto discovery = fresh_get(nginx, discovery_path);
    REQUIRE(discovery.status == 200);
    CHECK(contains(discovery.body, "\"jwks_uri\""));
    CHECK(fresh_get(nginx, metadata_path).status == 200);
    // Shared copies carry no per-request id.
    CHECK_FALSE(jwks.header("X-Request-Id").has_value());

    CHECK(canaille.stop_fcgi() == 0);
    CHECK(fresh_get(nginx, mount + "/health").status == 502);
    CHECK(fresh_get(nginx, jwks_path).body == jwks.body);
    CHECK(fresh_get(nginx, discovery_path).body == discovery.body);
    // The query is not part of the key: it cannot be used to bypass or fill the cache.
    CHECK(fresh_get(nginx, jwks_path + "?nocache=1").status == 200);
    // Everything else still goes to the (stopped) workers.
    CHECK(fresh_get(nginx, mount + "/oauth/userinfo").status == 502);
    canaille.start_fcgi(2);
    REQUIRE(fresh_get(nginx, mount + "/health").status == 200);

    // 2. Rotation: a new active key, the old one kept (it still verifies its tokens).
    const auto created = canaille.cli_ok({"jwk", "create", "rsa"});
    const auto new_kids = kids(created.out);
    REQUIRE(new_kids.size() == 1);
    REQUIRE(new_kids[0] != old_kids[0]);
    write_file(key_file, "{\"keys\": [" + created.out + ", " + read_file(key_file) + "]}");

    // 3. Reload canaille: the workers restart with the new keys...
    const auto before = canaille.worker_pids();
    REQUIRE_FALSE(before.empty());
    canaille.fcgi()->signal(SIGHUP);
    REQUIRE(workers_replaced(canaille, before));
    // ...nginx still answers its copy (valid for the app's max-age)...
    CHECK_FALSE(contains(fresh_get(nginx, jwks_path).body, new_kids[0]));

    // 4. ...until nginx is reloaded: its new workers fetch every document afresh.
    nginx.process().signal(SIGHUP);
    const auto rotated = settled_body(nginx, jwks_path, new_kids[0]);
    CHECK(contains(rotated, new_kids[0]));
    CHECK(contains(rotated, old_kids[0]));
    CHECK_FALSE(settled_body(nginx, discovery_path, "\"issuer\"").empty());
}

}  // namespace

TEST_CASE("nginx caches discovery and JWKS; a reload after key rotation refreshes them",
          "[e2e][nginx-cache]") {
    SECTION("at the root of the host") {
        CacheStack stack("deploy/nginx/canaille.conf");
        check_cache_and_rotation(stack, "");
    }
    SECTION("under /auth") {
        CacheStack stack("deploy/nginx/canaille-prefix.conf");
        check_cache_and_rotation(stack, "/auth");
    }
}
