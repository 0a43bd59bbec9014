// Tests for destination sets, states and the selection algorithms.
#include "dispatcher/dispatcher.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "dispatcher/hash.h"

namespace tandem::dispatcher {
namespace {

Dispatcher makeDispatcher(std::string_view list, uint64_t seed = 42) {
  auto r = parseList(list, "test.list");
  EXPECT_TRUE(r.isOk()) << r.message();
  return Dispatcher(r.isOk() ? std::move(r).value() : std::vector<Destination>{}, seed);
}

// URIs of a selection, for readable expectations.
std::vector<std::string> uris(const Dispatcher& d, const std::vector<DestIndex>& out) {
  std::vector<std::string> u;
  for (DestIndex i : out) u.push_back(d.destination(i).uri);
  return u;
}

// The first URI select() picks, or "" when it picks none.
std::string pick(Dispatcher& d, uint32_t set, Algorithm alg, const SelectKeys& keys = {}) {
  std::vector<DestIndex> out;
  Status s = d.select(set, alg, keys, 1, out);
  EXPECT_TRUE(s.isOk()) << s.message();
  return out.empty() ? std::string() : d.destination(out[0]).uri;
}

std::string callId(int i) { return "call-" + std::to_string(i) + "@10.0.0.9"; }

constexpr std::string_view kFive =
    "1 sip:a 0 0\n"
    "1 sip:b 0 0\n"
    "1 sip:c 0 0\n"
    "1 sip:d 0 0\n"
    "1 sip:e 0 0\n";

TEST(HashTest, FixedValuesNeverChange) {
  // Published FNV-1a 64 test vectors: a change here would remap every call after an upgrade.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(mix64(0), 0u);
  EXPECT_NE(mix64(1), 1u);
}

TEST(DispatcherTest, GroupsSetsAndOrdersByPriority) {
  Dispatcher d = makeDispatcher(
      "2 sip:x 0 0\n"
      "1 sip:low 0 1\n"
      "1 sip:high 0 9\n"
      "1 sip:mid1 0 5\n"
      "1 sip:mid2 0 5\n");
  ASSERT_EQ(d.sets().size(), 2u);
  EXPECT_EQ(d.sets()[0].id, 1u);
  EXPECT_EQ(d.sets()[0].size(), 4u);
  EXPECT_EQ(d.sets()[1].id, 2u);
  EXPECT_EQ(d.maxSetSize(), 4u);
  std::vector<std::string> set1;
  for (DestId id : d.members(d.sets()[0])) set1.push_back(d.destination(id).uri);
  EXPECT_EQ(set1, (std::vector<std::string>{"sip:high", "sip:mid1", "sip:mid2", "sip:low"}));
  EXPECT_EQ(d.destinations().size(), 5u);
}

TEST(DispatcherTest, Lookups) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n3 sip:a\n");
  ASSERT_NE(d.findSet(3), nullptr);
  EXPECT_EQ(d.findSet(3)->size(), 1u);
  EXPECT_EQ(d.findSet(2), nullptr);
  auto b = d.findDestination(1, "sip:b");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(d.destination(*b).uri, "sip:b");
  EXPECT_EQ(d.findDestination(1, "SIP:B"), b);
  auto a3 = d.findDestination(3, "sip:a");
  ASSERT_TRUE(a3.has_value());
  EXPECT_EQ(d.destination(*a3).setId, 3u);
  EXPECT_EQ(d.findDestination(3, "sip:b"), std::nullopt);
  EXPECT_EQ(d.findDestination(9, "sip:a"), std::nullopt);
}

TEST(DispatcherTest, EmptyDispatcher) {
  Dispatcher d(std::vector<Destination>{});
  EXPECT_TRUE(d.sets().empty());
  EXPECT_EQ(d.maxSetSize(), 0u);
  std::vector<DestIndex> out;
  EXPECT_EQ(d.select(1, Algorithm::kRoundRobin, {}, 0, out).message(), "unknown set 1");
}

TEST(SelectTest, UnknownSet) {
  Dispatcher d = makeDispatcher(kFive);
  std::vector<DestIndex> out{7};
  Status s = d.select(2, Algorithm::kRoundRobin, {}, 0, out);
  EXPECT_EQ(s.message(), "unknown set 2");
  EXPECT_TRUE(out.empty());
}

TEST(SelectTest, UnsupportedAlgorithms) {
  Dispatcher d = makeDispatcher(kFive);
  std::vector<DestIndex> out;
  for (int alg : {12, 14, 64, 99, -1}) {
    Status s = d.select(1, static_cast<Algorithm>(alg), {}, 0, out);
    EXPECT_EQ(s.message(), "algorithm " + std::to_string(alg) + " not supported yet");
    EXPECT_FALSE(checkAlgorithm(static_cast<Algorithm>(alg)).isOk());
  }
  for (int alg : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13}) {
    EXPECT_TRUE(checkAlgorithm(static_cast<Algorithm>(alg)).isOk()) << alg;
  }
}

