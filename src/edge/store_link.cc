// StoreLink: start-up order (docs/store.md) and the hand-off between the worker and the loop.
#include "edge/store_link.h"

#include "core/log.h"

namespace tandem::edge {

Result<std::unique_ptr<StoreLink>> StoreLink::open(EventLoop& loop, const EdgeConfig::Store& cfg) {
  std::unique_ptr<StoreLink> link(new StoreLink(loop));
  link->description_ = store::redactUrl(cfg.url);
  auto startup = store::openStore(cfg.url);
  if (!startup) return Status::error("store: " + startup.message());
  auto forWorker = store::openStore(cfg.url);
  if (!forWorker) return Status::error("store: " + forWorker.message());

  store::WorkerOptions options;
  options.journalPath = cfg.journal;
  auto worker = store::StoreWorker::create(std::move(*forWorker), options);
  if (!worker) return Status::error("store journal: " + worker.message());
  link->worker_ = std::move(*worker);

  store::Store& db = **startup;
  Status schema = db.checkSchema();
  const bool reachable = schema || !store::isUnavailable(schema);
  if (!reachable) {
    spdlog::warn("store {}: {}; serving from the journal until it is back", link->description_,
                 schema.message());
  } else if (!schema) {
    return Status::error("store " + link->description_ + ": " + schema.message());
  }

  store::Journal* journal = link->worker_->journal();
  if (reachable && journal != nullptr && journal->pending() > 0) {
    auto replayed = journal->replay(db);
    if (replayed) {
      spdlog::info("store: replayed {} journaled writes ({} rejected)", replayed->applied,
                   replayed->skipped);
    } else {
      spdlog::warn("store: journal replay failed: {}", replayed.message());
    }
  }
  if (reachable) {
    if (Status s = link->cache_.load(db); !s) {
      spdlog::warn("store {}: loading cached tables: {}", link->description_, s.message());
    }
    auto rows = db.listAllLocations();
    if (rows) {
      link->locations_ = std::move(*rows);
      link->locationsLoaded_ = true;
    } else {
      spdlog::warn("store {}: loading bindings: {}", link->description_, rows.message());
    }
  }
  if (!link->locationsLoaded_ && journal != nullptr) {
    // The database is out of reach: the journal holds what this edge acknowledged meanwhile.
    if (auto ops = journal->records(); ops) link->journalOps_ = std::move(*ops);
  }

  if (Status s = link->completions_.attach(loop); !s) return s;
  StoreLink* self = link.get();
  std::weak_ptr<bool> alive = link->alive_;
  link->cache_.setListener([self, alive](const store::Snapshot&, store::TableSet changed) {
    // On the worker thread: hand the news to the loop.
    self->completions_.post([self, alive, changed] {
      if (alive.lock() && self->onChange_) self->onChange_(changed);
    });
  });
  link->cache_.attach(*link->worker_, cfg.pollIntervalMs);
  link->worker_->start();
  return link;
}

StoreLink::~StoreLink() {
  *alive_ = false;
  loop_.timers().cancel(retryTimer_);
  if (worker_) worker_->stop();
}

void StoreLink::loadLocationsLater(uint32_t retryMs,
                                   std::function<void(std::vector<store::Location>)> done) {
  retryMs_ = retryMs;
  locationsDone_ = std::move(done);
  retryLocations();
}

void StoreLink::retryLocations() {
  std::weak_ptr<bool> alive = alive_;
  Status queued = worker_->read<std::vector<store::Location>>(
      [](store::Store& s) { return s.listAllLocations(); }, &completions_,
      [this, alive](Result<std::vector<store::Location>> rows) {
        if (!alive.lock()) return;
        if (rows) {
          locationsLoaded_ = true;
          spdlog::info("store {}: {} bindings loaded", description_, rows->size());
          if (locationsDone_) locationsDone_(std::move(*rows));
          return;
        }
        scheduleRetry();
      });
  if (!queued) scheduleRetry();
}

void StoreLink::scheduleRetry() {
  retryTimer_ = loop_.timers().schedule(
      retryMs_,
      TimerTask{[](void* self, uint64_t) { static_cast<StoreLink*>(self)->retryLocations(); }, this,
                0});
}

}  // namespace tandem::edge
