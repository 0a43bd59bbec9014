// The subcommands' entry points: what they print, write and return, the audit line, and argument
// errors.
#include "migrate/migrate.h"

#include <gtest/gtest.h>

#include <sstream>

#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

using nlohmann::json;

const SystemTime kT0 = std::chrono::system_clock::from_time_t(1714564800);  // 2024-05-01 12:00

struct Streams {
  std::ostringstream out;
  std::ostringstream err;
};

TEST(RunProfile, PrintsToStdoutOrWritesTheFile) {
  Streams s;
  ProfileArgs args{"canary:10", "sip:10.0.1.30:5060", "sip:10.0.1.31:5060", 4, "kamailio", ""};
  EXPECT_EQ(runProfile(args, s.out, s.err), kExitOk);
  EXPECT_NE(s.out.str().find("4 sip:10.0.1.31:5060 0 0 weight=10\n"), std::string::npos);

  test::TempDir dir;
  args.format = "tandem";
  args.output = dir.file("p.json");
  Streams w;
  EXPECT_EQ(runProfile(args, w.out, w.err), kExitOk);
  EXPECT_EQ(w.out.str(), "wrote " + args.output +
                             " (mode canary:10, set 4; old sip:10.0.1.30:5060 active weight=90; "
                             "new sip:10.0.1.31:5060 active weight=10)\n");
  auto back = loadProfile(test::readFile(args.output), args.output);
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back->set, 4u);
}

TEST(RunProfile, ErrorsGoToStderrWithExitOne) {
  Streams s;
  ProfileArgs args{"canary:150", "sip:a", "sip:b", 1, "tandem", ""};
  EXPECT_EQ(runProfile(args, s.out, s.err), kExitFailed);
  EXPECT_EQ(s.err.str(),
            "error: canary percentage must be an integer from 1 to 99, got \"150\" (use old for 0 "
            "and new for 100)\n");
  Streams u;
  args.mode = "both";
  args.oldUri = "fs1";
  EXPECT_EQ(runProfile(args, u.out, u.err), kExitFailed);
  EXPECT_EQ(u.err.str(),
            "error: invalid --old URI \"fs1\": expected a sip: or sips: URI such as "
            "sip:10.0.1.30:5060\n");
}

class RunApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProfileArgs p{"both",   "sip:10.0.1.30:5060",  "sip:10.0.1.31:5060", 1,
                  "tandem", dir_.file("both.json")};
    Streams s;
    ASSERT_EQ(runProfile(p, s.out, s.err), kExitOk) << s.err.str();
    args_.profile = p.output;
    args_.audit = dir_.file("audit.jsonl");
    args_.operatorName = "alice";
    args_.now = [] { return kT0; };
  }

  std::vector<json> auditLines() {
    std::vector<json> out;
    std::istringstream in(test::readFile(args_.audit));
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

  test::TempDir dir_;
  ApplyArgs args_;
  test::FakeTandemEdge edge_{"1 sip:10.0.1.30:5060 0 0 weight=100\n"};
};

TEST_F(RunApplyTest, AppliesAndWritesOneAuditLine) {
  edge_.startCalls(1, "sip:10.0.1.30:5060", 2);
  Streams s;
  EXPECT_EQ(runApplyWith(args_, edge_, s.out, s.err), kExitOk) << s.err.str();
  EXPECT_NE(s.out.str().find("applied both to set 1 at http://fake-edge/rpc, verified with "
                             "dispatcher.list\naudit: " +
                             args_.audit + "\n"),
            std::string::npos)
      << s.out.str();
  auto lines = auditLines();
  ASSERT_EQ(lines.size(), 1u);
  const json& a = lines[0];
  EXPECT_EQ(a["who"], "alice");
  EXPECT_EQ(a["when"], "2024-05-01T12:00:00Z");
  EXPECT_EQ(a["kind"], "tandem");
  EXPECT_EQ(a["edge"], "http://fake-edge/rpc");
  EXPECT_EQ(a["set"], 1);
  EXPECT_EQ(a["mode"], "both");
  EXPECT_EQ(a["result"], "ok");
  ASSERT_EQ(a["from"].size(), 1u);
  EXPECT_EQ(a["from"][0]["URI"], "sip:10.0.1.30:5060");
  EXPECT_EQ(a["from"][0]["ACTIVE_CALLS"], 2);
  EXPECT_EQ(a["to"]["mode"], "both");
  EXPECT_EQ(a["to"]["destinations"].size(), 2u);
  EXPECT_EQ(a["steps"].size(), 2u);
  EXPECT_EQ(a["calls"], 3);
  EXPECT_FALSE(a.contains("error"));

  // A second apply appends.
  Streams again;
  EXPECT_EQ(runApplyWith(args_, edge_, again.out, again.err), kExitOk);
  EXPECT_EQ(auditLines().size(), 2u);
}

