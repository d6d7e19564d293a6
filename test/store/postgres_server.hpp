// SPDX-License-Identifier: MIT
// A private PostgreSQL server for one test binary run: initdb into a mkdtemp directory,
// reachable only through a unix socket in that directory (no TCP), started on first use,
// stopped and removed when the process exits, even when it dies.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace canaille::store::testing {

class PostgresServer {
  public:
    /// The process-wide server, started on first call. Throws std::runtime_error when
    /// PostgreSQL cannot be found or started.
    static PostgresServer& instance();

    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    /// Directory holding the server's socket (".s.PGSQL.<port>").
    const std::string& socket_dir() const { return socket_dir_; }
    int port() const { return port_; }
    /// The superuser the server runs and is reached as.
    const std::string& superuser() const { return superuser_; }

    /// URI of database `db` as the superuser over the socket, in the query form
    /// ("postgresql:///db?host=/dir&port=N&user=postgres").
    std::string uri(std::string_view db) const;
    /// Runs `sql` as the superuser on database `db` (default: the maintenance database).
    void admin(const std::string& sql, std::string_view db = "postgres") const;
    /// A database name never used before in this process ("t1", "t2", ...).
    std::string fresh_database_name();

    /// Fast shutdown (sessions are cut, as in a restart or failover), and start again.
    void stop();
    void start();

  private:
    PostgresServer();
    /// Runs a PostgreSQL program as the server's system user; throws on a non-zero exit.
    void run(const std::string& program, const std::vector<std::string>& args) const;

    std::string bindir_;
    std::string root_;  ///< the mkdtemp directory: data/, sock/, logs
    std::string data_dir_;
    std::string socket_dir_;
    std::string superuser_;
    int port_ = 0;
    bool as_root_ = false;
    int watcher_fd_ = -1;  ///< write end of the pipe the reaper process waits on
    int watcher_pid_ = -1;
    int next_db_ = 0;
};

}  // namespace canaille::store::testing
