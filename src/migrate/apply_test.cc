// Applying profiles to a tandem edge: the plan for each transition, execution against a fake edge
// backed by a real Dispatcher (dialogs keep their node), verification, and each failure mode.
#include "migrate/apply.h"

#include <gtest/gtest.h>

#include <sstream>

#include "migrate/migrate.h"
#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

constexpr const char* kOld = "sip:10.0.1.30:5060";
constexpr const char* kNew = "sip:10.0.1.31:5060";

Profile make(std::string_view mode, uint32_t set = 1) {
  auto p = makeProfile(*parseMode(mode), kOld, kNew, set);
  EXPECT_TRUE(p) << p.message();
  return *p;
}

std::vector<ListedDest> listSet(test::FakeTandemEdge& edge, uint32_t set = 1) {
  auto r = callResult(edge, "dispatcher.list");
  EXPECT_TRUE(r) << r.message();
  auto rows = parseDispatcherList(*r);
  EXPECT_TRUE(rows) << rows.message();
  return rowsOfSet(*rows, set);
}

// "uri state weight calls" per destination of set 1, for compact assertions.
std::string state(test::FakeTandemEdge& edge) {
  std::string out;
  for (const auto& r : listSet(edge)) {
    if (!out.empty()) out += " | ";
    out += r.uri.substr(4) + " " + r.state + " w" + std::to_string(r.weight) + " c" +
           std::to_string(r.activeCalls.value_or(0));
  }
  return out;
}

// Only the calls that change something (dispatcher.list excluded).
std::vector<std::string> changes(const test::FakeTandemEdge& edge) {
  std::vector<std::string> out;
  for (const auto& c : edge.calls) {
    if (!c.starts_with("dispatcher.list")) out.push_back(c);
  }
  return out;
}

void expectApplied(test::FakeTandemEdge& edge, std::string_view mode) {
  ApplyReport r = applyTandem(edge, make(mode), false);
  EXPECT_TRUE(r.status) << mode << ": " << r.status.message();
  EXPECT_TRUE(r.mismatches.empty());
}

TEST(PlanTandem, FromOldAloneToCanaryAddsTheNewNodeBeforeReweightingTheOld) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  TandemPlan plan = planTandem(make("canary:10"), listSet(edge));
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].uri, kNew);
  EXPECT_EQ(plan.steps[0].what, "add, weight=10");
  ASSERT_EQ(plan.steps[0].calls.size(), 1u);
  EXPECT_EQ(plan.steps[0].calls[0].params.dump(), R"([1,"sip:10.0.1.31:5060",0,0,"weight=10"])");
  EXPECT_EQ(plan.steps[1].uri, kOld);
  EXPECT_EQ(plan.steps[1].what,
            "re-weight 100 -> 90 (remove + add: keeps its id, dialogs and calls)");
  ASSERT_EQ(plan.steps[1].calls.size(), 2u);
  EXPECT_EQ(plan.steps[1].calls[0].method, "dispatcher.remove");
  EXPECT_EQ(plan.steps[1].calls[1].params.dump(), R"([1,"sip:10.0.1.30:5060",0,0,"weight=90"])");
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(PlanTandem, ToNewDrainsTheOldNodeLast) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=50\n1 sip:10.0.1.31:5060 0 0 weight=50\n");
  edge.startCalls(1, kOld, 3);
  TandemPlan plan = planTandem(make("new"), listSet(edge));
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].uri, kNew);
  EXPECT_EQ(plan.steps[1].uri, kOld);
  EXPECT_EQ(plan.steps[1].what, "set state drain (was active, 3 calls finish there)");
  EXPECT_EQ(plan.steps[1].calls[0].params.dump(), R"(["drain",1,"sip:10.0.1.30:5060"])");
}

TEST(PlanTandem, KeepsOtherAttrsAndTheProbingFlagWhenReweighting) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 8 0 duid=fs1;weight=50;maxload=20\n"
      "1 sip:10.0.1.31:5060 0 0 weight=50\n");
  TandemPlan plan = planTandem(make("canary:20"), listSet(edge));
  ASSERT_EQ(plan.steps.size(), 2u);
  ASSERT_EQ(plan.steps[0].calls.size(), 2u);
  EXPECT_EQ(plan.steps[0].calls[1].params.dump(),
            R"([1,"sip:10.0.1.30:5060",8,0,"duid=fs1;weight=80;maxload=20"])");
}

TEST(PlanTandem, AnAbsentLeavingNodeNeedsNothing) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  TandemPlan plan = planTandem(make("old"), listSet(edge));
  EXPECT_FALSE(plan.changes());
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].what, "already active, weight=100: nothing to do");
  EXPECT_EQ(plan.steps[1].what, "not in the set: nothing to drain");
}

