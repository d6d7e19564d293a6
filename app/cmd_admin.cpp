// SPDX-License-Identifier: MIT
// `canaille install`, `canaille check` and `canaille clean`.
#include <iostream>

#include "app/cli.hpp"
#include "app/services.hpp"
#include "view/view.hpp"

namespace canaille::app {
namespace {

constexpr const char* kInstallHelp = R"(usage: canaille [--config FILE] install

Create the store schema, or migrate it to this version. Safe to run again.
)";

constexpr const char* kCheckHelp = R"(usage: canaille [--config FILE] check

Validate the configuration (every error at once, with file:line:column), the templates,
and the store connection. Exits non-zero when anything fails.
)";

constexpr const char* kCleanHelp = R"(usage: canaille [--config FILE] clean

Remove expired sessions, authorization codes, tokens and jti replay records.
Run it daily (deploy/systemd/canaille-clean.timer).
)";

bool help_only(const std::vector<std::string>& argv, const char* text) {
    Args args(argv, {"help"});
    args.allow_only({"help"});
    if (!args.positionals().empty())
        throw UsageError("unexpected argument " + args.positionals()[0]);
    if (args.flag("help")) {
        std::cout << text;
        return true;
    }
    return false;
}

}  // namespace

int cmd_install(const GlobalOptions& global, const std::vector<std::string>& argv) {
    if (help_only(argv, kInstallHelp)) return 0;
    SystemClock clock;
    auto store = open_cli_store(global, clock);
    if (!store) return 1;
    const int before = store->schema_version();
    store->install();
    const int after = store->schema_version();
    if (before == after) {
        std::cout << "store already at schema version " << after << "\n";
    } else {
        std::cout << "store migrated from schema version " << before << " to " << after << "\n";
    }
    return 0;
}

int cmd_check(const GlobalOptions& global, const std::vector<std::string>& argv) {
    if (help_only(argv, kCheckHelp)) return 0;
    int failures = 0;
    auto settings = load_settings(global);
    if (!settings) {
        std::cout << "KO configuration\n";
        return 1;
    }
    const auto problems = config::validate_for_production(*settings);
    for (const auto& p : problems) std::cout << "   " << p.format() << "\n";
    std::cout << (problems.empty() ? "OK" : "KO") << " configuration\n";
    failures += problems.empty() ? 0 : 1;

    view::Renderer views(views_dir());
    const auto template_problems = views.check_all();
    for (const auto& p : template_problems) std::cout << "   " << p << "\n";
    std::cout << (template_problems.empty() ? "OK" : "KO") << " templates (" << views.dir()
              << ")\n";
    failures += template_problems.empty() ? 0 : 1;

    if (auto keys = load_signing_keys(*settings, KeyPolicy::require); !keys) {
        std::cout << "KO keys: " << keys.error() << "\n";
        ++failures;
    } else if (settings->oidc.enable_oidc) {
        std::cout << "OK keys (" << keys->active().size() << " active, " << keys->inactive().size()
                  << " inactive)\n";
    }

    try {
        SystemClock clock;
        auto store = open_configured_store(*settings, clock);
        store->check();
        std::cout << "OK store (" << describe_store(*settings) << ", schema version "
                  << store->schema_version() << ")\n";
    } catch (const std::exception& e) {
        std::cout << "KO store: " << e.what() << "\n";
        ++failures;
    }
    return failures == 0 ? 0 : 1;
}

int cmd_clean(const GlobalOptions& global, const std::vector<std::string>& argv) {
    if (help_only(argv, kCleanHelp)) return 0;
    SystemClock clock;
    auto store = open_cli_store(global, clock);
    if (!store) return 1;
    const auto purged = store->purge_expired(clock.now());
    std::cout << "removed " << purged.sessions << " expired session(s), " << purged.codes
              << " authorization code(s), " << purged.tokens << " token(s), " << purged.replays
              << " replay record(s)\n";
    return 0;
}

}  // namespace canaille::app
