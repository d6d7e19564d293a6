// SPDX-License-Identifier: MIT
// The production front door: libfcgi workers, optionally under a pre-forking supervisor.
#include "http/fastcgi.hpp"

#include <arpa/inet.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

// Workers leave through _exit (no atexit handlers, no static destructors in a forked copy
// of the supervisor), which skips LeakSanitizer's exit-time check: sanitizer builds run it
// by hand first.
#if defined(__SANITIZE_ADDRESS__)
#define CANAILLE_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CANAILLE_LEAK_CHECK 1
#endif
#endif
#if defined(CANAILLE_LEAK_CHECK)
#include <sanitizer/lsan_interface.h>
#endif

#include "http/parse.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace canaille::http {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kDrainLimit = 64 * 1024 * 1024;  // bytes of an oversized body skipped
constexpr int kPeerTimeoutSeconds = 30;                // a stuck web server cannot pin a worker
constexpr auto kDrainTimeout = std::chrono::seconds(30);
// Connections one worker keeps open for a web server using FCGI_KEEP_CONN; beyond it the
// worker leaves new connections to the others.
constexpr std::size_t kMaxConnectionsPerWorker = 64;

// Set from signal handlers; read by the worker loop.
volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
    g_stop = 1;
    FCGX_ShutdownPending();
}

std::string errno_text(int err) { return std::strerror(err); }

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::runtime_error(what + ": " + errno_text(errno));
}

/// Owns one listening or connected socket fd until released.
class FdGuard {
  public:
    explicit FdGuard(int fd) : fd_(fd) {}
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    ~FdGuard() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

/// FCGX_Request with its streams and connection released on every path.
class FcgiRequest {
  public:
    explicit FcgiRequest(int listen_fd) {
        if (FCGX_InitRequest(&raw_, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
            throw std::runtime_error("FCGX_InitRequest failed");
        }
    }
    FcgiRequest(const FcgiRequest&) = delete;
    FcgiRequest& operator=(const FcgiRequest&) = delete;
    ~FcgiRequest() { FCGX_Free(&raw_, raw_.ipcFd >= 0 ? 1 : 0); }

    FCGX_Request* get() { return &raw_; }
    /// A connection kept open by the web server (fastcgi_keep_conn) carries the next
    /// request, so the worker must wait on it rather than on the listening socket.
    int connection_fd() const { return raw_.ipcFd; }

  private:
    FCGX_Request raw_{};
};

/// Reads what is left of FCGI_STDIN up to its end record (bounded): the web server has then
/// sent everything it will send for this request.
bool drain_stdin(FCGX_Stream* in) {
    if (in == nullptr) return false;
    char sink[4096];
    std::size_t drained = 0;
    while (!FCGX_HasSeenEOF(in) && drained < kDrainLimit) {
        const int n = FCGX_GetStr(sink, sizeof sink, in);
        if (n <= 0) break;
        drained += static_cast<std::size_t>(n);
    }
    return FCGX_HasSeenEOF(in) != 0 && FCGX_GetError(in) == 0;
}

/// FCGX_Finish_r, without its slow close. libfcgi closes a connection with shutdown(SHUT_WR)
/// and then blocks in select()/read() until the web server closes its end, so that no
/// unread byte turns the close into a reset. That wait is a scheduler round trip to nginx
/// per request, during which the worker serves no one. Once FCGI_STDIN has been read to its
/// end record nothing more is coming (FCGI_ABORT_REQUEST aside), so the socket is closed at
/// once; otherwise libfcgi's careful close is kept.
void finish_request(FCGX_Request* r) {
    bool close = !r->keepConnection;
    if (r->in != nullptr) {
        const bool input_done = drain_stdin(r->in);
        close |= FCGX_FClose(r->err) != 0;
        close |= FCGX_FClose(r->out) != 0;  // flushes STDOUT, sends FCGI_END_REQUEST
        close |= FCGX_GetError(r->in) != 0;
        if (close && input_done && r->ipcFd >= 0) {
            FCGX_Free(r, 0);  // the streams and params only
            ::close(r->ipcFd);
            r->ipcFd = -1;
            return;
        }
    }
    FCGX_Free(r, close ? 1 : 0);
}

/// Ends the accepted request (flushes STDOUT, sends END_REQUEST) however the handler exits.
class AcceptedRequest {
  public:
    explicit AcceptedRequest(FCGX_Request* r) : r_(r) {}
    AcceptedRequest(const AcceptedRequest&) = delete;
    AcceptedRequest& operator=(const AcceptedRequest&) = delete;
    ~AcceptedRequest() { finish_request(r_); }