TEST(PlanTandem, NeverEmptiesTheSetToReweightItsOnlyUsableDestination) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=50\n1 sip:10.0.1.31:5060 0 0 weight=50\n");
  ASSERT_TRUE(edge.dispatcher().setState(1, kNew, dispatcher::State::kDrain));
  TandemPlan plan = planTandem(make("old"), listSet(edge));
  EXPECT_FALSE(plan.changes());
  EXPECT_EQ(plan.steps[0].what,
            "weight stays 50: the only usable destination of the set takes every new dialog "
            "whatever its weight, and a remove + add would leave the set empty for a moment");
}

TEST(PlanTandem, WarnsAboutOtherDestinationsAndForcedHealth) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=100\n1 sip:10.0.1.31:5060 1 0 weight=50\n"
      "1 sip:10.0.1.99:5060 0 0 weight=10\n");
  TandemPlan plan = planTandem(make("both"), listSet(edge));
  ASSERT_EQ(plan.warnings.size(), 2u);
  EXPECT_EQ(plan.warnings[0],
            "sip:10.0.1.31:5060: its health is inactive (pings unanswered); forcing it active "
            "sends new dialogs to it until the prober marks it down again");
  EXPECT_EQ(plan.warnings[1],
            "sip:10.0.1.99:5060 is also in set 1 and is left as it is: the profile's weights are "
            "then not exact percentages");
}

TEST(ApplyTandem, AFullMigrationKeepsEveryCallOnItsNode) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.startCalls(1, kOld, 5);
  expectApplied(edge, "canary:10");
  EXPECT_EQ(state(edge), "10.0.1.31:5060 active w10 c0 | 10.0.1.30:5060 active w90 c5");
  edge.startCalls(1, kNew, 2);
  expectApplied(edge, "both");
  // (A re-weighted destination moves to the end of the listing: it was added again.)
  EXPECT_EQ(state(edge), "10.0.1.30:5060 active w50 c5 | 10.0.1.31:5060 active w50 c2");
  expectApplied(edge, "new");
  EXPECT_EQ(state(edge), "10.0.1.30:5060 drain w50 c5 | 10.0.1.31:5060 active w100 c2");
  // Rollback: the new node drains, its two calls stay; the old one takes new dialogs again.
  expectApplied(edge, "old");
  EXPECT_EQ(state(edge), "10.0.1.31:5060 drain w100 c2 | 10.0.1.30:5060 active w100 c5");
}

TEST(ApplyTandem, ReweightKeepsTheDestinationIdAndCalls) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=50\n1 sip:10.0.1.31:5060 0 0 weight=50\n");
  edge.startCalls(1, kOld, 4);
  dispatcher::DestId before = edge.find(1, kOld)->id;
  expectApplied(edge, "canary:25");
  const dispatcher::Destination* after = edge.find(1, kOld);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->id, before);
  EXPECT_EQ(after->activeCalls, 4u);
  EXPECT_EQ(after->attrs.weight, 75u);
}

TEST(ApplyTandem, ASecondApplyChangesNothing) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  expectApplied(edge, "both");
  edge.calls.clear();
  ApplyReport r = applyTandem(edge, make("both"), false);
  EXPECT_TRUE(r.status);
  EXPECT_FALSE(r.plan.changes());
  EXPECT_EQ(r.callsMade, 0u);
  EXPECT_TRUE(changes(edge).empty());
}

TEST(ApplyTandem, DryRunCallsOnlyDispatcherList) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  ApplyReport r = applyTandem(edge, make("new"), true);
  EXPECT_TRUE(r.status);
  EXPECT_TRUE(r.plan.changes());
  EXPECT_EQ(edge.calls, (std::vector<std::string>{"dispatcher.list []"}));
}

TEST(ApplyTandem, ADrainedNodeComesBackActive) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=50\n1 sip:10.0.1.31:5060 0 0 weight=50\n");
  ASSERT_TRUE(edge.dispatcher().setState(1, kOld, dispatcher::State::kDrain));
  edge.startCalls(1, kOld, 1);
  expectApplied(edge, "canary:30");
  EXPECT_EQ(state(edge), "10.0.1.30:5060 active w70 c1 | 10.0.1.31:5060 active w30 c0");
}

TEST(ApplyTandem, OnlyTheProfilesSetIsTouched) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=100\n2 sip:10.0.1.30:5060 0 0 weight=100\n");
  ApplyReport r = applyTandem(edge, make("new", 2), false);
  ASSERT_TRUE(r.status) << r.status.message();
  EXPECT_EQ(state(edge), "10.0.1.30:5060 active w100 c0");  // set 1 as it was
  auto set2 = listSet(edge, 2);
  ASSERT_EQ(set2.size(), 2u);
  EXPECT_EQ(set2[0].state, "drain");
}

