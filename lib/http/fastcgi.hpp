// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>

#include "http/request.hpp"
#include "http/response.hpp"

namespace canaille::http {

using AppHandler = std::function<Response(Request&)>;

/// Where the FastCGI listening socket comes from (DESIGN.md "Process model").
struct ListenSpec {
    std::string address;  ///< "unix:/path", "host:port" or "" to use inherited sockets
    int backlog = 1024;
};

/// Returns the listening fd: LISTEN_FDS (systemd), else fd 0 if it is a socket
/// (spawn-fcgi), else opens `spec.address`. Throws std::runtime_error when none applies.
int open_listen_socket(const ListenSpec& spec);

struct FastCgiOptions {
    Limits limits;
    int workers = 0;  ///< 0 = serve in this process; N > 0 = supervise N forked workers
    /// Called in each worker after fork, before serving (e.g. to open the store).
    std::function<AppHandler()> make_handler;
};

/// Serves FastCGI on `listen_fd` until SIGTERM/SIGINT. With workers > 0 this process
/// supervises: pre-forks, respawns a worker that dies, forwards SIGTERM and waits for
/// the workers to drain. Returns the exit status.
int serve_fastcgi(int listen_fd, const FastCgiOptions& options);

}  // namespace canaille::http
