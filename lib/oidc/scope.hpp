// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "oidc/error.hpp"
#include "util/result.hpp"

namespace canaille::oidc {

using Scopes = std::vector<std::string>;

/// Longest `scope` parameter accepted.
inline constexpr std::size_t kMaxScopeBytes = 4096;

/// RFC 6749 §3.3: space-delimited scope-tokens of %x21 / %x23-5B / %x5D-7E. Runs of spaces
/// are tolerated, duplicates dropped keeping the first occurrence. An empty string gives an
/// empty list. invalid_scope on a forbidden character or more than kMaxScopeBytes.
Result<Scopes, Error> parse_scope(std::string_view text);

/// The space-separated form (RFC 6749 §3.3), e.g. for the token response `scope`.
std::string join_scope(const Scopes& scopes);

bool has_scope(const Scopes& scopes, std::string_view scope);

/// True when every scope in `wanted` is in `have`.
bool scopes_cover(const Scopes& have, const Scopes& wanted);

/// What a client gets (Canaille, reference §2 "Scopes"): the requested scopes that the
/// client is registered for, in request order; nothing requested → the client's scopes;
/// a client registered with no scope → everything requested. Extra requested scopes are
/// dropped silently (RFC 6749 §3.3 lets the server narrow and say so in the response).
Scopes granted_scopes(const Scopes& requested, const Scopes& client_scope);

/// Union keeping the order of `a` then the new ones of `b` (consent merging).
Scopes merge_scopes(const Scopes& a, const Scopes& b);

}  // namespace canaille::oidc
