// SPDX-License-Identifier: MIT
// The development front door. Boost.Beast is slow to compile, so it lives in this one file.
//
// One thread, one io_context: handlers run synchronously, one at a time, while the
// asynchronous I/O lets a browser keep several keep-alive connections open without one
// idle connection blocking the others.
#include "http/devserver.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "http/parse.hpp"
#include "util/log.hpp"
#include "util/strings.hpp"

namespace canaille::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr std::uintmax_t kMaxAssetSize = 64 * 1024 * 1024;

struct Context {
    const DevServerOptions& options;
    const AppHandler& handler;
    std::string script_name;  // without trailing '/'
};

std::string_view content_type_for(const std::filesystem::path& file) {
    const auto ext = to_lower(file.extension().string());
    if (ext == ".css") return "text/css; charset=utf-8";
    if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
    if (ext == ".json" || ext == ".map") return "application/json";
    if (ext == ".svg") return "image/svg+xml";
    if (ext == ".png") return "image/png";
    if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
    if (ext == ".gif") return "image/gif";
    if (ext == ".webp") return "image/webp";
    if (ext == ".ico") return "image/vnd.microsoft.icon";
    if (ext == ".woff2") return "font/woff2";
    if (ext == ".woff") return "font/woff";
    if (ext == ".txt") return "text/plain; charset=utf-8";
    if (ext == ".html") return "text/html; charset=utf-8";
    return "application/octet-stream";
}

/// Serves <assets_dir>/<relative>; `relative` is decoded and must stay inside the directory.
Response serve_asset(const std::string& assets_dir, std::string_view relative,
                     std::string_view method) {
    if (method != "GET" && method != "HEAD") {
        auto r = Response::text("Method Not Allowed\n", 405);
        r.set_header("Allow", "GET, HEAD");
        return r;
    }
    for (const auto segment : split(relative, '/')) {
        if (segment.empty() || segment == "." || segment == ".." ||
            segment.find('\\') != std::string_view::npos) {
            return Response::text("Not Found\n", 404);
        }
    }
    const std::filesystem::path file = std::filesystem::path(assets_dir) / std::string(relative);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec) ||
        std::filesystem::file_size(file, ec) > kMaxAssetSize || ec) {
        return Response::text("Not Found\n", 404);
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream data;
    data << in.rdbuf();
    if (!in && !in.eof()) return Response::text("Not Found\n", 404);
    Response r;
    r.body = std::move(data).str();
    r.set_header("Content-Type", std::string(content_type_for(file)));
    r.set_header("X-Content-Type-Options", "nosniff");
    r.set_header("Cache-Control", "no-cache");
    return r;
}

bool valid_host(std::string_view host) {
    return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    });
}

Response error_text(int status, std::string_view reason) {
    return Response::text(std::string(reason) + "\n", status);
}

Response call_app(const AppHandler& handler, Request& request) {
    try {
        return handler(request);
    } catch (const std::exception& e) {
        log::error("unhandled exception on " + request.method + " " + request.path + ": " +
                   e.what());
        return Response::text("Internal Server Error\n", 500);
    }
}

