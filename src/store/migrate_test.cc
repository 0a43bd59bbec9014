// Schema migrations and the start-up schema check, on every backend; PostgreSQL connection
// behaviour (multi-host URLs).
#include <gtest/gtest.h>

#include <thread>

#include "store/test_util.h"

namespace tandem::store {
namespace {

using test::Backend;
using test::BackendTest;

class Migrations : public BackendTest {
 protected:
  Migrations() { migrate_ = false; }

  // version -> description from schema_version, read over a raw connection.
  std::vector<std::pair<int64_t, std::string>> recorded() {
    auto conn = db_->connect();
    SqlOutcome out =
        conn->query("SELECT version, description FROM schema_version ORDER BY version", {});
    std::vector<std::pair<int64_t, std::string>> rows;
    if (!out.ok()) return rows;
    for (size_t i = 0; i < out.rows.size(); ++i) {
      rows.emplace_back(out.rows.integer(i, 0), out.rows.text(i, 1));
    }
    return rows;
  }
};

TEST_P(Migrations, FreshDatabaseHasNoSchema) {
  auto v = store_->schemaVersion();
  ASSERT_TRUE(v) << v.message();
  EXPECT_EQ(*v, 0);
  Status st = store_->checkSchema();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(),
            "database has no tandem schema (this binary needs version 3): run `tandem db "
            "migrate`");
}

TEST_P(Migrations, MigrateAppliesEveryMigrationInOrderAndRecordsThem) {
  auto n = store_->migrate();
  ASSERT_TRUE(n) << n.message();
  EXPECT_EQ(*n, kSchemaVersion);
  EXPECT_EQ(*store_->schemaVersion(), kSchemaVersion);
  EXPECT_TRUE(store_->checkSchema()) << store_->checkSchema().message();
  if (db_->backend() == Backend::kSqliteMemory) return;  // a raw connection is another database
  auto rows = recorded();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].first, 1);
  EXPECT_EQ(rows[0].second,
            "tables: subscriber, location, dispatcher, did_routing, trunk_routing, tenant, cdr");
  EXPECT_EQ(rows[1].first, 2);
  EXPECT_EQ(rows[1].second, "change tracking: store_generation and its triggers");
  EXPECT_EQ(rows[2].first, 3);
  EXPECT_EQ(rows[2].second, "migration_run: state of tandem migrate runs");
}

TEST_P(Migrations, MigrateTwiceDoesNothingTheSecondTime) {
  ASSERT_TRUE(store_->migrate());
  auto again = store_->migrate();
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(*again, 0);
}

TEST_P(Migrations, OlderSchemaIsReportedThenUpgraded) {
  auto one = store_->migrate(1);
  ASSERT_TRUE(one) << one.message();
  EXPECT_EQ(*one, 1);
  Status st = store_->checkSchema();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(),
            "database schema is at version 1, this binary needs version 3: run `tandem db "
            "migrate`");
  // Version 1 has the tables but no change tracking yet.
  EXPECT_TRUE(store_->addSubscriber(test::sampleSubscriber("alice", "example.com")));
  EXPECT_FALSE(store_->generations());
  auto rest = store_->migrate();
  ASSERT_TRUE(rest) << rest.message();
  EXPECT_EQ(*rest, 2);
  EXPECT_TRUE(store_->checkSchema());
  // Data written under version 1 is still there.
  auto got = store_->getSubscriber("alice", "example.com");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_TRUE(store_->generations());
}

TEST_P(Migrations, NewerSchemaIsRefused) {
  ASSERT_TRUE(store_->migrate());
  if (db_->backend() == Backend::kSqliteMemory) GTEST_SKIP() << "needs a second connection";
  auto conn = db_->connect();
  ASSERT_TRUE(
      conn->query("INSERT INTO schema_version (version, description) VALUES (99, 'x')", {}).ok());
  Status st = store_->checkSchema();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(),
            "database schema is at version 99, newer than this binary's 3: upgrade tandem");
  auto m = store_->migrate();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.message(),
            "database schema is at version 99, newer than this binary's 3: upgrade tandem");
}

TEST_P(Migrations, BadTargetIsRejected) {
  auto m = store_->migrate(4);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.message(), "no schema version 4 (this binary knows 1 to 3)");
  EXPECT_FALSE(store_->migrate(0));
}

TEST_P(Migrations, TypedCallsBeforeMigrateFailPermanently) {
  auto r = store_->addSubscriber(test::sampleSubscriber("alice", "example.com"));
  ASSERT_FALSE(r);
  EXPECT_FALSE(isUnavailable(r.status())) << r.message();
}

TEST_P(Migrations, FailedMigrationLeavesNothingBehind) {
  if (db_->backend() == Backend::kSqliteMemory) GTEST_SKIP() << "needs a second connection";
  // A table in the way makes migration 1 fail half-way: the transaction undoes all of it.
  auto conn = db_->connect();
  ASSERT_TRUE(conn->script("CREATE TABLE cdr (x INTEGER)").ok());
  auto m = store_->migrate();
  ASSERT_FALSE(m);
  EXPECT_TRUE(m.message().starts_with(
      "migration 1 (tables: subscriber, location, dispatcher, did_routing, trunk_routing, "
      "tenant, cdr) failed: "))
      << m.message();
  EXPECT_EQ(*store_->schemaVersion(), 0);
  // subscriber (created before cdr in the same migration) is gone too.
  EXPECT_FALSE(conn->query("SELECT count(*) FROM subscriber", {}).ok());
}

