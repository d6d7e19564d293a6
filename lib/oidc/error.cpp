// SPDX-License-Identifier: MIT
#include "oidc/error.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace canaille::oidc {

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::invalid_request:
            return "invalid_request";
        case Errc::invalid_client:
            return "invalid_client";
        case Errc::invalid_grant:
            return "invalid_grant";
        case Errc::unauthorized_client:
            return "unauthorized_client";
        case Errc::unsupported_grant_type:
            return "unsupported_grant_type";
        case Errc::invalid_scope:
            return "invalid_scope";
        case Errc::access_denied:
            return "access_denied";
        case Errc::unsupported_response_type:
            return "unsupported_response_type";
        case Errc::server_error:
            return "server_error";
        case Errc::temporarily_unavailable:
            return "temporarily_unavailable";
        case Errc::login_required:
            return "login_required";
        case Errc::consent_required:
            return "consent_required";
        case Errc::interaction_required:
            return "interaction_required";
        case Errc::account_selection_required:
            return "account_selection_required";
        case Errc::invalid_request_uri:
            return "invalid_request_uri";
        case Errc::invalid_request_object:
            return "invalid_request_object";
        case Errc::request_not_supported:
            return "request_not_supported";
        case Errc::request_uri_not_supported:
            return "request_uri_not_supported";
        case Errc::invalid_token:
            return "invalid_token";
        case Errc::insufficient_scope:
            return "insufficient_scope";
        case Errc::invalid_redirect_uri:
            return "invalid_redirect_uri";
        case Errc::invalid_client_metadata:
            return "invalid_client_metadata";
    }
    return "server_error";
}

int Error::http_status() const {
    switch (code) {
        case Errc::invalid_client:
        case Errc::invalid_token:
            return 401;
        case Errc::insufficient_scope:
            return 403;
        case Errc::server_error:
            return 500;
        case Errc::temporarily_unavailable:
            return 503;
        default:
            return 400;
    }
}

std::string to_json(const Error& error) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    const auto code = to_string(error.code);
    w.Key("error");
    w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
    if (!error.description.empty()) {
        w.Key("error_description");
        w.String(error.description.data(),
                 static_cast<rapidjson::SizeType>(error.description.size()));
    }
    w.EndObject();
    return {buf.GetString(), buf.GetSize()};
}

namespace {

// RFC 6750 §3: auth-param values are quoted-strings; RFC 6749 §5.2 restricts the
// description to %x20-21 / %x23-5B / %x5D-7E, so anything else becomes a space.
void append_quoted(std::string& out, std::string_view value) {
    out += '"';
    for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u > 0x7e || c == '"' || c == '\\') ? ' ' : c;
    }
    out += '"';
}

}  // namespace

std::string bearer_challenge(std::string_view realm, const Error* error) {
    std::string out = "Bearer";
    bool first = true;
    auto attr = [&](std::string_view name, std::string_view value) {
        out += first ? " " : ", ";
        first = false;
        out += name;
        out += '=';
        append_quoted(out, value);
    };
    if (!realm.empty()) attr("realm", realm);
    if (error != nullptr) {
        attr("error", to_string(error->code));
        if (!error->description.empty()) attr("error_description", error->description);
    }
    return out;
}

}  // namespace canaille::oidc
