// SPDX-License-Identifier: MIT
#pragma once

#include <ostream>
#include <string>
#include <string_view>

namespace canaille {

/// Compares two secrets in time that depends only on their lengths (CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);

/// A secret value that prints as "[redacted]", so it cannot leak into a log line.
class Secret {
  public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }
    bool operator==(const Secret& o) const { return constant_time_equal(value_, o.value_); }

  private:
    std::string value_;
};

inline std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "[redacted]"; }

}  // namespace canaille
