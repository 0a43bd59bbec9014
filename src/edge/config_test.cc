#include "edge/config.h"

#include <gtest/gtest.h>

namespace tandem::edge {
namespace {

constexpr const char* kMinimal = R"([edge]
listen = ["udp:127.0.0.1:5060"]
[dispatcher]
list_file = "dispatcher.list"
)";

TEST(EdgeConfig, DefaultsMatchKamailioHabits) {
  auto c = parseConfig(kMinimal, "/etc/tandem/edge.toml");
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->dispatcher.listFile, "/etc/tandem/dispatcher.list");
  EXPECT_EQ(c->dispatcher.set, 1);
  EXPECT_EQ(c->dispatcher.algorithm, 4);
  EXPECT_EQ(c->timers.t1, 500u);
  EXPECT_EQ(c->timers.t2, 4000u);
  EXPECT_EQ(c->timers.frTimer, 30000u);
  EXPECT_EQ(c->timers.frInvTimer, 120000u);
  EXPECT_TRUE(c->recordRoute);
  EXPECT_EQ(c->pipeline, defaultPipeline());
}

TEST(EdgeConfig, BadListenAddressNamesLineAndIndex) {
  auto c = parseConfig(
      "[edge]\nlisten = [\"udp:127.0.0.1:5060\",\n  \"sctp:127.0.0.1:5060\"]\n"
      "[dispatcher]\nlist_file = \"d.list\"\n",
      "edge.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "edge.toml:3: edge.listen[1]: unknown transport \"sctp\" (udp or tcp)");
}

TEST(EdgeConfig, MissingListFileIsAnError) {
  auto c = parseConfig("[edge]\nlisten = [\"udp:127.0.0.1:5060\"]\n", "edge.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "edge.toml: dispatcher.list_file: is required");
}

TEST(EdgeConfig, UnknownStageIsAnError) {
  auto c = parseConfig(std::string(kMinimal) + "[log]\nlevel = \"info\"\n", "e.toml");
  ASSERT_TRUE(c);
  auto bad = parseConfig(
      "[edge]\npipeline = [\"sanity\", \"magic\"]\n[dispatcher]\nlist_file = \"x\"\n", "e.toml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.message(),
            "e.toml:2: edge.pipeline[1]: unknown stage \"magic\" (known: sanity, maxfwd, "
            "options, in_dialog, relay_check, dispatcher)");
}

TEST(EdgeConfig, TimerOutOfRange) {
  auto c = parseConfig(std::string(kMinimal) + "[timers]\nfr_timer = 0\n", "e.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "e.toml:6: timers.fr_timer: value 0 out of range [1, 86400000]");
}

TEST(EdgeConfig, TypoInKeyIsReported) {
  auto c = parseConfig(std::string(kMinimal) + "[timers]\nfr_timmer = 100\n", "e.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "e.toml:6: timers.fr_timmer: unknown key");
}

TEST(EdgeConfig, WildcardListenNeedsAdvertise) {
  auto c = parseConfig("[edge]\nlisten = [\"udp:0.0.0.0:5060\"]\n[dispatcher]\nlist_file = \"x\"\n",
                       "e.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "e.toml:2: edge.listen: a wildcard listen address needs edge.advertise (the address "
            "peers reach)");
}

}  // namespace
}  // namespace tandem::edge
