// Index building for the cached tables, and the load/poll/publish cycle.
#include "store/cache.h"

#include <algorithm>
#include <cctype>

#include "store/worker.h"

namespace tandem::store {

namespace {

inline unsigned char lowerAscii(char c) {
  return static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(c)));
}

}  // namespace

size_t CiHash::operator()(std::string_view s) const {
  size_t h = 1469598103934665603ull;  // FNV-1a over lowercased bytes
  for (char c : s) {
    h ^= lowerAscii(c);
    h *= 1099511628211ull;
  }
  return h;
}

bool CiEqual::operator()(std::string_view a, std::string_view b) const {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

SubscriberTable::SubscriberTable(std::vector<Subscriber> rows) : rows_(std::move(rows)) {
  for (size_t i = 0; i < rows_.size(); ++i) index_[rows_[i].domain][rows_[i].username] = i;
}

const Subscriber* SubscriberTable::find(std::string_view username, std::string_view domain) const {
  auto d = index_.find(domain);
  if (d == index_.end()) return nullptr;
  auto u = d->second.find(username);
  return u == d->second.end() ? nullptr : &rows_[u->second];
}

DidTable::DidTable(std::vector<DidRoute> rows) : rows_(std::move(rows)) {
  for (size_t i = 0; i < rows_.size(); ++i) index_[rows_[i].did].push_back(i);
}

const DidRoute* DidTable::find(std::string_view did, std::string_view domain) const {
  auto it = index_.find(did);
  if (it == index_.end()) return nullptr;
  const DidRoute* any = nullptr;
  for (size_t i : it->second) {
    const DidRoute& r = rows_[i];
    if (r.domain.empty()) {
      any = &r;
    } else if (CiEqual()(r.domain, domain)) {
      return &r;
    }
  }
  return any;
}

TrunkTable::TrunkTable(std::vector<TrunkRoute> rows) : rows_(std::move(rows)) {
  std::stable_sort(rows_.begin(), rows_.end(), [](const TrunkRoute& a, const TrunkRoute& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.weight > b.weight;
  });
  for (size_t i = 0; i < rows_.size();) {
    size_t j = i;
    while (j < rows_.size() && rows_[j].prefix == rows_[i].prefix) ++j;
    index_[rows_[i].prefix] = {i, j};
    longest_ = std::max(longest_, rows_[i].prefix.size());
    i = j;
  }
}

std::span<const TrunkRoute> TrunkTable::match(std::string_view number) const {
  for (size_t len = std::min(longest_, number.size()) + 1; len-- > 0;) {
    auto it = index_.find(number.substr(0, len));
    if (it != index_.end()) {
      return std::span<const TrunkRoute>(rows_.data() + it->second.first,
                                         it->second.second - it->second.first);
    }
  }
  return {};
}

TenantTable::TenantTable(std::vector<Tenant> rows) : rows_(std::move(rows)) {
  for (size_t i = 0; i < rows_.size(); ++i) index_[rows_[i].domain] = i;
}

const Tenant* TenantTable::find(std::string_view domain) const {
  auto it = index_.find(domain);
  return it == index_.end() ? nullptr : &rows_[it->second];
}

DispatcherTable::DispatcherTable(std::vector<DispatcherEntry> rows) : rows_(std::move(rows)) {
  std::stable_sort(rows_.begin(), rows_.end(),
                   [](const DispatcherEntry& a, const DispatcherEntry& b) {
                     if (a.setid != b.setid) return a.setid < b.setid;
                     if (a.priority != b.priority) return a.priority > b.priority;
                     return a.id < b.id;
                   });
  for (size_t i = 0; i < rows_.size();) {
    size_t j = i;
    while (j < rows_.size() && rows_[j].setid == rows_[i].setid) ++j;
    index_[rows_[i].setid] = {i, j};
    i = j;
  }
}

std::span<const DispatcherEntry> DispatcherTable::set(int64_t setid) const {
  auto it = index_.find(setid);
  if (it == index_.end()) return {};
  return std::span<const DispatcherEntry>(rows_.data() + it->second.first,
                                          it->second.second - it->second.first);
}

Cache::Cache() {
  auto s = std::make_shared<Snapshot>();
  s->subscribers = std::make_shared<SubscriberTable>(std::vector<Subscriber>{});
  s->dispatchers = std::make_shared<DispatcherTable>(std::vector<DispatcherEntry>{});
  s->dids = std::make_shared<DidTable>(std::vector<DidRoute>{});
  s->trunks = std::make_shared<TrunkTable>(std::vector<TrunkRoute>{});
  s->tenants = std::make_shared<TenantTable>(std::vector<Tenant>{});
  current_ = std::move(s);
}

std::shared_ptr<const Snapshot> Cache::snapshot() const {
  std::lock_guard lock(mu_);
  return current_;
}

CacheCounters Cache::counters() const {
  return CacheCounters{polls_.load(), reloads_.load(), errors_.load()};
}

std::string Cache::lastError() const {
  std::lock_guard lock(mu_);
  return lastError_;
}

Status Cache::load(Store& store) {
  auto g = store.generations();
  if (!g) {
    errors_.fetch_add(1);
    std::lock_guard lock(mu_);
    lastError_ = g.message();
    return g.status();
  }
  return reload(store, kAllTables, *g);
}

Status Cache::poll(Store& store) {
  polls_.fetch_add(1);
  auto g = store.generations();
  if (!g) {
    errors_.fetch_add(1);
    std::lock_guard lock(mu_);
    lastError_ = g.message();
    return g.status();
  }
  TableSet changed = 0;
  if (!loaded_) {
    changed = kAllTables;
  } else {
    const Generations& known = snapshot()->generations;
    for (size_t i = 0; i < kTableCount; ++i) {
      if ((*g)[i] != known[i]) changed |= TableSet{1} << i;
    }
  }
  if (changed == 0) return Status::ok();
  return reload(store, changed, *g);
}

Status Cache::reload(Store& store, TableSet tables, const Generations& generations) {
  // The generations were read before the rows: a change made meanwhile moves the counter again,
  // and the next poll reloads.
  auto next = std::make_shared<Snapshot>(*snapshot());
  next->generations = generations;
  auto fail = [this](const Status& s) {
    errors_.fetch_add(1);
    std::lock_guard lock(mu_);
    lastError_ = s.message();
    return s;
  };
  if (tables & tableBit(Table::kSubscriber)) {
    auto rows = store.listSubscribers();
    if (!rows) return fail(rows.status());
    next->subscribers = std::make_shared<SubscriberTable>(std::move(rows.value()));
  }
  if (tables & tableBit(Table::kDispatcher)) {
    auto rows = store.listDispatchers();
    if (!rows) return fail(rows.status());
    next->dispatchers = std::make_shared<DispatcherTable>(std::move(rows.value()));
  }
  if (tables & tableBit(Table::kDidRouting)) {
    auto rows = store.listDids();
    if (!rows) return fail(rows.status());
    next->dids = std::make_shared<DidTable>(std::move(rows.value()));
  }
  if (tables & tableBit(Table::kTrunkRouting)) {
    auto rows = store.listTrunkRoutes();
    if (!rows) return fail(rows.status());
    next->trunks = std::make_shared<TrunkTable>(std::move(rows.value()));
  }
  if (tables & tableBit(Table::kTenant)) {
    auto rows = store.listTenants();
    if (!rows) return fail(rows.status());
    next->tenants = std::make_shared<TenantTable>(std::move(rows.value()));
  }
  for (size_t i = 0; i < kTableCount; ++i) {
    if (tables & (TableSet{1} << i)) reloads_.fetch_add(1);
  }
  std::shared_ptr<const Snapshot> published;
  {
    std::lock_guard lock(mu_);
    next->version = current_->version + 1;
    current_ = next;
    published = current_;
    version_.store(next->version, std::memory_order_release);
  }
  loaded_ = true;
  if (listener_) listener_(*published, tables);
  return Status::ok();
}

void Cache::attach(StoreWorker& worker, uint32_t intervalMs) {
  worker.every(intervalMs, [this](Store& store) { return poll(store); });
}

}  // namespace tandem::store
