// SPDX-License-Identifier: MIT
// The `canaille` command line through the real binary: help, check, install, and the
// create/get/set/delete grammar (reference §5), on the backend named by
// CANAILLE_TEST_BACKEND.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "fixtures/canaille_fixture.hpp"
#include "fixtures/temp_dir.hpp"

using canaille::fixtures::CanailleFixture;
using canaille::fixtures::CommandResult;
using canaille::fixtures::TempDir;

namespace {

std::string binary() {
    const char* bin = std::getenv("CANAILLE_BIN");
    REQUIRE(bin != nullptr);
    return bin;
}

bool contains(const std::string& hay, const std::string& needle) {
    return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("every command answers --help", "[cli]") {
    TempDir dir;
    CanailleFixture f(dir, binary());
    for (const auto* cmd :
         {"fcgi", "run", "install", "check", "clean", "create", "get", "set", "delete", "jwk"}) {
        const auto r = f.cli({cmd, "--help"});
        INFO(cmd << ": " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(contains(r.out, "usage: canaille"));
    }
    const auto top = f.cli({"--help"});
    CHECK(top.exit_code == 0);
    CHECK(contains(top.out, "commands:"));
    CHECK(f.cli({"frobnicate"}).exit_code == 2);
}

TEST_CASE("install is idempotent and check passes", "[cli]") {
    TempDir dir;
    CanailleFixture f(dir, binary());
    const auto again = f.cli({"install"});
    CHECK(again.exit_code == 0);
    CHECK(contains(again.out, "already at schema version"));
    const auto check = f.cli({"check"});
    INFO(check.out << check.err);
    CHECK(check.exit_code == 0);
    CHECK(contains(check.out, "OK configuration"));
    CHECK(contains(check.out, "OK store"));
    CHECK(contains(check.out, "OK keys"));
}

TEST_CASE("check reports every configuration error with its location", "[cli]") {
    TempDir dir;
    CanailleFixture f(dir, binary());
    const auto bad = dir.path() + "/bad.yaml";
    std::ofstream(bad) << "SECRET_KEY: x\nCANAILLE:\n  NAM: typo\n  ENABLE_REGISTRATION: maybe\n"
                          "BOGUS: 1\n";
    const auto r = f.cli({"--config", bad, "check"});
    CHECK(r.exit_code != 0);
    CHECK(contains(r.err, bad + ":3:3: unknown key CANAILLE.NAM"));
    CHECK(contains(r.err, bad + ":4:24:"));
    CHECK(contains(r.err, bad + ":5:1: unknown key BOGUS"));
    CHECK(contains(r.err, "3 configuration error(s)"));
}

TEST_CASE("create, get, set and delete users and groups", "[cli]") {
    TempDir dir;
    CanailleFixture f(dir, binary());
    auto r = f.cli({"create", "user", "--user-name", "alice", "--emails", "alice@example.org",
                    "--emails", "al@example.org", "--password", "correct horse", "--given-name",
                    "Alice"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "\"user_name\": \"alice\""));
    CHECK(contains(r.out, "\"al@example.org\""));
    CHECK_FALSE(contains(r.out, "correct horse"));  // passwords are write-only
    CHECK_FALSE(contains(r.out, "argon2"));

    // A taken user name is refused and changes nothing.
    r = f.cli({"create", "user", "--user-name", "alice"});
    CHECK(r.exit_code == 1);
    CHECK(contains(r.err, "already_exists"));

    r = f.cli({"create", "group", "--display-name", "staff", "--members", "alice", "--description",
               "The staff"});
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "\"members\": [\n    \"alice\"\n  ]"));

    r = f.cli({"get", "user", "--groups", "staff"});
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "\"alice\""));
    r = f.cli({"get", "user", "--given-name", "Nobody"});
    CHECK(r.out == "[]\n");

    r = f.cli({"set", "user", "alice", "--phone-numbers", "+331", "--phone-numbers", "+332",
               "--given-name", ""});
    REQUIRE(r.exit_code == 0);
    CHECK(contains(r.out, "\"+332\""));
    CHECK_FALSE(contains(r.out, "given_name"));  // an empty value clears the attribute

    CHECK(f.cli({"set", "user", "nobody", "--title", "x"}).exit_code == 1);
    CHECK(f.cli({"create", "user", "--user-name", "x", "--no-such-attr", "1"}).exit_code == 2);
    CHECK(f.cli({"create", "user", "--emails", "x@example.org"}).exit_code == 2);
    CHECK(f.cli({"create", "widget"}).exit_code == 2);

    // delete without a filter needs --noconfirm
    CHECK(f.cli({"delete", "group"}).exit_code == 2);
    r = f.cli({"delete", "user", "--user-name", "alice"});
    REQUIRE(r.exit_code == 0);
    r = f.cli({"get", "group", "--display-name", "staff"});
    CHECK_FALSE(contains(r.out, "alice"));  // memberships went with the user
    r = f.cli({"delete", "group", "--noconfirm"});
    CHECK(r.exit_code == 0);
    CHECK(f.cli({"get", "group"}).out == "[]\n");
}

TEST_CASE("jwk create makes keys that check accepts", "[cli][jwk]") {
    TempDir dir;
    CanailleFixture f(dir, binary());
    for (const auto* type : {"rsa", "ec", "okp", "oct"}) {
        const auto r = f.cli({"jwk", "create", type});
        INFO(type << ": " << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(contains(r.out, "\"kid\""));
        CHECK(contains(r.out, "\"d\"") == (std::string(type) != "oct"));
    }
    CHECK(f.cli({"jwk", "create", "rsa", "--size", "1024"}).exit_code == 2);
    CHECK(f.cli({"jwk", "create", "dsa"}).exit_code == 2);
    const auto exported = f.cli({"jwk", "export"});
    REQUIRE(exported.exit_code == 0);
    CHECK(contains(exported.out, "\"keys\""));
    CHECK_FALSE(contains(exported.out, "\"d\""));
    const auto pem = f.cli({"jwk", "export", "--format", "pem"});
    CHECK(contains(pem.out, "BEGIN PUBLIC KEY"));
}
