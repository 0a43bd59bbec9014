// The StoreWorker thread: batches of writes in transactions, backoff while the database is
// unreachable, journaling of durable writes, replay, reads and periodic tasks.
#include "store/worker.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "core/clock.h"
#include "core/log.h"

namespace tandem::store {

// ---- CompletionQueue ---------------------------------------------------------------------------

CompletionQueue::CompletionQueue() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

CompletionQueue::~CompletionQueue() {
  detach();
  if (fd_ >= 0) close(fd_);
}

Status CompletionQueue::attach(EventLoop& loop) {
  if (fd_ < 0) return Status::error("eventfd failed");
  if (!loop.add(fd_, EPOLLIN, this)) return Status::error("cannot add the completion queue");
  loop_ = &loop;
  return Status::ok();
}

void CompletionQueue::detach() {
  if (loop_ != nullptr) loop_->remove(fd_);
  loop_ = nullptr;
}

void CompletionQueue::post(std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard lock(mu_);
    wake = pending_.empty();
    pending_.push_back(std::move(fn));
  }
  if (wake) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof(one));
  }
}

size_t CompletionQueue::drain() {
  uint64_t v;
  [[maybe_unused]] ssize_t n = read(fd_, &v, sizeof(v));
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  for (auto& fn : batch) fn();
  return batch.size();
}

void CompletionQueue::onEvent(uint32_t) { drain(); }

// ---- StoreWorker -------------------------------------------------------------------------------

namespace {

uint64_t nowMs() { return SteadyClock::instance().nowMs(); }

std::string randomUuid() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  uint64_t a = rng();
  uint64_t b = rng();
  a = (a & ~0xF000ull) | 0x4000ull;                         // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 1
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return buf;
}

const Status& stoppedStatus() {
  static const Status s = Status::error("store worker stopped");
  return s;
}

}  // namespace

void StoreWorker::deliver(CompletionQueue* cq, std::function<void()> fn) {
  if (cq != nullptr) {
    cq->post(std::move(fn));
  } else {
    fn();
  }
}

StoreWorker::StoreWorker(std::unique_ptr<Store> store, WorkerOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  if (options_.batch == 0) options_.batch = 1;
  if (options_.retryInitialMs == 0) options_.retryInitialMs = 1;
}

Result<std::unique_ptr<StoreWorker>> StoreWorker::create(std::unique_ptr<Store> store,
                                                         WorkerOptions options) {
  std::unique_ptr<StoreWorker> w(new StoreWorker(std::move(store), std::move(options)));
  if (!w->options_.journalPath.empty()) {
    auto j = Journal::open(w->options_.journalPath);
    if (!j) return j.status();
    w->journal_ = std::move(j.value());
  }
  return w;
}

StoreWorker::~StoreWorker() { stop(); }

void StoreWorker::start() {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  // The thread is born with every signal blocked: SIGTERM and SIGHUP belong to the event loop's
  // signalfd, and a thread that left them unblocked would take them and die of the default action.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { threadMain(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void StoreWorker::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  } else {
    shutdown();  // never started: still journal or fail what was queued
  }
}

bool StoreWorker::journalable(const WriteItem& item) const {
  return journal_ && item.op && item.durability == Durability::kJournal;
}

Status StoreWorker::submit(WriteOp op, Durability durability, CompletionQueue* cq,
                           WriteCallback done) {
  if (auto* cdr = std::get_if<InsertCdr>(&op); cdr && cdr->cdr.uuid.empty()) {
    cdr->cdr.uuid = randomUuid();
  }
  WriteItem item;
  item.op = std::move(op);
  item.durability = durability;
  item.cq = cq;
  item.done = std::move(done);
  return enqueue(std::move(item));
}

Status StoreWorker::submitWrite(std::function<Status(Store&)> fn, CompletionQueue* cq,
                                WriteCallback done) {
  WriteItem item;
  item.fn = std::move(fn);
  item.cq = cq;
  item.done = std::move(done);
  return enqueue(std::move(item));
}

