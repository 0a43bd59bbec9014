// Read caches: indexes and lookups, polling, partial reloads, readers, listeners, errors.
#include "store/cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "store/test_util.h"
#include "store/worker.h"

namespace tandem::store {
namespace {

using test::Backend;
using test::sampleSubscriber;

// ---- indexes, without a database ----

TEST(CacheTables, SubscriberLookupIsExactOnUserCaseInsensitiveOnDomain) {
  SubscriberTable t({sampleSubscriber("Alice", "example.com"), sampleSubscriber("bob", "b.net")});
  ASSERT_NE(t.find("Alice", "EXAMPLE.com"), nullptr);
  EXPECT_EQ(t.find("Alice", "example.com")->password, "secret-Alice");
  EXPECT_EQ(t.find("alice", "example.com"), nullptr);
  EXPECT_EQ(t.find("bob", "example.com"), nullptr);
  EXPECT_NE(t.find("bob", "B.NET"), nullptr);
}

TEST(CacheTables, DidPrefersTheTenantRouteThenAnyDomain) {
  DidTable t({DidRoute{1, "+4420", "", "sip:any@m", "ivr", ""},
              DidRoute{2, "+4420", "tenant-a.example", "sip:a@m", "queue", ""},
              DidRoute{3, "+4421", "tenant-b.example", "sip:b@m", "user", ""}});
  ASSERT_NE(t.find("+4420", "Tenant-A.example"), nullptr);
  EXPECT_EQ(t.find("+4420", "Tenant-A.example")->id, 2);
  EXPECT_EQ(t.find("+4420", "other.example")->id, 1);
  EXPECT_EQ(t.find("+4421", "tenant-b.example")->destType, "user");
  EXPECT_EQ(t.find("+4421", "tenant-a.example"), nullptr);
  EXPECT_EQ(t.find("+4499", "tenant-a.example"), nullptr);
}

TEST(CacheTables, TrunkMatchesTheLongestPrefixOrderedByPriorityThenWeight) {
  TrunkTable t({TrunkRoute{1, "0044", "sip:c2", 2, 10, 0, "", ""},
                TrunkRoute{2, "0044", "sip:c1", 1, 10, 0, "", ""},
                TrunkRoute{3, "0044", "sip:c3", 1, 50, 0, "", ""},
                TrunkRoute{4, "00442", "sip:london", 1, 1, 0, "", ""},
                TrunkRoute{5, "", "sip:default", 1, 1, 0, "", ""}});
  auto uk = t.match("00441234");
  ASSERT_EQ(uk.size(), 3u);
  EXPECT_EQ(uk[0].destination, "sip:c3");  // priority 1, weight 50
  EXPECT_EQ(uk[1].destination, "sip:c1");  // priority 1, weight 10
  EXPECT_EQ(uk[2].destination, "sip:c2");  // priority 2
  auto london = t.match("0044207");
  ASSERT_EQ(london.size(), 1u);
  EXPECT_EQ(london[0].destination, "sip:london");
  auto other = t.match("0033");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].destination, "sip:default");
  EXPECT_EQ(t.match("0044").size(), 3u);
  TrunkTable none({TrunkRoute{1, "0044", "sip:c1", 1, 1, 0, "", ""}});
  EXPECT_TRUE(none.match("0033").empty());
  EXPECT_TRUE(none.match("").empty());
}

TEST(CacheTables, TenantLookupIsCaseInsensitive) {
  TenantTable t({Tenant{"tenant-a.example", 2, ""}});
  ASSERT_NE(t.find("TENANT-A.example"), nullptr);
  EXPECT_EQ(t.find("tenant-a.example")->setid, 2);
  EXPECT_EQ(t.find("tenant-b.example"), nullptr);
}

TEST(CacheTables, DispatcherSetsAreOrderedByPriority) {
  DispatcherTable t({DispatcherEntry{1, 1, "sip:a", 0, 1, "", ""},
                     DispatcherEntry{2, 2, "sip:b", 0, 0, "", ""},
                     DispatcherEntry{3, 1, "sip:c", 0, 5, "", ""}});
  auto s1 = t.set(1);
  ASSERT_EQ(s1.size(), 2u);
  EXPECT_EQ(s1[0].destination, "sip:c");
  EXPECT_EQ(s1[1].destination, "sip:a");
  EXPECT_EQ(t.set(2).size(), 1u);
  EXPECT_TRUE(t.set(3).empty());
}

TEST(CacheTables, EmptyCacheHasEmptyTables) {
  Cache cache;
  auto s = cache.snapshot();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->version, 0u);
  EXPECT_EQ(s->subscribers->find("a", "b"), nullptr);
  EXPECT_TRUE(s->trunks->match("0044").empty());
}

// ---- against a database ----

class CacheDb : public test::BackendTest {
 protected:
  void fill(Store& s) {
    ASSERT_TRUE(s.addSubscriber(sampleSubscriber("alice", "example.com")));
    ASSERT_TRUE(s.addDispatcher(DispatcherEntry{0, 1, "sip:fs1", 0, 0, "", ""}));
    ASSERT_TRUE(s.addDid(DidRoute{0, "+4420", "", "sip:ivr@m", "ivr", ""}));
    ASSERT_TRUE(s.addTrunkRoute(TrunkRoute{0, "0044", "sip:c1", 1, 1, 0, "", ""}));
    ASSERT_TRUE(s.putTenant(Tenant{"tenant-a.example", 1, ""}));
  }
  // Waits (up to 5 s) for pred.
  template <typename F>
  bool eventually(F pred) {
    for (int i = 0; i < 500; ++i) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }
};

