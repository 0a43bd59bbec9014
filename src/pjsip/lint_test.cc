// Tests for the linter: one test per check, on small pjsip.conf and pjsip_wizard.conf texts, with
// the exact finding a user reads.
#include "pjsip/lint.h"

#include <gtest/gtest.h>

namespace tandem::pjsip {
namespace {

constexpr const char* kTransport =
    "[transport-udp]\ntype=transport\nprotocol=udp\nbind=0.0.0.0:5160\n";

std::vector<Finding> lintText(std::string_view text, std::vector<BindAddress> chanSip = {},
                              const char* name = "pjsip.conf") {
  auto config = parseConfig(text, name);
  EXPECT_TRUE(config.isOk()) << config.message();
  if (!config) return {};
  LintInput input;
  addConfigObjects(*config, input);
  LintOptions options;
  options.chanSipBinds = std::move(chanSip);
  return lint(input, options);
}

std::vector<std::string> codes(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) out.push_back(f.code);
  return out;
}

const Finding* byCode(const std::vector<Finding>& findings, std::string_view code) {
  for (const Finding& f : findings) {
    if (f.code == code) return &f;
  }
  return nullptr;
}

// A phone that lints clean: endpoint, aor accepting one registration, auth.
constexpr const char* kPhone =
    "[6001]\ntype=endpoint\naors=6001\nauth=6001\nallow=ulaw\nidentify_by=username\n"
    "[6001]\ntype=aor\nmax_contacts=1\n"
    "[6001]\ntype=auth\nusername=6001\npassword=pw\n";

TEST(LintTest, CleanPhoneHasNoFindings) {
  EXPECT_TRUE(lintText(std::string(kTransport) + kPhone).empty());
}

TEST(LintTest, UnknownOptionSuggestsTheRealName) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\ndirected_media_glare_mitigation=outgoing\n"
                    "aors=6001\nauth=6001\n[6001]\ntype=aor\nmax_contacts=1\n"
                    "[6001]\ntype=auth\nusername=6001\npassword=pw\n");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].toString(),
            "pjsip.conf:7: error [unknown-option] endpoint 6001: unknown option "
            "\"directed_media_glare_mitigation\": Asterisk refuses to create the endpoint; fix: "
            "use \"direct_media_glare_mitigation\"");
}

TEST(LintTest, OutboundproxyOnARegistrationIsUnknown) {
  auto f = lintText(std::string(kTransport) +
                    "[r]\ntype=registration\nserver_uri=sip:p\nclient_uri=sip:u@p\n"
                    "outboundproxy=sip:x\nline=yes\nendpoint=e\n[e]\ntype=endpoint\n"
                    "identify_by=ip\n[e]\ntype=identify\nendpoint=e\nmatch=1.2.3.4\n");
  const Finding* u = byCode(f, "unknown-option");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->fix, "use \"outbound_proxy\"");
}

TEST(LintTest, AorInsteadOfAorsIsUnknownWithTheFix) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\naor=6001\nauth=6001\n[6001]\ntype=auth\n"
                    "username=6001\npassword=pw\n");
  const Finding* u = byCode(f, "unknown-option");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->fix, "use \"aors\"");
}

TEST(LintTest, MissingAndUnknownType) {
  auto f = lintText(std::string(kTransport) + "[a]\ncontext=x\n[b]\ntype=endpont\n");
  EXPECT_EQ(codes(f), (std::vector<std::string>{"missing-type", "unknown-type"}));
}

TEST(LintTest, DuplicateIdOfOneTypeRejectsTheFile) {
  auto f = lintText(std::string(kTransport) + kPhone + "[6001]\ntype=aor\nmax_contacts=2\n");
  const Finding* d = byCode(f, "duplicate-id");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(
      d->message,
      "a second aor named \"6001\" (first at pjsip.conf:11): Asterisk rejects the whole file");
}

TEST(LintTest, ReferenceToAMissingAuth) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\naors=6001\nauth=6001-auth\n[6001]\ntype=aor\n"
                    "max_contacts=1\n");
  const Finding* d = byCode(f, "dangling-ref");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->message, "auth=6001-auth: no auth named \"6001-auth\"");
}

TEST(LintTest, ReferenceToAnObjectOfTheWrongType) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\naors=6001\nauth=6001x\n[6001]\ntype=aor\n"
                    "max_contacts=1\n[6001x]\ntype=aor\nmax_contacts=1\n");
  const Finding* d = byCode(f, "dangling-ref");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->message, "auth=6001x: \"6001x\" is a aor, not an auth");
}

