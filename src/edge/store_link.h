// The edge's link to its database: the StoreWorker thread that does every database call, the
// caches the stages read (subscribers, routes, tenants, dispatcher sets), and the completion
// queue that brings write acknowledgements back to the event loop. Internal to the edge.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/event_loop.h"
#include "core/result.h"
#include "edge/config.h"
#include "store/cache.h"
#include "store/store.h"
#include "store/worker.h"

namespace tandem::edge {

class StoreLink {
 public:
  // Opens the store at cfg.url, checks its schema, replays the local journal into it, loads the
  // caches and the location table, then starts the worker thread. A database that cannot be
  // reached is not fatal (the edge serves from what it has and catches up when it returns); a
  // schema that is missing or at the wrong version is.
  // REQUIRES: called on loop's thread before it runs; loop outlives the link.
  static Result<std::unique_ptr<StoreLink>> open(EventLoop& loop, const EdgeConfig::Store& cfg);
  ~StoreLink();  // stops the worker: pending durable writes are journaled
  StoreLink(const StoreLink&) = delete;
  StoreLink& operator=(const StoreLink&) = delete;

  // The newest cached tables. The reference stays valid until the next call. Loop thread only.
  const store::Snapshot& snapshot() { return reader_.get(); }
  store::StoreWorker& worker() { return *worker_; }
  store::CompletionQueue& completions() { return completions_; }
  const store::Cache& cache() const { return cache_; }
  const std::string& description() const { return description_; }

  // Bindings read from the database at start. Moved out once.
  std::vector<store::Location> takeLocations() { return std::move(locations_); }
  // When the database could not be read at start: the writes in the local journal, in order
  // (what this edge acknowledged before it stopped). Moved out once.
  std::vector<store::WriteOp> takeJournalOps() { return std::move(journalOps_); }
  // Whether the location table could be read from the database at start. When false the edge
  // retries with loadLocationsLater.
  bool locationsLoaded() const { return locationsLoaded_; }
  // Reads every binding on the worker thread, retrying every retryMs while the database is down,
  // and hands them to done on the loop thread.
  void loadLocationsLater(uint32_t retryMs, std::function<void(std::vector<store::Location>)> done);

  // Called on the loop thread after the cache published new tables (changed: store::TableSet).
  void setOnChange(std::function<void(store::TableSet)> fn) { onChange_ = std::move(fn); }

 private:
  StoreLink(EventLoop& loop) : loop_(loop), reader_(cache_) {}
  void retryLocations();
  void scheduleRetry();

  EventLoop& loop_;
  std::string description_;
  store::Cache cache_;
  store::CacheReader reader_;
  store::CompletionQueue completions_;
  std::unique_ptr<store::StoreWorker> worker_;
  std::vector<store::Location> locations_;
  std::vector<store::WriteOp> journalOps_;
  bool locationsLoaded_ = false;
  std::function<void(store::TableSet)> onChange_;
  uint32_t retryMs_ = 2000;
  std::function<void(std::vector<store::Location>)> locationsDone_;
  TimerId retryTimer_ = 0;
  // Flipped by the destructor: completions queued for a dead link do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tandem::edge