  private:
    FCGX_Request* r_;
};

Response error_response(const ParseError& error) {
    return Response::text(error.reason + "\n", error.status);
}

Unexpected<ParseError> fail(int status, std::string reason) {
    return unexpected(ParseError{status, std::move(reason)});
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// RFC 9110 §7.2 / RFC 3986 §3.2.2: a host, an IP literal and an optional port. Anything
// else could poison the absolute URLs built from it.
bool valid_host(std::string_view host) {
    return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    });
}

std::optional<std::size_t> parse_length(std::string_view s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    std::size_t n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
}

/// The meta-variables the server reads (RFC 3875 §4.1), picked from the FastCGI params in
/// one pass. The last of repeated params wins (as in PHP-FPM): nginx sends both the
/// `include fastcgi_params` value and a later override (HTTP_HOST, PATH_INFO).
struct CgiParams {
    std::string_view role, method, script_name, path_info, document_uri, request_uri, query_string,
        https, request_scheme, server_name, server_port, remote_addr, content_type, content_length;
    /// HTTP_* params in arrival order (name without the prefix, value).
    std::vector<std::pair<std::string_view, std::string_view>> http;

    void take(std::string_view name, std::string_view value) {
        if (name.size() > 5 && name.compare(0, 5, "HTTP_") == 0) {
            http.emplace_back(name.substr(5), value);
            return;
        }
        struct Known {
            std::string_view name;
            std::string_view CgiParams::*field;
        };
        static constexpr Known kKnown[] = {
            {"FCGI_ROLE", &CgiParams::role},
            {"REQUEST_METHOD", &CgiParams::method},
            {"SCRIPT_NAME", &CgiParams::script_name},
            {"PATH_INFO", &CgiParams::path_info},
            {"DOCUMENT_URI", &CgiParams::document_uri},
            {"REQUEST_URI", &CgiParams::request_uri},
            {"QUERY_STRING", &CgiParams::query_string},
            {"HTTPS", &CgiParams::https},
            {"REQUEST_SCHEME", &CgiParams::request_scheme},
            {"SERVER_NAME", &CgiParams::server_name},
            {"SERVER_PORT", &CgiParams::server_port},
            {"REMOTE_ADDR", &CgiParams::remote_addr},
            {"CONTENT_TYPE", &CgiParams::content_type},
            {"CONTENT_LENGTH", &CgiParams::content_length},
        };
        for (const auto& k : kKnown) {
            if (k.name == name) {
                this->*k.field = value;
                return;
            }
        }
    }
};

/// The decoded path below SCRIPT_NAME, from PATH_INFO or, when the web server gives none
/// (nginx without fastcgi_split_path_info), from DOCUMENT_URI / REQUEST_URI.
Result<std::string, ParseError> request_path(const CgiParams& params,
                                             const std::string& script_name) {
    std::string path;
    if (const auto info = params.path_info; !info.empty()) {
        path = std::string(info);
    } else {
        std::string uri;
        if (const auto doc = params.document_uri; !doc.empty()) {
            uri = std::string(doc);  // already decoded and normalised by nginx
        } else {
            auto raw = params.request_uri;
            raw = raw.substr(0, raw.find('?'));
            bool ok = false;
            uri = url_decode(raw, false, ok);
            if (!ok) return fail(400, "invalid percent-encoding in path");
        }
        if (!script_name.empty() && uri.compare(0, script_name.size(), script_name) == 0 &&
            (uri.size() == script_name.size() || uri[script_name.size()] == '/')) {
            path = uri.substr(script_name.size());
        } else {
            path = std::move(uri);
        }
    }
    if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
    if (path.find('\0') != std::string::npos) return fail(400, "NUL byte in path");
    if (!valid_utf8(path)) return fail(400, "invalid UTF-8 in path");
    return path;
}

/// "ACCEPT_LANGUAGE" -> "accept-language".
std::string header_name(std::string_view cgi_name) {
    std::string out(cgi_name);
    for (char& c : out) {
        if (c == '_') {
            c = '-';
        } else if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

/// Builds the Request from the FastCGI params (RFC 3875 §4.1 meta-variables).
Result<Request, ParseError> build_request(char** envp, const Limits& limits) {
    CgiParams params;
    params.http.reserve(16);
    for (char** p = envp; p && *p; ++p) {
        const std::string_view entry(*p);
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        params.take(entry.substr(0, eq), entry.substr(eq + 1));
    }

    // libfcgi also accepts the AUTHORIZER and FILTER roles, which this server does not play.
    if (!params.role.empty() && params.role != "RESPONDER") {
        return fail(400, "unsupported FastCGI role");
    }
    Request request;
    const auto method = params.method;
    if (method.empty()) return fail(400, "missing request method");
    if (method.size() > 32 || !is_token(method)) return fail(400, "invalid request method");
    request.method = std::string(method);

    auto add_header = [&](std::string name, std::string_view value) -> Result<void, ParseError> {
        // RFC 6585 §5.
        if (value.size() > limits.max_header_size) {
            return fail(431, "request header " + name + " too large");
        }
        request.headers.insert_or_assign(std::move(name), std::string(value));
        return {};
    };
    for (const auto& [name, value] : params.http) {
        if (auto added = add_header(header_name(name), value); !added)
            return unexpected(added.error());
    }
    if (!params.content_type.empty()) {
        if (auto added = add_header("content-type", params.content_type); !added) {
            return unexpected(added.error());
        }
    }
    if (!params.content_length.empty()) {
        if (auto added = add_header("content-length", params.content_length); !added) {
            return unexpected(added.error());
        }
    }

    std::string script_name(params.script_name);
    while (!script_name.empty() && script_name.back() == '/') script_name.pop_back();
    request.script_name = std::move(script_name);
    auto path = request_path(params, request.script_name);
    if (!path) return unexpected(path.error());
    request.path = std::move(path).value();
    request.query_string = std::string(params.query_string);

    const auto https = params.https;
    if (!https.empty() && !iequals(https, "off")) {
        request.scheme = "https";
    } else if (const auto scheme = params.request_scheme;
               iequals(scheme, "https") || iequals(scheme, "http")) {
        request.scheme = to_lower(scheme);
    }

    if (const auto host = request.header("host")) {
        request.host = std::string(*host);
    } else if (const auto server = params.server_name; !server.empty()) {
        request.host = std::string(server);
        const auto port = params.server_port;
        const bool default_port = port.empty() || (request.scheme == "http" && port == "80") ||
                                  (request.scheme == "https" && port == "443");
        if (!default_port) request.host.append(":").append(port);
    }
    if (!request.host.empty() && !valid_host(request.host)) return fail(400, "invalid Host");
    request.remote_addr = std::string(params.remote_addr);
    return request;
}

/// RFC 3875 §4.2: read exactly CONTENT_LENGTH bytes, refusing before allocating when the
/// announced size is over the limit.
Result<void, ParseError> read_body(FCGX_Stream* in, Request& request, const Limits& limits) {
    const auto header = request.header("content-length");
    if (!header) return {};
    const auto length = parse_length(*header);
    if (!length) return fail(400, "invalid Content-Length");
    if (*length > limits.max_body) {
        // Skip what the web server is still sending, so it reads our 413 instead of
        // failing on a broken pipe; bounded so a huge upload cannot hold the worker.
        std::size_t drained = 0;
        char sink[16384];
        while (drained < std::min(*length, kDrainLimit)) {
            const int n = FCGX_GetStr(sink, sizeof sink, in);
            if (n <= 0) break;
            drained += static_cast<std::size_t>(n);
        }
        return fail(413, "request body too large");
    }
    request.body.resize(*length);
    std::size_t got = 0;
    while (got < *length) {
        const auto chunk = static_cast<int>(std::min<std::size_t>(*length - got, 1 << 20));
        const int n = FCGX_GetStr(request.body.data() + got, chunk, in);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    if (got < *length) {
        request.body.clear();
        return fail(400, "request body shorter than Content-Length");
    }
    return {};
}

bool valid_header_value(std::string_view v) {
    return std::none_of(v.begin(), v.end(),
                        [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

/// CGI response (RFC 3875 §6.3): a Status line, the headers, an empty line, the body.
void write_response(FCGX_Stream* out, const Request& request, Response& response) {
    const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
    // RFC 9110 §6.4.1: 1xx, 204 and 304 never carry content.
    const bool no_content = status < 200 || status == 204 || status == 304;
    std::string head = "Status: " + std::to_string(status) + " ";
    head.append(status_reason(status)).append("\r\n");
    for (const auto& [name, value] : response.headers) {
        if (iequals(name, "Status") || iequals(name, "Content-Length")) continue;
        // A CR or LF would let a value forge headers or split the response.
        if (!is_token(name) || !valid_header_value(value)) {
            log::warning("dropping invalid response header " +
                         std::string(is_token(name) ? name : "?"));
            continue;
        }
        head.append(name).append(": ").append(value).append("\r\n");
    }
    if (!no_content) {
        head.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
    }
    head.append("\r\n");
    FCGX_PutStr(head.data(), static_cast<int>(head.size()), out);
    // RFC 9110 §9.3.2: HEAD gets the headers GET would, without the content.
    if (no_content || request.method == "HEAD") return;
    std::size_t sent = 0;
    while (sent < response.body.size()) {
        const auto chunk =
            static_cast<int>(std::min<std::size_t>(response.body.size() - sent, 1 << 20));
        if (FCGX_PutStr(response.body.data() + sent, chunk, out) != chunk) break;  // peer gone
        sent += static_cast<std::size_t>(chunk);
    }
}

/// The last-resort error boundary: the app has its own, this one keeps the worker alive.
Response call_app(const AppHandler& handler, Request& request) {
    try {
        return handler(request);
    } catch (const std::exception& e) {
        log::error("unhandled exception on " + request.method + " " + request.path + ": " +
                   e.what());
        return Response::text("Internal Server Error\n", 500);
    }
}

void serve_one(FCGX_Request* raw, const AppHandler& handler, const Limits& limits) {
    auto built = build_request(raw->envp, limits);
    Request request;
    Response response;
    if (!built) {
        log::info("rejected a malformed FastCGI request: " + built.error().reason);
        request.method = "GET";
        response = error_response(built.error());
    } else {
        request = std::move(built).value();
        auto body = read_body(raw->in, request, limits);
        if (!body) {
            response = error_response(body.error());
        } else if (auto parsed = parse_request_params(request, limits); !parsed) {
            response = error_response(parsed.error());
        } else {
            response = call_app(handler, request);
        }
    }
    write_response(raw->out, request, response);
}

void set_timeouts(int fd) {
    // Accepted sockets inherit these on Linux, bounding every read/write to the peer.
    timeval tv{};
    tv.tv_sec = kPeerTimeoutSeconds;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_errno("fcntl(O_NONBLOCK)");
}

constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGHUP};

/// Installs the stop handlers for the lifetime of the object and restores what was there.
class WorkerSignals {
  public:
    WorkerSignals() {
        g_stop = 0;
        sigset_t block;
        sigemptyset(&block);
        for (std::size_t i = 0; i < std::size(kStopSignals); ++i) {
            struct sigaction sa {};
            sa.sa_handler = on_stop_signal;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = 0;  // no SA_RESTART: a blocking call must return to the loop
            ::sigaction(kStopSignals[i], &sa, &saved_[i]);
            sigaddset(&block, kStopSignals[i]);
        }
        // A web server that hangs up mid-response must cost one request, not the worker.
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        ::sigaction(SIGPIPE, &ignore, &saved_pipe_);
        // Signals are only delivered inside ppoll(): never in the middle of a read or a
        // write to the web server, so an in-flight request always completes (drain).
        ::sigprocmask(SIG_BLOCK, &block, &saved_mask_);
        wait_mask_ = saved_mask_;
        for (const int s : kStopSignals) sigdelset(&wait_mask_, s);
    }
    WorkerSignals(const WorkerSignals&) = delete;
    WorkerSignals& operator=(const WorkerSignals&) = delete;
    ~WorkerSignals() {
        ::sigprocmask(SIG_SETMASK, &saved_mask_, nullptr);
        ::sigaction(SIGPIPE, &saved_pipe_, nullptr);
        for (std::size_t i = 0; i < std::size(kStopSignals); ++i) {
            ::sigaction(kStopSignals[i], &saved_[i], nullptr);
        }
    }
    const sigset_t* wait_mask() const { return &wait_mask_; }

  private:
    struct sigaction saved_[std::size(kStopSignals)]{};
    struct sigaction saved_pipe_ {};
    sigset_t saved_mask_{};
    sigset_t wait_mask_{};
};

/// On stop, with kept connections: nginx may already have sent a request on one of them
/// (it sees them all as idle while this worker serves another); closing that connection
/// unanswered would fail the request, and nginx retries only idempotent ones. So each
/// request already there is answered and its connection closed right after; idle
/// connections are closed at once, which nginx notices before reusing them (but for a
/// request it sends in the few microseconds in between).
void answer_pending(const std::vector<std::unique_ptr<FcgiRequest>>& slots,
                    const AppHandler& handler, const Limits& limits) {
    for (const auto& slot : slots) {
        FCGX_Request* r = slot->get();
        if (r->ipcFd < 0) continue;
        char byte = 0;
        const ssize_t n = ::recv(r->ipcFd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0 && FCGX_Accept_r(r) >= 0) {
            r->keepConnection = 0;  // closed by finish_request after the answer
            AcceptedRequest accepted(r);
            serve_one(r, handler, limits);
            continue;
        }
        if (r->ipcFd >= 0) {
            ::close(r->ipcFd);
            r->ipcFd = -1;
        }
    }
}

/// The accept loop of one worker; returns when a stop signal arrives.
int run_worker(int listen_fd, const FastCgiOptions& options) {
    WorkerSignals signals;
    AppHandler handler;
    try {
        handler = options.make_handler();
    } catch (const std::exception& e) {
        log::error(std::string("worker failed to start: ") + e.what());
        return 1;
    }
    if (!handler) {
        log::error("worker failed to start: no handler");
        return 1;
    }
    // One FCGX_Request per open connection. Without FCGI_KEEP_CONN (nginx's default) a
    // connection carries one request and only the first slot is ever used. With
    // `fastcgi_keep_conn on` the web server keeps connections open and sends later requests
    // on whichever it likes: the worker waits on all of its connections and on the
    // listening socket at once, so a request never waits for a connection the worker is
    // not looking at (the stall a one-connection loop has).
    std::vector<std::unique_ptr<FcgiRequest>> slots;
    slots.push_back(std::make_unique<FcgiRequest>(listen_fd));
    std::vector<pollfd> fds;
    std::vector<FcgiRequest*> owners;
    while (!g_stop) {
        fds.clear();
        owners.clear();
        FcgiRequest* idle = nullptr;
        for (const auto& slot : slots) {
            if (slot->connection_fd() >= 0) {
                fds.push_back(pollfd{slot->connection_fd(), POLLIN, 0});
                owners.push_back(slot.get());
            } else if (idle == nullptr) {
                idle = slot.get();
            }
        }
        if (idle == nullptr && slots.size() < kMaxConnectionsPerWorker) {
            slots.push_back(std::make_unique<FcgiRequest>(listen_fd));
            idle = slots.back().get();
        }
        if (idle != nullptr) {
            fds.push_back(pollfd{listen_fd, POLLIN, 0});
            owners.push_back(idle);
        }
        if (::ppoll(fds.data(), fds.size(), nullptr, signals.wait_mask()) < 0) {
            if (errno == EINTR) continue;
            log::error("poll on the FastCGI socket failed: " + errno_text(errno));
            return 1;
        }
        for (std::size_t i = 0; i < fds.size() && !g_stop; ++i) {
            if (fds[i].revents == 0) continue;
            FcgiRequest& request = *owners[i];
            // The listening socket is non-blocking: another worker may have taken the
            // connection (EAGAIN), and a malformed or closed connection is dropped inside
            // libfcgi (which then tries the listening socket once, without blocking).
            const int rc = FCGX_Accept_r(request.get());
            if (rc < 0) {
                if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR || rc == -ECONNABORTED ||
                    rc == -EPROTO || rc == -ECONNRESET || rc == -EPIPE || rc == -ETIMEDOUT) {
                    continue;
                }
                if (g_stop) break;
                if (rc == -EMFILE || rc == -ENFILE || rc == -ENOBUFS || rc == -ENOMEM) {
                    log::error("accept failed: " + errno_text(-rc));
                    ::usleep(100 * 1000);
                    continue;
                }
                log::error("FCGX_Accept_r failed: " + std::to_string(rc));
                return 1;
            }
            AcceptedRequest accepted(request.get());
            serve_one(request.get(), handler, options.limits);
        }
    }
    answer_pending(slots, handler, options.limits);
    return 0;
}

struct Slot {
    pid_t pid = -1;
    Clock::time_point started{};
    Clock::time_point respawn_at{};
    int quick_failures = 0;
    bool reloading = false;
};

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
    return "stopped";
}

void on_child(int) {}

class Supervisor {
  public:
    Supervisor(int listen_fd, const FastCgiOptions& options)
        : listen_fd_(listen_fd),
          options_(options),
          slots_(static_cast<std::size_t>(options.workers)) {}

    int run() {
        sigset_t mask;
        sigemptyset(&mask);
        for (const int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, s);
        // SIGCHLD must not be ignored (that would auto-reap and hide deaths).
        struct sigaction sa {};
        sa.sa_handler = on_child;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGCHLD, &sa, &saved_chld_);
        ::sigprocmask(SIG_BLOCK, &mask, &saved_mask_);
        supervisor_pid_ = ::getpid();
        log::info("supervisor started with " + std::to_string(slots_.size()) + " workers");
        for (auto& slot : slots_) spawn(slot);

        bool stopping = false;
        while (!stopping) {
            respawn_due();
            timespec timeout = next_timeout();
            siginfo_t info{};
            const int sig = ::sigtimedwait(&mask, &info, &timeout);
            if (sig == SIGTERM || sig == SIGINT) {
                log::info("supervisor stopping: draining workers");
                stopping = true;
            } else if (sig == SIGHUP) {
                log::info("supervisor reloading: restarting workers");
                for (auto& slot : slots_) {
                    if (slot.pid > 0) {
                        slot.reloading = true;
                        ::kill(slot.pid, SIGHUP);
                    }
                }
            }
            reap(stopping);
        }
        drain();
        ::sigprocmask(SIG_SETMASK, &saved_mask_, nullptr);
        ::sigaction(SIGCHLD, &saved_chld_, nullptr);
        log::info("supervisor stopped");
        return 0;
    }

  private:
    void spawn(Slot& slot) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            log::error("fork failed: " + errno_text(errno));
            slot.respawn_at = Clock::now() + std::chrono::seconds(1);
            return;
        }
        if (pid == 0) {
            // Child: default dispositions, the caller's mask, and die with the supervisor.
            ::sigaction(SIGCHLD, &saved_chld_, nullptr);
            for (const int s : kStopSignals) ::signal(s, SIG_DFL);
            // Stop signals stay blocked until the worker's handlers are in place.
            sigset_t mask = saved_mask_;
            for (const int s : kStopSignals) sigaddset(&mask, s);
            ::sigprocmask(SIG_SETMASK, &mask, nullptr);
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != supervisor_pid_) ::_exit(0);
            int rc = 1;
            try {
                rc = run_worker(listen_fd_, options_);
            } catch (const std::exception& e) {
                log::error(std::string("worker failed: ") + e.what());
            }
#if defined(CANAILLE_LEAK_CHECK)
            __lsan_do_leak_check();
#endif
            ::_exit(rc);
        }
        slot.pid = pid;
        slot.started = Clock::now();
        slot.reloading = false;
        log::info("worker " + std::to_string(pid) + " started");
    }

