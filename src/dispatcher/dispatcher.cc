// Selection algorithms, states and lookups. select() runs on the packet path: it neither locks nor
// allocates once the caller's output vector has grown to maxSetSize(); neither do setState (by id)
// and the call counters.
#include "dispatcher/dispatcher.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>
#include <utility>

#include "dispatcher/hash.h"
#include "dispatcher/text.h"

namespace tandem::dispatcher {
namespace {

constexpr uint64_t kWeightedTier = uint64_t{1} << 63;
constexpr uint64_t kLow32 = 0xffffffffULL;

// Weighted rendezvous score: with u uniform in (0,1), w / -ln(u) is largest for destination i with
// probability w_i / sum(w), and each key keeps its winner unless that winner leaves the candidates.
// The positive double's bit pattern orders like its value, so the score fits the integer sort.
uint64_t weightedScore(uint64_t h, uint32_t weight) {
  double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
  double score = static_cast<double>(weight) / -std::log(u);
  return kWeightedTier | std::bit_cast<uint64_t>(score);
}

Status needsKey(Algorithm algorithm, const char* what) {
  return Status::error("algorithm " + std::to_string(static_cast<int>(algorithm)) + " needs " +
                       what);
}

// Kamailio's adjusted priority for algorithm 13.
int64_t latencyPriority(const Destination& dest) {
  const int64_t priority = dest.priority;
  const auto latency = static_cast<int64_t>(dest.latency.est);  // whole ms, as Kamailio's int
  int64_t adjusted = priority;
  if (priority > 0 && latency > priority) adjusted -= latency / priority;
  if (priority > 0 && adjusted < 1) adjusted = 1;
  return adjusted;
}

}  // namespace

std::string_view stateName(State state) {
  switch (state) {
    case State::kActive:
      return "active";
    case State::kInactive:
      return "inactive";
    case State::kTrying:
      return "trying";
    case State::kDisabled:
      return "disabled";
    case State::kDrain:
      return "drain";
  }
  return "unknown";
}

bool isUsable(State state) { return state == State::kActive || state == State::kTrying; }

State stateFromFlags(uint32_t flags) {
  if (flags & kFlagDisabled) return State::kDisabled;
  return healthFromFlags(flags);
}

State healthFromFlags(uint32_t flags) {
  if (flags & kFlagInactive) return State::kInactive;
  if (flags & kFlagTrying) return State::kTrying;
  return State::kActive;
}

Result<StateArg> parseState(std::string_view text) {
  const std::string lower = toLowerAscii(text);
  static constexpr std::pair<std::string_view, State> kWords[] = {
      {"active", State::kActive},     {"inactive", State::kInactive}, {"trying", State::kTrying},
      {"disabled", State::kDisabled}, {"drain", State::kDrain},
  };
  for (const auto& [word, state] : kWords) {
    if (lower == word) return StateArg{state, std::nullopt};
  }
  if (lower.size() == 1 || (lower.size() == 2 && lower[1] == 'p')) {
    std::optional<State> state;
    switch (lower[0]) {
      case 'a':
      case '1':
        state = State::kActive;
        break;
      case 'i':
      case '0':
        state = State::kInactive;
        break;
      case 't':
      case '3':
        state = State::kTrying;
        break;
      case 'd':
      case '2':
        state = State::kDisabled;
        break;
      case 'r':
        state = State::kDrain;
        break;
      default:
        break;
    }
    if (state) return StateArg{*state, lower.size() == 2};
  }
  return Result<StateArg>::error(
      "invalid state \"" + std::string(text) +
      "\": expected a, i, t, d or r optionally followed by p, or one of active, inactive, "
      "trying, disabled, drain");
}

std::string flagsString(const Destination& dest) {
  char first = 'A';
  if (dest.presence != Presence::kListed) {
    first = 'G';
  } else {
    switch (dest.state) {
      case State::kActive:
        first = 'A';
        break;
      case State::kInactive:
        first = 'I';
        break;
      case State::kTrying:
        first = 'T';
        break;
      case State::kDisabled:
        first = 'D';
        break;
      case State::kDrain:
        first = 'R';
        break;
    }
  }
  return std::string{first, dest.probeFlag ? 'P' : 'X'};
}

Status checkAlgorithm(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kHashCallId:
    case Algorithm::kHashFromUri:
    case Algorithm::kHashToUri:
    case Algorithm::kHashRuri:
    case Algorithm::kRoundRobin:
    case Algorithm::kHashAuthUser:
    case Algorithm::kRandom:
    case Algorithm::kHashPv:
    case Algorithm::kSerial:
    case Algorithm::kWeight:
    case Algorithm::kCallLoad:
    case Algorithm::kRelativeWeight:
    case Algorithm::kLatency:
      return Status::ok();
    default:
      return Status::error("algorithm " + std::to_string(static_cast<int>(algorithm)) +
                           " not supported yet");
  }
}

