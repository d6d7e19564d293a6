// SPDX-License-Identifier: MIT
#include "util/hash.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <memory>
#include <stdexcept>

namespace canaille {

namespace {

// The one-shot SHA256() and HMAC() fetch their algorithm from the provider on every call
// (OpenSSL 3); tokens, codes and session ids are hashed on nearly every request, so the
// algorithm is fetched once and the contexts are reused.

struct MdDeleter {
    void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct MacDeleter {
    void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxDeleter {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

const EVP_MD* sha256_md() {
    static const std::unique_ptr<EVP_MD, MdDeleter> md(EVP_MD_fetch(nullptr, "SHA256", nullptr));
    if (!md) throw std::runtime_error("SHA-256 unavailable");
    return md.get();
}

/// A digest context per thread, re-initialised for each digest.
EVP_MD_CTX* sha256_ctx() {
    thread_local const std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
    if (!ctx) throw std::runtime_error("SHA-256 context allocation failed");
    return ctx.get();
}

/// An HMAC context per thread with SHA-256 set once: a later EVP_MAC_init without
/// parameters keeps the digest, so only the key changes between calls.
EVP_MAC_CTX* hmac_sha256_ctx() {
    thread_local const std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx = [] {
        static const std::unique_ptr<EVP_MAC, MacDeleter> mac(
            EVP_MAC_fetch(nullptr, "HMAC", nullptr));
        if (!mac) throw std::runtime_error("HMAC unavailable");
        std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> c(EVP_MAC_CTX_new(mac.get()));
        if (!c) throw std::runtime_error("HMAC context allocation failed");
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end()};
        if (EVP_MAC_CTX_set_params(c.get(), params) != 1) {
            throw std::runtime_error("HMAC-SHA256 setup failed");
        }
        return c;
    }();
    return ctx.get();
}

}  // namespace

std::string sha256(std::string_view data) {
    EVP_MD_CTX* ctx = sha256_ctx();
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int len = 0;
    if (EVP_DigestInit_ex2(ctx, sha256_md(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    out.resize(len);
    return out;
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
    EVP_MAC_CTX* ctx = hmac_sha256_ctx();
    std::string out(EVP_MAX_MD_SIZE, '\0');
    std::size_t len = 0;
    // An empty key is a valid HMAC key; OpenSSL wants a non-null pointer for it.
    static const unsigned char kEmpty[1] = {0};
    const auto* k = key.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(key.data());
    if (EVP_MAC_init(ctx, k, key.size(), nullptr) != 1 ||
        EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
            1 ||
        EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) != 1) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    out.resize(len);
    return out;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xf]);
    }
    return out;
}

}  // namespace canaille
