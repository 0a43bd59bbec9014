// StoreWorker: completions on the caller's loop, ordering, bounded queue, permanent errors,
// outages (faked, and a real PostgreSQL cut off by a proxy or stopped), journaling, replay,
// shutdown and kill -9.
#include "store/worker.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "store/test_util.h"

namespace tandem::store {
namespace {

using test::Backend;
using test::sampleCdr;
using test::sampleLocation;
using test::TempDir;

template <typename F>
bool eventually(F pred, int ms = 10000) {
  for (int i = 0; i < ms / 5; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// Runs loop rounds until pred holds (or 10 s pass).
template <typename F>
bool loopUntil(EventLoop& loop, F pred) {
  for (int i = 0; i < 1000 && !pred(); ++i) loop.runOnce(10);
  return pred();
}

void expectBalanced(const WorkerCounters& c) {
  EXPECT_EQ(c.queued, c.written + c.failed + c.journaled + c.abandoned + c.depth)
      << "queued " << c.queued << " written " << c.written << " failed " << c.failed
      << " journaled " << c.journaled << " abandoned " << c.abandoned << " depth " << c.depth;
}

class Worker : public test::BackendTest {
 protected:
  std::unique_ptr<StoreWorker> makeWorker(std::unique_ptr<Store> store, WorkerOptions o = {}) {
    auto w = StoreWorker::create(std::move(store), std::move(o));
    EXPECT_TRUE(w) << w.message();
    return w ? std::move(w.value()) : nullptr;
  }
  // The store the tests check results with. For sqlite::memory: the worker's own store is the
  // only view, so those tests read through the worker.
  bool shared() const { return db_->backend() != Backend::kSqliteMemory; }
  // A flaky store on the same migrated database (memory: a fresh one, migrated here).
  std::unique_ptr<Store> flaky(std::shared_ptr<std::atomic<bool>> down) {
    auto s = db_->openFlaky(std::move(down));
    EXPECT_TRUE(s->migrate());
    return s;
  }
  size_t countLocations(StoreWorker& w) {
    std::atomic<int64_t> n{-1};
    auto st = w.read<std::vector<Location>>(
        [](Store& s) { return s.listAllLocations(); }, nullptr,
        [&](Result<std::vector<Location>> r) { n = r ? static_cast<int64_t>(r->size()) : -2; });
    EXPECT_TRUE(st);
    EXPECT_TRUE(eventually([&] { return n != -1; }));
    return static_cast<size_t>(n.load());
  }
  size_t countCdrs(StoreWorker& w) {
    std::atomic<int64_t> n{-1};
    auto st = w.read<std::vector<Cdr>>(
        [](Store& s) { return s.listCdrs(0, 100000); }, nullptr,
        [&](Result<std::vector<Cdr>> r) { n = r ? static_cast<int64_t>(r->size()) : -2; });
    EXPECT_TRUE(st);
    EXPECT_TRUE(eventually([&] { return n != -1; }));
    return static_cast<size_t>(n.load());
  }
};

TEST_P(Worker, WritesLandAndCompleteOnTheCallersLoop) {
  EventLoop loop;
  CompletionQueue cq;
  ASSERT_TRUE(cq.attach(loop));
  auto w = makeWorker(std::move(store_));
  w->start();
  std::thread::id loopThread = std::this_thread::get_id();
  int done = 0;
  bool wrongThread = false;
  for (int i = 0; i < 300; ++i) {
    auto l = sampleLocation("r" + std::to_string(i), "u" + std::to_string(i), "example.com");
    ASSERT_TRUE(w->submit(PutLocation{l}, Durability::kJournal, &cq, [&](const WriteDone& d) {
      EXPECT_TRUE(d.status) << d.status.message();
      EXPECT_FALSE(d.journaled);
      wrongThread |= std::this_thread::get_id() != loopThread;
      ++done;
    }));
  }
  ASSERT_TRUE(loopUntil(loop, [&] { return done == 300; }));
  EXPECT_FALSE(wrongThread);
  EXPECT_EQ(countLocations(*w), 300u);
  WorkerCounters c = w->counters();
  EXPECT_EQ(c.queued, 300u);
  EXPECT_EQ(c.written, 300u);
  EXPECT_EQ(c.retried, 0u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.depth, 0u);
  EXPECT_TRUE(c.available);
  expectBalanced(c);
}

TEST_P(Worker, WritesApplyInSubmissionOrder) {
  auto w = makeWorker(std::move(store_), WorkerOptions{.batch = 3});
  w->start();
  for (int i = 0; i < 20; ++i) {
    auto l = sampleLocation("same", "alice", "example.com");
    l.cseq = i;
    ASSERT_TRUE(w->submit(PutLocation{l}, Durability::kRetry, nullptr, nullptr));
    if (i == 10) {
      ASSERT_TRUE(w->submit(DeleteLocation{"same"}, Durability::kRetry, nullptr, nullptr));
    }
  }
  ASSERT_TRUE(eventually([&] { return w->counters().written == 21; }));
  std::atomic<int64_t> cseq{-1};
  ASSERT_TRUE(w->read<std::vector<Location>>(
      [](Store& s) { return s.listLocations("alice", "example.com"); }, nullptr,
      [&](Result<std::vector<Location>> r) { cseq = r && r->size() == 1 ? (*r)[0].cseq : -2; }));
  ASSERT_TRUE(eventually([&] { return cseq != -1; }));
  EXPECT_EQ(cseq, 19);
}

TEST_P(Worker, ReadDeliversItsResult) {
  ASSERT_TRUE(store_->addSubscriber(test::sampleSubscriber("alice", "example.com")));
  EventLoop loop;
  CompletionQueue cq;
  ASSERT_TRUE(cq.attach(loop));
  auto w = makeWorker(std::move(store_));
  w->start();
  std::optional<Result<std::optional<Subscriber>>> got;
  ASSERT_TRUE(w->read<std::optional<Subscriber>>(
      [](Store& s) { return s.getSubscriber("alice", "example.com"); }, &cq,
      [&](Result<std::optional<Subscriber>> r) { got = std::move(r); }));
  ASSERT_TRUE(loopUntil(loop, [&] { return got.has_value(); }));
  ASSERT_TRUE(*got);
  ASSERT_TRUE((**got).has_value());
  EXPECT_EQ((***got).username, "alice");
  EXPECT_EQ(w->counters().reads, 1u);
}

TEST_P(Worker, FullQueueRefusesAndCounts) {
  auto w = makeWorker(std::move(store_), WorkerOptions{.maxQueue = 3});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("")}, Durability::kRetry, nullptr, nullptr));
  }
  bool called = false;
  Status st = w->submit(InsertCdr{sampleCdr("")}, Durability::kRetry, nullptr,
                        [&](const WriteDone&) { called = true; });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.message(), "store write queue full (3 writes pending)");
  WorkerCounters c = w->counters();
  EXPECT_EQ(c.queued, 3u);
  EXPECT_EQ(c.dropped, 1u);
  EXPECT_EQ(c.depth, 3u);
  w->start();
  ASSERT_TRUE(eventually([&] { return w->counters().written == 3; }));
  EXPECT_EQ(countCdrs(*w), 3u);  // each got its own uuid
  EXPECT_FALSE(called);
  expectBalanced(w->counters());
}

