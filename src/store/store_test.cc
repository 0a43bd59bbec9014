// Every typed Store operation, on every backend (SQLite in memory, SQLite on disk, PostgreSQL).
#include <gtest/gtest.h>

#include "store/test_util.h"

namespace tandem::store {
namespace {

using test::BackendTest;
using test::sampleCdr;
using test::sampleLocation;
using test::sampleSubscriber;

class StoreOps : public BackendTest {};

// ---- subscriber ----

TEST_P(StoreOps, SubscriberAddGetRoundTripsEveryColumn) {
  Subscriber s = sampleSubscriber("alice", "example.com");
  auto id = store_->addSubscriber(s);
  ASSERT_TRUE(id) << id.message();
  EXPECT_GT(*id, 0);
  auto got = store_->getSubscriber("alice", "example.com");
  ASSERT_TRUE(got) << got.message();
  ASSERT_TRUE(got->has_value());
  const Subscriber& g = **got;
  EXPECT_EQ(g.id, *id);
  EXPECT_EQ(g.username, "alice");
  EXPECT_EQ(g.domain, "example.com");
  EXPECT_EQ(g.password, s.password);
  EXPECT_EQ(g.ha1, s.ha1);
  EXPECT_EQ(g.ha1b, s.ha1b);
  EXPECT_EQ(g.ha1Sha256, s.ha1Sha256);
  EXPECT_EQ(g.ha1bSha256, s.ha1bSha256);
}

TEST_P(StoreOps, SubscriberGetUnknownIsEmpty) {
  auto got = store_->getSubscriber("nobody", "example.com");
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->has_value());
}

TEST_P(StoreOps, SubscriberDuplicateIsRejected) {
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  auto again = store_->addSubscriber(sampleSubscriber("alice", "EXAMPLE.com"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.message(), "subscriber alice@example.com already exists");
  EXPECT_FALSE(isUnavailable(again.status()));
}

TEST_P(StoreOps, SubscriberDomainIsStoredLowercaseUsernameKeepsCase) {
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("Alice", "Example.COM")));
  auto got = store_->getSubscriber("Alice", "EXAMPLE.com");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->domain, "example.com");
  auto other = store_->getSubscriber("alice", "example.com");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->has_value());
}

TEST_P(StoreOps, SubscriberWithoutPasswordKeepsHashesOnly) {
  Subscriber s = sampleSubscriber("bob", "example.com");
  s.password.clear();
  ASSERT_TRUE(store_->addSubscriber(s));
  auto got = store_->getSubscriber("bob", "example.com");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->password, "");
  EXPECT_EQ((*got)->ha1, s.ha1);
}

TEST_P(StoreOps, SubscriberUpdateReplacesCredentials) {
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  Subscriber s = sampleSubscriber("alice", "example.com");
  s.password = "new-password";
  computeHa1(s);
  ASSERT_TRUE(store_->updateSubscriber(s));
  auto got = store_->getSubscriber("alice", "example.com");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->password, "new-password");
  EXPECT_EQ((*got)->ha1, s.ha1);
  EXPECT_EQ((*got)->ha1bSha256, s.ha1bSha256);
}

TEST_P(StoreOps, SubscriberUpdateUnknownFails) {
  Status st = store_->updateSubscriber(sampleSubscriber("ghost", "Example.com"));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), "no subscriber ghost@example.com");
}

TEST_P(StoreOps, SubscriberDeleteReportsWhetherARowWent) {
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  auto first = store_->deleteSubscriber("alice", "EXAMPLE.COM");
  ASSERT_TRUE(first);
  EXPECT_TRUE(*first);
  auto second = store_->deleteSubscriber("alice", "example.com");
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);
}

TEST_P(StoreOps, SubscriberListIsOrderedAndFiltersByDomain) {
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("carol", "b.example")));
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("bob", "a.example")));
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "b.example")));
  auto all = store_->listSubscribers();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].username, "bob");
  EXPECT_EQ((*all)[1].username, "alice");
  EXPECT_EQ((*all)[2].username, "carol");
  auto b = store_->listSubscribers("B.example");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].username, "alice");
}

