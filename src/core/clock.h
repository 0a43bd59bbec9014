// Time as the rest of tandem sees it: an injectable monotonic clock in milliseconds, so tests
// drive timers without sleeping.
#pragma once

#include <cstdint>

namespace tandem {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t nowMs() const = 0;
};

// CLOCK_MONOTONIC. Thread-safe.
class SteadyClock final : public Clock {
 public:
  uint64_t nowMs() const override;
  static SteadyClock& instance();
};

// A clock tests move by hand.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(uint64_t start = 0) : now_(start) {}
  uint64_t nowMs() const override { return now_; }
  void advance(uint64_t ms) { now_ += ms; }

 private:
  uint64_t now_;
};

}  // namespace tandem
