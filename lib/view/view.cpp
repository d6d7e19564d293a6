// SPDX-License-Identifier: MIT
#include "view/view.hpp"

#include <ctemplate/template.h>
#include <ctemplate/template_cache.h>
#include <ctemplate/template_dictionary.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace canaille::view {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kAutoescapePragma = "{{%AUTOESCAPE";
constexpr ctemplate::Strip kStrip = ctemplate::STRIP_BLANK_LINES;

ctemplate::TemplateString ts(const std::string& s) {
    return ctemplate::TemplateString(s.data(), s.size());
}

void fill(const Dict& src, ctemplate::TemplateDictionary* dst) {
    // SetValue copies key and value into the dictionary's arena, so the Dict may go away.
    for (const auto& [key, value] : src.values()) dst->SetValue(ts(key), ts(value));
    for (const auto& [name, children] : src.sections()) {
        for (const Dict& child : children) fill(child, dst->AddSectionDictionary(ts(name)));
    }
}

/// Names come from code, but a ".." or an absolute path must still never leave views/.
bool safe_name(const std::string& name) {
    if (name.empty() || name.front() == '/' || name.find('\0') != std::string::npos) {
        return false;
    }
    for (const auto& part : fs::path(name)) {
        if (part == "..") return false;
    }
    return true;
}

enum class FirstLine { ok, missing_file, no_pragma };

FirstLine check_first_line(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return FirstLine::missing_file;
    std::string line;
    std::getline(in, line);
    return line.starts_with(kAutoescapePragma) ? FirstLine::ok : FirstLine::no_pragma;
}

/// Variables printed with the `:none` modifier, other than BODY (STYLE.md: BODY is the one
/// value that is already HTML).
std::vector<std::string> unescaped_variables(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> found;
    std::size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string::npos) {
        const std::size_t end = text.find("}}", pos + 2);
        if (end == std::string::npos) break;
        const std::string_view marker(text.data() + pos + 2, end - pos - 2);
        pos = end + 2;
        if (marker.starts_with("!")) continue;  // a comment
        const std::size_t colon = marker.find(':');
        if (colon == std::string_view::npos) continue;
        const std::string_view var = marker.substr(0, colon);
        const std::string_view mods = marker.substr(colon);
        // Modifiers are ":name" or ":name=arg"; look for a bare ":none".
        bool none = false;
        std::size_t m = 0;
        while (m < mods.size()) {
            const std::size_t next = mods.find(':', m + 1);
            const std::string_view mod = mods.substr(
                m + 1, next == std::string_view::npos ? std::string_view::npos : next - m - 1);
            if (mod == "none") none = true;
            if (next == std::string_view::npos) break;
            m = next;
        }
        if (none && var != "BODY") found.emplace_back(var);
    }
    return found;
}

}  // namespace

Dict& Dict::set(const std::string& key, std::string value) {
    values_[key] = std::move(value);
    return *this;
}

Dict& Dict::show(const std::string& section) {
    // A section that already has dictionaries is already shown; showing it again must not
    // repeat it.
    auto& children = sections_[section];
    if (children.empty()) children.emplace_back();
    return *this;
}

Dict& Dict::add_section(const std::string& section, Dict child) {
    sections_[section].push_back(std::move(child));
    return *this;
}

Renderer::Renderer(std::string views_dir)
    : dir_(std::move(views_dir)), cache_(std::make_unique<ctemplate::TemplateCache>()) {
    if (!cache_->SetTemplateRootDirectory(dir_)) {
        throw std::runtime_error("view: cannot use template directory " + dir_);
    }
}

Renderer::~Renderer() = default;

void Renderer::ensure_loaded(const std::string& name) const {
    if (loaded_.contains(name)) return;
    if (!safe_name(name)) throw std::runtime_error("view: bad template name '" + name + "'");
    switch (check_first_line(fs::path(dir_) / name)) {
        case FirstLine::missing_file:
            throw std::runtime_error("view: template not found: " + name);
        case FirstLine::no_pragma:
            throw std::runtime_error("view: template does not start with {{%AUTOESCAPE: " + name);
        case FirstLine::ok:
            break;
    }
    if (!cache_->LoadTemplate(ts(name), kStrip)) {
        throw std::runtime_error("view: template failed to parse: " + name);
    }
    loaded_.insert(name);
}

std::string Renderer::render(const std::string& name, const Dict& dict) const {
    ensure_loaded(name);
    ctemplate::TemplateDictionary root(ts(name));
    fill(dict, &root);
    std::string out;
    if (!cache_->ExpandWithData(ts(name), kStrip, &root, nullptr, &out)) {
        throw std::runtime_error("view: template failed to expand: " + name);
    }
    return out;
}

std::string Renderer::render_page(const std::string& name, const Dict& dict) const {
    Dict page = dict;
    page.set("BODY", render(name, dict));
    return render("base.html", page);
}

std::vector<std::string> Renderer::check_all() const {
    std::vector<std::string> problems;
    std::vector<std::string> names;
    std::error_code ec;
    // The error_code overloads: a vanished or unreadable entry is a reported problem, not a
    // filesystem_error thrown out of a test.
    for (fs::recursive_directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code type_ec;
        if (!it->is_regular_file(type_ec)) continue;
        const auto ext = it->path().extension();
        if (ext != ".html" && ext != ".txt") continue;
        names.push_back(it->path().lexically_relative(dir_).generic_string());
    }
    if (ec) problems.push_back(dir_ + ": cannot list: " + ec.message());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
        const fs::path path = fs::path(dir_) / name;
        switch (check_first_line(path)) {
            case FirstLine::missing_file:
                problems.push_back(name + ": cannot read");
                continue;
            case FirstLine::no_pragma:
                problems.push_back(name + ": first line does not start with {{%AUTOESCAPE");
                continue;
            case FirstLine::ok:
                break;
        }
        if (!cache_->LoadTemplate(ts(name), kStrip)) {
            problems.push_back(name + ": fails to parse");
            continue;
        }
        loaded_.insert(name);
        // ctemplate has no plain-text context, so mail bodies (*.txt, never shown by a
        // browser) may print values raw; HTML pages may not.
        if (name.ends_with(".txt")) continue;
        for (const std::string& var : unescaped_variables(path)) {
            problems.push_back(name + ": {{" + var + ":none}} prints unescaped (only BODY may)");
        }
    }
    return problems;
}

}  // namespace canaille::view
