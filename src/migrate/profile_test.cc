// Profiles: mode parsing, the exact list of each mode, the Kamailio and JSON forms (read back),
// and every rejected input.
#include "migrate/profile.h"

#include <gtest/gtest.h>

#include "dispatcher/dispatcher.h"

namespace tandem::migrate {
namespace {

constexpr const char* kOld = "sip:10.0.1.30:5060";
constexpr const char* kNew = "sip:10.0.1.31:5060";

Profile make(std::string_view mode, uint32_t set = 1) {
  auto m = parseMode(mode);
  EXPECT_TRUE(m) << m.message();
  auto p = makeProfile(*m, kOld, kNew, set);
  EXPECT_TRUE(p) << p.message();
  return *p;
}

// "old active 100 | new drain" for compact assertions.
std::string summary(const Profile& p) {
  std::string out;
  for (const auto& d : p.destinations) {
    if (!out.empty()) out += " | ";
    out += std::string(roleName(d.role)) + " " + std::string(targetName(d.state));
    if (d.weight != 0) out += " " + std::to_string(d.weight);
  }
  return out;
}

TEST(ParseMode, AcceptsTheFourModes) {
  EXPECT_EQ(parseMode("old")->mode, Mode::kOld);
  EXPECT_EQ(parseMode("both")->mode, Mode::kBoth);
  EXPECT_EQ(parseMode("new")->mode, Mode::kNew);
  auto c = parseMode("canary:5");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->mode, Mode::kCanary);
  EXPECT_EQ(c->canaryPercent, 5u);
  EXPECT_EQ(modeName(*c), "canary:5");
}

TEST(ParseMode, UnknownModeIsAnError) {
  auto m = parseMode("half");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.message(),
            "unknown mode \"half\": expected old, both, new or canary:N (N from 1 to 99)");
  EXPECT_FALSE(parseMode("OLD"));
  EXPECT_FALSE(parseMode(""));
}

TEST(ParseMode, CanaryOutOfRangeIsAnError) {
  for (const char* text :
       {"canary:0", "canary:100", "canary:-1", "canary:", "canary:5%", "canary:x"}) {
    auto m = parseMode(text);
    EXPECT_FALSE(m) << text;
  }
  EXPECT_EQ(parseMode("canary:100").message(),
            "canary percentage must be an integer from 1 to 99, got \"100\" (use old for 0 and "
            "new for 100)");
  EXPECT_TRUE(parseMode("canary:1"));
  EXPECT_TRUE(parseMode("canary:99"));
}

TEST(MakeProfile, EachModesList) {
  EXPECT_EQ(summary(make("old")), "old active 100 | new drain");
  EXPECT_EQ(summary(make("both")), "old active 50 | new active 50");
  EXPECT_EQ(summary(make("new")), "old drain | new active 100");
  EXPECT_EQ(summary(make("canary:10")), "old active 90 | new active 10");
  EXPECT_EQ(summary(make("canary:99")), "old active 1 | new active 99");
  EXPECT_EQ(make("old", 7).set, 7u);
}

TEST(MakeProfile, CanaryPercentOutOfRangeIsAnError) {
  auto p = makeProfile(ModeSpec{Mode::kCanary, 0}, kOld, kNew, 1);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.message(), "canary percentage must be an integer from 1 to 99, got 0");
}

TEST(MakeProfile, BadUriIsAnError) {
  auto p = makeProfile(ModeSpec{Mode::kOld, 0}, "10.0.1.30:5060", kNew, 1);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.message(),
            "invalid --old URI \"10.0.1.30:5060\": expected a sip: or sips: URI such as "
            "sip:10.0.1.30:5060");
  EXPECT_EQ(makeProfile(ModeSpec{Mode::kOld, 0}, kOld, "sip:a b", 1).message(),
            "invalid --new URI \"sip:a b\": expected a sip: or sips: URI such as "
            "sip:10.0.1.30:5060");
  EXPECT_FALSE(makeProfile(ModeSpec{Mode::kOld, 0}, kOld, "", 1));
  EXPECT_FALSE(makeProfile(ModeSpec{Mode::kOld, 0}, kOld, "tel:+123", 1));
  EXPECT_FALSE(makeProfile(ModeSpec{Mode::kOld, 0}, kOld, "sip:x#y", 1));
  EXPECT_TRUE(makeProfile(ModeSpec{Mode::kOld, 0}, kOld, "sips:fs2.example.com;transport=tls", 1));
}