TEST(SelectTest, HashAlgorithmsNeedTheirKey) {
  Dispatcher d = makeDispatcher(kFive);
  std::vector<DestIndex> out;
  EXPECT_EQ(d.select(1, Algorithm::kHashCallId, {}, 0, out).message(),
            "algorithm 0 needs a Call-ID");
  EXPECT_EQ(d.select(1, Algorithm::kHashFromUri, {}, 0, out).message(),
            "algorithm 1 needs a From URI");
  EXPECT_EQ(d.select(1, Algorithm::kHashToUri, {}, 0, out).message(), "algorithm 2 needs a To URI");
  EXPECT_EQ(d.select(1, Algorithm::kHashRuri, {}, 0, out).message(),
            "algorithm 3 needs a Request-URI");
  EXPECT_EQ(d.select(1, Algorithm::kWeight, {}, 0, out).message(), "algorithm 9 needs a Call-ID");
  EXPECT_EQ(d.select(1, Algorithm::kHashPv, {.callId = "x"}, 0, out).message(),
            "algorithm 7 needs a hash value");
  EXPECT_EQ(d.select(1, Algorithm::kRelativeWeight, {}, 0, out).message(),
            "algorithm 11 needs a Call-ID");
}

TEST(RoundRobinTest, ExactRotation) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n");
  std::vector<std::string> got;
  for (int i = 0; i < 7; ++i) got.push_back(pick(d, 1, Algorithm::kRoundRobin));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:a", "sip:b", "sip:c", "sip:a", "sip:b", "sip:c",
                                           "sip:a"}));
}

TEST(RoundRobinTest, RotatesOverUsableOnly) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n1 sip:d\n");
  ASSERT_TRUE(d.setState(1, "sip:b", State::kInactive).isOk());
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) got.push_back(pick(d, 1, Algorithm::kRoundRobin));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:a", "sip:c", "sip:d", "sip:a", "sip:c", "sip:d"}));
  // Back up: it rejoins the rotation at its place.
  ASSERT_TRUE(d.setState(1, "sip:b", State::kActive).isOk());
  got.clear();
  for (int i = 0; i < 4; ++i) got.push_back(pick(d, 1, Algorithm::kRoundRobin));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:a", "sip:b", "sip:c", "sip:d"}));
}

TEST(RoundRobinTest, RotationIsPerSet) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n2 sip:x\n2 sip:y\n2 sip:z\n");
  EXPECT_EQ(pick(d, 1, Algorithm::kRoundRobin), "sip:a");
  EXPECT_EQ(pick(d, 2, Algorithm::kRoundRobin), "sip:x");
  EXPECT_EQ(pick(d, 2, Algorithm::kRoundRobin), "sip:y");
  EXPECT_EQ(pick(d, 1, Algorithm::kRoundRobin), "sip:b");
  EXPECT_EQ(pick(d, 2, Algorithm::kRoundRobin), "sip:z");
  EXPECT_EQ(pick(d, 1, Algorithm::kRoundRobin), "sip:a");
}

