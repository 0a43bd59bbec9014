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
  EXPECT_EQ(c.message(),
            "edge.toml: dispatcher.list_file: is required without a store (sets come from the "
            "dispatcher table)");
}

TEST(EdgeConfig, UnknownStageIsAnError) {
  auto c = parseConfig(std::string(kMinimal) + "[log]\nlevel = \"info\"\n", "e.toml");
  ASSERT_TRUE(c);
  auto bad = parseConfig(
      "[edge]\npipeline = [\"sanity\", \"magic\"]\n[dispatcher]\nlist_file = \"x\"\n", "e.toml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.message(),
            "e.toml:2: edge.pipeline[1]: unknown stage \"magic\" (known: sanity, maxfwd, "
            "options, auth, registrar, in_dialog, did, location, trunk, relay_check, tenant, "
            "dispatcher)");
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

TEST(EdgeConfig, StoreSwitchesToTheStorePipeline) {
  auto c = parseConfig(
      "[edge]\nlisten = [\"udp:127.0.0.1:5060\"]\n[store]\nurl = \"sqlite:///var/lib/t.db\"\n",
      "e.toml");
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->pipeline, storePipeline());
  EXPECT_EQ(c->store.journal, "/var/lib/t.db.tandem-journal");
  EXPECT_TRUE(c->dispatcher.listFile.empty());  // sets come from the store
  EXPECT_EQ(c->registrar.minExpires, 60u);
  EXPECT_EQ(c->auth.algorithms, (std::vector<std::string>{"MD5"}));
}

TEST(EdgeConfig, StoreStagesNeedAStore) {
  auto c = parseConfig(
      "[edge]\npipeline = [\"sanity\", \"registrar\"]\n[dispatcher]\nlist_file = \"x\"\n",
      "e.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "e.toml:2: edge.pipeline[1]: stage \"registrar\" needs a database: set store.url");
}

TEST(EdgeConfig, PostgresNeedsAJournal) {
  auto c =
      parseConfig(std::string(kMinimal) + "[store]\nurl = \"postgresql://db/tandem\"\n", "e.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "e.toml:5: store.journal: is required with a PostgreSQL store (a local file that keeps "
            "bindings written while the database is unreachable)");
}

TEST(EdgeConfig, AuthAndRegistrarValuesAreChecked) {
  auto c = parseConfig(std::string(kMinimal) +
                           "[auth]\nalgorithms = [\"MD5-sess\"]\nmethods = [\"ack\"]\n"
                           "[registrar]\nmin_expires = 600\nmax_expires = 300\n",
                       "e.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "e.toml:6: auth.algorithms[0]: unknown algorithm \"MD5-sess\" (MD5, SHA-256)\n"
            "e.toml:7: auth.methods[0]: ACK cannot be challenged (RFC 3261 §22.1)\n"
            "e.toml:10: registrar.max_expires: must not be smaller than min_expires\n"
            "e.toml:8: registrar.default_expires: must lie between min_expires and max_expires");
}

}  // namespace
}  // namespace tandem::edge