TEST(LintTest, BindConflictWithChanSipSuggestsTheDualStackPort) {
  auto f = lintText("[t]\ntype=transport\nprotocol=udp\nbind=0.0.0.0:5060\n" + std::string(kPhone),
                    {{"udp", "0.0.0.0", 5060}});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].toString(),
            "pjsip.conf:4: error [bind-conflict] transport t: binds udp 0.0.0.0:5060, where "
            "chan_sip listens (udp 0.0.0.0:5060): whichever starts second cannot bind; fix: "
            "bind=0.0.0.0:5160 while both stacks run (the dual-stack port); move to 5060 once "
            "chan_sip is unloaded");
}

TEST(LintTest, BindConflictNeedsTheSamePortAndOverlappingAddress) {
  std::string t = "[t]\ntype=transport\nprotocol=udp\nbind=192.0.2.1:5060\n";
  EXPECT_EQ(byCode(lintText(t + kPhone, {{"udp", "0.0.0.0", 5060}}), "bind-conflict") != nullptr,
            true);
  EXPECT_EQ(byCode(lintText(t + kPhone, {{"udp", "192.0.2.2", 5060}}), "bind-conflict"), nullptr);
  EXPECT_EQ(byCode(lintText(t + kPhone, {{"tcp", "0.0.0.0", 5060}}), "bind-conflict"), nullptr);
}

TEST(LintTest, TwoTransportsOnOneAddress) {
  auto f = lintText(std::string(kTransport) + "[t2]\ntype=transport\nbind=0.0.0.0:5160\n" + kPhone);
  const Finding* b = byCode(f, "bind-conflict");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->message, "binds udp 0.0.0.0:5160, as transport transport-udp does");
}

TEST(LintTest, NoTransportAtAll) {
  EXPECT_EQ(codes(lintText(kPhone)), (std::vector<std::string>{"no-transport"}));
}

TEST(LintTest, RegisteringPhoneIdentifiedByIpOnly) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\naors=6001\nauth=6001\nidentify_by=ip\n[6001]\n"
                    "type=aor\nmax_contacts=1\n[6001]\ntype=auth\nusername=6001\npassword=pw\n");
  const Finding* i = byCode(f, "identify-by");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->severity, Severity::kError);
  EXPECT_EQ(i->fix, "identify_by=username");
}

TEST(LintTest, IdentifyObjectUnusedBecauseIdentifyByLacksIp) {
  auto f = lintText(std::string(kTransport) +
                    "[gw]\ntype=endpoint\naors=gw\nauth=gw\nidentify_by=username\n[gw]\n"
                    "type=aor\ncontact=sip:192.0.2.5\n[gw]\ntype=auth\nusername=gw\npassword=p\n"
                    "[gw]\ntype=identify\nendpoint=gw\nmatch=192.0.2.5\n");
  const Finding* i = byCode(f, "identify-by");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->fix, "identify_by=ip,username");
}

TEST(LintTest, IpTrunkWithDefaultIdentifyByIsOpenToNameSpoofing) {
  auto f = lintText(std::string(kTransport) +
                    "[gw]\ntype=endpoint\naors=gw\n[gw]\ntype=aor\ncontact=sip:192.0.2.5\n"
                    "[gw]\ntype=identify\nendpoint=gw\nmatch=192.0.2.5\n");
  const Finding* o = byCode(f, "open-endpoint");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->message,
            "no auth, and identify_by (default username,ip) lets anyone who sends From: gw call "
            "as this endpoint");
  EXPECT_EQ(o->fix, "identify_by=ip (an IP trunk)");
}

TEST(LintTest, RegisteringPhoneWithoutAuth) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\naors=6001\nidentify_by=username\n[6001]\ntype=aor\n"
                    "max_contacts=1\n");
  const Finding* o = byCode(f, "open-endpoint");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->message,
            "accepts registrations without auth: anyone can register as 6001 and take its calls");
}

TEST(LintTest, IpIdentifiedEndpointWithoutIdentifyObject) {
  auto f = lintText(std::string(kTransport) +
                    "[gw]\ntype=endpoint\naors=gw\nidentify_by=ip\n[gw]\ntype=aor\n"
                    "contact=sip:192.0.2.5\n");
  const Finding* i = byCode(f, "identify-by");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->severity, Severity::kWarning);
}

