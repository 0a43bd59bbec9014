// In-memory caches of the tables the packet path reads (subscriber, dispatcher, did_routing,
// trunk_routing, tenant): loaded at start, kept fresh by polling the generation counters the
// database triggers bump (one tiny query per interval; a table is reloaded only when its counter
// moved), and published as immutable snapshots. Lookups never touch the database.
//
// Threading: load() and poll() block on the store (start-up code or the StoreWorker thread).
// snapshot() is thread-safe (a short mutex); on hot paths use a CacheReader per thread, whose
// get() is one atomic load unless a new snapshot was published.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace tandem::store {

class StoreWorker;

// Case-insensitive (ASCII) hashing and equality for domains; transparent for string_view lookups.
struct CiHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const;
};
struct CiEqual {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
struct ViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// subscriber rows by (username, domain): usernames compare exactly, domains case-insensitively.
class SubscriberTable {
 public:
  explicit SubscriberTable(std::vector<Subscriber> rows);
  const Subscriber* find(std::string_view username, std::string_view domain) const;
  size_t size() const { return rows_.size(); }
  const std::vector<Subscriber>& rows() const { return rows_; }

 private:
  std::vector<Subscriber> rows_;
  std::unordered_map<std::string,
                     std::unordered_map<std::string, size_t, ViewHash, std::equal_to<>>, CiHash,
                     CiEqual>
      index_;
};

// did_routing rows by DID.
class DidTable {
 public:
  explicit DidTable(std::vector<DidRoute> rows);
  // The route for (did, domain), else the route for (did, any domain), else null.
  const DidRoute* find(std::string_view did, std::string_view domain) const;
  size_t size() const { return rows_.size(); }
  const std::vector<DidRoute>& rows() const { return rows_; }

 private:
  std::vector<DidRoute> rows_;
  std::unordered_map<std::string, std::vector<size_t>, ViewHash, std::equal_to<>> index_;
};

// trunk_routing rows by prefix.
class TrunkTable {
 public:
  explicit TrunkTable(std::vector<TrunkRoute> rows);
  // The routes of the longest prefix of number that has any (prefix "" matches every number),
  // ordered by priority ascending then weight descending; empty when none.
  std::span<const TrunkRoute> match(std::string_view number) const;
  size_t size() const { return rows_.size(); }
  const std::vector<TrunkRoute>& rows() const { return rows_; }

 private:
  std::vector<TrunkRoute> rows_;  // sorted by prefix, priority, weight desc
  std::unordered_map<std::string, std::pair<size_t, size_t>, ViewHash, std::equal_to<>> index_;
  size_t longest_ = 0;
};

// tenant rows by domain (case-insensitive).
class TenantTable {
 public:
  explicit TenantTable(std::vector<Tenant> rows);
  const Tenant* find(std::string_view domain) const;
  size_t size() const { return rows_.size(); }
  const std::vector<Tenant>& rows() const { return rows_; }

 private:
  std::vector<Tenant> rows_;
  std::unordered_map<std::string, size_t, CiHash, CiEqual> index_;
};

// dispatcher rows grouped by set.
class DispatcherTable {
 public:
  explicit DispatcherTable(std::vector<DispatcherEntry> rows);
  // The destinations of a set, priority descending then id; empty when no such set.
  std::span<const DispatcherEntry> set(int64_t setid) const;
  size_t size() const { return rows_.size(); }
  const std::vector<DispatcherEntry>& rows() const { return rows_; }

 private:
  std::vector<DispatcherEntry> rows_;
  std::unordered_map<int64_t, std::pair<size_t, size_t>> index_;
};

// One consistent view of every cached table. Immutable; shared by readers.
struct Snapshot {
  uint64_t version = 0;  // increases with every publish
  Generations generations{};
  std::shared_ptr<const SubscriberTable> subscribers;
  std::shared_ptr<const DispatcherTable> dispatchers;
  std::shared_ptr<const DidTable> dids;
  std::shared_ptr<const TrunkTable> trunks;
  std::shared_ptr<const TenantTable> tenants;
};

// Which tables changed, as bits (1 << Table).
using TableSet = uint32_t;
inline constexpr TableSet tableBit(Table t) { return TableSet{1} << static_cast<unsigned>(t); }
inline constexpr TableSet kAllTables = (TableSet{1} << kTableCount) - 1;

struct CacheCounters {
  uint64_t polls = 0;    // generation checks
  uint64_t reloads = 0;  // tables reloaded (one per table)
  uint64_t errors = 0;   // failed polls or loads
};

class Cache {
 public:
  // Called after each publish with the tables that changed, on the thread that loaded them.
  using Listener = std::function<void(const Snapshot&, TableSet changed)>;

  Cache();
  // Loads every table and publishes the first snapshot. Blocks on store.
  Status load(Store& store);
  // Reads the generation counters and reloads the tables that moved (all of them when nothing is
  // loaded yet). Blocks on store. On error the current snapshot stays.
  Status poll(Store& store);
  // Polls every intervalMs on worker's thread. REQUIRES: the cache outlives worker's thread
  // (stop the worker first).
  void attach(StoreWorker& worker, uint32_t intervalMs);
  // REQUIRES: set before load() or attach().
  void setListener(Listener listener) { listener_ = std::move(listener); }

  // The current snapshot (never null: empty tables before the first load). Thread-safe.
  std::shared_ptr<const Snapshot> snapshot() const;
  uint64_t version() const { return version_.load(std::memory_order_acquire); }
  CacheCounters counters() const;
  std::string lastError() const;

 private:
  Status reload(Store& store, TableSet tables, const Generations& generations);

  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
  std::atomic<uint64_t> version_{0};
  bool loaded_ = false;  // touched only by the loading thread
  Listener listener_;
  std::atomic<uint64_t> polls_{0}, reloads_{0}, errors_{0};
  std::string lastError_;  // under mu_
};

// A per-thread handle on a Cache. Not thread-safe: one per event loop.
class CacheReader {
 public:
  explicit CacheReader(const Cache& cache) : cache_(cache) {}
  // The newest snapshot. Lock-free unless the cache published since the previous call. The
  // reference stays valid until the next get() on this reader.
  const Snapshot& get() {
    if (!snap_ || cache_.version() != snap_->version) snap_ = cache_.snapshot();
    return *snap_;
  }

 private:
  const Cache& cache_;
  std::shared_ptr<const Snapshot> snap_;
};

}  // namespace tandem::store
