// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>

#include <sstream>

#include "util/base64.hpp"
#include "util/clock.hpp"
#include "util/hash.hpp"
#include "util/random.hpp"
#include "util/result.hpp"
#include "util/secret.hpp"
#include "util/strings.hpp"

using namespace canaille;

TEST_CASE("base64url round trip and RFC 4648 §10 vectors", "[util]") {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, enc] : vectors) {
        CHECK(base64url_encode(plain) == enc);
        CHECK(base64url_decode(enc) == std::string(plain));
    }
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_decode("Zm8=") == std::string("fo"));
    CHECK_FALSE(base64url_decode("Zm8+").has_value());  // '+' is not in the URL alphabet
    CHECK_FALSE(base64url_decode("Z").has_value());
    CHECK_FALSE(base64url_decode("Zh").has_value());  // non-zero trailing bits
    const std::string bin("\0\xff\xfe\x01", 4);
    CHECK(base64url_decode(base64url_encode(bin)) == bin);
}

TEST_CASE("sha256 and hmac known answers", "[util]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test case 2
    CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("sha256 and hmac reuse their contexts across calls", "[util]") {
    // The digest and MAC contexts are kept between calls: each call must start afresh.
    for (int round = 0; round < 3; ++round) {
        CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(sha256_hex(std::string(1000, 'a')) ==
              "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
        CHECK(sha256("abc").size() == 32);
        CHECK(to_hex(hmac_sha256("", "")) ==
              "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
        // RFC 4231 test case 6: a key longer than the block size.
        CHECK(to_hex(hmac_sha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")) ==
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
        CHECK(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}

TEST_CASE("random tokens are distinct and sized", "[util]") {
    const auto a = random_token(32);
    const auto b = random_token(32);
    CHECK(a != b);
    CHECK(a.size() == 43);
    const auto u = random_uuid();
    REQUIRE(u.size() == 36);
    CHECK(u[14] == '4');
    CHECK((u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b'));
}

TEST_CASE("constant time compare and redacting secret", "[util]") {
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
    std::ostringstream os;
    os << Secret("hunter2");
    CHECK(os.str() == "[redacted]");
}

TEST_CASE("utf-8 validation", "[util]") {
    CHECK(valid_utf8("héllo ✓ 𝄞"));
    CHECK_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
    CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
    CHECK_FALSE(valid_utf8("\xe2\x9c"));          // truncated
    CHECK_FALSE(valid_utf8("\xff"));
}

TEST_CASE("fold_case lowers ASCII and common two-byte letters only", "[util]") {
    CHECK(fold_case("AbC-123") == "abc-123");
    CHECK(fold_case("\xc3\x89LODIE") == "\xc3\xa9lodie");  // ÉLODIE
    CHECK(fold_case("\xc3\x97") == "\xc3\x97");            // × is no letter
    CHECK(fold_case("\xc5\x81\xc3\xb3"
                    "d\xc5\xba") ==
          "\xc5\x82\xc3\xb3"
          "d\xc5\xba");                                          // Łódź
    CHECK(fold_case("\xc4\xb0") == "\xc4\xb0");                  // İ kept
    CHECK(fold_case("\xce\xa3\xcf\x82") == "\xcf\x83\xcf\x83");  // Σς -> σσ
    CHECK(fold_case("\xce\x86") == "\xce\xac");                  // Ά -> ά
    CHECK(fold_case("\xd0\x96\xd0\x81") == "\xd0\xb6\xd1\x91");  // ЖЁ -> жё
    CHECK(fold_case("\xe2\x82\xac") == "\xe2\x82\xac");          // three bytes: kept
    // Invalid UTF-8 passes through: a lone lead byte, a stray continuation, an overlong.
    CHECK(fold_case("A\xc3") == "a\xc3");
    CHECK(fold_case("\x80Z") == "\x80z");
    CHECK(fold_case("\xc1\x81") == "\xc1\x81");
    CHECK(fold_case("") == "");
}

TEST_CASE("url encode and decode", "[util]") {
    bool ok = false;
    CHECK(url_decode("a%20b+c", true, ok) == "a b c");
    CHECK(ok);
    CHECK(url_decode("a+b", false, ok) == "a+b");
    url_decode("%zz", true, ok);
    CHECK_FALSE(ok);
    url_decode("%4", true, ok);
    CHECK_FALSE(ok);
    url_decode("%", true, ok);
    CHECK_FALSE(ok);
    CHECK(url_encode("a b/é~") == "a%20b%2F%C3%A9~");
}

TEST_CASE("result carries a value or an error", "[util]") {
    auto f = [](int x) -> Result<int, std::string> {
        if (x < 0) return unexpected(std::string("negative"));
        return x * 2;
    };
    CHECK(f(2).value() == 4);
    CHECK_FALSE(f(-1).has_value());
    CHECK(f(-1).error() == "negative");
    CHECK(f(-1).value_or(7) == 7);
    Result<void, std::string> ok;
    CHECK(ok.has_value());
}

TEST_CASE("fake clock moves only when told", "[util]") {
    FakeClock c(from_unix(1000));
    CHECK(to_unix(c.now()) == 1000);
    c.advance(std::chrono::seconds(5));
    CHECK(to_unix(c.now()) == 1005);
}
