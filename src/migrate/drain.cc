// The drain watch loop, its rate estimate and its progress lines.
#include "migrate/drain.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>

#include "core/text.h"
#include "migrate/duration.h"

namespace tandem::migrate {

namespace {

constexpr int kMaxFailures = 3;
constexpr int kBarWidth = 30;

std::string rateText(const DrainRate& rate, uint32_t calls, uint32_t threshold) {
  auto perMin = rate.perMinute();
  if (!perMin) return "rate not known yet";
  char buf[64];
  if (*perMin == 0) return "steady";
  if (*perMin < 0) {
    std::snprintf(buf, sizeof buf, "growing (+%.1f/min)", -*perMin);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.1f/min ending", *perMin);
  std::string text = buf;
  if (calls > threshold) {
    if (auto left = rate.timeLeft(threshold)) text += ", about " + formatDuration(*left) + " left";
  }
  return text;
}

std::string bar(uint32_t first, uint32_t calls, uint32_t threshold) {
  double done = 1.0;
  if (first > threshold) {
    done = static_cast<double>(first - std::min(first, std::max(calls, threshold))) /
           static_cast<double>(first - threshold);
  }
  int filled = static_cast<int>(std::lround(done * kBarWidth));
  filled = std::clamp(filled, 0, kBarWidth);
  return "[" + std::string(static_cast<size_t>(filled), '#') +
         std::string(static_cast<size_t>(kBarWidth - filled), '-') + "]";
}

}  // namespace

Result<NodeCalls> nodeCalls(const std::vector<ListedDest>& rows, std::string_view node,
                            std::optional<uint32_t> set) {
  NodeCalls out;
  for (const auto& r : rows) {
    if (!equalsIgnoreCase(r.uri, node) || (set && r.set != *set)) continue;
    if (!r.activeCalls) {
      return Result<NodeCalls>::error("dispatcher.list shows no ACTIVE_CALLS for " +
                                      std::string(node) + ": the drain watch needs a tandem edge");
    }
    if (!out.listed) out.state = r.state;
    out.listed = true;
    out.calls += *r.activeCalls;
  }
  return out;
}

void DrainRate::add(int64_t ms, uint32_t calls) {
  samples_.emplace_back(ms, calls);
  while (samples_.size() > kWindow) samples_.pop_front();
}

std::optional<double> DrainRate::perMinute() const {
  if (samples_.size() < 2) return std::nullopt;
  int64_t span = samples_.back().first - samples_.front().first;
  if (span <= 0) return std::nullopt;
  double ended =
      static_cast<double>(samples_.front().second) - static_cast<double>(samples_.back().second);
  return ended * 60'000.0 / static_cast<double>(span);
}

std::optional<std::chrono::milliseconds> DrainRate::timeLeft(uint32_t threshold) const {
  auto perMin = perMinute();
  if (!perMin || *perMin <= 0 || samples_.empty()) return std::nullopt;
  uint32_t calls = samples_.back().second;
  if (calls <= threshold) return std::chrono::milliseconds(0);
  double minutes = static_cast<double>(calls - threshold) / *perMin;
  return std::chrono::milliseconds(static_cast<int64_t>(minutes * 60'000.0));
}

DrainDeps realDrainDeps() {
  return DrainDeps{[] {
                     return std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                         .count();
                   },
                   [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }};
}

int watchDrain(EdgeLink& link, const DrainOptions& options, const DrainDeps& deps,
               std::ostream& out, std::ostream& err) {
  const int64_t start = deps.nowMs();
  const int64_t deadline = start + options.timeout.count();
  DrainRate rate;
  std::optional<uint32_t> first;  // calls at the first poll: the bar's 0%
  bool everListed = false;
  bool warnedActive = false;
  uint32_t lastCalls = 0;
  std::string lastDetail;  // "edge E, FreeSWITCH F; " when watching both, else ""
  const bool withFreeswitch = !options.freeswitch.empty();
  int failures = 0;
  auto endLine = [&] {
    if (options.terminal) out << "\n";
  };
  for (;;) {
    const int64_t now = deps.nowMs();
    const std::string elapsed = formatDuration(std::chrono::milliseconds(now - start));
    Result<NodeCalls> polled = Status::error("");
    if (auto listed = callResult(link, "dispatcher.list"); !listed) {
      polled = listed.status();
    } else if (auto rows = parseDispatcherList(*listed); !rows) {
      polled = rows.status();
    } else {
      polled = nodeCalls(*rows, options.node, options.set);
    }
    std::optional<uint32_t> fsCalls;
    if (polled && withFreeswitch) {
      auto fs = deps.freeswitchCalls
                    ? deps.freeswitchCalls()
                    : Result<uint32_t>::error("FreeSWITCH " + options.freeswitch + ": no source");
      if (fs) {
        fsCalls = *fs;
      } else {
        polled = fs.status();
      }
    }
    if (!polled) {
      ++failures;
      if (!first || failures >= kMaxFailures) {
        endLine();
        err << "error: " << polled.message()
            << (failures > 1 ? " (" + std::to_string(failures) + " polls in a row)" : "") << "\n";
        return kDrainError;
      }
      err << "warning: poll failed (" << failures << " of " << kMaxFailures
          << " allowed in a row): " << polled.message() << "\n";
    } else {
      failures = 0;
      NodeCalls n = *polled;
      if (!n.listed && !everListed) {
        err << "error: " << options.node << " is not in the dispatcher list"
            << (options.set ? " (set " + std::to_string(*options.set) + ")" : "") << "\n";
        return kDrainError;
      }
      everListed = everListed || n.listed;
      // The edge misses calls the node originated itself; FreeSWITCH misses none of its own.
      const uint32_t total = fsCalls ? std::max(n.calls, *fsCalls) : n.calls;
      if (!first) first = total;
      rate.add(now, total);
      lastCalls = total;
      lastDetail = fsCalls ? "edge " + std::to_string(n.calls) + ", FreeSWITCH " +
                                 std::to_string(*fsCalls) + "; "
                           : "";
      if (n.listed && n.state == "active" && !warnedActive) {
        warnedActive = true;
        if (options.terminal) out << "\n";
        err << "warning: " << options.node
            << " is active, not drain: new calls still go to it (tandem migrate apply a profile "
               "that drains it)\n";
      }
      std::string calls = std::to_string(total) + (total == 1 ? " call" : " calls");
      std::string where = fsCalls ? " (edge " + std::to_string(n.calls) +
                                        (n.listed ? "" : ": no longer listed") + ", FreeSWITCH " +
                                        std::to_string(*fsCalls) + ")"
                          : n.listed ? ""
                                     : " (no longer listed)";
      if (options.terminal) {
        out << "\r\x1b[K" << bar(*first, total, options.threshold) << " " << calls << where << ", "
            << rateText(rate, total, options.threshold) << " (" << elapsed << ")" << std::flush;
      } else {
        out << "drain " << options.node << ": " << calls << where << ", "
            << rateText(rate, total, options.threshold) << " (elapsed " << elapsed << ")"
            << std::endl;
      }
      if (total <= options.threshold) {
        endLine();
        out << "drained: " << options.node << " has " << calls << " (" << lastDetail << "threshold "
            << options.threshold << ") after " << elapsed << "\n";
        return kDrainDone;
      }
    }
    if (now >= deadline) {
      endLine();
      err << "timeout: " << options.node << " still has " << lastCalls << " active calls ("
          << lastDetail << "threshold " << options.threshold << ") after "
          << formatDuration(options.timeout) << "\n";
      return kDrainTimeout;
    }
    // Never sleep past the deadline: the last poll happens at it.
    deps.sleep(std::min(options.interval, std::chrono::milliseconds(deadline - now)));
  }
}

}  // namespace tandem::migrate
