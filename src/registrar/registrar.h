// The registrar (RFC 3261 §10.3, RFC 3327 Path, RFC 5626 instance/reg-id) and the in-memory
// location service it writes: a compact table of bindings keyed by AoR, plus Kamailio's ul.* RPCs.
//
// Thread-safety: none. A LocationTable and its Registrar live on one edge event loop and are used
// only from that loop's thread (RPC handlers run there too).
// Durability is the caller's: handle() updates the table at once and hands back the store writes;
// the caller queues them on the StoreWorker and sends the reply once they are durable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/result.h"
#include "sip/message.h"
#include "sip/serializer.h"
#include "store/store.h"

namespace tandem::control {
class RpcRegistry;
}

namespace tandem::registrar {

inline constexpr int kQUnset = -1;  // no q-value given (Kamailio's Q_UNSPECIFIED)

// Size limits of stored values (Kamailio's, where it has one). Longer input is refused with a 400
// by the Registrar and with an error by LocationTable::put, never truncated silently, except
// User-Agent, which the Registrar cuts to kMaxUserAgent.
inline constexpr size_t kMaxUser = 248;
inline constexpr size_t kMaxDomain = 248;
inline constexpr size_t kMaxContact = 512;
inline constexpr size_t kMaxCallId = 255;
inline constexpr size_t kMaxUserAgent = 255;
inline constexpr size_t kMaxRuid = 64;
inline constexpr size_t kMaxReceived = 255;
inline constexpr size_t kMaxInstance = 255;
inline constexpr size_t kMaxPath = 2048;
inline constexpr size_t kMaxSocket = 128;

namespace detail {
struct Binding;
struct Aor;
}  // namespace detail

class LocationTable;

// What put() stores for one binding. The views are copied; they need only live for the call.
struct BindingFields {
  std::string_view ruid;  // REQUIRES non-empty: the key of every update
  std::string_view contact;
  std::string_view received;
  std::string_view path;
  std::string_view callId;
  std::string_view userAgent;
  std::string_view socket;
  std::string_view instance;
  int64_t expires = 0;   // Unix seconds; 0 = permanent. Kept as 32 bits (clamped)
  int qMilli = kQUnset;  // 0..1000 (q × 1000) or kQUnset
  uint32_t cseq = 0;
  int64_t lastModified = 0;  // Unix seconds
  uint32_t flags = 0;
  uint32_t cflags = 0;
  int64_t methods = -1;  // -1 = all / not given (Kamailio's ALL_METHODS)
  uint32_t regId = 0;
  int64_t serverId = 0;
  int64_t keepalive = 0;
  bool synced = false;  // true when the store already holds it (loaded rows); shown as State
};

// A read-only view of one stored binding.
// Lifetime: valid until the table is next modified (any put/remove/expire/load/clear).
class BindingRef {
 public:
  std::string_view user() const;
  std::string_view domain() const;
  std::string_view ruid() const;
  std::string_view contact() const;
  std::string_view received() const;
  std::string_view path() const;
  std::string_view callId() const;
  std::string_view userAgent() const;
  std::string_view socket() const;
  std::string_view instance() const;
  int64_t expires() const;  // Unix seconds, 0 = permanent
  int qMilli() const;       // kQUnset or 0..1000
  uint32_t cseq() const;
  int64_t lastModified() const;
  uint32_t flags() const;
  uint32_t cflags() const;
  int64_t methods() const;  // -1 = all
  uint32_t regId() const;
  int64_t serverId() const;
  int64_t keepalive() const;
  bool synced() const;
  // True when 0 < expires <= nowS.
  bool expiredAt(int64_t nowS) const;
  // The store row (id 0; q -1 when unset, as Kamailio stores it).
  store::Location toLocation() const;