TEST(RoundRobinTest, FailoverOrderAndLimit) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n1 sip:d\n");
  ASSERT_TRUE(d.setState(1, "sip:c", State::kDisabled).isOk());
  std::vector<DestIndex> out;
  ASSERT_TRUE(d.select(1, Algorithm::kRoundRobin, {}, 0, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:a", "sip:b", "sip:d"}));
  ASSERT_TRUE(d.select(1, Algorithm::kRoundRobin, {}, 0, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:b", "sip:d", "sip:a"}));
  ASSERT_TRUE(d.select(1, Algorithm::kRoundRobin, {}, 2, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:d", "sip:a"}));
  ASSERT_TRUE(d.select(1, Algorithm::kRoundRobin, {}, 10, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:a", "sip:b", "sip:d"}));
}

TEST(HashTest, SameKeySameDestinationAcrossCallsAndInstances) {
  Dispatcher d1 = makeDispatcher(kFive, 1);
  Dispatcher d2 = makeDispatcher(kFive, 999);
  for (Algorithm alg : {Algorithm::kHashCallId, Algorithm::kHashFromUri, Algorithm::kHashToUri,
                        Algorithm::kHashRuri, Algorithm::kHashAuthUser, Algorithm::kHashPv}) {
    for (int i = 0; i < 200; ++i) {
      std::string key = callId(i);
      SelectKeys keys{key, key, key, key, key, key};
      std::string first = pick(d1, 1, alg, keys);
      EXPECT_EQ(pick(d1, 1, alg, keys), first);
      EXPECT_EQ(pick(d2, 1, alg, keys), first);
    }
  }
}

TEST(HashTest, AssignmentDoesNotDependOnListOrder) {
  Dispatcher d1 = makeDispatcher(kFive);
  Dispatcher d2 = makeDispatcher("1 sip:e\n1 sip:c\n1 sip:a\n1 sip:d\n1 sip:b\n");
  for (int i = 0; i < 500; ++i) {
    std::string key = callId(i);
    EXPECT_EQ(pick(d1, 1, Algorithm::kHashCallId, {.callId = key}),
              pick(d2, 1, Algorithm::kHashCallId, {.callId = key}));
  }
}

constexpr std::string_view kWeightedPinned =
    "1 sip:a 0 0 weight=40\n"
    "1 sip:b 0 0 weight=35\n"
    "1 sip:c 0 0 weight=25\n";

TEST(HashTest, PinnedAssignments) {
  // Pinned outputs: the mapping must survive restarts and upgrades, or live calls would move.
  Dispatcher d = makeDispatcher(kFive);
  std::vector<std::string> got;
  for (int i = 0; i < 8; ++i)
    got.push_back(pick(d, 1, Algorithm::kHashCallId, {.callId = callId(i)}));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:d", "sip:d", "sip:a", "sip:e", "sip:b", "sip:b",
                                           "sip:c", "sip:e"}));

  Dispatcher w = makeDispatcher(kWeightedPinned);
  got.clear();
  for (int i = 0; i < 8; ++i) got.push_back(pick(w, 1, Algorithm::kWeight, {.callId = callId(i)}));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:a", "sip:a", "sip:a", "sip:a", "sip:b", "sip:b",
                                           "sip:c", "sip:a"}));
}

TEST(HashTest, EachAlgorithmHashesItsOwnKey) {
  Dispatcher d = makeDispatcher(kFive);
  // Keys that would land on different destinations differ per algorithm; the other fields are
  // ignored.
  for (int i = 0; i < 50; ++i) {
    std::string key = callId(i);
    std::string expected = pick(d, 1, Algorithm::kHashCallId, {.callId = key});
    EXPECT_EQ(pick(d, 1, Algorithm::kHashFromUri, {.callId = "other", .fromUri = key}), expected);
    EXPECT_EQ(pick(d, 1, Algorithm::kHashToUri, {.callId = "other", .toUri = key}), expected);
    EXPECT_EQ(pick(d, 1, Algorithm::kHashRuri, {.callId = "other", .ruri = key}), expected);
    EXPECT_EQ(pick(d, 1, Algorithm::kHashAuthUser, {.callId = "other", .authUser = key}), expected);
  }
}

TEST(HashTest, EvenSpread) {
  Dispatcher d = makeDispatcher(kFive);
  std::map<std::string, int> count;
  constexpr int kKeys = 10000;
  for (int i = 0; i < kKeys; ++i)
    ++count[pick(d, 1, Algorithm::kHashCallId, {.callId = callId(i)})];
  ASSERT_EQ(count.size(), 5u);
  for (const auto& [uri, n] : count) EXPECT_NEAR(n, kKeys / 5, kKeys * 3 / 100) << uri;
}

TEST(HashTest, MinimalMovementWhenOneGoesDown) {
  Dispatcher d = makeDispatcher(kFive);
  constexpr int kKeys = 10000;
  std::vector<std::string> before;
  for (int i = 0; i < kKeys; ++i) {
    before.push_back(pick(d, 1, Algorithm::kHashCallId, {.callId = callId(i)}));
  }
  ASSERT_TRUE(d.setState(1, "sip:c", State::kInactive).isOk());
  int moved = 0;
  std::map<std::string, int> movedTo;
  for (int i = 0; i < kKeys; ++i) {
    std::string now = pick(d, 1, Algorithm::kHashCallId, {.callId = callId(i)});
    EXPECT_NE(now, "sip:c");
    if (before[i] != "sip:c") {
      EXPECT_EQ(now, before[i]) << callId(i);
    } else {
      ++moved;
      ++movedTo[now];
    }
  }
  // The down destination's keys spread over all the others, not onto one neighbour.
  EXPECT_GT(moved, 0);
  EXPECT_EQ(movedTo.size(), 4u);
  for (const auto& [uri, n] : movedTo) EXPECT_NEAR(n, moved / 4, moved / 8) << uri;

  // And come back home when it recovers.
  ASSERT_TRUE(d.setState(1, "sip:c", State::kActive).isOk());
  for (int i = 0; i < kKeys; ++i) {
    EXPECT_EQ(pick(d, 1, Algorithm::kHashCallId, {.callId = callId(i)}), before[i]);
  }
}

TEST(HashTest, FailoverOrderIsWhereTheKeyGoesNext) {
  Dispatcher d = makeDispatcher(kFive);
  std::vector<DestIndex> out;
  for (int i = 0; i < 100; ++i) {
    std::string key = callId(i);
    ASSERT_TRUE(d.select(1, Algorithm::kHashCallId, {.callId = key}, 0, out).isOk());
    ASSERT_EQ(out.size(), 5u);
    std::vector<DestIndex> full = out;
    // Take the leader down: the runner-up becomes the pick, the rest keep their order.
    d.setState(full[0], State::kInactive);
    ASSERT_TRUE(d.select(1, Algorithm::kHashCallId, {.callId = key}, 0, out).isOk());
    EXPECT_EQ(out, std::vector<DestIndex>(full.begin() + 1, full.end()));
    d.setState(full[0], State::kActive);
    // A limit truncates the same order.
    ASSERT_TRUE(d.select(1, Algorithm::kHashCallId, {.callId = key}, 2, out).isOk());
    EXPECT_EQ(out, std::vector<DestIndex>(full.begin(), full.begin() + 2));
  }
}

TEST(HashAuthUserTest, FallsBackToRoundRobinWithoutCredentials) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n");
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(pick(d, 1, Algorithm::kHashAuthUser));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:a", "sip:b", "sip:c", "sip:a"}));
}

constexpr std::string_view kWeighted =
    "1 sip:a 0 0 weight=50\n"
    "1 sip:b 0 0 weight=30\n"
    "1 sip:c 0 0 weight=20\n";

TEST(WeightTest, DistributionFollowsWeights) {
  Dispatcher d = makeDispatcher(kWeighted);
  std::map<std::string, int> count;
  constexpr int kKeys = 10000;
  for (int i = 0; i < kKeys; ++i) ++count[pick(d, 1, Algorithm::kWeight, {.callId = callId(i)})];
  EXPECT_NEAR(count["sip:a"], kKeys * 50 / 100, kKeys * 3 / 100);
  EXPECT_NEAR(count["sip:b"], kKeys * 30 / 100, kKeys * 3 / 100);
  EXPECT_NEAR(count["sip:c"], kKeys * 20 / 100, kKeys * 3 / 100);
}

