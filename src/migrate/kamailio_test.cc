// The Kamailio apply: list file rewriting, and the whole apply against an in-process fake of
// Kamailio's jsonrpcs (HTTP on a real port): success, verification failure → restore, reload
// failure → restore, reload rate limit, unreachable Kamailio, dry run.
#include "migrate/kamailio.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

using nlohmann::json;

constexpr const char* kOld = "sip:10.0.1.30:5060";
constexpr const char* kNew = "sip:10.0.1.31:5060";

Profile make(std::string_view mode, uint32_t set = 1) {
  auto p = makeProfile(*parseMode(mode), kOld, kNew, set);
  EXPECT_TRUE(p) << p.message();
  return *p;
}

constexpr const char* kWhen = "2024-05-01T12:00:00Z";

TEST(RewriteKamailioList, ReplacesTheProfilesLinesInPlaceAndKeepsTheRest) {
  std::string current =
      "# gateways\n"
      "1 sip:10.0.1.30:5060 0 0 weight=100 # old FreeSWITCH\n"
      "2 sip:10.0.2.1:5060 0 0\n"
      "1 sip:10.0.1.77:5060 8 0\n";
  auto out = rewriteKamailioList(current, make("canary:10"), kWhen, "alice");
  ASSERT_TRUE(out) << out.message();
  EXPECT_EQ(*out,
            "# gateways\n"
            "# tandem migrate mode=canary:10 set=1 applied 2024-05-01T12:00:00Z by alice\n"
            "1 sip:10.0.1.30:5060 0 0 weight=90\n"
            "1 sip:10.0.1.31:5060 0 0 weight=10\n"
            "2 sip:10.0.2.1:5060 0 0\n"
            "1 sip:10.0.1.77:5060 8 0\n");
}

TEST(RewriteKamailioList, AppendsWhenTheSetHasNoneOfItsLinesAndEndsTheLastLine) {
  auto out = rewriteKamailioList("2 sip:10.0.2.1:5060 0 0", make("old"), kWhen, "bob");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "2 sip:10.0.2.1:5060 0 0\n"
            "# tandem migrate mode=old set=1 applied 2024-05-01T12:00:00Z by bob\n"
            "1 sip:10.0.1.30:5060 0 0 weight=100\n"
            "1 sip:10.0.1.31:5060 4 0\n");
}

TEST(RewriteKamailioList, ASecondApplyReplacesTheFirstOnesMarkerAndLines) {
  auto first = rewriteKamailioList("", make("canary:10"), kWhen, "alice");
  ASSERT_TRUE(first);
  auto second = rewriteKamailioList(*first, make("new"), "2024-05-01T13:00:00Z", "alice");
  ASSERT_TRUE(second);
  EXPECT_EQ(*second,
            "# tandem migrate mode=new set=1 applied 2024-05-01T13:00:00Z by alice\n"
            "1 sip:10.0.1.30:5060 4 0\n"
            "1 sip:10.0.1.31:5060 0 0 weight=100\n");
}

TEST(RewriteKamailioList, MatchesUrisCaseInsensitivelyAndOnlyInTheProfilesSet) {
  auto out = rewriteKamailioList("1 SIP:10.0.1.30:5060 0 0\n3 sip:10.0.1.30:5060 0 0\n",
                                 make("both"), kWhen, "x");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "# tandem migrate mode=both set=1 applied 2024-05-01T12:00:00Z by x\n"
            "1 sip:10.0.1.30:5060 0 0 weight=50\n"
            "1 sip:10.0.1.31:5060 0 0 weight=50\n"
            "3 sip:10.0.1.30:5060 0 0\n");
}

// A fake Kamailio on a real port, its list file in a temporary directory.
class KamailioApplyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    list_ = dir_.file("dispatcher.list");
    test::writeFile(list_, kInitial);
    ::chmod(list_.c_str(), 0644);
    kamailio_ = std::make_unique<test::FakeKamailio>(list_);
    server_ = std::make_unique<test::FakeRpcServer>(
        "/RPC", [this](const std::string& m, const json& p) { return kamailio_->handle(m, p); });
    // Kamailio has the initial list loaded.
    ASSERT_TRUE(kamailio_->handle("dispatcher.reload", json::array()));
    kamailio_->reloads = kamailio_->reloadRequests = 0;
    auto link = HttpEdgeLink::create(server_->url(), "--kamailio-url", "/RPC", 2000);
    ASSERT_TRUE(link) << link.message();
    link_ = std::move(link).value();
    options_.listPath = list_;
    options_.now = std::chrono::system_clock::from_time_t(1714564800);  // 2024-05-01T12:00:00Z
    options_.who = "alice";
    options_.sleep = [this](std::chrono::milliseconds d) { slept_ += d; };
  }

  std::vector<std::string> backups() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      std::string name = e.path().filename().string();
      if (name.find(".bak.") != std::string::npos) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  static constexpr const char* kInitial =
      "# production\n1 sip:10.0.1.30:5060 0 0 weight=100\n2 sip:10.0.2.1:5060 0 0\n";
  test::TempDir dir_;
  std::string list_;
  std::unique_ptr<test::FakeKamailio> kamailio_;
  std::unique_ptr<test::FakeRpcServer> server_;
  std::unique_ptr<HttpEdgeLink> link_;
  KamailioApplyOptions options_;
  std::chrono::milliseconds slept_{0};
};