Status Dispatcher::select(uint32_t setId, Algorithm algorithm, const SelectKeys& keys, size_t limit,
                          std::vector<DestId>& out) {
  out.clear();
  if (Status s = checkAlgorithm(algorithm); !s) return s;
  const DestinationSet* found = findSet(setId);
  if (found == nullptr) return Status::error("unknown set " + std::to_string(setId));
  const DestinationSet& set = *found;
  const size_t setPos = static_cast<size_t>(found - sets_.data());

  switch (algorithm) {
    case Algorithm::kHashCallId:
      if (keys.callId.empty()) return needsKey(algorithm, "a Call-ID");
      selectHashed(set, keys.callId, nullptr, limit, out);
      break;
    case Algorithm::kHashFromUri:
      if (keys.fromUri.empty()) return needsKey(algorithm, "a From URI");
      selectHashed(set, keys.fromUri, nullptr, limit, out);
      break;
    case Algorithm::kHashToUri:
      if (keys.toUri.empty()) return needsKey(algorithm, "a To URI");
      selectHashed(set, keys.toUri, nullptr, limit, out);
      break;
    case Algorithm::kHashRuri:
      if (keys.ruri.empty()) return needsKey(algorithm, "a Request-URI");
      selectHashed(set, keys.ruri, nullptr, limit, out);
      break;
    case Algorithm::kHashAuthUser:
      // Kamailio falls back to round-robin when the request carries no credentials.
      if (keys.authUser.empty()) {
        selectRoundRobin(set, setPos, limit, out);
      } else {
        selectHashed(set, keys.authUser, nullptr, limit, out);
      }
      break;
    case Algorithm::kRoundRobin:
      selectRoundRobin(set, setPos, limit, out);
      break;
    case Algorithm::kRandom:
      selectRandom(set, limit, out);
      break;
    case Algorithm::kHashPv:
      if (keys.hashValue.empty()) return needsKey(algorithm, "a hash value");
      selectHashed(set, keys.hashValue, nullptr, limit, out);
      break;
    case Algorithm::kSerial:
      appendCyclic(set, 0, limit, out);
      break;
    case Algorithm::kWeight:
      if (keys.callId.empty()) return needsKey(algorithm, "a Call-ID");
      selectHashed(set, keys.callId, &Attrs::weight, limit, out);
      break;
    case Algorithm::kCallLoad:
      selectCallLoad(set, setPos, limit, out);
      break;
    case Algorithm::kRelativeWeight:
      if (keys.callId.empty()) return needsKey(algorithm, "a Call-ID");
      selectHashed(set, keys.callId, &Attrs::rweight, limit, out);
      break;
    case Algorithm::kLatency:
      selectLatency(set, setPos, limit, out);
      break;
    default:
      break;  // rejected by checkAlgorithm above
  }
  return Status::ok();
}

void Dispatcher::takeBest(size_t n, size_t limit, std::vector<DestId>& out) {
  const size_t take = limit == 0 ? n : std::min(limit, n);
  std::partial_sort(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(take),
                    scratch_.begin() + static_cast<std::ptrdiff_t>(n),
                    [](const Scored& a, const Scored& b) {
                      return a.score != b.score ? a.score > b.score : a.id < b.id;
                    });
  for (size_t k = 0; k < take; ++k) out.push_back(scratch_[k].id);
}

