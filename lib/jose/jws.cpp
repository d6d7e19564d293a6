// SPDX-License-Identifier: MIT
// Compact JWS straight on OpenSSL 3 EVP, over keys parsed once (see doc/jose.md for why not
// cpp-jwt): BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature).
#include "jose/jws.hpp"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <memory>
#include <stdexcept>

#include "jose/json.hpp"
#include "util/base64.hpp"
#include "util/secret.hpp"

namespace canaille::jose {
namespace {

enum class Family { rsa_pkcs1, rsa_pss, ecdsa, eddsa, hmac };

struct AlgInfo {
    std::string_view name;
    Family family;
    int hash_bits;  // 0 for EdDSA, which hashes internally
    std::size_t ec_coord_bytes;
};

// RFC 7518 §3.1 and RFC 8037 §3.1.
constexpr std::array<AlgInfo, 13> kAlgs{{
    {"RS256", Family::rsa_pkcs1, 256, 0},
    {"RS384", Family::rsa_pkcs1, 384, 0},
    {"RS512", Family::rsa_pkcs1, 512, 0},
    {"PS256", Family::rsa_pss, 256, 0},
    {"PS384", Family::rsa_pss, 384, 0},
    {"PS512", Family::rsa_pss, 512, 0},
    {"ES256", Family::ecdsa, 256, 32},
    {"ES384", Family::ecdsa, 384, 48},
    {"ES512", Family::ecdsa, 512, 66},
    {"EdDSA", Family::eddsa, 0, 0},
    {"HS256", Family::hmac, 256, 0},
    {"HS384", Family::hmac, 384, 0},
    {"HS512", Family::hmac, 512, 0},
}};

const AlgInfo* find_alg(std::string_view name) {
    for (const auto& a : kAlgs) {
        if (a.name == name) return &a;
    }
    return nullptr;
}

struct MdDeleter {
    void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};
using MdPtr = std::unique_ptr<EVP_MD, MdDeleter>;
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
struct EcdsaSigDeleter {
    void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;

MdPtr fetch_md(const char* name) {
    MdPtr md(EVP_MD_fetch(nullptr, name, nullptr));
    if (!md) throw std::runtime_error(std::string("OpenSSL has no ") + name);
    return md;
}

// Fetched once: OpenSSL 3's implicit fetch (EVP_sha256()) costs a lookup on every operation.
const EVP_MD* digest(int bits) {
    static const MdPtr k256 = fetch_md("SHA256");
    static const MdPtr k384 = fetch_md("SHA384");
    static const MdPtr k512 = fetch_md("SHA512");
    switch (bits) {
        case 256:
            return k256.get();
        case 384:
            return k384.get();
        case 512:
            return k512.get();
        default:
            return nullptr;
    }
}

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

std::string hmac(const Jwk& key, const AlgInfo& alg, std::string_view input) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int len = 0;
    if (HMAC(digest(alg.hash_bits), key.secret().data(), static_cast<int>(key.secret().size()),
             bytes(input), input.size(), out.data(), &len) == nullptr) {
        ERR_clear_error();
        throw std::runtime_error("HMAC failed");
    }
    return std::string(reinterpret_cast<const char*>(out.data()), len);
}

// Sets up a DigestSign/DigestVerify context, with PSS parameters where RFC 7518 §3.5 asks:
// MGF1 with the same hash, salt as long as the hash.
bool init_ctx(EVP_MD_CTX* ctx, const Jwk& key, const AlgInfo& alg, bool for_signing) {
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* md = alg.family == Family::eddsa ? nullptr : digest(alg.hash_bits);
    const int ok = for_signing ? EVP_DigestSignInit(ctx, &pctx, md, nullptr, key.pkey())
                               : EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key.pkey());
    if (ok != 1) return false;
    if (alg.family == Family::rsa_pss) {
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    }
    if (alg.family == Family::rsa_pkcs1) {
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    }
    return true;
}

// RFC 7518 §3.4: JWS carries R||S, each left-padded to the coordinate size; OpenSSL speaks DER.
std::optional<std::string> der_to_raw(const std::string& der, std::size_t coord) {
    const unsigned char* p = bytes(der);
    const EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!sig) return std::nullopt;
    const BIGNUM* r = nullptr;
    const BIGNUM* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::string out(2 * coord, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (BN_bn2binpad(r, o, static_cast<int>(coord)) < 0 ||
        BN_bn2binpad(s, o + coord, static_cast<int>(coord)) < 0) {
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> raw_to_der(std::string_view raw, std::size_t coord) {
    if (raw.size() != 2 * coord) return std::nullopt;
    EcdsaSigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes(raw), static_cast<int>(coord), nullptr);
    BIGNUM* s = BN_bin2bn(bytes(raw) + coord, static_cast<int>(coord), nullptr);
    if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return std::nullopt;
    }
    unsigned char* der = nullptr;
    const int len = i2d_ECDSA_SIG(sig.get(), &der);
    if (len <= 0) return std::nullopt;
    std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
    OPENSSL_free(der);
    return out;
}

// RFC 7515 §2: base64url without padding; anything else is malformed, not tolerated.
std::optional<std::string> strict_b64(std::string_view part) {
    for (const char c : part) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return std::nullopt;
    }
    return base64url_decode(part);
}

}  // namespace

