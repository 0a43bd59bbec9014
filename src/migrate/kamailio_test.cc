// The Kamailio apply: list file rewriting, and the whole apply against an in-process fake of
// Kamailio's jsonrpcs (HTTP on a real port): success, verification failure → restore (with a
// reload), reload error → file put back (without one), reload timeout → restore (with one),
// "Ongoing reload" retried, hosts that do not resolve, unreachable Kamailio, dry run.
#include "migrate/kamailio.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "migrate/migrate.h"
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

TEST(RewriteKamailioList, DropsTheStaleProfileHeaderOfTheSetAndKeepsItsOtherComments) {
  // The file started as `tandem migrate profile --mode old --format kamailio`.
  std::string current = renderKamailio(make("old"));
  ASSERT_TRUE(current.starts_with("# tandem-migrate-profile mode=old set=1 ")) << current;
  current +=
      "# tandem-migrate-profile mode=new set=2 old=sip:10.0.2.1:5060 new=sip:10.0.2.2:5060\n";
  auto out = rewriteKamailioList(current, make("both"), kWhen, "alice");
  ASSERT_TRUE(out) << out.message();
  EXPECT_EQ(*out,
            "# Kamailio dispatcher.list for algorithm 9 (weight): setid destination flags "
            "priority attrs.\n"
            "# flags 0 = active; flags 4 = disabled: no new dialogs, dialogs in progress finish "
            "(drain).\n"
            "# tandem migrate mode=both set=1 applied 2024-05-01T12:00:00Z by alice\n"
            "1 sip:10.0.1.30:5060 0 0 weight=50\n"
            "1 sip:10.0.1.31:5060 0 0 weight=50\n"
            // Another set's header still says what that set is.
            "# tandem-migrate-profile mode=new set=2 old=sip:10.0.2.1:5060 "
            "new=sip:10.0.2.2:5060\n");
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
        "/RPC", [this](const std::string& m, const json& p) { return handle(m, p); });
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

  // Kamailio's answers to the next dispatcher.reload calls, in order, before the fake's own:
  // "Ongoing reload" (reload_delta not over), "Reload Failed" (an error answer), "slow" (the fake
  // reloads, but answers 1.5 s later, after a 1 s link's timeout), "no-dir" (the list file's place
  // becomes a directory, so writing it back fails, then "Reload Failed"); "" lets the fake answer.
  Result<json> handle(const std::string& m, const json& p) {
    std::string next;
    if (m == "dispatcher.reload") {
      std::lock_guard lock(scriptMu_);
      if (!reloadScript_.empty()) {
        next = reloadScript_.front();
        reloadScript_.erase(reloadScript_.begin());
      }
      ++reloadCalls_;
    }
    if (next == "slow") {
      Result<json> done = kamailio_->handle(m, p);
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      return done;
    }
    if (next == "no-dir") {
      std::filesystem::remove(list_);
      std::filesystem::create_directory(list_);
      return Result<json>::error("Reload Failed");
    }
    if (!next.empty()) return Result<json>::error(next);
    return kamailio_->handle(m, p);
  }
  void script(std::vector<std::string> answers) {
    std::lock_guard lock(scriptMu_);
    reloadScript_ = std::move(answers);
  }
  int reloadCalls() {
    std::lock_guard lock(scriptMu_);
    return reloadCalls_;
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
  std::mutex scriptMu_;
  std::vector<std::string> reloadScript_;
  int reloadCalls_ = 0;
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

TEST_F(KamailioApplyTest, AReloadErrorPutsTheFileBackWithoutReloading) {
  // "Reload Failed": Kamailio could not load the file and kept its list. Not retried, and the
  // restored file is not reloaded: Kamailio already serves what it holds.
  kamailio_->failAllReloads = true;
  KamailioApplyReport r = applyKamailio(*link_, make("new"), options_);
  ASSERT_FALSE(r.status);
  const std::string backup = list_ + ".bak.20240501T120000Z";
  EXPECT_EQ(r.status.message(),
            "dispatcher.reload: error 500: Reload Failed; the list file was put back from " +
                backup + " (Kamailio kept its previous list)");
  EXPECT_TRUE(r.restored);
  EXPECT_FALSE(r.restoreReloaded);
  EXPECT_EQ(r.restoreError, "");
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_EQ(test::readFile(backup), kInitial);
  EXPECT_EQ(kamailio_->reloadRequests, 1);  // no retry, no restore reload
  EXPECT_EQ(slept_, std::chrono::milliseconds(0));
  ASSERT_EQ(kamailio_->loaded.size(), 2u);  // the initial list, still
  EXPECT_EQ(kamailio_->loaded[0].attrs.weight, 100u);
}

TEST_F(KamailioApplyTest, OngoingReloadIsRetriedLikeKamailiosReloadDeltaNeeds) {
  script({"Ongoing reload", "Ongoing reload", "Ongoing reload"});
  KamailioApplyReport r = applyKamailio(*link_, make("both"), options_);
  ASSERT_TRUE(r.status) << r.status.message();
  EXPECT_EQ(reloadCalls(), 4);
  EXPECT_EQ(kamailio_->reloads, 1);
  EXPECT_EQ(slept_, std::chrono::milliseconds(3000));
}

TEST_F(KamailioApplyTest, ReloadStillOngoingAfterTheRetriesPutsTheFileBackWithoutReloading) {
  script(std::vector<std::string>(100, "Ongoing reload"));
  options_.reloadRetryFor = std::chrono::milliseconds(3000);
  KamailioApplyReport r = applyKamailio(*link_, make("new"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.message(),
            "dispatcher.reload: error 500: Ongoing reload (still so after retrying for 3 s); the "
            "list file was put back from " +
                list_ + ".bak.20240501T120000Z (Kamailio kept its previous list)");
  EXPECT_TRUE(r.restored);
  EXPECT_FALSE(r.restoreReloaded);
  EXPECT_TRUE(r.restoreError.empty());
  EXPECT_EQ(reloadCalls(), 4);  // the first try and three retries; no restore reload
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_EQ(kamailio_->reloads, 0);
}

TEST_F(KamailioApplyTest, ATimedOutReloadIsUndoneWithAReload) {
  // The reload answers after the link's timeout: tandem cannot know whether Kamailio loaded the
  // new list (here it did), so the restored file is reloaded.
  auto link = HttpEdgeLink::create(server_->url(), "--kamailio-url", "/RPC", 1000);
  ASSERT_TRUE(link) << link.message();
  script({"slow"});
  KamailioApplyReport r = applyKamailio(**link, make("new"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(r.status.message().starts_with("dispatcher.reload: ")) << r.status.message();
  EXPECT_TRUE(r.status.message().ends_with("; the previous list was restored from " + list_ +
                                           ".bak.20240501T120000Z and reloaded"))
      << r.status.message();
  EXPECT_TRUE(r.restored);
  EXPECT_TRUE(r.restoreReloaded);
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_EQ(kamailio_->reloads, 2);  // the slow one loaded the new list, the restore the old
  ASSERT_EQ(kamailio_->loaded.size(), 2u);
  EXPECT_EQ(kamailio_->loaded[0].attrs.weight, 100u);
}

TEST_F(KamailioApplyTest, TheRestoreReloadWaitsOutReloadDelta) {
  // The verification fails right after the reload: the restore's reload falls within
  // reload_delta and is retried.
  kamailio_->forceFlags = "IX";
  script({"", "Ongoing reload", "Ongoing reload"});
  KamailioApplyReport r = applyKamailio(*link_, make("both"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(r.restoreReloaded);
  EXPECT_TRUE(r.restoreError.empty());
  EXPECT_EQ(reloadCalls(), 4);
  EXPECT_EQ(kamailio_->reloads, 2);
  EXPECT_EQ(slept_, std::chrono::milliseconds(2000));
}

TEST_F(KamailioApplyTest, AFailedRestoreReloadIsReportedAsSuch) {
  kamailio_->forceFlags = "IX";
  script({"", "Reload Failed"});
  KamailioApplyReport r = applyKamailio(*link_, make("both"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(r.restored);
  EXPECT_FALSE(r.restoreReloaded);
  EXPECT_EQ(r.restoreError,
            "reloading the restored list: dispatcher.reload: error 500: Reload Failed");
  EXPECT_EQ(r.status.message(),
            "verification failed: sip:10.0.1.30:5060: flags are IX, expected A (active) (and 1 "
            "more); the list file was put back from " +
                list_ +
                ".bak.20240501T120000Z but reloading it FAILED: dispatcher.reload: error 500: "
                "Reload Failed (Kamailio may still serve the new list)");
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_EQ(reloadCalls(), 2);  // "Reload Failed" is not retried
}

TEST_F(KamailioApplyTest, AFailedWriteBackIsReportedAsSuch) {
  script({"no-dir"});  // the list file's place becomes a directory, then "Reload Failed"
  KamailioApplyReport r = applyKamailio(*link_, make("new"), options_);
  ASSERT_FALSE(r.status);
  EXPECT_TRUE(r.restored);
  EXPECT_FALSE(r.restoreReloaded);
  EXPECT_TRUE(r.restoreError.starts_with("writing the list file back: cannot write " + list_))
      << r.restoreError;
  const std::string& m = r.status.message();
  EXPECT_TRUE(
      m.starts_with("dispatcher.reload: error 500: Reload Failed; putting the backup back "
                    "FAILED: cannot write " +
                    list_))
      << m;
  EXPECT_TRUE(m.ends_with(" (" + list_ +
                          " still holds the new list, which Kamailio did not load; "
                          "the previous list is in " +
                          list_ + ".bak.20240501T120000Z)"))
      << m;
  EXPECT_EQ(reloadCalls(), 1);
}

TEST_F(KamailioApplyTest, TheAuditSaysRestoredWhenKamailioRefusedTheReload) {
  kamailio_->failAllReloads = true;
  ApplyArgs args;
  args.profile = dir_.file("p-new.list");
  test::writeFile(args.profile, renderKamailio(make("new")));
  args.kamailioList = list_;
  args.kamailioUrl = server_->url();
  args.audit = dir_.file("audit.jsonl");
  args.operatorName = "alice";
  args.now = [] { return std::chrono::system_clock::from_time_t(1714564800); };
  args.sleep = [this](std::chrono::milliseconds d) { slept_ += d; };
  std::ostringstream out, err;
  EXPECT_EQ(runApplyWith(args, *link_, out, err), 1);
  EXPECT_NE(err.str().find("(Kamailio kept its previous list)"), std::string::npos) << err.str();
  json line = json::parse(test::readFile(args.audit), nullptr, false);
  ASSERT_TRUE(line.is_object()) << test::readFile(args.audit);
  EXPECT_EQ(line.value("result", ""), "restored");
  EXPECT_EQ(kamailio_->reloadRequests, 1);
}

TEST_F(KamailioApplyTest, AHostThatDoesNotResolveIsRefusedBeforeAnyChange) {
  std::vector<std::string> asked;
  options_.resolves = [&asked](const std::string& host) {
    asked.push_back(host);
    return host != "new-node.invalid";
  };
  auto p = makeProfile(*parseMode("new"), kOld, "sip:new-node.invalid:5060", 1);
  ASSERT_TRUE(p) << p.message();
  KamailioApplyReport r = applyKamailio(*link_, *p, options_);
  ASSERT_FALSE(r.status);
  EXPECT_EQ(r.status.message(),
            "sip:new-node.invalid:5060: host \"new-node.invalid\" does not resolve; Kamailio would "
            "drop it (nothing changed)");
  EXPECT_EQ(asked, std::vector<std::string>{"new-node.invalid"});  // IP literals are not looked up
  EXPECT_TRUE(server_->paths().empty());                           // Kamailio was not even asked
  EXPECT_EQ(test::readFile(list_), kInitial);
  EXPECT_TRUE(backups().empty());
  EXPECT_FALSE(r.restored);

  // A dry run says so too.
  options_.dryRun = true;
  EXPECT_FALSE(applyKamailio(*link_, *p, options_).status);

  // A name that resolves, an IPv6 literal: fine.
  options_.dryRun = false;
  asked.clear();
  p = makeProfile(*parseMode("both"), "sip:[2001:db8::1]:5060", "sip:gw.example.com:5060", 1);
  ASSERT_TRUE(p) << p.message();
  r = applyKamailio(*link_, *p, options_);
  EXPECT_TRUE(r.status) << r.status.message();
  EXPECT_EQ(asked, std::vector<std::string>{"gw.example.com"});
}

TEST_F(KamailioApplyTest, TheResolveCheckCanBeTurnedOff) {
  // As the restore end-to-end test needs: a list Kamailio would load without the typo'd node.
  options_.checkHostsResolve = false;
  options_.resolves = [](const std::string&) -> bool {
    ADD_FAILURE() << "no look-up with the check off";
    return false;
  };
  auto p = makeProfile(*parseMode("new"), kOld, "sip:new-node.invalid:5060", 1);
  ASSERT_TRUE(p);
  KamailioApplyReport r = applyKamailio(*link_, *p, options_);
  EXPECT_TRUE(r.status) << r.status.message();  // the fake does not drop it
}

TEST_F(KamailioApplyTest, TheDefaultResolverIsGetaddrinfo) {
  auto p = makeProfile(*parseMode("both"), kOld, "sip:localhost:5090", 1);
  ASSERT_TRUE(p);
  options_.dryRun = true;
  KamailioApplyReport r = applyKamailio(*link_, *p, options_);
  EXPECT_TRUE(r.status) << r.status.message();
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
