// Snapshot capture, its JSON file, and the diff of two snapshots.
#include "migrate/snapshot.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <set>

#include "migrate/duration.h"
#include "migrate/files.h"

namespace tandem::migrate {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kReplyMetric = "tandem_sip_replies_total";

std::string signedText(int64_t d) { return (d >= 0 ? "+" : "") + std::to_string(d); }

std::string percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", share * 100.0);
  return buf;
}

void addReplies(Snapshot& s) {
  s.replies5xx = s.replies408 = s.finalReplies = 0;
  for (const auto& [code, n] : s.replies) {
    if (code >= 200) s.finalReplies += n;
    if (code >= 500 && code < 600) s.replies5xx += n;
    if (code == 408) s.replies408 += n;
  }
}

}  // namespace

std::map<int, uint64_t> parseReplyCounters(std::string_view metrics) {
  std::map<int, uint64_t> out;
  size_t pos = 0;
  while (pos < metrics.size()) {
    size_t eol = metrics.find('\n', pos);
    if (eol == std::string_view::npos) eol = metrics.size();
    std::string_view line = metrics.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.starts_with(kReplyMetric) || line.size() <= kReplyMetric.size() ||
        line[kReplyMetric.size()] != '{') {
      continue;
    }
    size_t close = line.find('}');
    if (close == std::string_view::npos) continue;
    std::string_view labels = line.substr(kReplyMetric.size() + 1, close - kReplyMetric.size() - 1);
    size_t c = labels.find("code=\"");
    if (c == std::string_view::npos) continue;
    std::string_view codeText = labels.substr(c + 6);
    codeText = codeText.substr(0, codeText.find('"'));
    int code = 0;
    auto [cend, cec] = std::from_chars(codeText.data(), codeText.data() + codeText.size(), code);
    if (cec != std::errc() || cend != codeText.data() + codeText.size()) continue;
    std::string_view value = line.substr(close + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    value = value.substr(0, value.find(' '));  // a timestamp may follow
    // Counters are exposed as integers, possibly written as a float ("12" or "1.2e+03").
    double v = 0;
    auto [vend, vec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (vec != std::errc() || vend != value.data() + value.size() || v < 0) continue;
    out[code] += static_cast<uint64_t>(v);
  }
  return out;
}

Status checkLabel(std::string_view label) {
  bool ok = !label.empty() && label.size() <= 100 && label.front() != '.';
  for (char c : label) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-');
  }
  if (!ok) {
    return Status::error("invalid label \"" + std::string(label) +
                         "\": use letters, digits, '.', '_' and '-' (at most 100)");
  }
  return Status::ok();
}

namespace {

std::optional<Asr> asrOf(const ordered_json& stats) {
  if (!stats.is_object() || !stats.contains("call_attempts") || !stats.contains("calls_answered") ||
      !stats["call_attempts"].is_number_unsigned() ||
      !stats["calls_answered"].is_number_unsigned()) {
    return std::nullopt;
  }
  return Asr{stats["call_attempts"].get<uint64_t>(), stats["calls_answered"].get<uint64_t>()};
}

std::string asrText(const Asr& a) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.1f%% (%llu answered of %llu)", a.percent(),
                static_cast<unsigned long long>(a.answered),
                static_cast<unsigned long long>(a.attempts));
  return buf;
}

}  // namespace

