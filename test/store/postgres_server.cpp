// SPDX-License-Identifier: MIT
#include "postgres_server.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace canaille::store::testing {

namespace {

namespace fs = std::filesystem;

/// The newest /usr/lib/postgresql/<major>/bin holding initdb, or $CANAILLE_PG_BINDIR.
std::string find_bindir() {
    if (const char* env = std::getenv("CANAILLE_PG_BINDIR"); env != nullptr && *env != '\0') {
        return env;
    }
    std::string best;
    int best_major = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const auto name = entry.path().filename().string();
        if (!std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            continue;
        }
        if (!fs::exists(entry.path() / "bin" / "initdb")) continue;
        int major = std::stoi(name);
        if (major > best_major) {
            best_major = major;
            best = (entry.path() / "bin").string();
        }
    }
    if (best.empty()) {
        throw std::runtime_error(
            "PostgreSQL server binaries not found under /usr/lib/postgresql "
            "(apt-get install postgresql, or set CANAILLE_PG_BINDIR)");
    }
    return best;
}

std::vector<char*> argv_of(std::vector<std::string>& args) {
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return argv;
}

/// posix_spawn file actions, destroyed with the object.
struct FileActions {
    FileActions() { posix_spawn_file_actions_init(&fa); }
    ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    posix_spawn_file_actions_t fa;
};

struct SpawnAttr {
    SpawnAttr() { posix_spawnattr_init(&attr); }
    ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
    SpawnAttr(const SpawnAttr&) = delete;
    SpawnAttr& operator=(const SpawnAttr&) = delete;
    posix_spawnattr_t attr;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Reaps the server when the test process goes away, however it goes (normal exit, crash,
// a timeout's SIGKILL): waits for EOF on the pipe, then stops the postmaster by its PID
// (read from postmaster.pid, so a restarted server is found too) and removes the
// directory. Runs in its own session so a signal to the test's process group spares it.
constexpr const char* kReaperScript =
    "cat >/dev/null\n"
    "pid=$(head -n 1 \"$1/data/postmaster.pid\" 2>/dev/null)\n"
    "if [ -n \"$pid\" ]; then\n"
    "  kill -QUIT \"$pid\" 2>/dev/null\n"
    "  i=0\n"
    "  while kill -0 \"$pid\" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n"
    "  kill -KILL \"$pid\" 2>/dev/null\n"
    "fi\n"
    "rm -rf \"$1\"\n";

}  // namespace

PostgresServer& PostgresServer::instance() {
    // Function-local static: started lazily, destroyed (server stopped) at exit.
    static PostgresServer server;
    return server;
}

PostgresServer::PostgresServer() : bindir_(find_bindir()) {
    as_root_ = geteuid() == 0;
    superuser_ = "postgres";
    std::string tmpl = (fs::temp_directory_path() / "canaille-pg-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = tmpl;
    data_dir_ = root_ + "/data";
    socket_dir_ = root_ + "/sock";
    fs::create_directory(socket_dir_);
    if (as_root_) {
        // PostgreSQL refuses to run as root: the server runs as the `postgres` system user,
        // which must own the directory.
        const passwd* pw = getpwnam("postgres");
        if (pw == nullptr) throw std::runtime_error("no `postgres` system user");
        for (const auto& dir : {root_, socket_dir_}) {
            if (chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
                throw std::runtime_error("chown " + dir + ": " + std::strerror(errno));
            }
        }
    }
    // The port only names the socket file inside our private directory.
    port_ = 40000 + static_cast<int>(getpid() % 20000);

    // Reaper first, so even a failed start below is cleaned up.
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    watcher_fd_ = fds[1];
    {
        FileActions actions;
        posix_spawn_file_actions_adddup2(&actions.fa, fds[0], 0);
        posix_spawn_file_actions_addopen(&actions.fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&actions.fa, 1, 2);
        SpawnAttr attr;
        posix_spawnattr_setflags(&attr.attr, POSIX_SPAWN_SETSID);
        std::vector<std::string> args = {"/bin/sh", "-c", kReaperScript, "canaille-pg-reaper",
                                         root_};
        auto argv = argv_of(args);
        pid_t pid = -1;
        int rc = posix_spawn(&pid, "/bin/sh", &actions.fa, &attr.attr, argv.data(), environ);
        close(fds[0]);
        if (rc != 0) throw std::runtime_error("cannot start the reaper process");
        watcher_pid_ = pid;
    }

    run("initdb", {"-D", data_dir_, "-U", superuser_, "-E", "UTF8", "--no-locale", "--auth=trust",
                   "--no-sync"});
    // Trust over the socket for everyone but the role the password test uses.
    {
        std::ofstream hba(data_dir_ + "/pg_hba.conf", std::ios::trunc);
        hba << "local all canaille_pw scram-sha-256\n"
               "local all all trust\n";
    }
    start();
}

PostgresServer::~PostgresServer() {
    // Closing the pipe wakes the reaper, which stops the server and removes the directory.
    if (watcher_fd_ >= 0) close(watcher_fd_);
    if (watcher_pid_ > 0) {
        int status = 0;
        while (waitpid(watcher_pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

void PostgresServer::run(const std::string& program, const std::vector<std::string>& args) const {
    std::vector<std::string> full;
    if (as_root_) full = {"/usr/sbin/runuser", "-u", "postgres", "--"};
    full.push_back(bindir_ + "/" + program);
    full.insert(full.end(), args.begin(), args.end());
    auto argv = argv_of(full);

    const std::string log = root_ + "/" + program + ".log";
    FileActions actions;
    posix_spawn_file_actions_addopen(&actions.fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions.fa, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    posix_spawn_file_actions_adddup2(&actions.fa, 1, 2);
    pid_t pid = -1;
    if (posix_spawn(&pid, argv[0], &actions.fa, nullptr, argv.data(), environ) != 0) {
        throw std::runtime_error("cannot run " + full.front());
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw std::runtime_error("waitpid failed");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error(program + " failed:\n" + read_file(log) +
                                 read_file(root_ + "/server.log"));
    }
}

void PostgresServer::start() {
    const std::string options = "-k " + socket_dir_ + " -p " + std::to_string(port_) +
                                " -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
                                " -c full_page_writes=off";
    run("pg_ctl",
        {"-D", data_dir_, "-l", root_ + "/server.log", "-w", "-t", "60", "-o", options, "start"});
}

void PostgresServer::stop() { run("pg_ctl", {"-D", data_dir_, "-m", "fast", "-w", "stop"}); }

std::string PostgresServer::uri(std::string_view db) const {
    return "postgresql:///" + std::string(db) + "?host=" + socket_dir_ +
           "&port=" + std::to_string(port_) + "&user=" + superuser_;
}

void PostgresServer::admin(const std::string& sql, std::string_view db) const {
    pqxx::connection conn(uri(db));
    pqxx::nontransaction tx(conn);
    tx.exec(sql);
}

std::string PostgresServer::fresh_database_name() {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    return "t" + std::to_string(++next_db_);
}

}  // namespace canaille::store::testing
