// StoreWorker: the only thread that talks to the database at run time. Event loops queue writes
// and reads to it and get their completions back through a CompletionQueue they drain on their
// own thread, so no database call ever runs on an event-loop thread.
//
// Writes are applied in order, in batches (one transaction per batch). While the database is
// unreachable the worker retries with exponential backoff; a write submitted with
// Durability::kJournal is instead appended to the local Journal (fsync) and acknowledged, and the
// journal is replayed into the database, before any newer write, as soon as it is reachable.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/event_loop.h"
#include "core/result.h"
#include "store/journal.h"
#include "store/store.h"

namespace tandem::store {

// A thread-safe hand-off of callbacks to one event loop: any thread post()s, the owning loop runs
// them when the eventfd becomes readable (attach it to the loop, or call drain() yourself).
class CompletionQueue final : public EventHandler {
 public:
  CompletionQueue();
  ~CompletionQueue() override;  // detaches; callbacks still queued are destroyed unrun
  CompletionQueue(const CompletionQueue&) = delete;
  CompletionQueue& operator=(const CompletionQueue&) = delete;

  // Registers the eventfd on loop. REQUIRES: on loop's thread (or before it runs); the queue
  // outlives the registration (the destructor removes it).
  Status attach(EventLoop& loop);
  void detach();

  // Thread-safe. fn runs later on the draining thread.
  void post(std::function<void()> fn);
  // Runs every callback posted so far; returns how many. REQUIRES: the owning thread.
  size_t drain();
  int fd() const { return fd_; }

  void onEvent(uint32_t events) override;

 private:
  int fd_;
  EventLoop* loop_ = nullptr;
  std::mutex mu_;
  std::vector<std::function<void()>> pending_;
};

enum class Durability {
  kRetry,    // kept in memory and retried until written (bounded queue); journaled at stop()
  kJournal,  // while the database is unreachable: journaled (fsync), then acknowledged
};

struct WriteDone {
  Status status;           // ok: written to the database, or journaled (durable either way)
  bool journaled = false;  // true: in the local journal, to be replayed into the database
};
using WriteCallback = std::function<void(const WriteDone&)>;

struct WorkerOptions {
  size_t maxQueue = 100000;       // pending writes (and, separately, pending reads) before refusing
  size_t batch = 256;             // writes per transaction
  uint32_t retryInitialMs = 100;  // backoff after the first failed retry, doubling...
  uint32_t retryMaxMs = 5000;     // ...up to this
  std::string journalPath{};      // "" = no journal: kJournal writes behave as kRetry
  uint32_t drainTimeoutMs = 3000;  // stop(): how long to keep trying to write what is queued
};

// Counters since start. queued = written + failed + journaled + abandoned + depth.
struct WorkerCounters {
  uint64_t queued = 0;     // writes accepted by submit
  uint64_t written = 0;    // writes committed to the database
  uint64_t retried = 0;    // write attempts that found the database unreachable and were requeued
  uint64_t dropped = 0;    // writes refused because the queue was full (their callback never runs)
  uint64_t failed = 0;     // writes the database rejected for good, or the journal could not take
  uint64_t journaled = 0;  // writes acknowledged from the journal
  uint64_t replayed = 0;   // journal records applied to the database
  uint64_t abandoned = 0;  // writes left unwritten and unjournaled at stop()
  uint64_t reads = 0;      // reads run (ok or not)
  uint64_t readsRefused = 0;  // reads answered "unavailable" without trying
  uint64_t outages = 0;       // times the database went from reachable to unreachable
  uint64_t depth = 0;         // writes waiting or in flight now
  bool available = true;      // false between a failure and the next success
};

class StoreWorker {
 public:
  // Takes ownership of store and opens options.journalPath, if set. The thread starts in start().
  static Result<std::unique_ptr<StoreWorker>> create(std::unique_ptr<Store> store,
                                                     WorkerOptions options);
  ~StoreWorker();  // stop()
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  void start();
  // Stops accepting work, keeps writing for up to drainTimeoutMs, journals the typed writes still
  // pending (when there is a journal), fails the rest ("store worker stopped") and joins.
  // Completions may still be posted during stop(): CompletionQueues must outlive it.
  void stop();

