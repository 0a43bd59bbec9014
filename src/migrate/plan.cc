// Plan files: see plan.h. One table of keys drives reading, writing and the wizard's questions, so
// a key is checked by the same code (and worded the same way) whether it came from a file or from
// an answer.
#include "migrate/plan.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <utility>
#include <variant>

#include "control/client.h"
#include "migrate/duration.h"
#include "migrate/snapshot.h"

namespace tandem::migrate {

namespace {

using std::chrono::milliseconds;

constexpr milliseconds kDefaultSoak{300'000};
constexpr const char* kDefaultFsPassword = "ClueCon";

// A TOML value of a type no key takes (a boolean, a date, a table), as toml++ prints it, so an
// error can show what was given.
struct Raw {
  std::string text;
};
// A key's value, from a TOML node or from an answer typed in the wizard.
using Value = std::variant<std::string, int64_t, double, std::vector<std::string>, Raw>;

// A TOML basic string: quotes, backslashes and control characters escaped, UTF-8 as is.
std::string tomlString(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// Shortest text that reads back to the same double; integral values without a fraction ("90").
std::string numberText(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// Durations as typed: "1h30m", "5m", "250ms"; parseDuration reads each back exactly.
std::string durationText(milliseconds d) {
  int64_t ms = d.count();
  if (ms <= 0) return "0s";
  std::string out;
  const std::pair<int64_t, const char*> units[] = {
      {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}, {1, "ms"}};
  for (const auto& [size, unit] : units) {
    if (ms >= size) {
      out += std::to_string(ms / size) + unit;
      ms %= size;
    }
  }
  return out;
}

std::string got(const Value& v) {
  struct {
    std::string operator()(const std::string& s) const { return tomlString(s); }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return numberText(d); }
    std::string operator()(const std::vector<std::string>& list) const {
      std::string out = "[";
      for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + tomlString(list[i]);
      return out + "]";
    }
    std::string operator()(const Raw& r) const { return r.text; }
  } visitor;
  return std::visit(visitor, v);
}

Status fail(std::string message) { return Status::error(std::move(message)); }

// ---- the checks, one per kind of key; messages start with the key ----

Status getString(const Value& v, std::string_view key, std::string* out) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    *out = *s;
    return Status::ok();
  }
  return fail(std::string(key) + " must be a string, got " + got(v));
}

Status getDuration(const Value& v, std::string_view key, bool positive, milliseconds* out) {
  const auto* s = std::get_if<std::string>(&v);
  if (s == nullptr) {
    return fail(std::string(key) + " must be a duration such as \"5m\", got " + got(v));
  }
  auto d = parseDuration(*s);
  if (!d) return fail(std::string(key) + ": " + d.message());
  if (positive && d->count() == 0) return fail(std::string(key) + " must be longer than 0s");
  *out = *d;
  return Status::ok();
}

// An integer from min to UINT32_MAX.
Status getCount(const Value& v, std::string_view key, int64_t min, std::string_view expected,
                uint32_t* out) {
  const auto* i = std::get_if<int64_t>(&v);
  if (i == nullptr || *i < min || *i > std::numeric_limits<uint32_t>::max()) {
    return fail(std::string(key) + " must be " + std::string(expected) + ", got " + got(v));
  }
  *out = static_cast<uint32_t>(*i);
  return Status::ok();
}

// A number (integer or float) from min to max, finite.
Status getNumber(const Value& v, std::string_view key, double max, std::string_view expected,
                 std::optional<double>* out) {
  double d = 0;
  if (const auto* i = std::get_if<int64_t>(&v)) {
    d = static_cast<double>(*i);
  } else if (const auto* f = std::get_if<double>(&v)) {
    d = *f;
  } else {
    return fail(std::string(key) + " must be " + std::string(expected) + ", got " + got(v));
  }
  if (!(d >= 0 && d <= max)) {  // also refuses nan
    return fail(std::string(key) + " must be " + std::string(expected) + ", got " + got(v));
  }
  *out = d;
  return Status::ok();
}

Status setPercent(const Value& v, std::string_view key, std::optional<double>* out) {
  return getNumber(v, key, 100, "a number from 0 to 100", out);
}

Status setRate(const Value& v, std::string_view key, std::optional<double>* out) {
  return getNumber(v, key, std::numeric_limits<double>::max(), "a number >= 0", out);
}

Status setPhases(Plan& p, const Value& v) {
  const auto* list = std::get_if<std::vector<std::string>>(&v);
  if (list == nullptr) {
    return fail("phases must be a list such as [\"canary:10\", \"both\", \"new\"], got " + got(v));
  }
  if (list->empty()) return fail("phases: at least one phase is needed, and the last is \"new\"");
  std::vector<PhaseSpec> phases;
  std::set<std::string> seen;
  uint32_t lastCanary = 0;
  for (const auto& name : *list) {
    if (name == "old") {
      return fail("phases: \"old\" is not a phase (phases are canary:N, both and new)");
    }
    auto mode = parseMode(name);
    if (!mode) return fail("phases: " + mode.message());
    if (!seen.insert(name).second) return fail("phases: \"" + name + "\" is listed twice");
    if (mode->mode == Mode::kCanary) {
      if (mode->canaryPercent <= lastCanary) {
        return fail("phases: canary percentages must increase, got " + name +
                    " after canary:" + std::to_string(lastCanary));
      }
      lastCanary = mode->canaryPercent;
    }
    phases.push_back(PhaseSpec{*mode, {}});
  }
  if (phases.back().mode.mode != Mode::kNew) {
    return fail("phases: the last phase must be \"new\", got \"" + list->back() + "\"");
  }
  // The soak is one key for every phase; the phases keep it whichever was read first.
  const milliseconds soak = p.phases.empty() ? kDefaultSoak : p.phases.front().soak;
  for (auto& phase : phases) phase.soak = soak;
  p.phases = std::move(phases);
  return Status::ok();
}

// HOST:PORT with HOST a name, an IPv4 address or [IPv6].
bool validHostPort(std::string_view s) {
  size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  if (host.find_first_of(" \t/@") != std::string_view::npos) return false;
  if (host.find(':') != std::string_view::npos &&
      (host.front() != '[' || host.back() != ']' || host.size() < 3)) {
    return false;
  }
  uint32_t n = 0;
  auto r = std::from_chars(port.data(), port.data() + port.size(), n);
  return r.ec == std::errc() && r.ptr == port.data() + port.size() && n >= 1 && n <= 65535;
}

bool validTenant(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.front() == '.' || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

bool hasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// ---- the table of keys ----

enum class Kind : uint8_t { kText, kInteger, kNumber, kList };

struct Key {
  std::string_view table;
  std::string_view key;
  std::string_view help;
  Kind kind;
  bool clearable;
  Status (*set)(Plan&, const Value&);  // the message starts with the key, without "[table] "
  std::string (*text)(const Plan&);    // "" when unset
  void (*clear)(Plan&);                // clearable keys only
};

std::string optText(const std::optional<double>& v) { return v ? numberText(*v) : ""; }

const std::vector<Key>& keys() {
  static const std::vector<Key> kKeys = {
      {"migration", "name", "the run's id in the store: letters, digits, '.', '_' and '-'",
       Kind::kText, false,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "name", &s); !st) return st;
         if (Status st = checkLabel(s); !st) return fail("name: " + st.message());
         p.name = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.name; }, nullptr},
      {"migration", "edge",
       "tandem edge control URL; unset: $TANDEM_CTL_URL, else http://127.0.0.1:7060/rpc",
       Kind::kText, true,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "edge", &s); !st) return st;
         if (!s.empty()) {
           if (auto url = control::Url::parse(s); !url) return fail("edge: " + url.message());
         }
         p.edge = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.edge; }, [](Plan& p) { p.edge.clear(); }},
      {"migration", "set", "the dispatcher set whose new dialogs move", Kind::kInteger, false,
       [](Plan& p, const Value& v) { return getCount(v, "set", 1, "a positive integer", &p.set); },
       [](const Plan& p) { return std::to_string(p.set); }, nullptr},
      {"migration", "tenant",
       "instead of set: a tenant domain, whose set the edge is asked for at run time", Kind::kText,
       false,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "tenant", &s); !st) return st;
         if (!validTenant(s)) {
           return fail("tenant must be a domain name such as example.com, got " + got(v));
         }
         p.tenant = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.tenant; }, nullptr},
      {"migration", "old", "the old media node's SIP URI, e.g. sip:10.0.1.30:5060", Kind::kText,
       false,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "old", &s); !st) return st;
         if (Status st = checkUri(s, "old"); !st) return st;
         p.oldUri = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.oldUri; }, nullptr},
      {"migration", "new", "the new media node's SIP URI, e.g. sip:10.0.1.31:5060", Kind::kText,
       false,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "new", &s); !st) return st;
         if (Status st = checkUri(s, "new"); !st) return st;
         p.newUri = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.newUri; }, nullptr},
      {"migration", "phases",
       "the steps in order: canary:N (N% of new dialogs to the new node), both, new (the last)",
       Kind::kList, false, setPhases,
       [](const Plan& p) {
         if (p.phases.empty()) return std::string("both, new");
         std::string out;
         for (const auto& phase : p.phases) out += (out.empty() ? "" : ", ") + modeName(phase.mode);
         return out;
       },
       nullptr},
      {"migration", "soak", "how long each phase is held while its gates are checked", Kind::kText,
       false,
       [](Plan& p, const Value& v) {
         milliseconds d{};
         if (Status st = getDuration(v, "soak", false, &d); !st) return st;
         if (p.phases.empty()) setPhases(p, std::vector<std::string>{"both", "new"});
         for (auto& phase : p.phases) phase.soak = d;
         return Status::ok();
       },
       [](const Plan& p) {
         return durationText(p.phases.empty() ? kDefaultSoak : p.phases.front().soak);
       },
       nullptr},
      {"migration", "rollback_deadline",
       "past this long after the first shift, a failing run goes back to old, not forward",
       Kind::kText, false,
       [](Plan& p, const Value& v) {
         return getDuration(v, "rollback_deadline", true, &p.rollbackDeadline);
       },
       [](const Plan& p) { return durationText(p.rollbackDeadline); }, nullptr},
      {"migration", "snapshots", "directory for the before and after snapshots", Kind::kText, false,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "snapshots", &s); !st) return st;
         if (s.empty()) return fail("snapshots must be a directory, got \"\"");
         p.snapshots = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.snapshots; }, nullptr},
      {"migration", "audit", "audit log, one JSON line per change made", Kind::kText, false,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "audit", &s); !st) return st;
         if (s.empty()) return fail("audit must be a file name, got \"\"");
         p.audit = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.audit; }, nullptr},
      {"migration", "store",
       "where run state is kept; unset: --store, $TANDEM_STORE, else sqlite:tandem-migrate.db",
       Kind::kText, true,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "store", &s); !st) return st;
         // The form only: the store library (linked by run.h) opens and judges the rest.
         if (!s.empty() && s.rfind("sqlite:", 0) != 0 && s.rfind("postgresql://", 0) != 0 &&
             s.rfind("postgres://", 0) != 0) {
           return fail("store must be sqlite:PATH, sqlite:///PATH or postgresql://..., got " +
                       got(v));
         }
         p.store = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.store; }, [](Plan& p) { p.store.clear(); }},
      {"migration", "operator", "who runs it, for the audit log; unset: $USER", Kind::kText, true,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "operator", &s); !st) return st;
         if (hasControl(s)) return fail("operator must be one line of text, got " + got(v));
         p.operatorName = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.operatorName; }, [](Plan& p) { p.operatorName.clear(); }},

      {"gates", "interval", "how often the gates are measured", Kind::kText, false,
       [](Plan& p, const Value& v) { return getDuration(v, "interval", true, &p.gates.interval); },
       [](const Plan& p) { return durationText(p.gates.interval); }, nullptr},
      {"gates", "window", "rates and ratios are taken over this much recent time", Kind::kText,
       false,
       [](Plan& p, const Value& v) { return getDuration(v, "window", true, &p.gates.window); },
       [](const Plan& p) { return durationText(p.gates.window); }, nullptr},
      {"gates", "min_calls", "the ASR gates judge only windows with at least this many calls",
       Kind::kInteger, false,
       [](Plan& p, const Value& v) {
         return getCount(v, "min_calls", 0, "an integer >= 0", &p.gates.minCalls);
       },
       [](const Plan& p) { return std::to_string(p.gates.minCalls); }, nullptr},
      {"gates", "asr_min",
       "%: lowest answer-seizure ratio of the edge (initial INVITEs answered 2xx)", Kind::kNumber,
       true, [](Plan& p, const Value& v) { return setPercent(v, "asr_min", &p.gates.asrMin); },
       [](const Plan& p) { return optText(p.gates.asrMin); },
       [](Plan& p) { p.gates.asrMin.reset(); }},
      {"gates", "new_node_asr_min", "%: lowest answer-seizure ratio of calls sent to the new node",
       Kind::kNumber, true,
       [](Plan& p, const Value& v) {
         return setPercent(v, "new_node_asr_min", &p.gates.newNodeAsrMin);
       },
       [](const Plan& p) { return optText(p.gates.newNodeAsrMin); },
       [](Plan& p) { p.gates.newNodeAsrMin.reset(); }},
      {"gates", "max_5xx_per_min", "most 5xx final replies sent by the edge per minute",
       Kind::kNumber, true,
       [](Plan& p, const Value& v) { return setRate(v, "max_5xx_per_min", &p.gates.max5xxPerMin); },
       [](const Plan& p) { return optText(p.gates.max5xxPerMin); },
       [](Plan& p) { p.gates.max5xxPerMin.reset(); }},
      {"gates", "max_408_per_min", "most 408 replies sent by the edge per minute", Kind::kNumber,
       true,
       [](Plan& p, const Value& v) { return setRate(v, "max_408_per_min", &p.gates.max408PerMin); },
       [](const Plan& p) { return optText(p.gates.max408PerMin); },
       [](Plan& p) { p.gates.max408PerMin.reset(); }},
      {"gates", "max_reg_failures_per_min", "most REGISTERs answered 4xx or 5xx per minute",
       Kind::kNumber, true,
       [](Plan& p, const Value& v) {
         return setRate(v, "max_reg_failures_per_min", &p.gates.maxRegFailuresPerMin);
       },
       [](const Plan& p) { return optText(p.gates.maxRegFailuresPerMin); },
       [](Plan& p) { p.gates.maxRegFailuresPerMin.reset(); }},
      {"gates", "max_new_node_latency_ms",
       "highest OPTIONS probe latency estimate of the new node, in ms", Kind::kNumber, true,
       [](Plan& p, const Value& v) {
         return setRate(v, "max_new_node_latency_ms", &p.gates.maxNewNodeLatencyMs);
       },
       [](const Plan& p) { return optText(p.gates.maxNewNodeLatencyMs); },
       [](Plan& p) { p.gates.maxNewNodeLatencyMs.reset(); }},

      {"drain", "threshold", "the old node counts as drained at or below this many calls",
       Kind::kInteger, false,
       [](Plan& p, const Value& v) {
         return getCount(v, "threshold", 0, "an integer >= 0", &p.drain.threshold);
       },
       [](const Plan& p) { return std::to_string(p.drain.threshold); }, nullptr},
      {"drain", "interval", "time between two polls of the old node's calls", Kind::kText, false,
       [](Plan& p, const Value& v) { return getDuration(v, "interval", true, &p.drain.interval); },
       [](const Plan& p) { return durationText(p.drain.interval); }, nullptr},
      {"drain", "timeout", "stop waiting for the drain after this long", Kind::kText, false,
       [](Plan& p, const Value& v) { return getDuration(v, "timeout", true, &p.drain.timeout); },
       [](const Plan& p) { return durationText(p.drain.timeout); }, nullptr},
      {"drain", "fs",
       "HOST:PORT of the old FreeSWITCH's event socket, polled too; unset: the edge's count only",
       Kind::kText, true,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "fs", &s); !st) return st;
         if (!s.empty() && !validHostPort(s)) {
           return fail("fs must be HOST:PORT such as 10.0.1.30:8021, got " + got(v));
         }
         p.drain.fs = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.drain.fs; }, [](Plan& p) { p.drain.fs.clear(); }},
      {"drain", "fs_password", "the event socket's password", Kind::kText, false,
       [](Plan& p, const Value& v) {
         std::string s;
         if (Status st = getString(v, "fs_password", &s); !st) return st;
         if (s.empty() || hasControl(s)) {
           return fail("fs_password must be one line of text, got " + got(v));
         }
         p.drain.fsPassword = s;
         return Status::ok();
       },
       [](const Plan& p) { return p.drain.fsPassword; }, nullptr},
  };
  return kKeys;
}