TEST_F(KamailioApplyTest, WritesBacksUpReloadsAndVerifies) {
  KamailioApplyReport r = applyKamailio(*link_, make("canary:10"), options_);
  ASSERT_TRUE(r.status) << r.status.message();
  EXPECT_EQ(r.backupPath, list_ + ".bak.20240501T120000Z");
  EXPECT_EQ(test::readFile(r.backupPath), kInitial);
  EXPECT_EQ(test::readFile(list_),
            "# production\n"
            "# tandem migrate mode=canary:10 set=1 applied 2024-05-01T12:00:00Z by alice\n"
            "1 sip:10.0.1.30:5060 0 0 weight=90\n"
            "1 sip:10.0.1.31:5060 0 0 weight=10\n"
            "2 sip:10.0.2.1:5060 0 0\n");
  struct stat st {};
  ASSERT_EQ(::stat(list_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  EXPECT_EQ(kamailio_->reloads, 1);
  ASSERT_EQ(r.before.size(), 1u);
  EXPECT_EQ(r.before[0].uri, kOld);
  EXPECT_EQ(r.after.size(), 2u);
  EXPECT_TRUE(r.mismatches.empty());
  EXPECT_FALSE(r.restored);
  // Kamailio's jsonrpcs path.
  for (const auto& p : server_->paths()) EXPECT_EQ(p, "/RPC");
}

TEST_F(KamailioApplyTest, TwoAppliesInOneSecondGetTwoBackups) {
  ASSERT_TRUE(applyKamailio(*link_, make("canary:10"), options_).status);
  ASSERT_TRUE(applyKamailio(*link_, make("both"), options_).status);
  EXPECT_EQ(backups(), (std::vector<std::string>{"dispatcher.list.bak.20240501T120000Z",
                                                 "dispatcher.list.bak.20240501T120000Z-1"}));
}

TEST_F(KamailioApplyTest, VerificationFailureRestoresTheBackup) {
  kamailio_->forceFlags = "IX";  // Kamailio shows every destination inactive
  KamailioApplyReport r = applyKamailio(*link_, make("both"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.message(),
            "verification failed: sip:10.0.1.30:5060: flags are IX, expected A (active) (and 1 "
            "more); the previous list was restored from " +
                list_ + ".bak.20240501T120000Z and reloaded");
  EXPECT_TRUE(r.restored);
  EXPECT_EQ(r.mismatches.size(), 2u);
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_EQ(kamailio_->reloads, 2);  // the new list, then the backup
  ASSERT_EQ(kamailio_->loaded.size(), 2u);
  EXPECT_EQ(kamailio_->loaded[0].attrs.weight, 100u);  // Kamailio runs the old list again
}

TEST_F(KamailioApplyTest, ReloadFailureRestoresTheBackup) {
  kamailio_->failAllReloads = true;
  options_.reloadRetryFor = std::chrono::milliseconds(3000);
  KamailioApplyReport r = applyKamailio(*link_, make("new"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(r.restored);
  EXPECT_EQ(test::readFile(list_), kInitial);
  // The reload of the restored file fails too: the operator is told where the list is.
  EXPECT_EQ(r.restoreError, "dispatcher.reload: error 500: Reload Failed");
  EXPECT_EQ(r.status.message(),
            "dispatcher.reload: error 500: Reload Failed; restoring the backup FAILED: "
            "dispatcher.reload: error 500: Reload Failed (the previous list is in " +
                list_ + ".bak.20240501T120000Z)");
}

TEST_F(KamailioApplyTest, ARefusedReloadIsRetriedLikeKamailiosReloadDeltaNeeds) {
  kamailio_->refuseReloads = 3;
  KamailioApplyReport r = applyKamailio(*link_, make("both"), options_);
  ASSERT_TRUE(r.status) << r.status.message();
  EXPECT_EQ(kamailio_->reloadRequests, 4);
  EXPECT_EQ(slept_, std::chrono::milliseconds(3000));
}

TEST_F(KamailioApplyTest, UnreachableKamailioChangesNothing) {
  server_.reset();  // nothing listens on the port any more
  KamailioApplyReport r = applyKamailio(*link_, make("both"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(r.status.message().starts_with("dispatcher.list: cannot connect to "))
      << r.status.message();
  EXPECT_TRUE(r.status.message().ends_with("(nothing changed)"));
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_TRUE(backups().empty());
}

TEST_F(KamailioApplyTest, AnEmptyKamailioBeforeIsNotedAndAnUnlistableOneAfterIsUndone) {
  kamailio_->listFails = true;  // "No Destination Sets" before the apply
  KamailioApplyReport r = applyKamailio(*link_, make("old"), options_);
  // ...and after it too: the apply cannot be verified, so it is undone.
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.beforeError, "error 500: No Destination Sets");
  EXPECT_TRUE(r.restored);
  kamailio_->listFails = false;
  r = applyKamailio(*link_, make("old"), options_);
  EXPECT_TRUE(r.status) << r.status.message();
}

TEST_F(KamailioApplyTest, MissingListFileIsAnError) {
  options_.listPath = dir_.file("nope.list");
  KamailioApplyReport r = applyKamailio(*link_, make("old"), options_);
  EXPECT_EQ(r.status.message(),
            "cannot read " + dir_.file("nope.list") + ": No such file or directory");
  EXPECT_EQ(kamailio_->reloadRequests, 0);
}

TEST_F(KamailioApplyTest, DryRunChangesNothing) {
  options_.dryRun = true;
  KamailioApplyReport r = applyKamailio(*link_, make("new"), options_);
  ASSERT_TRUE(r.status);
  EXPECT_NE(r.newText.find("1 sip:10.0.1.31:5060 0 0 weight=100\n"), std::string::npos);
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_TRUE(backups().empty());
  EXPECT_EQ(kamailio_->reloadRequests, 0);
}

}  // namespace
}  // namespace tandem::migrate
