// SPDX-License-Identifier: MIT
#include "jose/jwk.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <array>
#include <deque>
#include <stdexcept>
#include <vector>

#include "jose/json.hpp"
#include "util/base64.hpp"
#include "util/hash.hpp"
#include "util/random.hpp"

namespace canaille::jose {

void detail::PkeyDeleter::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

namespace {

using detail::PkeyPtr;

struct BnDeleter {
    void operator()(BIGNUM* b) const { BN_clear_free(b); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
struct BldDeleter {
    void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
    void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
    void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct BioDeleter {
    void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct DecoderCtxDeleter {
    void operator()(OSSL_DECODER_CTX* c) const { OSSL_DECODER_CTX_free(c); }
};

constexpr std::size_t kMaxKidBytes = 1024;

// Leaves nothing behind in OpenSSL's per-thread error queue for the next caller to trip on.
std::string ossl_error(std::string what) {
    ERR_clear_error();
    return what;
}

struct Curve {
    std::string_view jwk_name;
    const char* ossl_name;
    std::size_t field_bytes;
    std::string_view alg;
};
constexpr std::array<Curve, 3> kCurves{{
    {"P-256", "prime256v1", 32, "ES256"},
    {"P-384", "secp384r1", 48, "ES384"},
    {"P-521", "secp521r1", 66, "ES512"},
}};

const Curve* curve_by_jwk_name(std::string_view name) {
    for (const auto& c : kCurves) {
        if (c.jwk_name == name) return &c;
    }
    return nullptr;
}

const Curve* curve_by_ossl_name(std::string_view name) {
    for (const auto& c : kCurves) {
        if (c.ossl_name == name) return &c;
    }
    // OpenSSL also answers with the NIST names for these groups.
    return curve_by_jwk_name(name);
}

std::string bn_bytes(const BIGNUM* bn, std::size_t pad_to = 0) {
    const int n = BN_num_bytes(bn);
    std::string out(std::max<std::size_t>(static_cast<std::size_t>(n), pad_to), '\0');
    if (BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()),
                     static_cast<int>(out.size())) < 0) {
        throw std::runtime_error("BN_bn2binpad failed");
    }
    return out;
}

std::optional<std::string> get_bn(const EVP_PKEY* pkey, const char* name, std::size_t pad = 0) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    const BnPtr bn(raw);
    return bn_bytes(bn.get(), pad);
}

std::optional<std::string> get_octets(const EVP_PKEY* pkey, const char* name) {
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(pkey, name, nullptr, 0, &len) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    std::string out(len, '\0');
    if (EVP_PKEY_get_octet_string_param(pkey, name, reinterpret_cast<unsigned char*>(out.data()),
                                        out.size(), &len) != 1) {
        ERR_clear_error();
        return std::nullopt;
    }
    out.resize(len);
    return out;
}

/// Reads the base64url members of one JWK, keeping the first error for the caller.
class B64Members {
  public:
    explicit B64Members(const rapidjson::Value& obj) : obj_(obj) {}
    std::optional<std::string> get(const char* name, bool required) {
        if (!has_member(obj_, name)) {
            if (required) fail(std::string("JWK member \"") + name + "\" is missing");
            return std::nullopt;
        }
        const auto text = get_string(obj_, name);
        auto bytes = text ? base64url_decode(*text) : std::nullopt;
        if (!bytes || bytes->empty()) {
            fail(std::string("JWK member \"") + name + "\" is not a base64url string");
            return std::nullopt;
        }
        return bytes;
    }
    const std::string& error() const { return error_; }

