// SPDX-License-Identifier: MIT
// What only the PostgreSQL backend has: URI forms, surviving a server restart, schema
// version checks, races between connections, text PostgreSQL cannot hold.
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "conformance/helpers.hpp"
#include "fixtures/postgres_server.hpp"
#include "store/postgres/postgres_store.hpp"

using namespace canaille;
using namespace canaille::store;
using namespace canaille::store::testing;
using canaille::fixtures::PostgresServer;
using namespace std::chrono_literals;

namespace {

/// A fresh database, dropped at the end of the test.
struct Database {
    Database() : name(PostgresServer::instance().fresh_database_name()) {
        PostgresServer::instance().admin("CREATE DATABASE " + name);
    }
    ~Database() {
        try {
            PostgresServer::instance().admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (const std::exception&) {
        }
    }
    std::string uri() const { return PostgresServer::instance().uri(name); }
    void exec(const std::string& sql) const { PostgresServer::instance().admin(sql, name); }
    std::string name;
};

std::string percent_encode_path(const std::string& path) {
    std::string out;
    for (char c : path) {
        if (c == '/') {
            out += "%2F";
        } else {
            out += c;
        }
    }
    return out;
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

TEST_CASE("postgres: open_store understands postgresql URIs", "[postgres]") {
    FakeClock clock(t0());
    auto& server = PostgresServer::instance();
    Database db;

    // Unix-socket form: the socket directory as a query parameter.
    auto query_form = open_store("postgresql:///" + db.name + "?host=" + server.socket_dir() +
                                     "&port=" + std::to_string(server.port()) + "&user=postgres",
                                 clock);
    CHECK(query_form->schema_version() == 0);
    query_form->install();
    CHECK(query_form->schema_version() == PostgresStore::kSchemaVersion);
    auto alice = add_user(*query_form, "alice");

    // user@host:port/db with the host a percent-encoded socket directory; the short scheme
    // and an upper-case scheme too.
    const std::string authority = "postgres@" + percent_encode_path(server.socket_dir()) + ":" +
                                  std::to_string(server.port());
    for (const std::string scheme : {"postgresql", "postgres", "PostgreSQL"}) {
        auto store = open_store(scheme + "://" + authority + "/" + db.name, clock);
        CHECK_NOTHROW(store->check());
        CHECK(store->get_user(alice.id) == alice);
    }

    // user:password@host:port/db with a role that must give its password.
    db.exec("CREATE ROLE canaille_pw LOGIN PASSWORD 's3cret-pw'");
    db.exec("GRANT ALL ON ALL TABLES IN SCHEMA public TO canaille_pw");
    const std::string pw_authority = percent_encode_path(server.socket_dir()) + ":" +
                                     std::to_string(server.port()) + "/" + db.name;
    auto with_password = open_store("postgresql://canaille_pw:s3cret-pw@" + pw_authority, clock);
    CHECK(with_password->get_user_by_name("alice").has_value());
    with_password.reset();

    const std::string refused =
        error_of("postgresql://canaille_pw:wrong-pw@" + pw_authority, clock);
    CHECK_FALSE(refused.empty());
    CHECK(refused.find("wrong-pw") == std::string::npos);  // never echo the password
    CHECK(refused.find("canaille_pw:***@") != std::string::npos);
    db.exec("DROP OWNED BY canaille_pw");
    db.exec("DROP ROLE canaille_pw");
}

TEST_CASE("postgres: unreachable servers and bad URIs are StoreErrors", "[postgres]") {
    FakeClock clock(t0());
    CHECK_FALSE(error_of("postgresql:///nope?host=/nonexistent-dir&port=1", clock).empty());
    CHECK_FALSE(error_of("postgresql:nothing", clock).empty());
    CHECK_FALSE(
        error_of("postgresql:///no_such_db?host=" + PostgresServer::instance().socket_dir() +
                     "&port=" + std::to_string(PostgresServer::instance().port()),
                 clock)
            .empty());
}

TEST_CASE("postgres: a store survives a server restart", "[postgres][restart]") {
    FakeClock clock(t0());
    auto& server = PostgresServer::instance();
    Database db;
    PostgresStore store(db.uri(), clock);
    store.install();
    auto alice = add_user(store, "alice");
    REQUIRE(store.create_session(make_session("s1", alice.id, t0())) == Status::ok);
    const int pid_before = store.backend_pid();

    // Read after restart: the hot paths (prepared statements) are re-prepared.
    server.stop();
    server.start();
    CHECK(store.get_session("s1", t0()).has_value());
    CHECK(store.get_user(alice.id) == alice);
    CHECK(store.backend_pid() != pid_before);

    // Write after restart: the lost connection is noticed before COMMIT, so it is retried.
    server.stop();
    server.start();
    auto bob = make_user("bob");
    CHECK(store.create_user(bob) == Status::ok);
    CHECK(store.count_users("") == 2);

    // A single-use operation after restart.
    server.stop();
    server.start();
    CHECK(store.purge_expired(t0()).total() == 0);

    // While the server is down, operations fail with StoreError (not a crash), and the
    // store works again once it is back.
    server.stop();
    CHECK_THROWS_AS(store.get_user(alice.id), StoreError);
    CHECK_THROWS_AS(store.create_user(bob), StoreError);
    server.start();
    CHECK(store.get_user(alice.id).has_value());
}

TEST_CASE("postgres: a backend killed under a store is replaced", "[postgres][restart]") {
    FakeClock clock(t0());
    Database db;
    PostgresStore store(db.uri(), clock);
    store.install();
    auto alice = add_user(store, "alice");
    db.exec("SELECT pg_terminate_backend(" + std::to_string(store.backend_pid()) + ")");
    CHECK(store.get_user_by_name("ALICE")->id == alice.id);
    db.exec("SELECT pg_terminate_backend(" + std::to_string(store.backend_pid()) + ")");
    auto g = make_group("team");
    g.members = {alice.id};
    CHECK(store.create_group(g) == Status::ok);
    CHECK(store.get_user(alice.id)->groups == std::vector<std::string>{g.id});
}

TEST_CASE("postgres: check and install refuse a schema newer than the code", "[postgres]") {
    FakeClock clock(t0());
    Database db;
    {
        PostgresStore store(db.uri(), clock);
        store.install();
        CHECK(store.schema_version() == PostgresStore::kSchemaVersion);
        CHECK_NOTHROW(store.check());
    }
    db.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)");
    {
        PostgresStore store(db.uri(), clock);
        CHECK(store.schema_version() == 99);
        CHECK_THROWS_AS(store.check(), StoreError);
        CHECK_THROWS_AS(store.install(), StoreError);
    }
    db.exec("DELETE FROM schema_migrations WHERE version > 1");
    {
        // An older schema: check asks for `canaille install`.
        PostgresStore store(db.uri(), clock);
        CHECK(store.schema_version() == 1);
        CHECK_THROWS_AS(store.check(), StoreError);
    }
}

TEST_CASE("postgres: a database that is not UTF8 is refused", "[postgres]") {
    FakeClock clock(t0());
    auto& server = PostgresServer::instance();
    const std::string name = server.fresh_database_name();
    server.admin("CREATE DATABASE " + name + " ENCODING 'SQL_ASCII' TEMPLATE template0");
    {
        PostgresStore store(server.uri(name), clock);
        CHECK_THROWS_AS(store.install(), StoreError);
        CHECK_THROWS_AS(store.check(), StoreError);
    }
    server.admin("DROP DATABASE " + name + " WITH (FORCE)");
}

TEST_CASE("postgres: two workers installing at once", "[postgres][race]") {
    SystemClock clock;
    Database db;
    std::vector<std::unique_ptr<PostgresStore>> stores;
    for (int i = 0; i < 4; ++i) stores.push_back(std::make_unique<PostgresStore>(db.uri(), clock));
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (auto& s : stores) {
        threads.emplace_back([&failures, store = s.get()] {
            try {
                store->install();
            } catch (const StoreError&) {
                ++failures;
            }
        });
    }
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    CHECK(stores[0]->schema_version() == PostgresStore::kSchemaVersion);
    db.exec(
        "DO $$ BEGIN IF (SELECT count(*) FROM schema_migrations) <> 2 THEN "
        "RAISE EXCEPTION 'migrations applied twice'; END IF; END $$");
}

TEST_CASE("postgres: racing connections on one name, one membership", "[postgres][race]") {
    SystemClock clock;
    Database db;
    PostgresStore first(db.uri(), clock);
    first.install();
    PostgresStore second(db.uri(), clock);
    auto group = add_group(first, "team");

    constexpr int kRounds = 20;
    for (int round = 0; round < kRounds; ++round) {
        const std::string name = "user" + std::to_string(round);
        Status a = Status::invalid;
        Status b = Status::invalid;
        auto ua = make_user(name);
        auto ub = make_user(name);
        ub.emails = {"other-" + name + "@example.org"};
        std::thread ta([&] { a = first.create_user(ua); });
        std::thread tb([&] { b = second.create_user(ub); });
        ta.join();
        tb.join();
        // Exactly one wins; the other sees the name taken.
        CHECK(((a == Status::ok && b == Status::already_exists) ||
               (b == Status::ok && a == Status::already_exists)));
        const std::string winner = a == Status::ok ? ua.id : ub.id;
        Status ma = Status::invalid;
        Status mb = Status::invalid;
        std::thread tc([&] { ma = first.add_member(group.id, winner); });
        std::thread td([&] { mb = second.add_member(group.id, winner); });
        tc.join();
        td.join();
        CHECK(ma == Status::ok);
        CHECK(mb == Status::ok);
    }
    auto team = first.get_group(group.id);
    REQUIRE(team.has_value());
    CHECK(team->members.size() == kRounds);
    CHECK(first.count_users("") == kRounds);
}

TEST_CASE("postgres: timestamps keep microseconds", "[postgres]") {
    FakeClock clock(t0() + 123456789ns);
    Database db;
    PostgresStore store(db.uri(), clock);
    store.install();
    auto u = make_user("alice");
    u.lock_date = t0() + 1500ms + 250us + 999ns;
    REQUIRE(store.create_user(u) == Status::ok);
    CHECK(*u.lock_date == t0() + 1500ms + 250us);
    CHECK(*u.created == t0() + 123456us);
    CHECK(store.get_user(u.id) == u);

    auto before_epoch = make_user("old");
    before_epoch.password_last_update = from_unix(-86400) + 1us;
    REQUIRE(store.create_user(before_epoch) == Status::ok);
    CHECK(store.get_user(before_epoch.id)->password_last_update == from_unix(-86400) + 1us);
}

TEST_CASE("postgres: text PostgreSQL cannot hold is invalid, never an error", "[postgres]") {
    FakeClock clock(t0());
    Database db;
    PostgresStore store(db.uri(), clock);
    store.install();
    auto alice = add_user(store, "alice");

    auto nul = make_user("nul");
    nul.display_name = std::string("a\0b", 3);
    CHECK(store.create_user(nul) == Status::invalid);
    auto bad = make_user("bad");
    bad.emails = {"\xff@example.org"};
    CHECK(store.create_user(bad) == Status::invalid);
    CHECK(store.count_users("") == 1);

    CHECK_FALSE(store.get_user(std::string("a\0b", 3)).has_value());
    CHECK_FALSE(store.get_user_by_name("\xc3").has_value());
    CHECK(store.list_users("\xff\xc3", Page{}).empty());
    CHECK(store.count_users(std::string("\0", 1)) == 0);
    CHECK(store.delete_user("\xff") == Status::not_found);
    CHECK_FALSE(store.remember_jti("\xff", t0() + 1h));

    // Photos are bytes: NULs and any byte value round-trip.
    alice.photo = std::string("\0\xff\x00\x7f", 4);
    REQUIRE(store.update_user(alice) == Status::ok);
    CHECK(store.get_user(alice.id)->photo == alice.photo);
}

TEST_CASE("postgres: search uses the trigram indexes when pg_trgm is there", "[postgres]") {
    FakeClock clock(t0());
    Database db;
    PostgresStore store(db.uri(), clock);
    store.install();
    // pg_trgm ships with Debian's postgresql (postgresql-contrib): the indexes must exist.
    db.exec(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = "
        "'users_search_user_name') THEN RAISE EXCEPTION 'no trigram index'; END IF; END $$");
    for (int i = 0; i < 30; ++i) add_user(store, "someone" + std::to_string(i));
    CHECK(store.count_users("ONE29") == 1);
    CHECK(store.list_users("meon", Page{5, 10}).size() == 10);
}