const std::vector<std::string>& supported_algs() {
    static const std::vector<std::string> kNames = [] {
        std::vector<std::string> v;
        for (const auto& a : kAlgs) v.emplace_back(a.name);
        return v;
    }();
    return kNames;
}

Result<std::string, std::string> sign_input(const Jwk& key, std::string_view alg_name,
                                            std::string_view input) {
    const AlgInfo* alg = find_alg(alg_name);
    if (alg == nullptr) return unexpected("unsupported JWS alg \"" + std::string(alg_name) + "\"");
    if (!key.usable_for(alg_name)) {
        return unexpected("key \"" + key.kid() + "\" cannot sign " + std::string(alg_name));
    }
    if (!key.is_private()) return unexpected("key \"" + key.kid() + "\" has no private part");
    if (alg->family == Family::hmac) {
        // RFC 7518 §3.2: the key is at least as long as the hash output.
        if (key.secret().size() * 8 < static_cast<std::size_t>(alg->hash_bits)) {
            return unexpected("HMAC key shorter than " + std::to_string(alg->hash_bits) + " bits");
        }
        return hmac(key, *alg, input);
    }
    const MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) throw std::runtime_error("EVP_MD_CTX_new failed");
    std::string sig(static_cast<std::size_t>(EVP_PKEY_get_size(key.pkey())), '\0');
    std::size_t len = sig.size();
    if (!init_ctx(ctx.get(), key, *alg, true) ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(input),
                       input.size()) != 1) {
        ERR_clear_error();
        return unexpected("signing with " + std::string(alg_name) + " failed");
    }
    sig.resize(len);
    if (alg->family == Family::ecdsa) {
        auto raw = der_to_raw(sig, alg->ec_coord_bytes);
        if (!raw) return unexpected(std::string("malformed ECDSA signature from OpenSSL"));
        return std::move(*raw);
    }
    return sig;
}

bool verify_input(const Jwk& key, std::string_view alg_name, std::string_view input,
                  std::string_view signature) {
    const AlgInfo* alg = find_alg(alg_name);
    if (alg == nullptr || !key.usable_for(alg_name)) return false;
    if (alg->family == Family::hmac) {
        if (key.secret().empty()) return false;
        return constant_time_equal(hmac(key, *alg, input), signature);
    }
    if (key.pkey() == nullptr) return false;
    std::string der;
    if (alg->family == Family::ecdsa) {
        auto converted = raw_to_der(signature, alg->ec_coord_bytes);
        if (!converted) return false;
        der = std::move(*converted);
        signature = der;
    }
    const MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) throw std::runtime_error("EVP_MD_CTX_new failed");
    const bool ok = init_ctx(ctx.get(), key, *alg, false) &&
                    EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(input),
                                     input.size()) == 1;
    ERR_clear_error();
    return ok;
}

