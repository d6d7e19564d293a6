// SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/client.hpp"

namespace canaille::oidc {

/// The host of an absolute URI (RFC 3986 §3.2.2): lowercased, userinfo and port removed,
/// brackets of an IPv6 literal removed, one trailing dot removed. nullopt when `uri` has no
/// scheme and authority or the host is empty or malformed.
std::optional<std::string> uri_host(std::string_view uri);

/// "scheme://host[:port]" lowercased (RFC 6454 §6.2 serialisation, default ports dropped),
/// as browsers send in `Origin`; nullopt when `uri` is not absolute with a host.
std::optional<std::string> uri_origin(std::string_view uri);

/// TRUSTED_DOMAINS matching: ".example.org" matches example.org and any subdomain,
/// anything else matches exactly. Case-insensitive.
bool host_matches(std::string_view host, std::string_view pattern);

/// Reference §2 "Trusted": the hosts of client_uri and of every redirect_uri match one of
/// `trusted_domains`. A client with no URI at all, or with an unparsable one, is not trusted.
bool is_trusted(const model::Client& client, const std::vector<std::string>& trusted_domains);

}  // namespace canaille::oidc
