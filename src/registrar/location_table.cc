// LocationTable: bindings packed one allocation each, chained per AoR in lookup order, found
// through two open-addressing pointer indexes (by AoR, by ruid) with linear probing.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <random>

#include "core/hash.h"
#include "core/text.h"
#include "registrar/registrar.h"

namespace tandem::registrar {

namespace detail {

// The packed strings of a binding, in storage order.
enum Str : uint8_t { kRuid, kContact, kReceived, kPath, kCallId, kUserAgent, kInstance, kStrCount };

// Fixed part of a binding; its strings follow it in the same allocation. 32-bit times hold Unix
// seconds until 2106.
struct Binding {
  Binding* next;  // in the AoR's list, lookup order
  Aor* aor;
  uint32_t expires;
  uint32_t lastModified;
  uint32_t cseq;
  uint32_t flags;
  uint32_t cflags;
  uint32_t methods;  // 0xffffffff = all
  uint32_t regId;
  int32_t serverId;
  uint16_t len[kStrCount];
  int16_t q;
  uint16_t socket;  // interned id; 0 = ""
  uint8_t keepalive;
  uint8_t synced;

  const char* chars() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view str(Str s) const {
    size_t off = 0;
    for (int i = 0; i < s; ++i) off += len[i];
    return {chars() + off, len[s]};
  }
  size_t strBytes() const {
    size_t n = 0;
    for (uint16_t l : len) n += l;
    return n;
  }
};

// An AoR: the head of its bindings, then user and domain (lowercased) packed behind.
struct Aor {
  Binding* head;
  uint32_t count;
  uint8_t userLen;
  uint8_t domainLen;

  const char* chars() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view user() const { return {chars(), userLen}; }
  std::string_view domain() const { return {chars() + userLen, domainLen}; }
};

static_assert(sizeof(Binding) == 72, "keep the fixed part of a binding compact");
static_assert(sizeof(Aor) == 16, "keep an AoR compact");

}  // namespace detail

using detail::Aor;
using detail::Binding;

namespace {

// What glibc's malloc really takes for a request of n bytes on 64-bit: 8 bytes of chunk header,
// 16-byte granularity, 32 at least; large blocks are mmapped whole pages.
size_t mallocFootprint(size_t n) {
  if (n == 0) return 0;
  if (n >= size_t{128} * 1024) return (n + 16 + 4095) & ~size_t{4095};
  return std::max<size_t>(32, (n + 8 + 15) & ~size_t{15});
}

uint64_t mix(uint64_t x) {
  // Murmur3's finalizer: the index masks the low bits, which FNV alone spreads poorly.
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t hashAor(std::string_view user, std::string_view lowerDomain, uint64_t seed) {
  uint64_t h = fnv1a64(user, kFnv1aOffset ^ seed);
  h = fnv1a64(std::string_view("@", 1), h);
  return mix(fnv1a64(lowerDomain, h));
}

uint64_t hashRuid(std::string_view ruid, uint64_t seed) {
  return mix(fnv1a64(ruid, kFnv1aOffset ^ (seed * 31)));
}

// Lowercases a domain into buf; false when it is too long to be a key.
bool lowerDomain(std::string_view domain, char (&buf)[kMaxDomain], std::string_view* out) {
  if (domain.size() > kMaxDomain) return false;
  for (size_t i = 0; i < domain.size(); ++i) buf[i] = asciiLower(domain[i]);
  *out = std::string_view(buf, domain.size());
  return true;
}

uint32_t clampU32(int64_t v) {
  if (v < 0) return 0;
  if (v > std::numeric_limits<uint32_t>::max()) return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(v);
}

int qRank(int16_t q) { return q == kQUnset ? 1000 : q; }

// True when a sorts before b in lookup order (q descending, then newest first); equal keys keep
// the newcomer first.
bool before(const Binding* a, const Binding* b) {
  if (qRank(a->q) != qRank(b->q)) return qRank(a->q) > qRank(b->q);
  return a->lastModified >= b->lastModified;
}

Status tooLong(std::string_view what, size_t got, size_t max) {
  return Status::error(std::string(what) + " too long (" + std::to_string(got) + " > " +
                       std::to_string(max) + " bytes)");
}

}  // namespace

// A set of pointers found by hash: linear probing over a power-of-two array, deletion by
// backward shift (no tombstones), grown at 3/4 full and shrunk below 1/8.
struct LocationTable::Index {
  using HashOf = uint64_t (*)(const void*, uint64_t seed);
  HashOf hashOf;
  uint64_t seed;
  std::vector<void*> slots;
  size_t size = 0;

