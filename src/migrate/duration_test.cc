// parseDuration and formatDuration: accepted forms and each error's exact text.
#include "migrate/duration.h"

#include <gtest/gtest.h>

namespace tandem::migrate {
namespace {

using std::chrono::milliseconds;

milliseconds ok(std::string_view text) {
  auto d = parseDuration(text);
  EXPECT_TRUE(d) << d.message();
  return d ? *d : milliseconds(-1);
}

std::string error(std::string_view text) {
  auto d = parseDuration(text);
  EXPECT_FALSE(d) << text;
  return d ? std::string() : d.message();
}

TEST(ParseDuration, SingleUnits) {
  EXPECT_EQ(ok("15s"), milliseconds(15'000));
  EXPECT_EQ(ok("2m"), milliseconds(120'000));
  EXPECT_EQ(ok("4h"), milliseconds(4 * 3'600'000));
  EXPECT_EQ(ok("250ms"), milliseconds(250));
  EXPECT_EQ(ok("0s"), milliseconds(0));
}

TEST(ParseDuration, CompoundLargestFirst) {
  EXPECT_EQ(ok("1h30m"), milliseconds(5'400'000));
  EXPECT_EQ(ok("1m30s"), milliseconds(90'000));
  EXPECT_EQ(ok("1s500ms"), milliseconds(1'500));
}

TEST(ParseDuration, EmptyIsAnError) {
  EXPECT_EQ(error(""), "invalid duration \"\": empty (expected e.g. 15s, 2m or 4h)");
}

TEST(ParseDuration, MissingUnitIsAnError) {
  EXPECT_EQ(error("15"),
            "invalid duration \"15\": missing unit after 15 (use ms, s, m or h, e.g. 15s)");
}

TEST(ParseDuration, UnknownUnitIsAnError) {
  EXPECT_EQ(error("5d"), "invalid duration \"5d\": unknown unit \"d\" (use ms, s, m or h)");
  EXPECT_EQ(error("5S"), "invalid duration \"5S\": unknown unit \"S\" (use ms, s, m or h)");
  EXPECT_EQ(error("5 s"), "invalid duration \"5 s\": unknown unit \" s\" (use ms, s, m or h)");
}

TEST(ParseDuration, NegativeIsAnError) {
  EXPECT_EQ(error("-1s"), "invalid duration \"-1s\": expected digits, got \"-\"");
}

TEST(ParseDuration, UnitsOutOfOrderOrRepeatedAreErrors) {
  EXPECT_EQ(error("1s2h"),
            "invalid duration \"1s2h\": units must go from largest to smallest, each once");
  EXPECT_EQ(error("1m1m"),
            "invalid duration \"1m1m\": units must go from largest to smallest, each once");
}

TEST(ParseDuration, OverAThousandHoursIsAnError) {
  EXPECT_EQ(ok("1000h"), milliseconds(int64_t{1000} * 3'600'000));
  EXPECT_EQ(error("1001h"), "invalid duration \"1001h\": longer than 1000h");
  EXPECT_EQ(error("99999999999999999999s"),
            "invalid duration \"99999999999999999999s\": longer than 1000h");
}

TEST(FormatDuration, PicksAReadableForm) {
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(formatDuration(milliseconds(-5)), "0s");
  EXPECT_EQ(formatDuration(milliseconds(400)), "0.4s");
  EXPECT_EQ(formatDuration(milliseconds(3'500)), "3.5s");
  EXPECT_EQ(formatDuration(milliseconds(45'000)), "45s");
  EXPECT_EQ(formatDuration(milliseconds(125'000)), "2m05s");
  EXPECT_EQ(formatDuration(milliseconds(4 * 3'600'000)), "4h00m");
  EXPECT_EQ(formatDuration(milliseconds(3'720'000)), "1h02m");
}

}  // namespace
}  // namespace tandem::migrate
