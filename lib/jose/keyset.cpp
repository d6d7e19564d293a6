// SPDX-License-Identifier: MIT
#include "jose/keyset.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "jose/json.hpp"

namespace canaille::jose {
namespace {

std::string_view trim(std::string_view s) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

bool looks_inline(std::string_view s) {
    return !s.empty() &&
           (s.front() == '{' || s.front() == '[' || s.find("-----BEGIN") != std::string_view::npos);
}

Result<std::vector<Jwk>, std::string> parse_pem_blocks(std::string_view text) {
    std::vector<Jwk> keys;
    std::size_t pos = 0;
    while ((pos = text.find("-----BEGIN", pos)) != std::string_view::npos) {
        const std::size_t end_marker = text.find("-----END", pos);
        if (end_marker == std::string_view::npos) {
            return unexpected(std::string("PEM block without an END line"));
        }
        // The END line closes with "-----" after its label.
        const std::size_t close = text.find("-----", end_marker + 8);
        if (close == std::string_view::npos) return unexpected(std::string("truncated PEM END"));
        const std::size_t stop = close + 5;
        auto key = Jwk::from_pem(text.substr(pos, stop - pos));
        if (!key)
            return unexpected("PEM key #" + std::to_string(keys.size() + 1) + ": " + key.error());
        keys.push_back(std::move(*key));
        pos = stop;
    }
    if (keys.empty()) return unexpected(std::string("no PEM block found"));
    return keys;
}

Result<void, std::string> add_element(const rapidjson::Value& v, std::vector<Jwk>& keys) {
    const std::string where = "key #" + std::to_string(keys.size() + 1) + ": ";
    if (v.IsObject()) {
        auto key = Jwk::from_json_value(v);
        if (!key) return unexpected(where + key.error());
        keys.push_back(std::move(*key));
        return {};
    }
    if (v.IsString()) {
        auto pem = parse_pem_blocks(std::string_view(v.GetString(), v.GetStringLength()));
        if (!pem) return unexpected(where + pem.error());
        for (auto& k : *pem) keys.push_back(std::move(k));
        return {};
    }
    return unexpected(where + "neither a JWK object nor a PEM string");
}

}  // namespace

Result<std::vector<Jwk>, std::string> parse_keys(std::string_view text) {
    text = trim(text);
    if (text.size() > kMaxKeySourceBytes) return unexpected(std::string("key source too large"));
    if (text.empty()) return unexpected(std::string("empty key source"));
    if (text.front() != '{' && text.front() != '[') return parse_pem_blocks(text);

    rapidjson::Document doc;
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                                rapidjson::kParseValidateEncodingFlag |
                                rapidjson::kParseFullPrecisionFlag;
    doc.Parse<kFlags>(text.data(), text.size());
    if (doc.HasParseError()) {
        return unexpected("invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                          rapidjson::GetParseError_En(doc.GetParseError()));
    }
    std::vector<Jwk> keys;
    const rapidjson::Value* list = &doc;
    if (doc.IsObject()) {
        if (!has_member(doc, "keys")) {
            auto r = add_element(doc, keys);
            if (!r) return unexpected(r.error());
            return keys;
        }
        list = &doc["keys"];
        if (!list->IsArray()) return unexpected(std::string("JWKS \"keys\" is not an array"));
    }
    for (const auto& v : list->GetArray()) {
        auto r = add_element(v, keys);
        if (!r) return unexpected(r.error());
    }
    return keys;
}

Result<std::vector<Jwk>, std::string> load_keys(std::string_view source) {
    source = trim(source);
    if (source.empty()) return std::vector<Jwk>{};
    if (looks_inline(source)) return parse_keys(source);
    const std::string path(source);
    std::ifstream in(path, std::ios::binary);
    if (!in) return unexpected("cannot read key file " + path);
    std::string content;
    content.resize(kMaxKeySourceBytes + 1);
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<std::size_t>(in.gcount()));
    if (content.size() > kMaxKeySourceBytes) return unexpected("key file too large: " + path);
    auto keys = parse_keys(content);
    if (!keys) return unexpected(path + ": " + keys.error());
    return keys;
}

Result<KeySet, std::string> KeySet::load(std::string_view active_source,
                                         std::string_view inactive_source) {
    KeySet set;
    for (const bool active : {true, false}) {
        auto keys = load_keys(active ? active_source : inactive_source);
        if (!keys) {
            return unexpected(std::string(active ? "ACTIVE_JWKS: " : "INACTIVE_JWKS: ") +
                              keys.error());
        }
        for (auto& k : *keys) {
            auto r = set.add(std::move(k), active);
            if (!r) return unexpected(r.error());
        }
    }
    return set;
}

Result<KeySet, std::string> KeySet::from_jwks(std::string_view jwks_json) {
    auto doc = parse_json_object(jwks_json, kMaxJwkBytes);
    if (!doc) return unexpected("JWKS: " + doc.error());
    if (!has_member(*doc, "keys") || !(*doc)["keys"].IsArray()) {
        return unexpected(std::string("JWKS has no \"keys\" array"));
    }
    KeySet set;
    // A client may publish keys this server has no use for (encryption keys, other curves):
    // they are skipped, and so are later keys reusing a kid, rather than failing the set.
    for (const auto& v : (*doc)["keys"].GetArray()) {
        auto key = Jwk::from_json_value(v);
        if (!key || set.find(key->kid()) != nullptr) continue;
        set.active_.push_back(std::move(*key));
    }
    return set;
}

Result<void, std::string> KeySet::add(Jwk key, bool active) {
    if (key.kid().empty()) key.set_kid(key.thumbprint());
    if (find(key.kid()) != nullptr) return unexpected("duplicate kid \"" + key.kid() + "\"");
    (active ? active_ : inactive_).push_back(std::move(key));
    return {};
}

const Jwk* KeySet::signing_key(std::string_view alg) const {
    for (const Jwk& k : active_) {
        if (k.is_private() && k.usable_for(alg)) return &k;
    }
    return nullptr;
}

const Jwk* KeySet::find(std::string_view kid) const {
    for (const auto* list : {&active_, &inactive_}) {
        for (const Jwk& k : *list) {
            if (k.kid() == kid) return &k;
        }
    }
    return nullptr;
}

bool KeySet::is_active(std::string_view kid) const {
    return std::any_of(active_.begin(), active_.end(),
                       [&](const Jwk& k) { return k.kid() == kid; });
}

std::string KeySet::public_jwks_json() const {
    std::string out = "{\"keys\":[";
    bool first = true;
    for (const auto* list : {&active_, &inactive_}) {
        for (const Jwk& k : *list) {
            if (k.is_symmetric()) continue;
            if (!first) out.push_back(',');
            first = false;
            out.append(k.to_public_json());
        }
    }
    out.append("]}");
    return out;
}

std::vector<std::string> KeySet::signing_algs() const {
    std::vector<std::string> algs;
    for (const Jwk& k : active_) {
        if (k.is_symmetric() || !k.is_private()) continue;
        std::string alg = k.alg().empty() ? k.default_alg() : k.alg();
        if (std::find(algs.begin(), algs.end(), alg) == algs.end()) algs.push_back(std::move(alg));
    }
    return algs;
}

}  // namespace canaille::jose
