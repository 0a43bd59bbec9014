// Dispatcher: destination sets read from a Kamailio-style dispatcher.list, their states, and the
// selection algorithms that pick a backend (plus its failover order) for a new call.
#pragma once

#include <cstddef>
#include <cstdint>
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
enum class State : uint8_t { kActive, kInactive, kTrying, kDisabled, kDrain };

std::string_view stateName(State state);  // "active", "inactive", "trying", "disabled", "drain"
bool isUsable(State state);               // true for kActive and kTrying
// Initial state for Kamailio flag bits: disabled wins over inactive, inactive over trying.
State stateFromFlags(uint32_t flags);

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

// One destination: a line of the list file plus its runtime state.
// The dispatcher keeps the URI as text and never parses or resolves it: the caller resolves each
// destination once (after loading, off the packet path) and keeps the address in its own table
// indexed by DestIndex, which is stable for the life of the Dispatcher that holds it.
struct Destination {
  uint32_t setId = 0;
  std::string uri;
  uint32_t flags = 0;  // Kamailio flag bits as loaded; the current state is `state`
  int32_t priority = 0;
  Attrs attrs;
  uint32_t line = 0;  // 1-based line in the list file; 0 when not read from a file
  State state = State::kActive;
  uint32_t activeCalls = 0;  // maintained by the caller through callStarted/callEnded

  bool probing() const { return (flags & kFlagProbing) != 0; }
};

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
// Ok for the algorithms select() implements, else "algorithm N not supported yet".
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
};

using DestIndex = uint32_t;

// A set's destinations are destinations()[begin, end), ordered by priority, highest first, ties in
// list-file order (Kamailio reverses ties, an artefact of its list insertion).
struct DestinationSet {
  uint32_t id = 0;
  DestIndex begin = 0;
  DestIndex end = 0;
  uint32_t size() const { return end - begin; }
};

// Thread-safety: none, by design. Each event-loop thread owns its own Dispatcher (it is copyable)
// and state changes are applied to every copy by whoever owns them; there are no locks inside.
// A reload builds a new Dispatcher, so DestIndex values are only meaningful within one instance.
class Dispatcher {
 public:
  // Groups destinations by setId. randomSeed drives algorithm 6 only; 0 picks a per-process seed
  // (a copy continues the same sequence: give each thread's copy its own seed if that matters).
  // Hash algorithms do not depend on the seed: a key maps to the same URI in every process.
  explicit Dispatcher(std::vector<Destination> destinations, uint64_t randomSeed = 0);

  // Fills out with the destinations to try for a new call in set setId: the chosen one first,
  // then the failover order (Kamailio's ds_next_dst list), at most limit entries (0 = no limit).
  // Only kActive and kTrying destinations appear. An ok Status with an empty out means no
  // destination of the set is usable. Errors: unknown set, unsupported algorithm, empty key.
  // Failover order: hash and weight algorithms list the rest by descending rendezvous score, so
  // the second entry is what the key would get were the first to go down; round-robin and random
  // continue cyclically after the chosen one; serial continues in priority order.
  // Round-robin and random state is per instance, so rotation is exact per event-loop thread.
  // Weight (9) differs from Kamailio on purpose: instead of cycling a shuffled 100-slot table
  // (skewed beyond ~25 destinations, #2698; a down destination's slots spill onto its neighbour),
  // it is rendezvous hashing of the Call-ID weighted by the `weight` attr. Shares are
  // weight / sum of the usable destinations' weights (exact percentages when they sum to 100),
  // a Call-ID keeps its destination, and destinations without a weight are picked only when no
  // weighted one is usable.
  // Allocation: none once out has capacity maxSetSize(); it is cleared first.
  Status select(uint32_t setId, Algorithm algorithm, const SelectKeys& keys, size_t limit,
                std::vector<DestIndex>& out);

  // Sets the state of the destination with this URI in set setId (case-insensitive match, every
  // duplicate entry of it), or of all its destinations when uri is "all".
  // Errors: unknown set, no such URI in the set.
  Status setState(uint32_t setId, std::string_view uri, State state);
  // REQUIRES: index < destinations().size()
  void setState(DestIndex index, State state);

  // Active-call counter, kept by the edge from its dialog tracking. callEnded never goes below 0.
  // REQUIRES: index < destinations().size()
  void callStarted(DestIndex index);
  void callEnded(DestIndex index);

  // Lookups. Pointers and spans stay valid while this Dispatcher lives (it never reallocates).
  const DestinationSet* findSet(uint32_t setId) const;  // nullptr when unknown
  // First destination of the set with this URI (case-insensitive); nullopt when none.
  std::optional<DestIndex> findDestination(uint32_t setId, std::string_view uri) const;
  std::span<const DestinationSet> sets() const { return sets_; }  // ordered by id
  std::span<const Destination> destinations() const { return destinations_; }
  std::span<const Destination> destinations(const DestinationSet& set) const;
  // REQUIRES: index < destinations().size()
  const Destination& destination(DestIndex index) const { return destinations_[index]; }
  // Largest set size: the capacity select()'s output needs to never allocate.
  size_t maxSetSize() const { return maxSetSize_; }

 private:
  struct Scored {
    uint64_t score;
    DestIndex index;
  };

  void selectHashed(const DestinationSet& set, std::string_view key, bool weighted, size_t limit,
                    std::vector<DestIndex>& out);
  // Appends the usable destinations of set starting at offset first, cyclically.
  void appendCyclic(const DestinationSet& set, uint32_t first, size_t limit,
                    std::vector<DestIndex>& out) const;
  void selectRoundRobin(const DestinationSet& set, size_t setPos, size_t limit,
                        std::vector<DestIndex>& out);
  void selectRandom(const DestinationSet& set, size_t limit, std::vector<DestIndex>& out);
  uint64_t nextRandom();

  std::vector<Destination> destinations_;
  std::vector<uint64_t> uriHash_;  // per destination: hash of its URI, the rendezvous seed
  std::vector<DestinationSet> sets_;
  std::vector<uint32_t> roundRobinNext_;  // per set: offset in the set where rotation resumes
  std::vector<Scored> scratch_;           // sized maxSetSize_, so hashing never allocates
  size_t maxSetSize_ = 0;
  uint64_t randomState_ = 0;
};

}  // namespace tandem::dispatcher
