// Tests for our option table's lookups: known names, wizard pass-throughs, suggestions, lists.
#include "pjsip/options.h"

#include <gtest/gtest.h>

namespace tandem::pjsip {
namespace {

TEST(OptionsTest, KnowsEndpointAorAuthOptions) {
  EXPECT_TRUE(isKnownOption("endpoint", "direct_media_glare_mitigation"));
  EXPECT_TRUE(isKnownOption("aor", "max_contacts"));
  EXPECT_TRUE(isKnownOption("auth", "md5_cred"));
  EXPECT_TRUE(isKnownOption("registration", "outbound_proxy"));
  EXPECT_TRUE(isKnownOption("transport", "external_media_address"));
}

TEST(OptionsTest, RejectsTheNamesSipToPjsipInvents) {
  EXPECT_FALSE(isKnownOption("endpoint", "directed_media_glare_mitigation"));
  EXPECT_FALSE(isKnownOption("endpoint", "disable_directed_media_on_nat"));
  EXPECT_FALSE(isKnownOption("registration", "outboundproxy"));
}

TEST(OptionsTest, SuggestsTheClosestRealName) {
  EXPECT_EQ(closestOption("endpoint", "directed_media_glare_mitigation"),
            "direct_media_glare_mitigation");
  EXPECT_EQ(closestOption("endpoint", "disable_directed_media_on_nat"),
            "disable_direct_media_on_nat");
  EXPECT_EQ(closestOption("registration", "outboundproxy"), "outbound_proxy");
  EXPECT_EQ(closestOption("endpoint", "aor"), "aors");
  EXPECT_EQ(closestOption("endpoint", "completely_unrelated_thing"), "");
}

TEST(OptionsTest, WizardPassThroughsAreCheckedAgainstTheirObject) {
  EXPECT_TRUE(isKnownOption("wizard", "endpoint/context"));
  EXPECT_TRUE(isKnownOption("wizard", "inbound_auth/password"));
  EXPECT_TRUE(isKnownOption("wizard", "aor/max_contacts"));
  EXPECT_FALSE(isKnownOption("wizard", "endpoint/dtmfmode"));
  EXPECT_FALSE(isKnownOption("wizard", "endpoint/type"));
  EXPECT_EQ(closestOption("wizard", "endpoint/dtmfmode"), "endpoint/dtmf_mode");
}

TEST(OptionsTest, DefaultsThatMatter) {
  EXPECT_EQ(defaultOf("aor", "max_contacts"), "0");
  EXPECT_EQ(defaultOf("endpoint", "force_rport"), "yes");
  EXPECT_EQ(defaultOf("wizard", "endpoint/direct_media"), "yes");
  EXPECT_EQ(defaultOf("endpoint", "context"), std::nullopt);
}

TEST(OptionsTest, ListOptionsAccumulate) {
  EXPECT_TRUE(isListOption("allow"));
  EXPECT_TRUE(isListOption("permit"));
  EXPECT_TRUE(isListOption("endpoint/set_var"));
  EXPECT_FALSE(isListOption("context"));
}

TEST(OptionsTest, EditDistance) {
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(editDistance("", "abc"), 3u);
}

}  // namespace
}  // namespace tandem::pjsip
