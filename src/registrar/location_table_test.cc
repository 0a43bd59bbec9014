// LocationTable: keys, ordering, replacement by ruid, removal, expiry sweeps, loading store rows,
// and the memory budget per binding.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "registrar/registrar.h"

namespace tandem::registrar {
namespace {

constexpr int64_t kNow = 1700000000;

BindingFields fields(std::string_view ruid, std::string_view contact, int64_t expires = kNow + 3600,
                     int q = kQUnset, int64_t lastModified = kNow) {
  BindingFields f;
  f.ruid = ruid;
  f.contact = contact;
  f.callId = "call-1";
  f.expires = expires;
  f.qMilli = q;
  f.lastModified = lastModified;
  f.socket = "udp:10.0.0.1:5060";
  return f;
}

std::vector<std::string> ruids(Bindings bs) {
  std::vector<std::string> out;
  for (BindingRef b : bs) out.emplace_back(b.ruid());
  return out;
}

TEST(LocationTableTest, KeyIsExactUserAndLowercasedDomain) {
  LocationTable t(1);
  ASSERT_TRUE(t.put("Alice", "Example.COM", fields("r1", "sip:a@10.0.0.2")));
  EXPECT_EQ(ruids(t.lookup("Alice", "example.com")), std::vector<std::string>{"r1"});
  EXPECT_EQ(ruids(t.lookup("Alice", "EXAMPLE.com")), std::vector<std::string>{"r1"});
  EXPECT_TRUE(t.lookup("alice", "example.com").empty());
  BindingRef b = *t.lookup("Alice", "example.com").begin();
  EXPECT_EQ(b.user(), "Alice");
  EXPECT_EQ(b.domain(), "example.com");
  EXPECT_EQ(b.socket(), "udp:10.0.0.1:5060");
  EXPECT_EQ(t.aorCount(), 1u);
  EXPECT_EQ(t.bindingCount(), 1u);
}

TEST(LocationTableTest, PutWithSameRuidReplaces) {
  LocationTable t(1);
  ASSERT_TRUE(t.put("alice", "example.com", fields("r1", "sip:a@10.0.0.2")));
  ASSERT_TRUE(t.put("alice", "example.com", fields("r1", "sip:a@10.0.0.3", kNow + 60)));
  EXPECT_EQ(t.bindingCount(), 1u);
  auto b = t.find("r1");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->contact(), "sip:a@10.0.0.3");
  EXPECT_EQ(b->expires(), kNow + 60);
}

TEST(LocationTableTest, PutWithSameRuidInAnotherAorMovesIt) {
  LocationTable t(1);
  ASSERT_TRUE(t.put("alice", "example.com", fields("r1", "sip:a@10.0.0.2")));
  ASSERT_TRUE(t.put("bob", "example.com", fields("r1", "sip:b@10.0.0.2")));
  EXPECT_EQ(t.aorCount(), 1u);
  EXPECT_TRUE(t.lookup("alice", "example.com").empty());
  EXPECT_EQ(ruids(t.lookup("bob", "example.com")), std::vector<std::string>{"r1"});
}

TEST(LocationTableTest, LookupOrdersByQThenNewest) {
  LocationTable t(1);
  ASSERT_TRUE(t.put("alice", "example.com", fields("low", "sip:a@1", kNow + 600, 100, kNow)));
  ASSERT_TRUE(t.put("alice", "example.com", fields("old1", "sip:a@2", kNow + 600, 1000, kNow)));
  ASSERT_TRUE(t.put("alice", "example.com", fields("mid", "sip:a@3", kNow + 600, 500, kNow + 5)));
  // An unset q ranks as 1.0; among equals the most recently modified comes first.
  ASSERT_TRUE(
      t.put("alice", "example.com", fields("unset", "sip:a@4", kNow + 600, kQUnset, kNow + 9)));
  EXPECT_EQ(ruids(t.lookup("alice", "example.com")),
            (std::vector<std::string>{"unset", "old1", "mid", "low"}));
}

TEST(LocationTableTest, RemoveByRuidAndRemoveAor) {
  LocationTable t(1);
  ASSERT_TRUE(t.put("alice", "example.com", fields("r1", "sip:a@1")));
  ASSERT_TRUE(t.put("alice", "example.com", fields("r2", "sip:a@2")));
  ASSERT_TRUE(t.put("bob", "example.com", fields("r3", "sip:b@1")));
  EXPECT_TRUE(t.remove("r1"));
  EXPECT_FALSE(t.remove("r1"));
  EXPECT_EQ(ruids(t.lookup("alice", "example.com")), std::vector<std::string>{"r2"});
  EXPECT_EQ(t.removeAor("alice", "EXAMPLE.COM"), 1u);
  EXPECT_EQ(t.removeAor("alice", "example.com"), 0u);
  EXPECT_EQ(t.aorCount(), 1u);
  EXPECT_EQ(t.bindingCount(), 1u);
  EXPECT_FALSE(t.find("r2").has_value());
  EXPECT_TRUE(t.find("r3").has_value());
}

TEST(LocationTableTest, PutRefusesOversizedValuesAndLeavesTableUnchanged) {
  LocationTable t(1);
  std::string longContact = "sip:" + std::string(600, 'a') + "@h";
  Status s = t.put("alice", "example.com", fields("r1", longContact));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "contact too long (606 > 512 bytes)");
  EXPECT_EQ(t.put("alice", "example.com", fields("", "sip:a@1")).message(), "ruid is empty");
  EXPECT_EQ(t.put("alice", "example.com", fields("r1", "sip:a@1", kNow, 1001)).message(),
            "q 1001/1000 is outside 0..1");
  EXPECT_EQ(t.bindingCount(), 0u);
  EXPECT_EQ(t.aorCount(), 0u);
}