TEST_P(StoreOps, QuotesAndUnicodeAreData) {
  Subscriber s = sampleSubscriber("o'brien\"; DROP TABLE subscriber; --", "exämple.com");
  ASSERT_TRUE(store_->addSubscriber(s));
  auto got = store_->getSubscriber(s.username, "exämple.com");
  ASSERT_TRUE(got && got->has_value()) << got.message();
  EXPECT_EQ((*got)->username, s.username);
  auto all = store_->listSubscribers();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

// ---- location ----

TEST_P(StoreOps, LocationPutRoundTripsEveryColumn) {
  Location l = sampleLocation("ruid-1", "alice", "Example.com");
  ASSERT_TRUE(store_->putLocation(l));
  auto got = store_->listLocations("alice", "example.com");
  ASSERT_TRUE(got) << got.message();
  ASSERT_EQ(got->size(), 1u);
  const Location& g = (*got)[0];
  EXPECT_GT(g.id, 0);
  EXPECT_EQ(g.ruid, "ruid-1");
  EXPECT_EQ(g.username, "alice");
  EXPECT_EQ(g.domain, "example.com");
  EXPECT_EQ(g.contact, l.contact);
  EXPECT_EQ(g.received, l.received);
  EXPECT_EQ(g.path, l.path);
  EXPECT_EQ(g.expires, l.expires);
  EXPECT_DOUBLE_EQ(g.q, 0.5);
  EXPECT_EQ(g.callid, l.callid);
  EXPECT_EQ(g.cseq, 42);
  EXPECT_EQ(g.lastModified, l.lastModified);
  EXPECT_EQ(g.flags, 1);
  EXPECT_EQ(g.cflags, 2);
  EXPECT_EQ(g.userAgent, l.userAgent);
  EXPECT_EQ(g.socket, l.socket);
  EXPECT_EQ(g.methods, 8191);
  EXPECT_EQ(g.instance, l.instance);
  EXPECT_EQ(g.regId, 1);
  EXPECT_EQ(g.serverId, 7);
  EXPECT_EQ(g.keepalive, 1);
}

TEST_P(StoreOps, LocationPutReplacesByRuid) {
  Location l = sampleLocation("ruid-1", "alice", "example.com");
  ASSERT_TRUE(store_->putLocation(l));
  l.expires += 3600;
  l.cseq = 43;
  l.lastModified += 60;
  ASSERT_TRUE(store_->putLocation(l));
  ASSERT_TRUE(store_->putLocation(l));  // idempotent
  auto got = store_->listLocations("alice", "example.com");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].cseq, 43);
  EXPECT_EQ((*got)[0].expires, l.expires);
}

TEST_P(StoreOps, LocationOlderPutDoesNotUndoNewerOne) {
  Location newer = sampleLocation("ruid-1", "alice", "example.com");
  newer.lastModified = 2000;
  newer.cseq = 10;
  Location older = newer;
  older.lastModified = 1000;
  older.cseq = 5;
  ASSERT_TRUE(store_->putLocation(newer));
  ASSERT_TRUE(store_->putLocation(older));  // e.g. a late journal replay
  auto got = store_->listLocations("alice", "example.com");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].cseq, 10);
}

TEST_P(StoreOps, LocationListOrdersByQThenNewest) {
  Location a = sampleLocation("a", "alice", "example.com");
  a.q = 0.1;
  Location b = sampleLocation("b", "alice", "example.com");
  b.q = 1.0;
  b.lastModified = 100;
  Location c = sampleLocation("c", "alice", "example.com");
  c.q = 1.0;
  c.lastModified = 200;
  Location other = sampleLocation("d", "bob", "example.com");
  for (const Location& l : {a, b, c, other}) ASSERT_TRUE(store_->putLocation(l));
  auto got = store_->listLocations("alice", "example.com");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].ruid, "c");
  EXPECT_EQ((*got)[1].ruid, "b");
  EXPECT_EQ((*got)[2].ruid, "a");
  auto all = store_->listAllLocations();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 4u);
}

TEST_P(StoreOps, LocationDeleteByRuid) {
  ASSERT_TRUE(store_->putLocation(sampleLocation("a", "alice", "example.com")));
  ASSERT_TRUE(store_->putLocation(sampleLocation("b", "alice", "example.com")));
  auto del = store_->deleteLocation("a");
  ASSERT_TRUE(del);
  EXPECT_TRUE(*del);
  auto again = store_->deleteLocation("a");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto got = store_->listLocations("alice", "example.com");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].ruid, "b");
}

TEST_P(StoreOps, LocationDeleteAorRemovesEveryBindingOfIt) {
  ASSERT_TRUE(store_->putLocation(sampleLocation("a", "alice", "example.com")));
  ASSERT_TRUE(store_->putLocation(sampleLocation("b", "alice", "example.com")));
  ASSERT_TRUE(store_->putLocation(sampleLocation("c", "bob", "example.com")));
  auto n = store_->deleteLocations("alice", "EXAMPLE.COM");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  auto all = store_->listAllLocations();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].username, "bob");
}

