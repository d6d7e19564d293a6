// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oidc/error.hpp"
#include "util/result.hpp"

namespace canaille::oidc {

/// Request parameters as decoded name/value pairs in arrival order (query string or
/// form body). oidc cannot see http::Params; the route copies into this.
using Params = std::vector<std::pair<std::string, std::string>>;

/// The first value of `name`, or nullopt.
std::optional<std::string_view> param(const Params& params, std::string_view name);

/// How many times `name` occurs.
std::size_t param_count(const Params& params, std::string_view name);

/// RFC 6749 §3.1 and §3.2: "parameters MUST NOT be included more than once".
/// invalid_request naming the first of `names` that occurs twice.
Result<void, Error> reject_duplicates(const Params& params,
                                      std::initializer_list<std::string_view> names);

}  // namespace canaille::oidc