TEST_P(Worker, PermanentErrorFailsOnlyThatWrite) {
  auto w = makeWorker(std::move(store_));
  std::vector<Status> results(3);
  ASSERT_TRUE(w->submit(PutLocation{sampleLocation("a", "alice", "example.com")},
                        Durability::kRetry, nullptr,
                        [&](const WriteDone& d) { results[0] = d.status; }));
  ASSERT_TRUE(w->submitWrite([](Store&) { return Status::error("bad row"); }, nullptr,
                             [&](const WriteDone& d) { results[1] = d.status; }));
  ASSERT_TRUE(w->submit(PutLocation{sampleLocation("b", "alice", "example.com")},
                        Durability::kRetry, nullptr,
                        [&](const WriteDone& d) { results[2] = d.status; }));
  w->start();
  ASSERT_TRUE(eventually([&] { return w->counters().depth == 0; }));
  EXPECT_TRUE(results[0]);
  ASSERT_FALSE(results[1]);
  EXPECT_EQ(results[1].message(), "bad row");
  EXPECT_TRUE(results[2]);
  EXPECT_EQ(countLocations(*w), 2u);
  WorkerCounters c = w->counters();
  EXPECT_EQ(c.written, 2u);
  EXPECT_EQ(c.failed, 1u);
  EXPECT_EQ(c.retried, 0u);
  expectBalanced(c);
}