TEST_P(Migrations, TwoMigratorsAtOnceBothSucceed) {
  if (db_->backend() == Backend::kSqliteMemory) GTEST_SKIP() << "needs a shared database";
  auto other = db_->open();
  Result<int> a = 0, b = 0;
  std::thread t1([&] { a = store_->migrate(); });
  std::thread t2([&] { b = other->migrate(); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a) << a.message();
  ASSERT_TRUE(b) << b.message();
  EXPECT_EQ(*a + *b, kSchemaVersion);  // one did the work, the other found it done
  EXPECT_TRUE(store_->checkSchema());
}

TEST_P(Migrations, DataSurvivesReopening) {
  if (db_->backend() == Backend::kSqliteMemory) GTEST_SKIP() << "in-memory databases vanish";
  ASSERT_TRUE(store_->migrate());
  ASSERT_TRUE(store_->addSubscriber(test::sampleSubscriber("alice", "example.com")));
  store_.reset();
  auto again = db_->open();
  EXPECT_TRUE(again->checkSchema());
  auto got = again->getSubscriber("alice", "example.com");
  ASSERT_TRUE(got && got->has_value());
}

TANDEM_ALL_BACKENDS(Migrations);

// ---- PostgreSQL connection behaviour ----

class PgConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::pgBaseUrl().empty()) GTEST_SKIP() << test::kPgSkipMessage;
    db_ = std::make_unique<test::TestDb>(Backend::kPostgres);
    if (!db_->available()) GTEST_SKIP() << db_->skipReason();
    ASSERT_TRUE(test::pgHostPort(test::pgBaseUrl(), host_, port_));
  }
  std::unique_ptr<test::TestDb> db_;
  std::string host_;
  int port_ = 0;
};

TEST_F(PgConnection, MultiHostUrlSkipsADeadHostForTheReadWriteOne) {
  // The first host refuses connections; libpq moves on to the live primary.
  test::TcpProxy dead(host_, port_);
  dead.setDown(true);
  auto store = db_->openVia(
      "127.0.0.1:" + std::to_string(dead.port()) + "," + host_ + ":" + std::to_string(port_),
      "target_session_attrs=read-write");
  auto m = store->migrate();
  ASSERT_TRUE(m) << m.message();
  EXPECT_TRUE(store->checkSchema());
}

TEST_F(PgConnection, FailoverToTheNextHostIsFollowedWithoutRestart) {
  // Two "servers" (two proxies to the one real server). The first dies: the store reconnects
  // on its next call and lands on the second, as after a Patroni failover.
  test::TcpProxy first(host_, port_);
  test::TcpProxy second(host_, port_);
  auto store = db_->openVia(
      "127.0.0.1:" + std::to_string(first.port()) + ",127.0.0.1:" + std::to_string(second.port()),
      "target_session_attrs=read-write");
  ASSERT_TRUE(store->migrate());
  ASSERT_TRUE(store->addSubscriber(test::sampleSubscriber("alice", "example.com")));
  first.setDown(true);
  auto lost = store->addSubscriber(test::sampleSubscriber("bob", "example.com"));
  ASSERT_FALSE(lost);
  EXPECT_TRUE(isUnavailable(lost.status())) << lost.message();
  auto again = store->addSubscriber(test::sampleSubscriber("bob", "example.com"));
  ASSERT_TRUE(again) << again.message();
  auto all = store->listSubscribers();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
}

TEST_F(PgConnection, ReconnectsAfterTheConnectionIsCut) {
  test::TcpProxy proxy(host_, port_);
  auto store = db_->openVia("127.0.0.1:" + std::to_string(proxy.port()));
  ASSERT_TRUE(store->migrate());
  ASSERT_TRUE(store->addSubscriber(test::sampleSubscriber("alice", "example.com")));
  proxy.setDown(true);
  auto during = store->getSubscriber("alice", "example.com");
  ASSERT_FALSE(during);
  EXPECT_TRUE(isUnavailable(during.status())) << during.message();
  proxy.setDown(false);
  // No restart, no new Store: the next call reconnects.
  auto after = store->getSubscriber("alice", "example.com");
  ASSERT_TRUE(after) << after.message();
  EXPECT_TRUE(after->has_value());
}

TEST_F(PgConnection, ConnectionLostInsideATransactionFailsUntilRollback) {
  test::TcpProxy proxy(host_, port_);
  auto store = db_->openVia("127.0.0.1:" + std::to_string(proxy.port()));
  ASSERT_TRUE(store->migrate());
  ASSERT_TRUE(store->begin());
  ASSERT_TRUE(store->addSubscriber(test::sampleSubscriber("alice", "example.com")));
  proxy.setDown(true);
  EXPECT_TRUE(
      isUnavailable(store->addSubscriber(test::sampleSubscriber("bob", "example.com")).status()));
  proxy.setDown(false);
  // Still inside the broken transaction: no silent autocommit on a fresh connection.
  auto r = store->addSubscriber(test::sampleSubscriber("carol", "example.com"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(),
            "store unavailable: the connection was lost inside a transaction; roll it back");
  EXPECT_TRUE(store->rollback());
  auto all = store->listSubscribers();
  ASSERT_TRUE(all) << all.message();
  EXPECT_TRUE(all->empty());
}

}  // namespace
}  // namespace tandem::store
