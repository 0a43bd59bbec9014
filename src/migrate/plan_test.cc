// Tests of plan.h: defaults, every error message with its line, the round trip through
// renderPlan, and the field-by-field checks the wizard uses.
#include "migrate/plan.h"

#include <gtest/gtest.h>

#include <string>

namespace tandem::migrate {
namespace {

using std::chrono::milliseconds;

constexpr const char* kMinimal = R"([migration]
name = "fs1-to-fs2"
old = "sip:10.0.1.30:5060"
new = "sip:10.0.1.31:5060"

[gates]
asr_min = 90
)";

// Every field, compared one by one so a failure names the one that differs.
void expectSamePlan(const Plan& a, const Plan& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.edge, b.edge);
  EXPECT_EQ(a.set, b.set);
  EXPECT_EQ(a.tenant, b.tenant);
  EXPECT_EQ(a.oldUri, b.oldUri);
  EXPECT_EQ(a.newUri, b.newUri);
  ASSERT_EQ(a.phases.size(), b.phases.size());
  for (size_t i = 0; i < a.phases.size(); ++i) {
    EXPECT_EQ(modeName(a.phases[i].mode), modeName(b.phases[i].mode)) << i;
    EXPECT_EQ(a.phases[i].soak, b.phases[i].soak) << i;
  }
  EXPECT_EQ(a.rollbackDeadline, b.rollbackDeadline);
  EXPECT_EQ(a.snapshots, b.snapshots);
  EXPECT_EQ(a.audit, b.audit);
  EXPECT_EQ(a.store, b.store);
  EXPECT_EQ(a.operatorName, b.operatorName);
  EXPECT_EQ(a.gates.interval, b.gates.interval);
  EXPECT_EQ(a.gates.window, b.gates.window);
  EXPECT_EQ(a.gates.minCalls, b.gates.minCalls);
  EXPECT_EQ(a.gates.asrMin, b.gates.asrMin);
  EXPECT_EQ(a.gates.newNodeAsrMin, b.gates.newNodeAsrMin);
  EXPECT_EQ(a.gates.max5xxPerMin, b.gates.max5xxPerMin);
  EXPECT_EQ(a.gates.max408PerMin, b.gates.max408PerMin);
  EXPECT_EQ(a.gates.maxRegFailuresPerMin, b.gates.maxRegFailuresPerMin);
  EXPECT_EQ(a.gates.maxNewNodeLatencyMs, b.gates.maxNewNodeLatencyMs);
  EXPECT_EQ(a.drain.threshold, b.drain.threshold);
  EXPECT_EQ(a.drain.interval, b.drain.interval);
  EXPECT_EQ(a.drain.timeout, b.drain.timeout);
  EXPECT_EQ(a.drain.fs, b.drain.fs);
  EXPECT_EQ(a.drain.fsPassword, b.drain.fsPassword);
  EXPECT_EQ(a.verifyToml, b.verifyToml);
}

// The error parsePlan gives for text ("" when it reads).
std::string errorOf(const std::string& text) {
  auto r = parsePlan(text, "plan.toml");
  return r ? "" : r.message();
}

// kMinimal with one more line appended to a table (the line numbers below count on it).
std::string withLine(const std::string& table, const std::string& line) {
  std::string text = kMinimal;
  if (table == "migration") {
    text.insert(text.find("\n[gates]"), line + "\n");  // line 5
  } else {
    text += line + "\n";  // line 8
  }
  return text;
}