const Key* findKey(std::string_view table, std::string_view key) {
  for (const auto& k : keys()) {
    if (k.table == table && k.key == key) return &k;
  }
  return nullptr;
}

bool isTable(std::string_view name) {
  return name == "migration" || name == "gates" || name == "drain";
}

std::string prefixed(std::string_view table, std::string_view message) {
  return "[" + std::string(table) + "] " + std::string(message);
}

// What checkPlan finds, with the key it is about ("" for the table) so parsePlan can place it.
struct Issue {
  std::string_view table;
  std::string_view key;
  std::string message;
};

bool sameDestination(const Plan& p) {
  return !p.oldUri.empty() && p.oldUri.size() == p.newUri.size() &&
         std::equal(p.oldUri.begin(), p.oldUri.end(), p.newUri.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

std::string sameDestinationMessage(const Plan& p) {
  return "[migration] old and new name the same destination " + tomlString(p.oldUri);
}

constexpr const char* kNoGate =
    "[gates] at least one gate is needed: asr_min, new_node_asr_min, max_5xx_per_min, "
    "max_408_per_min, max_reg_failures_per_min or max_new_node_latency_ms";

std::vector<Issue> crossIssues(const Plan& p) {
  std::vector<Issue> out;
  if (p.name.empty()) out.push_back({"migration", "name", "[migration] name is required"});
  if (p.oldUri.empty()) out.push_back({"migration", "old", "[migration] old is required"});
  if (p.newUri.empty()) out.push_back({"migration", "new", "[migration] new is required"});
  if (sameDestination(p)) out.push_back({"migration", "new", sameDestinationMessage(p)});
  if (!p.gates.any()) out.push_back({"gates", "", kNoGate});
  return out;
}

std::string nodeText(const toml::node& n) {
  std::ostringstream os;
  n.visit([&os](const auto& x) { os << x; });
  return os.str();
}

Value nodeValue(const toml::node& n) {
  if (const auto* s = n.as_string()) return s->get();
  if (const auto* i = n.as_integer()) return i->get();
  if (const auto* f = n.as_floating_point()) return f->get();
  if (const auto* a = n.as_array()) {
    std::vector<std::string> list;
    for (const auto& item : *a) {
      if (!item.is_string()) return Raw{nodeText(n)};
      list.push_back(*item.value<std::string>());
    }
    return list;
  }
  return Raw{nodeText(n)};
}

// An answer as the value its key takes, so that "120" reaches a number check as 120 and "abc"
// as the string "abc" (which it then refuses, showing it).
Value answerValue(Kind kind, std::string_view answer) {
  std::string s(answer);
  switch (kind) {
    case Kind::kText:
      return s;
    case Kind::kInteger: {
      int64_t i = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), i);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return i;
      if (r.ec == std::errc::result_out_of_range) return Raw{s};
      return s;
    }
    case Kind::kNumber: {
      double d = 0;
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return d;
      return s;
    }
    case Kind::kList: {
      std::vector<std::string> list;
      std::string item;
      for (char c : s + ",") {
        if (c == ',' || c == ' ' || c == '\t') {
          if (!item.empty()) list.push_back(std::move(item));
          item.clear();
        } else {
          item += c;
        }
      }
      return list;
    }
  }
  return s;
}