TEST_P(StoreOps, LocationDeleteExpiredKeepsPermanentAndLive) {
  Location expired = sampleLocation("old", "alice", "example.com");
  expired.expires = 1000;
  Location live = sampleLocation("live", "alice", "example.com");
  live.expires = 5000;
  Location permanent = sampleLocation("static", "alice", "example.com");
  permanent.expires = 0;
  for (const Location& l : {expired, live, permanent}) ASSERT_TRUE(store_->putLocation(l));
  auto n = store_->deleteExpiredLocations(1000);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  auto all = store_->listAllLocations();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
}

// ---- dispatcher ----

TEST_P(StoreOps, DispatcherAddListUpdateDelete) {
  DispatcherEntry a{0, 2, "sip:fs2.internal:5080", 0, 5, "weight=50;duid=fs2", "fs2"};
  DispatcherEntry b{0, 1, "sip:fs1.internal:5080", 8, 0, "", ""};
  DispatcherEntry c{0, 2, "sip:fs3.internal:5080", 0, 9, "", ""};
  auto ia = store_->addDispatcher(a);
  auto ib = store_->addDispatcher(b);
  auto ic = store_->addDispatcher(c);
  ASSERT_TRUE(ia && ib && ic);
  auto all = store_->listDispatchers();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].destination, "sip:fs1.internal:5080");
  EXPECT_EQ((*all)[0].flags, 8);
  EXPECT_EQ((*all)[1].destination, "sip:fs3.internal:5080");  // priority 9 before 5
  EXPECT_EQ((*all)[2].attrs, "weight=50;duid=fs2");
  EXPECT_EQ((*all)[2].description, "fs2");

  a.id = *ia;
  a.flags = 4;
  a.setid = 3;
  ASSERT_TRUE(store_->updateDispatcher(a));
  auto del = store_->deleteDispatcher(*ib);
  ASSERT_TRUE(del && *del);
  all = store_->listDispatchers();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].setid, 3);
  EXPECT_EQ((*all)[1].flags, 4);
}

TEST_P(StoreOps, DispatcherUpdateUnknownFails) {
  DispatcherEntry d{424242, 1, "sip:x", 0, 0, "", ""};
  Status st = store_->updateDispatcher(d);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), "no dispatcher entry with id 424242");
  auto del = store_->deleteDispatcher(424242);
  ASSERT_TRUE(del);
  EXPECT_FALSE(*del);
}

// ---- did_routing ----

TEST_P(StoreOps, DidAddListDelete) {
  DidRoute any{0, "+442071234567", "", "sip:ivr@media.internal", "ivr", "main number"};
  DidRoute tenant{0, "+442071234567", "Tenant-A.example", "sip:queue1@media.internal", "queue", ""};
  ASSERT_TRUE(store_->addDid(any));
  ASSERT_TRUE(store_->addDid(tenant));
  auto all = store_->listDids();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].domain, "");
  EXPECT_EQ((*all)[1].domain, "tenant-a.example");
  EXPECT_EQ((*all)[1].destType, "queue");
  EXPECT_EQ((*all)[0].description, "main number");
  auto del = store_->deleteDid("+442071234567", "TENANT-A.example");
  ASSERT_TRUE(del && *del);
  all = store_->listDids();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST_P(StoreOps, DidDuplicateIsRejected) {
  DidRoute r{0, "+4420", "", "sip:a@b", "", ""};
  ASSERT_TRUE(store_->addDid(r));
  auto again = store_->addDid(r);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.message(), "DID +4420 (any domain) already exists");
  r.domain = "Example.com";
  ASSERT_TRUE(store_->addDid(r));
  again = store_->addDid(r);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.message(), "DID +4420 (domain example.com) already exists");
}

// ---- trunk_routing ----