    void reap(bool stopping) {
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            auto it = std::find_if(slots_.begin(), slots_.end(),
                                   [&](const Slot& s) { return s.pid == pid; });
            if (it == slots_.end()) continue;
            Slot& slot = *it;
            slot.pid = -1;
            if (stopping) continue;
            const auto now = Clock::now();
            if (slot.reloading) {
                slot.quick_failures = 0;
                slot.respawn_at = now;
                continue;
            }
            log::warning("worker " + std::to_string(pid) + " " + describe_status(status) +
                         "; respawning");
            // A worker dying right after start (bad config, missing store) must not turn
            // the supervisor into a fork loop: back off exponentially up to 10 s.
            if (now - slot.started < std::chrono::seconds(1)) {
                slot.quick_failures = std::min(slot.quick_failures + 1, 10);
            } else {
                slot.quick_failures = 0;
            }
            const auto delay =
                slot.quick_failures == 0
                    ? std::chrono::milliseconds(0)
                    : std::min(std::chrono::milliseconds(100 << (slot.quick_failures - 1)),
                               std::chrono::milliseconds(10000));
            slot.respawn_at = now + delay;
        }
    }

    void respawn_due() {
        const auto now = Clock::now();
        for (auto& slot : slots_) {
            if (slot.pid < 0 && slot.respawn_at <= now) spawn(slot);
        }
    }

    timespec next_timeout() const {
        auto wait = std::chrono::milliseconds(1000);
        const auto now = Clock::now();
        for (const auto& slot : slots_) {
            if (slot.pid >= 0) continue;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(slot.respawn_at - now);
            wait = std::clamp(left, std::chrono::milliseconds(1), wait);
        }
        timespec ts{};
        ts.tv_sec = static_cast<time_t>(wait.count() / 1000);
        ts.tv_nsec = static_cast<long>((wait.count() % 1000) * 1000000);
        return ts;
    }

    bool any_alive() const {
        return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.pid > 0; });
    }

    void drain() {
        for (const auto& slot : slots_) {
            if (slot.pid > 0) ::kill(slot.pid, SIGTERM);
        }
        const auto deadline = Clock::now() + kDrainTimeout;
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        while (any_alive() && Clock::now() < deadline) {
            timespec ts{0, 200 * 1000 * 1000};
            ::sigtimedwait(&chld, nullptr, &ts);
            reap(true);
        }
        for (auto& slot : slots_) {
            if (slot.pid > 0) {
                log::warning("worker " + std::to_string(slot.pid) + " did not drain; killing it");
                ::kill(slot.pid, SIGKILL);
                ::waitpid(slot.pid, nullptr, 0);
                slot.pid = -1;
            }
        }
    }

    int listen_fd_;
    const FastCgiOptions& options_;
    std::vector<Slot> slots_;
    pid_t supervisor_pid_ = -1;
    struct sigaction saved_chld_ {};
    sigset_t saved_mask_{};
};

