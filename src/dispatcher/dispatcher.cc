// Destination sets, their states, and the selection algorithms. select() runs on the packet path:
// it neither locks nor allocates once the caller's output vector has grown to maxSetSize().
#include "dispatcher/dispatcher.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <string>
#include <utility>

#include "dispatcher/hash.h"
#include "dispatcher/text.h"

namespace tandem::dispatcher {
namespace {

constexpr uint64_t kWeightedTier = uint64_t{1} << 63;

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
  if (flags & kFlagInactive) return State::kInactive;
  if (flags & kFlagTrying) return State::kTrying;
  return State::kActive;
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
    case Algorithm::kSerial:
    case Algorithm::kWeight:
      return Status::ok();
    default:
      return Status::error("algorithm " + std::to_string(static_cast<int>(algorithm)) +
                           " not supported yet");
  }
}

Dispatcher::Dispatcher(std::vector<Destination> destinations, uint64_t randomSeed) {
  // Priority order inside a set makes serial selection a plain walk and lists sets the way
  // Kamailio's dispatcher.list does; stable_sort keeps file order among equal priorities.
  std::stable_sort(destinations.begin(), destinations.end(),
                   [](const Destination& a, const Destination& b) {
                     if (a.setId != b.setId) return a.setId < b.setId;
                     return a.priority > b.priority;
                   });
  destinations_ = std::move(destinations);
  uriHash_.reserve(destinations_.size());
  for (DestIndex i = 0; i < destinations_.size(); ++i) {
    uriHash_.push_back(fnv1a64(destinations_[i].uri));
    if (sets_.empty() || sets_.back().id != destinations_[i].setId) {
      sets_.push_back(DestinationSet{destinations_[i].setId, i, i});
    }
    sets_.back().end = i + 1;
  }
  for (const DestinationSet& set : sets_) maxSetSize_ = std::max<size_t>(maxSetSize_, set.size());
  roundRobinNext_.assign(sets_.size(), 0);
  scratch_.resize(maxSetSize_);
  if (randomSeed == 0) {
    randomSeed =
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        reinterpret_cast<uintptr_t>(this);
  }
  randomState_ = randomSeed;
}

Status Dispatcher::select(uint32_t setId, Algorithm algorithm, const SelectKeys& keys, size_t limit,
                          std::vector<DestIndex>& out) {
  out.clear();
  if (Status s = checkAlgorithm(algorithm); !s) return s;
  const DestinationSet* found = findSet(setId);
  if (found == nullptr) return Status::error("unknown set " + std::to_string(setId));
  const DestinationSet& set = *found;
  const size_t setPos = static_cast<size_t>(found - sets_.data());

  switch (algorithm) {
    case Algorithm::kHashCallId:
      if (keys.callId.empty()) return needsKey(algorithm, "a Call-ID");
      selectHashed(set, keys.callId, false, limit, out);
      break;
    case Algorithm::kHashFromUri:
      if (keys.fromUri.empty()) return needsKey(algorithm, "a From URI");
      selectHashed(set, keys.fromUri, false, limit, out);
      break;
    case Algorithm::kHashToUri:
      if (keys.toUri.empty()) return needsKey(algorithm, "a To URI");
      selectHashed(set, keys.toUri, false, limit, out);
      break;
    case Algorithm::kHashRuri:
      if (keys.ruri.empty()) return needsKey(algorithm, "a Request-URI");
      selectHashed(set, keys.ruri, false, limit, out);
      break;
    case Algorithm::kHashAuthUser:
      // Kamailio falls back to round-robin when the request carries no credentials.
      if (keys.authUser.empty()) {
        selectRoundRobin(set, setPos, limit, out);
      } else {
        selectHashed(set, keys.authUser, false, limit, out);
      }
      break;
    case Algorithm::kRoundRobin:
      selectRoundRobin(set, setPos, limit, out);
      break;
    case Algorithm::kRandom:
      selectRandom(set, limit, out);
      break;
    case Algorithm::kSerial:
      appendCyclic(set, 0, limit, out);
      break;
    case Algorithm::kWeight:
      if (keys.callId.empty()) return needsKey(algorithm, "a Call-ID");
      selectHashed(set, keys.callId, true, limit, out);
      break;
    default:
      break;  // rejected by checkAlgorithm above
  }
  return Status::ok();
}