TEST_F(RunApplyTest, AFailedApplyIsAuditedToo) {
  edge_.failing["dispatcher.add"] = "nope";
  Streams s;
  EXPECT_EQ(runApplyWith(args_, edge_, s.out, s.err), kExitFailed);
  EXPECT_EQ(s.err.str(),
            "error: sip:10.0.1.31:5060: dispatcher.add: error 500: nope (after 0 successful "
            "calls)\n");
  auto lines = auditLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["result"], "failed");
  EXPECT_EQ(lines[0]["error"],
            "sip:10.0.1.31:5060: dispatcher.add: error 500: nope (after 0 successful calls)");
}

TEST_F(RunApplyTest, DryRunPrintsTheStepsAndWritesNoAudit) {
  Streams s;
  args_.dryRun = true;
  EXPECT_EQ(runApplyWith(args_, edge_, s.out, s.err), kExitOk);
  EXPECT_EQ(s.out.str(),
            "dry run: set 1 at http://fake-edge/rpc to both\n"
            "  sip:10.0.1.31:5060: add, weight=50\n"
            "      dispatcher.add [1,\"sip:10.0.1.31:5060\",0,0,\"weight=50\"]\n"
            "  sip:10.0.1.30:5060: re-weight 100 -> 50 (remove + add: keeps its id, dialogs and "
            "calls)\n"
            "      dispatcher.remove [1,\"sip:10.0.1.30:5060\"]\n"
            "      dispatcher.add [1,\"sip:10.0.1.30:5060\",0,0,\"weight=50\"]\n");
  EXPECT_EQ(test::readFile(args_.audit), "");
}

TEST_F(RunApplyTest, UnwritableAuditLogStopsBeforeAnyChange) {
  args_.audit = dir_.file("no/such/dir/audit.jsonl");
  Streams s;
  EXPECT_EQ(runApplyWith(args_, edge_, s.out, s.err), kExitFailed);
  EXPECT_EQ(s.err.str(),
            "error: audit log " + args_.audit + ": No such file or directory (nothing changed)\n");
  EXPECT_TRUE(edge_.calls.empty());
}

TEST_F(RunApplyTest, BadProfileFileIsAnError) {
  test::writeFile(args_.profile, "{\"format\":\"tandem-migrate-profile\",\"version\":2}");
  Streams s;
  EXPECT_EQ(runApplyWith(args_, edge_, s.out, s.err), kExitFailed);
  EXPECT_EQ(s.err.str(), "error: " + args_.profile + ": \"version\" must be 1\n");
}

TEST_F(RunApplyTest, KamailioApplyOverHttpIsAuditedWithItsBackup) {
  std::string list = dir_.file("dispatcher.list");
  test::writeFile(list, "1 sip:10.0.1.30:5060 0 0 weight=100\n");
  test::FakeKamailio kamailio(list);
  ASSERT_TRUE(kamailio.handle("dispatcher.reload", json::array()));
  test::FakeRpcServer server(
      "/RPC", [&](const std::string& m, const json& p) { return kamailio.handle(m, p); });
  args_.kamailioList = list;
  args_.kamailioUrl = server.url();
  Streams s;
  EXPECT_EQ(runApply(args_, s.out, s.err), kExitOk) << s.err.str();
  auto lines = auditLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["kind"], "kamailio");
  EXPECT_EQ(lines[0]["list_file"], list);
  EXPECT_EQ(lines[0]["backup"], list + ".bak.20240501T120000Z");
  EXPECT_EQ(lines[0]["result"], "ok");
  EXPECT_EQ(lines[0]["from"][0]["FLAGS"], "AX");
}

TEST_F(RunApplyTest, KamailioVerificationFailureIsAuditedAsRestored) {
  std::string list = dir_.file("dispatcher.list");
  test::writeFile(list, "1 sip:10.0.1.30:5060 0 0 weight=100\n");
  test::FakeKamailio kamailio(list);
  kamailio.forceFlags = "TX";
  test::FakeRpcServer server(
      "/RPC", [&](const std::string& m, const json& p) { return kamailio.handle(m, p); });
  args_.kamailioList = list;
  args_.kamailioUrl = server.url() + "/RPC";
  Streams s;
  EXPECT_EQ(runApply(args_, s.out, s.err), kExitFailed);
  auto lines = auditLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["result"], "restored");
  EXPECT_TRUE(lines[0]["from"].is_null());
  EXPECT_EQ(lines[0]["from_error"], "error 500: No Destination Sets");
  EXPECT_EQ(test::readFile(list), "1 sip:10.0.1.30:5060 0 0 weight=100\n");
}