  private:
    void fail(std::string e) {
        if (error_.empty()) error_ = std::move(e);
    }
    const rapidjson::Value& obj_;
    std::string error_;
};

BnPtr to_bn(const std::string& bytes) {
    BnPtr bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                       static_cast<int>(bytes.size()), nullptr));
    if (!bn) throw std::runtime_error("BN_bin2bn failed");
    return bn;
}

/// Builds an EVP_PKEY of `type` from provider parameters (OSSL_PARAM_BLD + EVP_PKEY_fromdata).
class KeyBuilder {
  public:
    KeyBuilder() : bld_(OSSL_PARAM_BLD_new()) {
        if (!bld_) throw std::runtime_error("OSSL_PARAM_BLD_new failed");
    }
    KeyBuilder(const KeyBuilder&) = delete;
    KeyBuilder& operator=(const KeyBuilder&) = delete;
    ~KeyBuilder() {
        for (auto& s : strings_) OPENSSL_cleanse(s.data(), s.size());
    }
    void bn(const char* name, const std::string& bytes) {
        bns_.push_back(to_bn(bytes));
        if (OSSL_PARAM_BLD_push_BN(bld_.get(), name, bns_.back().get()) != 1) {
            throw std::runtime_error("OSSL_PARAM_BLD_push_BN failed");
        }
    }
    void octets(const char* name, std::string bytes) {
        strings_.push_back(std::move(bytes));
        const std::string& kept = strings_.back();
        if (OSSL_PARAM_BLD_push_octet_string(bld_.get(), name, kept.data(), kept.size()) != 1) {
            throw std::runtime_error("OSSL_PARAM_BLD_push_octet_string failed");
        }
    }
    void utf8(const char* name, const char* value) {
        if (OSSL_PARAM_BLD_push_utf8_string(bld_.get(), name, value, 0) != 1) {
            throw std::runtime_error("OSSL_PARAM_BLD_push_utf8_string failed");
        }
    }
    Result<PkeyPtr, std::string> build(const char* type, bool with_private) {
        const std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld_.get()));
        if (!params) throw std::runtime_error("OSSL_PARAM_BLD_to_param failed");
        const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
        if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) {
            return unexpected(ossl_error(std::string("OpenSSL cannot build ") + type + " keys"));
        }
        EVP_PKEY* raw = nullptr;
        const int selection = with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
        if (EVP_PKEY_fromdata(ctx.get(), &raw, selection, params.get()) != 1 || raw == nullptr) {
            return unexpected(ossl_error(std::string("invalid ") + type + " key parameters"));
        }
        return PkeyPtr(raw);
    }

  private:
    std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld_;
    // OSSL_PARAM_BLD keeps pointers to these until to_param.
    std::vector<BnPtr> bns_;
    std::deque<std::string> strings_;
};

/// Proves a private key belongs to its public key: sign a fixed message, verify it.
bool pairwise_consistent(EVP_PKEY* pkey) {
    const bool eddsa = EVP_PKEY_is_a(pkey, "ED25519") == 1;
    const EVP_MD* md = eddsa ? nullptr : EVP_sha256();
    static constexpr unsigned char kMsg[] = "canaille jwk pairwise check";
    std::vector<unsigned char> sig(static_cast<std::size_t>(EVP_PKEY_get_size(pkey)) + 16);
    std::size_t sig_len = sig.size();
    const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> sctx(EVP_MD_CTX_new());
    const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> vctx(EVP_MD_CTX_new());
    const bool ok = sctx && vctx &&
                    EVP_DigestSignInit(sctx.get(), nullptr, md, nullptr, pkey) == 1 &&
                    EVP_DigestSign(sctx.get(), sig.data(), &sig_len, kMsg, sizeof kMsg) == 1 &&
                    EVP_DigestVerifyInit(vctx.get(), nullptr, md, nullptr, pkey) == 1 &&
                    EVP_DigestVerify(vctx.get(), sig.data(), sig_len, kMsg, sizeof kMsg) == 1;
    ERR_clear_error();
    return ok;
}

struct BnCtxDeleter {
    void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};

BnPtr get_bignum(const EVP_PKEY* pkey, const char* name) {
    BIGNUM* raw = nullptr;
    if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) {
        ERR_clear_error();
        return nullptr;
    }
    return BnPtr(raw);
}

