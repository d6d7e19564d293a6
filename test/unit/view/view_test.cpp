// SPDX-License-Identifier: MIT
#include "view/view.hpp"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

using canaille::view::Dict;
using canaille::view::Renderer;

namespace {

namespace fs = std::filesystem;

/// A fresh views/ directory per test, removed at the end.
class TempViews {
  public:
    TempViews() {
        std::string tmpl = (fs::temp_directory_path() / "canaille-view-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        dir_ = tmpl;
    }
    ~TempViews() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    TempViews(const TempViews&) = delete;
    TempViews& operator=(const TempViews&) = delete;

    void write(const std::string& name, const std::string& text) const {
        const fs::path p = dir_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
    }
    std::string dir() const { return dir_.string(); }

  private:
    fs::path dir_;
};

constexpr const char* kHtml = "{{%AUTOESCAPE context=\"HTML\"}}\n";

const std::string kBase = std::string(kHtml) +
                          "<title>{{TITLE}}</title>\n"
                          "<main>{{BODY:none}}</main>\n";

}  // namespace

TEST_CASE("values are HTML-escaped", "[view]") {
    TempViews v;
    v.write("hello.html", std::string(kHtml) + "<p>{{NAME}}</p><a title=\"{{NAME}}\">x</a>\n");
    Renderer r(v.dir());
    const std::string out =
        r.render("hello.html", Dict().set("NAME", "<script>alert(\"x\" + 'y')</script>&"));
    CHECK(out.find("<script>") == std::string::npos);
    CHECK(out.find("&lt;script&gt;") != std::string::npos);
    CHECK(out.find("&quot;x&quot;") != std::string::npos);
    CHECK(out.find("&#39;y&#39;") != std::string::npos);
    CHECK(out.find("&amp;") != std::string::npos);
    CHECK(out.find("'y'") == std::string::npos);
}

TEST_CASE("URLs and scripts get their own escaping", "[view]") {
    TempViews v;
    v.write("ctx.html",
            std::string(kHtml) + "<a href=\"{{URL}}\">x</a><script>var s = \"{{S}}\";</script>\n");
    Renderer r(v.dir());
    const std::string out =
        r.render("ctx.html", Dict().set("URL", "javascript:alert(1)").set("S", "\"</script>"));
    CHECK(out.find("javascript:") == std::string::npos);
    CHECK(out.find("</script>\";") == std::string::npos);
    CHECK(out.find("\"</script>") == std::string::npos);
}

TEST_CASE("sections repeat once per dictionary and hide when absent", "[view]") {
    TempViews v;
    v.write("list.html", std::string(kHtml) +
                             "{{#ITEM}}<li>{{NAME}}</li>{{/ITEM}}"
                             "{{#EMPTY}}none{{/EMPTY}}{{#FLAG}}flag{{/FLAG}}\n");
    Renderer r(v.dir());
    Dict d;
    d.add_section("ITEM", Dict().set("NAME", "a"))
        .add_section("ITEM", Dict().set("NAME", "<b>"))
        .show("FLAG");
    const std::string out = r.render("list.html", d);
    CHECK(out == "<li>a</li><li>&lt;b&gt;</li>flag\n");
    CHECK(r.render("list.html", Dict()) == "\n");
    CHECK(r.render("list.html", Dict().show("FLAG").show("FLAG")) == "flag\n");
}

TEST_CASE("section dictionaries see the parent's values", "[view]") {
    TempViews v;
    v.write("nested.html",
            std::string(kHtml) + "{{#ROW}}{{USER}}:{{VALUE}};{{#SUB}}[{{VALUE}}]{{/SUB}}{{/ROW}}");
    Renderer r(v.dir());
    Dict d;
    d.set("USER", "u")
        .add_section("ROW", Dict().set("VALUE", "1").add_section("SUB", Dict().set("VALUE", "2")));
    CHECK(r.render("nested.html", d) == "u:1;[2]");
}

TEST_CASE("render_page wraps the page in base.html", "[view]") {
    TempViews v;
    v.write("base.html", kBase);
    v.write("core/page.html", std::string(kHtml) + "<h1>{{TITLE}}</h1>\n<p>{{MSG}}</p>\n");
    Renderer r(v.dir());
    const std::string out = r.render_page(
        "core/page.html", Dict().set("TITLE", "Hi <you>").set("MSG", "<img src=x onerror=1>"));
    CHECK(out ==
          "<title>Hi &lt;you&gt;</title>\n"
          "<main><h1>Hi &lt;you&gt;</h1>\n<p>&lt;img src=x onerror=1&gt;</p>\n</main>\n");
}

TEST_CASE("a BODY value in the page dict cannot inject HTML", "[view]") {
    TempViews v;
    v.write("base.html", kBase);
    v.write("page.html", std::string(kHtml) + "{{BODY}}\n");
    Renderer r(v.dir());
    const std::string out = r.render_page("page.html", Dict().set("BODY", "<script>"));
    CHECK(out.find("<script>") == std::string::npos);
}

TEST_CASE("missing templates throw", "[view]") {
    TempViews v;
    Renderer r(v.dir());
    CHECK_THROWS_AS(r.render("nope.html", Dict()), std::runtime_error);
    CHECK_THROWS_AS(r.render("", Dict()), std::runtime_error);
    CHECK_THROWS_AS(r.render("../etc/passwd", Dict()), std::runtime_error);
    CHECK_THROWS_AS(r.render("/etc/passwd", Dict()), std::runtime_error);
    v.write("page.html", std::string(kHtml) + "x\n");
    // No base.html: render_page fails loudly rather than returning a bare fragment.
    CHECK_THROWS_AS(r.render_page("page.html", Dict()), std::runtime_error);
}

TEST_CASE("templates without AUTOESCAPE throw", "[view]") {
    TempViews v;
    v.write("raw.html", "<p>{{NAME}}</p>\n");
    v.write("late.html", "\n{{%AUTOESCAPE context=\"HTML\"}}\n<p>{{NAME}}</p>\n");
    v.write("empty.html", "");
    Renderer r(v.dir());
    CHECK_THROWS_AS(r.render("raw.html", Dict().set("NAME", "<b>")), std::runtime_error);
    CHECK_THROWS_AS(r.render("late.html", Dict()), std::runtime_error);
    CHECK_THROWS_AS(r.render("empty.html", Dict()), std::runtime_error);
}

TEST_CASE("templates that fail to parse throw", "[view]") {
    TempViews v;
    v.write("broken.html", std::string(kHtml) + "{{#OPEN}}never closed\n");
    Renderer r(v.dir());
    CHECK_THROWS_AS(r.render("broken.html", Dict()), std::runtime_error);
}

TEST_CASE("two renderers do not share templates", "[view]") {
    TempViews a;
    TempViews b;
    a.write("same.html", std::string(kHtml) + "A");
    b.write("same.html", std::string(kHtml) + "B");
    Renderer ra(a.dir());
    Renderer rb(b.dir());
    CHECK(ra.render("same.html", Dict()) == "A");
    CHECK(rb.render("same.html", Dict()) == "B");
    CHECK(ra.render("same.html", Dict()) == "A");
}

TEST_CASE("check_all reports every problem", "[view]") {
    TempViews v;
    v.write("base.html", kBase);
    v.write("core/ok.html", std::string(kHtml) + "{{A}}{{! a comment: none }}\n");
    v.write("mail/ok.txt", "{{%AUTOESCAPE context=\"HTML\"}}\nHello {{NAME:none}}\n");
    v.write("core/raw.html", "<p>{{A}}</p>\n");
    v.write("admin/broken.html", std::string(kHtml) + "{{#X}}\n");
    v.write("mail/raw.txt", "Hello {{NAME}}\n");
    v.write("core/unescaped.html", std::string(kHtml) + "{{EVIL:none}}{{OK:h}}\n");
    v.write("notes.md", "not a template {{X}}\n");

    {
        Renderer good(v.dir() + "/mail");
        // mail/raw.txt has no pragma, so even this subtree reports it.
        CHECK(good.check_all().size() == 1);
    }
    Renderer r(v.dir());
    const std::vector<std::string> problems = r.check_all();
    INFO([&] {
        std::string all;
        for (const auto& p : problems) all += p + "\n";
        return all;
    }());
    REQUIRE(problems.size() == 4);
    const auto has = [&](const std::string& prefix) {
        return std::any_of(problems.begin(), problems.end(),
                           [&](const std::string& p) { return p.rfind(prefix, 0) == 0; });
    };
    CHECK(has("core/raw.html: "));
    CHECK(has("admin/broken.html: "));
    CHECK(has("mail/raw.txt: "));
    CHECK(has("core/unescaped.html: {{EVIL:none}}"));

    TempViews clean;
    clean.write("base.html", kBase);
    clean.write("x/y/z.html", std::string(kHtml) + "{{Z}}\n");
    CHECK(Renderer(clean.dir()).check_all().empty());
    CHECK(Renderer(clean.dir() + "/").check_all().empty());
}