bool is_listening_socket(int fd) {
    int accepting = 0;
    socklen_t len = sizeof accepting;
    return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting != 0;
}

int open_unix(const std::string& path, int backlog) {
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof addr.sun_path) {
        throw std::runtime_error("unix socket path empty or too long: " + path);
    }
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // Remove a stale socket left by a previous run, but never a file that is not a socket.
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
        ::unlink(path.c_str());
    }
    FdGuard fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw_errno("socket(AF_UNIX)");
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
        throw_errno("bind " + path);
    }
    // The web server's workers (nginx runs them as nobody) must be able to connect; restrict
    // access with the permissions of the directory holding the socket.
    if (::chmod(path.c_str(), 0666) < 0) throw_errno("chmod " + path);
    if (::listen(fd.get(), backlog) < 0) throw_errno("listen " + path);
    return fd.release();
}

int open_tcp(const std::string& address, int backlog) {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos)
        throw std::runtime_error("listen address needs a port: " + address);
    std::string host = address.substr(0, colon);
    const std::string port = address.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (port.empty()) throw std::runtime_error("listen address needs a port: " + address);
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int rc =
        ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) throw std::runtime_error("cannot resolve " + address + ": " + gai_strerror(rc));
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
    std::string last_error = "no address";
    for (const addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
        FdGuard fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (fd.get() < 0) {
            last_error = errno_text(errno);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(fd.get(), ai->ai_addr, ai->ai_addrlen) == 0 &&
            ::listen(fd.get(), backlog) == 0) {
            return fd.release();
        }
        last_error = errno_text(errno);
    }
    throw std::runtime_error("cannot listen on " + address + ": " + last_error);
}

}  // namespace