Status StoreWorker::enqueue(WriteItem item) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return stoppedStatus();
    if (writes_.size() + inflight_ >= options_.maxQueue) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return Status::error("store write queue full (" + std::to_string(options_.maxQueue) +
                           " writes pending)");
    }
    if (journalable(item)) ++journalableQueued_;
    writes_.push_back(std::move(item));
    queued_.fetch_add(1, std::memory_order_relaxed);
  }
  cv_.notify_one();
  return Status::ok();
}

Status StoreWorker::submitRead(ReadFn fn) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return stoppedStatus();
    if (reads_.size() >= options_.maxQueue) {
      return Status::error("store read queue full (" + std::to_string(options_.maxQueue) +
                           " reads pending)");
    }
    reads_.push_back(std::move(fn));
  }
  cv_.notify_one();
  return Status::ok();
}

void StoreWorker::every(uint32_t intervalMs, std::function<Status(Store&)> fn) {
  {
    std::lock_guard lock(mu_);
    if (intervalMs == 0) intervalMs = 1;
    periodic_.push_back(Periodic{intervalMs, nowMs() + intervalMs, std::move(fn)});
  }
  cv_.notify_one();
}

WorkerCounters StoreWorker::counters() const {
  WorkerCounters c;
  c.queued = queued_.load(std::memory_order_relaxed);
  c.written = written_.load(std::memory_order_relaxed);
  c.retried = retried_.load(std::memory_order_relaxed);
  c.dropped = dropped_.load(std::memory_order_relaxed);
  c.failed = failed_.load(std::memory_order_relaxed);
  c.journaled = journaled_.load(std::memory_order_relaxed);
  c.replayed = replayed_.load(std::memory_order_relaxed);
  c.abandoned = abandoned_.load(std::memory_order_relaxed);
  c.reads = readsRun_.load(std::memory_order_relaxed);
  c.readsRefused = readsRefused_.load(std::memory_order_relaxed);
  c.outages = outages_.load(std::memory_order_relaxed);
  c.available = up_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  c.depth = writes_.size() + inflight_;
  return c;
}

std::string StoreWorker::lastError() const {
  std::lock_guard lock(mu_);
  return lastError_;
}

bool StoreWorker::canTouch(uint64_t now) const {
  return up_.load(std::memory_order_relaxed) || now >= nextAttemptMs_;
}

void StoreWorker::markDown(const Status& why) {
  if (up_.exchange(false)) {
    outages_.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("store: database unreachable ({}); writes are {} until it is back", why.message(),
                 journal_ ? "journaled" : "queued and retried");
    backoffMs_ = 0;  // the first retry after a loss is immediate (a reconnect, maybe a failover)
  }
  nextAttemptMs_ = nowMs() + backoffMs_;
  backoffMs_ =
      backoffMs_ == 0 ? options_.retryInitialMs : std::min(options_.retryMaxMs, backoffMs_ * 2);
  std::lock_guard lock(mu_);
  lastError_ = why.message();
}

void StoreWorker::markUp() {
  if (!up_.exchange(true)) {
    spdlog::info("store: database reachable again (writes journaled so far: {})",
                 journaled_.load());
  }
  backoffMs_ = 0;
}

void StoreWorker::finish(WriteItem& item, WriteDone done) {
  if (!item.done) return;
  deliver(item.cq, [cb = std::move(item.done), d = std::move(done)] { cb(d); });
}

