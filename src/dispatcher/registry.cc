// The destination registry: construction, reloads that merge a new list into the running one,
// runtime add/remove, and the listing for dispatcher.list. Control-plane work: it allocates freely
// and rebuilds the set tables that selection reads.
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "dispatcher/dispatcher.h"
#include "dispatcher/hash.h"
#include "dispatcher/text.h"

namespace tandem::dispatcher {
namespace {

using Key = std::pair<uint32_t, std::string>;  // set id, lowercased URI

Key keyOf(uint32_t setId, std::string_view uri) { return Key{setId, toLowerAscii(uri)}; }

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

// A fresh destination from a list entry: list fields copied, runtime state per its flags.
Destination freshFrom(const Destination& from, DestId id) {
  Destination dest;
  dest.setId = from.setId;
  dest.uri = from.uri;
  dest.flags = from.flags;
  dest.priority = from.priority;
  dest.attrs = from.attrs;
  dest.line = from.line;
  dest.id = id;
  dest.state = stateFromFlags(from.flags);
  dest.health = healthFromFlags(from.flags);
  dest.probeFlag = (from.flags & kFlagProbing) != 0;
  return dest;
}

}  // namespace

std::string ReloadReport::summary() const {
  std::string s =
      std::to_string(added.size()) + " added, " + std::to_string(removed.size()) + " removed";
  if (lingering > 0) s += " (" + std::to_string(lingering) + " still carrying calls)";
  s += ", " + std::to_string(updated.size()) + " updated, " + std::to_string(kept.size()) + " kept";
  return s;
}

Dispatcher::Dispatcher(const std::vector<Destination>& destinations, uint64_t randomSeed) {
  reload(destinations);
  if (randomSeed == 0) {
    randomSeed =
        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
        reinterpret_cast<uintptr_t>(this);
  }
  randomState_ = randomSeed;
}

DestId Dispatcher::appendSlot(const Destination& from) {
  const auto id = static_cast<DestId>(destinations_.size());
  destinations_.push_back(freshFrom(from, id));
  uriHash_.push_back(fnv1a64(toLowerAscii(from.uri)));
  order_.push_back(0);
  loadGroup_.push_back(0);
  return id;
}

void Dispatcher::resetSlot(DestId id, const Destination& from) {
  destinations_[id] = freshFrom(from, id);
  uriHash_[id] = fnv1a64(toLowerAscii(from.uri));
}

uint32_t Dispatcher::mergeSlot(DestId id, const Destination& from, std::string& what) {
  Destination& dest = destinations_[id];
  uint32_t changes = 0;
  auto note = [&what](const std::string& text) {
    if (!what.empty()) what += "; ";
    what += text;
  };
  if (dest.flags != from.flags) {
    changes |= ReloadReport::kFlags;
    note("flags " + std::to_string(dest.flags) + " -> " + std::to_string(from.flags));
  }
  if (dest.priority != from.priority) {
    changes |= ReloadReport::kPriority;
    note("priority " + std::to_string(dest.priority) + " -> " + std::to_string(from.priority));
  }
  if (dest.attrs.raw != from.attrs.raw) {
    changes |= ReloadReport::kAttrs;
    note("attrs " + quoted(dest.attrs.raw) + " -> " + quoted(from.attrs.raw));
  }
  // The file's state bits apply only when the operator changed them in the file, and never over a
  // manual state set through RPC: otherwise every reload would undo the prober's and the
  // operator's work, which is the complaint about Kamailio's reload.
  constexpr uint32_t kStateBits = kFlagInactive | kFlagTrying | kFlagDisabled;
  if (!dest.manualByRpc && ((dest.flags ^ from.flags) & kStateBits) != 0) {
    const State before = dest.state;
    dest.state = stateFromFlags(from.flags);
    dest.health = healthFromFlags(from.flags);
    dest.probe.failures = 0;
    dest.probe.successes = 0;
    if (dest.state != before) {
      changes |= ReloadReport::kState;
      note("state " + std::string(stateName(before)) + " -> " + std::string(stateName(dest.state)));
    }
  }
  if (((dest.flags ^ from.flags) & kFlagProbing) != 0) {
    dest.probeFlag = (from.flags & kFlagProbing) != 0;
  }
  dest.setId = from.setId;
  dest.uri = from.uri;
  dest.flags = from.flags;
  dest.priority = from.priority;
  dest.attrs = from.attrs;
  dest.line = from.line;
  return changes;
}

void Dispatcher::retire(DestId id) {
  Destination& dest = destinations_[id];
  dest.presence = dest.activeCalls > 0 ? Presence::kRemoved : Presence::kGone;
  dest.probe.outstanding = false;
}

ReloadReport Dispatcher::reload(const std::vector<Destination>& destinations) {
  ReloadReport report;
  // Candidates per key: live slots (listed or removed) in id order, then gone ones, so the k-th
  // duplicate of a URI matches the k-th live entry and only then revives a forgotten one.
  std::map<Key, std::vector<DestId>> existing;
  for (bool gone : {false, true}) {
    for (DestId id = 0; id < destinations_.size(); ++id) {
      const Destination& dest = destinations_[id];
      if ((dest.presence == Presence::kGone) == gone) {
        existing[keyOf(dest.setId, dest.uri)].push_back(id);
      }
    }
  }
  const size_t before = destinations_.size();
  std::map<Key, size_t> used;
  std::vector<bool> seen(before, false);
  uint32_t order = 0;
  for (const Destination& from : destinations) {
    Key key = keyOf(from.setId, from.uri);
    size_t& k = used[key];
    auto it = existing.find(key);
    DestId id = 0;
    if (it != existing.end() && k < it->second.size()) {
      id = it->second[k++];
      Destination& dest = destinations_[id];
      if (dest.presence == Presence::kGone) {
        resetSlot(id, from);
        report.added.push_back(id);
      } else if (dest.presence == Presence::kRemoved) {
        std::string what;
        mergeSlot(id, from, what);
        dest.presence = Presence::kListed;
        report.added.push_back(id);
      } else {
        std::string what;
        uint32_t changes = mergeSlot(id, from, what);
        if (changes != 0) {
          report.updated.push_back(ReloadReport::Updated{id, changes, std::move(what)});
        } else {
          report.kept.push_back(id);
        }
      }
      seen[id] = true;
    } else {
      id = appendSlot(from);
      report.added.push_back(id);
    }
    order_[id] = order++;
  }
  for (DestId id = 0; id < before; ++id) {
    if (seen[id] || destinations_[id].presence != Presence::kListed) continue;
    retire(id);
    report.removed.push_back(id);
    if (destinations_[id].presence == Presence::kRemoved) ++report.lingering;
  }
  nextOrder_ = order;
  rebuild();
  return report;
}

Result<DestId> Dispatcher::add(uint32_t setId, std::string_view uri, uint32_t flags,
                               int32_t priority, std::string_view attrs) {
  if (setId == 0) return Result<DestId>::error("setid must be a positive integer, got 0");
  if (uri.empty() || uri.find_first_of(" \t\r\n") != std::string_view::npos) {
    return Result<DestId>::error("destination must be a URI without blanks, got " + quoted(uri));
  }
  if (flags > kFlagsAll) {
    return Result<DestId>::error("flags must be an integer from 0 to " + std::to_string(kFlagsAll) +
                                 ", got " + std::to_string(flags));
  }
  auto parsed = parseAttrs(attrs);
  if (!parsed) return parsed.status();

  Destination from;
  from.setId = setId;
  from.uri = std::string(uri);
  from.flags = flags;
  from.priority = priority;
  from.attrs = std::move(parsed).value();

  // Prefer reviving a removed entry (it keeps its calls), then a forgotten one, over a new slot.
  std::optional<DestId> removed;
  std::optional<DestId> gone;
  for (const Destination& dest : destinations_) {
    if (dest.setId != setId || !equalsIgnoreCase(dest.uri, uri)) continue;
    if (dest.presence == Presence::kListed) {
      return Result<DestId>::error("destination " + quoted(uri) + " already in set " +
                                   std::to_string(setId));
    }
    auto& slot = dest.presence == Presence::kRemoved ? removed : gone;
    if (!slot) slot = dest.id;
  }
  DestId id = 0;
  if (removed) {
    id = *removed;
    std::string what;
    mergeSlot(id, from, what);
    destinations_[id].presence = Presence::kListed;
  } else if (gone) {
    id = *gone;
    resetSlot(id, from);
  } else {
    id = appendSlot(from);
  }
  order_[id] = nextOrder_++;
  rebuild();
  return id;
}

Status Dispatcher::remove(uint32_t setId, std::string_view uri) {
  const DestinationSet* set = findSet(setId);
  if (set == nullptr) return Status::error("unknown set " + std::to_string(setId));
  bool found = false;
  for (DestId id : members(*set)) {
    if (equalsIgnoreCase(destinations_[id].uri, uri)) {
      retire(id);
      found = true;
    }
  }
  if (!found) {
    return Status::error("no destination " + quoted(uri) + " in set " + std::to_string(setId));
  }
  rebuild();
  return Status::ok();
}

void Dispatcher::rebuild() {
  std::map<uint32_t, uint32_t> cursors;
  for (size_t i = 0; i < sets_.size(); ++i) cursors[sets_[i].id] = roundRobinNext_[i];

  // Priority order inside a set makes serial selection a plain walk and lists sets the way
  // Kamailio's dispatcher.list does; list order breaks ties.
  members_.clear();
  for (const Destination& dest : destinations_) {
    if (dest.presence == Presence::kListed) members_.push_back(dest.id);
  }
  std::sort(members_.begin(), members_.end(), [this](DestId a, DestId b) {
    const Destination& x = destinations_[a];
    const Destination& y = destinations_[b];
    return std::make_tuple(x.setId, -int64_t{x.priority}, order_[a], a) <
           std::make_tuple(y.setId, -int64_t{y.priority}, order_[b], b);
  });
  sets_.clear();
  for (uint32_t p = 0; p < members_.size(); ++p) {
    const uint32_t setId = destinations_[members_[p]].setId;
    if (sets_.empty() || sets_.back().id != setId) sets_.push_back(DestinationSet{setId, p, p});
    sets_.back().end = p + 1;
  }
  maxSetSize_ = 0;
  roundRobinNext_.assign(sets_.size(), 0);
  for (size_t i = 0; i < sets_.size(); ++i) {
    maxSetSize_ = std::max<size_t>(maxSetSize_, sets_[i].size());
    auto it = cursors.find(sets_[i].id);
    if (it != cursors.end()) roundRobinNext_[i] = it->second % sets_[i].size();
  }
  scratch_.assign(maxSetSize_, Scored{0, 0});

  // Load groups: one per duid among live destinations (any set), one per destination without.
  std::map<std::string, uint32_t> byDuid;
  groupLoad_.clear();
  for (Destination& dest : destinations_) {
    uint32_t group = static_cast<uint32_t>(groupLoad_.size());
    if (dest.presence != Presence::kGone && !dest.attrs.duid.empty()) {
      group = byDuid.emplace(toLowerAscii(dest.attrs.duid), group).first->second;
    }
    if (group == groupLoad_.size()) groupLoad_.push_back(0);
    loadGroup_[dest.id] = group;
    groupLoad_[group] += dest.activeCalls;
  }
}

std::vector<DestinationInfo> Dispatcher::list() const {
  std::vector<DestId> removed;
  for (const Destination& dest : destinations_) {
    if (dest.presence == Presence::kRemoved) removed.push_back(dest.id);
  }
  std::stable_sort(removed.begin(), removed.end(), [this](DestId a, DestId b) {
    return destinations_[a].setId < destinations_[b].setId;
  });
  std::vector<DestId> order;
  order.reserve(members_.size() + removed.size());
  size_t s = 0;
  size_t r = 0;
  while (s < sets_.size() || r < removed.size()) {
    uint32_t setId = s < sets_.size() ? sets_[s].id : destinations_[removed[r]].setId;
    if (r < removed.size()) setId = std::min(setId, destinations_[removed[r]].setId);
    if (s < sets_.size() && sets_[s].id == setId) {
      for (DestId id : members(sets_[s])) order.push_back(id);
      ++s;
    }
    while (r < removed.size() && destinations_[removed[r]].setId == setId) {
      order.push_back(removed[r++]);
    }
  }

  std::vector<DestinationInfo> out;
  out.reserve(order.size());
  for (DestId id : order) {
    const Destination& dest = destinations_[id];
    DestinationInfo info;
    info.id = id;
    info.setId = dest.setId;
    info.uri = dest.uri;
    info.flags = flagsString(dest);
    info.state = dest.presence == Presence::kListed ? stateName(dest.state) : "removed";
    info.health = stateName(dest.health);
    info.priority = dest.priority;
    info.attrs = dest.attrs.raw;
    info.duid = dest.attrs.duid;
    info.weight = dest.attrs.weight;
    info.rweight = dest.attrs.rweight;
    info.maxload = dest.attrs.maxload;
    info.activeCalls = dest.activeCalls;
    info.load = load(id);
    info.latency = dest.latency;
    info.probe = dest.probe;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace tandem::dispatcher