 private:
  friend class LocationTable;
  friend class Bindings;
  BindingRef(const detail::Binding* b, const LocationTable* t) : b_(b), table_(t) {}
  const detail::Binding* b_;
  const LocationTable* table_;
};

// The bindings of one AoR in lookup order: q descending (an unset q ranks as 1.0), then most
// recently modified first. Same lifetime as BindingRef.
class Bindings {
 public:
  class Iterator {
   public:
    BindingRef operator*() const { return BindingRef(cur_, table_); }
    Iterator& operator++();
    bool operator==(const Iterator& o) const { return cur_ == o.cur_; }
    bool operator!=(const Iterator& o) const { return cur_ != o.cur_; }

   private:
    friend class Bindings;
    Iterator(const detail::Binding* b, const LocationTable* t, int64_t nowS);
    void skipExpired();
    const detail::Binding* cur_;
    const LocationTable* table_;
    int64_t nowS_;
  };

  Bindings() = default;
  Iterator begin() const { return Iterator(head_, table_, nowS_); }
  Iterator end() const { return Iterator(nullptr, table_, 0); }
  bool empty() const { return begin() == end(); }
  size_t size() const;

 private:
  friend class LocationTable;
  Bindings(const detail::Binding* head, const LocationTable* t, int64_t nowS)
      : head_(head), table_(t), nowS_(nowS) {}
  const detail::Binding* head_ = nullptr;
  const LocationTable* table_ = nullptr;
  int64_t nowS_ = 0;
};

// The table's own accounting of what it holds, in bytes of heap (each allocation counted at the
// size glibc's malloc really hands out for it on 64-bit: request + 8 rounded up to 16, at least
// 32), so that bytesPerBinding() tracks resident memory without reading RSS.
struct MemoryStats {
  size_t bindings = 0;
  size_t aors = 0;
  size_t bindingBytes = 0;  // the per-binding allocations (fixed part + packed strings)
  size_t aorBytes = 0;      // the per-AoR allocations (list head + user and domain)
  size_t indexBytes = 0;    // both open-addressing indexes (by AoR and by ruid)
  size_t otherBytes = 0;    // interned sockets and the table object itself
  size_t total() const { return bindingBytes + aorBytes + indexBytes + otherBytes; }
  double bytesPerBinding() const {
    return bindings == 0 ? 0.0 : static_cast<double>(total()) / static_cast<double>(bindings);
  }
};

struct LoadReport {
  size_t loaded = 0;
  size_t skipped = 0;      // rows put() refused (the first reason is in firstError)
  std::string firstError;  // "" when none was skipped
};

// The location service. Keys are AoRs: the user part exactly as given, the domain lowercased.
// Memory: one allocation per binding holding every string packed behind a 72-byte fixed part, one
// per AoR, two open-addressing pointer indexes; socket texts are interned (they are few and are
// never freed). Nothing here reads a clock: times are passed in.
class LocationTable {
 public:
  // seed perturbs the index hashes (0 picks one from std::random_device), so AoR names chosen
  // by users cannot be crafted to collide.
  explicit LocationTable(uint64_t seed = 0);
  ~LocationTable();
  LocationTable(const LocationTable&) = delete;
  LocationTable& operator=(const LocationTable&) = delete;

  // Inserts the binding, or replaces the one with the same ruid (moving it to this AoR if it was
  // elsewhere). Errors: a value over its size limit, an empty ruid or domain, q out of range,
  // e.g. "contact too long (600 > 512 bytes)". The table is unchanged on error.
  Status put(std::string_view user, std::string_view domain, const BindingFields& fields);
  Status put(const store::Location& row);
  // True when a binding had that ruid.
  bool remove(std::string_view ruid);
  // Removes every binding of the AoR; returns how many.
  size_t removeAor(std::string_view user, std::string_view domain);
  // Applies one store write as the table's own change (put, remove or removeAor): how journaled
  // writes are replayed into memory when the database cannot be read. A CDR write is ignored.
  Status apply(const store::WriteOp& op);
  void clear();
  // Marks a binding as durable in the store (State CS_SYNC in ul.dump). False if unknown.
  bool markSynced(std::string_view ruid);

