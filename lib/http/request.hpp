// SPDX-License-Identifier: MIT
// http: requests, responses, parsing with limits, routing, and the two front doors
// (FastCGI and the development server). It knows nothing of OAuth, stores or views.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace canaille::http {

/// Ordered multimap of decoded name/value pairs (query strings, form bodies).
class Params {
  public:
    void add(std::string name, std::string value) {
        items_.emplace_back(std::move(name), std::move(value));
    }
    /// First value for `name`.
    std::optional<std::string_view> get(std::string_view name) const;
    /// First value or "".
    std::string_view get_or(std::string_view name, std::string_view fallback = {}) const;
    /// Every value for `name`, in order (repeated fields, list attributes).
    std::vector<std::string_view> all(std::string_view name) const;
    bool has(std::string_view name) const { return get(name).has_value(); }
    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
    std::size_t size() const { return items_.size(); }

  private:
    std::vector<std::pair<std::string, std::string>> items_;
};

/// One uploaded file of a multipart/form-data body.
struct UploadedFile {
    std::string field;
    std::string filename;
    std::string content_type;
    std::string data;
};

/// Limits applied before and while parsing; exceeding one is a 4xx, never a crash.
struct Limits {
    std::size_t max_body = 10 * 1024 * 1024;   ///< bytes of request body (413 above)
    std::size_t max_fields = 1000;             ///< name/value pairs in a query or form
    std::size_t max_field_size = 1024 * 1024;  ///< bytes of one value (multipart or urlencoded)
    std::size_t max_header_size = 8192;        ///< bytes of one header value (431 above)
    std::size_t max_cookies = 50;
};

/// An incoming request, independent of the front door that produced it.
///
/// `path` is the part after `script_name` (FastCGI SCRIPT_NAME / PATH_INFO), so an
/// application mounted at /auth sees "/login" while every URL it generates carries
/// `script_name` through url_for().
struct Request {
    std::string method;        ///< upper-case, e.g. "GET"
    std::string script_name;   ///< mount prefix without trailing slash, "" at the root
    std::string path;          ///< decoded path below the prefix, always starts with '/'
    std::string query_string;  ///< raw, undecoded
    std::string scheme = "http";
    std::string host;  ///< Host header (or SERVER_NAME) with port if any
    std::string remote_addr;
    std::string body;
    /// Header names lower-cased; one entry per header (repeated headers joined by ", ").
    std::map<std::string, std::string, std::less<>> headers;

    // Filled by parse_request_params(); empty until then.
    Params query;
    Params form;
    std::vector<UploadedFile> files;
    std::map<std::string, std::string, std::less<>> cookies;
    /// Set by parse_request_params(): the front doors parse before the application sees the
    /// request, so the application need not parse again.
    bool params_parsed = false;

    /// Route parameters captured by the router (`<name>` segments).
    std::map<std::string, std::string, std::less<>> route_params;

    std::optional<std::string_view> header(std::string_view lower_name) const;
    std::string_view route_param(std::string_view name) const;
    std::optional<std::string_view> cookie(std::string_view name) const;
    bool is_secure() const { return scheme == "https"; }

    /// Absolute path for `path` under the mount prefix ("/auth" + "/login").
    std::string url_for(std::string_view app_path) const;
    /// scheme://host + url_for(app_path).
    std::string external_url(std::string_view app_path) const;
};

}  // namespace canaille::http
