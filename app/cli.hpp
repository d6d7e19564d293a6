// SPDX-License-Identifier: MIT
// Command-line plumbing shared by the subcommands.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "store/store.hpp"
#include "util/clock.hpp"

namespace canaille::app {

/// A usage mistake: printed with the command's help hint, exit status 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// `--name value`, `--name=value` and bare flags, in order, plus positionals.
class Args {
  public:
    /// `flags` are the option names that take no value.
    Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags);

    bool flag(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> values(const std::string& name) const;
    const std::vector<std::pair<std::string, std::string>>& options() const { return options_; }
    const std::vector<std::string>& positionals() const { return positionals_; }
    /// Throws UsageError naming the first option not in `known` (flags included).
    void allow_only(const std::vector<std::string>& known) const;

  private:
    std::vector<std::pair<std::string, std::string>> options_;
    std::vector<std::string> flags_;
    std::vector<std::string> positionals_;
};

/// Global options, before the subcommand.
struct GlobalOptions {
    std::optional<std::string> config_path;
};

/// Loads the configuration or prints every error and throws UsageError-free exit: returns
/// nullopt after printing when it is invalid.
std::optional<config::Settings> load_settings(const GlobalOptions& global);
/// The store the configuration names (not checked: `install` opens blank stores), or null
/// after load_settings printed why the configuration is unusable.
std::unique_ptr<store::Store> open_cli_store(const GlobalOptions& global, const Clock& clock);

using Command = int (*)(const GlobalOptions&, const std::vector<std::string>&);

int cmd_fcgi(const GlobalOptions&, const std::vector<std::string>&);
int cmd_run(const GlobalOptions&, const std::vector<std::string>&);
int cmd_install(const GlobalOptions&, const std::vector<std::string>&);
int cmd_check(const GlobalOptions&, const std::vector<std::string>&);
int cmd_clean(const GlobalOptions&, const std::vector<std::string>&);
int cmd_create(const GlobalOptions&, const std::vector<std::string>&);
int cmd_get(const GlobalOptions&, const std::vector<std::string>&);
int cmd_set(const GlobalOptions&, const std::vector<std::string>&);
int cmd_delete(const GlobalOptions&, const std::vector<std::string>&);
int cmd_jwk(const GlobalOptions&, const std::vector<std::string>&);
int cmd_dump(const GlobalOptions&, const std::vector<std::string>&);
int cmd_restore(const GlobalOptions&, const std::vector<std::string>&);

}  // namespace canaille::app
