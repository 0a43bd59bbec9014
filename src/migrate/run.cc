// Gated migration runs: see run.h.
#include "migrate/run.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <thread>

#include "control/ctl.h"
#include "core/text.h"
#include "migrate/apply.h"
#include "migrate/drain.h"
#include "migrate/duration.h"
#include "migrate/esl.h"
#include "migrate/snapshot.h"
#include "store/store.h"

namespace tandem::migrate {

using nlohmann::ordered_json;
using std::chrono::milliseconds;

namespace {

constexpr const char* kStateFormat = "tandem-migrate-run";
constexpr const char* kDefaultStore = "sqlite:tandem-migrate.db";

int64_t unixMs(SystemTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

std::string storeUrlFor(const Plan& plan, const std::string& flag) {
  if (!flag.empty()) return flag;
  if (!plan.store.empty()) return plan.store;
  if (const char* env = std::getenv("TANDEM_STORE"); env != nullptr && *env != '\0') return env;
  return kDefaultStore;
}

std::string percent(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// ---- Run state, as kept in the store ----------------------------------------------------------

struct RunState {
  std::string status = "running";  // running, done, rolled_back, failed, drain_timeout
  int phase = 0;                   // index into the plan's phases of the phase being held
  bool phaseApplied = false;       // that phase's profile is on the edge
  int64_t phaseStartedMs = 0;
  int64_t firstShiftMs = 0;
  std::string lastGood = "old";  // the last profile whose gates held (or the starting one)
  uint32_t set = 0;
  std::string edge, oldUri, newUri, audit, operatorName;
  std::string snapshotBefore, snapshotAfter;
  int64_t heartbeatMs = 0;
  int64_t ownerPid = 0;
  std::string ownerHost;
  ordered_json rollback;  // set when rolled back: gate, value, limit, at, to
  ordered_json events = ordered_json::array();
};

ordered_json stateToJson(const RunState& s) {
  ordered_json j;
  j["format"] = kStateFormat;
  j["version"] = 1;
  j["status"] = s.status;
  j["phase"] = s.phase;
  j["phase_applied"] = s.phaseApplied;
  j["phase_started_ms"] = s.phaseStartedMs;
  j["first_shift_ms"] = s.firstShiftMs;
  j["last_good"] = s.lastGood;
  j["set"] = s.set;
  j["edge"] = s.edge;
  j["old"] = s.oldUri;
  j["new"] = s.newUri;
  j["audit"] = s.audit;
  j["operator"] = s.operatorName;
  j["snapshot_before"] = s.snapshotBefore;
  j["snapshot_after"] = s.snapshotAfter;
  j["heartbeat_ms"] = s.heartbeatMs;
  j["owner_pid"] = s.ownerPid;
  j["owner_host"] = s.ownerHost;
  if (!s.rollback.is_null()) j["rollback"] = s.rollback;
  j["events"] = s.events;
  return j;
}

Result<RunState> stateFromJson(std::string_view text, std::string_view name) {
  ordered_json j = ordered_json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kStateFormat) {
    return Status::error("run " + std::string(name) + ": the stored state is not a tandem run");
  }
  RunState s;
  try {
    s.status = j.at("status").get<std::string>();
    s.phase = j.at("phase").get<int>();
    s.phaseApplied = j.value("phase_applied", false);
    s.phaseStartedMs = j.value("phase_started_ms", int64_t{0});
    s.firstShiftMs = j.value("first_shift_ms", int64_t{0});
    s.lastGood = j.value("last_good", "old");
    s.set = j.value("set", 0u);
    s.edge = j.value("edge", "");
    s.oldUri = j.value("old", "");
    s.newUri = j.value("new", "");
    s.audit = j.value("audit", "");
    s.operatorName = j.value("operator", "");
    s.snapshotBefore = j.value("snapshot_before", "");
    s.snapshotAfter = j.value("snapshot_after", "");
    s.heartbeatMs = j.value("heartbeat_ms", int64_t{0});
    s.ownerPid = j.value("owner_pid", int64_t{0});
    s.ownerHost = j.value("owner_host", "");
    if (j.contains("rollback")) s.rollback = j["rollback"];
    if (j.contains("events") && j["events"].is_array()) s.events = j["events"];
  } catch (const nlohmann::json::exception& e) {
    return Status::error("run " + std::string(name) + ": the stored state is damaged: " + e.what());
  }
  return s;
}

std::string hostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}

// ---- Measurements -----------------------------------------------------------------------------

// One poll of the edge: cumulative counters, so that two samples give rates over their interval.
struct Sample {
  int64_t ms = 0;
  uint64_t attempts = 0, answered = 0;  // stats.get call_attempts, calls_answered
  uint64_t replies5xx = 0, replies408 = 0;
  uint64_t regFailures = 0;  // register_rejected + auth_failed + durable_failed
  uint64_t newAttempts = 0, newAnswered = 0;
  std::optional<double> newLatencyMs;  // the new node's probe latency estimate
  bool hasCallCounters = false;
  bool hasNodeCalls = false;
};

const ListedDest* findRow(const std::vector<ListedDest>& rows, uint32_t set, std::string_view uri) {
  for (const auto& r : rows) {
    if (r.set == set && equalsIgnoreCase(r.uri, uri)) return &r;
  }
  return nullptr;
}

Result<Sample> takeSample(EdgeLink& link, uint32_t set, const std::string& newUri, int64_t nowMs) {
  Sample s;
  s.ms = nowMs;
  auto stats = callResult(link, "stats.get");
  if (!stats) return stats.status();
  auto counter = [&](const char* key) -> uint64_t {
    if (!stats->is_object() || !stats->contains(key)) return 0;
    const auto& v = (*stats)[key];
    return v.is_number_unsigned() ? v.get<uint64_t>() : 0;
  };
  s.hasCallCounters = stats->is_object() && stats->contains("call_attempts");
  s.attempts = counter("call_attempts");
  s.answered = counter("calls_answered");
  s.regFailures = counter("register_rejected") + counter("auth_failed") + counter("durable_failed");
  auto metrics = link.get("/metrics");
  if (!metrics) return metrics.status();
  for (const auto& [code, n] : parseReplyCounters(*metrics)) {
    if (code >= 500 && code < 600) s.replies5xx += n;
    if (code == 408) s.replies408 += n;
  }
  auto listed = callResult(link, "dispatcher.list");
  if (!listed) return listed.status();
  auto rows = parseDispatcherList(*listed);
  if (!rows) return rows.status();
  if (const ListedDest* n = findRow(*rows, set, newUri)) {
    const auto& raw = n->raw;
    if (raw.contains("CALLS") && raw["CALLS"].is_object()) {
      s.hasNodeCalls = true;
      s.newAttempts = raw["CALLS"].value("ATTEMPTS", uint64_t{0});
      s.newAnswered = raw["CALLS"].value("ANSWERED", uint64_t{0});
    }
    if (n->latency && raw.contains("PINGS") && raw["PINGS"].value("ANSWERED", uint64_t{0}) > 0) {
      s.newLatencyMs = n->latency->est;
    }
  }
  return s;
}

struct GateResult {
  std::string gate;   // plan key, e.g. asr_min
  std::string value;  // measured, printable
  std::string limit;
  bool judged = false;  // enough data to judge
  bool breached = false;
};

// Judges every configured gate over the window: the newest sample against the oldest one that is
// at most `window` older (samples only from the current phase).
std::vector<GateResult> judge(const GateSpec& g, const std::deque<Sample>& samples) {
  std::vector<GateResult> out;
  if (samples.size() < 2) return out;
  const Sample& b = samples.back();
  const Sample* a = &samples.front();
  for (const auto& s : samples) {
    if (b.ms - s.ms <= g.window.count()) {
      a = &s;
      break;
    }
  }
  if (a == &b) a = &samples[samples.size() - 2];
  const double minutes = static_cast<double>(b.ms - a->ms) / 60'000.0;
  auto delta = [](uint64_t x, uint64_t y) { return y >= x ? y - x : 0; };
  auto ratio = [&](const char* key, std::optional<double> min, uint64_t att, uint64_t ans,
                   bool has) {
    if (!min) return;
    GateResult r{key, "", "≥ " + percent(*min)};
    if (!has) {
      r.value = "no data (the edge does not count call outcomes)";
    } else if (att < g.minCalls) {
      r.value = "not judged (" + std::to_string(att) + " calls, min_calls " +
                std::to_string(g.minCalls) + ")";
    } else {
      const double v = 100.0 * static_cast<double>(ans) / static_cast<double>(att);
      r.value = percent(v) + " (" + std::to_string(ans) + "/" + std::to_string(att) + ")";
      r.judged = true;
      r.breached = v < *min;
    }
    out.push_back(std::move(r));
  };
  ratio("asr_min", g.asrMin, delta(a->attempts, b.attempts), delta(a->answered, b.answered),
        b.hasCallCounters);
  ratio("new_node_asr_min", g.newNodeAsrMin, delta(a->newAttempts, b.newAttempts),
        delta(a->newAnswered, b.newAnswered), b.hasNodeCalls);
  auto rate = [&](const char* key, std::optional<double> max, uint64_t n) {
    if (!max) return;
    GateResult r{key, "", "≤ " + number(*max) + "/min"};
    if (minutes <= 0) {
      r.value = "not judged (no time between samples)";
    } else {
      const double v = static_cast<double>(n) / minutes;
      r.value = number(v) + "/min";
      r.judged = true;
      r.breached = v > *max;
    }
    out.push_back(std::move(r));
  };
  rate("max_5xx_per_min", g.max5xxPerMin, delta(a->replies5xx, b.replies5xx));
  rate("max_408_per_min", g.max408PerMin, delta(a->replies408, b.replies408));
  rate("max_reg_failures_per_min", g.maxRegFailuresPerMin, delta(a->regFailures, b.regFailures));
  if (g.maxNewNodeLatencyMs) {
    GateResult r{"max_new_node_latency_ms", "", "≤ " + number(*g.maxNewNodeLatencyMs) + " ms"};
    if (!b.newLatencyMs) {
      r.value = "not judged (no probe answered by the new node yet)";
    } else {
      r.value = number(*b.newLatencyMs) + " ms";
      r.judged = true;
      r.breached = *b.newLatencyMs > *g.maxNewNodeLatencyMs;
    }
    out.push_back(std::move(r));
  }
  return out;
}

// ---- The runner ---------------------------------------------------------------------------------

// Makes the run's set match the profile of mode and appends the audit line (failed applies too).
Status applyMode(EdgeLink& link, const RunState& st, const std::string& runName,
                 const std::string& tenant, const ModeSpec& mode, const std::string& why,
                 SystemTime now, const std::function<void(const std::string&)>& say) {
  auto profile = makeProfile(mode, st.oldUri, st.newUri, st.set);
  if (!profile) return profile.status();
  ApplyReport r = applyTandem(link, *profile, false);
  ordered_json audit;
  audit["who"] = st.operatorName;
  audit["when"] = utcIso8601(now);
  audit["kind"] = "tandem";
  audit["edge"] = link.url();
  audit["set"] = st.set;
  if (!tenant.empty()) audit["tenant"] = tenant;
  audit["mode"] = modeName(mode);
  audit["run"] = runName;
  audit["why"] = why;
  auditTandemApply(r, *profile, audit);
  if (Status s = appendAuditLine(st.audit, audit); !s) return s;
  if (!r.status) {
    std::string m = r.status.message();
    for (const auto& x : r.mismatches) m += "; " + x;
    return Status::error(m);
  }
  for (const auto& step : r.plan.steps) {
    if (!step.calls.empty()) say("  " + step.uri + ": " + step.what);
  }
  return Status::ok();
}

class Runner {
 public:
  Runner(const Plan& plan, const RunOptions& options, EdgeLink& link, store::Store* store,
         std::ostream& out, std::ostream& err)
      : plan_(plan), options_(options), link_(link), store_(store), out_(out), err_(err) {}

