// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "http/request.hpp"
#include "util/result.hpp"

namespace canaille::http {

/// Why a request could not be parsed; `status` is the 4xx to answer with.
struct ParseError {
    int status = 400;
    std::string reason;
};

/// application/x-www-form-urlencoded (also query strings). Rejects invalid percent
/// escapes, invalid UTF-8, too many fields and oversized values.
Result<Params, ParseError> parse_urlencoded(std::string_view text, const Limits& limits);

/// multipart/form-data (RFC 7578) with the boundary from `content_type`. Text fields go to
/// `form`, parts with a filename to `files`. Bounded by `limits`.
Result<void, ParseError> parse_multipart(std::string_view body, std::string_view content_type,
                                         const Limits& limits, Params& form,
                                         std::vector<UploadedFile>& files);

/// Cookie header (RFC 6265 §5.4); malformed pairs are skipped, too many is an error.
Result<void, ParseError> parse_cookies(std::string_view header, const Limits& limits,
                                       std::map<std::string, std::string, std::less<>>& out);

/// Fills request.query, request.form / files (by Content-Type) and request.cookies.
Result<void, ParseError> parse_request_params(Request& request, const Limits& limits);

}  // namespace canaille::http