TEST(LocationTableTest, ExpireRemovesOnlyPastBindings) {
  LocationTable t(1);
  ASSERT_TRUE(t.put("alice", "example.com", fields("gone", "sip:a@1", kNow - 1)));
  ASSERT_TRUE(t.put("alice", "example.com", fields("edge", "sip:a@2", kNow)));
  ASSERT_TRUE(t.put("alice", "example.com", fields("live", "sip:a@3", kNow + 1)));
  ASSERT_TRUE(t.put("bob", "example.com", fields("bob", "sip:b@1", kNow - 100)));
  ASSERT_TRUE(t.put("carol", "example.com", fields("static", "sip:c@1", 0)));  // permanent
  // Not swept yet: lookup with a time hides them, without one shows them.
  EXPECT_EQ(ruids(t.lookup("alice", "example.com", kNow)), std::vector<std::string>{"live"});
  EXPECT_EQ(t.lookup("alice", "example.com").size(), 3u);

  std::vector<std::string> removed;
  EXPECT_EQ(t.expire(kNow, &removed), 3u);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"bob", "edge", "gone"}));
  EXPECT_EQ(t.bindingCount(), 2u);
  EXPECT_EQ(t.aorCount(), 2u);  // bob's AoR went with its last binding
  EXPECT_TRUE(t.find("static").has_value());
  EXPECT_EQ(t.expire(kNow + 10'000'000), 1u);
  EXPECT_EQ(t.bindingCount(), 1u);
}

TEST(LocationTableTest, ExpireSomeSpreadsTheSweep) {
  LocationTable t(1);
  char user[16];
  char ruid[16];
  for (int i = 0; i < 1000; ++i) {
    std::snprintf(user, sizeof(user), "u%d", i);
    std::snprintf(ruid, sizeof(ruid), "r%d", i);
    ASSERT_TRUE(t.put(user, "example.com", fields(ruid, "sip:x@1", i % 2 ? kNow - 1 : kNow + 99)));
  }
  size_t removed = 0;
  size_t calls = 0;
  while (t.bindingCount() > 500 && calls < 1000) {
    removed += t.expireSome(kNow, 64);
    ++calls;
  }
  EXPECT_EQ(removed, 500u);
  EXPECT_GT(calls, 1u);  // the work really was split
  EXPECT_EQ(t.expire(kNow), 0u);
}

TEST(LocationTableTest, LoadsStoreRowsAndSkipsBadOnes) {
  store::Location a;
  a.ruid = "ul1-x-1";
  a.username = "alice";
  a.domain = "Example.com";
  a.contact = "sip:alice@192.0.2.1:5060";
  a.received = "sip:203.0.113.9:4444";
  a.path = "<sip:edge1.example.net;lr>";
  a.expires = kNow + 100;
  a.q = -1;
  a.callid = "cid-a";
  a.cseq = 7;
  a.lastModified = kNow - 10;
  a.flags = 2;
  a.cflags = 64;
  a.userAgent = "Phone/1.0";
  a.socket = "udp:10.0.0.1:5060";
  a.methods = 4189;
  a.instance = "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>";
  a.regId = 1;
  a.serverId = 3;
  a.keepalive = 1;
  store::Location b = a;
  b.ruid = "ul1-x-2";
  b.contact = "sip:alice@192.0.2.2:5060";
  b.q = 0.5;
  b.instance = "";
  b.regId = 0;
  store::Location bad = a;
  bad.ruid = "ul1-x-3";
  bad.q = 7;

  LocationTable t(1);
  LoadReport r = t.load({a, b, bad});
  EXPECT_EQ(r.loaded, 2u);
  EXPECT_EQ(r.skipped, 1u);
  EXPECT_EQ(r.firstError, "ruid \"ul1-x-3\": q 7.000000 is outside 0..1");

  std::vector<store::Location> back;
  for (BindingRef x : t.lookup("alice", "example.com")) {
    EXPECT_TRUE(x.synced());
    back.push_back(x.toLocation());
  }
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].ruid, "ul1-x-1");  // unset q ranks as 1.0, ahead of 0.5
  const store::Location& g = back[0];
  EXPECT_EQ(g.username, "alice");
  EXPECT_EQ(g.domain, "example.com");
  EXPECT_EQ(g.contact, a.contact);
  EXPECT_EQ(g.received, a.received);
  EXPECT_EQ(g.path, a.path);
  EXPECT_EQ(g.expires, a.expires);
  EXPECT_EQ(g.q, -1.0);
  EXPECT_EQ(g.callid, a.callid);
  EXPECT_EQ(g.cseq, a.cseq);
  EXPECT_EQ(g.lastModified, a.lastModified);
  EXPECT_EQ(g.flags, a.flags);
  EXPECT_EQ(g.cflags, a.cflags);
  EXPECT_EQ(g.userAgent, a.userAgent);
  EXPECT_EQ(g.socket, a.socket);
  EXPECT_EQ(g.methods, a.methods);
  EXPECT_EQ(g.instance, a.instance);
  EXPECT_EQ(g.regId, a.regId);
  EXPECT_EQ(g.serverId, a.serverId);
  EXPECT_EQ(g.keepalive, a.keepalive);
  EXPECT_EQ(back[1].q, 0.5);
}

