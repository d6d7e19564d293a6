// SPDX-License-Identifier: MIT
#include "config/parser.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <iterator>

#include "config/duration.hpp"
#include "util/strings.hpp"

namespace canaille::config::detail {
namespace {

constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;
constexpr std::size_t kMaxEchoedChars = 60;

YAML::Mark mark_of(const YAML::Node& node) {
    if (!node.IsDefined()) return YAML::Mark::null_mark();
    return node.Mark();
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += item;
    }
    return out;
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
    for (const auto& i : items) {
        if (i == item) return true;
    }
    return false;
}

}  // namespace

std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "null";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    std::string out = "\"";
    const std::string& s = node.Scalar();
    for (std::size_t i = 0; i < s.size() && i < kMaxEchoedChars; ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        out += (c < 0x20 || c == 0x7f) ? '?' : s[i];
    }
    if (s.size() > kMaxEchoedChars) out += "...";
    return out + "\"";
}

std::optional<std::string> Parser::env_origin(const std::string& path) const {
    // The longest dotted prefix wins: CANAILLE__SMTP='{HOST: x}' covers CANAILLE.SMTP.HOST.
    std::string prefix = path;
    while (true) {
        if (auto it = env_origin_.find(prefix); it != env_origin_.end()) return it->second;
        auto dot = prefix.rfind('.');
        if (dot == std::string::npos) return std::nullopt;
        prefix.resize(dot);
    }
}

void Parser::error(const std::string& path, const YAML::Node& node, std::string message) {
    if (auto env = env_origin(path)) {
        errors_.push_back(env_error(*env, std::move(message)));
        return;
    }
    YAML::Mark mark = mark_of(node);
    if (mark.is_null()) {
        if (auto it = marks_.find(path); it != marks_.end()) mark = it->second;
    }
    ConfigError e{file_, 0, 0, std::move(message)};
    if (!mark.is_null()) {
        e.line = mark.line + 1;
        e.column = mark.column + 1;
    }
    errors_.push_back(std::move(e));
}

void Parser::error(const std::string& path, std::string message) {
    error(path, YAML::Node(YAML::NodeType::Undefined), std::move(message));
}

void Parser::parse_map(const YAML::Node& map, const std::string& path,
                       const std::vector<Field>& fields, Settings& settings) {
    std::set<std::string> names;
    for (auto it = map.begin(); it != map.end(); ++it) {
        // Copies: `it->` points into a temporary proxy.
        const YAML::Node key = it->first;
        const YAML::Node value = it->second;
        if (!key.IsScalar()) {
            error(path, key, "expected a key name, got " + describe(key));
            continue;
        }
        const std::string& name = key.Scalar();
        std::string child = path.empty() ? name : path + "." + name;
        if (YAML::Mark m = mark_of(key); !m.is_null()) marks_.emplace(child, m);
        if (!names.insert(name).second) {
            error(child, key, "duplicate key " + child);
            continue;
        }
        const Field* field = nullptr;
        const Field* near = nullptr;
        for (const auto& f : fields) {
            if (f.name == name) field = &f;
            if (iequals(f.name, name)) near = &f;
        }
        if (field == nullptr) {
            std::string message = "unknown key " + child;
            if (near != nullptr) message += " (did you mean " + near->name + "?)";
            error(child, key, std::move(message));
            continue;
        }
        if (value.IsDefined() && !value.IsNull()) seen_.insert(child);
        field->apply(*this, At{child, key, value}, settings);
    }
}

bool Parser::read_string(const At& at, std::string& out) {
    if (!at.value.IsScalar()) {
        error(at, at.path + ": expected a string, got " + describe(at.value));
        return false;
    }
    out = at.value.Scalar();
    return true;
}

bool Parser::read_optional_string(const At& at, std::optional<std::string>& out) {
    if (at.value.IsNull()) {
        out.reset();
        return true;
    }
    std::string s;
    if (!read_string(at, s)) return false;
    out = std::move(s);
    return true;
}

bool Parser::read_choice(const At& at, const std::vector<std::string>& choices, std::string& out) {
    std::string s;
    if (!read_string(at, s)) return false;
    if (!contains(choices, s)) {
        error(at, at.path + ": expected one of " + join(choices) + ", got " + describe(at.value));
        return false;
    }
    out = std::move(s);
    return true;
}

