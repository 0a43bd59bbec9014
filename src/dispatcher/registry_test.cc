// Tests for stable destination ids, merging reloads, runtime add/remove and the listing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dispatcher/dispatcher.h"
#include "dispatcher/text.h"

namespace tandem::dispatcher {
namespace {

std::vector<Destination> listOf(std::string_view text) {
  auto r = parseList(text, "test.list");
  EXPECT_TRUE(r.isOk()) << r.message();
  return r.isOk() ? std::move(r).value() : std::vector<Destination>{};
}

DestId idOf(const Dispatcher& d, uint32_t set, std::string_view uri) {
  auto id = d.findDestination(set, uri);
  EXPECT_TRUE(id.has_value()) << uri;
  return id.value_or(0);
}

std::vector<std::string> urisOf(const Dispatcher& d, const std::vector<DestId>& ids) {
  std::vector<std::string> u;
  for (DestId id : ids) u.push_back(d.destination(id).uri);
  return u;
}

// Every destination any algorithm can pick in the set.
std::vector<std::string> selectable(Dispatcher& d, uint32_t set) {
  std::vector<DestId> out;
  Status s = d.select(set, Algorithm::kSerial, {}, 0, out);
  EXPECT_TRUE(s.isOk()) << s.message();
  return urisOf(d, out);
}

constexpr std::string_view kThree =
    "1 sip:a 0 0\n"
    "1 sip:b 0 0\n"
    "1 sip:c 0 0\n";

TEST(StableIdTest, IdsFollowFirstListOrderAndNameTheirSlot) {
  Dispatcher d(listOf("2 sip:x\n1 sip:a 0 1\n1 sip:b 0 9\n"), 1);
  EXPECT_EQ(idOf(d, 2, "sip:x"), 0u);
  EXPECT_EQ(idOf(d, 1, "sip:a"), 1u);
  EXPECT_EQ(idOf(d, 1, "sip:b"), 2u);
  for (const Destination& dest : d.destinations()) {
    EXPECT_EQ(d.destination(dest.id).uri, dest.uri);
  }
}

TEST(StableIdTest, ReloadNeverMovesOrReusesIds) {
  Dispatcher d(listOf(kThree), 1);
  DestId a = idOf(d, 1, "sip:a");
  DestId b = idOf(d, 1, "sip:b");
  DestId c = idOf(d, 1, "sip:c");
  // Reordered, one new, one removed (no calls: gone at once), priorities changed.
  ReloadReport r = d.reload(listOf("1 sip:new 0 5\n1 sip:c 0 0\n1 sip:a 0 9\n"));
  EXPECT_EQ(idOf(d, 1, "sip:a"), a);
  EXPECT_EQ(idOf(d, 1, "sip:c"), c);
  DestId added = idOf(d, 1, "sip:new");
  EXPECT_EQ(added, 3u);  // a fresh id, not b's
  EXPECT_EQ(d.destination(b).uri, "sip:b");
  EXPECT_EQ(d.destination(b).presence, Presence::kGone);
  EXPECT_EQ(d.destinations().size(), 4u);
  EXPECT_EQ(r.added, (std::vector<DestId>{added}));
  EXPECT_EQ(r.removed, (std::vector<DestId>{b}));
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:a", "sip:new", "sip:c"}));
}

TEST(StableIdTest, CopiesFedTheSameCallsHandOutTheSameIds) {
  Dispatcher d1(listOf(kThree), 1);
  Dispatcher d2 = d1;
  for (Dispatcher* d : {&d1, &d2}) {
    d->reload(listOf("1 sip:c\n1 sip:d\n2 sip:e\n"));
    ASSERT_TRUE(d->add(3, "sip:f", 0, 0, "").isOk());
  }
  ASSERT_EQ(d1.destinations().size(), d2.destinations().size());
  for (DestId id = 0; id < d1.destinations().size(); ++id) {
    EXPECT_EQ(d1.destination(id).uri, d2.destination(id).uri);
    EXPECT_EQ(d1.destination(id).presence, d2.destination(id).presence);
  }
}

TEST(ReloadTest, UnchangedListKeepsEverythingAndReportsKept) {
  Dispatcher d(listOf(kThree), 1);
  ReloadReport r = d.reload(listOf(kThree));
  EXPECT_TRUE(r.added.empty());
  EXPECT_TRUE(r.removed.empty());
  EXPECT_TRUE(r.updated.empty());
  EXPECT_EQ(r.kept.size(), 3u);
  EXPECT_EQ(r.summary(), "0 added, 0 removed, 0 updated, 3 kept");
}

TEST(ReloadTest, KeepsProbeStateLatencyAndCalls) {
  Dispatcher d(listOf("1 sip:a\n1 sip:b\n"), 1);
  Prober prober(d,
                ProbeConfig{.intervalMs = 1000, .probingThreshold = 2, .mode = ProbingMode::kAll});
  DestId a = idOf(d, 1, "sip:a");
  DestId b = idOf(d, 1, "sip:b");
  std::vector<Ping> pings;
  prober.due(0, pings);
  prober.onReply(pings[0], 200, 25);  // a answers in 25 ms
  prober.due(1000, pings);            // b missed one: trying
  prober.onReply(pings[0], 200, 1030);
  prober.due(2000, pings);  // b missed two: inactive
  ASSERT_EQ(d.destination(b).state, State::kInactive);
  d.callStarted(a);
  const Destination before = d.destination(a);

  // Same file, and a file that changes b's priority only.
  d.reload(listOf("1 sip:a\n1 sip:b\n"));
  ReloadReport r = d.reload(listOf("1 sip:a\n1 sip:b 0 3\n"));
  ASSERT_EQ(r.updated.size(), 1u);
  EXPECT_EQ(r.updated[0].what, "priority 0 -> 3");
  EXPECT_EQ(d.destination(b).state, State::kInactive);
  EXPECT_EQ(d.destination(b).probe.missed, 2u);
  EXPECT_TRUE(d.destination(b).probing());
  const Destination& after = d.destination(a);
  EXPECT_EQ(after.activeCalls, 1u);
  EXPECT_EQ(after.latency.count, before.latency.count);
  EXPECT_EQ(after.latency.avg, before.latency.avg);
  EXPECT_TRUE(after.probe.outstanding);  // the ping in flight still counts when it comes back
  prober.onReply(pings[0], 200, 2010);
  EXPECT_EQ(d.destination(a).latency.count, 3u);
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:a"}));
}

TEST(ReloadTest, DisabledOverRpcStaysDisabledWhateverTheFileSays) {
  Dispatcher d(listOf(kThree), 1);
  ASSERT_TRUE(d.setState(1, "sip:b", *parseState("d")).isOk());
  d.reload(listOf(kThree));
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:b")).state, State::kDisabled);
  // Even when the file's state bits for it change.
  ReloadReport r = d.reload(listOf("1 sip:a 0 0\n1 sip:b 1 0\n1 sip:c 0 0\n"));
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:b")).state, State::kDisabled);
  ASSERT_EQ(r.updated.size(), 1u);
  EXPECT_EQ(r.updated[0].changes, uint32_t{ReloadReport::kFlags});
  EXPECT_EQ(r.updated[0].what, "flags 0 -> 1");
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:a", "sip:c"}));
}

TEST(ReloadTest, DrainStaysDrainWithItsCalls) {
  Dispatcher d(listOf(kThree), 1);
  DestId a = idOf(d, 1, "sip:a");
  d.callStarted(a);
  d.callStarted(a);
  ASSERT_TRUE(d.setState(1, "sip:a", *parseState("drain")).isOk());
  d.reload(listOf("1 sip:a 0 0 weight=5\n1 sip:b\n1 sip:c\n1 sip:d\n"));
  EXPECT_EQ(d.destination(a).state, State::kDrain);
  EXPECT_EQ(d.destination(a).activeCalls, 2u);
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:b", "sip:c", "sip:d"}));
  d.callEnded(a);
  d.callEnded(a);
  EXPECT_EQ(d.destination(a).activeCalls, 0u);  // drained: a measurement
  EXPECT_EQ(d.destination(a).presence, Presence::kListed);
}

TEST(ReloadTest, FileStateBitsApplyWhenTheLineChanged) {
  Dispatcher d(listOf(kThree), 1);
  ReloadReport r = d.reload(listOf("1 sip:a 0 0\n1 sip:b 4 0\n1 sip:c 0 0\n"));
  DestId b = idOf(d, 1, "sip:b");
  EXPECT_EQ(d.destination(b).state, State::kDisabled);
  EXPECT_FALSE(d.destination(b).manualByRpc);
  ASSERT_EQ(r.updated.size(), 1u);
  EXPECT_EQ(r.updated[0].changes, uint32_t{ReloadReport::kFlags | ReloadReport::kState});
  EXPECT_EQ(r.updated[0].what, "flags 0 -> 4; state active -> disabled");
  r = d.reload(listOf(kThree));
  EXPECT_EQ(d.destination(b).state, State::kActive);
  EXPECT_EQ(r.updated[0].what, "flags 4 -> 0; state disabled -> active");
}

TEST(ReloadTest, UnchangedFileBitsKeepAnRpcEnable) {
  // Disabled in the file, enabled over RPC: reloading the same file keeps it enabled.
  Dispatcher d(listOf("1 sip:a 4\n1 sip:b\n"), 1);
  ASSERT_TRUE(d.setState(1, "sip:a", *parseState("a")).isOk());
  d.reload(listOf("1 sip:a 4\n1 sip:b\n"));
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:a")).state, State::kActive);
}

TEST(ReloadTest, ProbingBitFollowsTheFileOnlyWhenItChanged) {
  Dispatcher d(listOf("1 sip:a 0\n1 sip:b 8\n"), 1);
  DestId a = idOf(d, 1, "sip:a");
  DestId b = idOf(d, 1, "sip:b");
  d.setState(a, *parseState("ap"));  // runtime P flag on a
  d.reload(listOf("1 sip:a 0\n1 sip:b 0\n"));
  EXPECT_TRUE(d.destination(a).probing());
  EXPECT_FALSE(d.destination(b).probing());
}

TEST(ReloadTest, UpdatedReportsWhatChangedAndReorders) {
  Dispatcher d(listOf("1 sip:a 0 5 weight=10\n1 sip:b 0 1\n"), 1);
  ReloadReport r = d.reload(listOf("1 sip:a 8 0 weight=20\n1 sip:b 0 1\n"));
  ASSERT_EQ(r.updated.size(), 1u);
  EXPECT_EQ(r.updated[0].id, idOf(d, 1, "sip:a"));
  EXPECT_EQ(r.updated[0].changes,
            uint32_t{ReloadReport::kFlags | ReloadReport::kPriority | ReloadReport::kAttrs});
  EXPECT_EQ(r.updated[0].what,
            "flags 0 -> 8; priority 5 -> 0; attrs \"weight=10\" -> \"weight=20\"");
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:a")).attrs.weight, 20u);
  EXPECT_EQ(r.kept, (std::vector<DestId>{idOf(d, 1, "sip:b")}));
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:b", "sip:a"}));
  EXPECT_EQ(r.summary(), "0 added, 0 removed, 1 updated, 1 kept");
}

TEST(ReloadTest, AddedStartPerTheirFlags) {
  Dispatcher d(listOf("1 sip:a\n"), 1);
  ReloadReport r = d.reload(listOf("1 sip:a\n1 sip:i 1\n1 sip:t 2\n1 sip:d 4\n1 sip:p 8\n"));
  EXPECT_EQ(r.added.size(), 4u);
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:i")).state, State::kInactive);
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:t")).state, State::kTrying);
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:d")).state, State::kDisabled);
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:p")).state, State::kActive);
  EXPECT_TRUE(d.destination(idOf(d, 1, "sip:p")).probing());
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:a", "sip:t", "sip:p"}));
}

TEST(ReloadTest, RemovedWithCallsLingersUntilItsLastCallEnds) {
  Dispatcher d(listOf(kThree), 1);
  DestId b = idOf(d, 1, "sip:b");
  d.callStarted(b);
  d.callStarted(b);
  ReloadReport r = d.reload(listOf("1 sip:a\n1 sip:c\n"));
  EXPECT_EQ(r.removed, (std::vector<DestId>{b}));
  EXPECT_EQ(r.lingering, 1u);
  EXPECT_EQ(r.summary(), "0 added, 1 removed (1 still carrying calls), 0 updated, 2 kept");
  EXPECT_EQ(d.destination(b).presence, Presence::kRemoved);
  EXPECT_EQ(d.destination(b).uri, "sip:b");  // in-dialog traffic still finds it
  EXPECT_EQ(d.findDestination(1, "sip:b"), std::nullopt);
  // Never selected by any algorithm.
  std::vector<DestId> out;
  for (int alg : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13}) {
    for (int i = 0; i < 20; ++i) {
      std::string key = "k" + std::to_string(i);
      ASSERT_TRUE(
          d.select(1, static_cast<Algorithm>(alg), {key, key, key, key, key, key}, 0, out).isOk());
      EXPECT_EQ(out.size(), 2u) << alg;
      for (DestId id : out) EXPECT_NE(id, b) << alg;
    }
  }
  // Listed as removed after its set's members, with its calls.
  auto list = d.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[2].uri, "sip:b");
  EXPECT_EQ(list[2].state, "removed");
  EXPECT_EQ(list[2].flags, "GX");
  EXPECT_EQ(list[2].activeCalls, 2u);