void StoreWorker::threadMain() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    uint64_t now = nowMs();
    bool touch = canTouch(now);
    bool journalWaiting = journal_ && journal_->pending() > 0;
    bool periodicDue = false;
    uint64_t wake = UINT64_MAX;
    for (const Periodic& p : periodic_) {
      if (p.nextMs <= now) periodicDue = true;
      wake = std::min(wake, p.nextMs);
    }
    bool work = !reads_.empty() || (!touch && journalableQueued_ > 0) ||
                (touch && (!writes_.empty() || journalWaiting || periodicDue));
    if (!work) {
      if (!touch) {
        // Nothing may touch the database before nextAttemptMs_.
        if (!writes_.empty() || journalWaiting) {
          wake = nextAttemptMs_;
        } else if (wake != UINT64_MAX) {
          wake = std::max(wake, nextAttemptMs_);
        }
      }
      if (wake == UINT64_MAX) {
        cv_.wait(lock);
      } else if (wake > now) {
        cv_.wait_for(lock, std::chrono::milliseconds(wake - now));
      }
      continue;
    }
    lock.unlock();
    step();
    lock.lock();
  }
  lock.unlock();
  shutdown();
}

void StoreWorker::step() {
  serveReads();
  if (!canTouch(nowMs())) {
    journalPendingDurable(false);
    return;
  }
  if (journal_ && journal_->pending() > 0 && !replayJournal()) {
    journalPendingDurable(false);
    return;
  }
  if (!writeBatch()) {
    journalPendingDurable(false);
    return;
  }
  runPeriodic();
}

void StoreWorker::serveReads() {
  std::deque<ReadFn> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(reads_);
  }
  for (ReadFn& fn : batch) {
    if (canTouch(nowMs())) {
      readsRun_.fetch_add(1, std::memory_order_relaxed);
      Status s = fn(store_.get(), Status());
      if (isUnavailable(s)) {
        markDown(s);
      } else {
        markUp();
      }
    } else {
      readsRefused_.fetch_add(1, std::memory_order_relaxed);
      std::string why;
      {
        std::lock_guard lock(mu_);
        why = lastError_;
      }
      fn(nullptr, Status::error(why.empty() ? std::string(kUnavailablePrefix) + "down" : why));
    }
  }
}

bool StoreWorker::replayJournal() {
  auto r = journal_->replay(*store_, options_.batch);
  if (!r) {
    if (isUnavailable(r.status())) {
      markDown(r.status());
      return false;
    }
    // A local I/O error: the records stay in the file; retry later like an outage.
    markDown(Status::error(std::string(kUnavailablePrefix) + r.message()));
    return false;
  }
  markUp();
  replayed_.fetch_add(r->applied, std::memory_order_relaxed);
  spdlog::info("store: journal replayed into the database: {} writes applied, {} rejected",
               r->applied, r->skipped);
  failed_.fetch_add(r->skipped, std::memory_order_relaxed);
  return true;
}

bool StoreWorker::writeBatch() {
  std::vector<WriteItem> batch;
  {
    std::lock_guard lock(mu_);
    size_t n = std::min(options_.batch, writes_.size());
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      if (journalable(writes_.front())) --journalableQueued_;
      batch.push_back(std::move(writes_.front()));
      writes_.pop_front();
    }
    inflight_ = n;
  }
  if (batch.empty()) return true;

  std::vector<Status> results(batch.size());
  Status down;
  Status begun = store_->begin();
  if (isUnavailable(begun)) {
    down = begun;
  } else if (!begun) {
    for (Status& r : results) r = begun;
  } else {
    for (size_t i = 0; i < batch.size() && down.isOk(); ++i) {
      WriteItem& item = batch[i];
      Status sp = store_->savepoint();
      if (!sp) {
        (isUnavailable(sp) ? down : results[i]) = sp;
        continue;
      }
      Status r = item.op ? applyWrite(*store_, *item.op) : item.fn(*store_);
      if (r) {
        Status rel = store_->releaseSavepoint();
        if (isUnavailable(rel)) down = rel;
        results[i] = rel;
      } else if (isUnavailable(r)) {
        down = r;
      } else {
        results[i] = r;
        Status rb = store_->rollbackToSavepoint();
        if (isUnavailable(rb)) down = rb;
      }
    }
    if (down.isOk()) {
      Status c = store_->commit();
      if (isUnavailable(c)) {
        down = c;
      } else if (!c) {
        for (Status& r : results) r = c;
      }
    } else {
      store_->rollback();
    }
  }

  if (!down.isOk()) {
    markDown(down);
    std::vector<WriteItem> toJournal;
    std::vector<WriteItem> requeue;
    for (WriteItem& item : batch) {
      (journalable(item) ? toJournal : requeue).push_back(std::move(item));
    }
    journalItems(toJournal);
    {
      std::lock_guard lock(mu_);
      for (auto it = requeue.rbegin(); it != requeue.rend(); ++it) {
        writes_.push_front(std::move(*it));
      }
      inflight_ = 0;
    }
    retried_.fetch_add(requeue.size(), std::memory_order_relaxed);
    return false;
  }

  markUp();
  for (size_t i = 0; i < batch.size(); ++i) {
    (results[i] ? written_ : failed_).fetch_add(1, std::memory_order_relaxed);
    finish(batch[i], WriteDone{results[i], false});
  }
  std::lock_guard lock(mu_);
  inflight_ = 0;
  return true;
}

