// SPDX-License-Identifier: MIT
#include "app/routes/oidc_common.hpp"

#include "oidc/client_auth.hpp"
#include "util/strings.hpp"

namespace canaille::app::oidc_routes {

std::string issuer(const config::Settings& settings, const http::Request& request) {
    if (settings.server_name) {
        return settings.preferred_url_scheme + "://" + *settings.server_name + request.script_name;
    }
    return request.scheme + "://" + request.host + request.script_name;
}

oidc::Params to_params(const http::Params& params) {
    return oidc::Params(params.items().begin(), params.items().end());
}

std::string encode_params(const oidc::Params& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out += url_encode(name);
        out += '=';
        out += url_encode(value);
    }
    return out;
}

http::Response no_store_json(std::string body, int status) {
    auto r = http::Response::json(std::move(body), status);
    r.set_header("Cache-Control", "no-store");
    r.set_header("Pragma", "no-cache");
    return r;
}

http::Response json_error(const oidc::Error& error) {
    auto r = no_store_json(oidc::to_json(error), error.http_status());
    if (error.code == oidc::Errc::invalid_client) {
        r.set_header("WWW-Authenticate", "Basic realm=\"canaille\"");
    }
    return r;
}

Result<model::Client, oidc::Error> authenticate_client(Context& ctx, const oidc::Params& form,
                                                       PublicClients public_clients) {
    const auto credentials =
        oidc::extract_client_credentials(ctx.request().header("authorization"), form);
    if (!credentials) return unexpected(credentials.error());
    auto client = ctx.services().store->get_client_by_client_id(credentials->client_id);
    // The same answer for an unknown client and a wrong secret: nothing to enumerate.
    const oidc::Error refused{oidc::Errc::invalid_client, "client authentication failed"};
    if (!client) return unexpected(refused);
    if (auto ok = oidc::authenticate_client(*credentials, *client, ctx.now()); !ok) {
        return unexpected(ok.error());
    }
    if (public_clients == PublicClients::refused && oidc::is_public_client(*client)) {
        return unexpected(refused);
    }
    return std::move(*client);
}

std::vector<std::string> group_names(store::Store& store, const model::User& user) {
    std::vector<std::string> names;
    for (const auto& id : user.groups) {
        if (auto g = store.get_group(id)) names.push_back(g->display_name);
    }
    return names;
}

}  // namespace canaille::app::oidc_routes