  d.callEnded(b);
  EXPECT_EQ(d.destination(b).presence, Presence::kRemoved);
  d.callEnded(b);
  EXPECT_EQ(d.destination(b).presence, Presence::kGone);
  EXPECT_EQ(d.list().size(), 2u);
  d.callEnded(b);  // a stray end stays harmless
  EXPECT_EQ(d.destination(b).activeCalls, 0u);
}

TEST(ReloadTest, RemovedWithoutCallsIsGoneAtOnce) {
  Dispatcher d(listOf(kThree), 1);
  DestId c = idOf(d, 1, "sip:c");
  ReloadReport r = d.reload(listOf("1 sip:a\n1 sip:b\n"));
  EXPECT_EQ(r.removed, (std::vector<DestId>{c}));
  EXPECT_EQ(r.lingering, 0u);
  EXPECT_EQ(d.destination(c).presence, Presence::kGone);
  EXPECT_EQ(d.list().size(), 2u);
}

TEST(ReloadTest, RelistedRemovedDestinationKeepsItsStateAndCalls) {
  Dispatcher d(listOf(kThree), 1);
  DestId b = idOf(d, 1, "sip:b");
  d.callStarted(b);
  ASSERT_TRUE(d.setState(1, "sip:b", State::kDrain).isOk());
  d.reload(listOf("1 sip:a\n1 sip:c\n"));
  ReloadReport r = d.reload(listOf(kThree));
  EXPECT_EQ(r.added, (std::vector<DestId>{b}));
  EXPECT_EQ(idOf(d, 1, "sip:b"), b);
  EXPECT_EQ(d.destination(b).presence, Presence::kListed);
  EXPECT_EQ(d.destination(b).state, State::kDrain);
  EXPECT_EQ(d.destination(b).activeCalls, 1u);
}

