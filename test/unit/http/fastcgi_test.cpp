// SPDX-License-Identifier: MIT
// Drives serve_fastcgi over a real unix socket with a small FastCGI client speaking raw
// records (FastCGI 1.0 specification §3, §5), as nginx would.
#include "http/fastcgi.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace http = canaille::http;

namespace {

constexpr unsigned char kBeginRequest = 1;
constexpr unsigned char kEndRequest = 3;
constexpr unsigned char kParams = 4;
constexpr unsigned char kStdin = 5;
constexpr unsigned char kStdout = 6;

class TempDir {
  public:
    TempDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "canaille-fcgi-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

std::string record(unsigned char type, std::string_view content, int id = 1) {
    std::string r;
    r.push_back(1);
    r.push_back(static_cast<char>(type));
    r.push_back(static_cast<char>((id >> 8) & 0xff));
    r.push_back(static_cast<char>(id & 0xff));
    r.push_back(static_cast<char>((content.size() >> 8) & 0xff));
    r.push_back(static_cast<char>(content.size() & 0xff));
    const std::size_t padding = (8 - content.size() % 8) % 8;
    r.push_back(static_cast<char>(padding));
    r.push_back(0);
    r.append(content);
    r.append(padding, '\0');
    return r;
}

void append_length(std::string& out, std::size_t n) {
    if (n < 128) {
        out.push_back(static_cast<char>(n));
    } else {
        out.push_back(static_cast<char>(((n >> 24) & 0x7f) | 0x80));
        out.push_back(static_cast<char>((n >> 16) & 0xff));
        out.push_back(static_cast<char>((n >> 8) & 0xff));
        out.push_back(static_cast<char>(n & 0xff));
    }
}

using ParamList = std::vector<std::pair<std::string, std::string>>;

std::string encode_request(const ParamList& params, const std::string& body) {
    std::string out = record(kBeginRequest, std::string("\0\1\0\0\0\0\0\0", 8));
    std::string encoded;
    for (const auto& [name, value] : params) {
        append_length(encoded, name.size());
        append_length(encoded, value.size());
        encoded += name;
        encoded += value;
    }
    for (std::size_t i = 0; i < encoded.size(); i += 65535) {
        out += record(kParams, std::string_view(encoded).substr(i, 65535));
    }
    out += record(kParams, "");
    for (std::size_t i = 0; i < body.size(); i += 65535) {
        out += record(kStdin, std::string_view(body).substr(i, 65535));
    }
    out += record(kStdin, "");
    return out;
}

int connect_unix(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("connect failed: " + std::string(std::strerror(errno)));
    }
    return fd;
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool read_exact(int fd, char* buf, std::size_t n) {
    while (n > 0) {
        const auto got = ::recv(fd, buf, n, 0);
        if (got <= 0) return false;
        buf += got;
        n -= static_cast<std::size_t>(got);
    }
    return true;
}

struct Reply {
    bool complete = false;  // END_REQUEST seen
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
};

Reply fcgi_call(const std::string& socket_path, const std::string& bytes) {
    Fd fd(connect_unix(socket_path));
    Reply reply;
    if (!write_all(fd.get(), bytes)) return reply;
    std::string out;
    for (;;) {
        unsigned char h[8];
        if (!read_exact(fd.get(), reinterpret_cast<char*>(h), 8)) break;
        const std::size_t len = (static_cast<std::size_t>(h[4]) << 8) | h[5];
        std::string content(len + h[6], '\0');
        if (!read_exact(fd.get(), content.data(), content.size())) break;
        content.resize(len);
        if (h[1] == kStdout) out += content;
        if (h[1] == kEndRequest) {
            reply.complete = true;
            break;
        }
    }
    const auto end = out.find("\r\n\r\n");
    if (end == std::string::npos) return reply;
    std::istringstream head(out.substr(0, end));
    std::string line;
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        reply.headers[name] = line.substr(colon + 2);
    }
    reply.status = std::stoi(reply.headers["status"].substr(0, 3));
    reply.body = out.substr(end + 4);
    return reply;
}

ParamList base_params(const std::string& method, const std::string& uri) {
    const auto q = uri.find('?');
    return {{"REQUEST_METHOD", method},
            {"SCRIPT_NAME", "/auth"},
            {"REQUEST_URI", uri},
            {"DOCUMENT_URI", uri.substr(0, q)},
            {"QUERY_STRING", q == std::string::npos ? "" : uri.substr(q + 1)},
            {"HTTP_HOST", "auth.example.org"},
            {"HTTPS", "on"},
            {"REMOTE_ADDR", "192.0.2.7"},
            {"HTTP_X_CUSTOM_HEADER", "hello"}};
}

http::AppHandler test_app() {
    return [](http::Request& req) -> http::Response {
        if (req.path == "/throw") throw std::runtime_error("boom");
        if (req.path == "/pid") return http::Response::text(std::to_string(::getpid()));
        if (req.path == "/slow") {
            std::this_thread::sleep_for(std::chrono::milliseconds(800));
            return http::Response::text("slow done");
        }
        std::string out;
        out += "method=" + req.method + "\n";
        out += "script=" + req.script_name + "\n";
        out += "path=" + req.path + "\n";
        out += "q=" + std::string(req.query.get_or("q")) + "\n";
        out += "form=" + std::string(req.form.get_or("f")) + "\n";
        out += "header=" + std::string(req.header("x-custom-header").value_or("")) + "\n";
        out += "url=" + req.external_url("/x") + "\n";
        out += "remote=" + req.remote_addr + "\n";
        out += "body=" + std::to_string(req.body.size()) + "\n";
        auto r = http::Response::text(out);
        r.set_header("X-Bad", "a\r\nInjected: yes");
        return r;
    };
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
}

std::vector<pid_t> children_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
    std::vector<pid_t> out;
    pid_t child = 0;
    while (in >> child) out.push_back(child);
    return out;
}