TEST(LintTest, NatPhoneWithoutSymmetricRtpAndContactRewrite) {
  std::string natTransport =
      "[t]\ntype=transport\nbind=0.0.0.0:5160\nlocal_net=192.168.0.0/16\n"
      "external_media_address=203.0.113.1\nexternal_signaling_address=203.0.113.1\n";
  auto f = lintText(natTransport + kPhone);
  const Finding* n = byCode(f, "nat-endpoint");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->fix, "rtp_symmetric=yes, rewrite_contact=yes");
}

TEST(LintTest, TransportWithExternalAddressButNoLocalNet) {
  auto f = lintText("[t]\ntype=transport\nbind=0.0.0.0:5160\nexternal_media_address=203.0.113.1\n" +
                    std::string(kPhone));
  const Finding* n = byCode(f, "nat-transport");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->fix, "local_net=<your LAN, e.g. 192.168.0.0/16>");
}

TEST(LintTest, TransportWithLocalNetButNoExternalAddress) {
  auto f = lintText("[t]\ntype=transport\nbind=0.0.0.0:5160\nlocal_net=192.168.0.0/16\n" +
                    std::string(kPhone));
  ASSERT_NE(byCode(f, "nat-transport"), nullptr);
}

TEST(LintTest, PrivateAsteriskWithNatPhonesNeedsExternalAddress) {
  auto f = lintText("[t]\ntype=transport\nbind=192.168.1.10:5160\n" + std::string(kPhone) +
                    "[6001](+)\nrtp_symmetric=yes\nrewrite_contact=yes\n");
  ASSERT_NE(byCode(f, "nat-transport"), nullptr);
}

TEST(LintTest, AorWithoutContactAndMaxContactsZero) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\naors=6001\nauth=6001\nidentify_by=username\n"
                    "[6001]\ntype=aor\n[6001]\ntype=auth\nusername=6001\npassword=pw\n");
  const Finding* m = byCode(f, "max-contacts");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->toString(),
            "pjsip.conf:10: error [max-contacts] aor 6001: no contact and max_contacts=0: "
            "registrations are refused (403) and there is nothing to call; fix: max_contacts=1 "
            "for a phone that registers, or contact=sip:<host> for a fixed peer");
}

TEST(LintTest, WizardAcceptingRegistrationsWithoutMaxContacts) {
  auto f = lintText(std::string(kTransport) +
                        "[6001]\ntype=wizard\naccepts_auth=yes\naccepts_registrations=yes\n"
                        "inbound_auth/username=6001\ninbound_auth/password=pw\n"
                        "endpoint/allow=ulaw\n",
                    {}, "pjsip_wizard.conf");
  const Finding* m = byCode(f, "max-contacts");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->fix,
            "aor/max_contacts=1 for a phone that registers, or aor/contact=sip:<host> for a fixed "
            "peer");
}

TEST(LintTest, WizardUnknownPassThroughOption) {
  auto f = lintText(std::string(kTransport) +
                        "[6001]\ntype=wizard\naccepts_auth=yes\naccepts_registrations=yes\n"
                        "inbound_auth/username=6001\ninbound_auth/password=pw\n"
                        "aor/max_contacts=1\nendpoint/dtmfmode=rfc4733\n",
                    {}, "pjsip_wizard.conf");
  const Finding* u = byCode(f, "unknown-option");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->fix, "use \"endpoint/dtmf_mode\"");
}

TEST(LintTest, WizardTrunkExpandsToIdentifyAndRegistrations) {
  auto f = lintText(std::string(kTransport) +
                        "[trunk]\ntype=wizard\nsends_auth=yes\nsends_registrations=yes\n"
                        "remote_hosts=sip1.itsp.example:5060,sip2.itsp.example\n"
                        "outbound_auth/username=u\noutbound_auth/password=p\n"
                        "endpoint/identify_by=ip\nregistration/line=yes\n"
                        "registration/endpoint=trunk\n",
                    {}, "pjsip_wizard.conf");
  EXPECT_TRUE(f.empty()) << f.front().toString();
}

TEST(LintTest, WizardAcceptsAuthWithoutUsername) {
  auto f = lintText(std::string(kTransport) +
                        "[6001]\ntype=wizard\naccepts_auth=yes\naccepts_registrations=yes\n"
                        "aor/max_contacts=1\n",
                    {}, "pjsip_wizard.conf");
  ASSERT_NE(byCode(f, "wizard-auth"), nullptr);
}