TEST(ReloadTest, GoneDestinationComesBackWithItsIdAndFreshState) {
  Dispatcher d(listOf(kThree), 1);
  DestId b = idOf(d, 1, "sip:b");
  ASSERT_TRUE(d.setState(1, "sip:b", State::kDisabled).isOk());
  d.reload(listOf("1 sip:a\n1 sip:c\n"));
  ASSERT_EQ(d.destination(b).presence, Presence::kGone);
  ReloadReport r = d.reload(listOf("1 sip:a\n1 sip:B\n1 sip:c\n"));
  EXPECT_EQ(r.added, (std::vector<DestId>{b}));
  EXPECT_EQ(idOf(d, 1, "sip:b"), b);
  EXPECT_EQ(d.destination(b).state, State::kActive);
  EXPECT_EQ(d.destination(b).uri, "sip:B");
  EXPECT_EQ(d.destinations().size(), 3u);
}

TEST(ReloadTest, UrisMatchCaseInsensitivelyAndHashTheSame) {
  Dispatcher d(listOf(kThree), 1);
  std::vector<std::string> before;
  for (int i = 0; i < 200; ++i) {
    std::vector<DestId> out;
    ASSERT_TRUE(d.select(1, Algorithm::kHashCallId, {.callId = std::to_string(i)}, 1, out).isOk());
    before.push_back(d.destination(out[0]).uri);
  }
  ASSERT_TRUE(d.setState(1, "sip:b", State::kDisabled).isOk());
  ReloadReport r = d.reload(listOf("1 SIP:A\n1 sip:B\n1 sip:c\n"));
  EXPECT_EQ(r.kept.size(), 3u);
  EXPECT_EQ(d.destination(idOf(d, 1, "sip:b")).state, State::kDisabled);
  ASSERT_TRUE(d.setState(1, "sip:b", State::kActive).isOk());
  for (int i = 0; i < 200; ++i) {
    std::vector<DestId> out;
    ASSERT_TRUE(d.select(1, Algorithm::kHashCallId, {.callId = std::to_string(i)}, 1, out).isOk());
    EXPECT_TRUE(equalsIgnoreCase(d.destination(out[0]).uri, before[i])) << i;
  }
}

