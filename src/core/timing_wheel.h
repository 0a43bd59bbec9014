// A hashed timing wheel: O(1) schedule and cancel, so tens of thousands of transaction timers
// cost nothing while they wait. Timer tasks are a function pointer plus context, not
// std::function, so scheduling never allocates once the node pool has grown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tandem {

struct TimerTask {
  void (*fn)(void* ctx, uint64_t arg) = nullptr;
  void* ctx = nullptr;
  uint64_t arg = 0;
};

// Identifies a scheduled timer; 0 is never a valid id. A stale id (fired or cancelled) is safe
// to cancel again: generations make ids unique.
using TimerId = uint64_t;

// Not thread-safe: one wheel per event loop thread.
class TimingWheel {
 public:
  // tickMs: resolution; slots: wheel size (a delay beyond tickMs*slots takes extra rounds).
  explicit TimingWheel(uint64_t startMs, uint32_t tickMs = 10, uint32_t slots = 4096);

  // Runs task once, no earlier than delayMs after the wheel's current time.
  TimerId schedule(uint64_t delayMs, TimerTask task);
  // Returns true if the timer was pending and is now cancelled.
  bool cancel(TimerId id);
  // Fires every timer due at or before nowMs, in deadline order within a tick. Tasks may
  // schedule and cancel timers (including themselves).
  void advance(uint64_t nowMs);

  size_t pending() const { return pending_; }
  // Milliseconds until the next tick boundary that has work, or -1 when nothing is pending.
  // Coarse: returns the tick length while anything is pending.
  int msUntilNextTick(uint64_t nowMs) const;

 private:
  static constexpr uint32_t kNil = 0xffffffffu;
  struct Node {
    uint32_t next = kNil;
    uint32_t prev = kNil;
    uint32_t slot = kNil;  // kNil when free
    uint32_t generation = 1;
    uint64_t deadlineTick = 0;
    TimerTask task;
  };
  void unlink(uint32_t index);
  void release(uint32_t index);

  uint32_t tickMs_;
  uint32_t slotMask_;
  uint64_t currentTick_;  // every tick < currentTick_ has been processed
  std::vector<uint32_t> heads_;
  std::vector<Node> nodes_;
  uint32_t freeHead_ = kNil;
  size_t pending_ = 0;
};

}  // namespace tandem
