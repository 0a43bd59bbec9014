// Tests of wizard.h: scripted sessions through streams, a runner that records what it was given.
#include "migrate/wizard.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

using std::chrono::milliseconds;

struct Outcome {
  int code = -1;
  std::string out;
  std::string err;
  int runs = 0;
  Plan plan;
  bool dryRun = false;
};

// Runs a session with the answers as input lines (the last one ends with a newline too).
Outcome session(const std::vector<std::string>& answers, WizardOptions options = {},
                int runnerCode = 0) {
  std::string input;
  for (const auto& a : answers) input += a + "\n";
  std::istringstream in(input);
  std::ostringstream out, err;
  Outcome o;
  o.code = runWizard(options, in, out, err, [&o, runnerCode](const Plan& plan, bool dryRun) {
    ++o.runs;
    o.plan = plan;
    o.dryRun = dryRun;
    return runnerCode;
  });
  o.out = out.str();
  o.err = err.str();
  return o;
}

// Answers to the 26 questions of a fresh session (file order, see planFields()).
std::vector<std::string> fullAnswers() {
  return {
      "fs1-to-fs2",                // 1 name
      "http://10.0.0.5:7060/rpc",  // 2 edge
      "3",                         // 3 set or tenant
      "sip:10.0.1.30:5060",        // 4 old
      "sip:10.0.1.31:5060",        // 5 new
      "canary:10, both, new",      // 6 phases
      "2m",                        // 7 soak
      "1h",                        // 8 rollback_deadline
      "snaps",                     // 9 snapshots
      "audit.jsonl",               // 10 audit
      "sqlite:run.db",             // 11 store
      "alice",                     // 12 operator
      "10s",                       // 13 gates.interval
      "2m",                        // 14 gates.window
      "30",                        // 15 gates.min_calls
      "90",                        // 16 gates.asr_min
      "85.5",                      // 17 gates.new_node_asr_min
      "10",                        // 18 gates.max_5xx_per_min
      "",                          // 19 gates.max_408_per_min (stays unset)
      "20",                        // 20 gates.max_reg_failures_per_min
      "250",                       // 21 gates.max_new_node_latency_ms
      "1",                         // 22 drain.threshold
      "5s",                        // 23 drain.interval
      "30m",                       // 24 drain.timeout
      "10.0.1.30:8021",            // 25 drain.fs
      "s3cret",                    // 26 drain.fs_password
  };
}

std::vector<std::string> plus(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> enters(size_t n) { return std::vector<std::string>(n, ""); }

constexpr const char* kPlanFile = R"([migration]
name = "from-file"
tenant = "example.com"
old = "sip:10.0.1.30:5060"
new = "sip:10.0.1.31:5060"
phases = ["canary:5", "new"]
soak = "30s"

[gates]
max_5xx_per_min = 3

[drain]
fs = "fs1:8021"

[verify]
calls = 2
)";