TEST(ReloadTest, DuplicatesMatchByOccurrence) {
  Dispatcher d(listOf("1 sip:a\n1 sip:a\n1 sip:b\n"), 1);
  DestId a1 = 0;
  DestId a2 = 1;
  d.callStarted(a2);
  ReloadReport r = d.reload(listOf("1 sip:a\n1 sip:b\n"));
  EXPECT_EQ(r.removed, (std::vector<DestId>{a2}));
  EXPECT_EQ(d.destination(a1).presence, Presence::kListed);
  EXPECT_EQ(d.destination(a2).presence, Presence::kRemoved);
  r = d.reload(listOf("1 sip:a\n1 sip:a\n1 sip:a\n1 sip:b\n"));
  EXPECT_EQ(r.added, (std::vector<DestId>{a2, 3}));
}

TEST(ReloadTest, SetDisappearsWhenItsLastDestinationIsRemoved) {
  Dispatcher d(listOf("1 sip:a\n2 sip:x\n"), 1);
  DestId x = idOf(d, 2, "sip:x");
  d.callStarted(x);
  d.reload(listOf("1 sip:a\n"));
  EXPECT_EQ(d.findSet(2), nullptr);
  std::vector<DestId> out;
  EXPECT_EQ(d.select(2, Algorithm::kRoundRobin, {}, 0, out).message(), "unknown set 2");
  auto list = d.list();  // still shows x while its call lasts
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].setId, 2u);
  EXPECT_EQ(list[1].state, "removed");
}