TEST_P(Worker, OutageQueuesAndRetriesUntilTheDatabaseIsBack) {
  auto down = std::make_shared<std::atomic<bool>>(false);
  auto w = makeWorker(flaky(down), WorkerOptions{.retryInitialMs = 5, .retryMaxMs = 40});
  *down = true;
  w->start();
  std::atomic<int> ok{0};
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("u-" + std::to_string(i))}, Durability::kRetry,
                          nullptr, [&](const WriteDone& d) { ok += d.status.isOk(); }));
  }
  ASSERT_TRUE(eventually([&] { return w->counters().retried >= 100; }));
  WorkerCounters during = w->counters();
  EXPECT_FALSE(during.available);
  EXPECT_EQ(during.written, 0u);
  EXPECT_EQ(during.depth, 50u);
  EXPECT_EQ(during.outages, 1u);
  EXPECT_EQ(ok, 0);
  EXPECT_EQ(w->lastError(), "store unavailable: test outage");
  *down = false;
  ASSERT_TRUE(eventually([&] { return ok == 50; }));
  EXPECT_EQ(countCdrs(*w), 50u);
  WorkerCounters c = w->counters();
  EXPECT_TRUE(c.available);
  EXPECT_EQ(c.queued, 50u);
  EXPECT_EQ(c.written, 50u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.failed, 0u);
  EXPECT_EQ(c.journaled, 0u);
  EXPECT_EQ(c.outages, 1u);
  EXPECT_GE(c.retried, 100u);
  expectBalanced(c);
}

TEST_P(Worker, OutageJournalsDurableWritesAndReplaysThemFirst) {
  TempDir dir;
  auto down = std::make_shared<std::atomic<bool>>(false);
  WorkerOptions o{.retryInitialMs = 5, .retryMaxMs = 40, .journalPath = dir.file("journal")};
  auto w = makeWorker(flaky(down), o);
  *down = true;
  w->start();
  std::atomic<int> journaled{0};
  for (int i = 0; i < 20; ++i) {
    auto l = sampleLocation("r" + std::to_string(i), "u" + std::to_string(i), "example.com");
    ASSERT_TRUE(w->submit(PutLocation{l}, Durability::kJournal, nullptr, [&](const WriteDone& d) {
      EXPECT_TRUE(d.status) << d.status.message();
      journaled += d.journaled;
    }));
  }
  // Acknowledged while the database is still down: the journal holds them.
  ASSERT_TRUE(eventually([&] { return journaled == 20; }));
  EXPECT_EQ(w->journal()->pending(), 20u);
  EXPECT_EQ(w->counters().written, 0u);
  // A newer write of one of them, queued behind the journal: it must land after the replay.
  auto newer = sampleLocation("r0", "u0", "example.com");
  newer.lastModified += 100;
  newer.cseq = 777;
  ASSERT_TRUE(w->submit(PutLocation{newer}, Durability::kJournal, nullptr, nullptr));
  ASSERT_TRUE(eventually([&] { return w->journal()->pending() == 21; }));
  *down = false;
  ASSERT_TRUE(eventually([&] { return w->journal()->pending() == 0; }));
  EXPECT_EQ(countLocations(*w), 20u);
  std::atomic<int64_t> cseq{-1};
  ASSERT_TRUE(w->read<std::vector<Location>>(
      [](Store& s) { return s.listLocations("u0", "example.com"); }, nullptr,
      [&](Result<std::vector<Location>> r) { cseq = r && r->size() == 1 ? (*r)[0].cseq : -2; }));
  ASSERT_TRUE(eventually([&] { return cseq != -1; }));
  EXPECT_EQ(cseq, 777);
  WorkerCounters c = w->counters();
  EXPECT_EQ(c.journaled, 21u);
  EXPECT_EQ(c.replayed, 21u);
  EXPECT_EQ(c.written, 0u);
  expectBalanced(c);
}

