// SPDX-License-Identifier: MIT
#include "http/parse.hpp"

#include <algorithm>
#include <optional>

#include "util/strings.hpp"

namespace canaille::http {

namespace {

constexpr std::size_t kMaxPartHeaders = 16;

Unexpected<ParseError> fail(int status, std::string reason) {
    return unexpected(ParseError{status, std::move(reason)});
}

bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!':
        case '#':
        case '$':
        case '%':
        case '&':
        case '\'':
        case '*':
        case '+':
        case '-':
        case '.':
        case '^':
        case '_':
        case '`':
        case '|':
        case '~':
            return true;
        default:
            return false;
    }
}

/// The media type of a Content-Type value, lower-cased, without parameters.
std::string media_type(std::string_view content_type) {
    const auto semi = content_type.find(';');
    return to_lower(trim(content_type.substr(0, semi)));
}

/// Parses `; name=value; name="quoted"` parameters (RFC 9110 §5.6.6) and returns the value
/// of `wanted` (lower-case name). Quoted-pair escapes are undone.
/// Returns nullopt when absent; sets `bad` when the parameter list is malformed.
std::optional<std::string> header_param(std::string_view params, std::string_view wanted,
                                        bool& bad) {
    bad = false;
    std::optional<std::string> found;
    std::size_t i = 0;
    const auto skip_ows = [&] {
        while (i < params.size() && (params[i] == ' ' || params[i] == '\t')) ++i;
    };
    while (i < params.size()) {
        skip_ows();
        if (i < params.size() && params[i] == ';') {
            ++i;
            continue;
        }
        if (i >= params.size()) break;
        const std::size_t name_start = i;
        while (i < params.size() && is_tchar(params[i])) ++i;
        const std::string name = to_lower(params.substr(name_start, i - name_start));
        skip_ows();
        if (name.empty() || i >= params.size() || params[i] != '=') {
            bad = true;
            return std::nullopt;
        }
        ++i;
        skip_ows();
        std::string value;
        if (i < params.size() && params[i] == '"') {
            ++i;
            bool closed = false;
            while (i < params.size()) {
                const char c = params[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\' && i < params.size()) {
                    value.push_back(params[i++]);
                } else {
                    value.push_back(c);
                }
            }
            if (!closed) {
                bad = true;
                return std::nullopt;
            }
        } else {
            const std::size_t start = i;
            while (i < params.size() && is_tchar(params[i])) ++i;
            value.assign(params.substr(start, i - start));
        }
        skip_ows();
        if (i < params.size() && params[i] != ';') {
            bad = true;
            return std::nullopt;
        }
        // The first occurrence wins; a duplicate must not override what was checked.
        if (name == wanted && !found) found = std::move(value);
    }
    return found;
}

// RFC 2046 §5.1.1 bchars.
bool valid_boundary(std::string_view b) {
    if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
    return std::all_of(b.begin(), b.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
    });
}

struct PartHeaders {
    std::optional<std::string> name;
    std::optional<std::string> filename;
    std::string content_type = "text/plain";
};

Result<PartHeaders, ParseError> parse_part_headers(std::string_view block) {
    PartHeaders out;
    bool saw_disposition = false;
    std::size_t count = 0;
    for (auto line : split(block, '\n')) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        if (++count > kMaxPartHeaders) return fail(400, "too many headers in a multipart part");
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return fail(400, "malformed multipart body: bad part header");
        }
        const std::string name = to_lower(line.substr(0, colon));
        if (!std::all_of(name.begin(), name.end(), is_tchar)) {
            return fail(400, "malformed multipart body: bad part header");
        }
        const auto value = trim(line.substr(colon + 1));
        if (name == "content-disposition") {
            if (saw_disposition) return fail(400, "malformed multipart body: two dispositions");
            saw_disposition = true;
            const auto semi = value.find(';');
            // RFC 7578 §4.2: each part's disposition type is "form-data".
            if (!iequals(trim(value.substr(0, semi)), "form-data")) {
                return fail(400, "malformed multipart body: disposition is not form-data");
            }
            if (semi == std::string_view::npos) continue;
            bool bad = false;
            const auto params = value.substr(semi + 1);
            out.name = header_param(params, "name", bad);
            if (bad) return fail(400, "malformed multipart body: bad Content-Disposition");
            out.filename = header_param(params, "filename", bad);
        } else if (name == "content-type") {
            if (!value.empty()) out.content_type = std::string(value);
        }
    }
    if (!out.name) return fail(400, "malformed multipart body: part without a name");
    return out;
}

}  // namespace