  // Bindings of an AoR in lookup order; empty when unknown. With nowS > 0, bindings expired at
  // nowS (not yet swept) are skipped.
  Bindings lookup(std::string_view user, std::string_view domain, int64_t nowS = 0) const;
  std::optional<BindingRef> find(std::string_view ruid) const;

  // Removes bindings with 0 < expires <= nowS; returns how many, appending their ruids to
  // *removed when given (to delete them from the store). expire() sweeps the whole table;
  // expireSome() sweeps at most maxAors index slots from where the previous call stopped, so a
  // timer can spread the work over many loop turns.
  size_t expire(int64_t nowS, std::vector<std::string>* removed = nullptr);
  size_t expireSome(int64_t nowS, size_t maxAors, std::vector<std::string>* removed = nullptr);

  // Start-up: puts every row (bad rows are skipped and reported, not fatal).
  LoadReport load(const std::vector<store::Location>& rows);

  size_t bindingCount() const { return bindings_; }
  size_t aorCount() const { return aors_; }
  MemoryStats memory() const;

  // Calls fn(user, domain, bindings) for every AoR, in index order (unspecified, stable while the
  // table is unchanged). REQUIRES: fn does not modify the table.
  void forEachAor(
      const std::function<void(std::string_view, std::string_view, Bindings)>& fn) const;

  // For ul.dump: index size and longest probe sequence (Kamailio's Size and Max-Slots).
  size_t indexSlots() const;
  size_t longestProbe() const;
  // 32-bit hash of an AoR as the index sees it (Kamailio's HashID).
  uint32_t aorHash(std::string_view user, std::string_view domain) const;

 private:
  friend class BindingRef;
  struct Index;
  std::string_view socketText(uint16_t id) const;
  uint16_t internSocket(std::string_view socket);
  detail::Aor* findAor(std::string_view user, std::string_view lowerDomain) const;
  void unlink(detail::Binding* b);
  void linkSorted(detail::Aor* aor, detail::Binding* b);
  void destroyBinding(detail::Binding* b);
  void eraseAorIfEmpty(detail::Aor* aor);

  uint64_t seed_;
  Index* aorIndex_;
  Index* ruidIndex_;
  std::vector<std::string> sockets_;  // id 0 is ""
  std::map<std::string, uint16_t, std::less<>> socketIds_;
  size_t bindings_ = 0;
  size_t aors_ = 0;
  size_t bindingBytes_ = 0;
  size_t aorBytes_ = 0;
  size_t sweepCursor_ = 0;
};

// Fills the table with count synthetic bindings with realistic field sizes (one per AoR: contact
// ~45 B, Call-ID 40 B, User-Agent ~25 B, received ~25 B, ruid ~20 B), expiring an hour after
// nowS, for memory tests and benchmarks. Returns how many were added.
size_t fillSynthetic(LocationTable& table, size_t count, int64_t nowS);

// ---- Registrar -------------------------------------------------------------------------------

enum class Overflow : uint8_t {
  kReject,         // answer tooManyContactsStatus, change nothing
  kReplaceOldest,  // remove the least recently refreshed bindings the request does not touch
};

// RFC 3327 handling of a REGISTER carrying Path (Kamailio's path_mode 0/1/2).
enum class PathMode : uint8_t {
  kOff,     // store Path, never echo it
  kLazy,    // store Path, echo it in the 200 when the request has "Supported: path"
  kStrict,  // as kLazy, but without "Supported: path" answer 420 with "Unsupported: path"
};

struct RegistrarOptions {
  uint32_t minExpires = 60;        // 0 < expires < minExpires: 423 with Min-Expires; 0 = no minimum
  uint32_t maxExpires = 3600;      // longer is clamped; 0 = no maximum
  uint32_t defaultExpires = 3600;  // neither a contact expires param nor an Expires header
  uint32_t maxContacts = 0;        // per AoR; 0 = unlimited
  Overflow overflow = Overflow::kReject;
  // Kamailio answers 503 (reason "Service Unavailable") when max_contacts is exceeded; 403 is
  // the other common choice. The reason phrase is "Too Many Registered Contacts" either way.
  int tooManyContactsStatus = 503;
  PathMode pathMode = PathMode::kLazy;
  // Same Call-ID and the same CSeq as a binding refreshed less than this many seconds ago: a
  // retransmission, skipped and answered 200 (Kamailio's usrloc cseq_delay).
  uint32_t cseqDelay = 20;
  int64_t serverId = 0;  // stored in server_id and part of every ruid
};

// Where and when the REGISTER arrived.
struct RegisterContext {
  SocketAddress source;  // the packet's source address
  Transport transport = Transport::kUdp;
  std::string_view localSocket;  // "udp:10.0.0.1:5060": stored as the binding's socket
  int64_t nowS = 0;              // Unix seconds
};

struct ReplyHeader {
  std::string name;
  std::string value;
};

// The answer to one REGISTER and what to make durable before sending it.
struct RegisterOutcome {
  int status = 200;
  std::string reason = "OK";
  // Headers to add to the reply, in order: one "Contact" per current binding
  // ("<uri>;expires=N[;q=Q][;+sip.instance=\"I\"][;reg-id=R]"), "Path" when echoed,
  // "Min-Expires" on 423, "Unsupported" on 420, "P-Registrar-Error" (Kamailio's text) on errors.
  std::vector<ReplyHeader> headers;
  // The store writes, in order. Non-empty only for a 200 that changed something (or swept
  // expired bindings of the AoR).
  std::vector<store::WriteOp> writes;