TEST(WizardTest, FullSessionGivesThePlan) {
  auto o = session(plus(fullAnswers(), {"", "live"}), {}, 3);
  EXPECT_EQ(o.code, 3);  // the runner's status
  EXPECT_EQ(o.err, "");
  ASSERT_EQ(o.runs, 1);
  EXPECT_FALSE(o.dryRun);
  const Plan& p = o.plan;
  EXPECT_EQ(p.name, "fs1-to-fs2");
  EXPECT_EQ(p.edge, "http://10.0.0.5:7060/rpc");
  EXPECT_EQ(p.set, 3u);
  EXPECT_EQ(p.tenant, "");
  EXPECT_EQ(p.oldUri, "sip:10.0.1.30:5060");
  EXPECT_EQ(p.newUri, "sip:10.0.1.31:5060");
  ASSERT_EQ(p.phases.size(), 3u);
  EXPECT_EQ(modeName(p.phases[0].mode), "canary:10");
  EXPECT_EQ(modeName(p.phases[1].mode), "both");
  EXPECT_EQ(modeName(p.phases[2].mode), "new");
  for (const auto& phase : p.phases) EXPECT_EQ(phase.soak, milliseconds(120'000));
  EXPECT_EQ(p.rollbackDeadline, milliseconds(3'600'000));
  EXPECT_EQ(p.snapshots, "snaps");
  EXPECT_EQ(p.audit, "audit.jsonl");
  EXPECT_EQ(p.store, "sqlite:run.db");
  EXPECT_EQ(p.operatorName, "alice");
  EXPECT_EQ(p.gates.interval, milliseconds(10'000));
  EXPECT_EQ(p.gates.window, milliseconds(120'000));
  EXPECT_EQ(p.gates.minCalls, 30u);
  EXPECT_EQ(p.gates.asrMin, 90.0);
  EXPECT_EQ(p.gates.newNodeAsrMin, 85.5);
  EXPECT_EQ(p.gates.max5xxPerMin, 10.0);
  EXPECT_FALSE(p.gates.max408PerMin);
  EXPECT_EQ(p.gates.maxRegFailuresPerMin, 20.0);
  EXPECT_EQ(p.gates.maxNewNodeLatencyMs, 250.0);
  EXPECT_EQ(p.drain.threshold, 1u);
  EXPECT_EQ(p.drain.interval, milliseconds(5'000));
  EXPECT_EQ(p.drain.timeout, milliseconds(1'800'000));
  EXPECT_EQ(p.drain.fs, "10.0.1.30:8021");
  EXPECT_EQ(p.drain.fsPassword, "s3cret");
  EXPECT_EQ(p.verifyToml, "");
}

TEST(WizardTest, QuestionsShowHelpAndCurrentValue) {
  auto o = session(plus(fullAnswers(), {"", ""}));
  EXPECT_NE(o.out.find("[1/26] name: the run's id in the store: letters, digits, '.', '_' and "
                       "'-'\nname []: "),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("[6/26] phases: "), std::string::npos);
  EXPECT_NE(o.out.find("\nphases [both, new]: "), std::string::npos);
  EXPECT_NE(o.out.find("\nsoak [5m]: "), std::string::npos);
  EXPECT_NE(o.out.find("(- to unset)\ngates.asr_min [-]: "), std::string::npos);
  EXPECT_NE(o.out.find("\ndrain.fs_password [ClueCon]: "), std::string::npos);
  // The summary, numbered, the password hidden.
  EXPECT_NE(o.out.find("\n  1  name                            fs1-to-fs2\n"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("\n 16  gates.asr_min                   90\n"), std::string::npos);
  EXPECT_NE(o.out.find("\n 19  gates.max_408_per_min           -\n"), std::string::npos);
  EXPECT_NE(o.out.find("\n 26  drain.fs_password               ***\n"), std::string::npos);
  EXPECT_NE(o.out.find("Field number to change, or Enter to confirm: dry run or live run? [dry]: "),
            std::string::npos);
}

TEST(WizardTest, InvalidAnswerIsAskedAgainWithTheError) {
  auto answers = fullAnswers();
  answers[15] = "120";  // gates.asr_min
  answers.insert(answers.begin() + 16, "high");
  answers.insert(answers.begin() + 17, "95");
  answers[5] = "canary:10, both";  // phases
  answers.insert(answers.begin() + 6, "both new");
  answers[4] = "sip:10.0.1.30:5060";  // new == old
  answers.insert(answers.begin() + 5, "sip:10.0.1.31:5060");
  auto o = session(plus(answers, {"", ""}));
  EXPECT_EQ(o.code, 0);
  ASSERT_EQ(o.runs, 1);
  EXPECT_EQ(o.plan.gates.asrMin, 95.0);
  EXPECT_EQ(o.plan.phases.size(), 2u);
  EXPECT_EQ(o.plan.newUri, "sip:10.0.1.31:5060");
  EXPECT_NE(o.out.find("gates.asr_min [-]: [gates] asr_min must be a number from 0 to 100, got "
                       "120\ngates.asr_min [-]: [gates] asr_min must be a number from 0 to 100, "
                       "got \"high\"\ngates.asr_min [-]: "),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("phases [both, new]: [migration] phases: the last phase must be \"new\", "
                       "got \"both\"\nphases [both, new]: "),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("new []: [migration] old and new name the same destination "
                       "\"sip:10.0.1.30:5060\"\nnew []: "),
            std::string::npos)
      << o.out;
}

TEST(WizardTest, RequiredFieldIsNotSkipped) {
  auto o = session(plus({""}, plus(fullAnswers(), {"", ""})));
  EXPECT_NE(o.out.find("name []: [migration] name is required\nname []: "), std::string::npos)
      << o.out;
  EXPECT_EQ(o.plan.name, "fs1-to-fs2");
}

TEST(WizardTest, EditByNumber) {
  auto o = session(plus(fullAnswers(), {"16", "99", "0", "3", "example.com", "", "live"}));
  ASSERT_EQ(o.runs, 1);
  EXPECT_EQ(o.plan.gates.asrMin, 99.0);
  EXPECT_EQ(o.plan.tenant, "example.com");
  EXPECT_NE(o.out.find("[16/26] gates.asr_min"), std::string::npos);
  EXPECT_NE(o.out.find("\ngates.asr_min [90]: "), std::string::npos);
  EXPECT_NE(o.out.find("no field \"0\": type a number from 1 to 26, or Enter to confirm\n"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("\n 16  gates.asr_min                   99\n"), std::string::npos);
  EXPECT_NE(o.out.find("\n  3  set or tenant                   example.com\n"), std::string::npos);
}

TEST(WizardTest, AtLeastOneGateBeforeConfirming) {
  auto answers = fullAnswers();
  for (size_t i = 15; i <= 20; ++i) answers[i] = "-";
  auto o = session(plus(answers, {"", "19", "5", "", ""}));
  ASSERT_EQ(o.runs, 1);
  EXPECT_NE(o.out.find("Field number to change, or Enter to confirm: [gates] at least one gate is "
                       "needed: asr_min, new_node_asr_min, max_5xx_per_min, max_408_per_min, "
                       "max_reg_failures_per_min or max_new_node_latency_ms\n"),
            std::string::npos)
      << o.out;
  EXPECT_FALSE(o.plan.gates.asrMin);
  EXPECT_EQ(o.plan.gates.max408PerMin, 5.0);
}

TEST(WizardTest, RunnerGetsDryOrLive) {
  auto dry = session(plus(fullAnswers(), {"", ""}));
  ASSERT_EQ(dry.runs, 1);
  EXPECT_TRUE(dry.dryRun);
  auto dry2 = session(plus(fullAnswers(), {"", "maybe", "dry"}));
  ASSERT_EQ(dry2.runs, 1);
  EXPECT_TRUE(dry2.dryRun);
  EXPECT_NE(dry2.out.find("[dry]: answer dry or live\ndry run or live run? [dry]: "),
            std::string::npos);
  auto live = session(plus(fullAnswers(), {"", "live"}));
  ASSERT_EQ(live.runs, 1);
  EXPECT_FALSE(live.dryRun);
}

TEST(WizardTest, PreloadedPlanKeptThroughEnter) {
  test::TempDir dir;
  test::writeFile(dir.file("plan.toml"), kPlanFile);
  WizardOptions options;
  options.planFile = dir.file("plan.toml");
  auto o = session(plus(enters(26), {"", ""}), options);
  EXPECT_EQ(o.code, 0);
  ASSERT_EQ(o.runs, 1);
  auto expected = parsePlan(kPlanFile, "plan.toml");
  ASSERT_TRUE(expected) << expected.message();
  EXPECT_EQ(renderPlan(o.plan), renderPlan(*expected));
  EXPECT_EQ(o.plan.tenant, "example.com");
  EXPECT_EQ(o.plan.verifyToml, "[verify]\ncalls = 2\n");
  EXPECT_NE(o.out.find("\nset or tenant [example.com]: "), std::string::npos);
  EXPECT_NE(o.out.find("\nphases [canary:5, new]: "), std::string::npos);
  EXPECT_NE(o.out.find("[verify] kept as read from the plan file"), std::string::npos);
}

TEST(WizardTest, PreloadErrorsStop) {
  test::TempDir dir;
  test::writeFile(dir.file("bad.toml"), "[migration]\nname = \"x\"\nset = 0\n");
  WizardOptions options;
  options.planFile = dir.file("bad.toml");
  auto o = session(enters(40), options);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.runs, 0);
  EXPECT_EQ(o.out, "");
  const std::string f = dir.file("bad.toml");
  EXPECT_EQ(o.err, f + ":3: [migration] set must be a positive integer, got 0\n" + f +
                       ": [migration] old is required\n" + f + ": [migration] new is required\n" +
                       f +
                       ": [gates] at least one gate is needed: asr_min, new_node_asr_min, "
                       "max_5xx_per_min, max_408_per_min, max_reg_failures_per_min or "
                       "max_new_node_latency_ms\n");
  options.planFile = dir.file("missing.toml");
  o = session(enters(40), options);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err,
            "wizard: cannot read " + dir.file("missing.toml") + ": No such file or directory\n");
}

TEST(WizardTest, OutputFileReadsBack) {
  test::TempDir dir;
  WizardOptions options;
  options.outFile = dir.file("out.toml");
  options.noRun = true;
  auto o = session(plus(fullAnswers(), {""}), options);
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.runs, 0);  // --no-run
  EXPECT_NE(o.out.find("wrote " + options.outFile + "\n"), std::string::npos);
  EXPECT_EQ(o.out.find("dry run or live run?"), std::string::npos);
  const std::string text = test::readFile(options.outFile);
  auto back = parsePlan(text, "out.toml");
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(renderPlan(*back), text);
  EXPECT_EQ(back->name, "fs1-to-fs2");
  EXPECT_EQ(back->drain.fsPassword, "s3cret");

  // -o before a run: the file is there whatever the run does.
  options.noRun = false;
  options.outFile = dir.file("out2.toml");
  o = session(plus(fullAnswers(), {"", ""}), options, 4);
  EXPECT_EQ(o.code, 4);
  EXPECT_EQ(test::readFile(options.outFile), text);
}

TEST(WizardTest, NoRunWithoutOutputPrintsThePlan) {
  WizardOptions options;
  options.noRun = true;
  auto o = session(plus(fullAnswers(), {""}), options);
  EXPECT_EQ(o.code, 0);
  EXPECT_EQ(o.runs, 0);
  auto back = parsePlan(o.out.substr(o.out.find("# A tandem migration plan")), "stdout");
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back->name, "fs1-to-fs2");
}

TEST(WizardTest, EndOfInputAborts) {
  test::TempDir dir;
  WizardOptions options;
  options.outFile = dir.file("out.toml");
  const std::string aborted =
      "\nwizard: input ended before the plan was confirmed; nothing was run\n";
  // In the questions.
  auto o = session({"fs1-to-fs2", ""}, options);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.runs, 0);
  EXPECT_EQ(o.err, aborted);
  EXPECT_EQ(test::readFile(options.outFile), "");
  // In the summary.
  o = session(fullAnswers(), options);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, aborted);
  EXPECT_EQ(test::readFile(options.outFile), "");
  // While editing a field again.
  o = session(plus(fullAnswers(), {"4"}), options);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.err, aborted);
  // At dry or live: the plan was confirmed (and written), nothing run.
  o = session(plus(fullAnswers(), {""}), options);
  EXPECT_EQ(o.code, 1);
  EXPECT_EQ(o.runs, 0);
  EXPECT_EQ(o.err, "\nwizard: input ended before dry or live was chosen; nothing was run\n");
}

}  // namespace
}  // namespace tandem::migrate
