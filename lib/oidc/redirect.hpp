// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

#include "model/client.hpp"
#include "oidc/params.hpp"

namespace canaille::oidc {

/// How authorization response parameters travel (OAuth 2 Multiple Response Types §2.1).
enum class ResponseMode { query, fragment };

/// "query" / "fragment".
std::string_view to_string(ResponseMode mode);

/// RFC 6749 §3.1.2.3 and OAuth 2.0 Security BCP §4.1.3: `uri` is byte-for-byte one of the
/// client's registered redirect_uris. No prefix, pattern, case or trailing-slash leniency.
bool redirect_uri_registered(const model::Client& client, std::string_view uri);

/// `uri` with `params` (application/x-www-form-urlencoded) added to its query, keeping an
/// existing query (RFC 6749 §3.1.2: "MUST retain the query component"), or put in the
/// fragment. A fragment already in `uri` is dropped (RFC 6749 §3.1.2 forbids one in a
/// redirection URI). Empty `params` returns `uri` unchanged.
std::string build_redirect(std::string_view uri, const Params& params, ResponseMode mode);

}  // namespace canaille::oidc
