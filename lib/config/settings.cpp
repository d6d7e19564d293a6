// SPDX-License-Identifier: MIT
#include "config/settings.hpp"

#include <unistd.h>

#include <cstdlib>

namespace canaille::config {

namespace {
constexpr std::size_t kMinSecretKeyBytes = 16;
}

std::map<std::string, AclSettings> default_acl() {
    std::map<std::string, AclSettings> acl;
    acl["DEFAULT"] = AclSettings{
        {"edit_self", "use_oidc", "manage_own_groups"},
        {"user_name", "groups", "lock_date"},
        {"photo", "given_name", "family_name", "display_name", "password", "phone_numbers",
         "emails", "profile_url", "formatted_address", "street", "postal_code", "locality",
         "region", "preferred_language", "employee_number", "department", "title", "organization"},
        std::nullopt};
    acl["ADMIN"] = AclSettings{
        {"manage_oidc", "manage_users", "manage_all_groups", "delete_account", "impersonate_users"},
        {},
        {"groups", "lock_date"},
        std::vector<std::map<std::string, std::string>>{{{"user_name", "admin"}},
                                                        {{"groups", "admin"}}}};
    return acl;
}

std::string ConfigError::format() const {
    if (!env.empty()) return "environment " + env + ": " + message;
    if (line > 0) {
        return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
    }
    if (!file.empty()) return file + ": " + message;
    return message;
}

std::vector<ConfigError> validate_for_production(const Settings& settings) {
    std::vector<ConfigError> errors;
    const std::size_t size = settings.secret_key.reveal().size();
    if (size == 0) {
        errors.push_back(
            ConfigError{settings.source_path, 0, 0,
                        "SECRET_KEY is not set (set SECRET_KEY or SECRET_KEY_FILE, or the "
                        "CANAILLE_SECRET_KEY environment variable; e.g. `openssl rand -hex 32`)"});
    } else if (size < kMinSecretKeyBytes) {
        errors.push_back(ConfigError{settings.source_path, 0, 0,
                                     "SECRET_KEY is too short (" + std::to_string(size) +
                                         " bytes; at least " + std::to_string(kMinSecretKeyBytes) +
                                         " are needed)"});
    }
    return errors;
}

std::string resolve_path(const std::optional<std::string>& cli_path) {
    if (cli_path) return *cli_path;
    for (const char* name : {"CANAILLE_CONFIG", "CONFIG"}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') return value;
    }
    return "";
}

std::vector<std::string> environment() {
    std::vector<std::string> out;
    for (char** e = ::environ; e != nullptr && *e != nullptr; ++e) out.emplace_back(*e);
    return out;
}

}  // namespace canaille::config
