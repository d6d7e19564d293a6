// SPDX-License-Identifier: MIT
#include "oidc/authorize.hpp"

#include <algorithm>
#include <array>

#include "oidc/client_auth.hpp"
#include "oidc/pkce.hpp"

namespace canaille::oidc {

namespace {

// OAuth 2.0 Multiple Response Type Encoding Practices §3-5, OIDC Core §3.2 and §3.3: every
// response type that returns a token in the front channel defaults to the fragment.
constexpr std::array<ResponseTypeInfo, 7> kResponseTypes{{
    {"code", true, false, false, ResponseMode::query},
    {"code id_token", true, true, false, ResponseMode::fragment},
    {"code id_token token", true, true, true, ResponseMode::fragment},
    {"code token", true, false, true, ResponseMode::fragment},
    {"id_token", false, true, false, ResponseMode::fragment},
    {"id_token token", false, true, true, ResponseMode::fragment},
    {"token", false, false, true, ResponseMode::fragment},
}};

// Space-separated values, sorted, single spaces: "id_token code" → "code id_token".
// An empty value or a repeated one gives "" (never in the table).
std::string normalise_response_type(std::string_view value) {
    std::vector<std::string_view> parts;
    std::size_t i = 0;
    while (i < value.size()) {
        const auto j = std::min(value.find(' ', i), value.size());
        if (j > i) parts.push_back(value.substr(i, j - i));
        i = j + 1;
    }
    std::sort(parts.begin(), parts.end());
    if (std::adjacent_find(parts.begin(), parts.end()) != parts.end()) return {};
    std::string out;
    for (auto p : parts) {
        if (!out.empty()) out += ' ';
        out += p;
    }
    return out;
}

std::vector<std::string> split_spaces(std::string_view value) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < value.size()) {
        const auto j = std::min(value.find(' ', i), value.size());
        if (j > i) out.emplace_back(value.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

std::optional<std::string> opt_param(const Params& params, std::string_view name) {
    auto v = param(params, name);
    if (!v || v->empty()) return std::nullopt;
    return std::string(*v);
}

// Parameters whose repetition makes the request ambiguous (RFC 6749 §3.1).
constexpr std::array<std::string_view, 18> kSingleParams = {
    "response_type", "scope",          "state",
    "nonce",         "code_challenge", "code_challenge_method",
    "prompt",        "max_age",        "login_hint",
    "ui_locales",    "acr_values",     "response_mode",
    "id_token_hint", "display",        "claims",
    "request",       "request_uri",    "registration"};

Result<PromptSet, Error> parse_prompt(std::string_view value, bool registration_enabled) {
    PromptSet set;
    for (const auto& v : split_spaces(value)) {
        if (v == "none") {
            set.add(Prompt::none);
        } else if (v == "login") {
            set.add(Prompt::login);
        } else if (v == "consent") {
            set.add(Prompt::consent);
        } else if (v == "select_account") {
            set.add(Prompt::select_account);
        } else if (v == "create" && registration_enabled) {
            set.add(Prompt::create);
        } else {
            return unexpected(Error{Errc::invalid_request, "unsupported prompt value '" + v + "'"});
        }
    }
    // OIDC Core §3.1.2.1: none "MUST NOT" be combined with any other value.
    if (set.has(Prompt::none) && set.bits != static_cast<unsigned>(Prompt::none)) {
        return unexpected(
            Error{Errc::invalid_request, "prompt=none cannot be combined with other values"});
    }
    return set;
}

std::optional<std::int64_t> parse_non_negative(std::string_view v) {
    // 18 digits always fit in int64; nobody needs a max_age of 30 billion years.
    if (v.empty() || v.size() > 18) return std::nullopt;
    std::int64_t n = 0;
    for (char c : v) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n;
}

bool client_has_response_type(const model::Client& client, std::string_view normalised) {
    return std::any_of(
        client.response_types.begin(), client.response_types.end(),
        [&](const std::string& rt) { return normalise_response_type(rt) == normalised; });
}

bool has(const std::vector<std::string>& list, std::string_view v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

AuthorizeError page_error(std::string description) {
    return AuthorizeError{
        Error{Errc::invalid_request, std::move(description)}, false, {}, {}, ResponseMode::query};
}

}  // namespace

const ResponseTypeInfo* find_response_type(std::string_view response_type) {
    const auto norm = normalise_response_type(response_type);
    for (const auto& row : kResponseTypes) {
        if (row.name == norm) return &row;
    }
    return nullptr;
}

Result<AuthorizationRequest, AuthorizeError> validate_authorization_request(
    const Params& params, const model::Client* client, const AuthorizeOptions& options) {
    // Step 1: until client and redirect_uri are known good, errors are shown, never
    // redirected (RFC 6749 §4.1.2.1, §10.15 open redirectors).
    for (const auto& [k, v] : params) {
        if (v.size() > kMaxAuthorizeParamBytes || k.size() > kMaxAuthorizeParamBytes) {
            return unexpected(page_error("parameter too long"));
        }
    }
    const auto client_id = param(params, "client_id");
    if (!client_id || client_id->empty()) return unexpected(page_error("client_id missing"));
    if (param_count(params, "client_id") > 1) {
        return unexpected(page_error("parameter 'client_id' repeated"));
    }
    if (client == nullptr || client->client_id != *client_id) {
        return unexpected(page_error("unknown client"));
    }
    if (param_count(params, "redirect_uri") > 1) {
        return unexpected(page_error("parameter 'redirect_uri' repeated"));
    }

    AuthorizationRequest req;
    req.client_id = client->client_id;
    if (auto uri = param(params, "redirect_uri"); uri && !uri->empty()) {
        if (!redirect_uri_registered(*client, *uri)) {
            return unexpected(page_error("redirect_uri not registered for this client"));
        }
        req.redirect_uri = std::string(*uri);
        req.redirect_uri_given = true;
    } else if (client->redirect_uris.size() == 1) {
        // RFC 6749 §3.1.2.3: with a single registered URI the parameter may be omitted.
        req.redirect_uri = client->redirect_uris.front();
    } else {
        return unexpected(page_error("redirect_uri missing"));
    }

    // Step 2: everything below is reported to the client.
    req.state = opt_param(params, "state");
    const auto rt_param = param(params, "response_type");
    const ResponseTypeInfo* info = rt_param ? find_response_type(*rt_param) : nullptr;
    AuthorizeError redirect_error;
    redirect_error.redirectable = true;
    redirect_error.redirect_uri = req.redirect_uri;
    redirect_error.state = req.state;
    redirect_error.response_mode = info ? info->default_mode : ResponseMode::query;
    if (auto mode = param(params, "response_mode");
        mode && param_count(params, "response_mode") == 1) {
        if (*mode == "query") redirect_error.response_mode = ResponseMode::query;
        if (*mode == "fragment") redirect_error.response_mode = ResponseMode::fragment;
    }
    auto fail = [&](Errc code, std::string description) {
        redirect_error.error = Error{code, std::move(description)};
        return unexpected(redirect_error);
    };

    for (auto name : kSingleParams) {
        if (param_count(params, name) > 1) {
            return fail(Errc::invalid_request, "parameter '" + std::string(name) + "' repeated");
        }
    }
    if (param(params, "request")) {
        return fail(Errc::request_not_supported, "request objects are not supported");
    }
    if (param(params, "request_uri")) {
        return fail(Errc::request_uri_not_supported, "request_uri is not supported");
    }

    if (!rt_param || rt_param->empty()) return fail(Errc::invalid_request, "response_type missing");
    if (info == nullptr || !has(options.response_types, info->name)) {
        return fail(Errc::unsupported_response_type,
                    "response_type '" + std::string(*rt_param) + "' is not supported");
    }
    if (!client_has_response_type(*client, info->name) ||
        (info->code && !has(client->grant_types, "authorization_code")) ||
        (!info->code && info->token && !has(client->grant_types, "implicit"))) {
        return fail(Errc::unauthorized_client, "the client is not registered for response_type '" +
                                                   std::string(info->name) + "'");
    }
    req.response_type = std::string(info->name);
    req.response_mode = info->default_mode;

    if (auto mode = param(params, "response_mode")) {
        if (*mode == "query") {
            req.response_mode = ResponseMode::query;
        } else if (*mode == "fragment") {
            req.response_mode = ResponseMode::fragment;
        } else {
            return fail(Errc::invalid_request,
                        "response_mode '" + std::string(*mode) + "' is not supported");
        }
        // Multiple Response Types §2.1: tokens must never travel in the query.
        if (req.response_mode == ResponseMode::query && (info->id_token || info->token)) {
            return fail(Errc::invalid_request, "response_mode query cannot carry tokens");
        }
    }

    auto scopes = parse_scope(param(params, "scope").value_or(""));
    if (!scopes) return fail(scopes.error().code, scopes.error().description);
    req.requested_scopes = std::move(*scopes);
    req.scopes = granted_scopes(req.requested_scopes, client->scope);

    req.nonce = opt_param(params, "nonce");
    const bool nonce_needed = (req.is_openid() && options.require_nonce) || info->id_token;
    if (nonce_needed && !req.nonce) return fail(Errc::invalid_request, "nonce missing");

    if (auto prompt = param(params, "prompt")) {
        auto set = parse_prompt(*prompt, options.registration_enabled);
        if (!set) return fail(set.error().code, set.error().description);
        req.prompt = *set;
    }

    if (auto max_age = param(params, "max_age"); max_age && !max_age->empty()) {
        auto n = parse_non_negative(*max_age);
        if (!n) return fail(Errc::invalid_request, "max_age must be a non-negative integer");
        req.max_age = *n;
    } else if (client->default_max_age && *client->default_max_age >= 0) {
        req.max_age = client->default_max_age;
    }

    // RFC 7636 §4.3 and §4.4.1.
    req.code_challenge = opt_param(params, "code_challenge");
    auto method = opt_param(params, "code_challenge_method");
    if (req.code_challenge) {
        if (!valid_code_challenge(*req.code_challenge)) {
            return fail(Errc::invalid_request, "malformed code_challenge");
        }
        req.code_challenge_method = method.value_or("plain");
        if (!valid_challenge_method(*req.code_challenge_method)) {
            return fail(Errc::invalid_request, "unsupported code_challenge_method");
        }
    } else if (method) {
        return fail(Errc::invalid_request, "code_challenge_method without code_challenge");
    } else if (info->code && options.require_pkce_for_public_clients && is_public_client(*client)) {
        return fail(Errc::invalid_request, "code_challenge required for public clients");
    }

    req.login_hint = opt_param(params, "login_hint");
    req.id_token_hint = opt_param(params, "id_token_hint");
    req.ui_locales = split_spaces(param(params, "ui_locales").value_or(""));
    req.acr_values = split_spaces(param(params, "acr_values").value_or(""));
    return req;
}

namespace {

std::string redirect_with_error(const std::string& uri, ResponseMode mode, const Error& error,
                                const std::optional<std::string>& state, std::string_view issuer) {
    Params p;
    p.emplace_back("error", std::string(to_string(error.code)));
    if (!error.description.empty()) p.emplace_back("error_description", error.description);
    if (state) p.emplace_back("state", *state);
    if (!issuer.empty()) p.emplace_back("iss", std::string(issuer));
    return build_redirect(uri, p, mode);
}

}  // namespace

std::string error_redirect(const AuthorizeError& error, std::string_view issuer) {
    return redirect_with_error(error.redirect_uri, error.response_mode, error.error, error.state,
                               issuer);
}

std::string error_redirect(const AuthorizationRequest& request, const Error& error,
                           std::string_view issuer) {
    return redirect_with_error(request.redirect_uri, request.response_mode, error, request.state,
                               issuer);
}

std::string code_redirect(const AuthorizationRequest& request, std::string_view code,
                          std::string_view issuer) {
    Params p;
    p.emplace_back("code", std::string(code));
    if (request.state) p.emplace_back("state", *request.state);
    if (!issuer.empty()) p.emplace_back("iss", std::string(issuer));
    return build_redirect(request.redirect_uri, p, request.response_mode);
}

bool needs_login(const AuthorizationRequest& request, std::optional<TimePoint> auth_time,
                 TimePoint now, std::optional<TimePoint> first_seen) {
    if (!auth_time) return true;
    const bool fresh = first_seen && *auth_time >= *first_seen;
    if (fresh) return false;
    if (request.prompt.has(Prompt::login) || request.prompt.has(Prompt::select_account)) {
        return true;
    }
    // OIDC Core §3.1.2.1: re-authenticate when more than max_age seconds have elapsed;
    // max_age=0 therefore always asks (it is prompt=login in disguise).
    if (request.max_age && now - *auth_time >= Seconds(*request.max_age)) return true;
    return false;
}

ConsentDecision consent_needed(const AuthorizationRequest& request, const model::Client& client,
                               const model::Consent* existing, bool trusted,
                               std::optional<TimePoint> first_seen) {
    (void)client;  // kept for rules that depend on client metadata (e.g. offline_access)
    bool ask = false;
    if (existing && existing->revoked()) {
        ask = true;
    } else if (request.prompt.has(Prompt::consent) &&
               !(existing && first_seen && existing->issue_date >= *first_seen)) {
        ask = true;
    } else if (trusted) {
        ask = false;
    } else if (!existing || !scopes_cover(existing->scope, request.scopes)) {
        ask = true;
    }
    if (!ask) return ConsentDecision::skip;
    return request.prompt.has(Prompt::none) ? ConsentDecision::consent_required
                                            : ConsentDecision::ask;
}

}  // namespace canaille::oidc
