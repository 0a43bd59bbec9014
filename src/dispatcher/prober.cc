// Health probing logic (Kamailio's ds_ping_set, ds_options_callback and ds_update_state), the
// accepted reply codes, and the latency statistics of answered pings. No sockets and no clock: the
// caller sends the pings and passes the time in.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "core/text.h"
#include "dispatcher/dispatcher.h"
#include "dispatcher/text.h"

namespace tandem::dispatcher {
namespace {

std::optional<int> parseInt(std::string_view text) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

void LatencyStats::add(uint32_t ms, double alpha) {
  // After 2^21 samples (24 days at 1 s) the count stops and the mean becomes a moving one, with
  // the sum of squares scaled down to match, as Kamailio does.
  constexpr uint32_t kCountCap = uint32_t{1} << 21;
  if (count < kCountCap) {
    ++count;
  } else {
    m2 -= m2 / count;
  }
  last = ms;
  const double x = ms;
  if (count == 1) {
    avg = est = x;
    min = max = ms;
    stdev = m2 = 0;
    return;
  }
  min = std::min(min, ms);
  max = std::max(max, ms);
  const double delta = x - avg;
  avg += delta / count;
  m2 += delta * (x - avg);
  stdev = std::sqrt(m2 / (count - 1));
  est = count < 10 ? avg : x * alpha + est * (1 - alpha);
}

Result<ProbingMode> probingModeFromInt(int value) {
  if (value < 0 || value > 3) {
    return Result<ProbingMode>::error("probing_mode must be 0, 1, 2 or 3, got " +
                                      std::to_string(value));
  }
  return static_cast<ProbingMode>(value);
}

Result<ReplyCodes> ReplyCodes::parse(std::string_view text) {
  ReplyCodes codes;
  while (!text.empty()) {
    const size_t sep = text.find_first_of(";,");
    const std::string_view item = trimWhitespace(text.substr(0, sep));
    text = sep == std::string_view::npos ? std::string_view() : text.substr(sep + 1);
    if (item.empty()) continue;

    std::optional<int> code;
    std::optional<int> cls;
    const std::string lower = toLowerAscii(item);
    if (lower.starts_with("code=")) {
      code = parseInt(trimWhitespace(std::string_view(lower).substr(5)));
    } else if (lower.starts_with("class=")) {
      cls = parseInt(trimWhitespace(std::string_view(lower).substr(6)));
    } else if (lower.size() == 3 && lower.ends_with("xx")) {
      cls = parseInt(std::string_view(lower).substr(0, 1));
    } else {
      code = parseInt(lower);
    }
    if (code && *code >= 100 && *code <= 699) {
      codes.extra_.set(static_cast<size_t>(*code - 100));
    } else if (cls && *cls >= 1 && *cls <= 6) {
      for (int c = *cls * 100; c < *cls * 100 + 100; ++c) {
        codes.extra_.set(static_cast<size_t>(c - 100));
      }
    } else {
      return Result<ReplyCodes>::error("invalid reply code \"" + std::string(item) +
                                       "\": expected a code from 100 to 699, a class such as "
                                       "5xx, code=N or class=N");
    }
  }
  return codes;
}

bool ReplyCodes::accepts(int code) const {
  if (code >= 200 && code <= 299) return true;
  return code >= 100 && code <= 699 && extra_.test(static_cast<size_t>(code - 100));
}

std::string_view probeReasonName(ProbeReason reason) {
  switch (reason) {
    case ProbeReason::kTimeout:
      return "timeout";
    case ProbeReason::kRejected:
      return "rejected";
    case ProbeReason::kAnswered:
      return "answered";
    case ProbeReason::kCallFailed:
      return "call failed";
  }
  return "unknown";
}

Prober::Prober(Dispatcher& dispatcher, ProbeConfig config, Sink sink)
    : dispatcher_(dispatcher), config_(config), sink_(std::move(sink)) {}

void Prober::setConfig(ProbeConfig config) {
  config_ = config;
  nextRound_ = kNotStarted;
}

uint64_t Prober::timeoutMs() const {
  const uint64_t interval = config_.intervalMs;
  return config_.timeoutMs == 0 ? interval : std::min<uint64_t>(config_.timeoutMs, interval);
}

bool Prober::wouldPing(const Destination& dest) const {
  // Kamailio's ds_ping_set skips disabled, never-ping and no-DNS destinations in every mode.
  if (dest.presence != Presence::kListed || dest.state == State::kDisabled) return false;
  if ((dest.flags & (kFlagNeverPing | kFlagSkipDns)) != 0) return false;
  switch (config_.mode) {
    case ProbingMode::kAll:
      return true;
    case ProbingMode::kFlagged:
    case ProbingMode::kFlaggedContinuous:
      return dest.probeFlag;
    case ProbingMode::kInactiveOnly:
      return dest.probeFlag && dest.health == State::kInactive;
  }
  return false;
}

void Prober::due(uint64_t nowMs, std::vector<Ping>& out) {
  out.clear();
  if (config_.intervalMs == 0) return;
  const uint64_t timeout = timeoutMs();
  for (Destination& dest : dispatcher_.destinations_) {
    if (!dest.probe.outstanding) continue;
    if (!wouldPing(dest)) {
      // Disabled, removed or unflagged meanwhile: its result no longer counts.
      dest.probe.outstanding = false;
    } else if (nowMs >= dest.probe.sentAtMs + timeout) {
      dest.probe.outstanding = false;
      ++dest.probe.missed;
      ++dest.latency.timeouts;
      dest.probe.lastCode = 408;
      fail(dest, ProbeReason::kTimeout, 408);
    }
  }
  if (!active_) return;
  if (nextRound_ != kNotStarted && nowMs < nextRound_) return;
  // Keep the cadence when called a little late; start over after a stall or a clock jump.
  if (nextRound_ == kNotStarted || nowMs >= nextRound_ + config_.intervalMs) {
    nextRound_ = nowMs + config_.intervalMs;
  } else {
    nextRound_ += config_.intervalMs;
  }
  for (Destination& dest : dispatcher_.destinations_) {
    if (!wouldPing(dest)) continue;
    if (dest.probe.outstanding) {  // due() was late: the older ping is superseded, so missed
      ++dest.probe.missed;
      ++dest.latency.timeouts;
      dest.probe.lastCode = 408;
      fail(dest, ProbeReason::kTimeout, 408);
      if (!wouldPing(dest)) continue;
    }
    ++dest.probe.seq;
    ++dest.probe.sent;
    dest.probe.outstanding = true;
    dest.probe.sentAtMs = nowMs;
    out.push_back(Ping{dest.id, dest.probe.seq});
  }
}

uint64_t Prober::nextDueMs() const {
  if (config_.intervalMs == 0) return std::numeric_limits<uint64_t>::max();
  if (nextRound_ == kNotStarted) return active_ ? 0 : std::numeric_limits<uint64_t>::max();
  uint64_t next = active_ ? nextRound_ : std::numeric_limits<uint64_t>::max();
  const uint64_t timeout = timeoutMs();
  for (const Destination& dest : dispatcher_.destinations_) {
    if (dest.probe.outstanding) next = std::min(next, dest.probe.sentAtMs + timeout);
  }
  return next;
}

Destination* Prober::current(Ping ping) {
  if (ping.dest >= dispatcher_.destinations_.size()) {
    ++stale_;
    return nullptr;
  }
  Destination& dest = dispatcher_.destinations_[ping.dest];
  if (!dest.probe.outstanding || dest.probe.seq != ping.seq) {
    ++stale_;
    return nullptr;
  }
  dest.probe.outstanding = false;
  if (!wouldPing(dest)) {
    ++stale_;
    return nullptr;
  }
  return &dest;
}

void Prober::onReply(Ping ping, int code, uint64_t nowMs) {
  Destination* dest = current(ping);
  if (dest == nullptr) return;
  dest->probe.lastCode = code;
  // A 408 answer says the far end timed out on something: like Kamailio, a timeout, not a sample.
  if (code == 408) {
    ++dest->latency.timeouts;
  } else {
    const uint64_t rtt = nowMs > dest->probe.sentAtMs ? nowMs - dest->probe.sentAtMs : 0;
    dest->latency.add(static_cast<uint32_t>(std::min<uint64_t>(rtt, UINT32_MAX)),
                      config_.latencyAlpha);
  }
  if (config_.replyCodes.accepts(code)) {
    ++dest->probe.answered;
    succeed(*dest);
  } else {
    ++dest->probe.rejected;
    fail(*dest, ProbeReason::kRejected, code);
  }
}

void Prober::onTimeout(Ping ping) {
  Destination* dest = current(ping);
  if (dest == nullptr) return;
  ++dest->probe.missed;
  ++dest->latency.timeouts;
  dest->probe.lastCode = 408;
  fail(*dest, ProbeReason::kTimeout, 408);
}

void Prober::onCallFailed(DestId id) {
  // Without pings nothing would ever bring a marked destination back: one lost INVITE would take
  // it out for good. (Kamailio's ds_mark_dst is only ever used with probing on.)
  if (config_.intervalMs == 0) return;
  Destination& dest = dispatcher_.destinations_[id];
  if (dest.presence != Presence::kListed || dest.state == State::kDisabled) return;
  dest.probeFlag = true;
  fail(dest, ProbeReason::kCallFailed, 0);
}

void Prober::fail(Destination& dest, ProbeReason reason, int code) {
  // Kamailio sets the P flag on a failure in modes 1-3; in mode 0 it drops it, which would leave
  // the destination trying with nobody pinging it. tandem keeps pinging it in every mode.
  dest.probeFlag = true;
  const uint32_t threshold = std::max<uint32_t>(1, config_.probingThreshold);
  const State from = dest.health;
  State to = from;
  uint32_t count = 0;
  switch (from) {
    case State::kActive:
    case State::kTrying:
      dest.probe.successes = 0;
      count = from == State::kActive ? 1 : dest.probe.failures + 1;
      dest.probe.failures = count;
      to = State::kTrying;
      if (count >= threshold) {
        to = State::kInactive;
        dest.probe.failures = 0;
      }
      break;
    default:  // inactive: still down; a run of successes starts over
      dest.probe.successes = 0;
      break;
  }
  if (to != from) {
    dispatcher_.setHealth(dest, to);
    emit(dest, from, reason, code, count);
  }
}

void Prober::succeed(Destination& dest) {
  const uint32_t threshold = std::max<uint32_t>(1, config_.inactiveThreshold);
  const State from = dest.health;
  State to = State::kActive;
  uint32_t count = 1;
  dest.probe.failures = 0;
  if (from == State::kInactive) {
    count = ++dest.probe.successes;
    if (count < threshold) {
      to = State::kInactive;
    } else {
      dest.probe.successes = 0;
    }
  } else {
    dest.probe.successes = 0;
  }
  if (config_.mode == ProbingMode::kAll) {
    dest.probeFlag = true;
  } else if (to == State::kActive && (config_.mode == ProbingMode::kFlagged ||
                                      config_.mode == ProbingMode::kInactiveOnly)) {
    dest.probeFlag = false;  // proven alive: no longer under suspicion
  }
  if (to != from) {
    dispatcher_.setHealth(dest, to);
    emit(dest, from, ProbeReason::kAnswered, dest.probe.lastCode, count);
  }
}

void Prober::emit(const Destination& dest, State from, ProbeReason reason, int code,
                  uint32_t count) {
  if (sink_) sink_(Transition{dest.id, from, dest.health, reason, code, count});
}

}  // namespace tandem::dispatcher