TEST(ReloadTest, RemovedDestinationStillCountsTowardsItsDuidLoad) {
  Dispatcher d(listOf("1 sip:fs1-old 0 0 duid=fs01\n1 sip:fs2 0 0 duid=fs02\n"), 1);
  DestId old = idOf(d, 1, "sip:fs1-old");
  d.callStarted(old);
  d.callStarted(old);
  d.reload(listOf("1 sip:fs1-new 0 0 duid=fs01\n1 sip:fs2 0 0 duid=fs02\n"));
  DestId fresh = idOf(d, 1, "sip:fs1-new");
  EXPECT_EQ(d.load(fresh), 2u);
  std::vector<DestId> out;
  ASSERT_TRUE(d.select(1, Algorithm::kCallLoad, {}, 1, out).isOk());
  EXPECT_EQ(d.destination(out[0]).uri, "sip:fs2");
  d.callEnded(old);
  d.callEnded(old);
  EXPECT_EQ(d.load(fresh), 0u);
}

TEST(ReloadTest, RoundRobinCarriesOnAcrossReload) {
  Dispatcher d(listOf(kThree), 1);
  std::vector<DestId> out;
  ASSERT_TRUE(d.select(1, Algorithm::kRoundRobin, {}, 1, out).isOk());
  EXPECT_EQ(d.destination(out[0]).uri, "sip:a");
  d.reload(listOf(kThree));
  ASSERT_TRUE(d.select(1, Algorithm::kRoundRobin, {}, 1, out).isOk());
  EXPECT_EQ(d.destination(out[0]).uri, "sip:b");
}

TEST(AddRemoveTest, AddIsSelectableAndRemoveStopsNewCalls) {
  Dispatcher d(listOf("1 sip:a\n"), 1);
  auto id = d.add(1, "sip:b", 0, 5, "weight=50;duid=fs02");
  ASSERT_TRUE(id.isOk()) << id.message();
  EXPECT_EQ(*id, 1u);
  EXPECT_EQ(d.destination(*id).attrs.duid, "fs02");
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:b", "sip:a"}));
  auto other = d.add(7, "sip:z", 4, 0, "");
  ASSERT_TRUE(other.isOk());
  EXPECT_EQ(d.destination(*other).state, State::kDisabled);
  ASSERT_NE(d.findSet(7), nullptr);

  d.callStarted(*id);
  ASSERT_TRUE(d.remove(1, "SIP:B").isOk());
  EXPECT_EQ(d.destination(*id).presence, Presence::kRemoved);
  EXPECT_EQ(selectable(d, 1), (std::vector<std::string>{"sip:a"}));
  // Added back while its call lasts: the same destination, call included.
  auto again = d.add(1, "sip:b", 0, 5, "");
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(*again, *id);
  EXPECT_EQ(d.destination(*id).activeCalls, 1u);
}