TEST(ApplyTandem, AFailingCallStopsTheApplyAndSaysWhere) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.failing["dispatcher.add"] =
      "\"sip:10.0.1.31:5060\" is not a sip: URI with a numeric address";
  ApplyReport r = applyTandem(edge, make("both"), false);
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.message(),
            "sip:10.0.1.31:5060: dispatcher.add: error 500: \"sip:10.0.1.31:5060\" is not a sip: "
            "URI with a numeric address (after 0 successful calls)");
  // The old node was not touched: it still takes every new dialog.
  EXPECT_EQ(state(edge), "10.0.1.30:5060 active w100 c0");
}

TEST(ApplyTandem, VerificationFailureIsReported) {
  test::FakeTandemEdge edge(
      "1 sip:10.0.1.30:5060 0 0 weight=50\n1 sip:10.0.1.31:5060 0 0 weight=50\n");
  edge.ignored.push_back("dispatcher.set_state");
  ApplyReport r = applyTandem(edge, make("new"), false);
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.message(),
            "verification failed: sip:10.0.1.30:5060: state is active, expected drain");
  EXPECT_EQ(r.mismatches.size(), 1u);
}

TEST(ApplyTandem, UnreachableEdgeIsAnError) {
  test::ScriptedLink link;
  link.fail("dispatcher.list", control::RpcReply::Outcome::kConnectFailed,
            "cannot connect to http://127.0.0.1:1/rpc: Connection refused");
  ApplyReport r = applyTandem(link, make("both"), false);
  EXPECT_EQ(r.status.message(),
            "dispatcher.list: cannot connect to http://127.0.0.1:1/rpc: Connection refused");
  EXPECT_EQ(link.calls.size(), 1u);
}

TEST(VerifySet, KamailioFlavourWantsEveryDestinationWithItsFlag) {
  auto rows = parseDispatcherList(nlohmann::ordered_json::parse(R"({"RECORDS":[{"SET":{"ID":1,
    "TARGETS":[{"DEST":{"URI":"sip:10.0.1.30:5060","FLAGS":"AX","PRIORITY":0,
                        "ATTRS":{"BODY":"weight=100","WEIGHT":100}}}]}}]})"));
  ASSERT_TRUE(rows);
  auto m = verifySet(make("old"), *rows, Flavor::kKamailio);
  EXPECT_EQ(m, (std::vector<std::string>{"sip:10.0.1.31:5060: missing from set 1"}));
  EXPECT_TRUE(verifySet(make("old"), *rows, Flavor::kTandem).empty());
  m = verifySet(make("new"), *rows, Flavor::kKamailio);
  EXPECT_EQ(m, (std::vector<std::string>{"sip:10.0.1.30:5060: flags are AX, expected D (disabled)",
                                         "sip:10.0.1.31:5060: missing from set 1"}));
}

TEST(VerifySet, WrongWeightIsAMismatch) {
  auto rows = parseDispatcherList(nlohmann::ordered_json::parse(R"({"RECORDS":[{"SET":{"ID":1,
    "TARGETS":[{"DEST":{"URI":"sip:10.0.1.30:5060","FLAGS":"AX","STATE":"active","PRIORITY":0,
                        "ATTRS":{"BODY":"weight=50","WEIGHT":50}}},
               {"DEST":{"URI":"sip:10.0.1.31:5060","FLAGS":"AX","STATE":"active","PRIORITY":0,
                        "ATTRS":{"BODY":"weight=50","WEIGHT":50}}}]}}]})"));
  ASSERT_TRUE(rows);
  EXPECT_EQ(verifySet(make("canary:10"), *rows, Flavor::kTandem),
            (std::vector<std::string>{"sip:10.0.1.30:5060: weight is 50, expected 90",
                                      "sip:10.0.1.31:5060: weight is 50, expected 10"}));
}

TEST(TenantSet, FindsTheTenantsSet) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.addTenant("a.example.com", 1);
  edge.addTenant("b.example.com", 7);
  auto set = tenantSet(edge, "B.Example.com");
  ASSERT_TRUE(set) << set.message();
  EXPECT_EQ(*set, 7u);
  EXPECT_EQ(edge.calls, (std::vector<std::string>{"tenant.list []"}));
}

TEST(TenantSet, AnUnknownTenantIsNamed) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.addTenant("a.example.com", 1);
  EXPECT_EQ(tenantSet(edge, "x.com").message(), "tenant \"x.com\" is not provisioned on the edge");
  edge.tenants = nlohmann::ordered_json::array();
  EXPECT_EQ(tenantSet(edge, "x.com").message(), "tenant \"x.com\" is not provisioned on the edge");
}

TEST(TenantSet, AnEdgeWithoutAStoreHasNoTenantTable) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  EXPECT_EQ(tenantSet(edge, "x.com").message(),
            "the edge has no tenant table (start it with a [store])");
}