Result<Snapshot> takeSnapshot(EdgeLink& link, std::string_view label, SystemTime now,
                              const std::optional<SnapshotScope>& scope,
                              std::chrono::milliseconds window,
                              const std::function<void(std::chrono::milliseconds)>& sleep) {
  if (Status s = checkLabel(label); !s) return s;
  Snapshot s;
  s.label = std::string(label);
  s.taken = utcIso8601(now);
  s.takenMs = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  s.edge = link.url();
  s.scope = scope;
  auto listed = callResult(link, "dispatcher.list");
  if (!listed) return listed.status();
  auto rows = parseDispatcherList(*listed);
  if (!rows) return rows.status();
  for (const auto& r : *rows) {
    if (scope && r.set != scope->set) continue;
    DestSnapshot d{r.set, r.uri, r.state, r.flags, r.weight, r.activeCalls, r.latency, {}};
    if (r.raw.contains("CALLS") && r.raw["CALLS"].is_object()) {
      const auto& c = r.raw["CALLS"];
      d.calls =
          DestSnapshot::Calls{c.value("ATTEMPTS", uint64_t{0}), c.value("ANSWERED", uint64_t{0}),
                              c.value("FAILED_5XX", uint64_t{0}), c.value("TIMEOUTS", uint64_t{0})};
    }
    s.destinations.push_back(std::move(d));
  }
  if (auto stats = callResult(link, "stats.get"); !stats) {
    s.notes.push_back("no counters: " + stats.message());
  } else if (stats->is_object()) {
    for (auto it = stats->begin(); it != stats->end(); ++it) {
      if (it.value().is_number_unsigned()) s.counters[it.key()] = it.value().get<uint64_t>();
    }
    s.asr = asrOf(*stats);
    if (!s.asr) s.notes.push_back("no answer-seizure ratio: the edge does not count call outcomes");
    if (s.asr && window.count() > 0 && sleep) {
      sleep(window);
      auto again = callResult(link, "stats.get");
      std::optional<Asr> later = again ? asrOf(*again) : std::nullopt;
      if (!later || later->attempts < s.asr->attempts) {
        s.notes.push_back("no answer-seizure ratio over the window: the second read failed");
      } else {
        s.asrWindow = Asr{later->attempts - s.asr->attempts, later->answered - s.asr->answered};
        s.windowMs = window.count();
      }
    }
  }
  if (auto ul = callResult(link, "ul.stats"); !ul) {
    s.notes.push_back("no registrations count: " + ul.message());
  } else if (ul->is_object() && ul->contains("contacts") &&
             (*ul)["contacts"].is_number_unsigned()) {
    s.registrations = (*ul)["contacts"].get<uint64_t>();
  }
  if (auto metrics = link.get("/metrics"); !metrics) {
    s.notes.push_back("no reply-code counters: " + metrics.message());
  } else {
    s.replies = parseReplyCounters(*metrics);
  }
  addReplies(s);
  if (scope) {
    // The edge counts replies and registrations for all its tenants together.
    s.notes.push_back("scope " + scope->tenant + " (set " + std::to_string(scope->set) +
                      "): destinations of that set only; counters, registrations and reply codes "
                      "are the whole edge's");
  }
  return s;
}

ordered_json snapshotToJson(const Snapshot& s) {
  ordered_json dests = ordered_json::array();
  for (const auto& d : s.destinations) {
    ordered_json j;
    j["set"] = d.set;
    j["uri"] = d.uri;
    j["state"] = d.state;
    j["flags"] = d.flags;
    j["weight"] = d.weight;
    j["active_calls"] = d.activeCalls ? ordered_json(*d.activeCalls) : ordered_json();
    if (d.latency) {
      j["latency_ms"] = {{"avg", d.latency->avg},
                         {"est", d.latency->est},
                         {"max", d.latency->max},
                         {"last", d.latency->last},
                         {"timeouts", d.latency->timeouts}};
    } else {
      j["latency_ms"] = nullptr;
    }
    if (d.calls) {
      j["calls"] = {{"attempts", d.calls->attempts},
                    {"answered", d.calls->answered},
                    {"failed_5xx", d.calls->failed5xx},
                    {"timeouts", d.calls->timeouts}};
    }
    dests.push_back(std::move(j));
  }
  ordered_json replies = ordered_json::object();
  for (const auto& [code, n] : s.replies) replies[std::to_string(code)] = n;
  ordered_json counters = ordered_json::object();
  for (const auto& [k, v] : s.counters) counters[k] = v;
  ordered_json out;
  out["format"] = "tandem-migrate-snapshot";
  out["version"] = 1;
  out["label"] = s.label;
  out["taken"] = s.taken;
  out["taken_ms"] = s.takenMs;
  out["edge"] = s.edge;
  if (s.scope) out["scope"] = {{"tenant", s.scope->tenant}, {"set", s.scope->set}};
  out["destinations"] = std::move(dests);
  out["registrations"] = s.registrations ? ordered_json(*s.registrations) : ordered_json();
  out["replies"] = std::move(replies);
  out["replies_5xx"] = s.replies5xx;
  out["replies_408"] = s.replies408;
  out["final_replies"] = s.finalReplies;
  auto asrJson = [](const Asr& a) {
    return ordered_json{
        {"attempts", a.attempts}, {"answered", a.answered}, {"percent", a.percent()}};
  };
  out["asr"] = s.asr ? asrJson(*s.asr) : ordered_json();
  if (s.asrWindow) {
    ordered_json w = asrJson(*s.asrWindow);
    w["window_ms"] = s.windowMs;
    out["asr_window"] = std::move(w);
  } else {
    out["asr_window"] = nullptr;
  }
  out["counters"] = std::move(counters);
  out["notes"] = s.notes;
  return out;
}