void StoreWorker::runPeriodic() {
  std::vector<std::function<Status(Store&)>> due;
  uint64_t now = nowMs();
  {
    std::lock_guard lock(mu_);
    for (Periodic& p : periodic_) {
      if (p.nextMs <= now) {
        due.push_back(p.fn);
        p.nextMs = now + p.intervalMs;
      }
    }
  }
  for (auto& fn : due) {
    if (!canTouch(nowMs())) return;
    Status s = fn(*store_);
    if (isUnavailable(s)) {
      markDown(s);
    } else {
      markUp();
    }
  }
}

void StoreWorker::journalPendingDurable(bool everything) {
  std::vector<WriteItem> take;
  {
    std::lock_guard lock(mu_);
    if (!journal_ || (!everything && journalableQueued_ == 0)) return;
    std::deque<WriteItem> keep;
    for (WriteItem& item : writes_) {
      bool j = everything ? item.op.has_value() : journalable(item);
      if (j) {
        take.push_back(std::move(item));
      } else {
        keep.push_back(std::move(item));
      }
    }
    writes_.swap(keep);
    journalableQueued_ = 0;
    inflight_ = take.size();
  }
  journalItems(take);
  std::lock_guard lock(mu_);
  inflight_ = 0;
}

void StoreWorker::journalItems(std::vector<WriteItem>& items) {
  if (items.empty()) return;
  std::vector<WriteOp> ops;
  ops.reserve(items.size());
  for (WriteItem& item : items) ops.push_back(*item.op);
  Status s = journal_->append(ops);
  for (WriteItem& item : items) {
    (s ? journaled_ : failed_).fetch_add(1, std::memory_order_relaxed);
    finish(item, WriteDone{s, s.isOk()});
  }
}

void StoreWorker::shutdown() {
  uint64_t deadline = nowMs() + options_.drainTimeoutMs;
  for (;;) {
    serveReads();
    bool pendingWrites;
    {
      std::lock_guard lock(mu_);
      pendingWrites = !writes_.empty();
    }
    bool journalWaiting = journal_ && journal_->pending() > 0;
    if (!pendingWrites && !journalWaiting) break;
    uint64_t now = nowMs();
    if (now >= deadline) break;
    if (!canTouch(now)) {
      journalPendingDurable(false);
      uint64_t until = std::min(deadline, nextAttemptMs_);
      std::this_thread::sleep_for(std::chrono::milliseconds(until - now));
      continue;
    }
    if (journalWaiting && !replayJournal()) continue;
    writeBatch();
  }
  serveReads();
  // What could not be written: typed writes go to the journal, the rest is lost (and counted).
  journalPendingDurable(true);
  std::deque<WriteItem> rest;
  {
    std::lock_guard lock(mu_);
    rest.swap(writes_);
    journalableQueued_ = 0;
  }
  for (WriteItem& item : rest) {
    abandoned_.fetch_add(1, std::memory_order_relaxed);
    finish(item, WriteDone{stoppedStatus(), false});
  }
}

}  // namespace tandem::store
