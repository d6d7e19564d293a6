// SPDX-License-Identifier: MIT
#include "http/request.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace canaille::http {

std::optional<std::string_view> Params::get(std::string_view name) const {
    for (const auto& [key, value] : items_) {
        if (key == name) return std::string_view(value);
    }
    return std::nullopt;
}

std::string_view Params::get_or(std::string_view name, std::string_view fallback) const {
    const auto value = get(name);
    return value ? *value : fallback;
}

std::vector<std::string_view> Params::all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& [key, value] : items_) {
        if (key == name) out.emplace_back(value);
    }
    return out;
}

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
    auto it = headers.find(lower_name);
    if (it == headers.end()) {
        // Tolerate a caller spelling the name as "Content-Type".
        const bool has_upper = std::any_of(lower_name.begin(), lower_name.end(),
                                           [](char c) { return c >= 'A' && c <= 'Z'; });
        if (!has_upper) return std::nullopt;
        it = headers.find(to_lower(lower_name));
        if (it == headers.end()) return std::nullopt;
    }
    return std::string_view(it->second);
}

std::string_view Request::route_param(std::string_view name) const {
    const auto it = route_params.find(name);
    return it == route_params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string_view> Request::cookie(std::string_view name) const {
    const auto it = cookies.find(name);
    if (it == cookies.end()) return std::nullopt;
    return std::string_view(it->second);
}

std::string Request::url_for(std::string_view app_path) const {
    std::string out = script_name;
    if (app_path.empty() || app_path.front() != '/') out.push_back('/');
    out.append(app_path);
    return out;
}

std::string Request::external_url(std::string_view app_path) const {
    return scheme + "://" + host + url_for(app_path);
}

}  // namespace canaille::http