TEST(MakeProfile, SameNodeTwiceIsAnError) {
  auto p = makeProfile(ModeSpec{Mode::kBoth, 0}, kOld, "SIP:10.0.1.30:5060", 1);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.message(), "--old and --new name the same destination \"sip:10.0.1.30:5060\"");
}

TEST(MakeProfile, SetZeroIsAnError) {
  EXPECT_EQ(makeProfile(ModeSpec{Mode::kOld, 0}, kOld, kNew, 0).message(),
            "set must be a positive integer, got 0");
}

TEST(RenderKamailio, ExactListPerMode) {
  const std::string head =
      "# Kamailio dispatcher.list for algorithm 9 (weight): setid destination flags priority "
      "attrs.\n"
      "# flags 0 = active; flags 4 = disabled: no new dialogs, dialogs in progress finish "
      "(drain).\n";
  auto header = [](const char* mode) {
    return std::string("# tandem-migrate-profile mode=") + mode +
           " set=1 old=sip:10.0.1.30:5060 new=sip:10.0.1.31:5060\n";
  };
  EXPECT_EQ(renderKamailio(make("old")), header("old") + head +
                                             "1 sip:10.0.1.30:5060 0 0 weight=100\n"
                                             "1 sip:10.0.1.31:5060 4 0\n");
  EXPECT_EQ(renderKamailio(make("both")), header("both") + head +
                                              "1 sip:10.0.1.30:5060 0 0 weight=50\n"
                                              "1 sip:10.0.1.31:5060 0 0 weight=50\n");
  EXPECT_EQ(renderKamailio(make("new")), header("new") + head +
                                             "1 sip:10.0.1.30:5060 4 0\n"
                                             "1 sip:10.0.1.31:5060 0 0 weight=100\n");
  EXPECT_EQ(renderKamailio(make("canary:10")), header("canary:10") + head +
                                                   "1 sip:10.0.1.30:5060 0 0 weight=90\n"
                                                   "1 sip:10.0.1.31:5060 0 0 weight=10\n");
}

TEST(RenderKamailio, ParsesBackAsADispatcherList) {
  for (const char* mode : {"old", "both", "new", "canary:25"}) {
    Profile p = make(mode, 3);
    auto list = dispatcher::parseList(renderKamailio(p), "profile.list");
    ASSERT_TRUE(list) << mode << ": " << list.message();
    ASSERT_EQ(list->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      const auto& d = (*list)[i];
      EXPECT_EQ(d.setId, 3u);
      EXPECT_EQ(d.uri, p.destinations[i].uri);
      bool drain = p.destinations[i].state == Target::kDrain;
      EXPECT_EQ(dispatcher::stateFromFlags(d.flags),
                drain ? dispatcher::State::kDisabled : dispatcher::State::kActive);
      EXPECT_EQ(d.attrs.weight, p.destinations[i].weight);
    }
  }
}

TEST(ProfileJson, ExactForm) {
  EXPECT_EQ(profileToJson(make("new")).dump(),
            R"({"format":"tandem-migrate-profile","version":1,"mode":"new","set":1,"algorithm":9,)"
            R"("destinations":[{"uri":"sip:10.0.1.30:5060","role":"old","state":"drain",)"
            R"("priority":0},{"uri":"sip:10.0.1.31:5060","role":"new","state":"active",)"
            R"("weight":100,"priority":0}]})");
}

TEST(LoadProfile, RoundTripsBothFormats) {
  for (const char* mode : {"old", "both", "new", "canary:30"}) {
    Profile p = make(mode, 2);
    for (const std::string& text : {profileToJson(p).dump(2), renderKamailio(p)}) {
      auto back = loadProfile(text, "p");
      ASSERT_TRUE(back) << mode << ": " << back.message();
      EXPECT_EQ(modeName(back->mode), mode);
      EXPECT_EQ(back->set, 2u);
      EXPECT_EQ(summary(*back), summary(p));
      EXPECT_EQ(back->destinations[0].uri, kOld);
    }
  }
}

