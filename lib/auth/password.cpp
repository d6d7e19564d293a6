// SPDX-License-Identifier: MIT
#include "auth/password.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

#include "util/random.hpp"

namespace canaille::auth {
namespace {

// Bounds on what a stored hash may ask for. The stored string is data, so without them a
// corrupted or planted row could make one login allocate gigabytes or spin for minutes.
constexpr std::size_t kMaxHashStringBytes = 1024;
constexpr std::uint32_t kMaxArgon2MemoryKib = 1U << 20;  // 1 GiB
constexpr std::uint32_t kMaxArgon2TimeCost = 1000;
constexpr std::uint32_t kMaxArgon2Parallelism = 64;
constexpr std::size_t kMinArgon2Salt = 8;  // ARGON2_MIN_SALT_LENGTH
constexpr std::size_t kMaxArgon2Salt = 64;
constexpr std::size_t kMinArgon2Hash = 4;  // ARGON2_MIN_OUTLEN
constexpr std::size_t kMaxArgon2Hash = 128;
constexpr std::uint32_t kMinPbkdf2Rounds = 1;
constexpr std::uint32_t kMaxPbkdf2Rounds = 10'000'000;
constexpr std::size_t kMaxPbkdf2Salt = 1024;

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

/// Wipes a buffer of derived key material on scope exit.
class Wiped {
  public:
    explicit Wiped(std::size_t n) : bytes_(n) {}
    ~Wiped() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
    Wiped(const Wiped&) = delete;
    Wiped& operator=(const Wiped&) = delete;
    unsigned char* data() { return bytes_.data(); }
    std::size_t size() const { return bytes_.size(); }

  private:
    std::vector<unsigned char> bytes_;
};

int b64_value(char c, char char62) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == char62) return 62;
    if (c == '/') return 63;
    return -1;
}

/// Unpadded base64 with a configurable 62nd character: '+' for PHC strings, '.' for
/// passlib's "ab64". Padding is rejected: neither format writes it.
std::optional<std::string> b64_decode_nopad(std::string_view text, char char62) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = b64_value(c, char62);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFFU));
        }
    }
    return out;
}

/// Strict unsigned decimal: digits only, no sign, no whitespace, at most 10 digits.
std::optional<std::uint32_t> parse_u32(std::string_view s) {
    if (s.empty() || s.size() > 10) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    return static_cast<std::uint32_t>(v);
}

/// Every field between separators, empty ones included ("$a$" -> "", "a", "").
std::vector<std::string_view> split_fields(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t pos = s.find(sep, start);
        if (pos == std::string_view::npos) {
            out.push_back(s.substr(start));
            return out;
        }
        out.push_back(s.substr(start, pos - start));
        start = pos + 1;
    }
}

bool bytes_equal(const unsigned char* a, std::string_view b) {
    return CRYPTO_memcmp(a, b.data(), b.size()) == 0;
}

// ---- Argon2 (PHC string format, https://github.com/P-H-C/phc-string-format) ----

struct Argon2Hash {
    argon2_type type = Argon2_id;
    std::uint32_t version = ARGON2_VERSION_13;
    std::uint32_t m = 0;
    std::uint32_t t = 0;
    std::uint32_t p = 0;
    std::string salt;
    std::string hash;
};

std::optional<std::uint32_t> parse_param(std::string_view field, char name) {
    if (field.size() < 3 || field[0] != name || field[1] != '=') return std::nullopt;
    return parse_u32(field.substr(2));
}

