// Store URLs, redaction, digest hashes, placeholder rewriting and error classification.
#include <gtest/gtest.h>

#include "store/sql.h"
#include "store/store.h"

namespace tandem::store {
namespace {

TEST(StoreUrl, SqliteAbsolutePath) {
  auto u = parseStoreUrl("sqlite:///var/lib/tandem/tandem.db");
  ASSERT_TRUE(u) << u.message();
  EXPECT_EQ(u->kind, StoreUrl::Kind::kSqlite);
  EXPECT_EQ(u->path, "/var/lib/tandem/tandem.db");
}

TEST(StoreUrl, SqliteRelativePath) {
  auto u = parseStoreUrl("sqlite:data/tandem.db");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path, "data/tandem.db");
}

TEST(StoreUrl, SqliteMemory) {
  auto u = parseStoreUrl("sqlite::memory:");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->path, ":memory:");
}

TEST(StoreUrl, PostgresBothSchemes) {
  for (const char* url :
       {"postgresql://u:p@db1:5432,db2:5432/tandem?target_session_attrs=read-write",
        "postgres://localhost/tandem"}) {
    auto u = parseStoreUrl(url);
    ASSERT_TRUE(u) << url;
    EXPECT_EQ(u->kind, StoreUrl::Kind::kPostgres);
    EXPECT_EQ(u->conninfo, url);
  }
}

TEST(StoreUrl, UnsupportedSchemeIsRejectedWithoutPassword) {
  auto u = parseStoreUrl("mysql://root:hunter2@db/tandem");
  ASSERT_FALSE(u);
  EXPECT_EQ(u.message(),
            "unsupported store URL \"mysql://root:***@db/tandem\": expected sqlite:///path, "
            "sqlite::memory: or postgresql://...");
}

TEST(StoreUrl, EmptySqlitePathIsRejected) {
  EXPECT_FALSE(parseStoreUrl("sqlite:"));
  EXPECT_FALSE(parseStoreUrl("sqlite://"));
  EXPECT_FALSE(parseStoreUrl(""));
}

TEST(StoreUrl, RedactsPasswords) {
  EXPECT_EQ(redactUrl("postgresql://tandem:s3cret@db1:5432,db2:5432/tandem"),
            "postgresql://tandem:***@db1:5432,db2:5432/tandem");
  EXPECT_EQ(redactUrl("postgresql://db/tandem?user=t&password=s3cret&sslmode=require"),
            "postgresql://db/tandem?user=t&password=***&sslmode=require");
  EXPECT_EQ(redactUrl("postgresql://tandem@db/tandem"), "postgresql://tandem@db/tandem");
  EXPECT_EQ(redactUrl("sqlite:///var/lib/tandem.db"), "sqlite:///var/lib/tandem.db");
}

TEST(StoreUrl, OpenStoreRejectsBadUrl) {
  auto s = openStore("redis://x");
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.message().starts_with("unsupported store URL"));
}

TEST(StoreUrl, OpenSqliteInMissingDirectoryFails) {
  auto s = openStore("sqlite:///nonexistent-dir-tandem/x/tandem.db");
  ASSERT_FALSE(s);
  EXPECT_TRUE(s.message().starts_with(
      "cannot open SQLite database \"/nonexistent-dir-tandem/x/tandem.db\": "))
      << s.message();
}

TEST(StoreUrl, PostgresOpensLazilyAndReportsUnavailable) {
  // Port 1 on loopback refuses at once: the store opens, the first call reports the outage.
  auto s = openStore("postgresql://tandem:pw@127.0.0.1:1/tandem?connect_timeout=2");
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ((*s)->backend(), "postgresql");
  EXPECT_EQ((*s)->description(), "postgresql://tandem:***@127.0.0.1:1/tandem?connect_timeout=2");
  Status st = (*s)->ping();
  ASSERT_FALSE(st);
  EXPECT_TRUE(isUnavailable(st)) << st.message();
  EXPECT_TRUE(st.message().starts_with("store unavailable: cannot connect to PostgreSQL: "))
      << st.message();
  auto v = (*s)->schemaVersion();
  EXPECT_TRUE(isUnavailable(v.status()));
}

TEST(Digest, ComputeHa1MatchesKnownValues) {
  Subscriber s;
  s.username = "alice";
  s.domain = "example.com";
  s.password = "secret";
  computeHa1(s);
  EXPECT_EQ(s.ha1, "b1726872c344b6dc8365b774f8fd6412");
  EXPECT_EQ(s.ha1b, "c79656e4f06dbae9fdf6727654273c65");
  EXPECT_EQ(s.ha1Sha256, "ed8925b20f9a77b8f8f8d5f8e4467fe32b866f7208ab9e4b20595e9821a0fdee");
  EXPECT_EQ(s.ha1bSha256, "6bd4517cd105061be6be1ad9fe83aa83624992e1dd855fe9df7b72f9b9c28151");
}

TEST(Sql, NumberPlaceholdersSkipsQuotedText) {
  EXPECT_EQ(numberPlaceholders("SELECT a FROM t WHERE b = ? AND c = '?' AND \"d?\" = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND \"d?\" = $2");
  EXPECT_EQ(numberPlaceholders("VALUES (?, 'it''s ?', ?)"), "VALUES ($1, 'it''s ?', $2)");
}

TEST(Status, UnavailableClassification) {
  EXPECT_TRUE(isUnavailable(Status::error("store unavailable: no route")));
  EXPECT_FALSE(isUnavailable(Status::error("subscriber a@b already exists")));
  EXPECT_FALSE(isUnavailable(Status::ok()));
}

TEST(Tables, Names) {
  EXPECT_EQ(tableName(Table::kSubscriber), "subscriber");
  EXPECT_EQ(tableName(Table::kDispatcher), "dispatcher");
  EXPECT_EQ(tableName(Table::kDidRouting), "did_routing");
  EXPECT_EQ(tableName(Table::kTrunkRouting), "trunk_routing");
  EXPECT_EQ(tableName(Table::kTenant), "tenant");
}

}  // namespace
}  // namespace tandem::store
