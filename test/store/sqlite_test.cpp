// SPDX-License-Identifier: MIT
// What only the SQLite backend has: URIs, its file, its time precision, its schema table.
#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <system_error>

#include "conformance/helpers.hpp"
#include "conformance/oidc_helpers.hpp"
#include "store/sqlite/sqlite_store.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using namespace std::chrono_literals;

namespace {

struct TempDir {
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "canaille-sqlite-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::filesystem::path path;
};

void raw_exec(const std::filesystem::path& file, const char* sql) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &raw) == SQLITE_OK);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    REQUIRE(sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK);
}

std::string error_of(std::string_view uri, const Clock& clock) {
    try {
        open_store(uri, clock);
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("sqlite: open_store understands sqlite URIs", "[sqlite]") {
    FakeClock clock(t0());
    TempDir dir;

    auto abs_file = dir.path / "abs.sqlite";
    auto abs = open_store("sqlite://" + abs_file.string(), clock);
    abs->install();
    CHECK(std::filesystem::exists(abs_file));
    CHECK(dynamic_cast<SqliteStore&>(*abs).path() == abs_file.string());

    auto rel_file = std::filesystem::relative(dir.path / "rel.sqlite");
    REQUIRE(rel_file.is_relative());
    auto rel = open_store("sqlite:" + rel_file.string(), clock);
    rel->install();
    CHECK(std::filesystem::exists(dir.path / "rel.sqlite"));

    auto mem = open_store("sqlite::memory:", clock);
    CHECK(mem->schema_version() == 0);
    mem->install();
    auto u = make_user("alice");
    CHECK(mem->create_user(u) == Status::ok);
    CHECK(mem->get_user(u.id).has_value());
}

TEST_CASE("sqlite: open_store rejects what it cannot open", "[sqlite]") {
    FakeClock clock(t0());
    CHECK(error_of("mysql://user@localhost/canaille", clock).find("unsupported") !=
          std::string::npos);
    CHECK(error_of("ldap://localhost", clock).find("unsupported") != std::string::npos);
    CHECK_FALSE(error_of("no-scheme-here", clock).empty());
    CHECK_FALSE(error_of("sqlite:", clock).empty());
    CHECK_FALSE(error_of("sqlite://", clock).empty());
    CHECK_FALSE(error_of("sqlite://host/file.db", clock).empty());
    CHECK_FALSE(error_of("sqlite:///no/such/directory/x.sqlite", clock).empty());
}

TEST_CASE("sqlite: a file that is not a database is an error, not a crash", "[sqlite]") {
    FakeClock clock(t0());
    TempDir dir;
    auto file = dir.path / "junk.sqlite";
    {
        std::ofstream out(file);
        out << std::string(4096, 'x');
    }
    CHECK_THROWS_AS(
        [&] {
            SqliteStore store(file.string(), clock);
            store.install();
        }(),
        StoreError);
}

TEST_CASE("sqlite: timestamps keep microseconds", "[sqlite]") {
    FakeClock clock(t0() + 123456789ns);
    TempDir dir;
    SqliteStore store((dir.path / "t.sqlite").string(), clock);
    store.install();
    auto u = make_user("alice");
    u.lock_date = t0() + 1500ms + 250us + 999ns;
    REQUIRE(store.create_user(u) == Status::ok);
    CHECK(*u.lock_date == t0() + 1500ms + 250us);  // normalized in place
    CHECK(*u.created == t0() + 123456us);
    auto got = store.get_user(u.id);
    REQUIRE(got.has_value());
    CHECK(got->lock_date == u.lock_date);
    CHECK(got->created == u.created);

    auto before_epoch = make_user("old");
    before_epoch.password_last_update = from_unix(-86400) + 1us;
    REQUIRE(store.create_user(before_epoch) == Status::ok);
    CHECK(store.get_user(before_epoch.id)->password_last_update == from_unix(-86400) + 1us);
}

TEST_CASE("sqlite: check refuses a schema older or newer than the code", "[sqlite]") {
    FakeClock clock(t0());
    TempDir dir;
    auto file = dir.path / "v.sqlite";
    {
        SqliteStore store(file.string(), clock);
        store.install();
        CHECK(store.schema_version() == SqliteStore::kSchemaVersion);
    }
    raw_exec(file, "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
    {
        SqliteStore store(file.string(), clock);
        CHECK(store.schema_version() == 99);
        CHECK_THROWS_AS(store.check(), StoreError);
        CHECK_THROWS_AS(store.install(), StoreError);
    }
    raw_exec(file, "DELETE FROM schema_migrations");
    {
        // A database whose migrations table says nothing was applied: install must not
        // be mistaken for done.
        SqliteStore store(file.string(), clock);
        CHECK(store.schema_version() == 0);
        CHECK_THROWS_AS(store.check(), StoreError);
    }
}

TEST_CASE("sqlite: the connection runs in WAL mode with foreign keys", "[sqlite]") {
    FakeClock clock(t0());
    TempDir dir;
    auto file = dir.path / "w.sqlite";
    SqliteStore store(file.string(), clock);
    store.install();
    add_user(store, "alice");
    CHECK(std::filesystem::exists(dir.path / "w.sqlite-wal"));
}

TEST_CASE("sqlite: to_string(Status)", "[sqlite]") {
    CHECK(to_string(Status::ok) == "ok");
    CHECK(to_string(Status::not_found) == "not_found");
    CHECK(to_string(Status::already_exists) == "already_exists");
    CHECK(to_string(Status::conflict) == "conflict");
    CHECK(to_string(Status::invalid) == "invalid");
}

TEST_CASE("sqlite: search survives invalid UTF-8 and NUL bytes", "[sqlite]") {
    FakeClock clock(t0());
    TempDir dir;
    SqliteStore store((dir.path / "u.sqlite").string(), clock);
    store.install();
    auto u = make_user("alice");
    u.display_name = std::string("\xc3z\0b", 4);
    REQUIRE(store.create_user(u) == Status::ok);
    CHECK(store.get_user(u.id)->display_name == u.display_name);
    // Invalid UTF-8 matches loosely (SQLite reads it as U+FFFD) but never fails.
    CHECK_NOTHROW(store.count_users("\xff\xc3"));
    CHECK_NOTHROW(store.list_users(std::string("\xc0\x81", 2), Page{}));
    CHECK(store.count_users("zz") == 0);
    CHECK(store.list_users("\xc3Z", Page{}).size() == 1);
}

TEST_CASE("sqlite: install migrates a version 1 database and keeps its data", "[sqlite]") {
    FakeClock clock(t0());
    TempDir dir;
    auto file = dir.path / "m.sqlite";
    std::string alice_id;
    {
        SqliteStore store(file.string(), clock);
        store.install();
        alice_id = add_user(store, "alice").id;
    }
    // What a database made by the version 1 code looks like: no OAuth tables.
    raw_exec(file,
             "DROP TABLE jti_replays; DROP TABLE consents; DROP TABLE token_audiences; "
             "DROP TABLE tokens; DROP TABLE authorization_codes; DROP TABLE client_audiences; "
             "DROP TABLE clients; DELETE FROM schema_migrations WHERE version > 1");
    {
        SqliteStore store(file.string(), clock);
        CHECK(store.schema_version() == 1);
        CHECK_THROWS_AS(store.check(), StoreError);
        store.install();
        CHECK(store.schema_version() == 2);
        CHECK_NOTHROW(store.check());
        REQUIRE(store.get_user(alice_id).has_value());
        add_client(store, "app");
        add_token(store, "t", "app", alice_id, t0());
        CHECK(store.get_token("tok-t").has_value());
    }
}

TEST_CASE("sqlite: OAuth timestamps keep microseconds; huge lifetimes do not overflow",
          "[sqlite][oidc]") {
    FakeClock clock(t0() + 1234567ns);
    TempDir dir;
    SqliteStore store((dir.path / "o.sqlite").string(), clock);
    store.install();
    auto alice = add_user(store, "alice");
    auto c = make_client("app");
    c.client_secret_expires_at = t0() + 1s + 5us + 999ns;
    REQUIRE(store.create_client(c) == Status::ok);
    CHECK(*c.client_secret_expires_at == t0() + 1s + 5us);
    CHECK(*c.created == t0() + 1234us);
    CHECK(*store.get_client(c.id) == c);

    auto code = make_code("us", "app", alice.id, t0() + 7us + 1ns);
    REQUIRE(store.create_code(code) == Status::ok);
    CHECK(code.issue_date == t0() + 7us);
    CHECK(store.get_code("code-us")->issue_date == t0() + 7us);
    // Consumable up to the last microsecond of its life.
    CHECK(store.consume_code("hash-us", t0() + 300s + 6us).has_value());

    auto forever = make_token("forever", "app", alice.id, t0());
    forever.lifetime = std::numeric_limits<std::int64_t>::max();
    REQUIRE(store.create_token(forever) == Status::ok);
    auto negative = make_token("negative", "app", alice.id, t0());
    negative.lifetime = std::numeric_limits<std::int64_t>::min();
    REQUIRE(store.create_token(negative) == Status::ok);
    CHECK(store.rotate_refresh_token("rt-forever", t0() + 86400s * 3650).has_value());
    CHECK_FALSE(store.rotate_refresh_token("rt-negative", t0()).has_value());
    auto purged = store.purge_expired(t0() + 86400s * 3650);
    CHECK(purged.tokens == 1);
    CHECK(store.get_token("tok-forever").has_value());
}
