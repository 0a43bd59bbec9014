#include "core/timing_wheel.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem {
namespace {

struct Recorder {
  std::vector<uint64_t> fired;
  static void fire(void* ctx, uint64_t arg) { static_cast<Recorder*>(ctx)->fired.push_back(arg); }
  TimerTask task(uint64_t arg) { return TimerTask{&Recorder::fire, this, arg}; }
};

TEST(TimingWheel, FiresNoEarlierThanDelay) {
  TimingWheel w(0, 10, 64);
  Recorder r;
  w.schedule(500, r.task(1));
  w.advance(490);
  EXPECT_TRUE(r.fired.empty());
  w.advance(500);
  ASSERT_EQ(r.fired.size(), 1u);
  EXPECT_EQ(w.pending(), 0u);
}

TEST(TimingWheel, DelaysBeyondOneRevolutionWaitExtraRounds) {
  TimingWheel w(0, 10, 8);  // one revolution = 80 ms
  Recorder r;
  w.schedule(250, r.task(7));
  w.advance(90);
  w.advance(170);
  EXPECT_TRUE(r.fired.empty());
  w.advance(250);
  EXPECT_EQ(r.fired, std::vector<uint64_t>{7});
}

TEST(TimingWheel, CancelledTimerNeverFires) {
  TimingWheel w(0);
  Recorder r;
  TimerId a = w.schedule(100, r.task(1));
  w.schedule(100, r.task(2));
  EXPECT_TRUE(w.cancel(a));
  EXPECT_FALSE(w.cancel(a));  // stale id is harmless
  w.advance(1000);
  EXPECT_EQ(r.fired, std::vector<uint64_t>{2});
}

TEST(TimingWheel, StaleIdDoesNotCancelReusedNode) {
  TimingWheel w(0);
  Recorder r;
  TimerId a = w.schedule(10, r.task(1));
  w.advance(20);
  TimerId b = w.schedule(10, r.task(2));  // reuses the node
  EXPECT_NE(a, b);
  EXPECT_FALSE(w.cancel(a));
  w.advance(40);
  EXPECT_EQ(r.fired, (std::vector<uint64_t>{1, 2}));
}

struct Rescheduler {
  TimingWheel* wheel;
  int count = 0;
  static void fire(void* ctx, uint64_t) {
    auto* self = static_cast<Rescheduler*>(ctx);
    if (++self->count < 3) self->wheel->schedule(50, TimerTask{&Rescheduler::fire, self, 0});
  }
};

TEST(TimingWheel, TaskMayScheduleAgain) {
  TimingWheel w(0);
  Rescheduler r{&w};
  w.schedule(50, TimerTask{&Rescheduler::fire, &r, 0});
  for (uint64_t t = 0; t <= 1000; t += 10) w.advance(t);
  EXPECT_EQ(r.count, 3);
}

TEST(TimingWheel, ManyTimersFireInTheirTicks) {
  TimingWheel w(0, 10, 256);
  Recorder r;
  for (uint64_t i = 1; i <= 10000; ++i) w.schedule(i, r.task(i));
  w.advance(5000);
  EXPECT_EQ(r.fired.size(), 5000u);
  w.advance(10000);
  EXPECT_EQ(r.fired.size(), 10000u);
}

}  // namespace
}  // namespace tandem