std::optional<Argon2Hash> parse_argon2(std::string_view s) {
    std::vector<std::string_view> parts = split_fields(s, '$');
    // "", type, [v=N], m=..,t=..,p=.., salt, hash
    if (parts.size() != 5 && parts.size() != 6) return std::nullopt;
    if (!parts[0].empty()) return std::nullopt;
    Argon2Hash h;
    if (parts[1] == "argon2id") {
        h.type = Argon2_id;
    } else if (parts[1] == "argon2i") {
        h.type = Argon2_i;
    } else if (parts[1] == "argon2d") {
        h.type = Argon2_d;
    } else {
        return std::nullopt;
    }
    std::size_t i = 2;
    if (parts.size() == 6) {
        const auto v = parse_param(parts[2], 'v');
        if (!v || (*v != ARGON2_VERSION_10 && *v != ARGON2_VERSION_13)) return std::nullopt;
        h.version = *v;
        i = 3;
    } else {
        // The reference implementation reads a missing version as 1.0 (0x10).
        h.version = ARGON2_VERSION_10;
    }
    const std::vector<std::string_view> params = split_fields(parts[i], ',');
    if (params.size() != 3) return std::nullopt;
    const auto m = parse_param(params[0], 'm');
    const auto t = parse_param(params[1], 't');
    const auto p = parse_param(params[2], 'p');
    if (!m || !t || !p) return std::nullopt;
    if (*t < 1 || *t > kMaxArgon2TimeCost) return std::nullopt;
    if (*p < 1 || *p > kMaxArgon2Parallelism) return std::nullopt;
    if (*m < 8 * *p || *m > kMaxArgon2MemoryKib) return std::nullopt;
    h.m = *m;
    h.t = *t;
    h.p = *p;
    auto salt = b64_decode_nopad(parts[i + 1], '+');
    auto hash = b64_decode_nopad(parts[i + 2], '+');
    if (!salt || salt->size() < kMinArgon2Salt || salt->size() > kMaxArgon2Salt) {
        return std::nullopt;
    }
    if (!hash || hash->size() < kMinArgon2Hash || hash->size() > kMaxArgon2Hash) {
        return std::nullopt;
    }
    h.salt = std::move(*salt);
    h.hash = std::move(*hash);
    return h;
}

bool argon2_matches(const Argon2Hash& h, std::string_view password) {
    Wiped out(h.hash.size());
    // argon2_context wants mutable pointers; with ARGON2_DEFAULT_FLAGS it writes to neither.
    std::string pwd(password);
    std::string salt = h.salt;
    argon2_context ctx{};
    ctx.out = out.data();
    ctx.outlen = static_cast<std::uint32_t>(out.size());
    ctx.pwd = reinterpret_cast<std::uint8_t*>(pwd.data());
    ctx.pwdlen = static_cast<std::uint32_t>(pwd.size());
    ctx.salt = reinterpret_cast<std::uint8_t*>(salt.data());
    ctx.saltlen = static_cast<std::uint32_t>(salt.size());
    ctx.t_cost = h.t;
    ctx.m_cost = h.m;
    ctx.lanes = h.p;
    ctx.threads = h.p;
    ctx.version = h.version;
    ctx.flags = ARGON2_DEFAULT_FLAGS;
    const int rc = argon2_ctx(&ctx, h.type);
    OPENSSL_cleanse(pwd.data(), pwd.size());
    if (rc != ARGON2_OK) return false;
    return bytes_equal(out.data(), h.hash);
}

Verify verify_argon2(std::string_view stored, std::string_view password,
                     const Argon2Params& params) {
    const auto h = parse_argon2(stored);
    if (!h || !argon2_matches(*h, password)) return Verify::mismatch;
    const bool weaker = h->type != Argon2_id || h->version != ARGON2_VERSION_13 ||
                        h->m < params.memory_kib || h->t < params.time_cost ||
                        h->p < params.parallelism || h->hash.size() < kHashBytes ||
                        h->salt.size() < kSaltBytes;
    return weaker ? Verify::ok_needs_rehash : Verify::ok;
}

// ---- passlib PBKDF2: "$pbkdf2[-sha256|-sha512]$<rounds>$<ab64 salt>$<ab64 checksum>" ----

