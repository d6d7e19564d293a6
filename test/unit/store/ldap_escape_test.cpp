// SPDX-License-Identifier: MIT
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "store/ldap/ldap_conn.hpp"

using namespace canaille;
using namespace canaille::store::ldap;

namespace {
struct Case {
    std::string in;
    std::string out;
};
}  // namespace

TEST_CASE("escape_filter writes RFC 4515 §3 escapes", "[ldap][escape]") {
    const Case cases[] = {
        {"", ""},
        {"alice", "alice"},
        {"*", "\\2a"},
        {"*)(uid=*", "\\2a\\29\\28uid=\\2a"},
        {"back\\slash", "back\\5cslash"},
        {std::string("a\0b", 3), "a\\00b"},
        {"caf\xc3\xa9", "caf\\c3\\a9"},  // bytes >= 0x80 escaped, so any UTF-8 is safe
        {"100% sure_", "100% sure_"},    // not special in LDAP filters
    };
    for (const auto& c : cases) {
        INFO(c.in);
        CHECK(escape_filter(c.in) == c.out);
    }
}

TEST_CASE("escape_dn_value writes RFC 4514 §2.4 escapes", "[ldap][escape]") {
    const Case cases[] = {
        {"alice", "alice"},
        {"x,cn=admin", "x\\,cn\\=admin"},
        {"a+b", "a\\+b"},
        {"#lead", "\\#lead"},
        {"mid#dle", "mid#dle"},  // '#' only at the start
        {" lead", "\\ lead"},
        {"trail ", "trail\\ "},
        {"in side", "in side"},
        {"q\"uote;<a>\\", "q\\\"uote\\;\\<a\\>\\\\"},
        {std::string("n\0ul", 4), "n\\00ul"},
        {"\u00fcn\u00efc\u00f6d\u00e9", "\u00fcn\u00efc\u00f6d\u00e9"},  // UTF-8 stays
    };
    for (const auto& c : cases) {
        INFO(c.in);
        CHECK(escape_dn_value(c.in) == c.out);
    }
}

TEST_CASE("first_rdn_value undoes DN escaping (RFC 4514 §3)", "[ldap][dn]") {
    CHECK(first_rdn_value("uid=alice,ou=users,dc=test") == "alice");
    CHECK(first_rdn_value("uid=a\\2Cb,ou=x") == "a,b");
    CHECK(first_rdn_value("uid=a\\,b,ou=x") == "a,b");
    CHECK(first_rdn_value("cn=\\#lead,dc=test") == "#lead");
    CHECK(first_rdn_value("cn=trail\\ ,dc=test") == "trail ");
    CHECK(first_rdn_value("") == "");
    CHECK(first_rdn_value("not a dn") == "");
    CHECK(first_rdn_value("uid=") == "");
    // Round trip through the escaper for awkward values.
    for (std::string v :
         {"*)(uid=*", "x,cn=admin", "a+b", "#lead", " lead space", "q\"u;o<t>e\\", "nul-free=eq"}) {
        INFO(v);
        CHECK(first_rdn_value("uid=" + escape_dn_value(v) + ",ou=users,dc=test") == v);
    }
}

TEST_CASE("GeneralizedTime both ways (RFC 4517 §3.3.13)", "[ldap][time]") {
    using namespace std::chrono_literals;
    const TimePoint t = from_unix(1'700'000'000);  // 2023-11-14T22:13:20Z
    CHECK(to_generalized_time(t) == "20231114221320Z");
    CHECK(to_generalized_time(t + 900ms) == "20231114221320Z");  // seconds precision
    CHECK(to_generalized_time(from_unix(0)) == "19700101000000Z");
    CHECK(from_generalized_time("20231114221320Z") == t);
    CHECK(from_generalized_time(to_generalized_time(t)) == t);

    // Optional minutes/seconds, fractions, offsets.
    CHECK(from_generalized_time("2023111422Z") == from_unix(1'699'999'200));
    CHECK(from_generalized_time("202311142213Z") == from_unix(1'699'999'980));
    CHECK(from_generalized_time("20231114221320.5Z") == t + 500ms);
    CHECK(from_generalized_time("20231114221320,25Z") == t + 250ms);
    CHECK(from_generalized_time("20231114231320+0100") == t);
    CHECK(from_generalized_time("20231114211320-01") == t);
    CHECK(from_generalized_time("20240229000000Z").has_value());  // leap day

    // Junk is refused.
    for (const char* bad :
         {"", "Z", "2023", "20231114221320", "20231114221320z", "20231314221320Z",
          "20231132221320Z", "20230229000000Z", "20231114241320Z", "20231114226020Z",
          "20231114221320.Z", "20231114221320Zjunk", "2023111422132OZ", "20231114221320+2400",
          "-0231114221320Z", "20231114221320+01x"}) {
        INFO(bad);
        CHECK_FALSE(from_generalized_time(bad).has_value());
    }
    CHECK_FALSE(from_generalized_time(std::string(100, '1') + "Z").has_value());
}
