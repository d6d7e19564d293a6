// SPDX-License-Identifier: MIT
// PostgreSQL hookup of the conformance suite: one private server per test binary run
// (test/fixtures/postgres_server.cpp), one fresh database per store, dropped with the store.
#include <string>

#include "conformance/fixture.hpp"
#include "fixtures/postgres_server.hpp"
#include "store/postgres/postgres_store.hpp"

namespace canaille::store::testing {

using fixtures::PostgresServer;

namespace {

/// A database created on construction and dropped (with any connection still open to
/// it) on destruction.
struct TempDatabase {
    TempDatabase() : name(PostgresServer::instance().fresh_database_name()) {
        PostgresServer::instance().admin("CREATE DATABASE " + name);
    }
    ~TempDatabase() {
        try {
            PostgresServer::instance().admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (const std::exception&) {
            // Best effort: the whole server directory goes at exit anyway.
        }
    }
    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;
    std::string name;
};

// The database is a base so it is created before, and dropped after, the connection.
class TempPostgresStore : private TempDatabase, public PostgresStore {
  public:
    explicit TempPostgresStore(const Clock& clock)
        : TempDatabase(),
          PostgresStore(PostgresServer::instance().uri(TempDatabase::name), clock) {}
};

}  // namespace

std::unique_ptr<Store> make_blank_store(const Clock& clock) {
    return std::make_unique<TempPostgresStore>(clock);
}

std::unique_ptr<Store> make_empty_store(const Clock& clock) {
    auto store = make_blank_store(clock);
    store->install();
    return store;
}

std::unique_ptr<Store> connect_again(Store& first, const Clock& clock) {
    auto& pg = dynamic_cast<PostgresStore&>(first);
    return std::make_unique<PostgresStore>(pg.conninfo(), clock);
}

}  // namespace canaille::store::testing