TEST(LoadProfile, NotJsonNorHeaderIsAnError) {
  EXPECT_EQ(loadProfile("1 sip:10.0.1.30:5060 0 0 weight=100\n", "x.list").message(),
            "x.list: not a migrate profile: the first line must be \"# tandem-migrate-profile "
            "mode=M set=S old=URI new=URI\" (tandem migrate profile writes it)");
  EXPECT_EQ(loadProfile("{not json", "p.json").message(), "p.json: not a JSON object");
}

TEST(LoadProfile, WrongFormatTagIsAnError) {
  EXPECT_EQ(loadProfile(R"({"format":"other"})", "p.json").message(),
            "p.json: \"format\" must be \"tandem-migrate-profile\"");
}

TEST(LoadProfile, WeightsNotSummingTo100AreAnError) {
  auto j = profileToJson(make("both"));
  j["destinations"][0]["weight"] = 60;
  EXPECT_EQ(loadProfile(j.dump(), "p.json").message(),
            "p.json: active weights sum to 110, expected 100");
}

TEST(LoadProfile, WeightOnADrainedDestinationIsAnError) {
  auto j = profileToJson(make("old"));
  j["destinations"][1]["weight"] = 5;
  EXPECT_EQ(loadProfile(j.dump(), "p.json").message(),
            "p.json: destination 2: a drained destination has no weight");
}

TEST(LoadProfile, BadStateIsAnError) {
  auto j = profileToJson(make("old"));
  j["destinations"][1]["state"] = "disabled";
  EXPECT_EQ(loadProfile(j.dump(), "p.json").message(),
            "p.json: destination 2: \"state\" must be active or drain");
}

TEST(LoadProfile, BadUriIsAnError) {
  auto j = profileToJson(make("both"));
  j["destinations"][1]["uri"] = "fs2";
  EXPECT_EQ(loadProfile(j.dump(), "p.json").message(),
            "p.json: destination 2: invalid destination URI \"fs2\": expected a sip: or sips: URI "
            "such as sip:10.0.1.30:5060");
}

TEST(LoadProfile, DuplicateUriIsAnError) {
  auto j = profileToJson(make("both"));
  j["destinations"][1]["uri"] = "SIP:10.0.1.30:5060";
  EXPECT_EQ(loadProfile(j.dump(), "p.json").message(),
            "p.json: destination 2: \"SIP:10.0.1.30:5060\" listed twice");
}

TEST(LoadProfile, NoActiveDestinationIsAnError) {
  auto j = profileToJson(make("old"));
  j["destinations"][0]["state"] = "drain";
  j["destinations"][0].erase("weight");
  EXPECT_EQ(loadProfile(j.dump(), "p.json").message(),
            "p.json: no active destination: every new dialog would fail");
}

TEST(LoadProfile, UnknownModeInAFileIsAnError) {
  auto j = profileToJson(make("old"));
  j["mode"] = "canary:150";
  EXPECT_EQ(loadProfile(j.dump(), "p.json").message(),
            "p.json: canary percentage must be an integer from 1 to 99, got \"150\" (use old for "
            "0 and new for 100)");
}

TEST(LoadProfile, KamailioLinesOfAnotherSetAreAnError) {
  std::string text = renderKamailio(make("both")) + "2 sip:10.0.9.9:5060 0 0 weight=100\n";
  EXPECT_EQ(loadProfile(text, "p.list").message(),
            "p.list: line 6: set 2 differs from the header's set 1");
}

TEST(LoadProfile, EditedKamailioWeightsAreChecked) {
  std::string text = renderKamailio(make("both"));
  text.replace(text.find("weight=50"), 9, "weight=70");
  EXPECT_EQ(loadProfile(text, "p.list").message(),
            "p.list: active weights sum to 120, expected 100");
}

}  // namespace
}  // namespace tandem::migrate
