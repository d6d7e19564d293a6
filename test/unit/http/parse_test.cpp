// SPDX-License-Identifier: MIT
#include "http/parse.hpp"

#include <catch2/catch.hpp>
#include <string>

using canaille::http::Limits;
using canaille::http::Params;
using canaille::http::Request;
using canaille::http::UploadedFile;

namespace {

struct UrlencodedCase {
    std::string input;
    int status;  // 0 = accepted
    std::vector<std::pair<std::string, std::string>> fields;
};

}  // namespace

TEST_CASE("parse_urlencoded: table of inputs", "[http][parse]") {
    const std::vector<UrlencodedCase> cases = {
        {"", 0, {}},
        {"a=1", 0, {{"a", "1"}}},
        {"a=1&b=2&a=3", 0, {{"a", "1"}, {"b", "2"}, {"a", "3"}}},
        {"a", 0, {{"a", ""}}},
        {"a=", 0, {{"a", ""}}},
        {"=x", 0, {{"", "x"}}},
        {"&&a=1&&", 0, {{"a", "1"}}},
        {"q=a+b%20c", 0, {{"q", "a b c"}}},
        {"x=%3D%26%2B", 0, {{"x", "=&+"}}},
        {"k%C3%A9=v%C3%A9", 0, {{"k\xc3\xa9", "v\xc3\xa9"}}},
        {"a=b=c", 0, {{"a", "b=c"}}},
        {"a=%", 400, {}},
        {"a=%4", 400, {}},
        {"a=%zz", 400, {}},
        {"%G0=1", 400, {}},
        {"a=%FF", 400, {}},        // invalid UTF-8 after decoding
        {"a=%C0%AF", 400, {}},     // overlong '/'
        {"a=%ED%A0%80", 400, {}},  // UTF-16 surrogate
        {"a=\xff", 400, {}},       // raw invalid byte
    };
    for (const auto& c : cases) {
        CAPTURE(c.input);
        const auto r = canaille::http::parse_urlencoded(c.input, Limits{});
        if (c.status == 0) {
            REQUIRE(r.has_value());
            CHECK(r->items() == c.fields);
        } else {
            REQUIRE_FALSE(r.has_value());
            CHECK(r.error().status == c.status);
        }
    }
}

TEST_CASE("parse_urlencoded: reasons name the problem", "[http][parse]") {
    const auto pct = canaille::http::parse_urlencoded("a=%x1", Limits{});
    REQUIRE_FALSE(pct);
    CHECK(pct.error().reason == "invalid percent-encoding");
    const auto utf = canaille::http::parse_urlencoded("a=%C3", Limits{});
    REQUIRE_FALSE(utf);
    CHECK(utf.error().reason == "invalid UTF-8");
}

TEST_CASE("parse_urlencoded: limits", "[http][parse]") {
    Limits limits;
    limits.max_fields = 3;
    limits.max_field_size = 8;
    CHECK(canaille::http::parse_urlencoded("a=1&b=2&c=3", limits));
    const auto many = canaille::http::parse_urlencoded("a=1&b=2&c=3&d=4", limits);
    REQUIRE_FALSE(many);
    CHECK(many.error().status == 413);
    const auto big = canaille::http::parse_urlencoded("a=123456789", limits);
    REQUIRE_FALSE(big);
    CHECK(big.error().status == 413);
    const auto big_name = canaille::http::parse_urlencoded("123456789=a", limits);
    REQUIRE_FALSE(big_name);
    CHECK(big_name.error().status == 413);
    CHECK(canaille::http::parse_urlencoded("a=12345678", limits));
}

TEST_CASE("Params accessors", "[http][parse]") {
    const auto r = canaille::http::parse_urlencoded("g=a&x=1&g=b", Limits{});
    REQUIRE(r);
    CHECK(r->get("g") == "a");
    CHECK(r->all("g") == std::vector<std::string_view>{"a", "b"});
    CHECK(r->get_or("missing", "d") == "d");
    CHECK_FALSE(r->has("missing"));
    CHECK(r->size() == 3);
}

