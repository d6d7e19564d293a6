// SPDX-License-Identifier: MIT
// view: ctemplate rendering with auto-escaping. Depends on util only.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace ctemplate {
class TemplateCache;
}

namespace canaille::view {

/// Values handed to a template. Scalars are escaped by the template's AUTOESCAPE context;
/// `sections` show a {{#NAME}} block once per dictionary in the list.
class Dict {
  public:
    Dict& set(const std::string& key, std::string value);
    Dict& show(const std::string& section);  ///< show {{#section}} once with no values
    Dict& add_section(const std::string& section, Dict child);

    const std::map<std::string, std::string>& values() const { return values_; }
    const std::map<std::string, std::vector<Dict>>& sections() const { return sections_; }

  private:
    std::map<std::string, std::string> values_;
    std::map<std::string, std::vector<Dict>> sections_;
};

/// Loads templates from a directory (views/) once; thread-unsafe (workers are single
/// threaded). Every template must start with {{%AUTOESCAPE ...}}.
class Renderer {
  public:
    explicit Renderer(std::string views_dir);
    ~Renderer();
    Renderer(const Renderer&) = delete;
    Renderer& operator=(const Renderer&) = delete;

    /// Renders views/<name> (e.g. "core/login.html"); throws std::runtime_error when the
    /// template is missing, fails to parse, does not start with {{%AUTOESCAPE, or `name`
    /// is not a plain relative path inside views/.
    std::string render(const std::string& name, const Dict& dict) const;

    /// Renders `name` and wraps it in views/base.html with TITLE and the page dict's
    /// layout values (BODY is inserted unescaped: it is already rendered HTML).
    std::string render_page(const std::string& name, const Dict& dict) const;

    /// Loads every *.html and *.txt under views/ and returns one line per problem
    /// ("core/x.html: ..."): no leading {{%AUTOESCAPE, a parse failure, or a `:none`
    /// (unescaped) modifier on anything but BODY in an *.html file. Empty when all is well.
    /// (ctemplate contexts are HTML, JAVASCRIPT, CSS, JSON and XML: there is no plain-text
    /// one, so mail *.txt templates use context="HTML" and may print values with `:none`.)
    std::vector<std::string> check_all() const;

    const std::string& dir() const { return dir_; }

  private:
    /// Loads `name` into the cache once, after the AUTOESCAPE check; throws on failure.
    void ensure_loaded(const std::string& name) const;

    std::string dir_;
    // A private cache, so two Renderers (tests, a reload) never see each other's templates.
    std::unique_ptr<ctemplate::TemplateCache> cache_;
    mutable std::set<std::string> loaded_;
};

}  // namespace canaille::view