TEST(PlanTest, DefaultsOfAMinimalPlan) {
  auto r = parsePlan(kMinimal, "plan.toml");
  ASSERT_TRUE(r) << r.message();
  const Plan& p = *r;
  EXPECT_EQ(p.name, "fs1-to-fs2");
  EXPECT_EQ(p.edge, "");
  EXPECT_EQ(p.set, 1u);
  EXPECT_EQ(p.tenant, "");
  ASSERT_EQ(p.phases.size(), 2u);
  EXPECT_EQ(modeName(p.phases[0].mode), "both");
  EXPECT_EQ(modeName(p.phases[1].mode), "new");
  EXPECT_EQ(p.phases[0].soak, milliseconds(300'000));
  EXPECT_EQ(p.phases[1].soak, milliseconds(300'000));
  EXPECT_EQ(p.rollbackDeadline, milliseconds(2 * 3'600'000));
  EXPECT_EQ(p.snapshots, "migrate-snapshots");
  EXPECT_EQ(p.audit, "tandem-migrate-audit.jsonl");
  EXPECT_EQ(p.store, "");
  EXPECT_EQ(p.operatorName, "");
  EXPECT_EQ(p.gates.interval, milliseconds(5'000));
  EXPECT_EQ(p.gates.window, milliseconds(60'000));
  EXPECT_EQ(p.gates.minCalls, 20u);
  EXPECT_EQ(p.gates.asrMin, 90.0);
  EXPECT_FALSE(p.gates.newNodeAsrMin);
  EXPECT_FALSE(p.gates.max5xxPerMin);
  EXPECT_FALSE(p.gates.max408PerMin);
  EXPECT_FALSE(p.gates.maxRegFailuresPerMin);
  EXPECT_FALSE(p.gates.maxNewNodeLatencyMs);
  EXPECT_EQ(p.drain.threshold, 0u);
  EXPECT_EQ(p.drain.interval, milliseconds(15'000));
  EXPECT_EQ(p.drain.timeout, milliseconds(4 * 3'600'000));
  EXPECT_EQ(p.drain.fs, "");
  EXPECT_EQ(p.drain.fsPassword, "ClueCon");
  EXPECT_EQ(p.verifyToml, "");
}

TEST(PlanTest, ReadsEveryKey) {
  auto r = parsePlan(R"([migration]
name = "move.1"
edge = "http://10.0.0.5:7060/rpc"
set = 7
old = "sip:10.0.1.30:5060"
new = "sips:fs2.example.com"
phases = ["canary:10", "canary:25", "both", "new"]
soak = "1m30s"
rollback_deadline = "45m"
snapshots = "/var/lib/snaps"
audit = "/var/log/audit.jsonl"
store = "sqlite:///var/lib/tandem/migrate.db"
operator = "alice"

[gates]
interval = "2s"
window = "30s"
min_calls = 0
asr_min = 92.5
new_node_asr_min = 80
max_5xx_per_min = 10
max_408_per_min = 0.5
max_reg_failures_per_min = 20
max_new_node_latency_ms = 250

[drain]
threshold = 3
interval = "10s"
timeout = "1h"
fs = "10.0.1.30:8021"
fs_password = "secret"
)",
                     "plan.toml");
  ASSERT_TRUE(r) << r.message();
  const Plan& p = *r;
  EXPECT_EQ(p.name, "move.1");
  EXPECT_EQ(p.edge, "http://10.0.0.5:7060/rpc");
  EXPECT_EQ(p.set, 7u);
  EXPECT_EQ(p.newUri, "sips:fs2.example.com");
  ASSERT_EQ(p.phases.size(), 4u);
  EXPECT_EQ(p.phases[0].mode.mode, Mode::kCanary);
  EXPECT_EQ(p.phases[0].mode.canaryPercent, 10u);
  EXPECT_EQ(p.phases[1].mode.canaryPercent, 25u);
  for (const auto& phase : p.phases) EXPECT_EQ(phase.soak, milliseconds(90'000));
  EXPECT_EQ(p.rollbackDeadline, milliseconds(45 * 60'000));
  EXPECT_EQ(p.snapshots, "/var/lib/snaps");
  EXPECT_EQ(p.audit, "/var/log/audit.jsonl");
  EXPECT_EQ(p.store, "sqlite:///var/lib/tandem/migrate.db");
  EXPECT_EQ(p.operatorName, "alice");
  EXPECT_EQ(p.gates.interval, milliseconds(2'000));
  EXPECT_EQ(p.gates.window, milliseconds(30'000));
  EXPECT_EQ(p.gates.minCalls, 0u);
  EXPECT_EQ(p.gates.asrMin, 92.5);
  EXPECT_EQ(p.gates.newNodeAsrMin, 80.0);
  EXPECT_EQ(p.gates.max5xxPerMin, 10.0);
  EXPECT_EQ(p.gates.max408PerMin, 0.5);
  EXPECT_EQ(p.gates.maxRegFailuresPerMin, 20.0);
  EXPECT_EQ(p.gates.maxNewNodeLatencyMs, 250.0);
  EXPECT_EQ(p.drain.threshold, 3u);
  EXPECT_EQ(p.drain.interval, milliseconds(10'000));
  EXPECT_EQ(p.drain.timeout, milliseconds(3'600'000));
  EXPECT_EQ(p.drain.fs, "10.0.1.30:8021");
  EXPECT_EQ(p.drain.fsPassword, "secret");
}

TEST(PlanTest, TenantInsteadOfSet) {
  auto r = parsePlan(withLine("migration", "tenant = \"example.com\""), "plan.toml");
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->tenant, "example.com");
}

TEST(PlanTest, VerifyTableIsKeptAsTomlText) {
  std::string text = std::string(kMinimal) +
                     "\n[verify]\ncalls = 3\nfrom = \"alice\"\n[verify.sip]\nport = 5060\n";
  auto r = parsePlan(text, "plan.toml");
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->verifyToml, "[verify]\ncalls = 3\nfrom = 'alice'\n\n[verify.sip]\nport = 5060\n");
}

TEST(PlanTest, SyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(errorOf("[migration]\nname = \n"),
            "plan.toml:2:8: Error while parsing key-value pair: expected value, saw '\\n'");
}

TEST(PlanTest, RequiredKeys) {
  EXPECT_EQ(errorOf("[gates]\nasr_min = 90\n"),
            "plan.toml: [migration] name is required\n"
            "plan.toml: [migration] old is required\n"
            "plan.toml: [migration] new is required");
  EXPECT_EQ(errorOf("[migration]\nname = \"x\"\nold = \"sip:a\"\nnew = \"sip:b\"\n"),
            "plan.toml: [gates] at least one gate is needed: asr_min, new_node_asr_min, "
            "max_5xx_per_min, max_408_per_min, max_reg_failures_per_min or "
            "max_new_node_latency_ms");
  EXPECT_EQ(errorOf("[migration]\nname = \"x\"\nold = \"sip:a\"\nnew = \"sip:b\"\n[gates]\n"
                    "interval = \"1s\"\n"),
            "plan.toml:5: [gates] at least one gate is needed: asr_min, new_node_asr_min, "
            "max_5xx_per_min, max_408_per_min, max_reg_failures_per_min or "
            "max_new_node_latency_ms");
}

TEST(PlanTest, UnknownKeysAndTables) {
  EXPECT_EQ(errorOf(withLine("migration", "sett = 2")),
            "plan.toml:5: [migration] unknown key \"sett\"");
  EXPECT_EQ(errorOf(withLine("gates", "asr = 90")), "plan.toml:8: [gates] unknown key \"asr\"");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "[drain]\nfs_pass = \"x\"\n"),
            "plan.toml:9: [drain] unknown key \"fs_pass\"");
  EXPECT_EQ(errorOf(std::string(kMinimal) + "[gate]\nasr_min = 1\n"),
            "plan.toml:8: unknown table [gate]");
  EXPECT_EQ(errorOf("name = \"x\"\n" + std::string(kMinimal)),
            "plan.toml:1: unknown key \"name\" outside a table (keys go in [migration], [gates], "
            "[drain] or [verify])");
}

TEST(PlanTest, TablesMustBeTables) {
  EXPECT_EQ(errorOf("drain = 3\n" + std::string(kMinimal)), "plan.toml:1: [drain] must be a table");
  EXPECT_EQ(errorOf("verify = 3\n" + std::string(kMinimal)),
            "plan.toml:1: [verify] must be a table");
}

TEST(PlanTest, MigrationKeyErrors) {
  EXPECT_EQ(errorOf(withLine("migration", "set = 0")),
            "plan.toml:5: [migration] set must be a positive integer, got 0");
  EXPECT_EQ(errorOf(withLine("migration", "set = \"1\"")),
            "plan.toml:5: [migration] set must be a positive integer, got \"1\"");
  EXPECT_EQ(errorOf(withLine("migration", "set = 4294967296")),
            "plan.toml:5: [migration] set must be a positive integer, got 4294967296");
  EXPECT_EQ(errorOf(withLine("migration", "set = 2\ntenant = \"example.com\"")),
            "plan.toml:6: [migration] give set or tenant, not both");
  EXPECT_EQ(errorOf(withLine("migration", "tenant = \"a b\"")),
            "plan.toml:5: [migration] tenant must be a domain name such as example.com, got "
            "\"a b\"");
  EXPECT_EQ(errorOf(withLine("migration", "edge = \"https://x/rpc\"")),
            "plan.toml:5: [migration] edge: https is not supported: the control endpoint speaks "
            "plain HTTP (https://x/rpc)");
  EXPECT_EQ(errorOf(withLine("migration", "edge = 7")),
            "plan.toml:5: [migration] edge must be a string, got 7");
  EXPECT_EQ(errorOf(withLine("migration", "snapshots = \"\"")),
            "plan.toml:5: [migration] snapshots must be a directory, got \"\"");
  EXPECT_EQ(errorOf(withLine("migration", "audit = \"\"")),
            "plan.toml:5: [migration] audit must be a file name, got \"\"");
  EXPECT_EQ(errorOf(withLine("migration", "store = \"mysql://db\"")),
            "plan.toml:5: [migration] store must be sqlite:PATH, sqlite:///PATH or "
            "postgresql://..., got \"mysql://db\"");
  EXPECT_EQ(errorOf(withLine("migration", "operator = \"a\\nb\"")),
            "plan.toml:5: [migration] operator must be one line of text, got \"a\\nb\"");
  EXPECT_EQ(errorOf(withLine("migration", "soak = \"5\"")),
            "plan.toml:5: [migration] soak: invalid duration \"5\": missing unit after 5 (use ms, "
            "s, m or h, e.g. 15s)");
  EXPECT_EQ(errorOf(withLine("migration", "soak = 5")),
            "plan.toml:5: [migration] soak must be a duration such as \"5m\", got 5");
  EXPECT_EQ(errorOf(withLine("migration", "rollback_deadline = \"0s\"")),
            "plan.toml:5: [migration] rollback_deadline must be longer than 0s");
}

TEST(PlanTest, NameAndUriErrors) {
  std::string text = kMinimal;
  text.replace(text.find("\"fs1-to-fs2\""), 12, "\"fs1 to fs2\"");
  EXPECT_EQ(errorOf(text),
            "plan.toml:2: [migration] name: invalid label \"fs1 to fs2\": use letters, digits, "
            "'.', '_' and '-' (at most 100)");
  text = kMinimal;
  text.replace(text.find("\"sip:10.0.1.30:5060\""), 20, "\"http://x\"");
  EXPECT_EQ(errorOf(text),
            "plan.toml:3: [migration] invalid old URI \"http://x\": expected a sip: or sips: URI "
            "such as sip:10.0.1.30:5060");
  text = kMinimal;
  text.replace(text.find("\"sip:10.0.1.31:5060\""), 20, "\"SIP:10.0.1.30:5060\"");
  EXPECT_EQ(errorOf(text),
            "plan.toml:4: [migration] old and new name the same destination "
            "\"sip:10.0.1.30:5060\"");
  text = kMinimal;
  text.replace(text.find("\"sip:10.0.1.31:5060\""), 20, "5060");
  EXPECT_EQ(errorOf(text), "plan.toml:4: [migration] new must be a string, got 5060");
}

TEST(PlanTest, PhaseErrors) {
  auto phases = [](const std::string& list) {
    return errorOf(withLine("migration", "phases = " + list));
  };
  EXPECT_EQ(phases("[\"canary:10\", \"both\"]"),
            "plan.toml:5: [migration] phases: the last phase must be \"new\", got \"both\"");
  EXPECT_EQ(phases("[\"old\", \"new\"]"),
            "plan.toml:5: [migration] phases: \"old\" is not a phase (phases are canary:N, both "
            "and new)");
  EXPECT_EQ(phases("[\"both\", \"both\", \"new\"]"),
            "plan.toml:5: [migration] phases: \"both\" is listed twice");
  EXPECT_EQ(phases("[\"canary:20\", \"canary:10\", \"new\"]"),
            "plan.toml:5: [migration] phases: canary percentages must increase, got canary:10 "
            "after canary:20");
  EXPECT_EQ(phases("[\"canary:0\", \"new\"]"),
            "plan.toml:5: [migration] phases: canary percentage must be an integer from 1 to 99, "
            "got \"0\" (use old for 0 and new for 100)");
  EXPECT_EQ(phases("[\"half\", \"new\"]"),
            "plan.toml:5: [migration] phases: unknown mode \"half\": expected old, both, new or "
            "canary:N (N from 1 to 99)");
  EXPECT_EQ(phases("[]"),
            "plan.toml:5: [migration] phases: at least one phase is needed, and the last is "
            "\"new\"");
  EXPECT_EQ(phases("\"new\""),
            "plan.toml:5: [migration] phases must be a list such as [\"canary:10\", \"both\", "
            "\"new\"], got \"new\"");
  EXPECT_EQ(phases("[\"both\", 3]"),
            "plan.toml:5: [migration] phases must be a list such as [\"canary:10\", \"both\", "
            "\"new\"], got [ 'both', 3 ]");
  EXPECT_EQ(phases("[\"new\"]"), "");
}

TEST(PlanTest, GateErrors) {
  EXPECT_EQ(errorOf(withLine("gates", "new_node_asr_min = 120")),
            "plan.toml:8: [gates] new_node_asr_min must be a number from 0 to 100, got 120");
  EXPECT_EQ(errorOf(withLine("gates", "new_node_asr_min = -0.5")),
            "plan.toml:8: [gates] new_node_asr_min must be a number from 0 to 100, got -0.5");
  EXPECT_EQ(errorOf(withLine("gates", "new_node_asr_min = nan")),
            "plan.toml:8: [gates] new_node_asr_min must be a number from 0 to 100, got nan");
  EXPECT_EQ(errorOf(withLine("gates", "max_5xx_per_min = -1")),
            "plan.toml:8: [gates] max_5xx_per_min must be a number >= 0, got -1");
  EXPECT_EQ(errorOf(withLine("gates", "max_408_per_min = inf")),
            "plan.toml:8: [gates] max_408_per_min must be a number >= 0, got inf");
  EXPECT_EQ(errorOf(withLine("gates", "max_reg_failures_per_min = true")),
            "plan.toml:8: [gates] max_reg_failures_per_min must be a number >= 0, got true");
  EXPECT_EQ(errorOf(withLine("gates", "max_new_node_latency_ms = \"250\"")),
            "plan.toml:8: [gates] max_new_node_latency_ms must be a number >= 0, got \"250\"");
  EXPECT_EQ(errorOf(withLine("gates", "min_calls = -1")),
            "plan.toml:8: [gates] min_calls must be an integer >= 0, got -1");
  EXPECT_EQ(errorOf(withLine("gates", "min_calls = 2.5")),
            "plan.toml:8: [gates] min_calls must be an integer >= 0, got 2.5");
  EXPECT_EQ(errorOf(withLine("gates", "interval = \"0s\"")),
            "plan.toml:8: [gates] interval must be longer than 0s");
  EXPECT_EQ(errorOf(withLine("gates", "window = \"1d\"")),
            "plan.toml:8: [gates] window: invalid duration \"1d\": unknown unit \"d\" (use ms, s, "
            "m or h)");
}

TEST(PlanTest, DrainErrors) {
  auto drain = [](const std::string& line) {
    return errorOf(std::string(kMinimal) + "[drain]\n" + line + "\n");  // line 9
  };
  EXPECT_EQ(drain("threshold = -2"),
            "plan.toml:9: [drain] threshold must be an integer >= 0, got -2");
  EXPECT_EQ(drain("interval = \"0ms\""), "plan.toml:9: [drain] interval must be longer than 0s");
  EXPECT_EQ(drain("timeout = \"\""),
            "plan.toml:9: [drain] timeout: invalid duration \"\": empty (expected e.g. 15s, 2m or "
            "4h)");
  EXPECT_EQ(drain("fs = \"10.0.1.30\""),
            "plan.toml:9: [drain] fs must be HOST:PORT such as 10.0.1.30:8021, got \"10.0.1.30\"");
  EXPECT_EQ(drain("fs = \"fs1:70000\""),
            "plan.toml:9: [drain] fs must be HOST:PORT such as 10.0.1.30:8021, got \"fs1:70000\"");
  EXPECT_EQ(drain("fs = \"[::1]:8021\""), "");
  EXPECT_EQ(drain("fs_password = \"\""),
            "plan.toml:9: [drain] fs_password must be one line of text, got \"\"");
}

TEST(PlanTest, EveryErrorIsReportedInLineOrder) {
  EXPECT_EQ(errorOf("[migration]\nname = \"a b\"\nsoak = \"x\"\nold = \"sip:a\"\n[gates]\n"
                    "asr_min = 101\n"),
            "plan.toml:2: [migration] name: invalid label \"a b\": use letters, digits, '.', '_' "
            "and '-' (at most 100)\n"
            "plan.toml:3: [migration] soak: invalid duration \"x\": expected digits, got \"x\"\n"
            "plan.toml:6: [gates] asr_min must be a number from 0 to 100, got 101\n"
            "plan.toml: [migration] new is required");
}

// ---- the round trip ----

Plan minimalPlan() {
  auto r = parsePlan(kMinimal, "plan.toml");
  EXPECT_TRUE(r) << r.message();
  return r ? *r : Plan{};
}

void expectRoundTrip(const Plan& plan) {
  const std::string text = renderPlan(plan);
  auto back = parsePlan(text, "rendered.toml");
  ASSERT_TRUE(back) << back.message() << "\n" << text;
  expectSamePlan(plan, *back);
  EXPECT_EQ(renderPlan(*back), text);
}

TEST(PlanTest, RoundTripOfTheMinimalPlan) { expectRoundTrip(minimalPlan()); }

TEST(PlanTest, RoundTripWithEveryGateAndFsDrain) {
  Plan p = minimalPlan();
  p.edge = "http://10.0.0.5:7060/rpc";
  p.set = 12;
  p.phases = {PhaseSpec{{Mode::kCanary, 5}, milliseconds(61'500)},
              PhaseSpec{{Mode::kCanary, 50}, milliseconds(61'500)},
              PhaseSpec{{Mode::kBoth, 0}, milliseconds(61'500)},
              PhaseSpec{{Mode::kNew, 0}, milliseconds(61'500)}};
  p.rollbackDeadline = milliseconds(5'400'000);
  p.snapshots = "snaps dir/with \"quotes\"";
  p.audit = "audit\\log.jsonl";
  p.store = "postgresql://tandem@db1,db2/tandem?target_session_attrs=read-write";
  p.operatorName = "Zoë";
  p.gates.interval = milliseconds(250);
  p.gates.window = milliseconds(90'000);
  p.gates.minCalls = 0;
  p.gates.asrMin = 92.25;
  p.gates.newNodeAsrMin = 80;
  p.gates.max5xxPerMin = 0;
  p.gates.max408PerMin = 0.1;
  p.gates.maxRegFailuresPerMin = 1e6;
  p.gates.maxNewNodeLatencyMs = 250;
  p.drain.threshold = 2;
  p.drain.interval = milliseconds(3'000);
  p.drain.timeout = milliseconds(36'000'000);
  p.drain.fs = "10.0.1.30:8021";
  p.drain.fsPassword = "p\"w";
  expectRoundTrip(p);
}

TEST(PlanTest, RoundTripWithTenantAndVerify) {
  Plan p = minimalPlan();
  p.tenant = "example.com";
  p.gates.asrMin.reset();
  p.gates.maxNewNodeLatencyMs = 300;
  p.phases = {PhaseSpec{{Mode::kNew, 0}, milliseconds(0)}};
  auto withVerify =
      parsePlan(std::string(kMinimal) + "[verify]\ncalls = 2\n[verify.a]\nb = [1, 2]\n", "v.toml");
  ASSERT_TRUE(withVerify) << withVerify.message();
  p.verifyToml = withVerify->verifyToml;
  expectRoundTrip(p);
}

TEST(PlanTest, RenderedFileIsCommented) {
  Plan p = minimalPlan();
  p.gates.max408PerMin = 5;
  const std::string text = renderPlan(p);
  EXPECT_NE(text.find("[migration]\n# the run's id in the store: letters, digits, '.', '_' and "
                      "'-'\nname = \"fs1-to-fs2\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# edge: not set\n"), std::string::npos) << text;
  EXPECT_NE(text.find("phases = [\"both\", \"new\"]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("soak = \"5m\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rollback_deadline = \"2h\"\n"), std::string::npos) << text;
  EXPECT_NE(text.find("asr_min = 90\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# new_node_asr_min: not set\n"), std::string::npos) << text;
  EXPECT_NE(text.find("max_408_per_min = 5\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("tenant"), std::string::npos) << text;
}

// ---- field by field ----

const PlanField& field(std::string_view label) {
  for (const auto& f : planFields()) {
    if (f.label == label) return f;
  }
  ADD_FAILURE() << "no field " << label;
  return planFields().front();
}

TEST(PlanFieldTest, FieldsInOrder) {
  std::string labels;
  for (const auto& f : planFields()) labels += std::string(f.label) + " ";
  EXPECT_EQ(labels,
            "name edge set or tenant old new phases soak rollback_deadline snapshots audit store "
            "operator gates.interval gates.window gates.min_calls gates.asr_min "
            "gates.new_node_asr_min gates.max_5xx_per_min gates.max_408_per_min "
            "gates.max_reg_failures_per_min gates.max_new_node_latency_ms drain.threshold "
            "drain.interval drain.timeout drain.fs drain.fs_password ");
  for (const auto& f : planFields()) EXPECT_FALSE(f.help.empty()) << f.label;
}

TEST(PlanFieldTest, AnswersGetTheFileChecksAndMessages) {
  Plan p = minimalPlan();
  EXPECT_EQ(setField(p, field("gates.asr_min"), "120").message(),
            "[gates] asr_min must be a number from 0 to 100, got 120");
  EXPECT_EQ(setField(p, field("gates.asr_min"), "high").message(),
            "[gates] asr_min must be a number from 0 to 100, got \"high\"");
  EXPECT_EQ(setField(p, field("gates.min_calls"), "2.5").message(),
            "[gates] min_calls must be an integer >= 0, got \"2.5\"");
  EXPECT_EQ(setField(p, field("gates.min_calls"), "99999999999999999999").message(),
            "[gates] min_calls must be an integer >= 0, got 99999999999999999999");
  EXPECT_EQ(setField(p, field("phases"), "canary:10, both").message(),
            "[migration] phases: the last phase must be \"new\", got \"both\"");
  EXPECT_EQ(setField(p, field("soak"), "5").message(),
            "[migration] soak: invalid duration \"5\": missing unit after 5 (use ms, s, m or h, "
            "e.g. 15s)");
  EXPECT_EQ(setField(p, field("new"), "sip:10.0.1.30:5060").message(),
            "[migration] old and new name the same destination \"sip:10.0.1.30:5060\"");
  EXPECT_EQ(setField(p, field("set or tenant"), "0").message(),
            "[migration] set must be a positive integer, got 0");
  EXPECT_EQ(setField(p, field("set or tenant"), "a b").message(),
            "[migration] tenant must be a domain name such as example.com, got \"a b\"");
  EXPECT_EQ(setField(p, field("name"), "a/b").message(),
            "[migration] name: invalid label \"a/b\": use letters, digits, '.', '_' and '-' (at "
            "most 100)");
  // Nothing changed by the refusals.
  EXPECT_EQ(renderPlan(p), renderPlan(minimalPlan()));
}

TEST(PlanFieldTest, AnswersSetAndClear) {
  Plan p = minimalPlan();
  ASSERT_TRUE(setField(p, field("phases"), "canary:10 canary:30,both,  new"));
  EXPECT_EQ(fieldText(p, field("phases")), "canary:10, canary:30, both, new");
  ASSERT_TRUE(setField(p, field("soak"), "90s"));
  EXPECT_EQ(fieldText(p, field("soak")), "1m30s");
  for (const auto& phase : p.phases) EXPECT_EQ(phase.soak, milliseconds(90'000));
  ASSERT_TRUE(setField(p, field("phases"), "both new"));
  EXPECT_EQ(p.phases[1].soak, milliseconds(90'000));  // the soak stays

  ASSERT_TRUE(setField(p, field("set or tenant"), "example.com"));
  EXPECT_EQ(p.tenant, "example.com");
  EXPECT_EQ(fieldText(p, field("set or tenant")), "example.com");
  ASSERT_TRUE(setField(p, field("set or tenant"), "4"));
  EXPECT_EQ(p.tenant, "");
  EXPECT_EQ(p.set, 4u);

  EXPECT_EQ(fieldText(p, field("gates.max_408_per_min")), "-");
  ASSERT_TRUE(setField(p, field("gates.max_408_per_min"), "2.5"));
  EXPECT_EQ(fieldText(p, field("gates.max_408_per_min")), "2.5");
  ASSERT_TRUE(setField(p, field("gates.asr_min"), "-"));
  EXPECT_FALSE(p.gates.asrMin);
  EXPECT_EQ(fieldText(p, field("gates.asr_min")), "-");
  ASSERT_TRUE(setField(p, field("drain.fs"), "fs1.example.com:8021"));
  ASSERT_TRUE(setField(p, field("drain.fs"), "-"));
  EXPECT_EQ(p.drain.fs, "");
  EXPECT_EQ(fieldText(p, field("edge")), "-");
  EXPECT_EQ(fieldText(p, field("rollback_deadline")), "2h");
}

TEST(PlanFieldTest, CheckPlan) {
  Plan p = minimalPlan();
  EXPECT_TRUE(checkPlan(p));
  p.gates.asrMin.reset();
  EXPECT_EQ(checkPlan(p).message(),
            "[gates] at least one gate is needed: asr_min, new_node_asr_min, max_5xx_per_min, "
            "max_408_per_min, max_reg_failures_per_min or max_new_node_latency_ms");
  p.oldUri.clear();
  EXPECT_EQ(checkPlan(p).message(), "[migration] old is required");
  Plan empty;
  EXPECT_EQ(checkPlan(empty).message(), "[migration] name is required");
}

}  // namespace
}  // namespace tandem::migrate