namespace {

const std::string kCt = "multipart/form-data; boundary=XyZ";

struct MultipartResult {
    bool ok;
    int status;
    std::string reason;
    Params form;
    std::vector<UploadedFile> files;
};

MultipartResult multipart(const std::string& body, const std::string& ct = kCt,
                          const Limits& limits = Limits{}) {
    MultipartResult out{};
    const auto r = canaille::http::parse_multipart(body, ct, limits, out.form, out.files);
    out.ok = r.has_value();
    if (!r) {
        out.status = r.error().status;
        out.reason = r.error().reason;
    }
    return out;
}

}  // namespace

TEST_CASE("parse_multipart: well-formed bodies", "[http][parse]") {
    const std::string png(
        "\x89PNG\r\n\x1a\n\xff\x00"
        "data",
        13);
    const std::string body =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"user\"\r\n"
        "\r\n"
        "jos\xc3\xa9\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"avatar\"; filename=\"me.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n" +
        png +
        "\r\n"
        "--XyZ\r\n"
        "content-disposition: FORM-DATA; name=empty\r\n"
        "\r\n"
        "\r\n"
        "--XyZ--\r\n"
        "epilogue is ignored";
    const auto r = multipart(body);
    REQUIRE(r.ok);
    CHECK(r.form.get("user") == "jos\xc3\xa9");
    CHECK(r.form.get("empty") == "");
    REQUIRE(r.files.size() == 1);
    CHECK(r.files[0].field == "avatar");
    CHECK(r.files[0].filename == "me.png");
    CHECK(r.files[0].content_type == "image/png");
    CHECK(r.files[0].data == png);
}