void Dispatcher::selectHashed(const DestinationSet& set, std::string_view key,
                              uint32_t Attrs::*weight, size_t limit, std::vector<DestId>& out) {
  const uint64_t keyHash = fnv1a64(key);
  size_t n = 0;
  for (uint32_t p = set.begin; p < set.end; ++p) {
    const DestId id = members_[p];
    if (!isUsable(destinations_[id].state)) continue;
    uint64_t h = rendezvous(keyHash, uriHash_[id]);
    uint64_t score = h;
    if (weight != nullptr) {
      // Unweighted destinations rank below every weighted one: they take calls only when no
      // weighted destination is usable, and then share them evenly.
      uint32_t w = destinations_[id].attrs.*weight;
      score = w > 0 ? weightedScore(h, w) : h >> 1;
    }
    scratch_[n++] = Scored{score, id};
  }
  takeBest(n, limit, out);
}

void Dispatcher::appendCyclic(const DestinationSet& set, uint32_t first, size_t limit,
                              std::vector<DestId>& out) const {
  const uint32_t size = set.size();
  for (uint32_t k = 0; k < size; ++k) {
    if (limit != 0 && out.size() >= limit) return;
    DestId id = members_[set.begin + (first + k) % size];
    if (isUsable(destinations_[id].state)) out.push_back(id);
  }
}

void Dispatcher::selectRoundRobin(const DestinationSet& set, size_t setPos, size_t limit,
                                  std::vector<DestId>& out) {
  // The cursor moves past the destination chosen, not merely by one: with B down, A B C rotates
  // as A C A C instead of handing B's turns to C.
  const uint32_t size = set.size();
  uint32_t& next = roundRobinNext_[setPos];
  for (uint32_t k = 0; k < size; ++k) {
    uint32_t pos = (next + k) % size;
    if (isUsable(destinations_[members_[set.begin + pos]].state)) {
      next = (pos + 1) % size;
      appendCyclic(set, pos, limit, out);
      return;
    }
  }
}

void Dispatcher::selectRandom(const DestinationSet& set, size_t limit, std::vector<DestId>& out) {
  // Uniform over usable destinations; Kamailio draws over all and slides to the next usable one,
  // which doubles the share of a destination that follows a dead one.
  uint32_t usable = 0;
  for (uint32_t p = set.begin; p < set.end; ++p) {
    usable += isUsable(destinations_[members_[p]].state);
  }
  if (usable == 0) return;
  uint64_t r = nextRandom() % usable;
  for (uint32_t pos = 0; pos < set.size(); ++pos) {
    if (!isUsable(destinations_[members_[set.begin + pos]].state)) continue;
    if (r-- == 0) {
      appendCyclic(set, pos, limit, out);
      return;
    }
  }
}

void Dispatcher::selectCallLoad(const DestinationSet& set, size_t setPos, size_t limit,
                                std::vector<DestId>& out) {
  // Score: lowest load first, then the cyclic distance from the rotation cursor, so equal loads
  // take turns. Both fit in 32 bits; the complement turns "smallest" into the sort's "largest".
  const uint32_t size = set.size();
  uint32_t& next = roundRobinNext_[setPos];
  size_t n = 0;
  for (uint32_t k = 0; k < size; ++k) {
    const DestId id = members_[set.begin + (next + k) % size];
    const Destination& dest = destinations_[id];
    if (!isUsable(dest.state)) continue;
    const uint32_t load = groupLoad_[loadGroup_[id]];
    if (dest.attrs.maxload != 0 && load >= dest.attrs.maxload) continue;
    scratch_[n++] = Scored{~((uint64_t{load} << 32) | k), id};
  }
  if (n == 0) return;
  takeBest(n, limit, out);
  const auto chosenK = static_cast<uint32_t>(~scratch_[0].score & kLow32);
  next = (next + chosenK + 1) % size;
}

