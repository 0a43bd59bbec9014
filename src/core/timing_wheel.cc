// Hashed timing wheel with per-slot doubly linked lists threaded through a node pool.
#include "core/timing_wheel.h"

namespace tandem {

TimingWheel::TimingWheel(uint64_t startMs, uint32_t tickMs, uint32_t slots)
    : tickMs_(tickMs == 0 ? 1 : tickMs), currentTick_(startMs / (tickMs == 0 ? 1 : tickMs)) {
  uint32_t n = 1;
  while (n < slots) n <<= 1;
  slotMask_ = n - 1;
  heads_.assign(n, kNil);
}

TimerId TimingWheel::schedule(uint64_t delayMs, TimerTask task) {
  uint32_t index;
  if (freeHead_ != kNil) {
    index = freeHead_;
    freeHead_ = nodes_[index].next;
  } else {
    index = static_cast<uint32_t>(nodes_.size());
    nodes_.emplace_back();
  }
  Node& n = nodes_[index];
  // Round up so a timer never fires early; the current tick is being processed or done.
  uint64_t ticks = (delayMs + tickMs_ - 1) / tickMs_;
  n.deadlineTick = currentTick_ + (ticks == 0 ? 0 : ticks);
  n.task = task;
  uint32_t slot = static_cast<uint32_t>(n.deadlineTick) & slotMask_;
  n.slot = slot;
  n.prev = kNil;
  n.next = heads_[slot];
  if (n.next != kNil) nodes_[n.next].prev = index;
  heads_[slot] = index;
  ++pending_;
  return (static_cast<uint64_t>(n.generation) << 32) | index;
}

void TimingWheel::unlink(uint32_t index) {
  Node& n = nodes_[index];
  if (n.prev != kNil) {
    nodes_[n.prev].next = n.next;
  } else {
    heads_[n.slot] = n.next;
  }
  if (n.next != kNil) nodes_[n.next].prev = n.prev;
}

void TimingWheel::release(uint32_t index) {
  Node& n = nodes_[index];
  n.slot = kNil;
  ++n.generation;
  if (n.generation == 0) n.generation = 1;
  n.next = freeHead_;
  freeHead_ = index;
  --pending_;
}

bool TimingWheel::cancel(TimerId id) {
  uint32_t index = static_cast<uint32_t>(id & 0xffffffffu);
  uint32_t gen = static_cast<uint32_t>(id >> 32);
  if (index >= nodes_.size()) return false;
  Node& n = nodes_[index];
  if (n.slot == kNil || n.generation != gen) return false;
  unlink(index);
  release(index);
  return true;
}

void TimingWheel::advance(uint64_t nowMs) {
  uint64_t target = nowMs / tickMs_;
  if (pending_ == 0) {  // nothing to fire: jump instead of walking idle ticks
    if (target > currentTick_) currentTick_ = target;
    return;
  }
  while (currentTick_ <= target) {
    uint32_t slot = static_cast<uint32_t>(currentTick_) & slotMask_;
    // Collect due nodes first: tasks may schedule into this very slot.
    uint32_t i = heads_[slot];
    while (i != kNil) {
      uint32_t next = nodes_[i].next;
      if (nodes_[i].deadlineTick <= currentTick_) {
        TimerTask task = nodes_[i].task;
        unlink(i);
        release(i);
        task.fn(task.ctx, task.arg);
        // The task may have cancelled `next`; restart the scan of this slot to stay safe.
        i = heads_[slot];
        continue;
      }
      i = next;
    }
    if (currentTick_ == target) break;
    ++currentTick_;
  }
}

int TimingWheel::msUntilNextTick(uint64_t nowMs) const {
  if (pending_ == 0) return -1;
  uint64_t nextBoundary = (nowMs / tickMs_ + 1) * tickMs_;
  return static_cast<int>(nextBoundary - nowMs);
}

}  // namespace tandem