TEST(TenantSet, FailuresAndOddAnswersAreErrors) {
  test::FakeTandemEdge edge("1 sip:10.0.1.30:5060 0 0 weight=100\n");
  edge.failing["tenant.list"] = "store unavailable: down";
  EXPECT_EQ(tenantSet(edge, "x.com").message(), "tenant.list: error 500: store unavailable: down");
  edge.failing.clear();
  edge.tenants = nlohmann::ordered_json::object();
  EXPECT_EQ(tenantSet(edge, "x.com").message(), "tenant.list: unexpected answer: not an array");
  edge.tenants = nlohmann::ordered_json::parse(R"([{"setid":1}])");
  EXPECT_EQ(tenantSet(edge, "x.com").message(),
            "tenant.list: unexpected answer: a row without a domain");
  edge.tenants = nlohmann::ordered_json::parse(R"([{"domain":"x.com","setid":0}])");
  EXPECT_EQ(tenantSet(edge, "x.com").message(),
            "tenant.list: unexpected answer: tenant x.com has setid 0");
  test::ScriptedLink link;
  link.fail("tenant.list", control::RpcReply::Outcome::kConnectFailed,
            "cannot connect to 127.0.0.1:7060: Connection refused");
  EXPECT_EQ(tenantSet(link, "x.com").message(),
            "tenant.list: cannot connect to 127.0.0.1:7060: Connection refused");
}

// The profile is written for set 1; the tenant lives in set 2, which is the one that changes.
class TenantApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProfileArgs p{"both", kOld, kNew, 1, "tandem", dir_.file("both.json")};
    std::ostringstream out, err;
    ASSERT_EQ(runProfile(p, out, err), kExitOk) << err.str();
    args_.profile = p.output;
    args_.audit = dir_.file("audit.jsonl");
    args_.operatorName = "alice";
    args_.tenant = "example.com";
    edge_.addTenant("example.com", 2);
  }

  test::TempDir dir_;
  ApplyArgs args_;
  test::FakeTandemEdge edge_{
      "1 sip:10.0.1.30:5060 0 0 weight=100\n"
      "2 sip:10.0.1.30:5060 0 0 weight=100\n"};
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(TenantApplyTest, TheTenantsSetReplacesTheProfiles) {
  EXPECT_EQ(runApplyWith(args_, edge_, out_, err_), kExitOk) << err_.str();
  EXPECT_TRUE(out_.str().starts_with("tenant example.com: set 2 replaces the profile's set 1\n"))
      << out_.str();
  EXPECT_NE(out_.str().find("applied both to set 2 at http://fake-edge/rpc"), std::string::npos)
      << out_.str();
  EXPECT_EQ(listSet(edge_, 1).size(), 1u);  // the profile's own set is left alone
  auto two = listSet(edge_, 2);
  ASSERT_EQ(two.size(), 2u);
  for (const auto& r : two) {
    EXPECT_TRUE(r.uri == kOld || r.uri == kNew) << r.uri;
    EXPECT_EQ(r.state, "active") << r.uri;
    EXPECT_EQ(r.weight, 50u) << r.uri;
  }
  EXPECT_NE(two[0].uri, two[1].uri);
  auto audit = nlohmann::json::parse(test::readFile(args_.audit));
  EXPECT_EQ(audit["set"], 2);
  EXPECT_EQ(audit["tenant"], "example.com");
  EXPECT_EQ(audit["profile_set"], 1);
}

TEST_F(TenantApplyTest, ADryRunNamesTheTenantsSet) {
  args_.dryRun = true;
  EXPECT_EQ(runApplyWith(args_, edge_, out_, err_), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("tenant example.com: set 2 replaces the profile's set 1\n"
                            "dry run: set 2 at http://fake-edge/rpc to both\n"),
            std::string::npos)
      << out_.str();
}

TEST_F(TenantApplyTest, AnUnknownTenantChangesNothing) {
  args_.tenant = "other.com";
  EXPECT_EQ(runApplyWith(args_, edge_, out_, err_), kExitFailed);
  EXPECT_EQ(err_.str(),
            "error: tenant \"other.com\" is not provisioned on the edge (nothing changed)\n");
  EXPECT_EQ(test::readFile(args_.audit), "");
  EXPECT_EQ(edge_.calls, (std::vector<std::string>{"tenant.list []"}));
}

TEST_F(TenantApplyTest, KamailioHasNoTenantTable) {
  args_.kamailioList = dir_.file("dispatcher.list");
  EXPECT_EQ(runApplyWith(args_, edge_, out_, err_), kExitFailed);
  EXPECT_EQ(err_.str(), "error: --tenant needs a tandem edge: Kamailio has no tenant table\n");
  EXPECT_TRUE(edge_.calls.empty());
}

}  // namespace
}  // namespace tandem::migrate
