// Migration plans: everything `tandem migrate run` needs (which edge, which set or tenant, the
// old and new nodes, the phases with their soak times, the gates, the drain, where snapshots and
// the audit go, where run state is kept), read from and written to a TOML file. The wizard
// (wizard.h) fills one in field by field; run.h executes one.
//
// A plan file:
//   [migration]
//   name = "fs1-to-fs2"                  # the run's id in the store (letters, digits, . _ -)
//   edge = "http://127.0.0.1:7060/rpc"   # tandem edge control URL
//   set = 1                              # dispatcher set; or tenant = "example.com" (not both)
//   old = "sip:10.0.1.30:5060"
//   new = "sip:10.0.1.31:5060"
//   phases = ["canary:10", "both", "new"] # default ["both", "new"]; the last must be "new"
//   soak = "5m"                          # how long each phase is held while its gates are checked
//   rollback_deadline = "2h"             # past this since the first shift, go back, not forward
//   snapshots = "migrate-snapshots"      # directory for the before/after snapshots
//   audit = "tandem-migrate-audit.jsonl"
//   store = "sqlite:tandem-migrate.db"   # where run state is kept (also --store, $TANDEM_STORE)
//   operator = "alice"                   # default: $USER
//
//   [gates]                              # every gate is optional; a plan with none is refused
//   interval = "5s"                      # how often gates are measured
//   window = "60s"                       # rates and ratios are over this much recent time
//   min_calls = 20                       # ASR gates judge only windows with this many calls
//   asr_min = 90                         # %: the edge's answer-seizure ratio (initial INVITEs
//                                        #    answered 2xx / initial INVITEs) over the window
//   new_node_asr_min = 80                # %: the same for calls sent to the new node
//   max_5xx_per_min = 10                 # 5xx final replies sent by the edge, per minute
//   max_408_per_min = 5
//   max_reg_failures_per_min = 20        # REGISTERs answered 4xx/5xx, per minute
//   max_new_node_latency_ms = 250        # the new node's OPTIONS probe latency estimate
//
//   [drain]
//   threshold = 0
//   interval = "15s"
//   timeout = "4h"
//   fs = "10.0.1.30:8021"                # optional: also poll the old FreeSWITCH's event socket
//   fs_password = "ClueCon"
//
//   [verify]                             # read by verify.h; the plan keeps it as given
//   ...
//
// One soak applies to every phase. Keys left out take the defaults of the structs below.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "migrate/profile.h"

namespace tandem::migrate {

struct PhaseSpec {
  ModeSpec mode;  // old is not a phase; canary:N, both, new
  std::chrono::milliseconds soak{300'000};
};

struct GateSpec {
  std::chrono::milliseconds interval{5'000};
  std::chrono::milliseconds window{60'000};
  uint32_t minCalls = 20;
  std::optional<double> asrMin;  // percent, 0..100
  std::optional<double> newNodeAsrMin;
  std::optional<double> max5xxPerMin;
  std::optional<double> max408PerMin;
  std::optional<double> maxRegFailuresPerMin;
  std::optional<double> maxNewNodeLatencyMs;

  bool any() const {
    return asrMin || newNodeAsrMin || max5xxPerMin || max408PerMin || maxRegFailuresPerMin ||
           maxNewNodeLatencyMs;
  }
};

struct DrainSpec {
  uint32_t threshold = 0;
  std::chrono::milliseconds interval{15'000};
  std::chrono::milliseconds timeout{4 * 3'600'000};
  std::string fs;  // host:port of a FreeSWITCH event socket; empty: edge's count only
  std::string fsPassword = "ClueCon";
};

struct Plan {
  std::string name;
  std::string edge;  // empty: control::defaultCtlUrl()
  uint32_t set = 1;
  std::string tenant;  // non-empty: the set is the tenant's, looked up on the edge at run time
  std::string oldUri;
  std::string newUri;
  std::vector<PhaseSpec> phases;  // default: both, new (each with `soak`)
  std::chrono::milliseconds rollbackDeadline{2 * 3'600'000};
  std::string snapshots = "migrate-snapshots";
  std::string audit = "tandem-migrate-audit.jsonl";
  std::string store;  // empty: --store, $TANDEM_STORE, else sqlite:tandem-migrate.db
  std::string operatorName;
  GateSpec gates;
  DrainSpec drain;
  // The [verify] table as a TOML document holding just that table (`[verify]`, its keys and its
  // sub-tables as [verify.x], as toml++ writes them; not the original text, so without its comments
  // or line numbers). Empty when the plan has none.
  std::string verifyToml;
};

// Reads a plan. name labels errors, which carry the line when the TOML has one (every error found
// is reported, one a line, in line order; a TOML syntax error alone, as `plan.toml:3:9: ...`):
// `plan.toml:7: [gates] asr_min must be a number from 0 to 100, got 120`,
// `plan.toml:3: [migration] unknown key "sett"`, `plan.toml: [migration] old is required`,
// `plan.toml:5: [migration] phases: the last phase must be "new", got "both"`.
// Checked: name (letters, digits, '.', '_', '-'), URIs (checkUri), old != new, set >= 1, set and
// tenant not both, durations (parseDuration; intervals, windows, timeouts and the deadline above
// 0), phases (canary:N, both, new; no "old", none twice, canary percentages increasing, the last
// "new"), at least one gate, percentages 0..100, rates >= 0, unknown keys and tables.
Result<Plan> parsePlan(std::string_view text, std::string_view name);

// The plan as a TOML file parsePlan reads back to an equal Plan, with a one-line comment above
// each key saying what it is (the wizard's -o and `run --dry-run` print this). An unset optional
// key is written as a comment. Phases take the first phase's soak; a tenant is written instead of
// the set; empty phases are written as the default (both, new).
std::string renderPlan(const Plan& plan);

// Field by field, for the wizard: the keys it asks for, in its order, judged by the very checks
// parsePlan applies to the same key in a file, with the same messages.
struct PlanField {
  std::string_view table;  // "migration", "gates" or "drain"
  std::string_view key;    // as in the file; "set" also takes a tenant (see setField)
  std::string_view label;  // "name", "set or tenant", "gates.interval", "drain.fs", ...
  std::string_view help;   // one line, the comment renderPlan writes above the key
  bool clearable = false;  // "-" unsets it: a gate, or a key whose unset value means a default
};

// Every field but tenant (asked with set) and [verify] (kept as given), in file order.
const std::vector<PlanField>& planFields();

// The field's value as an operator would type it: "canary:10, both, new", "5m", "92.5",
// "sip:10.0.1.30:5060"; "-" when a clearable field is unset; "" when a required one is.
std::string fieldText(const Plan& plan, const PlanField& field);

// Sets a field from an answer with parsePlan's check and its message, less the `FILE:LINE: `
// prefix: `[gates] asr_min must be a number from 0 to 100, got 120`. "-" unsets a clearable field.
// "set" takes a set number (and clears the tenant) or a tenant domain; "phases" takes names
// separated by commas or blanks; "soak" sets every phase's. Setting old or new to the other's URI
// is refused as checkPlan would. plan is unchanged on error.
Status setField(Plan& plan, const PlanField& field, std::string_view answer);

// The checks parsePlan makes once every key is read: name, old and new given, old != new, at
// least one gate. The first failure, worded as parsePlan words it (without `FILE: `), e.g.
// `[migration] old is required`.
Status checkPlan(const Plan& plan);

}  // namespace tandem::migrate