TEST_P(StoreOps, TrunkAddListDelete) {
  TrunkRoute a{0, "0044", "sip:carrier1.example.net", 1, 10, 2, "+44", "primary"};
  TrunkRoute b{0, "0044", "sip:carrier2.example.net", 2, 10, 0, "", "backup"};
  TrunkRoute c{0, "", "sip:default.example.net", 1, 1, 0, "", ""};
  for (const TrunkRoute& t : {a, b, c}) ASSERT_TRUE(store_->addTrunkRoute(t));
  auto all = store_->listTrunkRoutes();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].prefix, "");
  EXPECT_EQ((*all)[1].destination, "sip:carrier1.example.net");
  EXPECT_EQ((*all)[1].strip, 2);
  EXPECT_EQ((*all)[1].prepend, "+44");
  EXPECT_EQ((*all)[1].weight, 10);
  EXPECT_EQ((*all)[2].priority, 2);

  auto one = store_->deleteTrunkRoutes("0044", "sip:carrier2.example.net");
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, 1);
  ASSERT_TRUE(store_->addTrunkRoute(b));
  auto both = store_->deleteTrunkRoutes("0044", "");
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, 2);
  all = store_->listTrunkRoutes();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST_P(StoreOps, TrunkDuplicateIsRejected) {
  TrunkRoute a{0, "0044", "sip:carrier1.example.net", 1, 10, 0, "", ""};
  ASSERT_TRUE(store_->addTrunkRoute(a));
  auto again = store_->addTrunkRoute(a);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.message(), "trunk route 0044 -> sip:carrier1.example.net already exists");
}

// ---- tenant ----

TEST_P(StoreOps, TenantPutInsertsThenMovesToAnotherSet) {
  ASSERT_TRUE(store_->putTenant(Tenant{"Tenant-A.example", 1, "batch 1"}));
  ASSERT_TRUE(store_->putTenant(Tenant{"tenant-b.example", 1, ""}));
  ASSERT_TRUE(store_->putTenant(Tenant{"tenant-a.example", 2, "migrated"}));
  auto all = store_->listTenants();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].domain, "tenant-a.example");
  EXPECT_EQ((*all)[0].setid, 2);
  EXPECT_EQ((*all)[0].description, "migrated");
  auto del = store_->deleteTenant("TENANT-B.example");
  ASSERT_TRUE(del && *del);
  auto again = store_->deleteTenant("tenant-b.example");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
}

// ---- migration_run ----

TEST_P(StoreOps, MigrationRunIsReplacedByNameAndListedInOrder) {
  auto none = store_->getMigrationRun("fs1-to-fs2");
  ASSERT_TRUE(none) << none.message();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(store_->putMigrationRun(MigrationRun{"fs1-to-fs2", R"({"status":"running"})", 10}));
  ASSERT_TRUE(store_->putMigrationRun(MigrationRun{"a-first", "{}", 5}));
  ASSERT_TRUE(
      store_->putMigrationRun(MigrationRun{"fs1-to-fs2", R"({"status":"rolled_back"})", 20}));
  auto got = store_->getMigrationRun("fs1-to-fs2");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->state, R"({"status":"rolled_back"})");
  EXPECT_EQ((*got)->updated, 20);
  auto all = store_->listMigrationRuns();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a-first");
  EXPECT_EQ((*all)[1].name, "fs1-to-fs2");
}

// ---- cdr ----

TEST_P(StoreOps, CdrRoundTripsEveryColumn) {
  Cdr c = sampleCdr("u-1");
  ASSERT_TRUE(store_->insertCdr(c));
  auto got = store_->listCdrs(0, 10);
  ASSERT_TRUE(got) << got.message();
  ASSERT_EQ(got->size(), 1u);
  const Cdr& g = (*got)[0];
  EXPECT_GT(g.id, 0);
  EXPECT_EQ(g.uuid, "u-1");
  EXPECT_EQ(g.callid, c.callid);
  EXPECT_EQ(g.fromTag, "ft");
  EXPECT_EQ(g.toTag, "tt");
  EXPECT_EQ(g.srcUser, "alice");
  EXPECT_EQ(g.srcDomain, "example.com");
  EXPECT_EQ(g.srcIp, "192.0.2.1");
  EXPECT_EQ(g.dstUser, "+442071234567");
  EXPECT_EQ(g.dstDomain, "example.com");
  EXPECT_EQ(g.destination, c.destination);
  EXPECT_EQ(g.setid, 1);
  EXPECT_EQ(g.startTime, c.startTime);
  EXPECT_EQ(g.answerTime, c.answerTime);
  EXPECT_EQ(g.endTime, c.endTime);
  EXPECT_DOUBLE_EQ(g.duration, 62.5);
  EXPECT_DOUBLE_EQ(g.billsec, 60.5);
  EXPECT_EQ(g.sipCode, 200);
  EXPECT_EQ(g.sipReason, "OK");
  EXPECT_EQ(g.disposition, "ANSWERED");
}

TEST_P(StoreOps, CdrInsertIsIdempotentByUuid) {
  Cdr c = sampleCdr("u-1");
  ASSERT_TRUE(store_->insertCdr(c));
  c.sipCode = 486;
  ASSERT_TRUE(store_->insertCdr(c));  // a retry after a lost acknowledgement
  auto got = store_->listCdrs(0, 10);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].sipCode, 200);
}

