// SPDX-License-Identifier: MIT
#include "app/cli.hpp"

#include "app/services.hpp"

#include <algorithm>
#include <iostream>

namespace canaille::app {

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const auto& a = argv[i];
        if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
            auto name = a.substr(2);
            if (const auto eq = name.find('='); eq != std::string::npos) {
                options_.emplace_back(name.substr(0, eq), name.substr(eq + 1));
            } else if (std::find(flags.begin(), flags.end(), name) != flags.end()) {
                flags_.push_back(name);
            } else {
                if (i + 1 >= argv.size()) throw UsageError("option --" + name + " needs a value");
                options_.emplace_back(name, argv[++i]);
            }
        } else {
            positionals_.push_back(a);
        }
    }
}

bool Args::flag(const std::string& name) const {
    return std::find(flags_.begin(), flags_.end(), name) != flags_.end();
}

std::optional<std::string> Args::value(const std::string& name) const {
    std::optional<std::string> out;
    for (const auto& [k, v] : options_) {
        if (k == name) out = v;  // the last one wins, like most CLIs
    }
    return out;
}

std::vector<std::string> Args::values(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : options_) {
        if (k == name) out.push_back(v);
    }
    return out;
}

void Args::allow_only(const std::vector<std::string>& known) const {
    const auto check = [&](const std::string& n) {
        if (std::find(known.begin(), known.end(), n) == known.end()) {
            throw UsageError("unknown option --" + n);
        }
    };
    for (const auto& [k, v] : options_) check(k);
    for (const auto& f : flags_) check(f);
}

std::optional<config::Settings> load_settings(const GlobalOptions& global) {
    const auto path = config::resolve_path(global.config_path);
    auto loaded = config::load(path, config::environment());
    if (!loaded) {
        for (const auto& e : loaded.error()) std::cerr << e.format() << "\n";
        std::cerr << loaded.error().size() << " configuration error(s)\n";
        return std::nullopt;
    }
    return std::move(loaded).value();
}

std::unique_ptr<store::Store> open_cli_store(const GlobalOptions& global, const Clock& clock) {
    auto settings = load_settings(global);
    if (!settings) return nullptr;
    return open_configured_store(*settings, clock);
}

}  // namespace canaille::app
