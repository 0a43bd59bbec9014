#include "edge/dialogs.h"

#include <gtest/gtest.h>

#include <vector>

namespace tandem::edge {
namespace {

class DialogTest : public ::testing::Test {
 protected:
  void advance(uint64_t ms) {
    for (uint64_t t = 0; t < ms; t += 100) {
      clock_.advance(100);
      loop_.runOnce(0);
    }
  }
  ManualClock clock_{0};
  EventLoop loop_{clock_};
  std::vector<int> started_, endedOn_;
  DialogTable table_{loop_, DialogTimeouts{1000, 10000}, [this](int d) { started_.push_back(d); },
                     [this](int d) { endedOn_.push_back(d); }};
};

TEST_F(DialogTest, ConfirmedCallCountsUntilBye) {
  table_.confirm("c1", "ft", "tt", 3);
  table_.confirm("c1", "ft", "tt", 3);  // a 2xx retransmission
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_EQ(table_.activeOn(3), 1u);
  EXPECT_EQ(started_, std::vector<int>{3});
  table_.acked("c1", "ft", "tt");
  EXPECT_TRUE(table_.ended("c1", "tt", "ft"));  // BYE from the callee: tags swapped
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(endedOn_, std::vector<int>{3});
  EXPECT_FALSE(table_.ended("c1", "ft", "tt"));
}

TEST_F(DialogTest, UnacknowledgedDialogExpires) {
  table_.confirm("c1", "ft", "tt", 1);
  advance(1100);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.expired(), 1u);
  EXPECT_EQ(endedOn_, std::vector<int>{1});
}

TEST_F(DialogTest, AckedDialogLivesUntilLifetime) {
  table_.confirm("c1", "ft", "tt", 1);
  table_.acked("c1", "ft", "tt");
  advance(5000);
  EXPECT_EQ(table_.size(), 1u);
  advance(5200);
  EXPECT_EQ(table_.size(), 0u);
  EXPECT_EQ(table_.expired(), 1u);
}

TEST_F(DialogTest, ListsOldestFirst) {
  table_.confirm("a", "1", "2", 0);
  advance(200);
  table_.confirm("b", "1", "2", 1);
  auto l = table_.list();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].callId, "a");
  EXPECT_EQ(l[1].destination, 1);
}

}  // namespace
}  // namespace tandem::edge