namespace {

/// One urlencoded name or value, decoded and checked (UTF-8). Most values (tokens, codes,
/// ids) are plain ASCII without escapes: those are copied as they are.
std::optional<std::string> decode_component(std::string_view raw) {
    const bool plain = std::all_of(raw.begin(), raw.end(), [](char c) {
        return c != '%' && c != '+' && static_cast<unsigned char>(c) < 0x80;
    });
    if (plain) return std::string(raw);
    bool ok = false;
    auto out = url_decode(raw, true, ok);
    if (!ok || !valid_utf8(out)) return std::nullopt;
    return out;
}

}  // namespace

Result<Params, ParseError> parse_urlencoded(std::string_view text, const Limits& limits) {
    Params out;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('&', start);
        if (end == std::string_view::npos) end = text.size();
        const auto piece = text.substr(start, end - start);
        start = end + 1;
        if (piece.empty()) continue;
        if (out.size() >= limits.max_fields) return fail(413, "too many fields");
        const auto eq = piece.find('=');
        const auto raw_name = piece.substr(0, eq);
        const auto raw_value =
            eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
        // Bounded on the raw form: decoding only ever shrinks it.
        if (raw_name.size() > limits.max_field_size || raw_value.size() > limits.max_field_size) {
            return fail(413, "field too large");
        }
        auto name = decode_component(raw_name);
        auto value = decode_component(raw_value);
        if (!name || !value) {
            // The same distinction as before: a bad escape first, then bad UTF-8.
            bool ok_name = false;
            bool ok_value = false;
            (void)url_decode(raw_name, true, ok_name);
            (void)url_decode(raw_value, true, ok_value);
            if (!ok_name || !ok_value) return fail(400, "invalid percent-encoding");
            return fail(400, "invalid UTF-8");
        }
        out.add(std::move(*name), std::move(*value));
    }
    return out;
}

