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
  // Milliseconds since the Unix epoch (UTC), for timing shorter than a second (the
  // animated login QR counts whole seconds from an order's creation, docs/protocol.md).
  // Consistent with NowUnixSeconds: floor(NowUnixMillis() / 1000) == NowUnixSeconds().
  virtual int64_t NowUnixMillis() const { return NowUnixSeconds() * 1000; }
};

// The system clock.
class SystemClock final : public Clock {
 public:
  int64_t NowUnixSeconds() const override { return NowUnixMillis() / 1000; }
  int64_t NowUnixMillis() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that stays where tests put it. Not thread-safe to move while other threads read
// it; tests set it between calls.
class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t now_seconds) : now_ms_(now_seconds * 1000) {}
  int64_t NowUnixSeconds() const override { return FloorDiv(now_ms_, 1000); }
  int64_t NowUnixMillis() const override { return now_ms_; }
  void Set(int64_t now_seconds) { now_ms_ = now_seconds * 1000; }
  void Advance(int64_t seconds) { now_ms_ += seconds * 1000; }
  void SetMillis(int64_t now_ms) { now_ms_ = now_ms; }
  void AdvanceMillis(int64_t ms) { now_ms_ += ms; }

 private:
  static int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
  int64_t now_ms_;
};

}  // namespace tillit