Plan defaultPlan() {
  Plan p;
  setPhases(p, std::vector<std::string>{"both", "new"});
  return p;
}

}  // namespace

Result<Plan> parsePlan(std::string_view text, std::string_view name) {
  const std::string file(name);
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return Result<Plan>::error(file + ":" + std::to_string(b.line) + ":" +
                               std::to_string(b.column) + ": " + std::string(e.description()));
  }

  struct Located {
    uint32_t line;  // 0: not in the file
    std::string message;
  };
  std::vector<Located> errors;
  std::set<std::pair<std::string_view, std::string_view>> failed;  // keys already reported
  Plan p = defaultPlan();
  const toml::node* setNode = nullptr;
  const toml::node* tenantNode = nullptr;

  for (const auto& [tableKey, node] : root) {
    const std::string_view tableName = tableKey.str();
    const uint32_t line = node.source().begin.line;
    if (tableName == "verify") {
      if (const auto* t = node.as_table()) {
        toml::table wrap;
        wrap.insert("verify", *t);
        std::ostringstream os;
        os << toml::toml_formatter(
            wrap, toml::toml_formatter::default_flags & ~toml::format_flags::indentation);
        p.verifyToml = os.str() + "\n";
      } else {
        errors.push_back({line, "[verify] must be a table"});
      }
      continue;
    }
    if (!isTable(tableName)) {
      errors.push_back({line, node.is_table() ? "unknown table [" + std::string(tableName) + "]"
                                              : "unknown key \"" + std::string(tableName) +
                                                    "\" outside a table (keys go in [migration], "
                                                    "[gates], [drain] or [verify])"});
      continue;
    }
    const auto* table = node.as_table();
    if (table == nullptr) {
      errors.push_back({line, prefixed(tableName, "must be a table")});
      continue;
    }
    for (const auto& [k, v] : *table) {
      const uint32_t keyLine = v.source().begin.line;
      const Key* key = findKey(tableName, k.str());
      if (key == nullptr) {
        errors.push_back(
            {keyLine, prefixed(tableName, "unknown key \"" + std::string(k.str()) + "\"")});
        continue;
      }
      if (key->key == "set") setNode = &v;
      if (key->key == "tenant") tenantNode = &v;
      if (Status st = key->set(p, nodeValue(v)); !st) {
        errors.push_back({keyLine, prefixed(tableName, st.message())});
        failed.insert({key->table, key->key});
      }
    }
  }
  if (setNode != nullptr && tenantNode != nullptr) {
    errors.push_back({std::max(setNode->source().begin.line, tenantNode->source().begin.line),
                      "[migration] give set or tenant, not both"});
  }
  // A key given but refused is reported once, not again as missing (nor a refused gate as no gate).
  const bool gateFailed = std::any_of(failed.begin(), failed.end(), [](const auto& f) {
    const Key* k = findKey(f.first, f.second);
    return k != nullptr && k->table == "gates" && k->clearable;
  });
  for (const auto& issue : crossIssues(p)) {
    if (failed.count({issue.table, issue.key})) continue;
    if (issue.table == "gates" && issue.key.empty() && gateFailed) continue;
    uint32_t line = 0;
    if (const auto* t = root.get_as<toml::table>(issue.table)) {
      if (issue.key.empty()) {
        line = t->source().begin.line;
      } else if (const auto* n = t->get(issue.key)) {
        line = n->source().begin.line;
      }
    }
    errors.push_back({line, issue.message});
  }
  if (errors.empty()) return p;

  // In file order; what has no line (a key left out) comes last.
  std::stable_sort(errors.begin(), errors.end(), [](const Located& a, const Located& b) {
    return (a.line == 0 ? UINT32_MAX : a.line) < (b.line == 0 ? UINT32_MAX : b.line);
  });
  std::string all;
  for (const auto& e : errors) {
    if (!all.empty()) all += "\n";
    all += file + (e.line ? ":" + std::to_string(e.line) : "") + ": " + e.message;
  }
  return Result<Plan>::error(all);
}

