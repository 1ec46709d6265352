// Ports: the interfaces through which core reaches the outside world. Core never reads a
// clock or an entropy source on its own; callers pass an implementation (the real one in
// production, a fixed one in tests), as LevelDB does with its Env.
#pragma once

#include <chrono>
#include <cstdint>

#include "tillit/bytes.h"

namespace tillit {

// Wall-clock time. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (UTC).
  virtual int64_t NowUnixSeconds() const = 0;
};

// The system clock.
class SystemClock final : public Clock {
 public:
  int64_t NowUnixSeconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that stays where tests put it.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t now) : now_(now) {}
  int64_t NowUnixSeconds() const override { return now_; }
  void Set(int64_t now) { now_ = now; }
  void Advance(int64_t seconds) { now_ += seconds; }

 private:
  int64_t now_;
};

}  // namespace tillit
