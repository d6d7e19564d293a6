// SPDX-License-Identifier: MIT
#include "oidc/params.hpp"

namespace canaille::oidc {

std::optional<std::string_view> param(const Params& params, std::string_view name) {
    for (const auto& [k, v] : params) {
        if (k == name) return std::string_view(v);
    }
    return std::nullopt;
}

std::size_t param_count(const Params& params, std::string_view name) {
    std::size_t n = 0;
    for (const auto& kv : params) {
        if (kv.first == name) ++n;
    }
    return n;
}

Result<void, Error> reject_duplicates(const Params& params,
                                      std::initializer_list<std::string_view> names) {
    for (auto name : names) {
        if (param_count(params, name) > 1) {
            return unexpected(
                Error{Errc::invalid_request, "parameter '" + std::string(name) + "' repeated"});
        }
    }
    return {};
}

}  // namespace canaille::oidc