  // Queues a typed write. An InsertCdr without uuid gets a random one. Returns an error, without
  // ever calling done, when the queue is full or the worker stopped. done runs on cq's draining
  // thread (on the worker thread when cq is null: then it must be quick and thread-safe).
  // Thread-safe.
  Status submit(WriteOp op, Durability durability, CompletionQueue* cq, WriteCallback done);
  // Queues an arbitrary write, retried while the database is unreachable. REQUIRES: fn is
  // idempotent (it may run again after a connection loss mid-commit) and opens no transaction.
  Status submitWrite(std::function<Status(Store&)> fn, CompletionQueue* cq, WriteCallback done);

  // Queues a read, run once: while the database is known to be unreachable it is answered at
  // once with an unavailable error instead of waiting. Reads do not wait for queued writes.
  template <typename T>
  Status read(std::function<Result<T>(Store&)> fn, CompletionQueue* cq,
              std::function<void(Result<T>)> done) {
    auto state = std::make_shared<std::function<void(Result<T>)>>(std::move(done));
    return submitRead([fn = std::move(fn), cq, state](Store* store, const Status& down) {
      auto result = std::make_shared<Result<T>>(store ? fn(*store) : Result<T>(down));
      Status st = result->isOk() ? Status() : result->status();
      deliver(cq, [state, result] { (*state)(std::move(*result)); });
      return st;
    });
  }

  // Runs fn on the worker thread every intervalMs while the database is reachable (e.g. cache
  // polls). fn returns an unavailable error to report the database gone. Thread-safe.
  void every(uint32_t intervalMs, std::function<Status(Store&)> fn);

  WorkerCounters counters() const;
  bool available() const { return up_.load(std::memory_order_relaxed); }
  // The last unavailable error ("" when none yet).
  std::string lastError() const;
  Journal* journal() { return journal_.get(); }

  // Runs fn on cq (or here when cq is null).
  static void deliver(CompletionQueue* cq, std::function<void()> fn);

 private:
  struct WriteItem {
    std::optional<WriteOp> op;
    std::function<Status(Store&)> fn;
    Durability durability = Durability::kRetry;
    CompletionQueue* cq = nullptr;
    WriteCallback done;
  };
  // A read: called with the store, or with null and the reason when the database is down.
  using ReadFn = std::function<Status(Store*, const Status&)>;
  struct Periodic {
    uint32_t intervalMs;
    uint64_t nextMs;
    std::function<Status(Store&)> fn;
  };

  StoreWorker(std::unique_ptr<Store> store, WorkerOptions options);
  Status submitRead(ReadFn fn);
  Status enqueue(WriteItem item);
  void threadMain();
  bool journalable(const WriteItem& item) const;
  bool canTouch(uint64_t now) const;
  void step();
  void serveReads();
  bool replayJournal();
  bool writeBatch();
  void runPeriodic();
  void journalPendingDurable(bool everything);
  void journalItems(std::vector<WriteItem>& items);
  void finish(WriteItem& item, WriteDone done);
  void markDown(const Status& why);
  void markUp();
  void shutdown();

  std::unique_ptr<Store> store_;
  WorkerOptions options_;
  std::unique_ptr<Journal> journal_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteItem> writes_;
  std::deque<ReadFn> reads_;
  std::vector<Periodic> periodic_;
  size_t inflight_ = 0;
  size_t journalableQueued_ = 0;  // items in writes_ that journalPendingDurable would take
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  std::thread thread_;

  // Worker-thread state (lastError_ also read under mu_).
  std::atomic<bool> up_{true};
  uint64_t nextAttemptMs_ = 0;
  uint32_t backoffMs_ = 0;
  std::string lastError_;

  std::atomic<uint64_t> queued_{0}, written_{0}, retried_{0}, dropped_{0}, failed_{0},
      journaled_{0}, replayed_{0}, abandoned_{0}, readsRun_{0}, readsRefused_{0}, outages_{0};
};

}  // namespace tandem::store