void Dispatcher::selectHashed(const DestinationSet& set, std::string_view key, bool weighted,
                              size_t limit, std::vector<DestIndex>& out) {
  const uint64_t keyHash = fnv1a64(key);
  size_t n = 0;
  for (DestIndex i = set.begin; i < set.end; ++i) {
    if (!isUsable(destinations_[i].state)) continue;
    uint64_t h = rendezvous(keyHash, uriHash_[i]);
    uint64_t score = h;
    if (weighted) {
      // Unweighted destinations rank below every weighted one: they take calls only when no
      // weighted destination is usable, and then share them evenly.
      uint32_t w = destinations_[i].attrs.weight;
      score = w > 0 ? weightedScore(h, w) : h >> 1;
    }
    scratch_[n++] = Scored{score, i};
  }
  const size_t take = limit == 0 ? n : std::min(limit, n);
  std::partial_sort(scratch_.begin(), scratch_.begin() + static_cast<std::ptrdiff_t>(take),
                    scratch_.begin() + static_cast<std::ptrdiff_t>(n),
                    [](const Scored& a, const Scored& b) {
                      return a.score != b.score ? a.score > b.score : a.index < b.index;
                    });
  for (size_t k = 0; k < take; ++k) out.push_back(scratch_[k].index);
}

void Dispatcher::appendCyclic(const DestinationSet& set, uint32_t first, size_t limit,
                              std::vector<DestIndex>& out) const {
  const uint32_t size = set.size();
  for (uint32_t k = 0; k < size; ++k) {
    if (limit != 0 && out.size() >= limit) return;
    DestIndex i = set.begin + (first + k) % size;
    if (isUsable(destinations_[i].state)) out.push_back(i);
  }
}

void Dispatcher::selectRoundRobin(const DestinationSet& set, size_t setPos, size_t limit,
                                  std::vector<DestIndex>& out) {
  // The cursor moves past the destination chosen, not merely by one: with B down, A B C rotates
  // as A C A C instead of handing B's turns to C.
  const uint32_t size = set.size();
  uint32_t& next = roundRobinNext_[setPos];
  for (uint32_t k = 0; k < size; ++k) {
    uint32_t pos = (next + k) % size;
    if (isUsable(destinations_[set.begin + pos].state)) {
      next = (pos + 1) % size;
      appendCyclic(set, pos, limit, out);
      return;
    }
  }
}

void Dispatcher::selectRandom(const DestinationSet& set, size_t limit,
                              std::vector<DestIndex>& out) {
  // Uniform over usable destinations; Kamailio draws over all and slides to the next usable one,
  // which doubles the share of a destination that follows a dead one.
  uint32_t usable = 0;
  for (DestIndex i = set.begin; i < set.end; ++i) usable += isUsable(destinations_[i].state);
  if (usable == 0) return;
  uint64_t r = nextRandom() % usable;
  for (uint32_t pos = 0; pos < set.size(); ++pos) {
    if (!isUsable(destinations_[set.begin + pos].state)) continue;
    if (r-- == 0) {
      appendCyclic(set, pos, limit, out);
      return;
    }
  }
}

uint64_t Dispatcher::nextRandom() {
  randomState_ += 0x9e3779b97f4a7c15ULL;  // SplitMix64: one add and one mix per draw
  return mix64(randomState_);
}

Status Dispatcher::setState(uint32_t setId, std::string_view uri, State state) {
  const DestinationSet* set = findSet(setId);
  if (set == nullptr) return Status::error("unknown set " + std::to_string(setId));
  bool all = uri == "all";
  bool found = false;
  for (DestIndex i = set->begin; i < set->end; ++i) {
    if (all || equalsIgnoreCase(destinations_[i].uri, uri)) {
      destinations_[i].state = state;
      found = true;
    }
  }
  if (!found) {
    return Status::error("no destination \"" + std::string(uri) + "\" in set " +
                         std::to_string(setId));
  }
  return Status::ok();
}

void Dispatcher::setState(DestIndex index, State state) { destinations_[index].state = state; }

void Dispatcher::callStarted(DestIndex index) { ++destinations_[index].activeCalls; }

void Dispatcher::callEnded(DestIndex index) {
  // An end without a start (a dialog restored after reload) must not wrap to 4 billion calls.
  if (destinations_[index].activeCalls > 0) --destinations_[index].activeCalls;
}

const DestinationSet* Dispatcher::findSet(uint32_t setId) const {
  auto it = std::lower_bound(sets_.begin(), sets_.end(), setId,
                             [](const DestinationSet& s, uint32_t id) { return s.id < id; });
  return it == sets_.end() || it->id != setId ? nullptr : &*it;
}

std::optional<DestIndex> Dispatcher::findDestination(uint32_t setId, std::string_view uri) const {
  const DestinationSet* set = findSet(setId);
  if (set == nullptr) return std::nullopt;
  for (DestIndex i = set->begin; i < set->end; ++i) {
    if (equalsIgnoreCase(destinations_[i].uri, uri)) return i;
  }
  return std::nullopt;
}

std::span<const Destination> Dispatcher::destinations(const DestinationSet& set) const {
  return std::span<const Destination>(destinations_).subspan(set.begin, set.size());
}

}  // namespace tandem::dispatcher
