#include "core/event_loop.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <thread>

namespace tandem {
namespace {

struct PipeReader : EventHandler {
  int fd;
  int reads = 0;
  void onEvent(uint32_t) override {
    char buf[16];
    if (read(fd, buf, sizeof(buf)) > 0) ++reads;
  }
};

TEST(EventLoop, DispatchesReadableFd) {
  EventLoop loop;
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  PipeReader r;
  r.fd = p[0];
  ASSERT_TRUE(loop.add(p[0], EPOLLIN, &r));
  ASSERT_EQ(write(p[1], "x", 1), 1);
  loop.runOnce(100);
  EXPECT_EQ(r.reads, 1);
  loop.remove(p[0]);
  close(p[0]);
  close(p[1]);
}

TEST(EventLoop, FiresTimersAndFlushHooks) {
  EventLoop loop;
  int fired = 0;
  int flushes = 0;
  loop.addFlushHook([&] { ++flushes; });
  loop.timers().schedule(20,
                         TimerTask{[](void* c, uint64_t) { ++*static_cast<int*>(c); }, &fired, 0});
  for (int i = 0; i < 20 && fired == 0; ++i) loop.runOnce(50);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(flushes, 1);
}

TEST(EventLoop, StopEndsRun) {
  EventLoop loop;
  loop.timers().schedule(
      10, TimerTask{[](void* c, uint64_t) { static_cast<EventLoop*>(c)->stop(); }, &loop, 0});
  EXPECT_EQ(loop.run(), 0);
}

TEST(EventLoop, StopBeforeRunIsNotLostAndTheLoopRunsAgainAfterwards) {
  EventLoop loop;
  std::thread stopper([&loop] { loop.stop(); });
  stopper.join();
  EXPECT_EQ(loop.run(), 0);  // returns instead of blocking forever
  int fired = 0;
  loop.timers().schedule(10,
                         TimerTask{[](void* c, uint64_t) { ++*static_cast<int*>(c); }, &fired, 0});
  loop.timers().schedule(
      30, TimerTask{[](void* c, uint64_t) { static_cast<EventLoop*>(c)->stop(); }, &loop, 0});
  EXPECT_EQ(loop.run(), 0);  // the earlier stop() does not end this run before its timers
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace tandem