TEST(AddRemoveTest, AddErrors) {
  Dispatcher d(listOf("1 sip:a\n"), 1);
  EXPECT_EQ(d.add(1, "sip:A", 0, 0, "").message(), "destination \"sip:A\" already in set 1");
  EXPECT_EQ(d.add(0, "sip:b", 0, 0, "").message(), "setid must be a positive integer, got 0");
  EXPECT_EQ(d.add(1, "", 0, 0, "").message(), "destination must be a URI without blanks, got \"\"");
  EXPECT_EQ(d.add(1, "sip:a b", 0, 0, "").message(),
            "destination must be a URI without blanks, got \"sip:a b\"");
  EXPECT_EQ(d.add(1, "sip:b", 64, 0, "").message(),
            "flags must be an integer from 0 to 63, got 64");
  EXPECT_EQ(d.add(1, "sip:b", 0, 0, "weight=0").message(),
            "weight must be an integer from 1 to 100, got \"0\"");
  EXPECT_EQ(d.destinations().size(), 1u);
}

TEST(AddRemoveTest, RemoveErrors) {
  Dispatcher d(listOf("1 sip:a\n"), 1);
  EXPECT_EQ(d.remove(2, "sip:a").message(), "unknown set 2");
  EXPECT_EQ(d.remove(1, "sip:b").message(), "no destination \"sip:b\" in set 1");
  ASSERT_TRUE(d.remove(1, "sip:a").isOk());
  EXPECT_EQ(d.remove(1, "sip:a").message(), "unknown set 1");
}

TEST(AddRemoveTest, NextReloadFromTheFileWins) {
  Dispatcher d(listOf("1 sip:a\n"), 1);
  ASSERT_TRUE(d.add(1, "sip:b", 0, 0, "").isOk());
  ReloadReport r = d.reload(listOf("1 sip:a\n"));
  EXPECT_EQ(r.removed, (std::vector<DestId>{1}));
}

TEST(ListTest, EverythingDispatcherListShows) {
  Dispatcher d(listOf("2 sip:x 0 0\n"
                      "1 sip:a 8 5 weight=40;rweight=2;duid=fs01;maxload=10;foo=bar\n"
                      "1 sip:b 0 9\n"),
               1);
  DestId a = idOf(d, 1, "sip:a");
  d.callStarted(a);
  ASSERT_TRUE(d.setState(1, "sip:b", State::kDrain).isOk());
  auto list = d.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].uri, "sip:b");  // set 1 first, highest priority first
  EXPECT_EQ(list[0].state, "drain");
  EXPECT_EQ(list[0].health, "active");
  EXPECT_EQ(list[0].flags, "RX");
  const DestinationInfo& info = list[1];
  EXPECT_EQ(info.id, a);
  EXPECT_EQ(info.setId, 1u);
  EXPECT_EQ(info.uri, "sip:a");
  EXPECT_EQ(info.flags, "AP");
  EXPECT_EQ(info.state, "active");
  EXPECT_EQ(info.priority, 5);
  EXPECT_EQ(info.attrs, "weight=40;rweight=2;duid=fs01;maxload=10;foo=bar");
  EXPECT_EQ(info.duid, "fs01");
  EXPECT_EQ(info.weight, 40u);
  EXPECT_EQ(info.rweight, 2u);
  EXPECT_EQ(info.maxload, 10u);
  EXPECT_EQ(info.activeCalls, 1u);
  EXPECT_EQ(info.load, 1u);
  EXPECT_EQ(info.latency.count, 0u);
  EXPECT_EQ(info.probe.sent, 0u);
  EXPECT_EQ(list[2].uri, "sip:x");
}

}  // namespace
}  // namespace tandem::dispatcher