/// Maps the Beast request to a Request, routes static files, runs the app.
Response dispatch(const Context& ctx, bhttp::request<bhttp::string_body>& in,
                  const std::string& remote) {
    const auto target = std::string_view(in.target().data(), in.target().size());
    if (target.empty() || target.front() != '/') return error_text(400, "invalid request target");
    const auto q = target.find('?');
    bool ok = false;
    std::string path = url_decode(target.substr(0, q), false, ok);
    if (!ok) return error_text(400, "invalid percent-encoding in path");
    if (path.find('\0') != std::string::npos || !valid_utf8(path)) {
        return error_text(400, "invalid path");
    }
    const auto& prefix = ctx.script_name;
    if (!prefix.empty()) {
        if (path.compare(0, prefix.size(), prefix) != 0 ||
            (path.size() > prefix.size() && path[prefix.size()] != '/')) {
            return error_text(404, "Not Found");
        }
        path.erase(0, prefix.size());
        if (path.empty()) path = "/";
    }

    Request request;
    request.method = std::string(in.method_string());
    if (!ctx.options.assets_dir.empty() && starts_with(path, "/static/")) {
        return serve_asset(ctx.options.assets_dir, std::string_view(path).substr(8),
                           request.method);
    }
    request.script_name = prefix;
    request.path = std::move(path);
    if (q != std::string_view::npos) request.query_string = std::string(target.substr(q + 1));
    for (const auto& field : in) {
        const auto value = std::string_view(field.value().data(), field.value().size());
        if (value.size() > ctx.options.limits.max_header_size) {
            return error_text(431, "request header too large");
        }
        auto name =
            to_lower(std::string_view(field.name_string().data(), field.name_string().size()));
        auto [it, inserted] = request.headers.emplace(name, std::string(value));
        if (!inserted) {
            // RFC 9110 §5.3 combines repeated fields with commas; cookies use "; ".
            it->second.append(name == "cookie" ? "; " : ", ").append(value);
            if (it->second.size() > ctx.options.limits.max_header_size) {
                return error_text(431, "request header too large");
            }
        }
    }
    if (const auto host = request.header("host")) {
        if (!valid_host(*host)) return error_text(400, "invalid Host");
        request.host = std::string(*host);
    } else {
        request.host = ctx.options.host + ":" + std::to_string(ctx.options.port);
    }
    request.remote_addr = remote;
    request.body = std::move(in.body());
    if (auto parsed = parse_request_params(request, ctx.options.limits); !parsed) {
        return error_text(parsed.error().status, parsed.error().reason);
    }
    return call_app(ctx.handler, request);
}

