// SPDX-License-Identifier: MIT
// Internal to lib/config: the schema (one table of fields per section) and the walker that
// applies a YAML tree to Settings while collecting every error with its location.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace canaille::config::detail {

/// What a key holds; decides how an environment value is read (strings literally, everything
/// else as a YAML scalar or flow collection) and how known_keys() walks the schema.
enum class Kind { string, scalar, list, map, named_maps };

/// Where a value sits: its dotted path and its YAML key and value nodes.
struct At {
    std::string path;
    YAML::Node key;
    YAML::Node value;
};

class Parser;

/// One accepted key. `children` describes the keys of a map, or of each entry of named_maps.
struct Field {
    std::string name;
    Kind kind;
    std::function<void(Parser&, const At&, Settings&)> apply;
    const std::vector<Field>* children = nullptr;
    /// For named_maps: the field describing one entry (a map with `children`).
    const Field* entry = nullptr;
};

/// The root table; sections and sub-maps hang off it through `children`.
const std::vector<Field>& root_fields();

/// Checks that span several keys (SECRET_KEY vs SECRET_KEY_FILE), run after the walk.
void check_root(Parser& parser, const Settings& settings);

/// Attribute names of model::User that ACLs and LOGIN_ATTRIBUTES may name (config may not
/// depend on model, so the list is kept here; reference §4).
const std::vector<std::string>& user_attributes();

/// The field at `parts` (["CANAILLE", "SMTP", "HOST"]), any entry name matching under a
/// named_maps field; nullptr when unknown.
const Field* find_field(const std::vector<std::string>& parts);

/// Applies YAML to Settings, collecting errors. Positions come from yaml-cpp marks, except
/// for values that came from the environment, which are reported by variable name.
class Parser {
  public:
    Parser(std::string file, std::filesystem::path base_dir)
        : file_(std::move(file)), base_dir_(std::move(base_dir)) {}

    /// Marks `path` (and everything below it) as set by environment variable `name`.
    void set_env_origin(const std::string& path, const std::string& name) {
        env_origin_[path] = name;
    }
    std::optional<std::string> env_origin(const std::string& path) const;

    void error(const std::string& path, const YAML::Node& node, std::string message);
    void error(const At& at, std::string message) { error(at.path, at.value, std::move(message)); }
    /// An error about a key as a whole (cross-key checks), located at the key if it was seen.
    void error(const std::string& path, std::string message);
    std::vector<ConfigError>& errors() { return errors_; }

    /// Walks the keys of `map` against `fields`; unknown and duplicate keys are errors.
    void parse_map(const YAML::Node& map, const std::string& path, const std::vector<Field>& fields,
                   Settings& settings);
    /// True when `path` was present in the input with a non-null value.
    bool seen(const std::string& path) const { return seen_.count(path) > 0; }

    // Typed readers: each reports its own error and returns false (leaving `out` alone).
    bool read_string(const At& at, std::string& out);
    bool read_optional_string(const At& at, std::optional<std::string>& out);
    bool read_choice(const At& at, const std::vector<std::string>& choices, std::string& out);
    bool read_bool(const At& at, bool& out);
    bool read_optional_bool(const At& at, std::optional<bool>& out);
    bool read_int(const At& at, std::int64_t min, std::int64_t max, std::int64_t& out);
    bool read_duration(const At& at, std::int64_t min, std::int64_t& out);
    bool read_string_list(const At& at, std::vector<std::string>& out);
    /// A list whose every item is one of `choices` (no duplicates).
    bool read_choice_list(const At& at, const std::vector<std::string>& choices,
                          std::vector<std::string>& out);

    /// Reads the file a *_FILE key points at (relative to the configuration's directory).
    bool read_secret_file(const At& at, std::string& out);

    /// The ACL entry being filled while walking CANAILLE.ACL.<NAME>.
    AclSettings* current_acl = nullptr;

  private:
    std::string file_;
    std::filesystem::path base_dir_;
    std::map<std::string, std::string> env_origin_;
    std::map<std::string, YAML::Mark> marks_;
    std::set<std::string> seen_;
    std::vector<ConfigError> errors_;
};

/// An error about the value of environment variable `name`.
inline ConfigError env_error(std::string name, std::string message) {
    ConfigError e;
    e.message = std::move(message);
    e.env = std::move(name);
    return e;
}

/// Describes a node's type for "expected X, got Y" messages.
std::string describe(const YAML::Node& node);

}  // namespace canaille::config::detail
