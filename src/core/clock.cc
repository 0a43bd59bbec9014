// Monotonic clock backed by clock_gettime.
#include "core/clock.h"

#include <ctime>

namespace tandem {

uint64_t SteadyClock::nowMs() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000u + static_cast<uint64_t>(ts.tv_nsec) / 1000000u;
}

SteadyClock& SteadyClock::instance() {
  static SteadyClock clock;
  return clock;
}

}  // namespace tandem