bool valid_header_value(std::string_view v) {
    return std::none_of(v.begin(), v.end(),
                        [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

bool valid_header_name(std::string_view n) {
    return !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

class Session : public std::enable_shared_from_this<Session> {
  public:
    Session(tcp::socket socket, const Context& ctx) : stream_(std::move(socket)), ctx_(ctx) {
        beast::error_code ec;
        const auto endpoint = stream_.socket().remote_endpoint(ec);
        if (!ec) remote_ = endpoint.address().to_string();
    }

    void start() { read_header(); }

  private:
    void read_header() {
        parser_.emplace();
        parser_->body_limit(ctx_.options.limits.max_body);
        // The whole header block; each value is also held to max_header_size in dispatch().
        parser_->header_limit(static_cast<std::uint32_t>(
            std::max<std::size_t>(ctx_.options.limits.max_header_size * 4, 16384)));
        stream_.expires_after(kIdleTimeout);
        bhttp::async_read_header(stream_, buffer_, *parser_,
                                 [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                     self->on_header(ec);
                                 });
    }

    void on_header(beast::error_code ec) {
        if (ec) return on_error(ec);
        const auto& req = parser_->get();
        const auto expect = req[bhttp::field::expect];
        if (iequals(std::string_view(expect.data(), expect.size()), "100-continue") &&
            !parser_->is_done()) {
            // RFC 9110 §10.1.1: tell the client to send the body instead of making it wait.
            continue_ = std::make_unique<bhttp::response<bhttp::empty_body>>(
                bhttp::status::continue_, req.version());
            bhttp::async_write(stream_, *continue_,
                               [self = shared_from_this()](beast::error_code e, std::size_t) {
                                   if (e) return self->close();
                                   self->read_body();
                               });
            return;
        }
        read_body();
    }

    void read_body() {
        bhttp::async_read(stream_, buffer_, *parser_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->on_error(ec);
                              self->on_request();
                          });
    }

    void on_error(beast::error_code ec) {
        if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
            ec == net::error::eof || ec == net::error::connection_reset ||
            ec == net::error::operation_aborted) {
            return close();
        }
        if (ec == bhttp::error::body_limit) {
            return send(error_text(413, "request body too large"), false, false);
        }
        if (ec == bhttp::error::header_limit) {
            return send(error_text(431, "request header fields too large"), false, false);
        }
        if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
            return send(error_text(400, "malformed HTTP request"), false, false);
        }
        return close();
    }

    void on_request() {
        auto req = parser_->release();
        const bool keep_alive = req.keep_alive();
        const bool head = req.method() == bhttp::verb::head;
        Response response = dispatch(ctx_, req, remote_);
        send(std::move(response), keep_alive, head);
    }

    void send(Response response, bool keep_alive, bool head) {
        const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
        res_ = std::make_unique<bhttp::response<bhttp::string_body>>();
        res_->version(11);
        res_->result(static_cast<unsigned>(status));
        const auto reason = status_reason(status);
        res_->reason(beast::string_view(reason.data(), reason.size()));
        for (const auto& [name, value] : response.headers) {
            if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
                iequals(name, "Connection")) {
                continue;
            }
            if (!valid_header_name(name) || !valid_header_value(value)) {
                log::warning("dropping invalid response header");
                continue;
            }
            res_->insert(beast::string_view(name.data(), name.size()),
                         beast::string_view(value.data(), value.size()));
        }
        const bool no_content = status < 200 || status == 204 || status == 304;
        if (!no_content)
            res_->set(bhttp::field::content_length, std::to_string(response.body.size()));
        // RFC 9110 §9.3.2: HEAD answers with GET's headers and no content.
        if (!no_content && !head) res_->body() = std::move(response.body);
        res_->keep_alive(keep_alive);
        close_after_ = !keep_alive;
        stream_.expires_after(kIdleTimeout);
        bhttp::async_write(stream_, *res_,
                           [self = shared_from_this()](beast::error_code ec, std::size_t) {
                               if (ec || self->close_after_) return self->close();
                               self->res_.reset();
                               self->read_header();
                           });
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    const Context& ctx_;
    std::string remote_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::unique_ptr<bhttp::response<bhttp::empty_body>> continue_;
    std::unique_ptr<bhttp::response<bhttp::string_body>> res_;
    bool close_after_ = false;
};

class Listener {
  public:
    Listener(net::io_context& ioc, tcp::acceptor& acceptor, const Context& ctx)
        : ioc_(ioc), acceptor_(acceptor), ctx_(ctx) {}

    void accept() {
        acceptor_.async_accept(ioc_, [this](beast::error_code ec, tcp::socket socket) {
            if (ec == net::error::operation_aborted) return;
            if (!ec) std::make_shared<Session>(std::move(socket), ctx_)->start();
            accept();
        });
    }

  private:
    net::io_context& ioc_;
    tcp::acceptor& acceptor_;
    const Context& ctx_;
};

}  // namespace

int serve_dev(const DevServerOptions& options, const AppHandler& handler) {
    Context ctx{options, handler, options.script_name};
    while (!ctx.script_name.empty() && ctx.script_name.back() == '/') ctx.script_name.pop_back();

    net::io_context ioc(1);
    tcp::acceptor acceptor(ioc);
    beast::error_code ec;
    const auto address = net::ip::make_address(options.host, ec);
    if (ec) {
        log::error("invalid listen address " + options.host + ": " + ec.message());
        return 1;
    }
    const tcp::endpoint endpoint(address, options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
        log::error("cannot listen on " + options.host + ":" + std::to_string(options.port) + ": " +
                   ec.message());
        return 1;
    }
    const auto bound = acceptor.local_endpoint(ec);
    log::info("development server on http://" + options.host + ":" +
              std::to_string(ec ? options.port : bound.port()) + ctx.script_name + "/");

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
        log::info("development server stopping");
        ioc.stop();
    });
    Listener listener(ioc, acceptor, ctx);
    listener.accept();
    ioc.run();
    return 0;
}

}  // namespace canaille::http