TEST(WeightTest, SharesRenormaliseOverUsableDestinations) {
  Dispatcher d = makeDispatcher(kWeighted);
  ASSERT_TRUE(d.setState(1, "sip:b", State::kInactive).isOk());
  std::map<std::string, int> count;
  constexpr int kKeys = 10000;
  for (int i = 0; i < kKeys; ++i) ++count[pick(d, 1, Algorithm::kWeight, {.callId = callId(i)})];
  EXPECT_EQ(count.count("sip:b"), 0u);
  EXPECT_NEAR(count["sip:a"], kKeys * 50 / 70, kKeys * 3 / 100);
  EXPECT_NEAR(count["sip:c"], kKeys * 20 / 70, kKeys * 3 / 100);
}

TEST(WeightTest, KeyKeepsItsDestinationAndOthersDoNotMove) {
  Dispatcher d = makeDispatcher(kWeighted);
  constexpr int kKeys = 2000;
  std::vector<std::string> before;
  for (int i = 0; i < kKeys; ++i) {
    before.push_back(pick(d, 1, Algorithm::kWeight, {.callId = callId(i)}));
    EXPECT_EQ(pick(d, 1, Algorithm::kWeight, {.callId = callId(i)}), before.back());
  }
  ASSERT_TRUE(d.setState(1, "sip:a", State::kDrain).isOk());
  for (int i = 0; i < kKeys; ++i) {
    std::string now = pick(d, 1, Algorithm::kWeight, {.callId = callId(i)});
    if (before[i] != "sip:a") {
      EXPECT_EQ(now, before[i]);
    }
  }
}

TEST(WeightTest, UnweightedDestinationsOnlyAsLastResort) {
  Dispatcher d = makeDispatcher(
      "1 sip:spare1\n"
      "1 sip:w 0 0 weight=10\n"
      "1 sip:spare2\n");
  std::vector<DestIndex> out;
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(d.select(1, Algorithm::kWeight, {.callId = callId(i)}, 0, out).isOk());
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(d.destination(out[0]).uri, "sip:w");
  }
  ASSERT_TRUE(d.setState(1, "sip:w", State::kInactive).isOk());
  std::map<std::string, int> count;
  for (int i = 0; i < 2000; ++i) ++count[pick(d, 1, Algorithm::kWeight, {.callId = callId(i)})];
  EXPECT_EQ(count.size(), 2u);
  EXPECT_NEAR(count["sip:spare1"], 1000, 150);
}