Result<std::string, std::string> sign(const Jwk& key, std::string_view alg,
                                      std::string_view payload_json, std::string_view typ) {
    std::string header = "{\"alg\":";
    append_json_string(header, alg);
    if (!key.kid().empty()) {
        header.append(",\"kid\":");
        append_json_string(header, key.kid());
    }
    if (!typ.empty()) {
        header.append(",\"typ\":");
        append_json_string(header, typ);
    }
    header.push_back('}');
    std::string token = base64url_encode(header);
    token.push_back('.');
    token.append(base64url_encode(payload_json));
    auto sig = sign_input(key, alg, token);
    if (!sig) return unexpected(std::move(sig).error());
    token.push_back('.');
    token.append(base64url_encode(*sig));
    return token;
}

Result<Verified, std::string> verify(std::string_view token, const KeySet& keys,
                                     const std::vector<std::string>& allowed_algs) {
    if (token.size() > kMaxJwsBytes) return unexpected(std::string("JWS larger than 64 KiB"));
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
        return unexpected(std::string("a compact JWS has exactly three parts"));
    }
    auto header = strict_b64(token.substr(0, dot1));
    auto payload = strict_b64(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = strict_b64(token.substr(dot2 + 1));
    if (!header || !payload || !signature) {
        return unexpected(std::string("JWS part is not base64url"));
    }
    if (signature->empty()) return unexpected(std::string("JWS signature is empty"));
    auto doc = parse_json_object(*header, kMaxJwsBytes);
    if (!doc) return unexpected("JWS header: " + doc.error());
    const auto alg = get_string(*doc, "alg");
    if (!alg) return unexpected(std::string("JWS header has no \"alg\" string"));
    // RFC 8725 §3.1: an unsecured JWS is never acceptable here, whatever the caller allows.
    if (*alg == "none") return unexpected(std::string("alg \"none\" is refused"));
    if (has_member(*doc, "crit")) {
        return unexpected(std::string("JWS header \"crit\" names unsupported extensions"));
    }
    if (std::find(allowed_algs.begin(), allowed_algs.end(), *alg) == allowed_algs.end()) {
        return unexpected("alg \"" + std::string(*alg) + "\" is not allowed");
    }
    if (find_alg(*alg) == nullptr) {
        return unexpected("unsupported alg \"" + std::string(*alg) + "\"");
    }
    Verified out;
    out.alg = std::string(*alg);
    if (has_member(*doc, "typ")) {
        const auto typ = get_string(*doc, "typ");
        if (!typ) return unexpected(std::string("JWS header \"typ\" is not a string"));
        out.typ = std::string(*typ);
    }
    const Jwk* key = nullptr;
    if (has_member(*doc, "kid")) {
        const auto kid = get_string(*doc, "kid");
        if (!kid) return unexpected(std::string("JWS header \"kid\" is not a string"));
        key = keys.find(*kid);
        if (key == nullptr) return unexpected("unknown kid \"" + std::string(*kid) + "\"");
    } else {
        // Without a kid, only an unambiguous key will do.
        for (const auto* list : {&keys.active(), &keys.inactive()}) {
            for (const Jwk& k : *list) {
                if (!k.usable_for(*alg)) continue;
                if (key != nullptr) {
                    return unexpected(std::string("JWS has no kid and several keys match"));
                }
                key = &k;
            }
        }
        if (key == nullptr) return unexpected("no key for alg \"" + out.alg + "\"");
    }
    if (!key->usable_for(*alg)) {
        return unexpected("key \"" + key->kid() + "\" (" + key->kty() + ") cannot verify " +
                          out.alg);
    }
    if (!verify_input(*key, *alg, token.substr(0, dot2), *signature)) {
        return unexpected(std::string("JWS signature does not verify"));
    }
    out.kid = key->kid();
    out.header_json = std::move(*header);
    out.payload_json = std::move(*payload);
    return out;
}

}  // namespace canaille::jose
