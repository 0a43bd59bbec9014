// Tests for the dispatcher.list reader: accepted forms, attributes, flags, and every error text.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "dispatcher/dispatcher.h"

namespace tandem::dispatcher {
namespace {

// Parses text that must be valid.
std::vector<Destination> parseOk(std::string_view text) {
  auto r = parseList(text, "dispatcher.list");
  EXPECT_TRUE(r.isOk()) << r.message();
  return r.isOk() ? std::move(r).value() : std::vector<Destination>{};
}

// Parses text that must fail and returns the error text.
std::string parseError(std::string_view text) {
  auto r = parseList(text, "dispatcher.list");
  EXPECT_FALSE(r.isOk());
  return r.isOk() ? std::string() : r.message();
}

TEST(ListFileTest, ParsesFullLineAndOptionalFields) {
  auto dests = parseOk(
      "# media nodes\n"
      "\n"
      "1 sip:10.0.1.30:5060 0 5 weight=50;duid=fs01\n"
      "  1\tsip:10.0.1.31:5060   2\n"
      "2 sip:pool.example.com;transport=tcp\n");
  ASSERT_EQ(dests.size(), 3u);

  EXPECT_EQ(dests[0].setId, 1u);
  EXPECT_EQ(dests[0].uri, "sip:10.0.1.30:5060");
  EXPECT_EQ(dests[0].flags, 0u);
  EXPECT_EQ(dests[0].priority, 5);
  EXPECT_EQ(dests[0].attrs.weight, 50u);
  EXPECT_EQ(dests[0].attrs.duid, "fs01");
  EXPECT_EQ(dests[0].line, 3u);
  EXPECT_EQ(dests[0].state, State::kActive);
  EXPECT_EQ(dests[0].activeCalls, 0u);

  EXPECT_EQ(dests[1].uri, "sip:10.0.1.31:5060");
  EXPECT_EQ(dests[1].flags, 2u);
  EXPECT_EQ(dests[1].priority, 0);
  EXPECT_EQ(dests[1].state, State::kTrying);
  EXPECT_EQ(dests[1].line, 4u);

  EXPECT_EQ(dests[2].setId, 2u);
  EXPECT_EQ(dests[2].uri, "sip:pool.example.com;transport=tcp");
  EXPECT_EQ(dests[2].flags, 0u);
  EXPECT_TRUE(dests[2].attrs.raw.empty());
  EXPECT_TRUE(dests[2].attrs.items.empty());
}

TEST(ListFileTest, EmptyAndCommentOnlyTextGivesNoDestinations) {
  EXPECT_TRUE(parseOk("").empty());
  EXPECT_TRUE(parseOk("# nothing here\n\n   \n\t# indented comment\n").empty());
}

TEST(ListFileTest, CommentsEndLinesAnywhere) {
  auto dests = parseOk(
      "1 sip:a.example.com 0 0 weight=10 # trailing comment\n"
      "1 sip:b.example.com#no blank before the comment\n");
  ASSERT_EQ(dests.size(), 2u);
  EXPECT_EQ(dests[0].attrs.raw, "weight=10");
  EXPECT_EQ(dests[1].uri, "sip:b.example.com");
}

TEST(ListFileTest, AcceptsCrlfAndNoFinalNewline) {
  auto dests = parseOk("1 sip:a 0 1\r\n1 sip:b 0 2");
  ASSERT_EQ(dests.size(), 2u);
  EXPECT_EQ(dests[0].priority, 1);
  EXPECT_EQ(dests[1].uri, "sip:b");
  EXPECT_EQ(dests[1].priority, 2);
}

TEST(ListFileTest, NegativePriorityIsAccepted) {
  auto dests = parseOk("1 sip:a 0 -3\n");
  ASSERT_EQ(dests.size(), 1u);
  EXPECT_EQ(dests[0].priority, -3);
}

TEST(ListFileTest, AttrsKnownKeysUnknownKeysAndRaw) {
  auto dests = parseOk(
      "1 sip:a 0 0 "
      "weight=50;duid=fs01;maxload=20;rweight=30;socket=udp:10.0.0.1:5060;"
      "ping_from=sip:ping@lb;cc=1;x-site=\"eu\";flag;\n");
  ASSERT_EQ(dests.size(), 1u);
  const Attrs& a = dests[0].attrs;
  EXPECT_EQ(a.raw,
            "weight=50;duid=fs01;maxload=20;rweight=30;socket=udp:10.0.0.1:5060;"
            "ping_from=sip:ping@lb;cc=1;x-site=\"eu\";flag");
  EXPECT_EQ(a.weight, 50u);
  EXPECT_EQ(a.duid, "fs01");
  EXPECT_EQ(a.maxload, 20u);
  EXPECT_EQ(a.rweight, 30u);
  EXPECT_EQ(a.socket, "udp:10.0.0.1:5060");
  EXPECT_EQ(a.pingFrom, "sip:ping@lb");

  std::vector<std::pair<std::string, std::string>> expected = {
      {"weight", "50"},
      {"duid", "fs01"},
      {"maxload", "20"},
      {"rweight", "30"},
      {"socket", "udp:10.0.0.1:5060"},
      {"ping_from", "sip:ping@lb"},
      {"cc", "1"},
      {"x-site", "eu"},
      {"flag", ""},
  };
  EXPECT_EQ(a.items, expected);
  EXPECT_EQ(a.find("cc"), "1");
  EXPECT_EQ(a.find("X-SITE"), "eu");
  EXPECT_EQ(a.find("flag"), "");
  EXPECT_EQ(a.find("missing"), std::nullopt);
}

TEST(ListFileTest, AttrKeysAreCaseInsensitiveAndLastWins) {
  auto dests = parseOk("1 sip:a 0 0 WEIGHT=10;Duid=x;weight=20;;duid=y\n");
  ASSERT_EQ(dests.size(), 1u);
  EXPECT_EQ(dests[0].attrs.weight, 20u);
  EXPECT_EQ(dests[0].attrs.duid, "y");
  EXPECT_EQ(dests[0].attrs.find("weight"), "20");
  EXPECT_EQ(dests[0].attrs.items.size(), 4u);
}

TEST(ListFileTest, FlagsGiveInitialState) {
  auto dests = parseOk(
      "1 sip:f0 0\n"
      "1 sip:f1 1\n"
      "1 sip:f2 2\n"
      "1 sip:f4 4\n"
      "1 sip:f5 5\n"
      "1 sip:f3 3\n"
      "1 sip:f8 8\n"
      "1 sip:f48 48\n"
      "1 sip:f9 9\n");
  ASSERT_EQ(dests.size(), 9u);
  EXPECT_EQ(dests[0].state, State::kActive);
  EXPECT_EQ(dests[1].state, State::kInactive);
  EXPECT_EQ(dests[2].state, State::kTrying);
  EXPECT_EQ(dests[3].state, State::kDisabled);
  EXPECT_EQ(dests[4].state, State::kDisabled);  // disabled wins over inactive
  EXPECT_EQ(dests[5].state, State::kInactive);  // inactive wins over trying
  EXPECT_EQ(dests[6].state, State::kActive);
  EXPECT_TRUE(dests[6].probing());
  EXPECT_EQ(dests[7].state, State::kActive);  // skip DNS + never ping: no state bits
  EXPECT_FALSE(dests[7].probing());
  EXPECT_EQ(dests[8].state, State::kInactive);
  EXPECT_TRUE(dests[8].probing());
}

TEST(ListFileTest, SetIdNotANumber) {
  EXPECT_EQ(parseError("1 sip:a\n\nx sip:b\n"),
            "dispatcher.list:3: setid must be a positive integer, got \"x\"");
}

TEST(ListFileTest, SetIdZero) {
  EXPECT_EQ(parseError("0 sip:a\n"),
            "dispatcher.list:1: setid must be a positive integer, got \"0\"");
}

TEST(ListFileTest, SetIdNegative) {
  EXPECT_EQ(parseError("-1 sip:a\n"),
            "dispatcher.list:1: setid must be a positive integer, got \"-1\"");
}

TEST(ListFileTest, SetIdTrailingGarbage) {
  EXPECT_EQ(parseError("1a sip:a\n"),
            "dispatcher.list:1: setid must be a positive integer, got \"1a\"");
}

TEST(ListFileTest, SetIdTooLarge) {
  EXPECT_EQ(parseError("4294967296 sip:a\n"),
            "dispatcher.list:1: setid must be a positive integer, got \"4294967296\"");
}

TEST(ListFileTest, MissingDestination) {
  EXPECT_EQ(parseError("# sets\n7   # no uri\n"),
            "dispatcher.list:2: missing destination after setid 7");
}

TEST(ListFileTest, FlagsNotANumber) {
  EXPECT_EQ(parseError("1 sip:a x\n"),
            "dispatcher.list:1: flags must be an integer from 0 to 63, got \"x\"");
}

TEST(ListFileTest, FlagsOutOfRange) {
  EXPECT_EQ(parseError("1 sip:a 64\n"),
            "dispatcher.list:1: flags must be an integer from 0 to 63, got \"64\"");
}

TEST(ListFileTest, PriorityNotANumber) {
  EXPECT_EQ(parseError("1 sip:a 0 high\n"),
            "dispatcher.list:1: priority must be an integer, got \"high\"");
}

TEST(ListFileTest, WeightZero) {
  EXPECT_EQ(parseError("1 sip:a 0 0 weight=0\n"),
            "dispatcher.list:1: weight must be an integer from 1 to 100, got \"0\"");
}

TEST(ListFileTest, WeightAboveHundred) {
  EXPECT_EQ(parseError("1 sip:a 0 0 duid=x;weight=101\n"),
            "dispatcher.list:1: weight must be an integer from 1 to 100, got \"101\"");
}

TEST(ListFileTest, WeightEmpty) {
  EXPECT_EQ(parseError("1 sip:a 0 0 weight=\n"),
            "dispatcher.list:1: weight must be an integer from 1 to 100, got \"\"");
}

TEST(ListFileTest, RweightNotANumber) {
  EXPECT_EQ(parseError("1 sip:a 0 0 rweight=lots\n"),
            "dispatcher.list:1: rweight must be an integer from 1 to 100, got \"lots\"");
}

TEST(ListFileTest, MaxloadNegative) {
  EXPECT_EQ(parseError("1 sip:a 0 0 maxload=-1\n"),
            "dispatcher.list:1: maxload must be a non-negative integer, got \"-1\"");
}

TEST(ListFileTest, AttributeWithoutName) {
  EXPECT_EQ(parseError("1 sip:a 0 0 duid=x;=5\n"),
            "dispatcher.list:1: attribute without a name in \"duid=x;=5\"");
}

TEST(ListFileTest, FieldAfterAttrs) {
  EXPECT_EQ(parseError("1 sip:a 0 0 weight=5 extra\n"),
            "dispatcher.list:1: unexpected field after attrs: \"extra\"");
}

TEST(ListFileTest, ErrorNamesTheGivenFileName) {
  auto r = parseList("1 sip:a x\n", "/etc/tandem/dispatcher.list");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(),
            "/etc/tandem/dispatcher.list:1: flags must be an integer from 0 to 63, got \"x\"");
}

TEST(ListFileTest, LoadListFileReadsFile) {
  std::string path = ::testing::TempDir() + "/tandem_dispatcher_load.list";
  {
    std::ofstream f(path);
    f << "# test\n2 sip:10.0.0.2 0 1 duid=b\n1 sip:10.0.0.1\n";
  }
  auto r = loadListFile(path);
  ASSERT_TRUE(r.isOk()) << r.message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].uri, "sip:10.0.0.2");
  EXPECT_EQ((*r)[0].attrs.duid, "b");
  EXPECT_EQ((*r)[1].line, 3u);
  std::remove(path.c_str());
}

TEST(ListFileTest, LoadListFileErrorsCarryPath) {
  std::string path = ::testing::TempDir() + "/tandem_dispatcher_bad.list";
  {
    std::ofstream f(path);
    f << "1 sip:a\n1 sip:b 0 0 weight=500\n";
  }
  auto r = loadListFile(path);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(), path + ":2: weight must be an integer from 1 to 100, got \"500\"");
  std::remove(path.c_str());
}

TEST(ListFileTest, LoadListFileMissing) {
  std::string path = ::testing::TempDir() + "/tandem_dispatcher_missing.list";
  auto r = loadListFile(path);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.message(), path + ": cannot open: No such file or directory");
}

}  // namespace
}  // namespace tandem::dispatcher
