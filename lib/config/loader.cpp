// SPDX-License-Identifier: MIT
// load(): read the file, merge the environment into the YAML tree (so one walker validates
// both and each error keeps its origin), then walk the tree against the schema.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "config/parser.hpp"
#include "util/strings.hpp"

namespace canaille::config {
namespace {

using detail::Field;
using detail::Kind;
using detail::Parser;

constexpr std::size_t kMaxFileBytes = 1024 * 1024;

// Variables with the CANAILLE_ prefix that are not settings: the file's own path, and
// Canaille's dotenv path, which operators may still have in their units.
const std::vector<std::string> kIgnoredVariables = {"CANAILLE_CONFIG", "CANAILLE_ENV"};

const std::vector<std::string> kSections = {"CANAILLE", "CANAILLE_SQL", "CANAILLE_LDAP",
                                            "CANAILLE_OIDC"};

struct Override {
    std::vector<std::string> parts;
    std::string name;
    std::string value;
};

std::vector<std::string> split_dunder(const std::string& name) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t pos = name.find("__", start);
        if (pos == std::string::npos) {
            parts.push_back(name.substr(start));
            return parts;
        }
        parts.push_back(name.substr(start, pos - start));
        start = pos + 2;
    }
}

std::string dotted(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& p : parts) {
        if (!out.empty()) out += '.';
        out += p;
    }
    return out;
}

YAML::Node default_acl_node() {
    YAML::Node acl(YAML::NodeType::Map);
    for (const auto& [name, a] : default_acl()) {
        YAML::Node entry(YAML::NodeType::Map);
        entry["PERMISSIONS"] = a.permissions;
        entry["READ"] = a.read;
        entry["WRITE"] = a.write;
        if (a.filter) {
            YAML::Node filter(YAML::NodeType::Sequence);
            for (const auto& clause : *a.filter) {
                YAML::Node m(YAML::NodeType::Map);
                for (const auto& [k, v] : clause) m[k] = v;
                filter.push_back(m);
            }
            entry["FILTER"] = filter;
        }
        acl[name] = entry;
    }
    return acl;
}

// Sets root[parts...] = value, creating maps on the way; false when a step in the way exists
// and is not a map (returned in `blocked`).
bool set_path(YAML::Node node, const std::vector<std::string>& parts, std::size_t i,
              const YAML::Node& value, std::string& blocked) {
    if (i + 1 == parts.size()) {
        node[parts[i]] = value;
        return true;
    }
    YAML::Node child = node[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
        node[parts[i]] = YAML::Node(YAML::NodeType::Map);
        child.reset(node[parts[i]]);
    }
    if (!child.IsMap()) {
        blocked = dotted(std::vector<std::string>(parts.begin(), parts.begin() + i + 1));
        return false;
    }
    return set_path(child, parts, i + 1, value, blocked);
}

// Turns NAME=VALUE pairs into overrides; names that are not ours are skipped, ours that name
// no key are errors.
std::vector<Override> collect_overrides(Parser& parser, const std::vector<std::string>& env) {
    std::vector<Override> out;
    for (const auto& entry : env) {
        std::size_t eq = entry.find('=');
        if (eq == std::string::npos) continue;
        std::string name = entry.substr(0, eq);
        if (std::find(kIgnoredVariables.begin(), kIgnoredVariables.end(), name) !=
            kIgnoredVariables.end()) {
            continue;
        }
        std::vector<std::string> parts;
        bool section_form = name.find("__") != std::string::npos;
        if (section_form) {
            parts = split_dunder(name);
            if (!starts_with(parts.front(), "CANAILLE")) continue;
        } else if (starts_with(name, "CANAILLE_") && name.size() > 9) {
            parts = {name.substr(9)};
        } else {
            continue;
        }
        const Field* field = detail::find_field(parts);
        // CANAILLE_<NAME> that names no key anywhere belongs to someone else (deployment
        // scripts, CANAILLE_VIEWS_DIR, test harnesses) and is ignored; one that names a
        // section key is a likely typo for the SECTION__KEY form and stays an error.
        if (!section_form && field == nullptr) {
            std::string hint;
            for (const auto& section : kSections) {
                if (detail::find_field({section, parts.front()}) != nullptr) {
                    hint = " (did you mean " + section + "__" + parts.front() + "?)";
                    break;
                }
            }
            if (hint.empty()) continue;
            parser.errors().push_back(
                detail::env_error(name, "unknown key " + dotted(parts) + hint));
            continue;
        }
        // A root key only in the CANAILLE_KEY form, a section key only in the SECTION__KEY form.
        bool is_section = parts.size() == 1 && field != nullptr && field->kind == Kind::map;
        if (field == nullptr || (section_form && parts.size() < 2) ||
            (!section_form && is_section)) {
            std::string message = "unknown key " + dotted(parts);
            if (section_form &&
                std::find(kSections.begin(), kSections.end(), parts.front()) == kSections.end()) {
                message +=
                    " (sections are CANAILLE, CANAILLE_SQL, CANAILLE_LDAP and CANAILLE_OIDC)";
            }
            parser.errors().push_back(detail::env_error(name, std::move(message)));
            continue;
        }
        out.push_back(Override{std::move(parts), std::move(name), entry.substr(eq + 1)});
    }
    // Whole maps first, so CANAILLE__SMTP='{...}' then CANAILLE__SMTP__PORT=2525 both apply.
    std::sort(out.begin(), out.end(), [](const Override& a, const Override& b) {
        if (a.parts.size() != b.parts.size()) return a.parts.size() < b.parts.size();
        return a.name < b.name;
    });
    return out;
}

