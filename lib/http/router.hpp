// SPDX-License-Identifier: MIT
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.hpp"
#include "http/response.hpp"

namespace canaille::http {

using Handler = std::function<Response(Request&)>;

/// Method + path routing. Patterns are literal segments and `<name>` captures
/// ("/profile/<user>/settings"); a capture matches one non-empty segment.
/// HEAD is served by the GET route with the body dropped by the front door.
class Router {
  public:
    void add(std::string_view method, std::string pattern, Handler handler);
    void get(std::string pattern, Handler h) { add("GET", std::move(pattern), std::move(h)); }
    void post(std::string pattern, Handler h) { add("POST", std::move(pattern), std::move(h)); }

    enum class Outcome { found, not_found, method_not_allowed };
    struct Match {
        Outcome outcome = Outcome::not_found;
        const Handler* handler = nullptr;
        std::string allow;  ///< "GET, HEAD, POST" for 405 answers
    };

    /// Finds the route; on success fills request.route_params.
    Match match(Request& request) const;

  private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
};

}  // namespace canaille::http
