// SPDX-License-Identifier: MIT
#include "http/response.hpp"

#include <algorithm>
#include <stdexcept>

#include "util/strings.hpp"

namespace canaille::http {

namespace {

// RFC 9110 §5.6.2 tchar: what a header or cookie name may be made of.
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

// RFC 6265 §4.1.1 cookie-octet: no CTLs, whitespace, DQUOTE, comma, semicolon or backslash.
bool is_cookie_octet(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
           (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

// A path attribute value (RFC 6265 §4.1.1 av-octet) must not end the attribute early.
bool is_path_octet(char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c >= 0x20 && c < 0x7f && c != ';';
}

}  // namespace

void Response::set_header(std::string_view name, std::string value) {
    auto it = std::find_if(headers.begin(), headers.end(),
                           [&](const auto& h) { return iequals(h.first, name); });
    if (it == headers.end()) {
        headers.emplace_back(std::string(name), std::move(value));
        return;
    }
    it->second = std::move(value);
    // Later duplicates would contradict the replacement.
    headers.erase(std::remove_if(std::next(it), headers.end(),
                                 [&](const auto& h) { return iequals(h.first, name); }),
                  headers.end());
}

void Response::add_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
}

bool Response::has_header(std::string_view name) const {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return iequals(h.first, name); });
}

std::string_view Response::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

void Response::set_cookie(const Cookie& cookie) {
    add_header("Set-Cookie", format_set_cookie(cookie));
}

Response Response::html(std::string body, int status) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.set_header("Content-Type", "text/html; charset=utf-8");
    return r;
}

Response Response::json(std::string body, int status) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    // RFC 8259 §11: application/json defines no charset parameter; it is always UTF-8.
    r.set_header("Content-Type", "application/json");
    return r;
}

Response Response::text(std::string body, int status) {
    Response r;
    r.status = status;
    r.body = std::move(body);
    r.set_header("Content-Type", "text/plain; charset=utf-8");
    return r;
}

Response Response::redirect(std::string location, int status) {
    Response r;
    r.status = status;
    r.set_header("Location", std::move(location));
    return r;
}

std::string_view status_reason(int status) {
    // RFC 9110 §15 (and RFC 6585 for 428/429/431).
    switch (status) {
        case 100:
            return "Continue";
        case 101:
            return "Switching Protocols";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 203:
            return "Non-Authoritative Information";
        case 204:
            return "No Content";
        case 205:
            return "Reset Content";
        case 206:
            return "Partial Content";
        case 300:
            return "Multiple Choices";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 303:
            return "See Other";
        case 304:
            return "Not Modified";
        case 307:
            return "Temporary Redirect";
        case 308:
            return "Permanent Redirect";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 402:
            return "Payment Required";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 406:
            return "Not Acceptable";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 411:
            return "Length Required";
        case 412:
            return "Precondition Failed";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 415:
            return "Unsupported Media Type";
        case 416:
            return "Range Not Satisfiable";
        case 417:
            return "Expectation Failed";
        case 421:
            return "Misdirected Request";
        case 422:
            return "Unprocessable Content";
        case 425:
            return "Too Early";
        case 426:
            return "Upgrade Required";
        case 428:
            return "Precondition Required";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        case 505:
            return "HTTP Version Not Supported";
        default:
            break;
    }
    if (status >= 100 && status < 200) return "Informational";
    if (status >= 200 && status < 300) return "Success";
    if (status >= 300 && status < 400) return "Redirection";
    if (status >= 400 && status < 500) return "Client Error";
    return "Server Error";
}

std::string format_set_cookie(const Cookie& cookie) {
    // An invalid name or value would let one attribute smuggle others in: that is a bug in
    // the caller, not user input, hence an exception.
    if (cookie.name.empty() || !std::all_of(cookie.name.begin(), cookie.name.end(), is_tchar)) {
        throw std::invalid_argument("invalid cookie name");
    }
    if (!std::all_of(cookie.value.begin(), cookie.value.end(), is_cookie_octet)) {
        throw std::invalid_argument("invalid cookie value for " + cookie.name);
    }
    if (!std::all_of(cookie.path.begin(), cookie.path.end(), is_path_octet)) {
        throw std::invalid_argument("invalid cookie path for " + cookie.name);
    }
    std::string out = cookie.name + "=" + cookie.value;
    if (!cookie.path.empty()) out.append("; Path=").append(cookie.path);
    if (cookie.max_age == 0) {
        // RFC 6265 §5.2.2: Max-Age=0 expires at once; Expires covers pre-6265 clients.
        out.append("; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    } else if (cookie.max_age > 0) {
        out.append("; Max-Age=").append(std::to_string(cookie.max_age));
    }
    // Browsers drop SameSite=None cookies that are not Secure (RFC 6265bis §5.6.7).
    const bool secure = cookie.secure || cookie.same_site == SameSite::none;
    if (secure) out.append("; Secure");
    if (cookie.http_only) out.append("; HttpOnly");
    switch (cookie.same_site) {
        case SameSite::lax:
            out.append("; SameSite=Lax");
            break;
        case SameSite::strict:
            out.append("; SameSite=Strict");
            break;
        case SameSite::none:
            out.append("; SameSite=None");
            break;
    }
    return out;
}

}  // namespace canaille::http
