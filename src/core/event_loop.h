// One epoll event loop per worker thread: file descriptors, a timing wheel, and signals via
// signalfd. Everything registered with a loop runs on that loop's thread; only stop() may be
// called from elsewhere.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/clock.h"
#include "core/timing_wheel.h"

namespace tandem {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // events: EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP bits.
  virtual void onEvent(uint32_t events) = 0;
};

class EventLoop {
 public:
  explicit EventLoop(const Clock& clock = SteadyClock::instance());
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // REQUIRES: handler outlives its registration (remove() before destroying it).
  bool add(int fd, uint32_t events, EventHandler* handler);
  bool modify(int fd, uint32_t events, EventHandler* handler);
  void remove(int fd);

  TimingWheel& timers() { return wheel_; }
  uint64_t nowMs() const { return clock_.nowMs(); }

  // Called after each round of I/O and timers: where batched sends are flushed.
  void addFlushHook(std::function<void()> hook) { flushHooks_.push_back(std::move(hook)); }
  // Delivers the signals (e.g. SIGTERM, SIGHUP) to fn on the loop thread; blocks them for the
  // calling thread, so call before other threads start.
  bool handleSignals(const std::vector<int>& signals, std::function<void(int)> fn);

  // Runs until stop(). A stop() that comes before run() (another thread may stop a loop whose
  // thread has not reached run() yet) ends it after one round; once run() returns, the loop can
  // run again. Returns 0.
  int run();
  // Runs one round: waits at most timeoutMs for I/O, then fires due timers.
  void runOnce(int timeoutMs);
  // Thread-safe.
  void stop();

 private:
  class Wakeup;
  class SignalSource;
  const Clock& clock_;
  int epfd_ = -1;
  TimingWheel wheel_;
  std::vector<std::function<void()>> flushHooks_;
  Wakeup* wakeup_ = nullptr;
  SignalSource* signals_ = nullptr;
  std::atomic<bool> stopping_{false};  // set by stop() from any thread
};

}  // namespace tandem