void Dispatcher::selectLatency(const DestinationSet& set, size_t setPos, size_t limit,
                               std::vector<DestId>& out) {
  // Score: adjusted priority (offset to unsigned), then the cyclic distance from the rotation
  // cursor reversed, so the best tier takes turns like Kamailio's rotated stable sort.
  const uint32_t size = set.size();
  uint32_t& next = roundRobinNext_[setPos];
  size_t n = 0;
  for (uint32_t k = 0; k < size; ++k) {
    const DestId id = members_[set.begin + (next + k) % size];
    const Destination& dest = destinations_[id];
    if (!isUsable(dest.state)) continue;
    const auto priority = static_cast<uint64_t>(latencyPriority(dest) + (int64_t{1} << 31));
    scratch_[n++] = Scored{(priority << 32) | (kLow32 - k), id};
  }
  if (n == 0) return;
  takeBest(n, limit, out);
  const auto chosenK = static_cast<uint32_t>(kLow32 - (scratch_[0].score & kLow32));
  next = (next + chosenK + 1) % size;
}

uint64_t Dispatcher::nextRandom() {
  randomState_ += 0x9e3779b97f4a7c15ULL;  // SplitMix64: one add and one mix per draw
  return mix64(randomState_);
}

void Dispatcher::applyState(Destination& dest, StateArg arg) {
  switch (arg.state) {
    case State::kActive:
    case State::kInactive:
    case State::kTrying:
      dest.health = arg.state;
      dest.state = arg.state;
      dest.manualByRpc = false;
      dest.probe.failures = 0;
      dest.probe.successes = 0;
      break;
    case State::kDisabled:
    case State::kDrain:
      dest.state = arg.state;
      dest.manualByRpc = true;
      break;
  }
  if (arg.probing) dest.probeFlag = *arg.probing;
}

void Dispatcher::setHealth(Destination& dest, State health) {
  dest.health = health;
  if (dest.state != State::kDisabled && dest.state != State::kDrain) dest.state = health;
}

Status Dispatcher::setState(uint32_t setId, std::string_view uri, StateArg state) {
  const DestinationSet* set = findSet(setId);
  if (set == nullptr) return Status::error("unknown set " + std::to_string(setId));
  bool all = uri == "all";
  bool found = false;
  for (uint32_t p = set->begin; p < set->end; ++p) {
    Destination& dest = destinations_[members_[p]];
    if (all || equalsIgnoreCase(dest.uri, uri)) {
      applyState(dest, state);
      found = true;
    }
  }
  if (!found) {
    return Status::error("no destination \"" + std::string(uri) + "\" in set " +
                         std::to_string(setId));
  }
  return Status::ok();
}

void Dispatcher::setState(DestId id, StateArg state) { applyState(destinations_[id], state); }

void Dispatcher::callStarted(DestId id) {
  Destination& dest = destinations_[id];
  ++dest.activeCalls;
  ++groupLoad_[loadGroup_[id]];
  // A call pinned to a forgotten destination (an edge restoring dialogs): count it again.
  if (dest.presence == Presence::kGone) dest.presence = Presence::kRemoved;
}

void Dispatcher::callEnded(DestId id) {
  Destination& dest = destinations_[id];
  // An end without a start (a dialog restored after restart) must not wrap to 4 billion calls.
  if (dest.activeCalls == 0) return;
  --dest.activeCalls;
  uint32_t& load = groupLoad_[loadGroup_[id]];
  if (load > 0) --load;
  if (dest.activeCalls == 0 && dest.presence == Presence::kRemoved) dest.presence = Presence::kGone;
}

const DestinationSet* Dispatcher::findSet(uint32_t setId) const {
  auto it = std::lower_bound(sets_.begin(), sets_.end(), setId,
                             [](const DestinationSet& s, uint32_t id) { return s.id < id; });
  return it == sets_.end() || it->id != setId ? nullptr : &*it;
}

std::optional<DestId> Dispatcher::findDestination(uint32_t setId, std::string_view uri) const {
  const DestinationSet* set = findSet(setId);
  if (set == nullptr) return std::nullopt;
  for (uint32_t p = set->begin; p < set->end; ++p) {
    if (equalsIgnoreCase(destinations_[members_[p]].uri, uri)) return members_[p];
  }
  return std::nullopt;
}

std::span<const DestId> Dispatcher::members(const DestinationSet& set) const {
  return std::span<const DestId>(members_).subspan(set.begin, set.size());
}

}  // namespace tandem::dispatcher
