// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canaille::http {

enum class SameSite { lax, strict, none };

struct Cookie {
    std::string name;
    std::string value;
    std::string path = "/";
    long max_age = -1;  ///< seconds; -1 = session cookie; 0 = delete
    bool http_only = true;
    bool secure = false;
    SameSite same_site = SameSite::lax;
};

/// An outgoing response; front doors serialise it (FastCGI "Status:" line or HTTP/1.1).
struct Response {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    /// Replaces any header of the same name (case-insensitive).
    void set_header(std::string_view name, std::string value);
    /// Appends, keeping existing headers of that name (Set-Cookie).
    void add_header(std::string name, std::string value);
    bool has_header(std::string_view name) const;
    std::string_view header(std::string_view name) const;
    void set_cookie(const Cookie& cookie);

    static Response html(std::string body, int status = 200);
    static Response json(std::string body, int status = 200);
    static Response text(std::string body, int status = 200);
    /// 302 (or `status`) to `location`, which must already carry the mount prefix.
    static Response redirect(std::string location, int status = 302);
};

/// Reason phrase for a status code ("Not Found").
std::string_view status_reason(int status);

/// Serialises a Set-Cookie header value.
std::string format_set_cookie(const Cookie& cookie);

}  // namespace canaille::http