TEST(SerialTest, HighestPriorityFirstThenFailover) {
  Dispatcher d = makeDispatcher(
      "1 sip:p1 0 1\n"
      "1 sip:p10 0 10\n"
      "1 sip:p5a 0 5\n"
      "1 sip:p5b 0 5\n");
  std::vector<DestIndex> out;
  ASSERT_TRUE(d.select(1, Algorithm::kSerial, {}, 0, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:p10", "sip:p5a", "sip:p5b", "sip:p1"}));
  // Serial keeps picking the same one while it is up.
  EXPECT_EQ(pick(d, 1, Algorithm::kSerial), "sip:p10");
  ASSERT_TRUE(d.select(1, Algorithm::kSerial, {}, 2, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:p10", "sip:p5a"}));
  ASSERT_TRUE(d.setState(1, "sip:p10", State::kInactive).isOk());
  ASSERT_TRUE(d.setState(1, "sip:p5b", State::kDrain).isOk());
  ASSERT_TRUE(d.select(1, Algorithm::kSerial, {}, 0, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:p5a", "sip:p1"}));
}

TEST(RandomTest, UniformOverUsableAndSeeded) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n1 sip:d\n", 7);
  ASSERT_TRUE(d.setState(1, "sip:b", State::kInactive).isOk());
  std::map<std::string, int> count;
  std::vector<DestIndex> out;
  std::vector<std::string> firstRun;
  for (int i = 0; i < 9000; ++i) {
    ASSERT_TRUE(d.select(1, Algorithm::kRandom, {}, 0, out).isOk());
    ASSERT_EQ(out.size(), 3u);
    ++count[d.destination(out[0]).uri];
    if (i < 20) firstRun.push_back(d.destination(out[0]).uri);
  }
  EXPECT_EQ(count.count("sip:b"), 0u);
  for (const auto& [uri, n] : count) EXPECT_NEAR(n, 3000, 270) << uri;

  Dispatcher again = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n1 sip:d\n", 7);
  ASSERT_TRUE(again.setState(1, "sip:b", State::kInactive).isOk());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(pick(again, 1, Algorithm::kRandom), firstRun[i]);
}

TEST(StateTest, UnusableNeverChosenByAnyAlgorithm) {
  Dispatcher d = makeDispatcher(
      "1 sip:inactive 1 9\n"
      "1 sip:disabled 4 9\n"
      "1 sip:drain 0 9\n"
      "1 sip:trying 2 1\n"
      "1 sip:active 0 0\n");
  ASSERT_TRUE(d.setState(1, "sip:drain", State::kDrain).isOk());
  std::vector<DestIndex> out;
  for (Algorithm alg :
       {Algorithm::kHashCallId, Algorithm::kHashFromUri, Algorithm::kHashToUri,
        Algorithm::kHashRuri, Algorithm::kRoundRobin, Algorithm::kHashAuthUser, Algorithm::kRandom,
        Algorithm::kSerial, Algorithm::kWeight, Algorithm::kHashPv, Algorithm::kCallLoad,
        Algorithm::kRelativeWeight, Algorithm::kLatency}) {
    for (int i = 0; i < 50; ++i) {
      std::string key = callId(i);
      ASSERT_TRUE(d.select(1, alg, {key, key, key, key, key, key}, 0, out).isOk());
      ASSERT_EQ(out.size(), 2u) << static_cast<int>(alg);
      for (DestIndex idx : out) {
        EXPECT_TRUE(d.destination(idx).uri == "sip:trying" ||
                    d.destination(idx).uri == "sip:active")
            << d.destination(idx).uri;
      }
    }
  }
}

TEST(StateTest, AllUnusableGivesEmptyResult) {
  Dispatcher d = makeDispatcher("1 sip:a 1\n1 sip:b 4\n1 sip:c 0 0 weight=5\n");
  ASSERT_TRUE(d.setState(1, "sip:c", State::kDrain).isOk());
  std::vector<DestIndex> out;
  for (Algorithm alg :
       {Algorithm::kHashCallId, Algorithm::kRoundRobin, Algorithm::kRandom, Algorithm::kSerial,
        Algorithm::kWeight, Algorithm::kHashAuthUser, Algorithm::kHashPv, Algorithm::kCallLoad,
        Algorithm::kRelativeWeight, Algorithm::kLatency}) {
    Status s = d.select(1, alg, {.callId = "x", .hashValue = "x"}, 0, out);
    EXPECT_TRUE(s.isOk()) << s.message();
    EXPECT_TRUE(out.empty()) << static_cast<int>(alg);
  }
}

TEST(StateTest, SetStateErrorsAndAll) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n2 sip:a\n");
  EXPECT_EQ(d.setState(5, "sip:a", State::kInactive).message(), "unknown set 5");
  EXPECT_EQ(d.setState(1, "sip:zz", State::kInactive).message(),
            "no destination \"sip:zz\" in set 1");
  ASSERT_TRUE(d.setState(1, "all", State::kDisabled).isOk());
  EXPECT_EQ(d.destination(*d.findDestination(1, "sip:a")).state, State::kDisabled);
  EXPECT_EQ(d.destination(*d.findDestination(1, "sip:b")).state, State::kDisabled);
  EXPECT_EQ(d.destination(*d.findDestination(2, "sip:a")).state, State::kActive);
  ASSERT_TRUE(d.setState(1, "SIP:A", State::kTrying).isOk());
  EXPECT_EQ(d.destination(*d.findDestination(1, "sip:a")).state, State::kTrying);
}

TEST(StateTest, Names) {
  EXPECT_EQ(stateName(State::kActive), "active");
  EXPECT_EQ(stateName(State::kInactive), "inactive");
  EXPECT_EQ(stateName(State::kTrying), "trying");
  EXPECT_EQ(stateName(State::kDisabled), "disabled");
  EXPECT_EQ(stateName(State::kDrain), "drain");
}

TEST(CallCounterTest, CountsAndNeverGoesNegative) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n");
  DestIndex a = *d.findDestination(1, "sip:a");
  d.callStarted(a);
  d.callStarted(a);
  d.callEnded(a);
  EXPECT_EQ(d.destination(a).activeCalls, 1u);
  d.callEnded(a);
  d.callEnded(a);
  EXPECT_EQ(d.destination(a).activeCalls, 0u);
  EXPECT_EQ(d.destination(*d.findDestination(1, "sip:b")).activeCalls, 0u);
}

TEST(SelectTest, OutputBufferIsReusedWithoutGrowing) {
  Dispatcher d = makeDispatcher(kWeighted);
  std::vector<DestIndex> out;
  out.reserve(d.maxSetSize());
  const DestIndex* data = out.data();
  for (Algorithm alg : {Algorithm::kHashCallId, Algorithm::kRoundRobin, Algorithm::kRandom,
                        Algorithm::kSerial, Algorithm::kWeight, Algorithm::kHashPv,
                        Algorithm::kCallLoad, Algorithm::kRelativeWeight, Algorithm::kLatency}) {
    for (int i = 0; i < 10; ++i) {
      std::string key = callId(i);
      ASSERT_TRUE(d.select(1, alg, {.callId = key, .hashValue = key}, 0, out).isOk());
      EXPECT_EQ(out.size(), 3u);
      EXPECT_EQ(out.data(), data);
    }
  }
}

TEST(DispatcherTest, CopiesAreIndependent) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n");
  Dispatcher copy = d;
  ASSERT_TRUE(copy.setState(1, "sip:a", State::kInactive).isOk());
  EXPECT_EQ(pick(copy, 1, Algorithm::kSerial), "sip:b");
  EXPECT_EQ(pick(d, 1, Algorithm::kSerial), "sip:a");
}

// ------------------------------------------------------------------ hash stability, per algorithm

// Takes sip:c down and checks that every key not on sip:c keeps its destination, and that sip:c's
// keys all moved somewhere usable.
void expectStableWhenUnrelatedGoesDown(std::string_view list, Algorithm alg,
                                       SelectKeys (*keysFor)(const std::string&)) {
  Dispatcher d = makeDispatcher(list);
  constexpr int kKeys = 3000;
  std::vector<std::string> before;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = callId(i);
    before.push_back(pick(d, 1, alg, keysFor(key)));
    EXPECT_EQ(pick(d, 1, alg, keysFor(key)), before.back());
  }
  ASSERT_TRUE(d.setState(1, "sip:c", State::kInactive).isOk());
  int moved = 0;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = callId(i);
    std::string now = pick(d, 1, alg, keysFor(key));
    EXPECT_NE(now, "sip:c");
    if (before[i] == "sip:c") {
      ++moved;
    } else {
      EXPECT_EQ(now, before[i]) << key;
    }
  }
  EXPECT_GT(moved, 0);
}