std::string renderPlan(const Plan& plan) {
  std::string out =
      "# A tandem migration plan: `tandem migrate run FILE` runs it, `tandem migrate wizard -f "
      "FILE`\n# edits it. Durations: 500ms, 15s, 2m, 4h, 1h30m. A key left as a comment is "
      "unset.\n";
  std::string_view table;
  for (const auto& k : keys()) {
    if (k.table != table) {
      table = k.table;
      out += "\n[" + std::string(table) + "]\n";
    }
    const bool tenant = !plan.tenant.empty();
    if ((k.key == "set" && tenant) || (k.key == "tenant" && !tenant)) continue;
    out += "# " + std::string(k.help) + "\n";
    std::string value = k.text(plan);
    if (value.empty()) {
      out += "# " + std::string(k.key) + ": not set\n";
      continue;
    }
    out += std::string(k.key) + " = ";
    if (k.key == "phases") {
      std::string list;
      if (plan.phases.empty()) {
        list = "\"both\", \"new\"";
      } else {
        for (const auto& phase : plan.phases) {
          list += (list.empty() ? "" : ", ") + tomlString(modeName(phase.mode));
        }
      }
      out += "[" + list + "]\n";
    } else if (k.kind == Kind::kText) {
      out += tomlString(value) + "\n";
    } else {
      out += value + "\n";
    }
  }
  if (!plan.verifyToml.empty()) {
    out += "\n# read by `tandem migrate verify`\n" + plan.verifyToml;
    if (out.back() != '\n') out += "\n";
  }
  return out;
}