TEST_P(Worker, ReadsFailFastWhileTheDatabaseIsDown) {
  auto down = std::make_shared<std::atomic<bool>>(false);
  auto w = makeWorker(
      flaky(down),
      WorkerOptions{.retryInitialMs = 60000, .retryMaxMs = 60000, .drainTimeoutMs = 100});
  w->start();
  *down = true;
  // A write finds the outage; the next attempt is a minute away.
  ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("u")}, Durability::kRetry, nullptr, nullptr));
  ASSERT_TRUE(eventually([&] { return w->counters().retried >= 2; }));
  std::optional<Status> got;
  std::atomic<bool> done{false};
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(w->read<std::vector<Subscriber>>([](Store& s) { return s.listSubscribers(); },
                                               nullptr,
                                               [&](const Result<std::vector<Subscriber>>& r) {
                                                 got = r ? Status::ok() : r.status();
                                                 done = true;
                                               }));
  ASSERT_TRUE(eventually([&] { return done.load(); }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  ASSERT_FALSE(*got);
  EXPECT_EQ(got->message(), "store unavailable: test outage");
  EXPECT_EQ(w->counters().readsRefused, 1u);
  *down = false;
  w->stop();
}

TEST_P(Worker, StopJournalsWhatItCouldNotWrite) {
  TempDir dir;
  auto down = std::make_shared<std::atomic<bool>>(false);
  WorkerOptions o{.retryInitialMs = 5,
                  .retryMaxMs = 20,
                  .journalPath = dir.file("journal"),
                  .drainTimeoutMs = 100};
  auto w = makeWorker(flaky(down), o);
  *down = true;
  w->start();
  std::atomic<int> journaled{0};
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("u-" + std::to_string(i))}, Durability::kRetry,
                          nullptr, [&](const WriteDone& d) { journaled += d.journaled; }));
  }
  std::atomic<int> abandoned{0};
  ASSERT_TRUE(w->submitWrite(
      [](Store&) { return Status::ok(); }, nullptr,
      [&](const WriteDone& d) { abandoned += d.status.message() == "store worker stopped"; }));
  ASSERT_TRUE(eventually([&] { return w->counters().retried >= 11; }));
  w->stop();
  EXPECT_EQ(journaled, 10);
  EXPECT_EQ(abandoned, 1);
  WorkerCounters c = w->counters();
  EXPECT_EQ(c.journaled, 10u);
  EXPECT_EQ(c.abandoned, 1u);
  EXPECT_EQ(c.depth, 0u);
  expectBalanced(c);
  Status late = w->submit(InsertCdr{sampleCdr("late")}, Durability::kRetry, nullptr, nullptr);
  EXPECT_EQ(late.message(), "store worker stopped");

  // The next worker on the same journal replays them once the database answers.
  if (!shared()) return;
  w.reset();
  auto next = makeWorker(db_->open(), WorkerOptions{.journalPath = dir.file("journal")});
  EXPECT_EQ(next->journal()->pending(), 10u);
  next->start();
  ASSERT_TRUE(eventually([&] { return next->journal()->pending() == 0; }));
  EXPECT_EQ(countCdrs(*next), 10u);
}

TEST_P(Worker, WithoutAJournalDurableWritesWaitInMemory) {
  auto down = std::make_shared<std::atomic<bool>>(false);
  auto w = makeWorker(flaky(down), WorkerOptions{.retryInitialMs = 5, .retryMaxMs = 20});
  *down = true;
  w->start();
  std::atomic<int> ok{0};
  ASSERT_TRUE(w->submit(PutLocation{sampleLocation("a", "alice", "example.com")},
                        Durability::kJournal, nullptr,
                        [&](const WriteDone& d) { ok += d.status.isOk() && !d.journaled; }));
  ASSERT_TRUE(eventually([&] { return w->counters().retried >= 3; }));
  EXPECT_EQ(ok, 0);
  *down = false;
  ASSERT_TRUE(eventually([&] { return ok == 1; }));
}

TEST_P(Worker, PeriodicTasksRunWhileTheDatabaseIsUp) {
  auto w = makeWorker(std::move(store_));
  std::atomic<int> runs{0};
  w->every(10, [&](Store& s) {
    ++runs;
    return s.ping();
  });
  w->start();
  ASSERT_TRUE(eventually([&] { return runs >= 3; }));
}

TEST_P(Worker, PeriodicTasksPauseDuringAnOutage) {
  auto down = std::make_shared<std::atomic<bool>>(false);
  auto w = makeWorker(flaky(down), WorkerOptions{.retryInitialMs = 200, .retryMaxMs = 200});
  std::atomic<int> runs{0};
  w->every(5, [&](Store& s) {
    ++runs;
    return s.ping();
  });
  *down = true;
  w->start();
  ASSERT_TRUE(eventually([&] { return runs >= 2; }));
  // Down: one probe per backoff period (200 ms), not one per 5 ms interval.
  int before = runs;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LE(runs - before, 3);
  EXPECT_FALSE(w->available());
  *down = false;
  ASSERT_TRUE(eventually([&] { return w->available(); }));
}