TEST(RunApply, KamailioFlagsComeInPairs) {
  Streams s;
  ApplyArgs args;
  args.profile = "p.json";
  args.kamailioList = "/etc/kamailio/dispatcher.list";
  EXPECT_EQ(runApply(args, s.out, s.err), kExitFailed);
  EXPECT_EQ(s.err.str(),
            "error: --kamailio-list needs --kamailio-url (Kamailio's jsonrpcs, e.g. "
            "http://127.0.0.1:5071/RPC)\n");
  Streams t;
  args.kamailioList.clear();
  args.kamailioUrl = "http://127.0.0.1:5071/RPC";
  EXPECT_EQ(runApply(args, t.out, t.err), kExitFailed);
  EXPECT_EQ(t.err.str(),
            "error: --kamailio-url needs --kamailio-list (the file Kamailio's dispatcher reads)\n");
}

TEST(RunSnapshotAndDiff, WriteThenCompare) {
  test::TempDir dir;
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.metrics = "tandem_sip_replies_total{code=\"200\"} 100\n";
  SnapshotArgs args{"", "before", dir.file("snaps"), 5.0};
  Streams a;
  ASSERT_EQ(runSnapshotWith(args, edge, kT0, a.out, a.err), kExitOk) << a.err.str();
  std::string first = dir.file("snaps") + "/20240501T120000Z-before.json";
  EXPECT_EQ(a.out.str(), first + "\n");
  EXPECT_EQ(a.err.str(),
            "note: no answer-seizure ratio: the edge does not count call outcomes\n"
            "note: no registrations count: ul.stats: error -32601: Method not found\n");

  edge.metrics =
      "tandem_sip_replies_total{code=\"200\"} 150\n"
      "tandem_sip_replies_total{code=\"503\"} 10\n";
  args.label = "after";
  Streams b;
  ASSERT_EQ(runSnapshotWith(args, edge, kT0 + std::chrono::minutes(5), b.out, b.err), kExitOk);
  std::string second = dir.file("snaps") + "/20240501T120500Z-after.json";

  Streams d;
  EXPECT_EQ(runDiff(DiffArgs{first, second, false}, d.out, d.err), kExitOk);
  EXPECT_NE(d.out.str().find("new 5xx: 10 (16.67% of 60 final replies; 0.00% up to A)\n"),
            std::string::npos)
      << d.out.str();
  Streams f;
  EXPECT_EQ(runDiff(DiffArgs{first, second, true}, f.out, f.err), kDiffRegression);
  Streams g;
  EXPECT_EQ(runDiff(DiffArgs{second, second, true}, g.out, g.err), kExitOk);
}

TEST(RunDiff, UnreadableSnapshotIsExitTwo) {
  Streams s;
  EXPECT_EQ(runDiff(DiffArgs{"/nonexistent/a.json", "/nonexistent/b.json", true}, s.out, s.err),
            kDiffError);
  EXPECT_EQ(s.err.str(), "error: cannot read /nonexistent/a.json: No such file or directory\n");
}

TEST(RunDrain, BadArgumentsAreExitOne) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  DrainDeps deps{[] { return int64_t{0}; }, [](std::chrono::milliseconds) {}};
  auto run = [&](const DrainArgs& args) {
    Streams s;
    int code = runDrainWith(args, edge, deps, s.out, s.err);
    EXPECT_EQ(code, kDrainError);
    return s.err.str();
  };
  DrainArgs args;
  args.node = "sip:10.0.1.30:5060";
  args.interval = "15";
  EXPECT_EQ(run(args),
            "error: --interval: invalid duration \"15\": missing unit after 15 (use ms, s, m or h, "
            "e.g. 15s)\n");
  args.interval = "0s";
  EXPECT_EQ(run(args), "error: --interval must be more than 0\n");
  args.interval = "15s";
  args.timeout = "4 hours";
  EXPECT_EQ(run(args),
            "error: --timeout: invalid duration \"4 hours\": unknown unit \" hours\" (use ms, s, m "
            "or h)\n");
  args.timeout = "4h";
  args.node = "10.0.1.30";
  EXPECT_EQ(run(args),
            "error: invalid --node URI \"10.0.1.30\": expected a sip: or sips: URI such as "
            "sip:10.0.1.30:5060\n");
  args.node = "sip:10.0.1.30:5060";
  args.set = 0;
  EXPECT_EQ(run(args), "error: --set must be a positive integer, got 0\n");
  EXPECT_TRUE(edge.calls.empty());
}

}  // namespace
}  // namespace tandem::migrate
