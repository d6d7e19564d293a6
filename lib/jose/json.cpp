// SPDX-License-Identifier: MIT
#include "jose/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace canaille::jose {

Result<rapidjson::Document, std::string> parse_json_object(std::string_view text,
                                                           std::size_t max_bytes) {
    if (text.size() > max_bytes) {
        return unexpected("JSON document larger than " + std::to_string(max_bytes) + " bytes");
    }
    rapidjson::Document doc;
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                                rapidjson::kParseValidateEncodingFlag |
                                rapidjson::kParseFullPrecisionFlag;
    doc.Parse<kFlags>(text.data(), text.size());
    if (doc.HasParseError()) {
        return unexpected(std::string("invalid JSON at offset ") +
                          std::to_string(doc.GetErrorOffset()) + ": " +
                          rapidjson::GetParseError_En(doc.GetParseError()));
    }
    if (!doc.IsObject()) return unexpected(std::string("JSON value is not an object"));
    std::vector<std::string_view> names;
    names.reserve(doc.MemberCount());
    for (const auto& m : doc.GetObject()) {
        names.emplace_back(m.name.GetString(), m.name.GetStringLength());
    }
    std::sort(names.begin(), names.end());
    if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
        return unexpected(std::string("duplicate member name in JSON object"));
    }
    return doc;
}

namespace {

const rapidjson::Value* member(const rapidjson::Value& object, std::string_view name) {
    if (!object.IsObject()) return nullptr;
    const rapidjson::Value key(rapidjson::StringRef(name.data(), name.size()));
    const auto it = object.FindMember(key);
    return it == object.MemberEnd() ? nullptr : &it->value;
}

}  // namespace

std::optional<std::string_view> get_string(const rapidjson::Value& object, std::string_view name) {
    const rapidjson::Value* v = member(object, name);
    if (v == nullptr || !v->IsString()) return std::nullopt;
    return std::string_view(v->GetString(), v->GetStringLength());
}

std::optional<std::int64_t> get_numeric_date(const rapidjson::Value& object,
                                             std::string_view name) {
    const rapidjson::Value* v = member(object, name);
    if (v == nullptr || !v->IsNumber()) return std::nullopt;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsUint64()) return std::nullopt;  // above INT64_MAX
    const double d = v->GetDouble();
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (!std::isfinite(d) || d >= 9223372036854775808.0 || d < -9223372036854775808.0) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(std::trunc(d));
}

bool has_member(const rapidjson::Value& object, std::string_view name) {
    return member(object, name) != nullptr;
}

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            default:
                if (u < 0x20) {
                    out.append("\\u00");
                    out.push_back(kHex[u >> 4]);
                    out.push_back(kHex[u & 15]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

}  // namespace canaille::jose