TANDEM_ALL_BACKENDS(Worker);

// ---- real PostgreSQL outages ----

class PgOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::pgBaseUrl().empty()) GTEST_SKIP() << test::kPgSkipMessage;
    db_ = std::make_unique<test::TestDb>(Backend::kPostgres);
    if (!db_->available()) GTEST_SKIP() << db_->skipReason();
    ASSERT_TRUE(test::pgHostPort(test::pgBaseUrl(), host_, port_));
    auto direct = db_->open();
    ASSERT_TRUE(direct->migrate());
  }
  std::unique_ptr<test::TestDb> db_;
  std::string host_;
  int port_ = 0;
};

// The connection to a real server is cut (a proxy in between stops forwarding and refuses new
// connections): queued writes wait, nothing is lost, everything lands when it is back.
TEST_F(PgOutage, WritesQueuedDuringACutLandWhenItHeals) {
  test::TcpProxy proxy(host_, port_);
  TempDir dir;
  auto store = db_->openVia("127.0.0.1:" + std::to_string(proxy.port()));
  auto created = StoreWorker::create(
      std::move(store),
      WorkerOptions{.retryInitialMs = 20, .retryMaxMs = 200, .journalPath = dir.file("j")});
  ASSERT_TRUE(created);
  auto& w = *created;
  w->start();
  std::atomic<int> ok{0};
  std::atomic<int> journaled{0};
  auto cb = [&](const WriteDone& d) {
    ok += d.status.isOk();
    journaled += d.journaled;
  };
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("before-" + std::to_string(i))}, Durability::kRetry,
                          nullptr, cb));
  }
  ASSERT_TRUE(eventually([&] { return ok == 20; }));
  proxy.setDown(true);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("during-" + std::to_string(i))}, Durability::kRetry,
                          nullptr, cb));
    auto l = sampleLocation("r" + std::to_string(i), "u" + std::to_string(i), "example.com");
    ASSERT_TRUE(w->submit(PutLocation{l}, Durability::kJournal, nullptr, cb));
  }
  // Bindings are acknowledged from the journal; CDRs wait in the queue. (While the journal has
  // records, each attempt is a replay, so `retried` need not grow: nothing else was tried.)
  ASSERT_TRUE(eventually([&] { return journaled == 30 && w->counters().depth == 30; }))
      << "journaled " << journaled << " retried " << w->counters().retried << " depth "
      << w->counters().depth << " written " << w->counters().written << ": " << w->lastError();
  EXPECT_FALSE(w->available());
  EXPECT_EQ(ok, 50);  // 20 before, 30 bindings journaled; 30 CDRs still queued
  proxy.setDown(false);
  ASSERT_TRUE(eventually([&] { return ok == 80 && w->journal()->pending() == 0; }));
  auto direct = db_->open();
  EXPECT_EQ(direct->listCdrs(0, 1000)->size(), 50u);
  EXPECT_EQ(direct->listAllLocations()->size(), 30u);
  WorkerCounters c = w->counters();
  EXPECT_EQ(c.queued, 80u);
  EXPECT_EQ(c.written, 50u);
  EXPECT_EQ(c.journaled, 30u);
  EXPECT_EQ(c.replayed, 30u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.failed, 0u);
  EXPECT_GE(c.outages, 1u);
  EXPECT_TRUE(c.available);
  expectBalanced(c);
}