/// The RSA public values are usable: n and e odd, 3 <= e < n (RFC 8017 §3.1). OpenSSL's
/// EVP_PKEY_public_check adds a primality test proving n composite, which costs ~10 ms
/// per key at every worker start and protects nothing a signature check does not.
bool rsa_public_sane(EVP_PKEY* pkey) {
    const BnPtr n = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_N);
    const BnPtr e = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_E);
    return n && e && BN_is_odd(n.get()) && BN_is_odd(e.get()) && !BN_is_one(e.get()) &&
           BN_cmp(e.get(), n.get()) < 0;
}

/// RFC 8017 §3.2: the CRT values belong to each other and to d: n = p·q, dP = d mod (p-1),
/// dQ = d mod (q-1), e·dP = 1 mod (p-1), e·dQ = 1 mod (q-1), qInv·q = 1 mod p. The same
/// mismatches EVP_PKEY_pairwise_check finds, without its primality tests of p and q
/// (~40 ms per 2048-bit key, paid by the supervisor and every worker at start-up).
bool rsa_crt_consistent(EVP_PKEY* pkey) {
    const BnPtr n = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_N);
    const BnPtr e = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_E);
    const BnPtr d = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_D);
    const BnPtr p = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
    const BnPtr q = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
    const BnPtr dp = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1);
    const BnPtr dq = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2);
    const BnPtr qi = get_bignum(pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
    if (!n || !e || !d || !p || !q || !dp || !dq || !qi) return false;
    const std::unique_ptr<BN_CTX, BnCtxDeleter> ctx(BN_CTX_new());
    const BnPtr t(BN_new());
    const BnPtr p1(BN_dup(p.get()));
    const BnPtr q1(BN_dup(q.get()));
    if (!ctx || !t || !p1 || !q1) throw std::runtime_error("BN allocation failed");
    if (BN_cmp(p.get(), BN_value_one()) <= 0 || BN_cmp(q.get(), BN_value_one()) <= 0 ||
        BN_sub_word(p1.get(), 1) != 1 || BN_sub_word(q1.get(), 1) != 1) {
        return false;
    }
    auto mod_is = [&](const BIGNUM* a, const BIGNUM* b, const BIGNUM* m, const BIGNUM* want) {
        // (a·b) mod m == want, or a mod m == want when b is null.
        const int ok =
            b ? BN_mod_mul(t.get(), a, b, m, ctx.get()) : BN_nnmod(t.get(), a, m, ctx.get());
        return ok == 1 && BN_cmp(t.get(), want) == 0;
    };
    const bool ok = BN_mul(t.get(), p.get(), q.get(), ctx.get()) == 1 &&
                    BN_cmp(t.get(), n.get()) == 0 && mod_is(d.get(), nullptr, p1.get(), dp.get()) &&
                    mod_is(d.get(), nullptr, q1.get(), dq.get()) &&
                    mod_is(e.get(), dp.get(), p1.get(), BN_value_one()) &&
                    mod_is(e.get(), dq.get(), q1.get(), BN_value_one()) &&
                    mod_is(qi.get(), q.get(), p.get(), BN_value_one());
    ERR_clear_error();
    return ok;
}

bool public_check(EVP_PKEY* pkey) {
    if (EVP_PKEY_is_a(pkey, "RSA") == 1) return rsa_public_sane(pkey);
    const PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
    if (!ctx) return false;
    const int r = EVP_PKEY_public_check(ctx.get());
    ERR_clear_error();
    return r == 1 || r == -2;  // -2: no check exists for this key type
}

std::string optional_string(const rapidjson::Value& obj, const char* name, bool* bad) {
    if (!has_member(obj, name)) return {};
    const auto v = get_string(obj, name);
    if (!v || v->size() > kMaxKidBytes) {
        *bad = true;
        return {};
    }
    return std::string(*v);
}

std::string b64(const std::string& bytes) { return base64url_encode(bytes); }

void append_member(std::string& out, std::string_view name, std::string_view value) {
    if (out.size() > 1) out.push_back(',');
    append_json_string(out, name);
    out.push_back(':');
    append_json_string(out, value);
}