Result<Snapshot> snapshotFromJson(std::string_view text, std::string_view name) {
  using R = Result<Snapshot>;
  auto fail = [&](const std::string& why) { return R::error(std::string(name) + ": " + why); };
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() ||
      doc.value("format", "") != "tandem-migrate-snapshot") {
    return fail("not a tandem migrate snapshot");
  }
  if (doc.value("version", 0) != 1) return fail("unsupported snapshot version");
  Snapshot s;
  try {
    s.label = doc.at("label").get<std::string>();
    s.taken = doc.at("taken").get<std::string>();
    s.takenMs = doc.at("taken_ms").get<int64_t>();
    s.edge = doc.value("edge", "");
    if (doc.contains("scope") && !doc["scope"].is_null()) {
      s.scope = SnapshotScope{doc["scope"].at("tenant").get<std::string>(),
                              doc["scope"].at("set").get<uint32_t>()};
    }
    for (const auto& d : doc.at("destinations")) {
      DestSnapshot ds;
      ds.set = d.at("set").get<uint32_t>();
      ds.uri = d.at("uri").get<std::string>();
      ds.state = d.value("state", "");
      ds.flags = d.value("flags", "");
      ds.weight = d.value("weight", 0u);
      if (d.contains("active_calls") && !d["active_calls"].is_null()) {
        ds.activeCalls = d["active_calls"].get<uint32_t>();
      }
      if (d.contains("latency_ms") && d["latency_ms"].is_object()) {
        const auto& l = d["latency_ms"];
        ds.latency =
            ListedDest::Latency{l.value("avg", 0.0), l.value("est", 0.0), l.value("max", 0.0),
                                l.value("last", 0.0), l.value("timeouts", uint64_t{0})};
      }
      if (d.contains("calls") && d["calls"].is_object()) {
        const auto& c = d["calls"];
        ds.calls = DestSnapshot::Calls{
            c.value("attempts", uint64_t{0}), c.value("answered", uint64_t{0}),
            c.value("failed_5xx", uint64_t{0}), c.value("timeouts", uint64_t{0})};
      }
      s.destinations.push_back(std::move(ds));
    }
    auto readAsr = [](const json& j) -> std::optional<Asr> {
      if (!j.is_object()) return std::nullopt;
      return Asr{j.value("attempts", uint64_t{0}), j.value("answered", uint64_t{0})};
    };
    if (doc.contains("asr")) s.asr = readAsr(doc["asr"]);
    if (doc.contains("asr_window")) {
      s.asrWindow = readAsr(doc["asr_window"]);
      if (s.asrWindow) s.windowMs = doc["asr_window"].value("window_ms", int64_t{0});
    }
    if (doc.contains("registrations") && !doc["registrations"].is_null()) {
      s.registrations = doc["registrations"].get<uint64_t>();
    }
    if (doc.contains("replies")) {
      for (const auto& [code, n] : doc["replies"].items()) {
        int c = 0;
        auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), c);
        if (ec != std::errc() || end != code.data() + code.size()) {
          return fail("reply code \"" + code + "\" is not a number");
        }
        s.replies[c] = n.get<uint64_t>();
      }
    }
    if (doc.contains("counters")) {
      for (const auto& [k, v] : doc["counters"].items()) s.counters[k] = v.get<uint64_t>();
    }
    if (doc.contains("notes")) s.notes = doc["notes"].get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    // nlohmann reports type and missing-key problems by exception; turn them into a value here.
    return fail(std::string("malformed: ") + e.what());
  }
  addReplies(s);
  return s;
}