TEST(LintTest, GlobalAclObjectIsFlagged) {
  auto f = lintText(std::string(kTransport) + kPhone +
                    "[acl]\ntype=acl\ndeny=0.0.0.0/0.0.0.0\npermit=192.168.0.0/16\n");
  ASSERT_NE(byCode(f, "global-acl"), nullptr);
}

TEST(LintTest, AclMeantForAnEndpointButNotLinked) {
  auto f = lintText(std::string(kTransport) + kPhone +
                    "[6001-acl]\ntype=acl\ndeny=0.0.0.0/0.0.0.0\npermit=192.168.0.0/16\n");
  const Finding* a = byCode(f, "acl-unlinked");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->fix, "move its permit=/deny= lines onto endpoint 6001");
}

TEST(LintTest, EndpointAclNamingAPjsipAclObject) {
  auto f = lintText(std::string(kTransport) + kPhone + "[6001](+)\nacl=office\n" +
                    "[office]\ntype=acl\npermit=192.168.0.0/16\n");
  const Finding* a = byCode(f, "acl-unlinked");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->severity, Severity::kError);
}

TEST(LintTest, IdentifyNetworkCoveringAnotherEndpointsAddress) {
  auto f = lintText(std::string(kTransport) +
                    "[a]\ntype=endpoint\nidentify_by=ip\n[a]\ntype=identify\nendpoint=a\n"
                    "match=10.0.0.0/8\n[b]\ntype=endpoint\nidentify_by=ip\n[b]\ntype=identify\n"
                    "endpoint=b\nmatch=10.1.2.3\n");
  const Finding* o = byCode(f, "identify-overlap");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->severity, Severity::kWarning);
  EXPECT_EQ(o->message,
            "match 10.0.0.0/8 (endpoint a) covers 10.1.2.3 of identify b (endpoint b): calls "
            "from 10.1.2.3 may be taken for a");
}

TEST(LintTest, SameIdentifyMatchOnTwoEndpointsIsAnError) {
  auto f = lintText(std::string(kTransport) +
                    "[a]\ntype=endpoint\nidentify_by=ip\n[a]\ntype=identify\nendpoint=a\n"
                    "match=192.0.2.1/255.255.255.255\n[b]\ntype=endpoint\nidentify_by=ip\n"
                    "[b]\ntype=identify\nendpoint=b\nmatch=192.0.2.1\n");
  const Finding* o = byCode(f, "identify-overlap");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->severity, Severity::kError);
}

TEST(LintTest, RegistrationWithoutLineAndEndpoint) {
  auto f = lintText(std::string(kTransport) +
                    "[r]\ntype=registration\nserver_uri=sip:p\nclient_uri=sip:u@p\n");
  const Finding* r = byCode(f, "registration-unlinked");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->severity, Severity::kWarning);
}

TEST(LintTest, AuthWithoutPassword) {
  auto f = lintText(std::string(kTransport) +
                    "[6001]\ntype=endpoint\naors=6001\nauth=6001\nidentify_by=username\n"
                    "[6001]\ntype=aor\nmax_contacts=1\n[6001]\ntype=auth\nusername=6001\n");
  const Finding* a = byCode(f, "auth-incomplete");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->message, "auth without password");
}

TEST(LintTest, TemplateLinesAreCheckedOnce) {
  auto f = lintText(std::string(kTransport) +
                    "[phone](!)\ntype=endpoint\ndtmfmode=rfc4733\n"
                    "[6001](phone)\naors=6001\nauth=6001\n[6001]\ntype=aor\nmax_contacts=1\n"
                    "[6001]\ntype=auth\nusername=6001\npassword=pw\n"
                    "[6002](phone)\naors=6001\nauth=6001\n");
  int unknown = 0;
  for (const Finding& x : f) unknown += x.code == "unknown-option";
  EXPECT_EQ(unknown, 1);
  EXPECT_EQ(byCode(f, "unknown-option")->where.toString(), "pjsip.conf:7");
}

TEST(LintTest, FindingsAreOrderedByLine) {
  auto f = lintText("[b]\ntype=endpont\n[a]\ncontext=x\n");
  ASSERT_GE(f.size(), 2u);
  EXPECT_LT(f[0].where.line, f[1].where.line);
}

}  // namespace
}  // namespace tandem::pjsip
