// SPDX-License-Identifier: MIT
// `canaille fcgi` and `canaille run`: the two front doors around the same application.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "app/cli.hpp"
#include "app/services.hpp"
#include "http/devserver.hpp"
#include "http/fastcgi.hpp"
#include "util/log.hpp"
#include "util/random.hpp"

namespace canaille::app {
namespace {

constexpr const char* kFcgiHelp =
    R"(usage: canaille [--config FILE] fcgi [--listen ADDR] [--workers N]

Serve the application over FastCGI (behind nginx or Apache).

The listening socket is taken, in order, from systemd socket activation (LISTEN_FDS),
from fd 0 when it is a socket (spawn-fcgi), or from --listen.

  --listen ADDR   unix:/path/to.sock or HOST:PORT
  --workers N     supervise N pre-forked workers (respawned when they die; SIGTERM
                  drains them, SIGHUP restarts them with a fresh configuration).
                  Without it, this process is the single worker.
)";

constexpr const char* kRunHelp =
    R"(usage: canaille [--config FILE] run [--host H] [--port P] [--prefix /auth]

Development server (HTTP/1.1, single process) serving the application and assets/ at
/static. Never expose it in production; use `canaille fcgi` behind a web server.

  --host H        address to bind (default 127.0.0.1)
  --port P        port (default 8000)
  --prefix PATH   mount the application under PATH, e.g. /auth
  --assets DIR    static files directory (default: the installed assets)
)";

/// Creates or migrates the schema when CANAILLE_SQL.AUTO_MIGRATE is on (once, before any
/// worker forks, so workers never race on migrations).
void auto_migrate(const config::Settings& settings) {
    // An LDAP directory is installed by `canaille install` (schemas need cn=config rights).
    if (settings.uses_ldap() || !settings.sql.auto_migrate) return;
    SystemClock clock;
    auto store = open_configured_store(settings, clock);
    store->install();
}

bool production_ready(const config::Settings& settings) {
    const auto problems = config::validate_for_production(settings);
    for (const auto& p : problems) std::cerr << p.format() << "\n";
    auto keys = load_signing_keys(settings, KeyPolicy::require);
    if (!keys) std::cerr << keys.error() << "\n";
    return problems.empty() && keys.has_value();
}

/// Runs the pre-flight work (configuration and key checks, migrations) in a child process
/// and returns whether it succeeded. The supervisor outlives it with none of what it
/// touched: key parsing, OpenSSL's providers, the store. That is several MiB of resident
/// pages the supervisor would otherwise keep for its whole life, while it only forks and
/// reaps (the workers build their own services after the fork).
bool preflight_in_child(const config::Settings& settings) {
    std::cout.flush();
    std::cerr.flush();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        int rc = 1;
        try {
            if (production_ready(settings)) {
                auto_migrate(settings);
                rc = 0;
            } else {
                std::cerr << "refusing to serve: fix the configuration above\n";
            }
        } catch (const std::exception& e) {
            std::cerr << e.what() << "\n";
        }
        std::cerr.flush();
        ::_exit(rc);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::runtime_error("waitpid failed");
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int cmd_fcgi(const GlobalOptions& global, const std::vector<std::string>& argv) {
    Args args(argv, {"help"});
    args.allow_only({"help", "listen", "workers"});
    if (args.flag("help")) {
        std::cout << kFcgiHelp;
        return 0;
    }
    auto settings = load_settings(global);
    if (!settings) return 1;
    if (!preflight_in_child(*settings)) return 1;

    http::ListenSpec spec;
    spec.address = args.value("listen").value_or("");
    const int fd = http::open_listen_socket(spec);

    http::FastCgiOptions options;
    options.workers = std::stoi(args.value("workers").value_or("0"));
    if (options.workers < 0 || options.workers > 256) throw UsageError("--workers: 0..256");
    const auto config_path = global;
    options.make_handler = [config_path]() -> http::AppHandler {
        // Each worker reads the configuration afresh (SIGHUP restarts pick up changes)
        // and opens its own store connection after the fork.
        auto settings = load_settings(config_path);
        if (!settings) throw std::runtime_error("invalid configuration");
        std::shared_ptr<Services> services = build_services(std::move(*settings));
        auto app = make_web_app(*services);
        return [services, app](http::Request& r) { return app(r); };
    };
    log::info("serving FastCGI" + (spec.address.empty() ? "" : " on " + spec.address) + " with " +
              std::to_string(options.workers) + " worker(s)");
    return http::serve_fastcgi(fd, options);
}

int cmd_run(const GlobalOptions& global, const std::vector<std::string>& argv) {
    Args args(argv, {"help"});
    args.allow_only({"help", "host", "port", "prefix", "assets"});
    if (args.flag("help")) {
        std::cout << kRunHelp;
        return 0;
    }
    auto settings = load_settings(global);
    if (!settings) return 1;
    if (settings->secret_key.empty()) {
        log::warning("SECRET_KEY is not set: using a random one; sessions end at restart");
        settings->secret_key = Secret(random_token(32));
    }
    auto_migrate(*settings);

    http::DevServerOptions options;
    options.host = args.value("host").value_or("127.0.0.1");
    const int port = std::stoi(args.value("port").value_or("8000"));
    if (port < 0 || port > 65535) throw UsageError("--port: 0..65535");
    options.port = static_cast<unsigned short>(port);
    options.script_name = args.value("prefix").value_or("");
    while (!options.script_name.empty() && options.script_name.back() == '/') {
        options.script_name.pop_back();
    }
    options.assets_dir = args.value("assets").value_or(assets_dir());

    auto services = build_services(std::move(*settings), KeyPolicy::ephemeral_if_missing);
    auto app = make_web_app(*services);
    return http::serve_dev(options, app);
}

}  // namespace canaille::app