TEST_CASE("parse_multipart: quoted boundary, preamble, padding", "[http][parse]") {
    const std::string body =
        "preamble\r\n--a b:c  \r\n"
        "Content-Disposition: form-data; name=\"q\\\"uote\"\r\n\r\n"
        "v\r\n--a b:c--";
    const auto r = multipart(body, "Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"");
    REQUIRE(r.ok);
    CHECK(r.form.get("q\"uote") == "v");
}

TEST_CASE("parse_multipart: broken bodies are 4xx", "[http][parse]") {
    const std::string part = "Content-Disposition: form-data; name=\"a\"\r\n\r\nvalue";
    const std::vector<std::pair<std::string, int>> cases = {
        {"", 400},
        {"garbage", 400},
        {"--XyZ", 400},
        {"--XyZ\r\n" + part, 400},                                         // no closing boundary
        {"--XyZ\r\n" + part + "\r\n--XyZ", 400},                           // truncated at boundary
        {"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n", 400},  // headers never end
        {"--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--", 400},
        {"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--", 400},  // no name
        {"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", 400},        // no disposition
        {"--XyZ\r\nno colon here\r\n\r\nv\r\n--XyZ--", 400},
        {"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--", 400},
        {"--XyZjunk\r\n" + part + "\r\n--XyZ--", 400},
        {"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\xff\xfe\r\n--XyZ--", 400},
    };
    for (const auto& [body, status] : cases) {
        CAPTURE(body);
        const auto r = multipart(body);
        REQUIRE_FALSE(r.ok);
        CHECK(r.status == status);
        CHECK_FALSE(r.reason.empty());
    }
    const auto truncated = multipart("--XyZ\r\n" + part);
    CHECK(truncated.reason.find("malformed multipart body") == 0);
}

TEST_CASE("parse_multipart: content type problems", "[http][parse]") {
    const std::string body = "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--";
    CHECK(multipart(body).ok);
    CHECK(multipart(body, "multipart/form-data").status == 400);
    CHECK(multipart(body, "multipart/form-data; boundary=").status == 400);
    CHECK(multipart(body, "multipart/form-data; boundary=\"XyZ").status == 400);
    CHECK(multipart(body, "multipart/mixed; boundary=XyZ").status == 400);
    CHECK(multipart(body, "multipart/form-data; boundary=" + std::string(71, 'a')).status == 400);
    CHECK(multipart(body, "multipart/form-data; boundary=a;;; =").status == 400);
}

TEST_CASE("parse_multipart: limits", "[http][parse]") {
    Limits limits;
    limits.max_fields = 2;
    limits.max_field_size = 4;
    const auto field = [](const std::string& name, const std::string& value) {
        return "--XyZ\r\nContent-Disposition: form-data; name=" + name + "\r\n\r\n" + value +
               "\r\n";
    };
    CHECK(multipart(field("a", "1234") + field("b", "x") + "--XyZ--", kCt, limits).ok);
    CHECK(multipart(field("a", "12345") + "--XyZ--", kCt, limits).status == 413);
    CHECK(multipart(field("a", "1") + field("b", "2") + field("c", "3") + "--XyZ--", kCt, limits)
              .status == 413);
    Limits small_headers;
    small_headers.max_header_size = 16;
    CHECK(multipart(field("a", "1") + "--XyZ--", kCt, small_headers).status == 431);
}

TEST_CASE("parse_cookies", "[http][parse]") {
    std::map<std::string, std::string, std::less<>> jar;
    REQUIRE(canaille::http::parse_cookies("a=1; b=\"two\";c=3 ; bad; =x; a=ignored; e=", Limits{},
                                          jar));
    CHECK(jar == std::map<std::string, std::string, std::less<>>{
                     {"a", "1"}, {"b", "two"}, {"c", "3"}, {"e", ""}});

    Limits limits;
    limits.max_cookies = 2;
    jar.clear();
    const auto many = canaille::http::parse_cookies("a=1; b=2; c=3", limits, jar);
    REQUIRE_FALSE(many);
    CHECK(many.error().status == 400);

    jar.clear();
    const auto huge = canaille::http::parse_cookies("a=" + std::string(9000, 'x'), Limits{}, jar);
    REQUIRE_FALSE(huge);
    CHECK(huge.error().status == 431);
}

TEST_CASE("parse_request_params dispatches on Content-Type", "[http][parse]") {
    Request req;
    req.method = "POST";
    req.query_string = "next=%2Fprofile";
    req.headers["cookie"] = "session=abc";
    req.headers["content-type"] = "application/x-www-form-urlencoded; charset=UTF-8";
    req.body = "login=jo&password=p%40ss";
    REQUIRE(canaille::http::parse_request_params(req, Limits{}));
    CHECK(req.query.get("next") == "/profile");
    CHECK(req.form.get("password") == "p@ss");
    CHECK(req.cookie("session") == "abc");

    // Idempotent: a second call does not duplicate fields.
    REQUIRE(canaille::http::parse_request_params(req, Limits{}));
    CHECK(req.form.size() == 2);
    CHECK(req.query.size() == 1);

    req.headers["content-type"] = "application/json";
    req.body = "{\"a\": 1}";
    REQUIRE(canaille::http::parse_request_params(req, Limits{}));
    CHECK(req.form.size() == 0);

    req.headers["content-type"] = "multipart/form-data; boundary=b";
    req.body = "--b\r\nContent-Disposition: form-data; name=x\r\n\r\ny\r\n--b--\r\n";
    REQUIRE(canaille::http::parse_request_params(req, Limits{}));
    CHECK(req.form.get("x") == "y");

    req.headers["content-type"] = "multipart/form-data; boundary=b";
    req.body = "--b\r\nbroken";
    const auto broken = canaille::http::parse_request_params(req, Limits{});
    REQUIRE_FALSE(broken);
    CHECK(broken.error().status == 400);
}

TEST_CASE("parse_request_params errors", "[http][parse]") {
    Limits limits;
    limits.max_body = 10;
    Request req;
    req.headers["content-type"] = "application/x-www-form-urlencoded";
    req.body = "a=12345678901";
    auto r = canaille::http::parse_request_params(req, limits);
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 413);

    Request bad_query;
    bad_query.query_string = "a=%ZZ";
    r = canaille::http::parse_request_params(bad_query, Limits{});
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 400);

    Limits few;
    few.max_fields = 1;
    Request many_query;
    many_query.query_string = "a=1&b=2";
    r = canaille::http::parse_request_params(many_query, few);
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 414);

    Request big_cookie;
    big_cookie.headers["cookie"] = std::string(10000, 'c');
    r = canaille::http::parse_request_params(big_cookie, Limits{});
    REQUIRE_FALSE(r);
    CHECK(r.error().status == 431);
}