bool is_one_of(std::string_view alg, std::initializer_list<std::string_view> list) {
    for (const auto a : list) {
        if (a == alg) return true;
    }
    return false;
}

int pem_no_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

Jwk::Jwk(const Jwk& other)
    : secret_(other.secret_),
      kid_(other.kid_),
      alg_(other.alg_),
      use_(other.use_),
      kty_(other.kty_),
      crv_(other.crv_),
      private_(other.private_) {
    if (other.pkey_) {
        if (EVP_PKEY_up_ref(other.pkey_.get()) != 1) throw std::runtime_error("EVP_PKEY_up_ref");
        pkey_.reset(other.pkey_.get());
    }
}

Jwk& Jwk::operator=(const Jwk& other) {
    if (this != &other) {
        Jwk copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Jwk::~Jwk() {
    if (!secret_.empty()) OPENSSL_cleanse(secret_.data(), secret_.size());
}

Result<Jwk, std::string> Jwk::from_json(std::string_view json) {
    auto doc = parse_json_object(json, kMaxJwkBytes);
    if (!doc) return unexpected("JWK: " + doc.error());
    return from_json_value(*doc);
}

Result<Jwk, std::string> Jwk::from_json_value(const rapidjson::Value& obj) {
    if (!obj.IsObject()) return unexpected(std::string("JWK is not a JSON object"));
    const auto kty = get_string(obj, "kty");
    if (!kty) return unexpected(std::string("JWK member \"kty\" is missing or not a string"));
    Jwk key;
    key.kty_ = std::string(*kty);
    bool bad = false;
    key.kid_ = optional_string(obj, "kid", &bad);
    key.alg_ = optional_string(obj, "alg", &bad);
    key.use_ = optional_string(obj, "use", &bad);
    if (bad) return unexpected(std::string("JWK members kid, alg and use must be short strings"));
    if (!key.use_.empty() && key.use_ != "sig" && key.use_ != "enc") {
        return unexpected("JWK \"use\" must be \"sig\" or \"enc\", not \"" + key.use_ + "\"");
    }

    B64Members m(obj);
    if (key.kty_ == "RSA") {
        auto n = m.get("n", true);
        auto e = m.get("e", true);
        auto d = m.get("d", false);
        auto p = m.get("p", false);
        auto q = m.get("q", false);
        auto dp = m.get("dp", false);
        auto dq = m.get("dq", false);
        auto qi = m.get("qi", false);
        if (!m.error().empty()) return unexpected(m.error());
        if (has_member(obj, "oth")) {
            return unexpected(std::string("multi-prime RSA keys (\"oth\") are not supported"));
        }
        if (n->size() * 8 > static_cast<std::size_t>(kMaxRsaBits) + 8) {
            return unexpected(std::string("RSA modulus larger than ") +
                              std::to_string(kMaxRsaBits) + " bits");
        }
        if (e->size() > 8) return unexpected(std::string("RSA public exponent too large"));
        const int crt = (p ? 1 : 0) + (q ? 1 : 0) + (dp ? 1 : 0) + (dq ? 1 : 0) + (qi ? 1 : 0);
        if (crt != 0 && (crt != 5 || !d)) {
            // RFC 7518 §6.3.2: p, q, dp, dq and qi come together, with d.
            return unexpected(std::string("RSA private key needs d and all of p, q, dp, dq, qi"));
        }
        KeyBuilder b;
        b.bn(OSSL_PKEY_PARAM_RSA_N, *n);
        b.bn(OSSL_PKEY_PARAM_RSA_E, *e);
        if (d) b.bn(OSSL_PKEY_PARAM_RSA_D, *d);
        if (crt == 5) {
            b.bn(OSSL_PKEY_PARAM_RSA_FACTOR1, *p);
            b.bn(OSSL_PKEY_PARAM_RSA_FACTOR2, *q);
            b.bn(OSSL_PKEY_PARAM_RSA_EXPONENT1, *dp);
            b.bn(OSSL_PKEY_PARAM_RSA_EXPONENT2, *dq);
            b.bn(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, *qi);
        }
        auto pkey = b.build("RSA", d.has_value());
        if (!pkey) return unexpected(std::move(pkey).error());
        key.pkey_ = std::move(*pkey);
        key.private_ = d.has_value();
    } else if (key.kty_ == "EC") {
        const auto crv = get_string(obj, "crv");
        if (!crv) return unexpected(std::string("EC JWK member \"crv\" is missing"));
        const Curve* curve = curve_by_jwk_name(*crv);
        if (curve == nullptr)
            return unexpected("unsupported EC curve \"" + std::string(*crv) + "\"");
        key.crv_ = std::string(curve->jwk_name);
        auto x = m.get("x", true);
        auto y = m.get("y", true);
        auto d = m.get("d", false);
        if (!m.error().empty()) return unexpected(m.error());
        // RFC 7518 §6.2.1.2/§6.2.1.3: coordinates are the full field size.
        if (x->size() != curve->field_bytes || y->size() != curve->field_bytes) {
            return unexpected("EC coordinates must be " + std::to_string(curve->field_bytes) +
                              " bytes for " + key.crv_);
        }
        if (d && d->size() > curve->field_bytes) {
            return unexpected(std::string("EC private key \"d\" is too long"));
        }
        KeyBuilder b;
        b.utf8(OSSL_PKEY_PARAM_GROUP_NAME, curve->ossl_name);
        b.octets(OSSL_PKEY_PARAM_PUB_KEY, std::string(1, '\x04') + *x + *y);
        if (d) b.bn(OSSL_PKEY_PARAM_PRIV_KEY, *d);
        auto pkey = b.build("EC", d.has_value());
        if (!pkey) return unexpected(std::string("EC point is not on the curve ") + key.crv_);
        key.pkey_ = std::move(*pkey);
        key.private_ = d.has_value();
    } else if (key.kty_ == "OKP") {
        const auto crv = get_string(obj, "crv");
        if (!crv) return unexpected(std::string("OKP JWK member \"crv\" is missing"));
        if (*crv != "Ed25519") {
            return unexpected("unsupported OKP curve \"" + std::string(*crv) + "\"");
        }
        key.crv_ = "Ed25519";
        auto x = m.get("x", true);
        auto d = m.get("d", false);
        if (!m.error().empty()) return unexpected(m.error());
        if (x->size() != 32 || (d && d->size() != 32)) {
            return unexpected(std::string("Ed25519 keys are 32 bytes (RFC 8037 §2)"));
        }
        KeyBuilder b;
        b.octets(OSSL_PKEY_PARAM_PUB_KEY, *x);
        if (d) b.octets(OSSL_PKEY_PARAM_PRIV_KEY, *d);
        auto pkey = b.build("ED25519", d.has_value());
        if (!pkey) return unexpected(std::move(pkey).error());
        key.pkey_ = std::move(*pkey);
        key.private_ = d.has_value();
    } else if (key.kty_ == "oct") {
        auto k = m.get("k", true);
        if (!m.error().empty()) return unexpected(m.error());
        key.secret_ = std::move(*k);
        key.private_ = true;
    } else {
        return unexpected("unsupported JWK kty \"" + key.kty_ + "\"");
    }

    if (key.pkey_) {
        if (key.kty_ == "RSA") {
            const int bits = EVP_PKEY_get_bits(key.pkey_.get());
            if (bits < kMinRsaBits || bits > kMaxRsaBits) {
                return unexpected("RSA key of " + std::to_string(bits) + " bits; " +
                                  std::to_string(kMinRsaBits) + " to " +
                                  std::to_string(kMaxRsaBits) + " required");
            }
        }
        if (!public_check(key.pkey_.get())) {
            return unexpected("invalid " + key.kty_ + " public key (point not on curve?)");
        }
        // RSA with CRT parameters signs without ever using d (and OpenSSL silently repairs a
        // wrong CRT result), so only a full key-pair check catches a d, dp, dq or qi that
        // does not belong.
        const bool rsa_crt = key.kty_ == "RSA" && key.private_ && has_member(obj, "p");
        if (rsa_crt && !rsa_crt_consistent(key.pkey_.get())) {
            return unexpected("JWK private part does not match its public part");
        }
        // The CRT relations above already tie every private value to n and e; other keys
        // (EC, Ed25519, RSA given as n, e, d) prove it with one signature.
        if (key.private_ && !rsa_crt && !pairwise_consistent(key.pkey_.get())) {
            return unexpected("JWK private part does not match its public part");
        }
    }
    if (key.kid_.empty()) key.kid_ = key.thumbprint();
    return key;
}

Result<Jwk, std::string> Jwk::from_pem(std::string_view pem, std::string kid) {
    if (pem.size() > kMaxJwkBytes) return unexpected(std::string("PEM larger than 64 KiB"));
    if (pem.find("-----BEGIN") == std::string_view::npos) {
        return unexpected(std::string("not a PEM document"));
    }
    if (pem.find("ENCRYPTED") != std::string_view::npos) {
        return unexpected(std::string("encrypted PEM keys are not supported"));
    }
    const BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw std::runtime_error("BIO_new_mem_buf failed");
    EVP_PKEY* raw = nullptr;
    const std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxDeleter> dctx(
        OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr, 0, nullptr, nullptr));
    if (!dctx) throw std::runtime_error("OSSL_DECODER_CTX_new_for_pkey failed");
    OSSL_DECODER_CTX_set_pem_password_cb(dctx.get(), pem_no_passphrase, nullptr);
    if (OSSL_DECODER_from_bio(dctx.get(), bio.get()) != 1 || raw == nullptr) {
        if (raw != nullptr) EVP_PKEY_free(raw);
        return unexpected(ossl_error("unreadable PEM key"));
    }
    ERR_clear_error();
    Jwk key;
    key.pkey_.reset(raw);
    EVP_PKEY* pk = key.pkey_.get();
    if (EVP_PKEY_is_a(pk, "RSA") == 1) {
        key.kty_ = "RSA";
        key.private_ = get_bn(pk, OSSL_PKEY_PARAM_RSA_D).has_value();
        const int bits = EVP_PKEY_get_bits(pk);
        if (bits < kMinRsaBits || bits > kMaxRsaBits) {
            return unexpected("RSA key of " + std::to_string(bits) + " bits; " +
                              std::to_string(kMinRsaBits) + " to " + std::to_string(kMaxRsaBits) +
                              " required");
        }
    } else if (EVP_PKEY_is_a(pk, "EC") == 1) {
        std::array<char, 64> name{};
        std::size_t len = 0;
        if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, name.data(), name.size(),
                                           &len) != 1) {
            return unexpected(ossl_error("EC key without a named curve"));
        }
        const Curve* curve = curve_by_ossl_name(std::string_view(name.data(), len));
        if (curve == nullptr) {
            return unexpected("unsupported EC curve " + std::string(name.data(), len));
        }
        key.kty_ = "EC";
        key.crv_ = std::string(curve->jwk_name);
        key.private_ = get_bn(pk, OSSL_PKEY_PARAM_PRIV_KEY).has_value();
    } else if (EVP_PKEY_is_a(pk, "ED25519") == 1) {
        key.kty_ = "OKP";
        key.crv_ = "Ed25519";
        key.private_ = get_octets(pk, OSSL_PKEY_PARAM_PRIV_KEY).has_value();
    } else {
        return unexpected(std::string("unsupported PEM key type (RSA, EC or Ed25519 expected)"));
    }
    if (!public_check(pk)) return unexpected("invalid " + key.kty_ + " public key");
    key.alg_ = key.default_alg();
    key.kid_ = kid.empty() ? key.thumbprint() : std::move(kid);
    return key;
}