TEST(LocationTableTest, AppliesJournaledWritesInOrder) {
  LocationTable t(1);
  store::Location a;
  a.ruid = "ul0-j-1";
  a.username = "alice";
  a.domain = "example.com";
  a.contact = "sip:alice@192.0.2.1";
  a.expires = kNow + 100;
  store::Location b = a;
  b.ruid = "ul0-j-2";
  b.contact = "sip:alice@192.0.2.2";
  store::Location c = a;
  c.ruid = "ul0-j-3";
  c.username = "bob";
  ASSERT_TRUE(t.apply(store::PutLocation{a}));
  ASSERT_TRUE(t.apply(store::PutLocation{b}));
  ASSERT_TRUE(t.apply(store::PutLocation{c}));
  ASSERT_TRUE(t.apply(store::DeleteLocation{"ul0-j-1"}));
  EXPECT_EQ(t.lookup("alice", "example.com").size(), 1u);
  ASSERT_TRUE(t.apply(store::DeleteAor{"alice", "example.com"}));
  EXPECT_TRUE(t.lookup("alice", "example.com").empty());
  EXPECT_EQ(t.bindingCount(), 1u);           // bob's
  EXPECT_TRUE(t.apply(store::InsertCdr{}));  // not a binding: ignored
  EXPECT_EQ(t.bindingCount(), 1u);
}

TEST(LocationTableTest, MarkSyncedFlipsState) {
  LocationTable t(1);
  ASSERT_TRUE(t.put("alice", "example.com", fields("r1", "sip:a@1")));
  EXPECT_FALSE(t.find("r1")->synced());
  EXPECT_TRUE(t.markSynced("r1"));
  EXPECT_TRUE(t.find("r1")->synced());
  EXPECT_FALSE(t.markSynced("nope"));
}

TEST(LocationTableTest, ClearEmptiesEverything) {
  LocationTable t(1);
  EXPECT_EQ(fillSynthetic(t, 1000, kNow), 1000u);
  t.clear();
  EXPECT_EQ(t.bindingCount(), 0u);
  EXPECT_EQ(t.aorCount(), 0u);
  EXPECT_EQ(t.memory().bindingBytes, 0u);
  EXPECT_EQ(t.memory().aorBytes, 0u);
  EXPECT_TRUE(t.lookup("u0000001", "example.com").empty());
}

// The budget is 400 bytes of resident memory per contact at a million contacts; the table's own
// accounting (malloc's real chunk sizes, indexes included) must stay under it at 100,000.
TEST(LocationTableTest, MemoryPerBindingStaysUnderBudget) {
  LocationTable t(1);
  ASSERT_EQ(fillSynthetic(t, 100'000, kNow), 100'000u);
  MemoryStats m = t.memory();
  EXPECT_EQ(m.bindings, 100'000u);
  EXPECT_EQ(m.aors, 100'000u);
  std::printf(
      "location table: %zu bindings, %.1f bytes/binding (bindings %zu, aors %zu, "
      "indexes %zu, other %zu)\n",
      m.bindings, m.bytesPerBinding(), m.bindingBytes, m.aorBytes, m.indexBytes, m.otherBytes);
  EXPECT_LT(m.bytesPerBinding(), 400.0);
  // Everything removed, the accounting returns to (almost) nothing: no leak in the bookkeeping.
  EXPECT_EQ(t.expire(kNow + 3600), 100'000u);
  EXPECT_EQ(t.memory().bindingBytes, 0u);
  EXPECT_EQ(t.memory().aorBytes, 0u);
}

}  // namespace
}  // namespace tandem::registrar
