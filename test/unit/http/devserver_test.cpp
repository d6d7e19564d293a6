// SPDX-License-Identifier: MIT
// Runs serve_dev in a child process on a free loopback port and talks raw HTTP/1.1 to it.
#include "http/devserver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>

namespace http = canaille::http;

namespace {

unsigned short free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

int connect_port(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

struct HttpReply {
    int status = 0;
    std::map<std::string, std::string> headers;
    std::string body;
};

/// Reads one response from `fd` (Content-Length framed; HEAD answers have no content).
HttpReply read_reply(int fd, std::string& buffer, bool head = false) {
    HttpReply reply;
    char chunk[4096];
    while (buffer.find("\r\n\r\n") == std::string::npos) {
        const auto n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return reply;
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    const auto end = buffer.find("\r\n\r\n");
    const std::string head_block = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    reply.status = std::stoi(head_block.substr(9, 3));
    std::size_t pos = head_block.find("\r\n");
    while (pos != std::string::npos) {
        const auto next = head_block.find("\r\n", pos + 2);
        const auto line = head_block.substr(
            pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            reply.headers[name] = line.substr(colon + 2);
        }
        pos = next;
    }
    const std::size_t length = head || !reply.headers.count("content-length")
                                   ? 0
                                   : std::stoul(reply.headers["content-length"]);
    while (buffer.size() < length) {
        const auto n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<std::size_t>(n));
    }
    reply.body = buffer.substr(0, length);
    buffer.erase(0, length);
    return reply;
}

class DevServer {
  public:
    DevServer() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "canaille-dev-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        std::filesystem::create_directories(dir_ + "/assets/css");
        std::ofstream(dir_ + "/assets/css/app.css") << "body{}";
        std::ofstream(dir_ + "/secret.txt") << "secret";
        port_ = free_port();
        pid_ = ::fork();
        if (pid_ == 0) {
            http::DevServerOptions options;
            options.port = port_;
            options.assets_dir = dir_ + "/assets";
            options.script_name = "/auth/";
            options.limits.max_body = 1024;
            const http::AppHandler app = [](http::Request& req) -> http::Response {
                if (req.path == "/throw") throw std::runtime_error("boom");
                return http::Response::text("path=" + req.path + " script=" + req.script_name +
                                            " q=" + std::string(req.query.get_or("q")) +
                                            " f=" + std::string(req.form.get_or("f")) +
                                            " url=" + req.external_url("/x"));
            };
            ::_exit(http::serve_dev(options, app));
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            const int fd = connect_port(port_);
            if (fd >= 0) {
                ::close(fd);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        throw std::runtime_error("dev server did not start");
    }
    DevServer(const DevServer&) = delete;
    DevServer& operator=(const DevServer&) = delete;
    ~DevServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    int stop() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    HttpReply request(const std::string& raw, bool head = false) {
        const int fd = connect_port(port_);
        REQUIRE(fd >= 0);
        ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL);
        std::string buffer;
        auto reply = read_reply(fd, buffer, head);
        ::close(fd);
        return reply;
    }
    HttpReply get(const std::string& target) {
        return request("GET " + target +
                       " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    }
    unsigned short port() const { return port_; }

  private:
    std::string dir_;
    unsigned short port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("devserver: routing, prefix, static files, limits", "[http][devserver]") {
    DevServer server;

    auto r = server.get("/auth/echo%20x?q=a+b");
    CHECK(r.status == 200);
    CHECK(r.body == "path=/echo x script=/auth q=a b f= url=http://localhost/auth/x");
    CHECK(r.headers["content-type"] == "text/plain; charset=utf-8");

    CHECK(server.get("/auth").body.find("path=/ ") == 0);
    CHECK(server.get("/other").status == 404);
    CHECK(server.get("/authx").status == 404);
    CHECK(server.get("/auth/%zz").status == 400);
    CHECK(server.get("/auth/throw").status == 500);

    r = server.get("/auth/static/css/app.css");
    CHECK(r.status == 200);
    CHECK(r.body == "body{}");
    CHECK(r.headers["content-type"] == "text/css; charset=utf-8");
    CHECK(server.get("/auth/static/missing.png").status == 404);
    CHECK(server.get("/auth/static/../../secret.txt").status == 404);
    CHECK(server.get("/auth/static/%2e%2e/%2e%2e/secret.txt").status == 404);
    CHECK(server.get("/auth/static/css").status == 404);

    r = server.request("HEAD /auth/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                       true);
    CHECK(r.status == 200);
    CHECK(std::stoul(r.headers["content-length"]) > 0);

    r = server.request(
        "POST /auth/echo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5\r\n\r\nf=%41");
    CHECK(r.status == 200);
    CHECK(r.body.find("f=A ") != std::string::npos);

    r = server.request(
        "POST /auth/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 999999\r\n\r\nxx");
    CHECK(r.status == 413);

    r = server.request("GET /auth/echo HTTP/1.1\r\nHost: localhost\r\nX-Big: " +
                       std::string(9000, 'b') + "\r\n\r\n");
    CHECK(r.status == 431);
    CHECK(server.request("BROKEN\r\n\r\n").status == 400);
    CHECK(server.request("GET /auth/x HTTP/1.1\r\nHost: a/b\r\n\r\n").status == 400);

    // Keep-alive: two requests on one connection, the second pipelined.
    const int fd = connect_port(server.port());
    REQUIRE(fd >= 0);
    const std::string two =
        "GET /auth/one HTTP/1.1\r\nHost: localhost\r\n\r\n"
        "GET /auth/two HTTP/1.1\r\nHost: localhost\r\n\r\n";
    ::send(fd, two.data(), two.size(), MSG_NOSIGNAL);
    std::string buffer;
    CHECK(read_reply(fd, buffer).body.find("path=/one ") == 0);
    CHECK(read_reply(fd, buffer).body.find("path=/two ") == 0);
    ::close(fd);

    CHECK(server.stop() == 0);
}
