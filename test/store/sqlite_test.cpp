// SPDX-License-Identifier: MIT
// What only the SQLite backend has: URIs, its file, its time precision, its schema table.
#include <sqlite3.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>

#include "conformance/helpers.hpp"
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
    CHECK(error_of("postgresql://user@localhost/canaille", clock).find("unsupported") !=
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