Result<void, ParseError> parse_multipart(std::string_view body, std::string_view content_type,
                                         const Limits& limits, Params& form,
                                         std::vector<UploadedFile>& files) {
    if (media_type(content_type) != "multipart/form-data") {
        return fail(400, "not a multipart/form-data body");
    }
    const auto semi = content_type.find(';');
    bool bad = false;
    const auto boundary = semi == std::string_view::npos
                              ? std::nullopt
                              : header_param(content_type.substr(semi + 1), "boundary", bad);
    if (bad) return fail(400, "malformed Content-Type parameters");
    if (!boundary) return fail(400, "missing multipart boundary");
    if (!valid_boundary(*boundary)) return fail(400, "invalid multipart boundary");

    const std::string dash_boundary = "--" + *boundary;
    const std::string delimiter = "\r\n" + dash_boundary;

    // RFC 2046 §5.1.1: the first boundary may open the body or follow a preamble line.
    std::size_t pos = 0;
    if (body.substr(0, dash_boundary.size()) != dash_boundary) {
        const auto found = body.find(delimiter);
        if (found == std::string_view::npos) {
            return fail(400, "malformed multipart body: no boundary");
        }
        pos = found + 2;
    }
    pos += dash_boundary.size();
    std::size_t parts = 0;
    for (;;) {
        if (body.substr(pos, 2) == "--") return {};  // close delimiter; epilogue ignored
        // Transport padding (LWSP) may follow a boundary before its CRLF.
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
        if (body.substr(pos, 2) != "\r\n") {
            return fail(400, "malformed multipart body: bad boundary line");
        }
        pos += 2;

        if (++parts > limits.max_fields) return fail(413, "too many fields");
        std::string_view header_block;
        if (body.substr(pos, 2) == "\r\n") {
            header_block = {};
            pos += 2;
        } else {
            const auto end = body.find("\r\n\r\n", pos);
            if (end == std::string_view::npos) {
                return fail(400, "malformed multipart body: unterminated part headers");
            }
            header_block = body.substr(pos, end - pos);
            pos = end + 4;
        }
        if (header_block.size() > limits.max_header_size) {
            return fail(431, "multipart part headers too large");
        }
        auto headers = parse_part_headers(header_block);
        if (!headers) return unexpected(headers.error());

        const auto end = body.find(delimiter, pos);
        if (end == std::string_view::npos) {
            return fail(400, "malformed multipart body: missing closing boundary");
        }
        const auto data = body.substr(pos, end - pos);
        pos = end + delimiter.size();
        if (data.size() > limits.max_field_size) return fail(413, "field too large");
        if (!valid_utf8(*headers->name)) return fail(400, "invalid UTF-8");
        if (headers->filename) {
            if (!valid_utf8(*headers->filename)) return fail(400, "invalid UTF-8");
            files.push_back(UploadedFile{*std::move(headers->name), *std::move(headers->filename),
                                         std::move(headers->content_type), std::string(data)});
        } else {
            if (!valid_utf8(data)) return fail(400, "invalid UTF-8");
            form.add(*std::move(headers->name), std::string(data));
        }
    }
}

Result<void, ParseError> parse_cookies(std::string_view header, const Limits& limits,
                                       std::map<std::string, std::string, std::less<>>& out) {
    if (header.size() > limits.max_header_size) return fail(431, "Cookie header too large");
    std::size_t count = 0;
    for (auto pair : split(header, ';')) {
        pair = trim(pair);
        const auto eq = pair.find('=');
        // RFC 6265 §5.2 step 2: a pair without '=' is ignored, as is an empty name.
        if (eq == std::string_view::npos) continue;
        const auto name = trim(pair.substr(0, eq));
        auto value = trim(pair.substr(eq + 1));
        if (name.empty()) continue;
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
            value = value.substr(1, value.size() - 2);
        }
        if (++count > limits.max_cookies) return fail(400, "too many cookies");
        // RFC 6265 §5.4: the more specific cookie is sent first; keep it.
        out.emplace(std::string(name), std::string(value));
    }
    return {};
}

Result<void, ParseError> parse_request_params(Request& request, const Limits& limits) {
    // Idempotent: a second call (front door, then app) must not duplicate fields.
    request.query = Params();
    request.form = Params();
    request.files.clear();
    request.cookies.clear();
    request.params_parsed = true;

    auto query = parse_urlencoded(request.query_string, limits);
    if (!query) {
        auto error = query.error();
        if (error.status == 413) error.status = 414;  // RFC 9110 §15.5.15: it is the URI
        return unexpected(std::move(error));
    }
    request.query = std::move(query).value();

    if (const auto cookie = request.header("cookie")) {
        auto parsed = parse_cookies(*cookie, limits, request.cookies);
        if (!parsed) return unexpected(parsed.error());
    }

    if (request.body.size() > limits.max_body) return fail(413, "request body too large");
    const auto content_type = request.header("content-type");
    if (!content_type || request.body.empty()) return {};
    const auto type = media_type(*content_type);
    if (type == "application/x-www-form-urlencoded") {
        auto form = parse_urlencoded(request.body, limits);
        if (!form) return unexpected(form.error());
        request.form = std::move(form).value();
    } else if (type == "multipart/form-data") {
        auto parsed =
            parse_multipart(request.body, *content_type, limits, request.form, request.files);
        if (!parsed) return unexpected(parsed.error());
    }
    return {};
}

}  // namespace canaille::http