  int run(RunState state);
  int dryRun();

 private:
  SystemTime now() const {
    return options_.now ? options_.now() : std::chrono::system_clock::now();
  }
  int64_t nowMs() const { return unixMs(now()); }
  void sleep(milliseconds d) const {
    if (options_.sleep) {
      options_.sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }
  void say(const std::string& line) {
    out_ << "[" << utcIso8601(now()) << "] " << line << "\n";
    out_.flush();
  }
  void event(const std::string& what) {
    state_.events.push_back(ordered_json{{"at", utcIso8601(now())}, {"what", what}});
    say(what);
  }
  Status save() {
    state_.heartbeatMs = nowMs();
    return store_->putMigrationRun(
        store::MigrationRun{plan_.name, stateToJson(state_).dump(), state_.heartbeatMs});
  }
  // Someone ran `tandem migrate rollback` (or the run was otherwise ended) from another shell.
  bool endedElsewhere() {
    auto got = store_->getMigrationRun(plan_.name);
    if (!got || !got->has_value()) return false;
    auto s = stateFromJson((*got)->state, plan_.name);
    return s && s->status != "running";
  }
  Result<Profile> profileFor(const ModeSpec& mode) const {
    return makeProfile(mode, plan_.oldUri, plan_.newUri, state_.set);
  }
  Status apply(const ModeSpec& mode, const std::string& why);
  void snapshot(const std::string& label, std::string& path);
  int rollback(const GateResult& gate);
  int fail(const std::string& message) {
    err_ << "error: " << message << "\n";
    state_.status = "failed";
    event("run failed: " + message);
    if (Status s = save(); !s) err_ << "error: cannot record the run: " << s.message() << "\n";
    return kRunFailed;
  }
  // Holds the current phase for its soak; returns kRunDone when its gates held to the end.
  int soak(const PhaseSpec& phase);
  int drain();

  const Plan& plan_;
  const RunOptions& options_;
  EdgeLink& link_;
  store::Store* store_;
  std::ostream& out_;
  std::ostream& err_;
  RunState state_;
};

Status Runner::apply(const ModeSpec& mode, const std::string& why) {
  return applyMode(link_, state_, plan_.name, plan_.tenant, mode, why, now(),
                   [this](const std::string& line) { say(line); });
}

void Runner::snapshot(const std::string& label, std::string& path) {
  std::optional<SnapshotScope> scope;
  if (!plan_.tenant.empty()) scope = SnapshotScope{plan_.tenant, state_.set};
  auto snap = takeSnapshot(link_, plan_.name + "-" + label, now(), scope);
  if (!snap) {
    err_ << "warning: snapshot " << label << " not taken: " << snap.message() << "\n";
    return;
  }
  auto written = writeSnapshot(*snap, plan_.snapshots, now());
  if (!written) {
    err_ << "warning: snapshot " << label << " not written: " << written.message() << "\n";
    return;
  }
  path = *written;
  event("snapshot " + label + ": " + path);
}

int Runner::rollback(const GateResult& gate) {
  const std::string from = state_.phase < static_cast<int>(plan_.phases.size())
                               ? modeName(plan_.phases[static_cast<size_t>(state_.phase)].mode)
                               : "new";
  auto to = parseMode(state_.lastGood);
  const std::string reason = gate.gate + " " + gate.value + " (limit " + gate.limit + ")";
  event("GATE TRIPPED in phase " + from + ": " + reason + "; rolling back to " + state_.lastGood);
  Status applied = to ? apply(*to, "rollback: " + reason) : to.status();
  state_.rollback = ordered_json{{"gate", gate.gate},        {"value", gate.value},
                                 {"limit", gate.limit},      {"phase", from},
                                 {"to", state_.lastGood},    {"at", utcIso8601(now())},
                                 {"applied", applied.isOk()}};
  if (!applied) {
    err_ << "error: rollback to " << state_.lastGood << " failed: " << applied.message() << "\n";
    state_.status = "failed";
    event("rollback failed: " + applied.message());
    (void)save();
    return kRunFailed;
  }
  state_.status = "rolled_back";
  event("rolled back to " + state_.lastGood +
        ": new dialogs follow it; dialogs in progress stay "
        "where they are");
  std::string path;
  snapshot("rollback", path);
  if (Status s = save(); !s) err_ << "error: cannot record the run: " << s.message() << "\n";
  return kRunRolledBack;
}

int Runner::soak(const PhaseSpec& phase) {
  std::deque<Sample> samples;
  const int64_t end = state_.phaseStartedMs + phase.soak.count();
  const std::string name = modeName(phase.mode);
  int failedPolls = 0;
  while (true) {
    if (endedElsewhere()) {
      say("the run was ended from another shell (tandem migrate rollback?); stopping");
      return kRunRolledBack;
    }
    const int64_t t = nowMs();
    if (state_.firstShiftMs != 0 && t - state_.firstShiftMs > plan_.rollbackDeadline.count()) {
      return rollback(GateResult{
          "rollback_deadline",
          formatDuration(milliseconds(t - state_.firstShiftMs)) + " since the first shift",
          formatDuration(plan_.rollbackDeadline), true, true});
    }
    auto sample = takeSample(link_, state_.set, plan_.newUri, t);
    if (!sample) {
      // The edge itself is unreachable: that is not a gate on the new node, but three missed
      // polls in a row mean the run cannot see what it is doing: go back.
      err_ << "warning: cannot measure: " << sample.message() << "\n";
      if (++failedPolls >= 3) {
        return rollback(GateResult{"edge_reachable", sample.message(), "3 polls", true, true});
      }
    } else {
      failedPolls = 0;
      samples.push_back(*sample);
      while (samples.size() > 2 &&
             samples.back().ms - samples[1].ms >= plan_.gates.window.count()) {
        samples.pop_front();
      }
      std::vector<GateResult> results = judge(plan_.gates, samples);
      std::string line =
          "phase " + name + " " +
          formatDuration(milliseconds(std::max<int64_t>(0, t - state_.phaseStartedMs))) + "/" +
          formatDuration(phase.soak) + ":";
      for (const auto& r : results) {
        line += " " + r.gate + " " + r.value + (r.breached ? " BREACH" : "") + ";";
      }
      if (!results.empty()) say(line);
      for (const auto& r : results) {
        if (r.breached) return rollback(r);
      }
    }
    state_.heartbeatMs = t;
    if (Status s = save(); !s) err_ << "warning: cannot record the run: " << s.message() << "\n";
    if (t >= end) return kRunDone;
    sleep(milliseconds(std::min<int64_t>(plan_.gates.interval.count(), end - t)));
  }
}

int Runner::drain() {
  event("draining " + plan_.oldUri + ": waiting for its calls to end (threshold " +
        std::to_string(plan_.drain.threshold) + ")");
  DrainOptions o;
  o.node = plan_.oldUri;
  o.set = state_.set;
  o.threshold = plan_.drain.threshold;
  o.interval = plan_.drain.interval;
  o.timeout = plan_.drain.timeout;
  DrainDeps deps = realDrainDeps();
  if (options_.sleep) deps.sleep = options_.sleep;
  if (options_.now) {
    deps.nowMs = [this] { return nowMs(); };
  }
  if (!plan_.drain.fs.empty()) {
    const std::string hostPort = plan_.drain.fs;
    const std::string password = plan_.drain.fsPassword;
    const int timeoutMs = static_cast<int>(options_.rpcTimeoutSeconds * 1000);
    deps.freeswitchCalls = [hostPort, password, timeoutMs]() {
      return freeswitchCallCount(hostPort, password, timeoutMs);
    };
    o.freeswitch = hostPort;
  }
  const int rc = watchDrain(link_, o, deps, out_, err_);
  if (rc == kDrainDone) {
    event(plan_.oldUri + " drained");
    return kRunDone;
  }
  if (rc == kDrainTimeout) {
    state_.status = "drain_timeout";
    event(plan_.oldUri + " still carries calls after " + formatDuration(plan_.drain.timeout) +
          ": new dialogs all go to " + plan_.newUri +
          "; run `tandem migrate drain` to keep waiting");
    (void)save();
    return kRunDrainTimeout;
  }
  return fail("drain watch failed (see above)");
}

int Runner::run(RunState state) {
  state_ = std::move(state);
  if (state_.snapshotBefore.empty()) {
    // Ingress check: the edge answers, the set exists and the old node carries it.
    auto listed = callResult(link_, "dispatcher.list");
    if (!listed) return fail(listed.message());
    auto rows = parseDispatcherList(*listed);
    if (!rows) return fail(rows.message());
    const ListedDest* old = findRow(*rows, state_.set, plan_.oldUri);
    if (old == nullptr) {
      return fail("ingress check: " + plan_.oldUri + " is not in set " +
                  std::to_string(state_.set) + " on " + link_.url());
    }
    if (old->state != "active" && old->state != "trying") {
      return fail("ingress check: " + plan_.oldUri + " is " + old->state +
                  ", expected active before a migration");
    }
    event("ingress check passed: " + plan_.oldUri + " is " + old->state + " in set " +
          std::to_string(state_.set));
    snapshot("before", state_.snapshotBefore);
    if (state_.snapshotBefore.empty()) state_.snapshotBefore = "-";
    if (Status s = save(); !s) return fail("cannot record the run: " + s.message());
  }
  for (; state_.phase < static_cast<int>(plan_.phases.size()); ++state_.phase) {
    const PhaseSpec& phase = plan_.phases[static_cast<size_t>(state_.phase)];
    const std::string name = modeName(phase.mode);
    if (!state_.phaseApplied) {
      event("phase " + std::to_string(state_.phase + 1) + "/" +
            std::to_string(plan_.phases.size()) + ": applying " + name);
      if (Status s = apply(phase.mode, "phase " + name); !s) {
        // A failed apply may have changed part of the set: go back to what held.
        GateResult g{"apply", s.message(), "applied and verified", true, true};
        return rollback(g);
      }
      state_.phaseApplied = true;
      state_.phaseStartedMs = nowMs();
      if (state_.firstShiftMs == 0) state_.firstShiftMs = state_.phaseStartedMs;
      if (Status s = save(); !s) return fail("cannot record the run: " + s.message());
    } else {
      // Resumed: apply again (nothing to do when the edge still matches) and keep soaking.
      event("resuming phase " + name + " (" +
            formatDuration(milliseconds(std::max<int64_t>(0, nowMs() - state_.phaseStartedMs))) +
            " of " + formatDuration(phase.soak) + " held)");
      if (Status s = apply(phase.mode, "resume " + name); !s) {
        return rollback(GateResult{"apply", s.message(), "applied and verified", true, true});
      }
    }
    if (int rc = soak(phase); rc != kRunDone) return rc;
    state_.lastGood = name;
    state_.phaseApplied = false;
    event("phase " + name + " held for " + formatDuration(phase.soak) + ": gates passed");
    if (Status s = save(); !s) return fail("cannot record the run: " + s.message());
  }
  if (int rc = drain(); rc != kRunDone) return rc;
  snapshot("after", state_.snapshotAfter);
  state_.status = "done";
  event("done: new dialogs go to " + plan_.newUri + ", " + plan_.oldUri + " carries no calls");
  if (Status s = save(); !s) return fail("cannot record the run: " + s.message());
  return kRunDone;
}

void printGates(const GateSpec& g, std::ostream& out) {
  out << "gates, measured every " << formatDuration(g.interval) << " over the last "
      << formatDuration(g.window) << " (ASR judged from " << g.minCalls << " calls):\n";
  if (g.asrMin) out << "  asr_min " << percent(*g.asrMin) << "\n";
  if (g.newNodeAsrMin) out << "  new_node_asr_min " << percent(*g.newNodeAsrMin) << "\n";
  if (g.max5xxPerMin) out << "  max_5xx_per_min " << number(*g.max5xxPerMin) << "\n";
  if (g.max408PerMin) out << "  max_408_per_min " << number(*g.max408PerMin) << "\n";
  if (g.maxRegFailuresPerMin) {
    out << "  max_reg_failures_per_min " << number(*g.maxRegFailuresPerMin) << "\n";
  }
  if (g.maxNewNodeLatencyMs) {
    out << "  max_new_node_latency_ms " << number(*g.maxNewNodeLatencyMs) << "\n";
  }
}

int Runner::dryRun() {
  out_ << "dry run of " << plan_.name << ": nothing is changed\n";
  out_ << "edge " << (plan_.edge.empty() ? control::defaultCtlUrl() : plan_.edge) << ", "
       << (plan_.tenant.empty() ? "set " + std::to_string(plan_.set)
                                : "the set of tenant " + plan_.tenant)
       << ": " << plan_.oldUri << " -> " << plan_.newUri << "\n";
  out_ << "1. ingress check: " << plan_.oldUri << " active in the set; snapshot before to "
       << plan_.snapshots << "/\n";
  int step = 2;
  std::string lastGood = "old";
  for (const auto& phase : plan_.phases) {
    auto profile = makeProfile(phase.mode, plan_.oldUri, plan_.newUri, plan_.set);
    out_ << step++ << ". phase " << modeName(phase.mode) << ":";
    if (profile) {
      for (const auto& d : profile->destinations) {
        out_ << " " << d.uri << " " << targetName(d.state);
        if (d.state == Target::kActive) out_ << " weight=" << d.weight;
        out_ << ";";
      }
    }
    out_ << " hold " << formatDuration(phase.soak) << "; on a breach roll back to " << lastGood
         << "\n";
    lastGood = modeName(phase.mode);
  }
  out_ << step++ << ". drain " << plan_.oldUri << " to " << plan_.drain.threshold << " calls (poll "
       << formatDuration(plan_.drain.interval) << ", give up after "
       << formatDuration(plan_.drain.timeout) << ")"
       << (plan_.drain.fs.empty() ? "" : "; also FreeSWITCH at " + plan_.drain.fs) << "\n";
  out_ << step << ". snapshot after; done\n";
  out_ << "rollback deadline: " << formatDuration(plan_.rollbackDeadline)
       << " after the first shift\n";
  printGates(plan_.gates, out_);
  // What the edge has now, when it can be reached (read only).
  auto listed = callResult(link_, "dispatcher.list");
  if (!listed) {
    out_ << "edge not reachable now: " << listed.message() << "\n";
    return kRunDone;
  }
  auto rows = parseDispatcherList(*listed);
  if (rows) {
    out_ << "set " << plan_.set << " now:\n";
    for (const auto& r : rowsOfSet(*rows, plan_.set)) {
      out_ << "  " << r.uri << " " << r.state << " weight=" << r.weight;
      if (r.activeCalls) out_ << " calls=" << *r.activeCalls;
      out_ << "\n";
    }
  }
  return kRunDone;
}

Result<std::unique_ptr<store::Store>> openRunStore(const std::string& url) {
  auto store = store::openStore(url);
  if (!store) return store.status();
  // The run table is ours: bring the schema up to date (idempotent, one transaction).
  if (auto m = (*store)->migrate(); !m) return m.status();
  return store;
}

Result<std::unique_ptr<EdgeLink>> linkFor(const std::string& edge, double timeoutSeconds) {
  auto link = HttpEdgeLink::create(edge.empty() ? control::defaultCtlUrl() : edge, "edge", "/rpc",
                                   static_cast<int>(timeoutSeconds * 1000));
  if (!link) return link.status();
  return std::unique_ptr<EdgeLink>(std::move(link).value());
}

bool ownerAlive(const RunState& s, int64_t nowMs, const Plan& plan) {
  if (s.ownerHost != hostName() || s.ownerPid <= 0) {
    // Another host: trust its heartbeat.
    return nowMs - s.heartbeatMs < 3 * std::max<int64_t>(plan.gates.interval.count(), 5'000);
  }
  return s.ownerPid != ::getpid() && ::kill(static_cast<pid_t>(s.ownerPid), 0) == 0;
}

}  // namespace

int runMigrationWith(const Plan& plan, const RunOptions& options, EdgeLink& link,
                     store::Store* store, std::ostream& out, std::ostream& err) {
  Runner runner(plan, options, link, store, out, err);
  if (options.dryRun) return runner.dryRun();
  const int64_t now = unixMs(options.now ? options.now() : std::chrono::system_clock::now());
  RunState state;
  auto existing = store->getMigrationRun(plan.name);
  if (!existing) {
    err << "error: " << existing.message() << "\n";
    return kRunFailed;
  }
  if (existing->has_value()) {
    auto prev = stateFromJson((*existing)->state, plan.name);
    if (!prev) {
      err << "error: " << prev.message() << "\n";
      return kRunFailed;
    }
    if (prev->status == "running") {
      if (ownerAlive(*prev, now, plan)) {
        err << "error: run " << plan.name << " is being executed by pid " << prev->ownerPid
            << " on " << prev->ownerHost << "\n";
        return kRunFailed;
      }
      if (prev->set != 0 && prev->oldUri == plan.oldUri && prev->newUri == plan.newUri) {
        state = std::move(prev).value();
        out << "resuming run " << plan.name << " (its last CLI stopped at phase " << state.phase + 1
            << ")\n";
      }
    } else {
      out << "run " << plan.name << " ended before (" << prev->status << "); starting it again\n";
    }
  }
  if (state.set == 0) {
    state.set = plan.set;
    if (!plan.tenant.empty()) {
      auto set = tenantSet(link, plan.tenant);
      if (!set) {
        err << "error: " << set.message() << "\n";
        return kRunFailed;
      }
      state.set = *set;
      out << "tenant " << plan.tenant << ": dispatcher set " << state.set << "\n";
    }
    state.edge = link.url();
    state.oldUri = plan.oldUri;
    state.newUri = plan.newUri;
    state.audit = plan.audit;
    state.operatorName = operatorName(plan.operatorName);
  }
  state.status = "running";
  state.ownerPid = ::getpid();
  state.ownerHost = hostName();
  return runner.run(std::move(state));
}

namespace {

Result<std::unique_ptr<store::Store>> openFor(const std::string& flag, std::ostream& err) {
  const std::string url = storeUrlFor(Plan{}, flag);
  auto store = openRunStore(url);
  if (!store)
    err << "error: run state store " << store::redactUrl(url) << ": " << store.message() << "\n";
  return store;
}

std::string ago(int64_t ms) {
  return formatDuration(milliseconds(std::max<int64_t>(0, ms))) + " ago";
}

void printRun(const std::string& name, const RunState& s, int64_t nowMs, std::ostream& out) {
  out << "run " << name << ": " << s.status << "\n";
  out << "  edge " << s.edge << ", set " << s.set << ": " << s.oldUri << " -> " << s.newUri << "\n";
  if (s.status == "running") {
    out << "  phase " << s.phase + 1
        << (s.phaseApplied ? " held since " + ago(nowMs - s.phaseStartedMs) : " not applied yet")
        << "; last good profile " << s.lastGood << "\n";
    out << "  owner pid " << s.ownerPid << " on " << s.ownerHost << ", last heartbeat "
        << ago(nowMs - s.heartbeatMs) << "\n";
  } else {
    out << "  last good profile " << s.lastGood << "\n";
  }
  if (s.rollback.is_object()) {
    out << "  rolled back to " << s.rollback.value("to", "") << " at " << s.rollback.value("at", "")
        << ": " << s.rollback.value("gate", "") << " " << s.rollback.value("value", "");
    if (s.rollback.contains("limit")) out << " (limit " << s.rollback.value("limit", "") << ")";
    out << "\n";
  }
  if (!s.snapshotBefore.empty() && s.snapshotBefore != "-")
    out << "  snapshot before: " << s.snapshotBefore << "\n";
  if (!s.snapshotAfter.empty()) out << "  snapshot after: " << s.snapshotAfter << "\n";
  const size_t n = s.events.size();
  for (size_t i = n > 8 ? n - 8 : 0; i < n; ++i) {
    out << "  " << s.events[i].value("at", "") << " " << s.events[i].value("what", "") << "\n";
  }
}

}  // namespace

int runStatus(const std::string& name, const std::string& storeUrl, std::ostream& out,
              std::ostream& err) {
  auto store = openFor(storeUrl, err);
  if (!store) return kRunFailed;
  const int64_t now = unixMs(std::chrono::system_clock::now());
  if (!name.empty()) {
    auto got = (*store)->getMigrationRun(name);
    if (!got) {
      err << "error: " << got.message() << "\n";
      return kRunFailed;
    }
    if (!got->has_value()) {
      err << "error: no run named " << name << "\n";
      return kRunFailed;
    }
    auto st = stateFromJson((*got)->state, name);
    if (!st) {
      err << "error: " << st.message() << "\n";
      return kRunFailed;
    }
    printRun(name, *st, now, out);
    return kRunDone;
  }
  auto all = (*store)->listMigrationRuns();
  if (!all) {
    err << "error: " << all.message() << "\n";
    return kRunFailed;
  }
  if (all->empty()) out << "no runs\n";
  for (const auto& r : *all) {
    auto st = stateFromJson(r.state, r.name);
    if (!st) {
      out << "run " << r.name << ": " << st.message() << "\n";
      continue;
    }
    printRun(r.name, *st, now, out);
  }
  return kRunDone;
}

int runRollback(const RollbackArgs& args, std::ostream& out, std::ostream& err) {
  auto to = parseMode(args.to);
  if (!to || to->mode == Mode::kNew) {
    err << "error: --to must be old, both or canary:N, got \"" << args.to << "\"\n";
    return kRunFailed;
  }
  auto store = openFor(args.store, err);
  if (!store) return kRunFailed;
  auto got = (*store)->getMigrationRun(args.name);
  if (!got) {
    err << "error: " << got.message() << "\n";
    return kRunFailed;
  }
  if (!got->has_value()) {
    err << "error: no run named " << args.name << "\n";
    return kRunFailed;
  }
  auto st = stateFromJson((*got)->state, args.name);
  if (!st) {
    err << "error: " << st.message() << "\n";
    return kRunFailed;
  }
  auto link = linkFor(st->edge, args.rpcTimeoutSeconds);
  if (!link) {
    err << "error: " << link.message() << "\n";
    return kRunFailed;
  }
  const SystemTime now = std::chrono::system_clock::now();
  RunState s = std::move(st).value();
  s.operatorName = operatorName(args.operatorName);
  Status applied = applyMode(**link, s, args.name, "", *to, "rollback by " + s.operatorName, now,
                             [&out](const std::string& line) { out << line << "\n"; });
  if (!applied) {
    err << "error: rollback to " << args.to << " failed: " << applied.message() << "\n";
    return kRunFailed;
  }
  const std::string was = s.status;
  s.status = "rolled_back";
  s.rollback = ordered_json{{"gate", "operator"}, {"value", s.operatorName}, {"phase", was},
                            {"to", args.to},      {"at", utcIso8601(now)},   {"applied", true}};
  s.events.push_back(ordered_json{{"at", utcIso8601(now)},
                                  {"what", "rolled back to " + args.to + " by " + s.operatorName}});
  s.heartbeatMs = unixMs(now);
  if (Status w = (*store)->putMigrationRun(
          store::MigrationRun{args.name, stateToJson(s).dump(), s.heartbeatMs});
      !w) {
    err << "error: rolled back, but cannot record it: " << w.message() << "\n";
    return kRunFailed;
  }
  out << "rolled back " << args.name << " to " << args.to << " on " << s.edge << " (set " << s.set
      << "): new dialogs follow it; dialogs in progress stay where they are\n";
  return kRunDone;
}

int runMigration(const Plan& plan, const RunOptions& options, std::ostream& out,
                 std::ostream& err) {
  auto link = linkFor(plan.edge, options.rpcTimeoutSeconds);
  if (!link) {
    err << "error: " << link.message() << "\n";
    return kRunFailed;
  }
  if (options.dryRun) return runMigrationWith(plan, options, **link, nullptr, out, err);
  const std::string url = storeUrlFor(plan, options.store);
  auto store = openRunStore(url);
  if (!store) {
    err << "error: run state store " << store::redactUrl(url) << ": " << store.message() << "\n";
    return kRunFailed;
  }
  out << "run state: " << store::redactUrl(url) << "\n";
  return runMigrationWith(plan, options, **link, store->get(), out, err);
}

}  // namespace tandem::migrate