const std::vector<PlanField>& planFields() {
  static const std::vector<PlanField> kFields = [] {
    std::vector<PlanField> fields;
    for (const auto& k : keys()) {
      if (k.key == "tenant") continue;
      PlanField f;
      f.table = k.table;
      f.key = k.key;
      f.help = k.help;
      f.clearable = k.clearable;
      if (k.key == "set") {
        f.label = "set or tenant";
        f.help = "the dispatcher set number whose new dialogs move, or a tenant domain (its set)";
      } else if (k.table == "migration") {
        f.label = k.key;
      } else {
        // Labels outlive the vector: keep them in storage that lives as long as the program.
        static std::vector<std::unique_ptr<std::string>> labels;
        labels.push_back(
            std::make_unique<std::string>(std::string(k.table) + "." + std::string(k.key)));
        f.label = *labels.back();
      }
      fields.push_back(f);
    }
    return fields;
  }();
  return kFields;
}

std::string fieldText(const Plan& plan, const PlanField& field) {
  if (field.table == "migration" && field.key == "set" && !plan.tenant.empty()) return plan.tenant;
  const Key* key = findKey(field.table, field.key);
  if (key == nullptr) return "";
  std::string text = key->text(plan);
  return text.empty() && key->clearable ? "-" : text;
}