  bool ok() const { return status == 200; }
  // Views of headers for sip::buildResponse. REQUIRES: headers unchanged while they are used.
  std::vector<sip::HeaderLine> headerLines() const;
};

struct RegistrarCounters {
  uint64_t accepted = 0;  // 200 replies (queries included)
  uint64_t rejected = 0;  // everything else
  uint64_t added = 0;     // bindings created
  uint64_t refreshed = 0;
  uint64_t removed = 0;  // by expires=0, Contact: *, replace_oldest, or expiry found on the way
};

class Registrar {
 public:
  // REQUIRES: table outlives the Registrar. seed feeds the ruid randomness (0 = random_device).
  Registrar(LocationTable& table, RegistrarOptions options, uint64_t seed = 0);

  // Processes one REGISTER that is already authenticated and whose domain is served. Never
  // throws or asserts on the message: every problem is a reply in the outcome. On a 200 the
  // table already reflects the outcome's writes; on any other status it is unchanged.
  RegisterOutcome handle(const sip::Message& msg, const RegisterContext& ctx);

  // A new unique ruid: "ul<serverId>-<start time + random, hex>-<counter, hex>".
  std::string nextRuid();

  const RegistrarOptions& options() const { return options_; }
  const RegistrarCounters& counters() const { return counters_; }

 private:
  LocationTable& table_;
  RegistrarOptions options_;
  RegistrarCounters counters_;
  std::string ruidPrefix_;
  uint64_t ruidCounter_ = 0;
};

// Registers Kamailio's usrloc RPCs on rpc:
//   ul.dump [brief]          every AoR and its contacts (Domains/Domain/AoRs/Info/Contacts/...)
//   ul.lookup TABLE AOR      one AoR of table "location": {"AoR", "Contacts"}
//   ul.stats                 {"contacts", "aors", "bytes", "bytes_per_contact"} for metrics
// nowS gives the current Unix time (for the remaining Expires). REQUIRES: table outlives rpc's
// use of these methods; rpc dispatches on the table's loop thread.
void registerRpc(control::RpcRegistry& rpc, const LocationTable& table,
                 const std::function<int64_t()>& nowS);

}  // namespace tandem::registrar