bool Parser::read_bool(const At& at, bool& out) {
    bool b = false;
    if (!at.value.IsScalar() || !YAML::convert<bool>::decode(at.value, b)) {
        error(at, at.path + ": expected a boolean (true or false), got " + describe(at.value));
        return false;
    }
    out = b;
    return true;
}

bool Parser::read_optional_bool(const At& at, std::optional<bool>& out) {
    if (at.value.IsNull()) {
        out.reset();
        return true;
    }
    bool b = false;
    if (!read_bool(at, b)) return false;
    out = b;
    return true;
}

bool Parser::read_int(const At& at, std::int64_t min, std::int64_t max, std::int64_t& out) {
    std::int64_t v = 0;
    bool ok = at.value.IsScalar();
    if (ok) {
        std::string_view s = at.value.Scalar();
        if (!s.empty() && s.front() == '+') s.remove_prefix(1);
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        ok = !s.empty() && ec == std::errc() && end == s.data() + s.size();
    }
    if (!ok) {
        error(at, at.path + ": expected an integer, got " + describe(at.value));
        return false;
    }
    if (v < min || v > max) {
        error(at, at.path + ": must be between " + std::to_string(min) + " and " +
                      std::to_string(max) + ", got " + std::to_string(v));
        return false;
    }
    out = v;
    return true;
}

bool Parser::read_duration(const At& at, std::int64_t min, std::int64_t& out) {
    std::optional<std::int64_t> v;
    if (at.value.IsScalar()) v = parse_duration(at.value.Scalar());
    if (!v) {
        error(at, at.path +
                      ": expected a duration (ISO 8601 such as P30D, PT1H30M, or a number of "
                      "seconds), got " +
                      describe(at.value));
        return false;
    }
    if (*v < min) {
        error(at, at.path + ": must be at least " + std::to_string(min) + " seconds");
        return false;
    }
    out = *v;
    return true;
}

bool Parser::read_string_list(const At& at, std::vector<std::string>& out) {
    if (at.value.IsNull()) {
        out.clear();
        return true;
    }
    if (!at.value.IsSequence()) {
        error(at,
              at.path + ": expected a list of strings (such as [a, b]), got " + describe(at.value));
        return false;
    }
    std::vector<std::string> items;
    bool ok = true;
    for (const auto& item : at.value) {
        if (!item.IsScalar()) {
            error(at.path, item, at.path + ": expected a string item, got " + describe(item));
            ok = false;
            continue;
        }
        items.push_back(item.Scalar());
    }
    if (ok) out = std::move(items);
    return ok;
}

bool Parser::read_choice_list(const At& at, const std::vector<std::string>& choices,
                              std::vector<std::string>& out) {
    std::vector<std::string> items;
    if (!read_string_list(at, items)) return false;
    bool ok = true;
    std::size_t index = 0;
    std::set<std::string> unique;
    for (const auto& item : items) {
        YAML::Node node = at.value[index++];
        if (!contains(choices, item)) {
            error(at.path, node,
                  at.path + ": " + describe(node) + " is not one of " + join(choices));
            ok = false;
        } else if (!unique.insert(item).second) {
            error(at.path, node, at.path + ": " + describe(node) + " is listed twice");
            ok = false;
        }
    }
    if (ok) out = std::move(items);
    return ok;
}

bool Parser::read_secret_file(const At& at, std::string& out) {
    std::string name;
    if (!read_string(at, name)) return false;
    std::filesystem::path path(name);
    // A path in the file is relative to the file, like nginx includes; one from the
    // environment is relative to the working directory, like every other argument.
    if (path.is_relative() && !env_origin(at.path) && !base_dir_.empty()) path = base_dir_ / path;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error(at, at.path + ": cannot read " + path.string() + ": " + std::strerror(errno));
        return false;
    }
    std::string data;
    data.resize(kMaxSecretFileBytes + 1);
    in.read(data.data(), static_cast<std::streamsize>(data.size()));
    data.resize(static_cast<std::size_t>(in.gcount()));
    if (data.size() > kMaxSecretFileBytes) {
        error(at, at.path + ": " + path.string() + " is larger than " +
                      std::to_string(kMaxSecretFileBytes) + " bytes");
        return false;
    }
    while (!data.empty() && (data.back() == '\n' || data.back() == '\r')) data.pop_back();
    if (data.empty()) {
        error(at, at.path + ": " + path.string() + " is empty");
        return false;
    }
    out = std::move(data);
    return true;
}

}  // namespace canaille::config::detail