Status setField(Plan& plan, const PlanField& field, std::string_view answer) {
  const Key* key = findKey(field.table, field.key);
  if (key == nullptr) {
    return fail("no field [" + std::string(field.table) + "] " + std::string(field.key));
  }
  Plan next = plan;
  if (answer == "-" && key->clearable) {
    key->clear(next);
  } else if (key->key == "set") {
    Value v = answerValue(Kind::kInteger, answer);
    if (std::holds_alternative<std::string>(v)) {
      if (Status st = findKey("migration", "tenant")->set(next, v); !st) {
        return fail(prefixed(key->table, st.message()));
      }
    } else {
      if (Status st = key->set(next, v); !st) return fail(prefixed(key->table, st.message()));
      next.tenant.clear();
    }
  } else if (Status st = key->set(next, answerValue(key->kind, answer)); !st) {
    return fail(prefixed(key->table, st.message()));
  }
  if ((key->key == "old" || key->key == "new") && sameDestination(next)) {
    return fail(sameDestinationMessage(next));
  }
  plan = std::move(next);
  return Status::ok();
}

Status checkPlan(const Plan& plan) {
  auto issues = crossIssues(plan);
  if (issues.empty()) return Status::ok();
  return fail(issues.front().message);
}

}  // namespace tandem::migrate
