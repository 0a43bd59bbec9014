// Snapshots: the evidence taken before and after each migration step (per destination state,
// calls and latency, registrations, reply-code counters) as a JSON file, and the comparison of
// two of them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "migrate/audit.h"
#include "migrate/edge.h"

namespace tandem::migrate {

struct DestSnapshot {
  uint32_t set = 0;
  std::string uri;
  std::string state;
  std::string flags;
  uint32_t weight = 0;
  std::optional<uint32_t> activeCalls;
  std::optional<ListedDest::Latency> latency;
  // Initial INVITE branches the edge sent there, cumulative (dispatcher.list CALLS).
  struct Calls {
    uint64_t attempts = 0, answered = 0, failed5xx = 0, timeouts = 0;
  };
  std::optional<Calls> calls;
};

// Answer-seizure ratio: initial INVITEs answered 2xx among those the edge gave a final answer
// (stats.get call_attempts / calls_answered). percent is 0 when there were no attempts.
struct Asr {
  uint64_t attempts = 0;
  uint64_t answered = 0;
  double percent() const {
    return attempts == 0 ? 0.0
                         : 100.0 * static_cast<double>(answered) / static_cast<double>(attempts);
  }
};

// What a snapshot covers when it is not the whole edge: one tenant's dispatcher set.
struct SnapshotScope {
  std::string tenant;  // the domain, as the operator gave it
  uint32_t set = 0;
};

struct Snapshot {
  std::string label;
  std::string taken;    // utcIso8601
  int64_t takenMs = 0;  // Unix time in ms, for rates between two snapshots
  std::string edge;     // the URL it was taken from
  // nullopt: every set. Set: destinations of scope->set only (the counters stay the edge's).
  std::optional<SnapshotScope> scope;
  std::vector<DestSnapshot> destinations;
  std::optional<uint64_t> registrations;     // ul.stats contacts, when the edge runs a registrar
  std::map<std::string, uint64_t> counters;  // stats.get
  std::map<int, uint64_t> replies;           // responses sent, by status code (GET /metrics)
  uint64_t replies5xx = 0;
  uint64_t replies408 = 0;
  uint64_t finalReplies = 0;  // every code from 200 up: the base of the 5xx and 408 shares
  std::optional<Asr> asr;     // since the edge started
  // Over the last window: the calls between two reads of the counters windowMs apart.
  std::optional<Asr> asrWindow;
  int64_t windowMs = 0;
  std::vector<std::string> notes;  // what could not be read, and why
};

// Reads tandem_sip_replies_total{code="NNN"} V lines of a Prometheus text exposition (other lines
// are skipped; so is a malformed one).
std::map<int, uint64_t> parseReplyCounters(std::string_view metrics);

// Takes a snapshot: dispatcher.list is required; stats.get, ul.stats and GET /metrics are read
// when the edge has them (a note says what was missing). label: letters, digits, '.', '_', '-'.
// Errors: `invalid label "x y": use letters, digits, '.', '_' and '-'`, dispatcher.list's.
// With a scope, only that set's destinations are kept and a note says the counters are edge-wide.
// With a window above 0 and a sleep, the call counters are read again after sleeping window, and
// asrWindow is the answer-seizure ratio of the calls in between ("over the last window").
Result<Snapshot> takeSnapshot(EdgeLink& link, std::string_view label, SystemTime now,
                              const std::optional<SnapshotScope>& scope = std::nullopt,
                              std::chrono::milliseconds window = {},
                              const std::function<void(std::chrono::milliseconds)>& sleep = {});

// Label check, as takeSnapshot does it.
Status checkLabel(std::string_view label);

nlohmann::ordered_json snapshotToJson(const Snapshot& s);
// name labels errors: `a.json: not a tandem migrate snapshot`.
Result<Snapshot> snapshotFromJson(std::string_view text, std::string_view name);

// Writes DIR/<utcFileStamp(taken)>-<label>.json (creating DIR), never over an existing file.
// Returns the path.
Result<std::string> writeSnapshot(const Snapshot& s, const std::string& dir, SystemTime taken);

struct SnapshotDiff {
  std::vector<std::string> lines;  // what moved, one line each, for the terminal
  // Shares of 5xx and of 408 among final replies: cumulative at A (the baseline) and over the
  // window between A and B. Zero when there were no final replies.
  double base5xx = 0, window5xx = 0, base408 = 0, window408 = 0;
  uint64_t new5xx = 0, new408 = 0, newFinal = 0;
  bool countersReset = false;     // B's counters are below A's: the edge restarted in between
  std::optional<Asr> asrBetween;  // the calls between A and B, when both count call outcomes
  // The 5xx share or the 408 share grew: new ones arrived and their share of the window's final
  // replies is above their share at A.
  bool regression = false;
};

SnapshotDiff diffSnapshots(const Snapshot& a, const Snapshot& b);

}  // namespace tandem::migrate