Result<std::string> writeSnapshot(const Snapshot& s, const std::string& dir, SystemTime taken) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Result<std::string>::error("cannot create " + dir + ": " + ec.message());
  std::string path =
      (std::filesystem::path(dir) / (utcFileStamp(taken) + "-" + s.label + ".json")).string();
  if (Status st = createNewFile(path, snapshotToJson(s).dump(2) + "\n", 0644); !st) return st;
  return path;
}

SnapshotDiff diffSnapshots(const Snapshot& a, const Snapshot& b) {
  SnapshotDiff d;
  auto& out = d.lines;
  int64_t spanMs = b.takenMs - a.takenMs;
  out.push_back("from " + a.label + " (" + a.taken + ") to " + b.label + " (" + b.taken + "), " +
                (spanMs >= 0 ? formatDuration(std::chrono::milliseconds(spanMs)) + " apart"
                             : "B is older than A"));
  auto scopeText = [](const Snapshot& s) {
    return s.scope ? "tenant " + s.scope->tenant + " (set " + std::to_string(s.scope->set) + ")"
                   : std::string("the whole edge");
  };
  if (scopeText(a) != scopeText(b)) {
    // Destinations outside the narrower scope would show as gone or new: say why.
    out.push_back("scope differs: A covers " + scopeText(a) + ", B " + scopeText(b));
  }

  // Destinations, by (set, URI) in A's order, then those only in B.
  auto key = [](const DestSnapshot& x) { return std::to_string(x.set) + " " + x.uri; };
  auto findIn = [&](const Snapshot& s, const DestSnapshot& x) -> const DestSnapshot* {
    for (const auto& y : s.destinations) {
      if (y.set == x.set && y.uri == x.uri) return &y;
    }
    return nullptr;
  };
  auto calls = [](const DestSnapshot& x) {
    return x.activeCalls ? std::to_string(*x.activeCalls) : std::string("?");
  };
  for (const auto& x : a.destinations) {
    const DestSnapshot* y = findIn(b, x);
    std::string k = "set " + key(x);
    if (y == nullptr) {
      out.push_back(k + ": gone (was " + x.state + ", " + calls(x) + " calls)");
      continue;
    }
    if (x.state != y->state) out.push_back(k + ": state " + x.state + " -> " + y->state);
    if (x.weight != y->weight) {
      out.push_back(k + ": weight " + std::to_string(x.weight) + " -> " +
                    std::to_string(y->weight));
    }
    if (x.activeCalls && y->activeCalls && *x.activeCalls != *y->activeCalls) {
      out.push_back(k + ": active calls " + calls(x) + " -> " + calls(*y) + " (" +
                    signedText(int64_t{*y->activeCalls} - int64_t{*x.activeCalls}) + ")");
    }
    if (x.latency && y->latency &&
        (y->latency->avg - x.latency->avg >= 1.0 || x.latency->avg - y->latency->avg >= 1.0)) {
      char buf[96];
      std::snprintf(buf, sizeof buf, ": latency avg %.1f -> %.1f ms", x.latency->avg,
                    y->latency->avg);
      out.push_back(k + buf);
    }
    if (x.latency && y->latency && y->latency->timeouts > x.latency->timeouts) {
      out.push_back(k + ": ping timeouts +" +
                    std::to_string(y->latency->timeouts - x.latency->timeouts));
    }
  }
  for (const auto& y : b.destinations) {
    if (findIn(a, y) == nullptr) {
      out.push_back("set " + key(y) + ": new (" + y.state + ", " + calls(y) + " calls)");
    }
  }

  if (a.registrations && b.registrations && *a.registrations != *b.registrations) {
    out.push_back("registrations " + std::to_string(*a.registrations) + " -> " +
                  std::to_string(*b.registrations) + " (" +
                  signedText(static_cast<int64_t>(*b.registrations) -
                             static_cast<int64_t>(*a.registrations)) +
                  ")");
  }

  std::set<std::string> names;
  for (const auto& [k, v] : a.counters) names.insert(k);
  for (const auto& [k, v] : b.counters) names.insert(k);
  for (const auto& k : names) {
    auto ia = a.counters.find(k);
    auto ib = b.counters.find(k);
    uint64_t va = ia == a.counters.end() ? 0 : ia->second;
    uint64_t vb = ib == b.counters.end() ? 0 : ib->second;
    if (va != vb) {
      out.push_back("counter " + k + " " + std::to_string(va) + " -> " + std::to_string(vb) + " (" +
                    signedText(static_cast<int64_t>(vb) - static_cast<int64_t>(va)) + ")");
    }
  }

  // Reply counters only grow while the edge runs; any that shrank means a restart, and then B's
  // counts are the window.
  for (const auto& [code, n] : a.replies) {
    auto it = b.replies.find(code);
    if (it == b.replies.end() || it->second < n) d.countersReset = true;
  }
  auto delta = [&](uint64_t va, uint64_t vb) { return d.countersReset ? vb : vb - va; };
  std::string moved;
  std::set<int> codes;
  for (const auto& [c, n] : a.replies) codes.insert(c);
  for (const auto& [c, n] : b.replies) codes.insert(c);
  for (int c : codes) {
    auto ia = a.replies.find(c);
    auto ib = b.replies.find(c);
    uint64_t dv =
        delta(ia == a.replies.end() ? 0 : ia->second, ib == b.replies.end() ? 0 : ib->second);
    if (dv != 0)
      moved += (moved.empty() ? "" : ", ") + std::to_string(c) + " +" + std::to_string(dv);
  }
  if (d.countersReset) out.push_back("reply counters went down: the edge restarted in between");
  if (a.asr && b.asr && b.asr->attempts >= a.asr->attempts) {
    d.asrBetween = Asr{b.asr->attempts - a.asr->attempts, b.asr->answered - a.asr->answered};
    out.push_back("answer-seizure ratio between A and B: " + asrText(*d.asrBetween) +
                  "; up to A: " + asrText(*a.asr));
  }
  if (!moved.empty()) out.push_back("replies " + moved);

  d.new5xx = delta(a.replies5xx, b.replies5xx);
  d.new408 = delta(a.replies408, b.replies408);
  d.newFinal = delta(a.finalReplies, b.finalReplies);
  auto share = [](uint64_t n, uint64_t total) {
    return total == 0 ? 0.0 : static_cast<double>(n) / static_cast<double>(total);
  };
  d.base5xx = d.countersReset ? 0.0 : share(a.replies5xx, a.finalReplies);
  d.base408 = d.countersReset ? 0.0 : share(a.replies408, a.finalReplies);
  d.window5xx = share(d.new5xx, d.newFinal);
  d.window408 = share(d.new408, d.newFinal);
  if (a.replies.empty() && b.replies.empty()) {
    out.push_back("no reply-code counters in either snapshot: 5xx/408 not compared");
  } else {
    out.push_back("new 5xx: " + std::to_string(d.new5xx) + " (" + percent(d.window5xx) + " of " +
                  std::to_string(d.newFinal) + " final replies; " + percent(d.base5xx) +
                  " up to A)");
    out.push_back("new 408: " + std::to_string(d.new408) + " (" + percent(d.window408) + " of " +
                  std::to_string(d.newFinal) + " final replies; " + percent(d.base408) +
                  " up to A)");
  }
  bool grew5xx = d.new5xx > 0 && d.window5xx > d.base5xx;
  bool grew408 = d.new408 > 0 && d.window408 > d.base408;
  d.regression = grew5xx || grew408;
  if (grew5xx) {
    out.push_back("REGRESSION: 5xx share grew from " + percent(d.base5xx) + " to " +
                  percent(d.window5xx));
  }
  if (grew408) {
    out.push_back("REGRESSION: 408 share grew from " + percent(d.base408) + " to " +
                  percent(d.window408));
  }
  return d;
}

}  // namespace tandem::migrate
