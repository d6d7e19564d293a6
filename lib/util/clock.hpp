// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

namespace canaille {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

/// Wall clock, injectable so domain rules can be tested with a fake time.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
  public:
    TimePoint now() const override { return std::chrono::system_clock::now(); }
};

/// A clock that only moves when told to (tests).
class FakeClock final : public Clock {
  public:
    explicit FakeClock(TimePoint start) : now_(start) {}
    TimePoint now() const override { return now_; }
    void advance(std::chrono::system_clock::duration d) { now_ += d; }
    void set(TimePoint t) { now_ = t; }

  private:
    TimePoint now_;
};

/// Seconds since the Unix epoch.
inline std::int64_t to_unix(TimePoint t) {
    return std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
}
inline TimePoint from_unix(std::int64_t s) { return TimePoint(Seconds(s)); }

}  // namespace canaille