// The server itself is stopped and started. It is a private server (started with the script
// pg.sh exports as TANDEM_TEST_PG_SH), so the stop disturbs no other test running in parallel.
TEST(PgServerOutage, WritesQueuedWhileTheServerIsStoppedLandWhenItRestarts) {
  const char* script = std::getenv("TANDEM_TEST_PG_SH");
  if (script == nullptr) {
    GTEST_SKIP() << "TANDEM_TEST_PG_SH is not set: the server stop/start case runs under "
                    "tests/store/pg.sh run -- <test command>";
  }
  std::string sh = script;
  FILE* p = popen((sh + " start").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char line[512] = {};
  bool gotLine = fgets(line, sizeof(line), p) != nullptr;
  ASSERT_EQ(pclose(p), 0);
  ASSERT_TRUE(gotLine);
  std::string url = line;
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  struct Cleanup {
    std::string cmd;
    ~Cleanup() { [[maybe_unused]] int rc = std::system(cmd.c_str()); }
  } cleanup{sh + " stop " + url};

  auto opened = openStore(url + "?connect_timeout=2");
  ASSERT_TRUE(opened);
  ASSERT_TRUE((*opened)->migrate());
  auto created = StoreWorker::create(std::move(opened.value()),
                                     WorkerOptions{.retryInitialMs = 50, .retryMaxMs = 500});
  ASSERT_TRUE(created);
  auto& w = *created;
  w->start();
  std::atomic<int> ok{0};
  ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("first")}, Durability::kRetry, nullptr,
                        [&](const WriteDone& d) { ok += d.status.isOk(); }));
  ASSERT_TRUE(eventually([&] { return ok == 1; }));
  ASSERT_EQ(std::system((sh + " server-stop " + url).c_str()), 0);
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(w->submit(InsertCdr{sampleCdr("during-" + std::to_string(i))}, Durability::kRetry,
                          nullptr, [&](const WriteDone& d) { ok += d.status.isOk(); }));
  }
  ASSERT_TRUE(eventually([&] { return w->counters().retried >= 40; }));
  EXPECT_FALSE(w->available());
  EXPECT_EQ(ok, 1);
  ASSERT_EQ(std::system((sh + " server-start " + url).c_str()), 0);
  ASSERT_TRUE(eventually([&] { return ok == 41; }, 30000));
  WorkerCounters c = w->counters();
  w->stop();
  auto direct = openStore(url);
  EXPECT_EQ((*direct)->listCdrs(0, 1000)->size(), 41u);
  EXPECT_EQ(c.queued, 41u);
  EXPECT_EQ(c.written, 41u);
  EXPECT_EQ(c.dropped, 0u);
  EXPECT_EQ(c.failed, 0u);
  EXPECT_GE(c.outages, 1u);
  expectBalanced(c);
}

// ---- kill -9 with writes acknowledged from the journal ----

TEST(WorkerCrash, JournaledBindingsSurviveKill9) {
  TempDir dir;
  std::string dbUrl = "sqlite://" + dir.file("tandem.db");
  {
    auto s = openStore(dbUrl);
    ASSERT_TRUE(s && (*s)->migrate());
  }
  int acked[2];
  ASSERT_EQ(pipe(acked), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(acked[0]);
    auto down = std::make_shared<std::atomic<bool>>(true);  // the database is unreachable
    auto conn = openSqliteConn(dir.file("tandem.db"));
    if (!conn) _exit(2);
    auto store =
        makeSqlStore(std::make_unique<test::FlakyConn>(std::move(conn.value()), down), dbUrl);
    auto w =
        StoreWorker::create(std::move(store), WorkerOptions{.journalPath = dir.file("journal")});
    if (!w) _exit(3);
    StoreWorker* worker = w->release();  // never stopped: the kill comes first
    worker->start();
    std::atomic<int> acks{0};
    for (int i = 0; i < 1000; ++i) {
      auto l = sampleLocation("r" + std::to_string(i), "u" + std::to_string(i), "example.com");
      worker->submit(PutLocation{l}, Durability::kJournal, nullptr, [&](const WriteDone& d) {
        if (!d.journaled) return;
        int n = ++acks;
        if (write(acked[1], &n, sizeof(n)) != sizeof(n)) _exit(4);
      });
    }
    while (acks < 1000) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    raise(SIGKILL);
    _exit(5);
  }
  close(acked[1]);
  int last = 0;
  int n;
  while (read(acked[0], &n, sizeof(n)) == sizeof(n)) last = n;
  close(acked[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << status;
  ASSERT_EQ(last, 1000);
  // The restarted edge: the database is reachable again; the worker replays at once.
  auto s = openStore(dbUrl);
  ASSERT_TRUE(s);
  auto w =
      StoreWorker::create(std::move(s.value()), WorkerOptions{.journalPath = dir.file("journal")});
  ASSERT_TRUE(w);
  EXPECT_EQ((*w)->journal()->pending(), 1000u);
  (*w)->start();
  ASSERT_TRUE(eventually([&] { return (*w)->journal()->pending() == 0; }));
  (*w)->stop();
  auto check = openStore(dbUrl);
  EXPECT_EQ((*check)->listAllLocations()->size(), 1000u);
}

}  // namespace
}  // namespace tandem::store