TEST_P(StoreOps, CdrWithoutUuidIsRejected) {
  Status st = store_->insertCdr(sampleCdr(""));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), "a CDR needs a uuid");
}

TEST_P(StoreOps, CdrListPagesByIdWithLimit) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store_->insertCdr(sampleCdr("u-" + std::to_string(i))));
  auto first = store_->listCdrs(0, 2);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].uuid, "u-0");
  auto rest = store_->listCdrs((*first)[1].id, 10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].uuid, "u-2");
  EXPECT_EQ((*rest)[2].uuid, "u-4");
}

// ---- writes as queued operations ----

TEST_P(StoreOps, ApplyWriteRunsEachWriteOp) {
  ASSERT_TRUE(applyWrite(*store_, PutLocation{sampleLocation("a", "alice", "example.com")}));
  ASSERT_TRUE(applyWrite(*store_, PutLocation{sampleLocation("b", "alice", "example.com")}));
  ASSERT_TRUE(applyWrite(*store_, PutLocation{sampleLocation("c", "bob", "example.com")}));
  ASSERT_TRUE(applyWrite(*store_, DeleteLocation{"a"}));
  ASSERT_TRUE(applyWrite(*store_, DeleteAor{"bob", "example.com"}));
  ASSERT_TRUE(applyWrite(*store_, InsertCdr{sampleCdr("u-1")}));
  auto all = store_->listAllLocations();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].ruid, "b");
  auto cdrs = store_->listCdrs(0, 10);
  ASSERT_TRUE(cdrs);
  EXPECT_EQ(cdrs->size(), 1u);
}

// ---- transactions ----

TEST_P(StoreOps, RollbackDiscardsTheTransaction) {
  ASSERT_TRUE(store_->begin());
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  ASSERT_TRUE(store_->rollback());
  auto all = store_->listSubscribers();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
}

TEST_P(StoreOps, SavepointSkipsOneFailingWrite) {
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  ASSERT_TRUE(store_->begin());
  ASSERT_TRUE(store_->savepoint());
  ASSERT_FALSE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  ASSERT_TRUE(store_->rollbackToSavepoint());
  ASSERT_TRUE(store_->savepoint());
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("bob", "example.com")));
  ASSERT_TRUE(store_->releaseSavepoint());
  ASSERT_TRUE(store_->commit());
  auto all = store_->listSubscribers();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
}

TEST_P(StoreOps, NestedBeginAndStrayCommitAreErrors) {
  EXPECT_EQ(store_->commit().message(), "no transaction is open");
  ASSERT_TRUE(store_->begin());
  EXPECT_EQ(store_->begin().message(), "a transaction is already open");
  ASSERT_TRUE(store_->commit());
}

// ---- change tracking ----

TEST_P(StoreOps, GenerationsMoveOnlyForTheChangedTable) {
  auto before = store_->generations();
  ASSERT_TRUE(before) << before.message();
  ASSERT_TRUE(store_->putTenant(Tenant{"a.example", 1, ""}));
  auto after = store_->generations();
  ASSERT_TRUE(after);
  for (size_t i = 0; i < kTableCount; ++i) {
    if (i == static_cast<size_t>(Table::kTenant)) {
      EXPECT_GT((*after)[i], (*before)[i]);
    } else {
      EXPECT_EQ((*after)[i], (*before)[i]) << tableName(static_cast<Table>(i));
    }
  }
  // Location and CDR writes are not tracked (the registrar owns bindings in memory).
  ASSERT_TRUE(store_->putLocation(sampleLocation("a", "alice", "example.com")));
  ASSERT_TRUE(store_->insertCdr(sampleCdr("u")));
  auto last = store_->generations();
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, *after);
}

TEST_P(StoreOps, GenerationsMoveForEveryKindOfChange) {
  auto gen = [&] { return (*store_->generations())[static_cast<size_t>(Table::kSubscriber)]; };
  int64_t g0 = gen();
  ASSERT_TRUE(store_->addSubscriber(sampleSubscriber("alice", "example.com")));
  int64_t g1 = gen();
  EXPECT_GT(g1, g0);
  ASSERT_TRUE(store_->updateSubscriber(sampleSubscriber("alice", "example.com")));
  int64_t g2 = gen();
  EXPECT_GT(g2, g1);
  ASSERT_TRUE(store_->deleteSubscriber("alice", "example.com"));
  EXPECT_GT(gen(), g2);
}

TANDEM_ALL_BACKENDS(StoreOps);

}  // namespace
}  // namespace tandem::store