Verify verify_pbkdf2(std::string_view stored, std::string_view password) {
    const std::vector<std::string_view> parts = split_fields(stored, '$');
    if (parts.size() != 5 || !parts[0].empty()) return Verify::mismatch;
    const EVP_MD* md = nullptr;
    std::size_t checksum_len = 0;
    if (parts[1] == "pbkdf2-sha512") {
        md = EVP_sha512();
        checksum_len = 64;
    } else if (parts[1] == "pbkdf2-sha256") {
        md = EVP_sha256();
        checksum_len = 32;
    } else if (parts[1] == "pbkdf2") {
        md = EVP_sha1();
        checksum_len = 20;
    } else {
        return Verify::mismatch;
    }
    const auto rounds = parse_u32(parts[2]);
    if (!rounds || *rounds < kMinPbkdf2Rounds || *rounds > kMaxPbkdf2Rounds) {
        return Verify::mismatch;
    }
    const auto salt = b64_decode_nopad(parts[3], '.');
    const auto checksum = b64_decode_nopad(parts[4], '.');
    if (!salt || salt->size() > kMaxPbkdf2Salt) return Verify::mismatch;
    if (!checksum || checksum->size() != checksum_len) return Verify::mismatch;
    Wiped out(checksum_len);
    const int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                     reinterpret_cast<const unsigned char*>(salt->data()),
                                     static_cast<int>(salt->size()), static_cast<int>(*rounds), md,
                                     static_cast<int>(out.size()), out.data());
    if (ok != 1) return Verify::mismatch;
    // A match is always legacy: the caller re-hashes with Argon2id at this login.
    return bytes_equal(out.data(), *checksum) ? Verify::ok_needs_rehash : Verify::mismatch;
}

bool params_in_bounds(const Argon2Params& p) {
    return p.time_cost >= 1 && p.time_cost <= kMaxArgon2TimeCost && p.parallelism >= 1 &&
           p.parallelism <= kMaxArgon2Parallelism && p.memory_kib >= 8 * p.parallelism &&
           p.memory_kib <= kMaxArgon2MemoryKib;
}

}  // namespace

std::string hash_password(std::string_view password, const Argon2Params& params) {
    if (password.size() > kMaxPasswordBytes) {
        throw std::invalid_argument("password longer than kMaxPasswordBytes");
    }
    if (!params_in_bounds(params)) throw std::invalid_argument("Argon2 params out of bounds");
    const std::string salt = random_bytes(kSaltBytes);
    const std::size_t len = argon2_encodedlen(
        params.time_cost, params.memory_kib, params.parallelism, kSaltBytes, kHashBytes, Argon2_id);
    std::string encoded(len, '\0');
    const int rc = argon2id_hash_encoded(params.time_cost, params.memory_kib, params.parallelism,
                                         password.data(), password.size(), salt.data(), salt.size(),
                                         kHashBytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK) {
        throw std::runtime_error(std::string("argon2id hashing failed: ") +
                                 argon2_error_message(rc));
    }
    encoded.resize(encoded.find('\0'));
    return encoded;
}

Verify verify_password(std::string_view stored_hash, std::string_view password,
                       const Argon2Params& params) {
    if (password.size() > kMaxPasswordBytes) return Verify::mismatch;
    if (stored_hash.empty() || stored_hash.size() > kMaxHashStringBytes) return Verify::mismatch;
    if (stored_hash.starts_with("$argon2")) return verify_argon2(stored_hash, password, params);
    if (stored_hash.starts_with("$pbkdf2")) return verify_pbkdf2(stored_hash, password);
    return Verify::mismatch;
}

void verify_dummy(std::string_view password, const Argon2Params& params) {
    if (!params_in_bounds(params)) return;
    // Same cost as a real verification with these params; the salt and hash are fixed
    // filler, so it never matches.
    const std::string dummy = "$argon2id$v=19$m=" + std::to_string(params.memory_kib) +
                              ",t=" + std::to_string(params.time_cost) +
                              ",p=" + std::to_string(params.parallelism) +
                              "$Y2FuYWlsbGUtZHVtbXktc2FsdCE"
                              "$ZHVtbXktaGFzaC10aGF0LW5ldmVyLW1hdGNoZXMhISE";
    const Verify v = verify_password(dummy, password.substr(0, kMaxPasswordBytes), params);
    static_cast<void>(v);
}

}  // namespace canaille::auth
