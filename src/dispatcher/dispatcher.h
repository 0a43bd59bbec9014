// Dispatcher: destination sets read from a Kamailio-style dispatcher.list, their states, the
// selection algorithms that pick a backend (plus its failover order) for a new call, reloads that
// merge a new list into the running one, and the logic of the OPTIONS prober (it sends nothing:
// the edge sends the pings and reports what came back).
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace tandem::dispatcher {

// Kamailio's destination flag bits, as written in the list file's third column.
inline constexpr uint32_t kFlagInactive = 1;
inline constexpr uint32_t kFlagTrying = 2;
inline constexpr uint32_t kFlagDisabled = 4;
inline constexpr uint32_t kFlagProbing = 8;
inline constexpr uint32_t kFlagSkipDns = 16;
inline constexpr uint32_t kFlagNeverPing = 32;
inline constexpr uint32_t kFlagsAll = 63;

// Selection uses only kActive and kTrying destinations (Kamailio skips inactive and disabled).
// kDrain is tandem's own: the destination takes no new dialogs while its existing dialogs carry on
// (in-dialog requests are routed by the dialog table, not by the dispatcher).
// A destination has two layers of state: its health (kActive, kTrying or kInactive), driven by the
// prober and by set_state a|i|t, and a manual state (kDisabled or kDrain) that, when set, hides the
// health from selection. Destination::state is the effective one.
enum class State : uint8_t { kActive, kInactive, kTrying, kDisabled, kDrain };

std::string_view stateName(State state);  // "active", "inactive", "trying", "disabled", "drain"
bool isUsable(State state);               // true for kActive and kTrying
// Initial state for Kamailio flag bits: disabled wins over inactive, inactive over trying.
State stateFromFlags(uint32_t flags);
// Initial health for Kamailio flag bits: stateFromFlags ignoring the disabled bit.
State healthFromFlags(uint32_t flags);

// A state as dispatcher.set_state takes it.
struct StateArg {
  State state = State::kActive;
  // The P flag: set (true) or cleared (false) by the letter forms, as Kamailio does ("a" clears
  // it, "ap" sets it); nullopt for the word forms, which leave it as it is.
  std::optional<bool> probing;
};
// Accepts, case-insensitively: Kamailio's letters a|i|t|d, tandem's r (drain, the letter
// flagsString shows), or Kamailio's digits 1|0|3|2 (active, inactive, trying, disabled), each
// optionally followed by p; or the words active|inactive|trying|disabled|drain.
// Error: `invalid state "<text>": expected a, i, t, d or r optionally followed by p, or one of
// active, inactive, trying, disabled, drain`.
Result<StateArg> parseState(std::string_view text);

// Where a destination is in its life. Ids are never reused for another destination, so a removed
// destination keeps its slot (and its id) for good.
enum class Presence : uint8_t {
  kListed,   // in the current list: selectable when its state is usable
  kRemoved,  // no longer listed but still carrying calls: never selected, still counted
  kGone,     // no longer listed and no calls left: forgotten by sets, listings and lookups
};

// The list file's fifth column, e.g. "weight=50;duid=fs01;maxload=20".
struct Attrs {
  std::string raw;  // as written, without a trailing ';'
  // Every key=value in written order, known keys included; a bare key has an empty value.
  std::vector<std::pair<std::string, std::string>> items;
  // Known keys (matched case-insensitively like Kamailio; the last occurrence wins).
  std::string duid;
  uint32_t weight = 0;   // 1..100, 0 when absent
  uint32_t rweight = 0;  // 1..100, 0 when absent
  uint32_t maxload = 0;  // 0 when absent
  std::string socket;
  std::string pingFrom;

  // Value of the last occurrence of key (case-insensitive); nullopt when absent.
  // The view points into this object.
  std::optional<std::string_view> find(std::string_view key) const;
};
// Parses an attrs column the way parseList does (for dispatcher.add). Errors carry no file name,
// e.g. `weight must be an integer from 1 to 100, got "0"`.
Result<Attrs> parseAttrs(std::string_view text);

// Round-trip time of a destination's answered pings, as Kamailio's ds_ping_latency_stats keeps it:
// running mean and standard deviation (Welford), and `est`, an exponentially weighted moving
// average (weight alpha on the newest sample) that equals the mean over the first 9 samples.
// Unlike Kamailio it does not freeze the mean once it looks stable (its "training" jump of the
// sample count to 10000).
struct LatencyStats {
  double avg = 0;         // ms
  double stdev = 0;       // ms, sample standard deviation
  double est = 0;         // ms, what algorithm 13 uses
  uint32_t min = 0;       // ms
  uint32_t max = 0;       // ms
  uint32_t last = 0;      // ms, latest sample
  uint32_t count = 0;     // samples; capped at 2^21, after which the mean becomes a moving one
  uint32_t timeouts = 0;  // pings unanswered (timeout, transport error) or answered 408
  double m2 = 0;          // Welford's sum of squared deviations

  void add(uint32_t ms, double alpha);
};

// Counters of the prober for one destination, and its bookkeeping of the ping in flight.
struct ProbeStats {
  uint32_t failures = 0;   // consecutive failures counted towards probing_threshold
  uint32_t successes = 0;  // consecutive successes counted towards inactive_threshold (inactive)
  uint64_t sent = 0;       // pings sent
  uint64_t answered = 0;   // replies with an accepted code
  uint64_t rejected = 0;   // replies with another code
  uint64_t missed = 0;     // pings without a reply (timeout or transport error)
  int lastCode = 0;        // last reply's code, 408 after a timeout, 0 before the first result
  uint32_t seq = 0;        // sequence number of the latest ping
  bool outstanding = false;
  uint64_t sentAtMs = 0;  // when the latest ping was sent
};

// Stable identity of a destination. An id is handed out once per Dispatcher and always names the
// same (set id, URI) pair, case-insensitively: reload, add and remove never move or reuse it, so
// the edge can pin a dialog to it for hours. It is also the index into destinations().
// (A (set, URI) pair that went away and comes back gets its old id again, with fresh state.)
using DestId = uint32_t;
using DestIndex = DestId;  // the former name

// One destination: a line of the list file plus its runtime state.
// The dispatcher keeps the URI as text and never parses or resolves it: the caller resolves each
// destination once (after loading, off the packet path) and keeps the address in its own table
// indexed by DestId.
struct Destination {
  // From the list (a reload updates them).
  uint32_t setId = 0;
  std::string uri;
  uint32_t flags = 0;  // Kamailio flag bits as last loaded; the runtime state is below
  int32_t priority = 0;
  Attrs attrs;
  uint32_t line = 0;  // 1-based line in the list file; 0 when not read from a file

  // Runtime (a reload keeps it; see Dispatcher::reload).
  DestId id = 0;
  State state = State::kActive;   // effective: the manual state when one is set, else health
  State health = State::kActive;  // kActive, kTrying or kInactive
  bool probeFlag = false;         // Kamailio's P flag (starts as flags & kFlagProbing)
  bool manualByRpc = false;       // state is kDisabled/kDrain set through setState: reload keeps it
  Presence presence = Presence::kListed;
  uint32_t activeCalls = 0;  // maintained by the caller through callStarted/callEnded
  LatencyStats latency;
  ProbeStats probe;

  bool probing() const { return probeFlag; }
};

// Kamailio's two-letter FLAGS of dispatcher.list. First letter: A active, I inactive, T trying,
// D disabled, and tandem's own R for drain and G for a removed destination still finishing its
// calls; second letter: P when the P flag is set, else X.
std::string flagsString(const Destination& dest);

// Reads the dispatcher.list format: `setid destination [flags [priority [attrs]]]` per line,
// fields separated by blanks, '#' starts a comment anywhere on a line, blank lines ignored.
// Each destination's state is stateFromFlags(flags). Errors read "<fileName>:<line>: <why>".
// Stricter than Kamailio on purpose: a malformed number, an out-of-range weight or a sixth field
// is an error instead of being silently read as 0 or dropped.
Result<std::vector<Destination>> parseList(std::string_view text, std::string_view fileName);
// Reads the file at path and parses it, naming it by path in errors.
Result<std::vector<Destination>> loadListFile(const std::string& path);

// Kamailio's algorithm numbers (ds_select_dst's second argument).
enum class Algorithm : int {
  kHashCallId = 0,
  kHashFromUri = 1,
  kHashToUri = 2,
  kHashRuri = 3,
  kRoundRobin = 4,
  kHashAuthUser = 5,
  kRandom = 6,
  kHashPv = 7,
  kSerial = 8,
  kWeight = 9,
  kCallLoad = 10,
  kRelativeWeight = 11,
  kParallel = 12,
  kLatency = 13,
};
// Ok for the algorithms select() implements (all but 12), else "algorithm N not supported yet".
// Lets a config loader reject a bad number before traffic arrives.
Status checkAlgorithm(Algorithm algorithm);

// What the hash algorithms hash. The dispatcher hashes the bytes as given: the caller passes the
// normalised form it wants (Kamailio hashes user@host[:port] for From/To/R-URI).
// The views need only live for the select() call. The member initialisers let callers write
// designated initialisers such as {.callId = id} without -Wmissing-field-initializers.
struct SelectKeys {
  std::string_view callId{};
  std::string_view fromUri{};
  std::string_view toUri{};
  std::string_view ruri{};
  std::string_view authUser{};
  // Algorithm 7: the value of the configured expression (Kamailio's hash_pvar, e.g. "$fU@$ci"),
  // evaluated by the caller.
  std::string_view hashValue{};
};

// A set's listed destinations are members(set): ordered by priority, highest first, ties in list
// order (Kamailio reverses ties, an artefact of its list insertion). begin/end are positions in
// the dispatcher's member table, not DestIds.
struct DestinationSet {
  uint32_t id = 0;
  uint32_t begin = 0;
  uint32_t end = 0;
  uint32_t size() const { return end - begin; }
};

// What reload() did, for the log line and the RPC answer.
struct ReloadReport {
  enum Change : uint32_t {
    kFlags = 1,
    kPriority = 2,
    kAttrs = 4,
    kState = 8,  // the file's state bits changed and were applied
  };
  struct Updated {
    DestId id = 0;
    uint32_t changes = 0;  // Change bits
    std::string what;      // e.g. `priority 0 -> 5; attrs "weight=10" -> "weight=20"`
  };
  std::vector<DestId> added;    // new, or listed again (a removed one keeps its state and calls)
  std::vector<DestId> removed;  // no longer listed: presence kRemoved while calls remain, or kGone
  std::vector<Updated> updated;
  std::vector<DestId> kept;  // listed before and after, nothing changed
  uint32_t lingering = 0;    // removed destinations still carrying calls

  // "2 added, 1 removed (1 still carrying calls), 1 updated, 5 kept"
  std::string summary() const;
};

// Everything dispatcher.list shows about one destination. Views point into the Dispatcher and
// live until its next reload(), add() or remove().
struct DestinationInfo {
  DestId id = 0;
  uint32_t setId = 0;
  std::string_view uri;
  std::string flags;        // flagsString()
  std::string_view state;   // stateName(state), or "removed" while a removed one finishes calls
  std::string_view health;  // stateName(health)
  int32_t priority = 0;
  std::string_view attrs;  // raw
  std::string_view duid;
  uint32_t weight = 0;
  uint32_t rweight = 0;
  uint32_t maxload = 0;
  uint32_t activeCalls = 0;
  uint32_t load = 0;  // active calls of every destination sharing its duid: what algorithm 10 uses
  LatencyStats latency;
  ProbeStats probe;
};

class Prober;

// Thread-safety: none, by design. Each event-loop thread owns its own Dispatcher (it is copyable)
// and state changes are applied to every copy by whoever owns them; there are no locks inside.
// reload(), add() and remove() are deterministic, so copies fed the same calls hand out the same
// DestIds.
class Dispatcher {
 public:
  // Equivalent to reload(destinations) on an empty dispatcher: ids follow the list order.
  // randomSeed drives algorithm 6 only; 0 picks a per-process seed (a copy continues the same
  // sequence: give each thread's copy its own seed if that matters).
  // Hash algorithms do not depend on the seed: a key maps to the same URI in every process.
  explicit Dispatcher(const std::vector<Destination>& destinations, uint64_t randomSeed = 0);

  // Fills out with the destinations to try for a new call in set setId: the chosen one first,
  // then the failover order (Kamailio's ds_next_dst list), at most limit entries (0 = no limit).
  // Only listed kActive and kTrying destinations appear. An ok Status with an empty out means no
  // destination of the set is usable. Errors: unknown set, unsupported algorithm, empty key.
  // Failover order: hash and weight algorithms list the rest by descending rendezvous score, so
  // the second entry is what the key would get were the first to go down; round-robin and random
  // continue cyclically after the chosen one; serial continues in priority order; call load by
  // ascending load; latency by descending adjusted priority.
  // Round-robin and random state is per instance, so rotation is exact per event-loop thread.
  // Weight (9) differs from Kamailio on purpose: instead of cycling a shuffled 100-slot table
  // (skewed beyond ~25 destinations, #2698; a down destination's slots spill onto its neighbour),
  // it is rendezvous hashing of the Call-ID weighted by the `weight` attr. Shares are
  // weight / sum of the usable destinations' weights (exact percentages when they sum to 100),
  // a Call-ID keeps its destination, and destinations without a weight are picked only when no
  // weighted one is usable.
  // Relative weight (11) is the same with `rweight`: shares over usable destinations only
  // (1/2/1 gives 25/50/25; with the last down, 33/67/0), stable per Call-ID.
  // Hash over an expression (7) hashes keys.hashValue like algorithm 0 hashes the Call-ID.
  // Call load (10) picks the least loaded usable destination, where load is the active-call count
  // summed over every listed or removed destination with the same `duid` (in any set; a
  // destination without duid is its own group), and skips those whose load has reached their
  // `maxload`. Ties rotate round-robin (Kamailio takes the first), so a burst that arrives before
  // callStarted is called spreads instead of piling on one destination. All full: empty out.
  // Latency (13) is Kamailio's: adjusted priority = priority - est / priority (est: the latency
  // estimate in whole ms, applied only when priority > 0 and est > priority, never below 1);
  // round-robin among the destinations of the best adjusted priority.
  // Allocation: none once out has capacity maxSetSize(); it is cleared first.
  Status select(uint32_t setId, Algorithm algorithm, const SelectKeys& keys, size_t limit,
                std::vector<DestId>& out);

  // Merges a new list (from parseList) into the running one; returns what changed. Allocates.
  // A destination is the same when set id and URI match case-insensitively (the k-th duplicate of
  // a URI in a set matches the k-th existing one). For one that stays:
  // - setId/uri text/flags/priority/attrs/line come from the new list;
  // - its runtime state is kept: health, probe counters and ping in flight, P flag, latency stats,
  //   active calls, and a manual state;
  // - a state set through setState as disabled or drain (manualByRpc) always wins over the file;
  //   otherwise, when the file's state bits (inactive, trying, disabled) differ from the previous
  //   file's, the destination restarts from the new bits (stateFromFlags, counters reset), as the
  //   operator edited that line on purpose; when they are the same, the runtime state stays;
  // - the P flag follows the file only when the file's probing bit changed.
  // Added destinations start per their flags. Removed ones are never selected again; they keep
  // their slot, id and counters with presence kRemoved while activeCalls > 0 (so in-dialog traffic
  // and callEnded work), and become kGone when the last call ends. A removed destination listed
  // again comes back with its state and calls; a gone one comes back with its old id and fresh
  // state.
  // After a reload the edge must grow its per-id tables to destinations().size() and reserve
  // maxSetSize() in select()'s output again.
  ReloadReport reload(const std::vector<Destination>& destinations);

  // dispatcher.add (memory only: the next reload from the file drops it unless it is listed
  // there). attrs is the list file's fifth column. Returns the destination's id.
  // Errors: setid must be positive; empty URI; flags above 63; attrs errors as parseAttrs;
  // `destination "<uri>" already in set N`.
  Result<DestId> add(uint32_t setId, std::string_view uri, uint32_t flags, int32_t priority,
                     std::string_view attrs);
  // dispatcher.remove (memory only): every listed entry of uri in the set is removed as reload
  // removes. Errors: unknown set, no such URI in the set.
  Status remove(uint32_t setId, std::string_view uri);

  // Sets the state of the destination with this URI in set setId (case-insensitive match, every
  // duplicate entry of it), or of all its listed destinations when uri is "all".
  // kActive/kTrying/kInactive set the health (and clear a manual state and the probe counters);
  // kDisabled/kDrain set a manual state over the health, which the prober never changes and
  // reload keeps. Errors: unknown set, no such URI in the set.
  Status setState(uint32_t setId, std::string_view uri, StateArg state);
  Status setState(uint32_t setId, std::string_view uri, State state) {
    return setState(setId, uri, StateArg{state, std::nullopt});
  }
  // REQUIRES: id < destinations().size()
  void setState(DestId id, StateArg state);
  void setState(DestId id, State state) { setState(id, StateArg{state, std::nullopt}); }
  // Mirrors a prober Transition into another copy (one Dispatcher per thread): moves the health
  // and, unless a manual state is set, the effective state; counters and flags are untouched.
  // REQUIRES: id < destinations().size(); health is kActive, kTrying or kInactive.
  void setHealth(DestId id, State health) { setHealth(destinations_[id], health); }

  // Active-call counter, kept by the edge from its dialog tracking, for listed and removed
  // destinations alike. callEnded never goes below 0; the last callEnded of a removed destination
  // makes it kGone. Allocation: none.
  // REQUIRES: id < destinations().size()
  void callStarted(DestId id);
  void callEnded(DestId id);

  // Lookups. Pointers and spans stay valid until the next reload(), add() or remove().
  const DestinationSet* findSet(uint32_t setId) const;  // nullptr when no listed destination
  // First listed destination of the set with this URI (case-insensitive); nullopt when none.
  std::optional<DestId> findDestination(uint32_t setId, std::string_view uri) const;
  std::span<const DestinationSet> sets() const { return sets_; }  // ordered by id
  // Every slot ever handed out, indexed by DestId, including removed and gone ones.
  std::span<const Destination> destinations() const { return destinations_; }
  // The set's listed destinations in priority order.
  std::span<const DestId> members(const DestinationSet& set) const;
  // REQUIRES: id < destinations().size()
  const Destination& destination(DestId id) const { return destinations_[id]; }
  // Largest set size: the capacity select()'s output needs to never allocate.
  size_t maxSetSize() const { return maxSetSize_; }
  // Load of the destination's duid group, as algorithm 10 sees it.
  // REQUIRES: id < destinations().size()
  uint32_t load(DestId id) const { return groupLoad_[loadGroup_[id]]; }

  // dispatcher.list: listed destinations by set id and priority, each set followed by its removed
  // destinations still carrying calls. Allocates.
  std::vector<DestinationInfo> list() const;

 private:
  friend class Prober;

  struct Scored {
    uint64_t score;
    DestId id;
  };

  void selectHashed(const DestinationSet& set, std::string_view key, uint32_t Attrs::*weight,
                    size_t limit, std::vector<DestId>& out);
  // Appends the usable members of set starting at offset first, cyclically.
  void appendCyclic(const DestinationSet& set, uint32_t first, size_t limit,
                    std::vector<DestId>& out) const;
  void selectRoundRobin(const DestinationSet& set, size_t setPos, size_t limit,
                        std::vector<DestId>& out);
  void selectRandom(const DestinationSet& set, size_t limit, std::vector<DestId>& out);
  void selectCallLoad(const DestinationSet& set, size_t setPos, size_t limit,
                      std::vector<DestId>& out);
  void selectLatency(const DestinationSet& set, size_t setPos, size_t limit,
                     std::vector<DestId>& out);
  // Sorts scratch_[0, n) by descending score and appends the first limit ids.
  void takeBest(size_t n, size_t limit, std::vector<DestId>& out);
  uint64_t nextRandom();

  DestId appendSlot(const Destination& from);
  void resetSlot(DestId id, const Destination& from);
  // Copies the list fields of from into an existing destination per the reload rules; returns the
  // Change bits and describes them in what.
  uint32_t mergeSlot(DestId id, const Destination& from, std::string& what);
  void retire(DestId id);
  void rebuild();
  void applyState(Destination& dest, StateArg arg);
  // Moves health (kActive/kTrying/kInactive) and the effective state unless a manual one is set.
  void setHealth(Destination& dest, State health);

  std::vector<Destination> destinations_;  // one slot per DestId, never shrinks
  std::vector<uint64_t> uriHash_;          // per slot: hash of the lowercased URI
  std::vector<uint32_t> order_;            // per slot: place in the list, for priority ties
  std::vector<uint32_t> loadGroup_;        // per slot: index into groupLoad_
  std::vector<uint32_t> groupLoad_;        // active calls per duid group
  std::vector<DestinationSet> sets_;
  std::vector<DestId> members_;           // listed slots grouped by set, in priority order
  std::vector<uint32_t> roundRobinNext_;  // per set: offset in the set where rotation resumes
  std::vector<Scored> scratch_;           // sized maxSetSize_, so selection never allocates
  size_t maxSetSize_ = 0;
  uint32_t nextOrder_ = 0;
  uint64_t randomState_ = 0;
};

// ------------------------------------------------------------------ health probing

// Kamailio's ds_probing_mode.
enum class ProbingMode : uint8_t {
  // 0: ping destinations with the P flag; an answer that makes one active clears the flag, so a
  // destination is pinged from suspicion (a failed call, set_state "tp", flags 8) until it proves
  // alive. Kamailio also drops the flag on a failed ping, leaving the destination trying with no
  // one pinging it; tandem keeps it, so failures can reach probing_threshold.
  kFlagged = 0,
  // 1: ping every destination (but disabled, never-ping and skip-DNS ones); sets the P flag.
  kAll = 1,
  // 2: ping only destinations both inactive and flagged P; the flag clears when one turns active.
  kInactiveOnly = 2,
  // 3: ping destinations with the P flag continuously; results never clear it.
  kFlaggedContinuous = 3,
};
// Error: "probing_mode must be 0, 1, 2 or 3, got N".
Result<ProbingMode> probingModeFromInt(int value);

// Reply codes that count a ping as answered. 2xx always does (as in Kamailio); more can be added.
// A locally generated 408 never reaches this test: timeouts go to Prober::onTimeout.
class ReplyCodes {
 public:
  ReplyCodes() = default;  // 2xx only
  // Parses a ';' or ',' separated list of codes ("404"), classes ("5xx") and Kamailio's
  // ds_ping_reply_codes forms ("code=404", "class=5"); blanks around items are ignored.
  // Error: `invalid reply code "<item>": expected a code from 100 to 699, a class such as 5xx,
  // code=N or class=N`.
  static Result<ReplyCodes> parse(std::string_view text);
  bool accepts(int code) const;

 private:
  std::bitset<600> extra_;  // codes 100..699 accepted besides 2xx
};

struct ProbeConfig {
  uint32_t intervalMs = 0;  // ds_ping_interval; 0 = no pinging
  // A ping unanswered after min(timeoutMs, intervalMs) is missed; 0 = when the next one is due.
  uint32_t timeoutMs = 0;
  uint32_t probingThreshold = 1;   // consecutive failures: active -> trying -> inactive (0 = 1)
  uint32_t inactiveThreshold = 1;  // consecutive successes: inactive -> active (0 = 1)
  ProbingMode mode = ProbingMode::kFlagged;
  ReplyCodes replyCodes{};
  double latencyAlpha = 0.1;  // Kamailio's ds_latency_estimator_alpha (100 per mille)
};

// One ping to send, handed back with its result so a late answer to an older ping is told apart.
struct Ping {
  DestId dest = 0;
  uint32_t seq = 0;
};

enum class ProbeReason : uint8_t {
  kTimeout,    // no answer (timeout, missed before the next ping, transport error)
  kRejected,   // answered with a code not accepted
  kAnswered,   // answered with an accepted code
  kCallFailed  // the edge reported a failed call (Kamailio's ds_mark_dst("tp"))
};
std::string_view probeReasonName(ProbeReason reason);  // "timeout", "rejected", ...

// A change of health, for logs and metrics. from/to are health states; the effective state stays
// kDisabled/kDrain when one is set (Destination::state tells).
struct Transition {
  DestId dest = 0;
  State from = State::kActive;
  State to = State::kActive;
  ProbeReason reason = ProbeReason::kTimeout;
  int code = 0;        // reply code; 408 for a timeout; 0 for kCallFailed
  uint32_t count = 0;  // consecutive failures or successes that triggered it
};

// Health probing as Kamailio's dispatcher does it, without sockets or clocks: the edge calls due()
// on a timer (at nextDueMs()), sends an OPTIONS to each Ping, and reports each outcome.
// Health rules (Kamailio's ds_update_state): a failure moves an active destination to trying, and
// the probing_threshold-th consecutive one to inactive; an inactive one becomes active after
// inactive_threshold consecutive successes; a trying one is active again at its first success.
// Manual states: a disabled destination is not pinged and results for it are ignored; a draining
// one is pinged like any other and its health, latency and counters move, but its state stays
// kDrain. Removed destinations are not pinged. Results for a destination that would no longer be
// pinged (disabled, removed, P flag cleared in modes 0/2/3) are ignored.
// Thread-safety: none; it changes the Dispatcher it was given, on the caller's thread.
class Prober {
 public:
  using Sink = std::function<void(const Transition&)>;

  // REQUIRES: dispatcher outlives the prober. sink (may be empty) hears every health change.
  Prober(Dispatcher& dispatcher, ProbeConfig config, Sink sink = {});

  // Replaces the configuration; the next due() pings at once.
  void setConfig(ProbeConfig config);
  const ProbeConfig& config() const { return config_; }
  // dispatcher.ping_active: while off, due() sends no ping (pings in flight still count).
  void setPingActive(bool active) { active_ = active; }
  bool pingActive() const { return active_; }

  // Whether the current mode pings this destination.
  bool wouldPing(const Destination& dest) const;

  // Counts pings whose time is up as missed, then, when an interval has passed since the last
  // round (the first call starts one), fills out with the pings to send now. out is cleared first.
  void due(uint64_t nowMs, std::vector<Ping>& out);
  // When due() next has something to do; 0 before the first due(); UINT64_MAX when pinging is off.
  uint64_t nextDueMs() const;

  // A reply received from the network (never one generated locally) to ping.
  void onReply(Ping ping, int code, uint64_t nowMs);
  // No reply to ping: transaction timeout or transport error.
  void onTimeout(Ping ping);
  // A call to dest failed (timeout): counts as a failed ping and sets the P flag, as Kamailio's
  // ds_mark_dst("tp"). Ignored for disabled or unlisted destinations, and when probing is off
  // (intervalMs 0), since no ping would ever clear the mark.
  // REQUIRES: dest < dispatcher.destinations().size()
  void onCallFailed(DestId dest);

  uint64_t staleResults() const { return stale_; }  // results ignored (late, unknown, unpinged)

 private:
  // The ping is the one in flight for a destination that would still be pinged.
  Destination* current(Ping ping);
  void fail(Destination& dest, ProbeReason reason, int code);
  void succeed(Destination& dest);
  void emit(const Destination& dest, State from, ProbeReason reason, int code, uint32_t count);
  uint64_t timeoutMs() const;

  Dispatcher& dispatcher_;
  ProbeConfig config_;
  Sink sink_;
  bool active_ = true;
  static constexpr uint64_t kNotStarted = std::numeric_limits<uint64_t>::max();
  uint64_t nextRound_ = kNotStarted;
  uint64_t stale_ = 0;
};

}  // namespace tandem::dispatcher