Jwk Jwk::from_secret(std::string_view secret, std::string kid) {
    Jwk key;
    key.kty_ = "oct";
    key.secret_ = std::string(secret);
    key.private_ = true;
    key.kid_ = std::move(kid);
    return key;
}

Jwk Jwk::generate_rsa(int bits) {
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
        throw std::invalid_argument("RSA key size must be between 2048 and 8192 bits");
    }
    EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits));
    if (raw == nullptr) throw std::runtime_error(ossl_error("RSA key generation failed"));
    Jwk key;
    key.pkey_.reset(raw);
    key.kty_ = "RSA";
    key.private_ = true;
    key.alg_ = key.default_alg();
    key.use_ = "sig";
    key.kid_ = key.thumbprint();
    return key;
}

Jwk Jwk::generate_ec(std::string crv) {
    const Curve* curve = curve_by_jwk_name(crv);
    if (curve == nullptr) throw std::invalid_argument("unsupported EC curve " + crv);
    EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve->ossl_name);
    if (raw == nullptr) throw std::runtime_error(ossl_error("EC key generation failed"));
    Jwk key;
    key.pkey_.reset(raw);
    key.kty_ = "EC";
    key.crv_ = std::string(curve->jwk_name);
    key.private_ = true;
    key.alg_ = key.default_alg();
    key.use_ = "sig";
    key.kid_ = key.thumbprint();
    return key;
}