TEST_P(CacheDb, LoadServesEveryTable) {
  fill(*store_);
  Cache cache;
  ASSERT_TRUE(cache.load(*store_)) << cache.lastError();
  auto s = cache.snapshot();
  EXPECT_EQ(s->version, 1u);
  EXPECT_NE(s->subscribers->find("alice", "example.com"), nullptr);
  EXPECT_EQ(s->dispatchers->set(1).size(), 1u);
  EXPECT_NE(s->dids->find("+4420", "x"), nullptr);
  EXPECT_EQ(s->trunks->match("00441").size(), 1u);
  EXPECT_EQ(s->tenants->find("tenant-a.example")->setid, 1);
  EXPECT_EQ(cache.counters().reloads, kTableCount);
}

TEST_P(CacheDb, PollWithoutChangesReloadsNothing) {
  fill(*store_);
  Cache cache;
  ASSERT_TRUE(cache.load(*store_));
  ASSERT_TRUE(cache.poll(*store_));
  ASSERT_TRUE(cache.poll(*store_));
  EXPECT_EQ(cache.counters().polls, 2u);
  EXPECT_EQ(cache.counters().reloads, kTableCount);
  EXPECT_EQ(cache.version(), 1u);
}

TEST_P(CacheDb, PollReloadsOnlyTheChangedTableAndSharesTheRest) {
  fill(*store_);
  Cache cache;
  TableSet seen = 0;
  cache.setListener([&](const Snapshot&, TableSet changed) { seen = changed; });
  ASSERT_TRUE(cache.load(*store_));
  EXPECT_EQ(seen, kAllTables);
  auto before = cache.snapshot();
  ASSERT_TRUE(store_->putTenant(Tenant{"tenant-a.example", 2, "moved"}));
  ASSERT_TRUE(cache.poll(*store_));
  auto after = cache.snapshot();
  EXPECT_EQ(seen, tableBit(Table::kTenant));
  EXPECT_EQ(after->version, 2u);
  EXPECT_EQ(after->tenants->find("tenant-a.example")->setid, 2);
  EXPECT_EQ(before->tenants->find("tenant-a.example")->setid, 1);  // old snapshot unchanged
  EXPECT_EQ(after->subscribers, before->subscribers);              // not reloaded
  EXPECT_EQ(cache.counters().reloads, kTableCount + 1);
}

TEST_P(CacheDb, PollSeesChangesMadeByAnotherClient) {
  if (db_->backend() == Backend::kSqliteMemory) GTEST_SKIP() << "needs a shared database";
  Cache cache;
  ASSERT_TRUE(cache.load(*store_));
  auto other = db_->open();  // e.g. `tandem user add` in another process
  ASSERT_TRUE(other->addSubscriber(sampleSubscriber("bob", "example.com")));
  ASSERT_TRUE(cache.poll(*store_));
  EXPECT_NE(cache.snapshot()->subscribers->find("bob", "example.com"), nullptr);
}

TEST_P(CacheDb, ReaderFollowsPublishes) {
  Cache cache;
  CacheReader reader(cache);
  EXPECT_EQ(reader.get().subscribers->find("alice", "example.com"), nullptr);
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  ASSERT_TRUE(cache.load(*store_));
  const Snapshot& s = reader.get();
  EXPECT_NE(s.subscribers->find("alice", "example.com"), nullptr);
  EXPECT_EQ(&reader.get(), &s);  // nothing new: same snapshot, no lock taken
}

TEST_P(CacheDb, FailedPollKeepsTheCurrentSnapshot) {
  auto down = std::make_shared<std::atomic<bool>>(false);
  auto flaky = db_->openFlaky(down);
  if (db_->backend() == Backend::kSqliteMemory) {
    ASSERT_TRUE(flaky->migrate());
    fill(*flaky);
  } else {
    fill(*store_);
  }
  Cache cache;
  ASSERT_TRUE(cache.load(*flaky));
  *down = true;
  Status st = cache.poll(*flaky);
  ASSERT_FALSE(st);
  EXPECT_TRUE(isUnavailable(st));
  EXPECT_EQ(cache.counters().errors, 1u);
  EXPECT_EQ(cache.lastError(), "store unavailable: test outage");
  EXPECT_NE(cache.snapshot()->subscribers->find("alice", "example.com"), nullptr);
}

TEST_P(CacheDb, AttachedToAWorkerStaysFresh) {
  Cache cache;
  ASSERT_TRUE(cache.load(*store_));
  std::unique_ptr<Store> other;
  if (db_->backend() != Backend::kSqliteMemory) other = db_->open();
  auto worker = StoreWorker::create(std::move(store_), WorkerOptions{});
  ASSERT_TRUE(worker);
  cache.attach(**worker, 20);
  (*worker)->start();
  if (other) {
    ASSERT_TRUE(other->addSubscriber(sampleSubscriber("bob", "example.com")));
  } else {
    // One in-memory database: change it through the worker itself.
    ASSERT_TRUE((*worker)->submitWrite(
        [](Store& s) {
          auto r = s.addSubscriber(sampleSubscriber("bob", "example.com"));
          return r ? Status::ok() : r.status();
        },
        nullptr, nullptr));
  }
  EXPECT_TRUE(eventually(
      [&] { return cache.snapshot()->subscribers->find("bob", "example.com") != nullptr; }));
  (*worker)->stop();
  EXPECT_GE(cache.counters().polls, 1u);
}

TANDEM_ALL_BACKENDS(CacheDb);

}  // namespace
}  // namespace tandem::store
