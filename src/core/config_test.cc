#include "core/config.h"

#include <gtest/gtest.h>

namespace tandem {
namespace {

std::unique_ptr<ConfigReader> parse(std::string_view text) {
  auto r = ConfigReader::parse(text, "edge.toml");
  EXPECT_TRUE(r) << r.message();
  return std::move(r).value();
}

TEST(Config, ReadsTypedValuesAndDefaults) {
  auto r = parse("[edge]\nname = \"a\"\nport = 5\non = true\nlist = [\"x\", \"y\"]\n");
  auto s = r->section("edge");
  EXPECT_EQ(s.getString("name", "z"), "a");
  EXPECT_EQ(s.getInt("port", 0, 0, 10), 5);
  EXPECT_TRUE(s.getBool("on", false));
  EXPECT_EQ(s.getStringList("list", {}), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(s.getInt("absent", 42, 0, 100), 42);
  r->rejectUnknown();
  EXPECT_TRUE(r->status());
}

TEST(Config, SyntaxErrorNamesFileLineColumn) {
  auto r = ConfigReader::parse("[edge]\nlisten = [\"udp:1.2.3.4\"\n", "edge.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "edge.toml:2:25: Error while parsing array: encountered end-of-file");
}

TEST(Config, WrongTypeNamesLineAndKey) {
  auto r = parse("[edge]\n\nrecord_route = \"yes\"\n");
  auto s = r->section("edge");
  s.getBool("record_route", true);
  EXPECT_EQ(r->status().message(), "edge.toml:3: edge.record_route: expected true or false");
}

TEST(Config, OutOfRangeInteger) {
  auto r = parse("[timers]\nt1 = -5\n");
  auto s = r->section("timers");
  EXPECT_EQ(s.getInt("t1", 500, 1, 10000), 500);
  EXPECT_EQ(r->status().message(), "edge.toml:2: timers.t1: value -5 out of range [1, 10000]");
}

TEST(Config, ListItemErrorNamesIndex) {
  auto r = parse("[edge]\nlisten = [\"a\",\n  3]\n");
  auto s = r->section("edge");
  s.getStringList("listen", {});
  EXPECT_EQ(r->status().message(), "edge.toml:3: edge.listen[1]: expected a string");
}

TEST(Config, UnknownKeysAndSectionsAreErrors) {
  auto r = parse("[edge]\nlsten = 1\n[bogus]\nx = 1\n");
  r->section("edge");
  r->rejectUnknown();
  EXPECT_EQ(r->status().message(),
            "edge.toml:3: bogus: unknown section\nedge.toml:2: edge.lsten: unknown key");
}

}  // namespace
}  // namespace tandem
