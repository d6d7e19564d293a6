// SPDX-License-Identifier: MIT
#include "oidc/client_auth.hpp"

#include "util/base64.hpp"
#include "util/secret.hpp"
#include "util/strings.hpp"

namespace canaille::oidc {

namespace {

constexpr std::size_t kMaxAuthorizationHeader = 4096;

Unexpected<Error> bad_request(std::string d) {
    return unexpected(Error{Errc::invalid_request, std::move(d)});
}
Unexpected<Error> bad_client(std::string d) {
    return unexpected(Error{Errc::invalid_client, std::move(d)});
}

struct Basic {
    std::string id;
    std::string secret;
};

// Returns nullopt (no error) when the header is not Basic: another scheme is not ours.
Result<std::optional<Basic>, Error> parse_basic(std::string_view header) {
    header = trim(header);
    const auto sp = header.find(' ');
    if (!iequals(header.substr(0, sp), "Basic")) return std::optional<Basic>{};
    if (header.size() > kMaxAuthorizationHeader) return bad_client("Authorization header too long");
    const auto value = sp == std::string_view::npos ? std::string_view{} : trim(header.substr(sp));
    const auto decoded = base64_decode(value);
    if (!decoded) return bad_client("malformed Basic credentials");
    const auto colon = decoded->find(':');
    if (colon == std::string::npos) return bad_client("malformed Basic credentials");
    bool ok_id = true;
    bool ok_secret = true;
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
    Basic b{url_decode(std::string_view(*decoded).substr(0, colon), true, ok_id),
            url_decode(std::string_view(*decoded).substr(colon + 1), true, ok_secret)};
    if (!ok_id || !ok_secret) return bad_client("malformed Basic credentials");
    if (b.id.empty()) return bad_client("empty client_id in Basic credentials");
    return std::optional<Basic>(std::move(b));
}

}  // namespace

bool is_public_client(const model::Client& client) {
    return client.token_endpoint_auth_method == kAuthNone;
}

Result<ClientCredentials, Error> extract_client_credentials(
    std::optional<std::string_view> authorization_header, const Params& form) {
    if (auto dup = reject_duplicates(
            form, {"client_id", "client_secret", "client_assertion", "client_assertion_type"});
        !dup) {
        return unexpected(dup.error());
    }
    std::optional<Basic> basic;
    if (authorization_header) {
        auto parsed = parse_basic(*authorization_header);
        if (!parsed) return unexpected(parsed.error());
        basic = std::move(*parsed);
    }
    const auto form_id = param(form, "client_id").value_or("");
    const auto form_secret = param(form, "client_secret").value_or("");
    const auto assertion = param(form, "client_assertion");
    const auto assertion_type = param(form, "client_assertion_type");

    ClientCredentials c;
    if (basic) {
        // RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request".
        if (!form_secret.empty() || assertion) {
            return bad_request("more than one client authentication method");
        }
        if (!form_id.empty() && form_id != basic->id) {
            return bad_request("client_id in the body differs from the Basic credentials");
        }
        c.method = kClientSecretBasic;
        c.client_id = std::move(basic->id);
        c.secret = std::move(basic->secret);
        return c;
    }
    if (assertion) {
        if (!form_secret.empty()) return bad_request("more than one client authentication method");
        if (assertion_type != kJwtBearerAssertionType) {
            return bad_request("client_assertion_type must be " +
                               std::string(kJwtBearerAssertionType));
        }
        c.method = kJwtAssertion;
        c.client_id = std::string(form_id);
        c.client_assertion = std::string(*assertion);
        c.client_assertion_type = std::string(*assertion_type);
        return c;
    }
    if (form_id.empty()) return bad_client("client authentication required");
    c.client_id = std::string(form_id);
    if (!form_secret.empty()) {
        c.method = kClientSecretPost;
        c.secret = std::string(form_secret);
    } else {
        c.method = kAuthNone;
    }
    return c;
}

Result<void, Error> authenticate_client(const ClientCredentials& credentials,
                                        const model::Client& client, TimePoint now) {
    if (credentials.client_id != client.client_id) return bad_client("unknown client");
    if (credentials.method == kJwtAssertion) {
        return bad_client("client_secret_jwt and private_key_jwt are not supported");
    }
    // RFC 7591 §2: the registered method is the only one accepted; naming it helps the
    // client developer fix the classic basic-vs-post mix-up.
    if (credentials.method != client.token_endpoint_auth_method) {
        return bad_client("client authentication method " + credentials.method +
                          " does not match the registered " + client.token_endpoint_auth_method);
    }
    if (credentials.method == kAuthNone) return {};
    if (credentials.method != kClientSecretBasic && credentials.method != kClientSecretPost) {
        return bad_client("unsupported client authentication method");
    }
    if (!client.client_secret || client.client_secret->empty() ||
        !constant_time_equal(credentials.secret, *client.client_secret)) {
        return bad_client("client authentication failed");
    }
    // RFC 7591 §3.2.1: 0 means the secret never expires.
    if (client.client_secret_expires_at && to_unix(*client.client_secret_expires_at) != 0 &&
        *client.client_secret_expires_at <= now) {
        return bad_client("client secret expired");
    }
    return {};
}

}  // namespace canaille::oidc