bool process_gone(pid_t pid) {
    // A zombie still answers kill(); its /proc status says Z or it is reaped.
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string content;
    if (!std::getline(in, content)) return true;
    const auto close = content.rfind(')');
    return close != std::string::npos && content.size() > close + 2 && content[close + 2] == 'Z';
}

/// A server process on a socket in a temp dir, stopped and reaped by the destructor.
class Server {
  public:
    explicit Server(int workers, http::Limits limits = {}) {
        socket_ = dir_.path() + "/fcgi.sock";
        const int fd = http::open_listen_socket(http::ListenSpec{"unix:" + socket_, 16});
        pid_ = ::fork();
        if (pid_ == 0) {
            http::FastCgiOptions options;
            options.workers = workers;
            options.limits = limits;
            options.make_handler = [] { return test_app(); };
            int rc = 1;
            try {
                rc = http::serve_fastcgi(fd, options);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "serve_fastcgi: %s\n", e.what());
            }
            ::_exit(rc);
        }
        ::close(fd);
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    /// Sends SIGTERM and returns the exit status (-1 if it did not exit in time).
    int stop() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        const bool exited = wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                                       std::chrono::seconds(20));
        if (!exited) return -1;
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    pid_t pid() const { return pid_; }
    const std::string& socket() const { return socket_; }

  private:
    TempDir dir_;
    std::string socket_;
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("fastcgi: requests through a single in-process worker", "[http][fastcgi]") {
    http::Limits limits;
    limits.max_body = 1024;
    Server server(0, limits);

    SECTION("a normal GET under a prefix") {
        auto r = fcgi_call(server.socket(),
                           encode_request(base_params("GET", "/auth/echo?q=a%20b"), ""));
        REQUIRE(r.complete);
        CHECK(r.status == 200);
        CHECK(r.headers["content-type"] == "text/plain; charset=utf-8");
        CHECK(r.body.find("method=GET\n") != std::string::npos);
        CHECK(r.body.find("script=/auth\n") != std::string::npos);
        CHECK(r.body.find("path=/echo\n") != std::string::npos);
        CHECK(r.body.find("q=a b\n") != std::string::npos);
        CHECK(r.body.find("header=hello\n") != std::string::npos);
        CHECK(r.body.find("url=https://auth.example.org/auth/x\n") != std::string::npos);
        CHECK(r.body.find("remote=192.0.2.7\n") != std::string::npos);
        CHECK(r.headers.count("injected") == 0);
        CHECK(r.headers.count("x-bad") == 0);
        CHECK(r.headers["content-length"] == std::to_string(r.body.size()));
    }

    SECTION("PATH_INFO wins; REQUEST_URI is decoded when DOCUMENT_URI is absent") {
        auto params = base_params("GET", "/auth/anything");
        params.emplace_back("PATH_INFO", "/from-path-info");
        auto r = fcgi_call(server.socket(), encode_request(params, ""));
        CHECK(r.body.find("path=/from-path-info\n") != std::string::npos);

        ParamList raw = {{"REQUEST_METHOD", "GET"},
                         {"SCRIPT_NAME", "/auth/"},
                         {"REQUEST_URI", "/auth/a%20b?x=1"},
                         {"SERVER_NAME", "localhost"},
                         {"SERVER_PORT", "8080"}};
        r = fcgi_call(server.socket(), encode_request(raw, ""));
        CHECK(r.status == 200);
        CHECK(r.body.find("path=/a b\n") != std::string::npos);
        CHECK(r.body.find("url=http://localhost:8080/auth/x\n") != std::string::npos);

        // Repeated params: the last wins (nginx's fastcgi_params, then an override).
        auto repeated = raw;
        repeated.insert(repeated.begin() + 1, {"SCRIPT_NAME", "/auth/a b"});
        r = fcgi_call(server.socket(), encode_request(repeated, ""));
        CHECK(r.body.find("script=/auth\n") != std::string::npos);
        CHECK(r.body.find("path=/a b\n") != std::string::npos);

        raw[2].second = "/auth";
        r = fcgi_call(server.socket(), encode_request(raw, ""));
        CHECK(r.body.find("path=/\n") != std::string::npos);

        raw[2].second = "/auth/%zz";
        CHECK(fcgi_call(server.socket(), encode_request(raw, "")).status == 400);
    }

    SECTION("a POST body is read and parsed") {
        auto params = base_params("POST", "/auth/echo");
        params.emplace_back("CONTENT_TYPE", "application/x-www-form-urlencoded");
        params.emplace_back("CONTENT_LENGTH", "9");
        auto r = fcgi_call(server.socket(), encode_request(params, "f=v%C3%A9"));
        REQUIRE(r.complete);
        CHECK(r.status == 200);
        CHECK(r.body.find("form=v\xc3\xa9\n") != std::string::npos);
        CHECK(r.body.find("body=9\n") != std::string::npos);
    }

    SECTION("HEAD drops the body but keeps Content-Length") {
        auto r = fcgi_call(server.socket(), encode_request(base_params("HEAD", "/auth/echo"), ""));
        REQUIRE(r.complete);
        CHECK(r.status == 200);
        CHECK(r.body.empty());
        CHECK(std::stoul(r.headers["content-length"]) > 0);
    }

    SECTION("garbage and truncated records do not kill the worker") {
        {
            Fd fd(connect_unix(server.socket()));
            write_all(fd.get(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        }
        {
            Fd fd(connect_unix(server.socket()));
            write_all(fd.get(),
                      record(kBeginRequest, std::string("\0\1\0\0\0\0\0\0", 8)).substr(0, 11));
        }
        {
            Fd fd(connect_unix(server.socket()));
            write_all(fd.get(), std::string("\x01\x04\x00\x01\xff\xff\x00\x00", 8) + "\x7f\x7f");
        }
        {
            // An unknown role is dropped by libfcgi; one this responder does not play
            // (AUTHORIZER) gets a 4xx.
            auto r = fcgi_call(server.socket(),
                               record(kBeginRequest, std::string("\0\x09\0\0\0\0\0\0", 8)) +
                                   record(kParams, "") + record(kStdin, ""));
            CHECK_FALSE(r.complete);
            r = fcgi_call(server.socket(),
                          record(kBeginRequest, std::string("\0\2\0\0\0\0\0\0", 8)) +
                              encode_request(base_params("GET", "/auth/echo"), "").substr(16));
            CHECK(r.status == 400);
        }
        const auto r =
            fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/echo"), ""));
        REQUIRE(r.complete);
        CHECK(r.status == 200);
    }

    SECTION("bad requests get a clear 4xx") {
        auto big = base_params("POST", "/auth/echo");
        big.emplace_back("CONTENT_LENGTH", "100000000");
        big.emplace_back("CONTENT_TYPE", "application/octet-stream");
        auto r = fcgi_call(server.socket(), encode_request(big, std::string(5000, 'x')));
        REQUIRE(r.complete);
        CHECK(r.status == 413);

        auto short_body = base_params("POST", "/auth/echo");
        short_body.emplace_back("CONTENT_LENGTH", "100");
        r = fcgi_call(server.socket(), encode_request(short_body, "abc"));
        CHECK(r.status == 400);

        auto bad_length = base_params("POST", "/auth/echo");
        bad_length.emplace_back("CONTENT_LENGTH", "12x");
        CHECK(fcgi_call(server.socket(), encode_request(bad_length, "")).status == 400);

        ParamList no_method = base_params("GET", "/auth/echo");
        no_method.erase(no_method.begin());
        CHECK(fcgi_call(server.socket(), encode_request(no_method, "")).status == 400);

        auto bad_method = base_params("G ET", "/auth/echo");
        CHECK(fcgi_call(server.socket(), encode_request(bad_method, "")).status == 400);

        auto huge_header = base_params("GET", "/auth/echo");
        huge_header.emplace_back("HTTP_X_LARGE", std::string(20000, 'h'));
        CHECK(fcgi_call(server.socket(), encode_request(huge_header, "")).status == 431);

        auto bad_host = base_params("GET", "/auth/echo");
        bad_host[5].second = "evil.example/path";
        CHECK(fcgi_call(server.socket(), encode_request(bad_host, "")).status == 400);

        auto bad_form = base_params("POST", "/auth/echo");
        bad_form.emplace_back("CONTENT_TYPE", "application/x-www-form-urlencoded");
        bad_form.emplace_back("CONTENT_LENGTH", "4");
        CHECK(fcgi_call(server.socket(), encode_request(bad_form, "f=%Z")).status == 400);

        const auto ok =
            fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/echo"), ""));
        CHECK(ok.status == 200);
    }

    SECTION("a web server hanging up mid-request does not kill the worker") {
        for (int i = 0; i < 3; ++i) {
            Fd fd(connect_unix(server.socket()));
            const auto bytes = encode_request(base_params("GET", "/auth/slow"), "");
            write_all(fd.get(), bytes);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            // close() without reading: the worker's response hits a closed socket.
        }
        const auto r =
            fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/echo"), ""));
        CHECK(r.status == 200);
    }

    SECTION("an exception in the app is a 500 and the worker lives on") {
        auto r = fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/throw"), ""));
        REQUIRE(r.complete);
        CHECK(r.status == 500);
        r = fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/echo"), ""));
        CHECK(r.status == 200);
    }

    CHECK(server.stop() == 0);
}

TEST_CASE("fastcgi: the supervisor respawns, reloads and drains", "[http][fastcgi]") {
    Server server(2);
    std::vector<pid_t> workers;
    REQUIRE(wait_until(
        [&] {
            workers = children_of(server.pid());
            return workers.size() == 2;
        },
        std::chrono::seconds(10)));

    auto r = fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/pid"), ""));
    REQUIRE(r.complete);
    CHECK(r.status == 200);
    const std::set<pid_t> original(workers.begin(), workers.end());
    CHECK(original.count(std::stoi(r.body)) == 1);

    // A worker killed hard is replaced, and requests keep being served.
    const pid_t victim = workers[0];
    ::kill(victim, SIGKILL);
    REQUIRE(wait_until(
        [&] {
            workers = children_of(server.pid());
            return workers.size() == 2 &&
                   std::find(workers.begin(), workers.end(), victim) == workers.end();
        },
        std::chrono::seconds(10)));
    for (int i = 0; i < 4; ++i) {
        r = fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/echo"), ""));
        CHECK(r.status == 200);
    }

    // SIGHUP replaces every worker (each re-runs make_handler, i.e. re-reads its config).
    const std::set<pid_t> before_reload(workers.begin(), workers.end());
    ::kill(server.pid(), SIGHUP);
    REQUIRE(wait_until(
        [&] {
            workers = children_of(server.pid());
            if (workers.size() != 2) return false;
            return std::none_of(workers.begin(), workers.end(),
                                [&](pid_t p) { return before_reload.count(p) != 0; });
        },
        std::chrono::seconds(10)));
    r = fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/echo"), ""));
    CHECK(r.status == 200);

    // SIGTERM drains: the supervisor exits 0 and takes its workers with it.
    CHECK(server.stop() == 0);
    for (const pid_t w : workers) {
        CHECK(wait_until([&] { return process_gone(w); }, std::chrono::seconds(5)));
    }
}

TEST_CASE("fastcgi: SIGTERM lets the in-flight request finish", "[http][fastcgi]") {
    for (const int workers : {0, 1}) {
        CAPTURE(workers);
        Server server(workers);
        Reply reply;
        std::thread client([&] {
            reply =
                fcgi_call(server.socket(), encode_request(base_params("GET", "/auth/slow"), ""));
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        CHECK(server.stop() == 0);
        client.join();
        CHECK(reply.complete);
        CHECK(reply.status == 200);
        CHECK(reply.body == "slow done");
    }
}

TEST_CASE("open_listen_socket: addresses", "[http][fastcgi]") {
    TempDir dir;
    const std::string path = dir.path() + "/s.sock";
    int fd = http::open_listen_socket(http::ListenSpec{"unix:" + path, 4});
    CHECK(fd > 2);
    ::close(fd);
    // A stale socket file from an earlier run is replaced.
    fd = http::open_listen_socket(http::ListenSpec{"unix:" + path, 4});
    CHECK(fd > 2);
    ::close(fd);
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_write) !=
          std::filesystem::perms::none);

    // Never unlink something that is not a socket.
    const std::string file = dir.path() + "/regular";
    std::ofstream(file) << "keep";
    CHECK_THROWS_AS(http::open_listen_socket(http::ListenSpec{"unix:" + file, 4}),
                    std::runtime_error);
    CHECK(std::filesystem::exists(file));

    fd = http::open_listen_socket(http::ListenSpec{"127.0.0.1:0", 4});
    CHECK(fd > 2);
    ::close(fd);
    CHECK_THROWS_AS(http::open_listen_socket(http::ListenSpec{"127.0.0.1", 4}), std::runtime_error);
    CHECK_THROWS_AS(http::open_listen_socket(http::ListenSpec{"", 4}), std::runtime_error);
}