int open_listen_socket(const ListenSpec& spec) {
    // systemd socket activation (sd_listen_fds(3)); unset the variables so that workers
    // and anything they start do not take them for their own.
    const int n = ::sd_listen_fds(1);
    if (n < 0) log::warning("ignoring LISTEN_FDS: " + errno_text(-n));
    if (n > 0) {
        if (n > 1) log::warning("systemd passed several sockets; using the first");
        return SD_LISTEN_FDS_START;
    }
    // spawn-fcgi and StandardInput=socket hand the listening socket over as fd 0.
    if (is_listening_socket(STDIN_FILENO)) return STDIN_FILENO;
    if (spec.address.empty()) {
        throw std::runtime_error(
            "no listening socket: not socket-activated, stdin is not a "
            "socket and no listen address was given");
    }
    if (starts_with(spec.address, "unix:")) return open_unix(spec.address.substr(5), spec.backlog);
    return open_tcp(spec.address, spec.backlog);
}

int serve_fastcgi(int listen_fd, const FastCgiOptions& options) {
    if (!options.make_handler)
        throw std::invalid_argument("serve_fastcgi: make_handler is required");
    if (FCGX_Init() != 0) throw std::runtime_error("FCGX_Init failed");
    set_nonblocking(listen_fd);
    set_timeouts(listen_fd);
    if (options.workers <= 0) return run_worker(listen_fd, options);
    return Supervisor(listen_fd, options).run();
}

}  // namespace canaille::http
