// The drain watch: polls a node's active calls (dispatcher.list's ACTIVE_CALLS, which the tandem
// edge counts from its dialog table, and optionally the node's own count over FreeSWITCH's event
// socket) until they reach a threshold, printing progress with the rate calls end at and an
// estimate of the time left.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "migrate/edge.h"

namespace tandem::migrate {

// Exit statuses of watchDrain (and `tandem migrate drain`).
inline constexpr int kDrainDone = 0;     // calls at or below the threshold
inline constexpr int kDrainError = 1;    // bad arguments, node unknown, edge unreachable
inline constexpr int kDrainTimeout = 2;  // still above the threshold when the timeout passed

struct DrainOptions {
  std::string node;             // destination URI, matched case-insensitively
  std::optional<uint32_t> set;  // nullopt: every set that lists the node (their calls add up)
  uint32_t threshold = 0;
  std::chrono::milliseconds interval{15'000};
  std::chrono::milliseconds timeout{4 * 3'600'000};
  bool terminal = false;  // redraw one line with a bar; else one line per poll
  // Set: the node is also FreeSWITCH at this event socket (HOST:PORT, for messages; the count
  // comes from DrainDeps::freeswitchCalls). Its count can exceed the edge's (calls originated on
  // the node never pass the edge), so the watch uses the larger of the two.
  std::string freeswitch;
};

struct NodeCalls {
  bool listed = false;  // the node has a row (in the set, when one is given)
  uint32_t calls = 0;   // summed over its rows
  std::string state;    // of the first row: active, drain, removed...
};

// The node's calls in a listing. Error when a matching row has no ACTIVE_CALLS:
// `dispatcher.list shows no ACTIVE_CALLS for sip:...: the drain watch needs a tandem edge`.
Result<NodeCalls> nodeCalls(const std::vector<ListedDest>& rows, std::string_view node,
                            std::optional<uint32_t> set);

// The rate calls end at, over the last samples (at most kWindow), and the time left.
class DrainRate {
 public:
  static constexpr size_t kWindow = 10;
  void add(int64_t ms, uint32_t calls);
  // Calls ended per minute (negative when calls grow); nullopt before two samples a moment apart.
  std::optional<double> perMinute() const;
  // Time until calls reach threshold at the current rate; nullopt when unknown or not decreasing.
  std::optional<std::chrono::milliseconds> timeLeft(uint32_t threshold) const;

 private:
  std::deque<std::pair<int64_t, uint32_t>> samples_;
};

// Clock, sleep and the FreeSWITCH count, injectable so tests run without waiting or a node.
struct DrainDeps {
  std::function<int64_t()> nowMs;                        // monotonic
  std::function<void(std::chrono::milliseconds)> sleep;  // waits
  // The node's calls as FreeSWITCH counts them (e.g. freeswitchCallCount from esl.h).
  // REQUIRES: set when DrainOptions::freeswitch is.
  // A default initializer, so that DrainDeps{now, sleep} still reads as complete.
  std::function<Result<uint32_t>()> freeswitchCalls = nullptr;
};
// Clock and sleep; freeswitchCalls is left empty (the caller knows the address and password).
DrainDeps realDrainDeps();

// Polls until done, timeout or error (three failed polls in a row; the first poll failing, or
// the node missing from it, is an error at once). With options.freeswitch, a poll asks the edge
// and then FreeSWITCH; either failing fails the poll, the larger count is the node's calls, and
// progress lines show both: the node is drained only when both counts are at the threshold. A node
// that was listed and then disappears has no calls left (the edge forgets a removed destination
// with its last call). Progress goes to out, warnings and errors to err. Returns kDrainDone,
// kDrainError or kDrainTimeout.
int watchDrain(EdgeLink& link, const DrainOptions& options, const DrainDeps& deps,
               std::ostream& out, std::ostream& err);

}  // namespace tandem::migrate
