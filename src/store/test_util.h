// Test helpers for src/store: a database per test on each backend (SQLite in memory, SQLite on
// disk, PostgreSQL in a throwaway schema when TANDEM_TEST_PG_URL is set), a connection wrapper
// that fakes outages, and a TCP proxy that cuts a real PostgreSQL off and on.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sql.h"
#include "store/store.h"

namespace tandem::store::test {

// The environment variable naming a PostgreSQL server for the PG cases.
inline constexpr const char* kPgUrlEnv = "TANDEM_TEST_PG_URL";
inline constexpr const char* kPgSkipMessage =
    "TANDEM_TEST_PG_URL is not set: PostgreSQL cases skipped (run them with "
    "tests/store/pg.sh run -- <test command>)";
std::string pgBaseUrl();  // "" when unset

// A directory removed (with its files) at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

enum class Backend { kSqliteMemory, kSqliteFile, kPostgres };
std::string backendName(Backend b);  // for test names

// One empty database. For PostgreSQL: a fresh schema, dropped at destruction.
class TestDb {
 public:
  explicit TestDb(Backend backend);
  ~TestDb();
  // False (with the reason in skipReason()) when the backend is not available here.
  bool available() const { return available_; }
  const std::string& skipReason() const { return skipReason_; }
  // A URL for this database; every openStore(url()) reaches the same data, except
  // sqlite::memory: where each open is a new database.
  const std::string& url() const { return url_; }
  // A store on the database, not migrated.
  std::unique_ptr<Store> open() const;
  // A store whose connection can be switched off (see FlakyConn).
  std::unique_ptr<Store> openFlaky(std::shared_ptr<std::atomic<bool>> down) const;
  // A store reaching the database through other hosts ("127.0.0.1:5433" or a multi-host list
  // "h1:p1,h2:p2"), same schema; option ("k=v") is added to the URL when given.
  std::unique_ptr<Store> openVia(const std::string& hosts, const std::string& option = "") const;
  Backend backend() const { return backend_; }
  // A raw connection to the database (for checks the Store interface does not offer).
  std::unique_ptr<SqlConn> connect() const;

 private:
  Backend backend_;
  bool available_ = true;
  std::string skipReason_;
  std::string url_;
  std::string schema_;
  std::unique_ptr<TempDir> dir_;
};

// Wraps a connection: while *down is true every call fails as unavailable, as a lost database.
class FlakyConn final : public SqlConn {
 public:
  FlakyConn(std::unique_ptr<SqlConn> inner, std::shared_ptr<std::atomic<bool>> down)
      : inner_(std::move(inner)), down_(std::move(down)) {}
  Dialect dialect() const override { return inner_->dialect(); }
  bool connected() const override { return !*down_; }
  SqlOutcome query(std::string_view sql, std::span<const SqlValue> params) override;
  SqlOutcome script(std::string_view sql) override;
  uint64_t refused() const { return refused_; }

 private:
  std::unique_ptr<SqlConn> inner_;
  std::shared_ptr<std::atomic<bool>> down_;
  uint64_t refused_ = 0;
};

// A TCP forwarder on 127.0.0.1:<port()> to target. setDown(true) drops every connection and
// stops listening (connections are refused), as a stopped server; setDown(false) listens on the
// same port again.
class TcpProxy {
 public:
  TcpProxy(std::string targetHost, int targetPort);
  ~TcpProxy();
  int port() const { return port_; }
  void setDown(bool down);

 private:
  void acceptLoop();
  void pump(int client);
  std::string host_;
  int targetPort_;
  int listenFd_ = -1;
  int port_ = 0;
  std::atomic<bool> down_{false};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// Host and port of a postgresql:// URL ("127.0.0.1", 5432). REQUIRES: a single-host URL.
bool pgHostPort(const std::string& url, std::string& host, int& port);

// Sample rows.
Subscriber sampleSubscriber(const std::string& user, const std::string& domain);
Location sampleLocation(const std::string& ruid, const std::string& user,
                        const std::string& domain);
Cdr sampleCdr(const std::string& uuid);

}  // namespace tandem::store::test

#include <gtest/gtest.h>

namespace tandem::store::test {

// A test run once per backend, with a migrated, empty database in db_ and a store on it in
// store_. PostgreSQL cases skip with kPgSkipMessage when no server is configured.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>(GetParam());
    if (!db_->available()) GTEST_SKIP() << db_->skipReason();
    store_ = db_->open();
    if (migrate_) {
      auto m = store_->migrate();
      ASSERT_TRUE(m) << m.message();
    }
  }
  bool migrate_ = true;
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<Store> store_;
};

inline std::string backendParamName(const ::testing::TestParamInfo<Backend>& info) {
  return backendName(info.param);
}

#define TANDEM_ALL_BACKENDS(Suite)                                                          \
  INSTANTIATE_TEST_SUITE_P(All, Suite,                                                      \
                           ::testing::Values(::tandem::store::test::Backend::kSqliteMemory, \
                                             ::tandem::store::test::Backend::kSqliteFile,   \
                                             ::tandem::store::test::Backend::kPostgres),    \
                           ::tandem::store::test::backendParamName)

}  // namespace tandem::store::test