void apply_environment(Parser& parser, YAML::Node& root, const std::vector<std::string>& env) {
    for (const auto& o : collect_overrides(parser, env)) {
        const Field* field = detail::find_field(o.parts);
        YAML::Node value;
        if (field->kind == Kind::string) {
            // Strings are taken literally: a secret may well start with '*', '!' or '{'.
            value = YAML::Node(o.value);
        } else {
            try {
                value = YAML::Load(o.value);
            } catch (const YAML::Exception& e) {
                parser.errors().push_back(detail::env_error(o.name, "invalid value: " + e.msg));
                continue;
            }
        }
        std::string path = dotted(o.parts);
        // The environment beats the file, including across the two spellings of the key.
        for (const auto& [key, other] : {std::pair{"SECRET_KEY", "SECRET_KEY_FILE"},
                                         std::pair{"SECRET_KEY_FILE", "SECRET_KEY"}}) {
            if (path == key && root[other] && !parser.env_origin(other)) root.remove(other);
        }
        // Changing one ACL from the environment keeps the others, defaults included.
        if (o.parts.size() > 2 && o.parts[0] == "CANAILLE" && o.parts[1] == "ACL") {
            YAML::Node section = root["CANAILLE"];
            if (!section.IsDefined() || section.IsNull() || section.IsMap()) {
                YAML::Node acl = section.IsMap() ? section["ACL"] : YAML::Node();
                if (!acl.IsDefined() || acl.IsNull()) {
                    std::string ignored;
                    set_path(root, {"CANAILLE", "ACL"}, 0, default_acl_node(), ignored);
                }
            }
        }
        std::string blocked;
        if (!set_path(root, o.parts, 0, value, blocked)) {
            parser.errors().push_back(detail::env_error(
                o.name, "cannot set " + path + ": " + blocked + " is not a mapping"));
            continue;
        }
        parser.set_env_origin(path, o.name);
    }
}

Result<Settings, std::vector<ConfigError>> load_text(const std::string& text,
                                                     const std::vector<std::string>& env,
                                                     const std::string& name,
                                                     const std::filesystem::path& base_dir) {
    Settings settings;
    settings.source_path = name;
    Parser parser(name, base_dir);
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        ConfigError err{name, 0, 0, "invalid YAML: " + e.msg};
        if (!e.mark.is_null()) {
            err.line = e.mark.line + 1;
            err.column = e.mark.column + 1;
        }
        return unexpected(std::vector<ConfigError>{std::move(err)});
    }
    if (!root.IsDefined() || root.IsNull()) {
        root = YAML::Node(YAML::NodeType::Map);
    } else if (!root.IsMap()) {
        parser.error("", root,
                     "expected a mapping of keys at the top level, got " + detail::describe(root));
        root = YAML::Node(YAML::NodeType::Map);
    }
    apply_environment(parser, root, env);
    parser.parse_map(root, "", detail::root_fields(), settings);
    detail::check_root(parser, settings);
    if (!parser.errors().empty()) return unexpected(std::move(parser.errors()));
    return settings;
}

void collect_keys(const std::vector<Field>& fields, const std::string& prefix,
                  std::vector<std::string>& out) {
    for (const auto& f : fields) {
        std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
        if (f.kind == Kind::map && f.children != nullptr) {
            collect_keys(*f.children, path, out);
        } else if (f.kind == Kind::named_maps) {
            collect_keys(*f.entry->children, path + "." + f.entry->name, out);
        } else {
            out.push_back(path);
        }
    }
}

}  // namespace

Result<Settings, std::vector<ConfigError>> load_string(const std::string& yaml,
                                                       const std::vector<std::string>& env,
                                                       const std::string& name) {
    return load_text(yaml, env, name, {});
}

Result<Settings, std::vector<ConfigError>> load(const std::string& path,
                                                const std::vector<std::string>& env) {
    if (path.empty()) return load_text("", env, "", {});
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return unexpected(std::vector<ConfigError>{ConfigError{
            path, 0, 0, std::string("cannot read configuration file: ") + std::strerror(errno)}});
    }
    std::string text(kMaxFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
        return unexpected(std::vector<ConfigError>{ConfigError{
            path, 0, 0,
            "configuration file is larger than " + std::to_string(kMaxFileBytes) + " bytes"}});
    }
    if (in.bad()) {
        return unexpected(
            std::vector<ConfigError>{ConfigError{path, 0, 0, "cannot read configuration file"}});
    }
    return load_text(text, env, path, std::filesystem::path(path).parent_path());
}

std::vector<std::string> known_keys() {
    std::vector<std::string> out;
    collect_keys(detail::root_fields(), "", out);
    return out;
}

}  // namespace canaille::config
