// SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "http/fastcgi.hpp"

namespace canaille::http {

struct DevServerOptions {
    std::string host = "127.0.0.1";
    unsigned short port = 8000;
    std::string assets_dir;   ///< served at <prefix>/static; "" = none
    std::string script_name;  ///< mount prefix to emulate, e.g. "/auth"
    Limits limits;
};

/// The development front door: HTTP/1.1 with keep-alive (Boost.Beast), single thread,
/// until SIGINT/SIGTERM. Never for production.
int serve_dev(const DevServerOptions& options, const AppHandler& handler);

}  // namespace canaille::http