  Index(HashOf h, uint64_t s) : hashOf(h), seed(s) {}
  size_t mask() const { return slots.size() - 1; }

  template <typename Eq>
  void* find(uint64_t h, Eq eq) const {
    if (slots.empty()) return nullptr;
    for (size_t i = h & mask();; i = (i + 1) & mask()) {
      void* p = slots[i];
      if (p == nullptr) return nullptr;
      if (eq(p)) return p;
    }
  }
  void place(void* p) {
    size_t i = hashOf(p, seed) & mask();
    while (slots[i] != nullptr) i = (i + 1) & mask();
    slots[i] = p;
  }
  void rehash(size_t capacity) {
    std::vector<void*> old;
    old.swap(slots);
    slots.assign(capacity, nullptr);
    for (void* p : old) {
      if (p != nullptr) place(p);
    }
  }
  void insert(void* p) {
    if ((size + 1) * 4 > slots.size() * 3) rehash(slots.empty() ? 16 : slots.size() * 2);
    place(p);
    ++size;
  }
  bool erase(const void* p) {
    if (slots.empty()) return false;
    size_t i = hashOf(p, seed) & mask();
    while (slots[i] != p) {
      if (slots[i] == nullptr) return false;
      i = (i + 1) & mask();
    }
    // Backward shift: pull later members of the probe run into the hole when their home slot
    // does not lie cyclically in (hole, their slot].
    for (size_t j = i;;) {
      j = (j + 1) & mask();
      void* q = slots[j];
      if (q == nullptr) break;
      size_t home = hashOf(q, seed) & mask();
      bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!stays) {
        slots[i] = q;
        i = j;
      }
    }
    slots[i] = nullptr;
    --size;
    if (slots.size() > 16 && size * 8 < slots.size()) rehash(slots.size() / 2);
    return true;
  }
  void clear() {
    std::vector<void*>().swap(slots);
    size = 0;
  }
  size_t bytes() const { return mallocFootprint(slots.capacity() * sizeof(void*)); }
};

namespace {

uint64_t aorHashOf(const void* p, uint64_t seed) {
  const auto* a = static_cast<const Aor*>(p);
  return hashAor(a->user(), a->domain(), seed);
}

uint64_t ruidHashOf(const void* p, uint64_t seed) {
  return hashRuid(static_cast<const Binding*>(p)->str(detail::kRuid), seed);
}

uint64_t pickSeed(uint64_t seed) {
  if (seed != 0) return seed;
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

}  // namespace

// ---- BindingRef / Bindings --------------------------------------------------------------------

std::string_view BindingRef::user() const { return b_->aor->user(); }
std::string_view BindingRef::domain() const { return b_->aor->domain(); }
std::string_view BindingRef::ruid() const { return b_->str(detail::kRuid); }
std::string_view BindingRef::contact() const { return b_->str(detail::kContact); }
std::string_view BindingRef::received() const { return b_->str(detail::kReceived); }
std::string_view BindingRef::path() const { return b_->str(detail::kPath); }
std::string_view BindingRef::callId() const { return b_->str(detail::kCallId); }
std::string_view BindingRef::userAgent() const { return b_->str(detail::kUserAgent); }
std::string_view BindingRef::socket() const { return table_->socketText(b_->socket); }
std::string_view BindingRef::instance() const { return b_->str(detail::kInstance); }
int64_t BindingRef::expires() const { return b_->expires; }
int BindingRef::qMilli() const { return b_->q; }
uint32_t BindingRef::cseq() const { return b_->cseq; }
int64_t BindingRef::lastModified() const { return b_->lastModified; }
uint32_t BindingRef::flags() const { return b_->flags; }
uint32_t BindingRef::cflags() const { return b_->cflags; }
int64_t BindingRef::methods() const {
  return b_->methods == std::numeric_limits<uint32_t>::max() ? -1 : b_->methods;
}
uint32_t BindingRef::regId() const { return b_->regId; }
int64_t BindingRef::serverId() const { return b_->serverId; }
int64_t BindingRef::keepalive() const { return b_->keepalive; }
bool BindingRef::synced() const { return b_->synced != 0; }
bool BindingRef::expiredAt(int64_t nowS) const {
  return b_->expires != 0 && static_cast<int64_t>(b_->expires) <= nowS;
}

store::Location BindingRef::toLocation() const {
  store::Location l;
  l.ruid = ruid();
  l.username = user();
  l.domain = domain();
  l.contact = contact();
  l.received = received();
  l.path = path();
  l.expires = expires();
  l.q = qMilli() == kQUnset ? -1.0 : qMilli() / 1000.0;
  l.callid = callId();
  l.cseq = cseq();
  l.lastModified = lastModified();
  l.flags = flags();
  l.cflags = cflags();
  l.userAgent = userAgent();
  l.socket = socket();
  l.methods = methods();
  l.instance = instance();
  l.regId = regId();
  l.serverId = serverId();
  l.keepalive = keepalive();
  return l;
}

Bindings::Iterator::Iterator(const Binding* b, const LocationTable* t, int64_t nowS)
    : cur_(b), table_(t), nowS_(nowS) {
  skipExpired();
}

void Bindings::Iterator::skipExpired() {
  if (nowS_ <= 0) return;
  while (cur_ != nullptr && cur_->expires != 0 && static_cast<int64_t>(cur_->expires) <= nowS_) {
    cur_ = cur_->next;
  }
}

Bindings::Iterator& Bindings::Iterator::operator++() {
  cur_ = cur_->next;
  skipExpired();
  return *this;
}

size_t Bindings::size() const {
  size_t n = 0;
  for (auto it = begin(); it != end(); ++it) ++n;
  return n;
}

// ---- LocationTable ----------------------------------------------------------------------------

LocationTable::LocationTable(uint64_t seed)
    : seed_(pickSeed(seed)),
      aorIndex_(new Index(aorHashOf, seed_)),
      ruidIndex_(new Index(ruidHashOf, seed_)),
      sockets_{std::string()} {}

LocationTable::~LocationTable() {
  clear();
  delete aorIndex_;
  delete ruidIndex_;
}

std::string_view LocationTable::socketText(uint16_t id) const {
  return id < sockets_.size() ? std::string_view(sockets_[id]) : std::string_view();
}

uint16_t LocationTable::internSocket(std::string_view socket) {
  if (socket.empty()) return 0;
  auto it = socketIds_.find(socket);
  if (it != socketIds_.end()) return it->second;
  if (sockets_.size() > std::numeric_limits<uint16_t>::max()) return 0;  // never in practice
  auto id = static_cast<uint16_t>(sockets_.size());
  sockets_.emplace_back(socket);
  socketIds_.emplace(std::string(socket), id);
  return id;
}

Aor* LocationTable::findAor(std::string_view user, std::string_view lowerDomain) const {
  uint64_t h = hashAor(user, lowerDomain, seed_);
  return static_cast<Aor*>(aorIndex_->find(h, [&](const void* p) {
    const auto* a = static_cast<const Aor*>(p);
    return a->user() == user && a->domain() == lowerDomain;
  }));
}

void LocationTable::linkSorted(Aor* aor, Binding* b) {
  b->aor = aor;
  Binding** at = &aor->head;
  while (*at != nullptr && !before(b, *at)) at = &(*at)->next;
  b->next = *at;
  *at = b;
  ++aor->count;
}

void LocationTable::unlink(Binding* b) {
  Aor* aor = b->aor;
  for (Binding** at = &aor->head; *at != nullptr; at = &(*at)->next) {
    if (*at == b) {
      *at = b->next;
      --aor->count;
      break;
    }
  }
  b->next = nullptr;
}

void LocationTable::destroyBinding(Binding* b) {
  bindingBytes_ -= mallocFootprint(sizeof(Binding) + b->strBytes());
  --bindings_;
  b->~Binding();
  ::operator delete(static_cast<void*>(b));
}

void LocationTable::eraseAorIfEmpty(Aor* aor) {
  if (aor->count != 0) return;
  aorIndex_->erase(aor);
  aorBytes_ -= mallocFootprint(sizeof(Aor) + aor->userLen + aor->domainLen);
  --aors_;
  aor->~Aor();
  ::operator delete(static_cast<void*>(aor));
}

Status LocationTable::put(std::string_view user, std::string_view domain, const BindingFields& f) {
  if (f.ruid.empty()) return Status::error("ruid is empty");
  if (domain.empty()) return Status::error("domain is empty");
  if (f.contact.empty()) return Status::error("contact is empty");
  if (user.size() > kMaxUser) return tooLong("user", user.size(), kMaxUser);
  if (domain.size() > kMaxDomain) return tooLong("domain", domain.size(), kMaxDomain);
  struct Limit {
    std::string_view what;
    std::string_view value;
    size_t max;
  };
  const Limit limits[] = {{"ruid", f.ruid, kMaxRuid},
                          {"contact", f.contact, kMaxContact},
                          {"received", f.received, kMaxReceived},
                          {"path", f.path, kMaxPath},
                          {"callid", f.callId, kMaxCallId},
                          {"user_agent", f.userAgent, kMaxUserAgent},
                          {"instance", f.instance, kMaxInstance},
                          {"socket", f.socket, kMaxSocket}};
  for (const Limit& l : limits) {
    if (l.value.size() > l.max) return tooLong(l.what, l.value.size(), l.max);
  }
  if (f.qMilli != kQUnset && (f.qMilli < 0 || f.qMilli > 1000)) {
    return Status::error("q " + std::to_string(f.qMilli) + "/1000 is outside 0..1");
  }

  char buf[kMaxDomain];
  std::string_view dom;
  lowerDomain(domain, buf, &dom);

  const std::string_view strs[detail::kStrCount] = {f.ruid,   f.contact,   f.received, f.path,
                                                    f.callId, f.userAgent, f.instance};
  size_t strBytes = 0;
  for (std::string_view s : strs) strBytes += s.size();
  void* mem = ::operator new(sizeof(Binding) + strBytes);
  auto* b = new (mem) Binding{};
  char* out = reinterpret_cast<char*>(b + 1);
  for (int i = 0; i < detail::kStrCount; ++i) {
    b->len[i] = static_cast<uint16_t>(strs[i].size());
    if (!strs[i].empty()) std::memcpy(out, strs[i].data(), strs[i].size());
    out += strs[i].size();
  }
  // A negative expiry (only from a corrupt row) is long past, not permanent.
  b->expires = f.expires < 0 ? 1 : clampU32(f.expires);
  b->lastModified = clampU32(f.lastModified);
  b->cseq = f.cseq;
  b->flags = f.flags;
  b->cflags = f.cflags;
  b->methods = f.methods < 0 ? std::numeric_limits<uint32_t>::max() : clampU32(f.methods);
  b->regId = f.regId;
  b->serverId = static_cast<int32_t>(std::clamp<int64_t>(
      f.serverId, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
  b->q = static_cast<int16_t>(f.qMilli);
  b->socket = internSocket(f.socket);
  b->keepalive = static_cast<uint8_t>(std::clamp<int64_t>(f.keepalive, 0, 255));
  b->synced = f.synced ? 1 : 0;
  bindingBytes_ += mallocFootprint(sizeof(Binding) + strBytes);
  ++bindings_;

  Aor* aor = findAor(user, dom);
  if (aor == nullptr) {
    void* am = ::operator new(sizeof(Aor) + user.size() + dom.size());
    aor = new (am)
        Aor{nullptr, 0, static_cast<uint8_t>(user.size()), static_cast<uint8_t>(dom.size())};
    char* ac = reinterpret_cast<char*>(aor + 1);
    if (!user.empty()) std::memcpy(ac, user.data(), user.size());
    std::memcpy(ac + user.size(), dom.data(), dom.size());
    aorIndex_->insert(aor);
    aorBytes_ += mallocFootprint(sizeof(Aor) + user.size() + dom.size());
    ++aors_;
  }

  uint64_t rh = hashRuid(f.ruid, seed_);
  auto* old = static_cast<Binding*>(ruidIndex_->find(rh, [&](const void* p) {
    return static_cast<const Binding*>(p)->str(detail::kRuid) == f.ruid;
  }));
  if (old != nullptr) {
    Aor* oldAor = old->aor;
    unlink(old);
    ruidIndex_->erase(old);
    destroyBinding(old);
    if (oldAor != aor) eraseAorIfEmpty(oldAor);
  }
  linkSorted(aor, b);
  ruidIndex_->insert(b);
  return Status::ok();
}

Status LocationTable::apply(const store::WriteOp& op) {
  if (const auto* put = std::get_if<store::PutLocation>(&op)) return this->put(put->location);
  if (const auto* del = std::get_if<store::DeleteLocation>(&op)) {
    remove(del->ruid);
  } else if (const auto* aor = std::get_if<store::DeleteAor>(&op)) {
    removeAor(aor->username, aor->domain);
  }
  return Status::ok();
}

Status LocationTable::put(const store::Location& row) {
  BindingFields f;
  f.ruid = row.ruid;
  f.contact = row.contact;
  f.received = row.received;
  f.path = row.path;
  f.callId = row.callid;
  f.userAgent = row.userAgent;
  f.socket = row.socket;
  f.instance = row.instance;
  f.expires = row.expires;
  // Kamailio stores -1 for "no q"; anything else outside 0..1 is refused by put().
  if (row.q < 0 && row.q > -1.0001) {
    f.qMilli = kQUnset;
  } else if (row.q >= 0 && row.q <= 1.0) {
    f.qMilli = static_cast<int>(std::lround(row.q * 1000.0));
  } else {
    return Status::error("q " + std::to_string(row.q) + " is outside 0..1");
  }
  if (row.cseq < 0 || row.cseq > std::numeric_limits<uint32_t>::max()) {
    return Status::error("cseq " + std::to_string(row.cseq) + " is out of range");
  }
  f.cseq = static_cast<uint32_t>(row.cseq);
  f.lastModified = row.lastModified;
  f.flags = static_cast<uint32_t>(row.flags);
  f.cflags = static_cast<uint32_t>(row.cflags);
  f.methods = row.methods;
  f.regId = clampU32(row.regId);
  f.serverId = row.serverId;
  f.keepalive = row.keepalive;
  f.synced = true;
  return put(row.username, row.domain, f);
}

bool LocationTable::remove(std::string_view ruid) {
  uint64_t rh = hashRuid(ruid, seed_);
  auto* b = static_cast<Binding*>(ruidIndex_->find(rh, [&](const void* p) {
    return static_cast<const Binding*>(p)->str(detail::kRuid) == ruid;
  }));
  if (b == nullptr) return false;
  Aor* aor = b->aor;
  unlink(b);
  ruidIndex_->erase(b);
  destroyBinding(b);
  eraseAorIfEmpty(aor);
  return true;
}

size_t LocationTable::removeAor(std::string_view user, std::string_view domain) {
  char buf[kMaxDomain];
  std::string_view dom;
  if (!lowerDomain(domain, buf, &dom)) return 0;
  Aor* aor = findAor(user, dom);
  if (aor == nullptr) return 0;
  size_t n = 0;
  while (aor->head != nullptr) {
    Binding* b = aor->head;
    aor->head = b->next;
    --aor->count;
    ruidIndex_->erase(b);
    destroyBinding(b);
    ++n;
  }
  eraseAorIfEmpty(aor);
  return n;
}

void LocationTable::clear() {
  for (void* p : aorIndex_->slots) {
    if (p == nullptr) continue;
    auto* aor = static_cast<Aor*>(p);
    for (Binding* b = aor->head; b != nullptr;) {
      Binding* next = b->next;
      destroyBinding(b);
      b = next;
    }
    aor->~Aor();
    ::operator delete(p);
  }
  aorIndex_->clear();
  ruidIndex_->clear();
  aors_ = 0;
  aorBytes_ = 0;
  sweepCursor_ = 0;
}

bool LocationTable::markSynced(std::string_view ruid) {
  uint64_t rh = hashRuid(ruid, seed_);
  auto* b = static_cast<Binding*>(ruidIndex_->find(rh, [&](const void* p) {
    return static_cast<const Binding*>(p)->str(detail::kRuid) == ruid;
  }));
  if (b == nullptr) return false;
  b->synced = 1;
  return true;
}

Bindings LocationTable::lookup(std::string_view user, std::string_view domain, int64_t nowS) const {
  char buf[kMaxDomain];
  std::string_view dom;
  if (!lowerDomain(domain, buf, &dom)) return Bindings();
  const Aor* aor = findAor(user, dom);
  return aor == nullptr ? Bindings() : Bindings(aor->head, this, nowS);
}

std::optional<BindingRef> LocationTable::find(std::string_view ruid) const {
  uint64_t rh = hashRuid(ruid, seed_);
  const auto* b = static_cast<const Binding*>(ruidIndex_->find(rh, [&](const void* p) {
    return static_cast<const Binding*>(p)->str(detail::kRuid) == ruid;
  }));
  if (b == nullptr) return std::nullopt;
  return BindingRef(b, this);
}

size_t LocationTable::expireSome(int64_t nowS, size_t maxAors, std::vector<std::string>* removed) {
  const std::vector<void*>& slots = aorIndex_->slots;
  if (slots.empty() || maxAors == 0) return 0;
  if (sweepCursor_ >= slots.size()) sweepCursor_ = 0;
  const size_t end = std::min(slots.size(), sweepCursor_ + maxAors);
  // Collect first: removing shifts index entries and may free AoRs under the walk.
  std::vector<Binding*> victims;
  for (size_t i = sweepCursor_; i < end; ++i) {
    if (slots[i] == nullptr) continue;
    for (Binding* b = static_cast<Aor*>(slots[i])->head; b != nullptr; b = b->next) {
      if (b->expires != 0 && static_cast<int64_t>(b->expires) <= nowS) victims.push_back(b);
    }
  }
  sweepCursor_ = end >= slots.size() ? 0 : end;
  for (Binding* b : victims) {
    if (removed != nullptr) removed->emplace_back(b->str(detail::kRuid));
    Aor* aor = b->aor;
    unlink(b);
    ruidIndex_->erase(b);
    destroyBinding(b);
    eraseAorIfEmpty(aor);
  }
  return victims.size();
}

size_t LocationTable::expire(int64_t nowS, std::vector<std::string>* removed) {
  sweepCursor_ = 0;
  size_t n = expireSome(nowS, std::numeric_limits<size_t>::max() / 2, removed);
  sweepCursor_ = 0;
  return n;
}

LoadReport LocationTable::load(const std::vector<store::Location>& rows) {
  LoadReport r;
  for (const store::Location& row : rows) {
    Status s = put(row);
    if (s) {
      ++r.loaded;
      continue;
    }
    ++r.skipped;
    if (r.firstError.empty()) r.firstError = "ruid \"" + row.ruid + "\": " + s.message();
  }
  return r;
}

MemoryStats LocationTable::memory() const {
  MemoryStats m;
  m.bindings = bindings_;
  m.aors = aors_;
  m.bindingBytes = bindingBytes_;
  m.aorBytes = aorBytes_;
  m.indexBytes = aorIndex_->bytes() + ruidIndex_->bytes() + 2 * mallocFootprint(sizeof(Index));
  m.otherBytes = sizeof(LocationTable) + mallocFootprint(sockets_.capacity() * sizeof(std::string));
  for (const std::string& s : sockets_) {
    // Each socket text lives in the vector and as a map key (a red-black node of ~80 bytes).
    size_t heap = s.capacity() > 15 ? mallocFootprint(s.capacity() + 1) : 0;
    m.otherBytes += 2 * heap + mallocFootprint(32 + sizeof(std::string) + sizeof(uint16_t));
  }
  return m;
}

void LocationTable::forEachAor(
    const std::function<void(std::string_view, std::string_view, Bindings)>& fn) const {
  for (const void* p : aorIndex_->slots) {
    if (p == nullptr) continue;
    const auto* aor = static_cast<const Aor*>(p);
    fn(aor->user(), aor->domain(), Bindings(aor->head, this, 0));
  }
}

size_t LocationTable::indexSlots() const { return aorIndex_->slots.size(); }

size_t LocationTable::longestProbe() const {
  const std::vector<void*>& slots = aorIndex_->slots;
  size_t longest = 0;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] == nullptr) continue;
    size_t home = aorHashOf(slots[i], seed_) & (slots.size() - 1);
    longest = std::max(longest, ((i - home) & (slots.size() - 1)) + 1);
  }
  return longest;
}

uint32_t LocationTable::aorHash(std::string_view user, std::string_view domain) const {
  char buf[kMaxDomain];
  std::string_view dom;
  if (!lowerDomain(domain, buf, &dom)) return 0;
  return static_cast<uint32_t>(hashAor(user, dom, seed_));
}

size_t fillSynthetic(LocationTable& table, size_t count, int64_t nowS) {
  size_t added = 0;
  char user[32];
  char contact[96];
  char callId[64];
  char received[48];
  char ruid[48];
  for (size_t i = 0; i < count; ++i) {
    unsigned n = static_cast<unsigned>(i);
    std::snprintf(user, sizeof(user), "u%07u", n);
    // ~45 B contact, 40 B Call-ID, 25 B received, 20 B ruid: the sizes of a typical desk phone.
    std::snprintf(contact, sizeof(contact), "sip:u%07u@10.%u.%u.%u:%u;transport=udp", n,
                  (n >> 16) & 255, (n >> 8) & 255, n & 255, 5060 + n % 4000);
    std::snprintf(callId, sizeof(callId), "%08x%08x-%08x-%08x@10.0.0.1", n * 2654435761u, ~n,
                  n ^ 0x5bd1e995u, n);
    callId[40] = '\0';
    std::snprintf(received, sizeof(received), "sip:198.51.%u.%u:%u", (n >> 8) & 255, n & 255,
                  1024 + n % 60000);
    std::snprintf(ruid, sizeof(ruid), "ul1-5f3a9c21d0e4-%x", n + 1);
    BindingFields f;
    f.ruid = ruid;
    f.contact = contact;
    f.received = received;
    f.callId = callId;
    f.userAgent = "Yealink SIP-T46S 66.85.0.5";
    f.socket = "udp:10.0.0.1:5060";
    f.expires = nowS + 3600;
    f.cseq = 1 + n % 1000;
    f.lastModified = nowS;
    if (table.put(user, "example.com", f)) ++added;
  }
  return added;
}

}  // namespace tandem::registrar