constexpr std::string_view kFiveWeighted =
    "1 sip:a 0 0 weight=10;rweight=10\n"
    "1 sip:b 0 0 weight=20;rweight=20\n"
    "1 sip:c 0 0 weight=30;rweight=30\n"
    "1 sip:d 0 0 weight=20;rweight=20\n"
    "1 sip:e 0 0 weight=20;rweight=20\n";

TEST(HashStabilityTest, CallIdAlgorithm0) {
  expectStableWhenUnrelatedGoesDown(kFive, Algorithm::kHashCallId,
                                    [](const std::string& k) { return SelectKeys{.callId = k}; });
}
TEST(HashStabilityTest, FromUriAlgorithm1) {
  expectStableWhenUnrelatedGoesDown(kFive, Algorithm::kHashFromUri,
                                    [](const std::string& k) { return SelectKeys{.fromUri = k}; });
}
TEST(HashStabilityTest, ToUriAlgorithm2) {
  expectStableWhenUnrelatedGoesDown(kFive, Algorithm::kHashToUri,
                                    [](const std::string& k) { return SelectKeys{.toUri = k}; });
}
TEST(HashStabilityTest, RequestUriAlgorithm3) {
  expectStableWhenUnrelatedGoesDown(kFive, Algorithm::kHashRuri,
                                    [](const std::string& k) { return SelectKeys{.ruri = k}; });
}
TEST(HashStabilityTest, AuthUserAlgorithm5) {
  expectStableWhenUnrelatedGoesDown(kFive, Algorithm::kHashAuthUser,
                                    [](const std::string& k) { return SelectKeys{.authUser = k}; });
}
TEST(HashStabilityTest, ExpressionAlgorithm7) {
  expectStableWhenUnrelatedGoesDown(
      kFive, Algorithm::kHashPv, [](const std::string& k) { return SelectKeys{.hashValue = k}; });
}
TEST(HashStabilityTest, WeightAlgorithm9) {
  expectStableWhenUnrelatedGoesDown(kFiveWeighted, Algorithm::kWeight,
                                    [](const std::string& k) { return SelectKeys{.callId = k}; });
}
TEST(HashStabilityTest, RelativeWeightAlgorithm11) {
  expectStableWhenUnrelatedGoesDown(kFiveWeighted, Algorithm::kRelativeWeight,
                                    [](const std::string& k) { return SelectKeys{.callId = k}; });
}

// ------------------------------------------------------------------ algorithm 7

TEST(HashPvTest, HashesTheExpressionValueOnly) {
  Dispatcher d = makeDispatcher(kFive);
  std::map<std::string, int> count;
  for (int i = 0; i < 10000; ++i) {
    // "$fU@$ci" as the edge would evaluate it; the other keys must not matter.
    std::string value = "user" + std::to_string(i % 500) + "@" + callId(i);
    std::string got = pick(d, 1, Algorithm::kHashPv, {.callId = "same", .hashValue = value});
    EXPECT_EQ(got, pick(d, 1, Algorithm::kHashCallId, {.callId = value}));
    ++count[got];
  }
  ASSERT_EQ(count.size(), 5u);
  for (const auto& [uri, n] : count) EXPECT_NEAR(n, 2000, 300) << uri;
}

// ------------------------------------------------------------------ algorithm 10

TEST(CallLoadTest, LeastActiveCallsWins) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n");
  DestId a = *d.findDestination(1, "sip:a");
  DestId b = *d.findDestination(1, "sip:b");
  DestId c = *d.findDestination(1, "sip:c");
  d.callStarted(a);
  d.callStarted(a);
  d.callStarted(b);
  EXPECT_EQ(pick(d, 1, Algorithm::kCallLoad), "sip:c");
  d.callStarted(c);
  d.callStarted(c);
  EXPECT_EQ(pick(d, 1, Algorithm::kCallLoad), "sip:b");
  d.callEnded(a);
  d.callEnded(a);
  EXPECT_EQ(pick(d, 1, Algorithm::kCallLoad), "sip:a");
  EXPECT_EQ(d.load(a), 0u);
  EXPECT_EQ(d.load(c), 2u);
}

TEST(CallLoadTest, FollowsActiveCallsOverManyCalls) {
  // Each pick becomes a call: the load stays level, and ending calls on one pulls new ones there.
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n");
  std::vector<DestId> out;
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(d.select(1, Algorithm::kCallLoad, {}, 1, out).isOk());
    d.callStarted(out[0]);
  }
  for (const Destination& dest : d.destinations()) EXPECT_EQ(dest.activeCalls, 100u) << dest.uri;
  DestId b = *d.findDestination(1, "sip:b");
  for (int i = 0; i < 30; ++i) d.callEnded(b);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(pick(d, 1, Algorithm::kCallLoad), "sip:b");
}