Jwk Jwk::generate_okp(std::string crv) {
    if (crv != "Ed25519") throw std::invalid_argument("unsupported OKP curve " + crv);
    EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (raw == nullptr) throw std::runtime_error(ossl_error("Ed25519 key generation failed"));
    Jwk key;
    key.pkey_.reset(raw);
    key.kty_ = "OKP";
    key.crv_ = "Ed25519";
    key.private_ = true;
    key.alg_ = key.default_alg();
    key.use_ = "sig";
    key.kid_ = key.thumbprint();
    return key;
}

Jwk Jwk::generate_oct(int bits) {
    // RFC 7518 §3.2: an HMAC key at least as long as the hash output.
    if (bits < 256 || bits > 4096 || bits % 8 != 0) {
        throw std::invalid_argument("oct key size must be a multiple of 8 between 256 and 4096");
    }
    Jwk key = from_secret(random_bytes(static_cast<std::size_t>(bits / 8)));
    key.alg_ = bits >= 512 ? "HS512" : bits >= 384 ? "HS384" : "HS256";
    key.use_ = "sig";
    key.kid_ = key.thumbprint();
    return key;
}

std::string Jwk::members_json(bool with_private) const {
    std::string out = "{";
    append_member(out, "kty", kty_);
    EVP_PKEY* pk = pkey_.get();
    if (kty_ == "RSA") {
        append_member(out, "n", b64(get_bn(pk, OSSL_PKEY_PARAM_RSA_N).value_or("")));
        append_member(out, "e", b64(get_bn(pk, OSSL_PKEY_PARAM_RSA_E).value_or("")));
        if (with_private && private_) {
            append_member(out, "d", b64(get_bn(pk, OSSL_PKEY_PARAM_RSA_D).value_or("")));
            const auto p = get_bn(pk, OSSL_PKEY_PARAM_RSA_FACTOR1);
            const auto q = get_bn(pk, OSSL_PKEY_PARAM_RSA_FACTOR2);
            const auto dp = get_bn(pk, OSSL_PKEY_PARAM_RSA_EXPONENT1);
            const auto dq = get_bn(pk, OSSL_PKEY_PARAM_RSA_EXPONENT2);
            const auto qi = get_bn(pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
            if (p && q && dp && dq && qi) {
                append_member(out, "p", b64(*p));
                append_member(out, "q", b64(*q));
                append_member(out, "dp", b64(*dp));
                append_member(out, "dq", b64(*dq));
                append_member(out, "qi", b64(*qi));
            }
        }
    } else if (kty_ == "EC") {
        const std::size_t size = curve_by_jwk_name(crv_)->field_bytes;
        append_member(out, "crv", crv_);
        append_member(out, "x", b64(get_bn(pk, OSSL_PKEY_PARAM_EC_PUB_X, size).value_or("")));
        append_member(out, "y", b64(get_bn(pk, OSSL_PKEY_PARAM_EC_PUB_Y, size).value_or("")));
        if (with_private && private_) {
            append_member(out, "d", b64(get_bn(pk, OSSL_PKEY_PARAM_PRIV_KEY, size).value_or("")));
        }
    } else if (kty_ == "OKP") {
        append_member(out, "crv", crv_);
        append_member(out, "x", b64(get_octets(pk, OSSL_PKEY_PARAM_PUB_KEY).value_or("")));
        if (with_private && private_) {
            append_member(out, "d", b64(get_octets(pk, OSSL_PKEY_PARAM_PRIV_KEY).value_or("")));
        }
    } else if (kty_ == "oct" && with_private) {
        append_member(out, "k", b64(secret_));
    }
    if (!kid_.empty()) append_member(out, "kid", kid_);
    if (!alg_.empty()) append_member(out, "alg", alg_);
    append_member(out, "use", use_.empty() ? "sig" : use_);
    out.push_back('}');
    return out;
}

std::string Jwk::to_public_json() const { return members_json(false); }
std::string Jwk::to_private_json() const { return members_json(true); }

std::string Jwk::public_pem() const {
    if (!pkey_) return {};
    const BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), pkey_.get()) != 1) {
        throw std::runtime_error(ossl_error("PEM_write_bio_PUBKEY failed"));
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string Jwk::private_pem() const {
    if (!pkey_ || !private_) return {};
    const BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        throw std::runtime_error(ossl_error("PEM_write_bio_PrivateKey failed"));
    }
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string Jwk::thumbprint() const {
    // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
    EVP_PKEY* pk = pkey_.get();
    std::string json;
    if (kty_ == "RSA") {
        json = R"({"e":")" + b64(get_bn(pk, OSSL_PKEY_PARAM_RSA_E).value_or("")) +
               R"(","kty":"RSA","n":")" + b64(get_bn(pk, OSSL_PKEY_PARAM_RSA_N).value_or("")) +
               "\"}";
    } else if (kty_ == "EC") {
        const std::size_t size = curve_by_jwk_name(crv_)->field_bytes;
        json = R"({"crv":")" + crv_ + R"(","kty":"EC","x":")" +
               b64(get_bn(pk, OSSL_PKEY_PARAM_EC_PUB_X, size).value_or("")) + R"(","y":")" +
               b64(get_bn(pk, OSSL_PKEY_PARAM_EC_PUB_Y, size).value_or("")) + "\"}";
    } else if (kty_ == "OKP") {
        // RFC 8037 §2: crv, kty, x.
        json = R"({"crv":")" + crv_ + R"(","kty":"OKP","x":")" +
               b64(get_octets(pk, OSSL_PKEY_PARAM_PUB_KEY).value_or("")) + "\"}";
    } else {
        json = R"({"k":")" + b64(secret_) + R"(","kty":"oct"})";
    }
    return base64url_encode(sha256(json));
}

bool Jwk::is_private() const { return private_; }

std::string Jwk::default_alg() const {
    if (kty_ == "RSA") return "RS256";
    if (kty_ == "EC") {
        const Curve* c = curve_by_jwk_name(crv_);
        return c != nullptr ? std::string(c->alg) : std::string();
    }
    if (kty_ == "OKP") return "EdDSA";
    return "HS256";
}

bool Jwk::usable_for(std::string_view alg) const {
    if (!use_.empty() && use_ != "sig") return false;
    if (!alg_.empty() && alg_ != alg) return false;
    if (kty_ == "RSA") {
        return is_one_of(alg, {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"});
    }
    if (kty_ == "EC") {
        const Curve* c = curve_by_jwk_name(crv_);
        return c != nullptr && c->alg == alg;
    }
    if (kty_ == "OKP") return alg == "EdDSA";
    if (kty_ == "oct") return is_one_of(alg, {"HS256", "HS384", "HS512"}) && !secret_.empty();
    return false;
}

int Jwk::bits() const {
    if (pkey_) return EVP_PKEY_get_bits(pkey_.get());
    return static_cast<int>(secret_.size() * 8);
}

}  // namespace canaille::jose
