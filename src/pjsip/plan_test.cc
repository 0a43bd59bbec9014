// Tests for the dual-stack batch plan: grouping, per-kind instructions, rollback order, JSON.
#include "pjsip/plan.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tandem::pjsip {
namespace {

Conversion convertFiles(MemoryFiles& files) {
  auto c = convertFile("/pbx/sip.conf", files, ConvertOptions{});
  EXPECT_TRUE(c.isOk()) << c.message();
  return c.isOk() ? std::move(c).value() : Conversion{};
}

Conversion convertText(std::string_view text) {
  MemoryFiles files;
  files.add("/pbx/sip.conf", std::string(text));
  return convertFiles(files);
}

constexpr const char* kSeven =
    "[general]\nregister => 99:pw@sip.prov.example\n"
    "[ph](!)\ntype=friend\nhost=dynamic\ncontext=office\n"
    "[1](ph)\nsecret=a\n[2](ph)\nsecret=a\n[3](ph)\nsecret=a\n[4](ph)\nsecret=a\n"
    "[5](ph)\nsecret=a\ncontext=lab\n[6](ph)\nsecret=a\n"
    "[prov]\ntype=peer\nhost=sip.prov.example\ndefaultuser=99\nsecret=pw\ninsecure=invite\n"
    "context=from-trunk\n";

TEST(PlanTest, BatchesSplitEndpointsEvenlyInFileOrder) {
  auto plan = makePlan(convertText(kSeven), PlanOptions{PlanGrouping::kBatches, 3});
  ASSERT_TRUE(plan.isOk()) << plan.message();
  ASSERT_EQ(plan->batches.size(), 3u);
  EXPECT_EQ(plan->batches[0].endpoints.size(), 2u);
  EXPECT_EQ(plan->batches[1].endpoints.size(), 2u);
  EXPECT_EQ(plan->batches[2].endpoints.size(), 3u);
  EXPECT_EQ(plan->batches[0].endpoints[0].name, "1");
  EXPECT_EQ(plan->batches[2].endpoints[2].name, "prov");
}

TEST(PlanTest, ZeroBatchesIsAnError) {
  auto plan = makePlan(convertText(kSeven), PlanOptions{PlanGrouping::kBatches, 0});
  ASSERT_FALSE(plan.isOk());
  EXPECT_EQ(plan.message(), "--batches must be at least 1");
}

TEST(PlanTest, ByContextGroupsInOrderOfFirstAppearance) {
  auto plan = makePlan(convertText(kSeven), PlanOptions{PlanGrouping::kContext, 0});
  ASSERT_TRUE(plan.isOk());
  ASSERT_EQ(plan->batches.size(), 3u);
  EXPECT_EQ(plan->batches[0].group, "office");
  EXPECT_EQ(plan->batches[0].endpoints.size(), 5u);
  EXPECT_EQ(plan->batches[1].group, "lab");
  EXPECT_EQ(plan->batches[2].group, "from-trunk");
}

TEST(PlanTest, ByTenantGroupsByIncludedFile) {
  MemoryFiles files;
  files.add("/pbx/sip.conf",
            "[general]\n#include tenants/*.conf\n[hq]\ntype=friend\n"
            "host=dynamic\nsecret=x\n");
  files.add("/pbx/tenants/acme.conf", "[a1]\ntype=friend\nhost=dynamic\nsecret=x\n");
  files.add("/pbx/tenants/globex.conf", "[g1]\ntype=friend\nhost=dynamic\nsecret=x\n");
  auto plan = makePlan(convertFiles(files), PlanOptions{PlanGrouping::kTenant, 0});
  ASSERT_TRUE(plan.isOk());
  ASSERT_EQ(plan->batches.size(), 3u);
  EXPECT_EQ(plan->batches[0].group, "acme");
  EXPECT_EQ(plan->batches[1].group, "globex");
  EXPECT_EQ(plan->batches[2].group, "shared");
}

TEST(PlanTest, PhonesMoveToTheDualStackPortAndRollBackTo5060) {
  auto plan = makePlan(convertText(kSeven), PlanOptions{PlanGrouping::kBatches, 1});
  const PlanEndpoint& e = plan->batches[0].endpoints[0];
  EXPECT_EQ(e.kind, "phone");
  EXPECT_NE(e.change[0].find("port 5160"), std::string::npos);
  EXPECT_NE(e.rollback[0].find("port 5060"), std::string::npos);
}

TEST(PlanTest, RegistrationTrunkMovesItsRegisterLine) {
  auto plan = makePlan(convertText(kSeven), PlanOptions{PlanGrouping::kBatches, 1});
  const PlanEndpoint& prov = plan->batches[0].endpoints.back();
  EXPECT_EQ(prov.kind, "trunk");
  EXPECT_EQ(prov.registrations, (std::vector<std::string>{"prov-reg"}));
  EXPECT_NE(prov.change[0].find("comment out the register line for prov-reg"), std::string::npos);
  EXPECT_NE(prov.rollback[0].find("pjsip send unregister prov-reg"), std::string::npos);
}

TEST(PlanTest, RollbackRunsInReverseOrder) {
  auto plan = makePlan(convertText(kSeven), PlanOptions{PlanGrouping::kBatches, 1});
  std::string text = renderPlanText(*plan);
  size_t last = text.find("- prov: ");
  size_t first = text.find("- 1: ");
  ASSERT_NE(last, std::string::npos);
  ASSERT_NE(first, std::string::npos);
  EXPECT_LT(last, first);
}

TEST(PlanTest, JsonHasBatchesEndpointsAndRollback) {
  auto plan = makePlan(convertText(kSeven), PlanOptions{PlanGrouping::kBatches, 2});
  auto j = nlohmann::json::parse(renderPlanJson(*plan));
  EXPECT_EQ(j["dual_stack_port"], 5160);
  ASSERT_EQ(j["batches"].size(), 2u);
  EXPECT_EQ(j["batches"][0]["endpoints"][0]["name"], "1");
  EXPECT_FALSE(j["batches"][0]["rollback"].empty());
  EXPECT_FALSE(j["cutover"].empty());
}

}  // namespace
}  // namespace tandem::pjsip