TEST(CallLoadTest, EqualLoadsTakeTurns) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n");
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i) got.push_back(pick(d, 1, Algorithm::kCallLoad));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:a", "sip:b", "sip:c", "sip:a", "sip:b", "sip:c"}));
}

TEST(CallLoadTest, MaxloadSkipsFullDestinations) {
  Dispatcher d = makeDispatcher(
      "1 sip:a 0 0 maxload=2\n"
      "1 sip:b 0 0 maxload=3\n");
  DestId a = *d.findDestination(1, "sip:a");
  DestId b = *d.findDestination(1, "sip:b");
  d.callStarted(a);
  d.callStarted(a);
  std::vector<DestId> out;
  ASSERT_TRUE(d.select(1, Algorithm::kCallLoad, {}, 0, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:b"}));  // full ones leave failover too
  d.callStarted(b);
  d.callStarted(b);
  d.callStarted(b);
  ASSERT_TRUE(d.select(1, Algorithm::kCallLoad, {}, 0, out).isOk());
  EXPECT_TRUE(out.empty());  // every destination full: the caller answers 503
  d.callEnded(a);
  EXPECT_EQ(pick(d, 1, Algorithm::kCallLoad), "sip:a");
}

TEST(CallLoadTest, FailoverOrderIsAscendingLoad) {
  Dispatcher d = makeDispatcher("1 sip:a\n1 sip:b\n1 sip:c\n1 sip:d\n");
  auto calls = [&d](std::string_view uri, int n) {
    for (int i = 0; i < n; ++i) d.callStarted(*d.findDestination(1, uri));
  };
  calls("sip:a", 3);
  calls("sip:b", 1);
  calls("sip:c", 2);
  calls("sip:d", 0);
  ASSERT_TRUE(d.setState(1, "sip:c", State::kDrain).isOk());
  std::vector<DestId> out;
  ASSERT_TRUE(d.select(1, Algorithm::kCallLoad, {}, 0, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:d", "sip:b", "sip:a"}));
  ASSERT_TRUE(d.select(1, Algorithm::kCallLoad, {}, 2, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:d", "sip:b"}));
}

TEST(CallLoadTest, DuidGroupsShareTheirLoadAcrossSets) {
  // One media node reachable under two URIs and in two sets: its load is the sum.
  Dispatcher d = makeDispatcher(
      "1 sip:fs1-udp 0 0 duid=fs01\n"
      "1 sip:fs2 0 0 duid=fs02\n"
      "2 sip:fs1-tcp 0 0 duid=FS01\n"
      "2 sip:fs3 0 0\n");
  DestId fs1udp = *d.findDestination(1, "sip:fs1-udp");
  DestId fs1tcp = *d.findDestination(2, "sip:fs1-tcp");
  DestId fs2 = *d.findDestination(1, "sip:fs2");
  d.callStarted(fs1tcp);
  d.callStarted(fs1tcp);
  d.callStarted(fs2);
  EXPECT_EQ(d.load(fs1udp), 2u);
  EXPECT_EQ(d.load(fs1tcp), 2u);
  EXPECT_EQ(d.destination(fs1udp).activeCalls, 0u);
  EXPECT_EQ(pick(d, 1, Algorithm::kCallLoad), "sip:fs2");
  EXPECT_EQ(pick(d, 2, Algorithm::kCallLoad), "sip:fs3");
}

// ------------------------------------------------------------------ algorithm 11

constexpr std::string_view kRelative =
    "1 sip:a 0 0 rweight=1\n"
    "1 sip:b 0 0 rweight=2\n"
    "1 sip:c 0 0 rweight=1\n";

TEST(RelativeWeightTest, SharesFollowRweight) {
  Dispatcher d = makeDispatcher(kRelative);
  std::map<std::string, int> count;
  constexpr int kKeys = 10000;
  for (int i = 0; i < kKeys; ++i) {
    ++count[pick(d, 1, Algorithm::kRelativeWeight, {.callId = callId(i)})];
  }
  EXPECT_NEAR(count["sip:a"], kKeys * 25 / 100, kKeys * 3 / 100);
  EXPECT_NEAR(count["sip:b"], kKeys * 50 / 100, kKeys * 3 / 100);
  EXPECT_NEAR(count["sip:c"], kKeys * 25 / 100, kKeys * 3 / 100);
}

TEST(RelativeWeightTest, RecomputedOverUsableDestinationsOnly) {
  Dispatcher d = makeDispatcher(kRelative);
  ASSERT_TRUE(d.setState(1, "sip:c", State::kInactive).isOk());
  std::map<std::string, int> count;
  constexpr int kKeys = 10000;
  for (int i = 0; i < kKeys; ++i) {
    ++count[pick(d, 1, Algorithm::kRelativeWeight, {.callId = callId(i)})];
  }
  EXPECT_EQ(count.count("sip:c"), 0u);
  EXPECT_NEAR(count["sip:a"], kKeys * 33 / 100, kKeys * 3 / 100);
  EXPECT_NEAR(count["sip:b"], kKeys * 67 / 100, kKeys * 3 / 100);
}

TEST(RelativeWeightTest, IgnoresWeightAndUsesRweight) {
  Dispatcher d = makeDispatcher(
      "1 sip:a 0 0 weight=90;rweight=10\n"
      "1 sip:b 0 0 weight=10;rweight=90\n");
  std::map<std::string, int> count;
  for (int i = 0; i < 10000; ++i) {
    ++count[pick(d, 1, Algorithm::kRelativeWeight, {.callId = callId(i)})];
  }
  EXPECT_NEAR(count["sip:b"], 9000, 300);
}

// ------------------------------------------------------------------ algorithm 13

TEST(LatencyAlgorithmTest, RoundRobinAmongBestPriorityWithoutSamples) {
  Dispatcher d = makeDispatcher(
      "1 sip:low 0 5\n"
      "1 sip:a 0 10\n"
      "1 sip:b 0 10\n");
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(pick(d, 1, Algorithm::kLatency));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:a", "sip:b", "sip:a", "sip:b"}));
  std::vector<DestId> out;
  ASSERT_TRUE(d.select(1, Algorithm::kLatency, {}, 0, out).isOk());
  EXPECT_EQ(uris(d, out), (std::vector<std::string>{"sip:a", "sip:b", "sip:low"}));
  ASSERT_TRUE(d.setState(1, "sip:a", State::kInactive).isOk());
  got.clear();
  for (int i = 0; i < 3; ++i) got.push_back(pick(d, 1, Algorithm::kLatency));
  EXPECT_EQ(got, (std::vector<std::string>{"sip:b", "sip:b", "sip:b"}));
}

// ------------------------------------------------------------------ states

TEST(StateParseTest, KamailioLettersWithOptionalProbing) {
  struct Case {
    std::string_view text;
    State state;
    bool probing;
  };
  for (const Case& c : {Case{"a", State::kActive, false}, Case{"AP", State::kActive, true},
                        Case{"i", State::kInactive, false}, Case{"ip", State::kInactive, true},
                        Case{"t", State::kTrying, false}, Case{"Tp", State::kTrying, true},
                        Case{"d", State::kDisabled, false}, Case{"r", State::kDrain, false},
                        Case{"rp", State::kDrain, true}, Case{"1", State::kActive, false},
                        Case{"0p", State::kInactive, true}, Case{"2", State::kDisabled, false},
                        Case{"3", State::kTrying, false}}) {
    auto r = parseState(c.text);
    ASSERT_TRUE(r.isOk()) << c.text << ": " << r.message();
    EXPECT_EQ(r->state, c.state) << c.text;
    EXPECT_EQ(r->probing, std::optional<bool>(c.probing)) << c.text;
  }
}

TEST(StateParseTest, WordsLeaveProbingAlone) {
  struct Case {
    std::string_view text;
    State state;
  };
  for (const Case& c : {Case{"active", State::kActive}, Case{"Inactive", State::kInactive},
                        Case{"TRYING", State::kTrying}, Case{"disabled", State::kDisabled},
                        Case{"drain", State::kDrain}}) {
    auto r = parseState(c.text);
    ASSERT_TRUE(r.isOk()) << c.text << ": " << r.message();
    EXPECT_EQ(r->state, c.state) << c.text;
    EXPECT_EQ(r->probing, std::nullopt) << c.text;
  }
}

TEST(StateParseTest, ErrorsNameTheTextAndTheChoices) {
  constexpr std::string_view kChoices =
      "\": expected a, i, t, d or r optionally followed by p, or one of active, inactive, "
      "trying, disabled, drain";
  for (std::string_view bad : {"", "x", "ax", "app", "draining", "acti", "4", " a", "p"}) {
    auto r = parseState(bad);
    ASSERT_FALSE(r.isOk()) << bad;
    EXPECT_EQ(r.message(), "invalid state \"" + std::string(bad) + std::string(kChoices));
  }
}

TEST(StateTest, LetterFormsSetOrClearTheProbingFlag) {
  Dispatcher d = makeDispatcher("1 sip:a 8\n1 sip:b\n");
  DestId a = *d.findDestination(1, "sip:a");
  EXPECT_TRUE(d.destination(a).probing());
  ASSERT_TRUE(d.setState(1, "sip:a", *parseState("a")).isOk());
  EXPECT_FALSE(d.destination(a).probing());
  ASSERT_TRUE(d.setState(1, "all", *parseState("ip")).isOk());
  EXPECT_TRUE(d.destination(a).probing());
  EXPECT_EQ(d.destination(a).state, State::kInactive);
  ASSERT_TRUE(d.setState(1, "sip:a", *parseState("drain")).isOk());
  EXPECT_TRUE(d.destination(a).probing());
  EXPECT_EQ(d.destination(a).state, State::kDrain);
  EXPECT_EQ(d.destination(a).health, State::kInactive);  // drain sits over the health
}

TEST(StateTest, FlagsStringShowsStateAndProbing) {
  Dispatcher d = makeDispatcher(
      "1 sip:a 0\n"
      "1 sip:i 9\n"
      "1 sip:t 2\n"
      "1 sip:d 4\n"
      "1 sip:r 8\n");
  ASSERT_TRUE(d.setState(1, "sip:r", State::kDrain).isOk());
  auto flags = [&d](std::string_view uri) {
    return flagsString(d.destination(*d.findDestination(1, uri)));
  };
  EXPECT_EQ(flags("sip:a"), "AX");
  EXPECT_EQ(flags("sip:i"), "IP");
  EXPECT_EQ(flags("sip:t"), "TX");
  EXPECT_EQ(flags("sip:d"), "DX");
  EXPECT_EQ(flags("sip:r"), "RP");
}

}  // namespace
}  // namespace tandem::dispatcher
