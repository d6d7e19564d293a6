// SPDX-License-Identifier: MIT
// SQLite hookup of the conformance suite: each store is a database file in its own mkdtemp
// directory, removed with the store.
#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include "conformance/fixture.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace canaille::store::testing {

namespace {

/// A directory from mkdtemp, removed recursively on destruction.
struct TempDir {
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "canaille-store-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path path;
};

// The directory is a base so it is created before, and removed after, the connection.
class TempSqliteStore : private TempDir, public SqliteStore {
  public:
    explicit TempSqliteStore(const Clock& clock)
        : TempDir(), SqliteStore((TempDir::path / "canaille.sqlite").string(), clock) {}
};

}  // namespace

std::unique_ptr<Store> make_blank_store(const Clock& clock) {
    return std::make_unique<TempSqliteStore>(clock);
}

std::unique_ptr<Store> make_empty_store(const Clock& clock) {
    auto store = make_blank_store(clock);
    store->install();
    return store;
}

std::unique_ptr<Store> connect_again(Store& first, const Clock& clock) {
    auto& sqlite = dynamic_cast<SqliteStore&>(first);
    return std::make_unique<SqliteStore>(sqlite.path(), clock);
}

}  // namespace canaille::store::testing
