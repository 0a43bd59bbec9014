// epoll loop with an eventfd for cross-thread stop and signalfd for signals.
#include "core/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace tandem {

class EventLoop::Wakeup final : public EventHandler {
 public:
  explicit Wakeup(EventLoop* loop) : loop_(loop), fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Wakeup() override {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }
  void poke() {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof(one));
  }
  void onEvent(uint32_t) override {
    uint64_t v;
    while (read(fd_, &v, sizeof(v)) > 0) {
    }
    (void)loop_;
  }

 private:
  EventLoop* loop_;
  int fd_;
};

class EventLoop::SignalSource final : public EventHandler {
 public:
  SignalSource(int fd, std::function<void(int)> fn) : fd_(fd), fn_(std::move(fn)) {}
  ~SignalSource() override { close(fd_); }
  int fd() const { return fd_; }
  void onEvent(uint32_t) override {
    signalfd_siginfo info{};
    while (read(fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
      fn_(static_cast<int>(info.ssi_signo));
    }
  }

 private:
  int fd_;
  std::function<void(int)> fn_;
};

EventLoop::EventLoop(const Clock& clock)
    : clock_(clock), epfd_(epoll_create1(EPOLL_CLOEXEC)), wheel_(clock.nowMs()) {
  wakeup_ = new Wakeup(this);
  add(wakeup_->fd(), EPOLLIN, wakeup_);
}

EventLoop::~EventLoop() {
  delete signals_;
  delete wakeup_;
  if (epfd_ >= 0) close(epfd_);
}

bool EventLoop::add(int fd, uint32_t events, EventHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EventLoop::modify(int fd, uint32_t events, EventHandler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EventLoop::remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

bool EventLoop::handleSignals(const std::vector<int>& signals, std::function<void(int)> fn) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : signals) sigaddset(&mask, s);
  if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) return false;
  int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return false;
  delete signals_;
  signals_ = new SignalSource(fd, std::move(fn));
  return add(fd, EPOLLIN, signals_);
}

void EventLoop::runOnce(int timeoutMs) {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  int wait = wheel_.msUntilNextTick(clock_.nowMs());
  if (wait < 0 || (timeoutMs >= 0 && timeoutMs < wait)) wait = timeoutMs;
  int n = epoll_wait(epfd_, events, kMaxEvents, wait);
  for (int i = 0; i < n; ++i) {
    static_cast<EventHandler*>(events[i].data.ptr)->onEvent(events[i].events);
  }
  wheel_.advance(clock_.nowMs());
  for (auto& hook : flushHooks_) hook();
}

int EventLoop::run() {
  // The flag is cleared on the way out, not on the way in, so that a stop() issued before run()
  // starts is not lost.
  while (!stopping_.load()) runOnce(-1);
  stopping_.store(false);
  return 0;
}

void EventLoop::stop() {
  stopping_.store(true);
  wakeup_->poke();
}

}  // namespace tandem
