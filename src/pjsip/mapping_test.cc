// One named test per sip.conf → PJSIP mapping row: what a user gets in pjsip.conf for each
// chan_sip option, including the defects of sip_to_pjsip.py that must not come back.
#include <gtest/gtest.h>

#include "pjsip/converter.h"
#include "pjsip/options.h"

namespace tandem::pjsip {
namespace {

Conversion convertText(std::string_view text, ConvertOptions options = {}) {
  auto config = parseConfig(text, "sip.conf");
  EXPECT_TRUE(config.isOk()) << config.message();
  if (!config) return {};
  auto c = convert(*config, options);
  EXPECT_TRUE(c.isOk()) << c.message();
  return c.isOk() ? std::move(c).value() : Conversion{};
}

// The options of an object as Asterisk resolves them (templates applied).
OptionList resolved(const Conversion& c, std::string_view id, std::string_view type) {
  const PjObject* o = c.doc.find(id, type);
  EXPECT_NE(o, nullptr) << type << " " << id << " missing";
  if (o == nullptr) return {};
  for (const std::string& p : o->parents) {
    EXPECT_NE(c.doc.find(p), nullptr) << "parent " << p;
  }
  return resolveOptions(c.doc, *o);
}

// A registering phone with one extra line.
OptionList phone(std::string_view line) {
  std::string text = "[p]\ntype=friend\nhost=dynamic\nsecret=pw\n" + std::string(line) + "\n";
  return resolved(convertText(text), "p", "endpoint");
}
OptionList phoneAor(std::string_view line) {
  std::string text = "[p]\ntype=friend\nhost=dynamic\nsecret=pw\n" + std::string(line) + "\n";
  return resolved(convertText(text), "p", "aor");
}

const Unmapped* unmappedRow(const Conversion& c, std::string_view key) {
  for (const Unmapped& u : c.unmapped) {
    if (u.key == key) return &u;
  }
  return nullptr;
}

std::vector<std::string> all(const OptionList& o, std::string_view key) {
  std::vector<std::string> out;
  for (const Option* x : o.getAll(key)) out.push_back(x->value);
  return out;
}

// ---- Renamed options, value kept ----------------------------------------------------------------

struct RenameRow {
  const char* name;
  const char* sip;
  const char* value;
  const char* pjsip;
  const char* expected;
  bool aor = false;
};

class RenameTest : public testing::TestWithParam<RenameRow> {};

TEST_P(RenameTest, MapsToTheDocumentedOption) {
  const RenameRow& row = GetParam();
  std::string line = std::string(row.sip) + "=" + row.value;
  OptionList o = row.aor ? phoneAor(line) : phone(line);
  EXPECT_EQ(o.value(row.pjsip), row.expected) << line;
  EXPECT_TRUE(isKnownOption(row.aor ? "aor" : "endpoint", row.pjsip));
}

INSTANTIATE_TEST_SUITE_P(
    Mapping, RenameTest,
    testing::Values(
        RenameRow{"context", "context", "from-office", "context", "from-office"},
        RenameRow{"callerid", "callerid", "\"Anna\" <2001>", "callerid", "\"Anna\" <2001>"},
        RenameRow{"callingpres", "callingpres", "prohib", "callerid_privacy", "prohib"},
        RenameRow{"cid_tag", "cid_tag", "desk", "callerid_tag", "desk"},
        RenameRow{"language", "language", "de", "language", "de"},
        RenameRow{"tonezone", "tonezone", "se", "tone_zone", "se"},
        RenameRow{"mohsuggest", "mohsuggest", "jazz", "moh_suggest", "jazz"},
        RenameRow{"accountcode", "accountcode", "acme", "accountcode", "acme"},
        RenameRow{"callgroup", "callgroup", "1,3-4", "call_group", "1,3-4"},
        RenameRow{"pickupgroup", "pickupgroup", "1,3-5", "pickup_group", "1,3-5"},
        RenameRow{"namedcallgroup", "namedcallgroup", "sales", "named_call_group", "sales"},
        RenameRow{"namedpickupgroup", "namedpickupgroup", "sales", "named_pickup_group", "sales"},
        RenameRow{"subscribecontext", "subscribecontext", "hints", "subscribe_context", "hints"},
        RenameRow{"fromuser", "fromuser", "4015552299", "from_user", "4015552299"},
        RenameRow{"fromdomain", "fromdomain", "example.com", "from_domain", "example.com"},
        RenameRow{"vmexten", "vmexten", "voicemail", "voicemail_extension", "voicemail"},
        RenameRow{"unsolicited_mailbox", "unsolicited_mailbox", "4015552299",
                  "incoming_mwi_mailbox", "4015552299"},
        RenameRow{"rtptimeout", "rtptimeout", "60", "rtp_timeout", "60"},
        RenameRow{"rtpholdtimeout", "rtpholdtimeout", "300", "rtp_timeout_hold", "300"},
        RenameRow{"rtpkeepalive", "rtpkeepalive", "15", "rtp_keepalive", "15"},
        RenameRow{"session_expires", "session-expires", "600", "timers_sess_expires", "600"},
        RenameRow{"session_minse", "session-minse", "90", "timers_min_se", "90"},
        RenameRow{"busylevel", "busylevel", "2", "device_state_busy_at", "2"},
        RenameRow{"sdpsession", "sdpsession", "PBX", "sdp_session", "PBX"},
        RenameRow{"sdpowner", "sdpowner", "root", "sdp_owner", "root"},
        RenameRow{"rtp_engine", "rtp_engine", "asterisk", "rtp_engine", "asterisk"},
        RenameRow{"tos_audio", "tos_audio", "ef", "tos_audio", "ef"},
        RenameRow{"tos_video", "tos_video", "af41", "tos_video", "af41"},
        RenameRow{"cos_audio", "cos_audio", "5", "cos_audio", "5"},
        RenameRow{"cos_video", "cos_video", "4", "cos_video", "4"},
        RenameRow{"dtlsverify", "dtlsverify", "fingerprint", "dtls_verify", "fingerprint"},
        RenameRow{"dtlsrekey", "dtlsrekey", "60", "dtls_rekey", "60"},
        RenameRow{"dtlscertfile", "dtlscertfile", "/k/c.pem", "dtls_cert_file", "/k/c.pem"},
        RenameRow{"dtlsprivatekey", "dtlsprivatekey", "/k/k.pem", "dtls_private_key", "/k/k.pem"},
        RenameRow{"dtlscipher", "dtlscipher", "HIGH", "dtls_cipher", "HIGH"},
        RenameRow{"dtlscafile", "dtlscafile", "/k/ca.pem", "dtls_ca_file", "/k/ca.pem"},
        RenameRow{"dtlscapath", "dtlscapath", "/k", "dtls_ca_path", "/k"},
        RenameRow{"dtlssetup", "dtlssetup", "actpass", "dtls_setup", "actpass"},
        RenameRow{"dtlsfingerprint", "dtlsfingerprint", "sha-256", "dtls_fingerprint", "sha-256"},
        RenameRow{"outofcall_message_context", "outofcall_message_context", "messages",
                  "message_context", "messages"},
        RenameRow{"media_address", "media_address", "172.16.42.1", "media_address", "172.16.42.1"},
        RenameRow{"mwi_from", "mwi_from", "Voicemail", "mwi_from_user", "Voicemail"},
        RenameRow{"recordonfeature", "recordonfeature", "automixmon", "record_on_feature",
                  "automixmon"},
        RenameRow{"recordofffeature", "recordofffeature", "automixmon", "record_off_feature",
                  "automixmon"},
        RenameRow{"acl", "acl", "office_acl", "acl", "office_acl"},
        RenameRow{"contactpermit", "contactpermit", "172.16.0.0/16", "contact_permit",
                  "172.16.0.0/16"},
        RenameRow{"contactdeny", "contactdeny", "0.0.0.0/0", "contact_deny", "0.0.0.0/0"},
        RenameRow{"contactacl", "contactacl", "phones", "contact_acl", "phones"},
        RenameRow{"defaultexpiry", "defaultexpiry", "120", "default_expiration", "120", true},
        RenameRow{"maxexpiry", "maxexpiry", "3600", "maximum_expiration", "3600", true},
        RenameRow{"minexpiry", "minexpiry", "60", "minimum_expiration", "60", true}),
    [](const testing::TestParamInfo<RenameRow>& row) { return std::string(row.param.name); });

// ---- Renamed yes/no options ---------------------------------------------------------------------

class BooleanTest : public testing::TestWithParam<RenameRow> {};

TEST_P(BooleanTest, MapsYesAndNo) {
  const RenameRow& row = GetParam();
  OptionList yes =
      row.aor ? phoneAor(std::string(row.sip) + "=yes") : phone(std::string(row.sip) + "=yes");
  OptionList no =
      row.aor ? phoneAor(std::string(row.sip) + "=no") : phone(std::string(row.sip) + "=no");
  EXPECT_EQ(yes.value(row.pjsip), "yes");
  EXPECT_EQ(no.value(row.pjsip), "no");
  EXPECT_TRUE(isKnownOption(row.aor ? "aor" : "endpoint", row.pjsip));
}

INSTANTIATE_TEST_SUITE_P(
    Mapping, BooleanTest,
    testing::Values(RenameRow{"allowsubscribe", "allowsubscribe", "", "allow_subscribe", ""},
                    RenameRow{"allowtransfer", "allowtransfer", "", "allow_transfer", ""},
                    RenameRow{"trustrpid", "trustrpid", "", "trust_id_inbound", ""},
                    RenameRow{"t38pt_usertpsource", "t38pt_usertpsource", "", "t38_udptl_nat", ""},
                    RenameRow{"usereqphone", "usereqphone", "", "user_eq_phone", ""},
                    RenameRow{"g726nonstandard", "g726nonstandard", "", "g726_non_standard", ""},
                    RenameRow{"avpf", "avpf", "", "use_avpf", ""},
                    RenameRow{"force_avp", "force_avp", "", "force_avp", ""},
                    RenameRow{"rtcp_mux", "rtcp_mux", "", "rtcp_mux", ""},
                    RenameRow{"icesupport", "icesupport", "", "ice_support", ""},
                    RenameRow{"rpid_immediate", "rpid_immediate", "", "rpid_immediate", ""},
                    RenameRow{"autoframing", "autoframing", "", "use_ptime", ""},
                    RenameRow{"dtlsautogeneratecert", "dtlsautogeneratecert", "",
                              "dtls_auto_generate_cert", ""},
                    RenameRow{"send_diversion", "send_diversion", "", "send_diversion", ""},
                    RenameRow{"preferred_codec_only", "preferred_codec_only", "",
                              "preferred_codec_only", ""},
                    RenameRow{"supportpath", "supportpath", "", "support_path", "", true}),
    [](const testing::TestParamInfo<RenameRow>& row) { return std::string(row.param.name); });

TEST(MappingTest, BooleanOptionRejectsOtherValuesWithFileAndLine) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\nallowtransfer=maybe\n");
  const Unmapped* u = unmappedRow(c, "allowtransfer");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->where.toString(), "sip.conf:5");
  EXPECT_EQ(u->reason, "expected yes or no");
}

// ---- Codecs and repeated options ---------------------------------------------------------------

TEST(MappingTest, AllowAndDisallowKeepTheirOrder) {
  OptionList o = phone("disallow=all\nallow=g722\nallow=alaw");
  EXPECT_EQ(effectiveCodecs(o), "g722,alaw");
}

TEST(MappingTest, AllowBangAllShorthandBecomesDisallowAll) {
  OptionList o = phone("allow=!all,ulaw,alaw");
  EXPECT_EQ(effectiveCodecs(o), "ulaw,alaw");
}

TEST(MappingTest, ChanSipDefaultCodecsAreWrittenWhenNoneAreGiven) {
  // A PJSIP endpoint without allow= has no codec at all.
  EXPECT_EQ(effectiveCodecs(phone("context=a")), "ulaw,alaw,gsm");
}

TEST(MappingTest, GeneralAllowEditsTheDefaultCodecs) {
  Conversion c = convertText("[general]\nallow=g722\n[p]\ntype=friend\nhost=dynamic\nsecret=x\n");
  EXPECT_EQ(effectiveCodecs(resolved(c, "p", "endpoint")), "ulaw,alaw,gsm,g722");
}

TEST(MappingTest, SetvarBecomesOneSetVarPerLine) {
  OptionList o = phone("setvar=CUSTID=5678\nsetvar=ATTENDED_TRANSFER_COMPLETE_SOUND=beep");
  EXPECT_EQ(all(o, "set_var"),
            (std::vector<std::string>{"CUSTID=5678", "ATTENDED_TRANSFER_COMPLETE_SOUND=beep"}));
}

TEST(MappingTest, PermitAndDenyStayOnTheEndpointInOrder) {
  Conversion c = convertText(
      "[a]\ntype=friend\nhost=dynamic\nsecret=x\ndeny=0.0.0.0/0.0.0.0\npermit=192.168.0.0/24\n"
      "[b]\ntype=friend\nhost=dynamic\nsecret=y\npermit=10.0.0.0/8\n");
  OptionList a = resolved(c, "a", "endpoint");
  std::vector<std::string> acl;
  for (const Option& o : a.items()) {
    if (o.key == "permit" || o.key == "deny") acl.push_back(o.key + "=" + o.value);
  }
  EXPECT_EQ(acl, (std::vector<std::string>{"deny=0.0.0.0/0.0.0.0", "permit=192.168.0.0/24"}));
  EXPECT_EQ(all(resolved(c, "b", "endpoint"), "permit"), (std::vector<std::string>{"10.0.0.0/8"}));
  // Never merged into one global acl object (a sip_to_pjsip.py defect).
  for (const PjObject& o : c.doc.objects) EXPECT_NE(o.type, "acl");
}

// ---- Values that change shape ------------------------------------------------------------------

TEST(MappingTest, AllowOverlapYesAndNo) {
  EXPECT_EQ(phone("allowoverlap=yes").value("allow_overlap"), "yes");
  EXPECT_EQ(phone("allowoverlap=no").value("allow_overlap"), "no");
}

TEST(MappingTest, AllowOverlapDtmfIsReported) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\nallowoverlap=dtmf\n");
  ASSERT_NE(unmappedRow(c, "allowoverlap"), nullptr);
  EXPECT_EQ(unmappedRow(c, "allowoverlap")->reason,
            "PJSIP supports RFC 3578 overlap dialing only (yes or no), not \"dtmf\"");
}

TEST(MappingTest, DtmfmodeRfc2833IsRfc4733) {
  EXPECT_EQ(phone("dtmfmode=rfc2833").value("dtmf_mode"), "rfc4733");
}
TEST(MappingTest, DtmfmodeInfo) { EXPECT_EQ(phone("dtmfmode=info").value("dtmf_mode"), "info"); }
TEST(MappingTest, DtmfmodeInband) {
  EXPECT_EQ(phone("dtmfmode=inband").value("dtmf_mode"), "inband");
}
TEST(MappingTest, DtmfmodeAutoIsAutoNotNone) {
  // PJSIP's auto: RFC 4733 when offered, inband otherwise (sip_to_pjsip.py wrote "none").
  EXPECT_EQ(phone("dtmfmode=auto").value("dtmf_mode"), "auto");
}
TEST(MappingTest, DtmfmodeShortinfoIsInfoAndReported) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\ndtmfmode=shortinfo\n");
  EXPECT_EQ(resolved(c, "p", "endpoint").value("dtmf_mode"), "info");
  ASSERT_NE(unmappedRow(c, "dtmfmode"), nullptr);
}

TEST(MappingTest, DirectmediaYes) {
  EXPECT_EQ(phone("directmedia=yes").value("direct_media"), "yes");
}
TEST(MappingTest, DirectmediaNo) { EXPECT_EQ(phone("directmedia=no").value("direct_media"), "no"); }
TEST(MappingTest, DirectmediaNonatKeepsDirectMediaOn) {
  // sip_to_pjsip.py: 'no' in 'nonat' turned direct media off.
  OptionList o = phone("directmedia=nonat");
  EXPECT_EQ(o.value("direct_media"), "yes");
  EXPECT_EQ(o.value("disable_direct_media_on_nat"), "yes");
  EXPECT_FALSE(o.has("disable_directed_media_on_nat"));
}
TEST(MappingTest, DirectmediaUpdate) {
  OptionList o = phone("directmedia=update");
  EXPECT_EQ(o.value("direct_media"), "yes");
  EXPECT_EQ(o.value("direct_media_method"), "update");
}
TEST(MappingTest, DirectmediaOutgoingUsesTheRealGlareOption) {
  OptionList o = phone("directmedia=outgoing");
  EXPECT_EQ(o.value("direct_media_glare_mitigation"), "outgoing");
  EXPECT_FALSE(o.has("directed_media_glare_mitigation"));
}
TEST(MappingTest, DirectmediaUpdateNonat) {
  OptionList o = phone("directmedia=update,nonat");
  EXPECT_EQ(o.value("direct_media_method"), "update");
  EXPECT_EQ(o.value("disable_direct_media_on_nat"), "yes");
}
TEST(MappingTest, CanreinviteIsTheOldNameOfDirectmedia) {
  EXPECT_EQ(phone("canreinvite=no").value("direct_media"), "no");
}

struct NatRow {
  const char* name;
  const char* value;
  const char* symmetric;
  const char* rport;
  const char* rewrite;
};
class NatTest : public testing::TestWithParam<NatRow> {};
TEST_P(NatTest, SetsTheThreeNatOptions) {
  const NatRow& row = GetParam();
  OptionList o = phone(std::string("nat=") + row.value);
  EXPECT_EQ(o.value("rtp_symmetric"), row.symmetric);
  EXPECT_EQ(o.value("force_rport"), row.rport);
  EXPECT_EQ(o.value("rewrite_contact"), row.rewrite);
}
INSTANTIATE_TEST_SUITE_P(
    Mapping, NatTest,
    testing::Values(NatRow{"no_is_written_explicitly", "no", "no", "no", "no"},
                    NatRow{"yes", "yes", "yes", "yes", "yes"},
                    NatRow{"force_rport", "force_rport", "no", "yes", "yes"},
                    NatRow{"comedia", "comedia", "yes", "no", "no"},
                    NatRow{"force_rport_comedia", "force_rport,comedia", "yes", "yes", "yes"},
                    NatRow{"auto_force_rport", "auto_force_rport", "no", "yes", "no"},
                    NatRow{"auto_comedia", "auto_comedia", "yes", "no", "no"},
                    NatRow{"no_wins_in_a_list", "force_rport,no", "no", "no", "no"}),
    [](const testing::TestParamInfo<NatRow>& row) { return std::string(row.param.name); });

TEST(MappingTest, QualifyYesSetsFrequencyAndChanSipTimeout) {
  OptionList aor = phoneAor("qualify=yes");
  EXPECT_EQ(aor.value("qualify_frequency"), "60");
  EXPECT_EQ(aor.value("qualify_timeout"), "2.0");
}
TEST(MappingTest, QualifyMillisecondsIsTheTimeout) {
  OptionList aor = phoneAor("qualify=1000");
  EXPECT_EQ(aor.value("qualify_frequency"), "60");
  EXPECT_EQ(aor.value("qualify_timeout"), "1.0");
}
TEST(MappingTest, QualifyfreqSetsTheFrequency) {
  EXPECT_EQ(phoneAor("qualify=yes\nqualifyfreq=25").value("qualify_frequency"), "25");
}
TEST(MappingTest, QualifyNoWritesZero) {
  EXPECT_EQ(phoneAor("qualify=no").value("qualify_frequency"), "0");
}
TEST(MappingTest, QualifyfreqAloneQualifiesNothing) {
  EXPECT_FALSE(phoneAor("qualifyfreq=30").has("qualify_frequency"));
}

TEST(MappingTest, SendrpidYesAndRpid) {
  EXPECT_EQ(phone("sendrpid=yes").value("send_rpid"), "yes");
  EXPECT_EQ(phone("sendrpid=rpid").value("send_rpid"), "yes");
}
TEST(MappingTest, SendrpidPai) { EXPECT_EQ(phone("sendrpid=pai").value("send_pai"), "yes"); }

TEST(MappingTest, TrustIdOutboundYes) {
  EXPECT_EQ(phone("trust_id_outbound=yes").value("trust_id_outbound"), "yes");
}
TEST(MappingTest, TrustIdOutboundLegacyIsReported) {
  Conversion c =
      convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\ntrust_id_outbound=legacy\n");
  ASSERT_NE(unmappedRow(c, "trust_id_outbound"), nullptr);
}

TEST(MappingTest, ProgressinbandNeverIsNo) {
  EXPECT_EQ(phone("progressinband=never").value("inband_progress"), "no");
  EXPECT_EQ(phone("progressinband=yes").value("inband_progress"), "yes");
}

TEST(MappingTest, SessionTimersAcceptOriginateRefuse) {
  EXPECT_EQ(phone("session-timers=accept").value("timers"), "yes");
  EXPECT_EQ(phone("session-timers=originate").value("timers"), "always");
  EXPECT_EQ(phone("session-timers=refuse").value("timers"), "no");
}

TEST(MappingTest, T38ptUdptlWithErrorCorrectionAndMaxdatagram) {
  OptionList o = phone("t38pt_udptl=yes,redundancy,maxdatagram=400");
  EXPECT_EQ(o.value("t38_udptl"), "yes");
  EXPECT_EQ(o.value("t38_udptl_ec"), "redundancy");
  EXPECT_EQ(o.value("t38_udptl_maxdatagram"), "400");
}

TEST(MappingTest, FaxdetectYesAndCng) {
  EXPECT_EQ(phone("faxdetect=yes").value("fax_detect"), "yes");
  EXPECT_EQ(phone("faxdetect=cng").value("fax_detect"), "yes");
}
TEST(MappingTest, FaxdetectT38IsReported) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\nfaxdetect=t38\n");
  ASSERT_NE(unmappedRow(c, "faxdetect"), nullptr);
}

TEST(MappingTest, EncryptionIsSdes) {
  EXPECT_EQ(phone("encryption=yes").value("media_encryption"), "sdes");
}
TEST(MappingTest, EncryptionTaglen32) {
  EXPECT_EQ(phone("encryption_taglen=32").value("srtp_tag_32"), "yes");
}
TEST(MappingTest, DtlsenableIsDtls) {
  EXPECT_EQ(phone("dtlsenable=yes\nencryption=yes").value("media_encryption"), "dtls");
}

TEST(MappingTest, ParkinglotBecomesAChannelVariable) {
  EXPECT_EQ(all(phone("parkinglot=plaza"), "set_var"),
            (std::vector<std::string>{"CHANNEL(parkinglot)=plaza"}));
}
TEST(MappingTest, AmaflagsBecomesAChannelVariable) {
  EXPECT_EQ(all(phone("amaflags=billing"), "set_var"),
            (std::vector<std::string>{"CHANNEL(amaflags)=billing"}));
}
TEST(MappingTest, MohinterpretBecomesTheMusicClass) {
  EXPECT_EQ(all(phone("mohinterpret=jazz"), "set_var"),
            (std::vector<std::string>{"CHANNEL(musicclass)=jazz"}));
}

TEST(MappingTest, RpidUpdateUsesUpdateForConnectedLine) {
  EXPECT_EQ(phone("rpid_update=yes").value("connected_line_method"), "update");
}

TEST(MappingTest, OutboundproxyIsALooseRouteUriOnEndpointAndAor) {
  Conversion c = convertText("[t]\ntype=peer\nhost=1.2.3.4\noutboundproxy=proxy.example:5070\n");
  EXPECT_EQ(resolved(c, "t", "endpoint").value("outbound_proxy"), "sip:proxy.example:5070;lr");
  EXPECT_EQ(resolved(c, "t", "aor").value("outbound_proxy"), "sip:proxy.example:5070;lr");
}
TEST(MappingTest, OutboundproxyWithTlsSchemeAndIpv6) {
  EXPECT_EQ(phone("outboundproxy=tls://[2001:db8::1]:5062").value("outbound_proxy"),
            "sip:[2001:db8::1]:5062;lr;transport=tls");
  EXPECT_EQ(phone("outboundproxy=2001:db8::1").value("outbound_proxy"), "sip:[2001:db8::1];lr");
}
TEST(MappingTest, OutboundproxyForceIsReported) {
  Conversion c =
      convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\noutboundproxy=p.example,force\n");
  EXPECT_EQ(resolved(c, "p", "endpoint").value("outbound_proxy"), "sip:p.example;lr");
  ASSERT_NE(unmappedRow(c, "outboundproxy"), nullptr);
}

TEST(MappingTest, TransportPicksTheFirstEnabledTransport) {
  Conversion c = convertText(
      "[general]\ntcpenable=yes\n[p]\ntype=friend\nhost=dynamic\nsecret=x\ntransport=tcp,udp\n");
  EXPECT_EQ(resolved(c, "p", "endpoint").value("transport"), "transport-tcp");
}
TEST(MappingTest, TransportNotEnabledIsReported) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\ntransport=tls\n");
  ASSERT_NE(unmappedRow(c, "transport"), nullptr);
  EXPECT_EQ(unmappedRow(c, "transport")->reason,
            "no PJSIP transport for \"tls\" (enable it in [general] first)");
}

TEST(MappingTest, MailboxGoesToTheEndpoint) {
  EXPECT_EQ(phone("mailbox=6001@default").value("mailboxes"), "6001@default");
}
TEST(MappingTest, MailboxWithSubscribemwiGoesToTheAor) {
  Conversion c = convertText(
      "[p]\ntype=friend\nhost=dynamic\nsecret=x\nmailbox=6001@default\nsubscribemwi=yes\n");
  EXPECT_EQ(resolved(c, "p", "aor").value("mailboxes"), "6001@default");
  EXPECT_FALSE(resolved(c, "p", "endpoint").has("mailboxes"));
}

// ---- Peer structure
// -------------------------------------------------------------------------------

TEST(MappingTest, HostDynamicAcceptsOneRegistration) {
  // A wizard-style aor without max_contacts refuses registrations (403).
  OptionList aor = phoneAor("context=a");
  EXPECT_EQ(aor.value("max_contacts"), "1");
  EXPECT_EQ(aor.value("remove_existing"), "yes");
  EXPECT_FALSE(aor.has("contact"));
}

TEST(MappingTest, HostStaticIsAContactAndAnIdentify) {
  Conversion c = convertText("[gw]\ntype=peer\nhost=192.0.2.5\nport=5080\ndefaultuser=trunk\n");
  EXPECT_EQ(resolved(c, "gw", "aor").value("contact"), "sip:trunk@192.0.2.5:5080");
  OptionList id = resolved(c, "gw", "identify");
  EXPECT_EQ(id.value("endpoint"), "gw");
  EXPECT_EQ(id.value("match"), "192.0.2.5");
  EXPECT_EQ(resolved(c, "gw", "endpoint").value("identify_by"), "ip");
}

TEST(MappingTest, UsernameIsTheOldNameOfDefaultuser) {
  Conversion c = convertText("[gw]\ntype=peer\nhost=192.0.2.5\nusername=trunk\nremotesecret=x\n");
  EXPECT_EQ(resolved(c, "gw", "aor").value("contact"), "sip:trunk@192.0.2.5");
  EXPECT_EQ(resolved(c, "gw-out", "auth").value("username"), "trunk");
}

TEST(MappingTest, SecretIsAnInboundAuthNamedLikeThePeer) {
  Conversion c = convertText("[6001]\ntype=friend\nhost=dynamic\nsecret=peekaboo\n");
  OptionList ep = resolved(c, "6001", "endpoint");
  EXPECT_EQ(ep.value("auth"), "6001");
  EXPECT_EQ(ep.value("aors"), "6001");
  EXPECT_FALSE(ep.has("outbound_auth"));  // phones do not challenge the PBX
  OptionList auth = resolved(c, "6001", "auth");
  EXPECT_EQ(auth.value("username"), "6001");
  EXPECT_EQ(auth.value("password"), "peekaboo");
}

TEST(MappingTest, Md5secretIsAnMd5Credential) {
  Conversion c = convertText(
      "[general]\nrealm=pbx.example\n[6001]\ntype=friend\nhost=dynamic\n"
      "md5secret=bc53f0ba8ceb1ded2b70e05c3f91de4f\n");
  OptionList auth = resolved(c, "6001", "auth");
  EXPECT_EQ(auth.value("auth_type"), "md5");
  EXPECT_EQ(auth.value("md5_cred"), "bc53f0ba8ceb1ded2b70e05c3f91de4f");
  EXPECT_EQ(auth.value("realm"), "pbx.example");
}

TEST(MappingTest, RemotesecretAndDefaultuserAreTheOutboundAuth) {
  Conversion c = convertText(
      "[prov]\ntype=peer\nhost=sip.prov.example\ndefaultuser=acct\n"
      "remotesecret=theirs\nsecret=ours\n");
  OptionList ep = resolved(c, "prov", "endpoint");
  EXPECT_EQ(ep.value("auth"), "prov");
  EXPECT_EQ(ep.value("outbound_auth"), "prov-out");
  EXPECT_EQ(resolved(c, "prov-out", "auth").value("username"), "acct");
  EXPECT_EQ(resolved(c, "prov-out", "auth").value("password"), "theirs");
  EXPECT_EQ(resolved(c, "prov", "auth").value("password"), "ours");
}

TEST(MappingTest, StaticPeerWithSecretAnswersChallengesWithIt) {
  Conversion c = convertText("[gw]\ntype=friend\nhost=192.0.2.9\nsecret=s3\n");
  OptionList ep = resolved(c, "gw", "endpoint");
  EXPECT_EQ(ep.value("auth"), "gw");
  EXPECT_EQ(ep.value("outbound_auth"), "gw");
  EXPECT_EQ(ep.value("identify_by"), "ip,username");
}

TEST(MappingTest, InsecureInviteMeansNoInboundAuth) {
  Conversion c =
      convertText("[prov]\ntype=peer\nhost=sip.prov.example\nsecret=pw\ninsecure=invite\n");
  OptionList ep = resolved(c, "prov", "endpoint");
  EXPECT_FALSE(ep.has("auth"));
  EXPECT_EQ(ep.value("outbound_auth"), "prov-out");
  EXPECT_EQ(ep.value("identify_by"), "ip");
}

TEST(MappingTest, InsecurePortIdentifiesByIpAlone) {
  Conversion c = convertText("[gw]\ntype=peer\nhost=192.0.2.5\ninsecure=port\n");
  EXPECT_EQ(resolved(c, "gw", "endpoint").value("identify_by"), "ip");
  EXPECT_EQ(resolved(c, "gw", "identify").value("match"), "192.0.2.5");
  EXPECT_EQ(unmappedRow(c, "insecure"), nullptr);  // mapped, not ignored
}

TEST(MappingTest, InsecureVeryIsPortAndInvite) {
  Conversion c = convertText("[gw]\ntype=peer\nhost=192.0.2.5\nsecret=pw\ninsecure=very\n");
  EXPECT_FALSE(resolved(c, "gw", "endpoint").has("auth"));
}

TEST(MappingTest, TypeUserCallsInOnlySoHasNoAor) {
  Conversion c = convertText("[billing]\ntype=user\nsecret=pw\ncontext=billing\n");
  OptionList ep = resolved(c, "billing", "endpoint");
  EXPECT_FALSE(ep.has("aors"));
  EXPECT_EQ(ep.value("auth"), "billing");
  EXPECT_EQ(ep.value("identify_by"), "username");
  EXPECT_EQ(c.doc.find("billing", "aor"), nullptr);
  EXPECT_EQ(c.peer("billing")->kind, PeerKind::kUser);
}

TEST(MappingTest, TypePeerWithFixedHostIsMatchedByIpOnly) {
  Conversion c = convertText("[gw]\ntype=peer\nhost=192.0.2.5\nsecret=pw\n");
  EXPECT_EQ(resolved(c, "gw", "endpoint").value("identify_by"), "ip");
}

TEST(MappingTest, TypeFriendRegisteringIsIdentifiedByName) {
  EXPECT_EQ(phone("context=a").value("identify_by"), "username");
}

TEST(MappingTest, MatchAuthUsernameIdentifiesByAuthUsername) {
  Conversion c = convertText(
      "[general]\nmatch_auth_username=yes\n[p]\ntype=friend\nhost=dynamic\n"
      "secret=x\n");
  EXPECT_EQ(resolved(c, "p", "endpoint").value("identify_by"), "auth_username,username");
}

TEST(MappingTest, SectionWithoutTypeIsSkippedAndReported) {
  Conversion c = convertText("[orphan]\nhost=dynamic\n");
  EXPECT_EQ(c.doc.find("orphan"), nullptr);
  const Unmapped* u = unmappedRow(c, "type");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->where.toString(), "sip.conf:1");
  EXPECT_EQ(u->reason, "section has no type=; chan_sip ignores it, so no PJSIP object is written");
}

TEST(MappingTest, PeerWithoutHostGetsNoAorAndANote) {
  Conversion c = convertText("[ghost]\ntype=peer\ncontext=a\n");
  EXPECT_EQ(c.doc.find("ghost", "aor"), nullptr);
  EXPECT_EQ(c.peer("ghost")->kind, PeerKind::kUnreachable);
  ASSERT_FALSE(c.notes.empty());
}

TEST(MappingTest, DescriptionIsKeptAsAComment) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\ndescription=Reception\n");
  const PjObject* ep = c.doc.find("p", "endpoint");
  ASSERT_NE(ep, nullptr);
  EXPECT_NE(std::find(ep->comments.begin(), ep->comments.end(), "description: Reception"),
            ep->comments.end());
}

TEST(MappingTest, CallLimitIsReportedWithFileAndLine) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\ncall-limit=2\n");
  const Unmapped* u = unmappedRow(c, "call-limit");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->where.toString(), "sip.conf:5");
  EXPECT_EQ(u->section, "p");
  EXPECT_TRUE(u->needsAttention);
}

TEST(MappingTest, EveryUnmappedLineOfASectionIsReportedNotJustTheFirst) {
  Conversion c = convertText(
      "[p]\ntype=friend\nhost=dynamic\nsecret=x\ncall-limit=2\n"
      "maxcallbitrate=384\nfrobnicate=yes\n");
  EXPECT_NE(unmappedRow(c, "call-limit"), nullptr);
  EXPECT_NE(unmappedRow(c, "maxcallbitrate"), nullptr);
  ASSERT_NE(unmappedRow(c, "frobnicate"), nullptr);
  EXPECT_EQ(unmappedRow(c, "frobnicate")->reason, "no PJSIP equivalent known to tandem");
}

TEST(MappingTest, TemplateLineIsReportedOnceAtTheTemplate) {
  Conversion c = convertText(
      "[t](!)\ntype=friend\nhost=dynamic\ncall-limit=2\n[a](t)\nsecret=x\n"
      "[b](t)\nsecret=y\n");
  int rows = 0;
  for (const Unmapped& u : c.unmapped) rows += u.key == "call-limit";
  EXPECT_EQ(rows, 1);
  EXPECT_EQ(unmappedRow(c, "call-limit")->where.toString(), "sip.conf:4");
}

// ---- Templates stay templates
// --------------------------------------------------------------------

TEST(MappingTest, TemplatesBecomePjsipTemplatesNotCopies) {
  Conversion c = convertText(
      "[phones](!)\ntype=friend\nhost=dynamic\ncontext=office\ndirectmedia=no\nnat=yes\n"
      "[6001](phones)\nsecret=a\n[6002](phones)\nsecret=b\n");
  const PjObject* t = c.doc.find("phones", "endpoint");
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->isTemplate);
  EXPECT_EQ(t->options.value("context"), "office");
  const PjObject* ep = c.doc.find("6001", "endpoint");
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(ep->parents, (std::vector<std::string>{"phones"}));
  EXPECT_FALSE(ep->options.has("context"));  // said once, by the class
  EXPECT_FALSE(ep->options.has("direct_media"));
  EXPECT_EQ(resolved(c, "6001", "endpoint").value("direct_media"), "no");
  const PjObject* aorTemplate = c.doc.find("phones-aor", "aor");
  ASSERT_NE(aorTemplate, nullptr);
  EXPECT_EQ(c.doc.find("6001", "aor")->parents, (std::vector<std::string>{"phones-aor"}));
}

TEST(MappingTest, ChildOverrideOfATemplateIsWritten) {
  Conversion c = convertText(
      "[t](!)\ntype=friend\nhost=dynamic\ndirectmedia=nonat\n"
      "[p](t)\nsecret=x\ndirectmedia=yes\n");
  OptionList ep = resolved(c, "p", "endpoint");
  EXPECT_EQ(ep.value("direct_media"), "yes");
  EXPECT_EQ(ep.value("disable_direct_media_on_nat"), "no");  // reset to PJSIP's default
}

TEST(MappingTest, GeneralPeerSettingsBecomeADefaultsTemplate) {
  Conversion c = convertText(
      "[general]\ncontext=public\nnat=no\n[p]\ntype=friend\nhost=dynamic\n"
      "secret=x\n");
  const PjObject* d = c.doc.find("sip-defaults", "endpoint");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->options.value("context"), "public");
  EXPECT_EQ(d->options.value("force_rport"), "no");  // PJSIP defaults to yes
  EXPECT_EQ(resolved(c, "p", "endpoint").value("context"), "public");
}

// ---- [general]: transports, global, system ------------------------------------------------------

TEST(MappingTest, BindaddrIsChanSipsListenerAndPjsipTakesPort5160) {
  Conversion c = convertText("[general]\nbindaddr=192.0.2.1\n");
  ASSERT_EQ(c.chanSipBinds.size(), 1u);
  EXPECT_EQ(c.chanSipBinds[0].toString(), "udp 192.0.2.1:5060");
  EXPECT_EQ(resolved(c, "transport-udp", "transport").value("bind"), "192.0.2.1:5160");
}

TEST(MappingTest, UdpbindaddrWithPortAndBindport) {
  EXPECT_EQ(convertText("[general]\nudpbindaddr=0.0.0.0:5062\n").chanSipBinds[0].port, 5062);
  EXPECT_EQ(convertText("[general]\nbindport=5070\n").chanSipBinds[0].port, 5070);
}

TEST(MappingTest, BindOptionChoosesThePjsipAddress) {
  ConvertOptions o;
  o.bind = "[::]:5170";
  Conversion c = convertText("[general]\n", o);
  EXPECT_EQ(resolved(c, "transport-udp", "transport").value("bind"), "[::]:5170");
}

TEST(MappingTest, TcpenableAddsATcpTransport) {
  Conversion c = convertText("[general]\ntcpenable=yes\n");
  EXPECT_EQ(resolved(c, "transport-tcp", "transport").value("protocol"), "tcp");
  EXPECT_EQ(c.chanSipBinds.size(), 2u);
}

TEST(MappingTest, TlsenableAddsATlsTransportOnTheNextPort) {
  Conversion c = convertText(
      "[general]\ntlsenable=yes\ntlscertfile=/k/c.pem\ntlsprivatekey=/k/k.pem\ntlscafile=/k/ca\n"
      "tlscapath=/k\ntlsclientmethod=tlsv1_2\ntlsdontverifyserver=yes\n");
  OptionList t = resolved(c, "transport-tls", "transport");
  EXPECT_EQ(t.value("bind"), "0.0.0.0:5161");
  EXPECT_EQ(t.value("cert_file"), "/k/c.pem");
  EXPECT_EQ(t.value("priv_key_file"), "/k/k.pem");
  EXPECT_EQ(t.value("ca_list_file"), "/k/ca");
  EXPECT_EQ(t.value("ca_list_path"), "/k");
  EXPECT_EQ(t.value("method"), "tlsv1_2");
  EXPECT_EQ(t.value("verify_server"), "no");
}

TEST(MappingTest, TlscipherAllIsReportedNotWritten) {
  Conversion c = convertText("[general]\ntlsenable=yes\ntlscipher=ALL\n");
  EXPECT_FALSE(resolved(c, "transport-tls", "transport").has("cipher"));
  ASSERT_NE(unmappedRow(c, "tlscipher"), nullptr);
}

TEST(MappingTest, LocalnetAndExternaddrGoOnEveryTransport) {
  Conversion c = convertText(
      "[general]\ntcpenable=yes\nlocalnet=192.168.0.0/255.255.0.0\n"
      "localnet=10.0.0.0/8\nexternaddr=203.0.113.7:9900\n");
  for (const char* id : {"transport-udp", "transport-tcp"}) {
    OptionList t = resolved(c, id, "transport");
    EXPECT_EQ(all(t, "local_net"),
              (std::vector<std::string>{"192.168.0.0/255.255.0.0", "10.0.0.0/8"}));
    EXPECT_EQ(t.value("external_media_address"), "203.0.113.7");
    EXPECT_EQ(t.value("external_signaling_address"), "203.0.113.7");
    EXPECT_EQ(t.value("external_signaling_port"), "9900");
  }
}

TEST(MappingTest, ExternipIsTheOldNameOfExternaddr) {
  Conversion c = convertText("[general]\nexternip=203.0.113.7\n");
  EXPECT_EQ(resolved(c, "transport-udp", "transport").value("external_media_address"),
            "203.0.113.7");
}

TEST(MappingTest, ExternhostIsUsedAndItsRefreshReported) {
  Conversion c = convertText("[general]\nexternhost=nat.example.org\nexternrefresh=60\n");
  EXPECT_EQ(resolved(c, "transport-udp", "transport").value("external_signaling_address"),
            "nat.example.org");
  ASSERT_NE(unmappedRow(c, "externrefresh"), nullptr);
}

TEST(MappingTest, RealmUseragentMaxforwardsRegcontextGoToGlobal) {
  Conversion c = convertText(
      "[general]\nrealm=pbx.example\nuseragent=PBX\nmaxforwards=20\n"
      "regcontext=sipregistrations\n");
  OptionList g = resolved(c, "global", "global");
  EXPECT_EQ(g.value("default_realm"), "pbx.example");
  EXPECT_EQ(g.value("user_agent"), "PBX");
  EXPECT_EQ(g.value("max_forwards"), "20");
  EXPECT_EQ(g.value("regcontext"), "sipregistrations");
}

TEST(MappingTest, TimersAndCompactHeadersGoToSystem) {
  Conversion c = convertText("[general]\ntimert1=400\ntimerb=20000\ncompactheaders=yes\n");
  OptionList s = resolved(c, "system", "system");
  EXPECT_EQ(s.value("timer_t1"), "400");
  EXPECT_EQ(s.value("timer_b"), "20000");
  EXPECT_EQ(s.value("compact_headers"), "yes");
}

TEST(MappingTest, AllowguestDefaultIsANote) {
  Conversion c = convertText("[general]\ncontext=public\n");
  ASSERT_FALSE(c.notes.empty());
  EXPECT_NE(c.notes[0].message.find("allowguest=yes"), std::string::npos);
}

TEST(MappingTest, SrvlookupNoIsReported) {
  Conversion c = convertText("[general]\nsrvlookup=no\n");
  ASSERT_NE(unmappedRow(c, "srvlookup"), nullptr);
  EXPECT_TRUE(unmappedRow(c, "srvlookup")->needsAttention);
}

TEST(MappingTest, GeneralOnlyOptionInAPeerIsReported) {
  Conversion c = convertText("[p]\ntype=friend\nhost=dynamic\nsecret=x\nlocalnet=10.0.0.0/8\n");
  ASSERT_NE(unmappedRow(c, "localnet"), nullptr);
  EXPECT_EQ(unmappedRow(c, "localnet")->reason, "only valid in [general]; ignored here");
}

// ---- Registrations
// --------------------------------------------------------------------------------

TEST(MappingTest, RegisterLineBecomesALinkedRegistration) {
  Conversion c = convertText(
      "[general]\nregister => 1234:pw@sip.prov.example/6000\n"
      "[prov]\ntype=peer\nhost=sip.prov.example\ndefaultuser=1234\nsecret=pw\ninsecure=invite\n");
  OptionList r = resolved(c, "prov-reg", "registration");
  EXPECT_EQ(r.value("server_uri"), "sip:sip.prov.example");
  EXPECT_EQ(r.value("client_uri"), "sip:1234@sip.prov.example");
  EXPECT_EQ(r.value("contact_user"), "6000");
  EXPECT_EQ(r.value("outbound_auth"), "prov-out");  // the peer's own credentials
  EXPECT_EQ(r.value("line"), "yes");
  EXPECT_EQ(r.value("endpoint"), "prov");
  EXPECT_EQ(r.value("expiration"), "120");     // chan_sip's default, not PJSIP's 3600
  EXPECT_EQ(r.value("retry_interval"), "20");  // chan_sip's registertimeout default
  EXPECT_EQ(r.value("max_retries"), "10000");  // chan_sip retried forever
  EXPECT_FALSE(r.has("outboundproxy"));
}

TEST(MappingTest, TwoRegisterLinesToOneHostStayTwoRegistrations) {
  Conversion c =
      convertText("[general]\nregister => 100:a@sip.example\nregister => 200:b@sip.example\n");
  ASSERT_EQ(c.registrations.size(), 2u);
  EXPECT_EQ(c.registrations[0].id, "reg-sip.example");
  EXPECT_EQ(c.registrations[1].id, "reg-sip.example-2");
  EXPECT_EQ(resolved(c, "reg-sip.example-2", "registration").value("client_uri"),
            "sip:200@sip.example");
}

TEST(MappingTest, RegisterWithPeerTransportExpiryAndAuthuser) {
  Conversion c = convertText(
      "[general]\ntlsenable=yes\nregister => prov?tls://me:pw:authme@sip.prov.example:5061/in~600\n"
      "[prov]\ntype=peer\nhost=sip.prov.example\n");
  OptionList r = resolved(c, "prov-reg", "registration");
  EXPECT_EQ(r.value("server_uri"), "sip:sip.prov.example:5061;transport=tls");
  EXPECT_EQ(r.value("transport"), "transport-tls");
  EXPECT_EQ(r.value("expiration"), "600");
  EXPECT_EQ(r.value("endpoint"), "prov");
  std::string auth = r.value("outbound_auth");
  EXPECT_EQ(resolved(c, auth, "auth").value("username"), "authme");
}

TEST(MappingTest, RegisterDomainAndDomainPort) {
  Conversion c = convertText("[general]\nregister => 3456@mydomain:5082::@mysipprovider.com\n");
  OptionList r = resolved(c, "reg-mysipprovider.com", "registration");
  EXPECT_EQ(r.value("client_uri"), "sip:3456@mydomain:5082");
  EXPECT_EQ(r.value("server_uri"), "sip:mysipprovider.com");
}

TEST(MappingTest, RegistrationGeneralSettings) {
  Conversion c = convertText(
      "[general]\ndefaultexpiry=300\nregistertimeout=45\nregisterattempts=5\n"
      "register_retry_403=yes\nregister => u:p@h.example\n");
  OptionList r = resolved(c, "reg-h.example", "registration");
  EXPECT_EQ(r.value("expiration"), "300");
  EXPECT_EQ(r.value("retry_interval"), "45");
  EXPECT_EQ(r.value("max_retries"), "5");
  EXPECT_EQ(r.value("auth_rejection_permanent"), "no");
}

TEST(MappingTest, BadRegisterLineIsReportedWithItsLine) {
  Conversion c = convertText("[general]\nregister => nohost\n");
  const Unmapped* u = unmappedRow(c, "register");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->where.toString(), "sip.conf:2");
  EXPECT_EQ(u->reason, "register line \"nohost\": missing user@host");
}

TEST(MappingTest, CallbackextensionRegistersThePeer) {
  Conversion c = convertText(
      "[prov]\ntype=peer\nhost=sip.prov.example\ndefaultuser=4015552299\n"
      "remotesecret=pw\ncallbackextension=123\n");
  OptionList r = resolved(c, "prov-reg", "registration");
  EXPECT_EQ(r.value("client_uri"), "sip:4015552299@sip.prov.example");
  EXPECT_EQ(r.value("contact_user"), "123");
  EXPECT_EQ(r.value("endpoint"), "prov");
}

TEST(MappingTest, AuthenticationSectionGivesRealmCredentials) {
  Conversion c = convertText(
      "[authentication]\nauth=mark:topsecret@digium.com\n"
      "[prov]\ntype=peer\nhost=p.example\nremotesecret=x\n");
  OptionList a = resolved(c, "auth-digium.com", "auth");
  EXPECT_EQ(a.value("username"), "mark");
  EXPECT_EQ(a.value("password"), "topsecret");
  EXPECT_EQ(a.value("realm"), "digium.com");
  EXPECT_EQ(resolved(c, "prov", "endpoint").value("outbound_auth"), "prov-out,auth-digium.com");
}

TEST(MappingTest, EveryWrittenOptionIsDocumented) {
  Conversion c = convertText(
      "[general]\ntcpenable=yes\nexternaddr=1.2.3.4\nlocalnet=10.0.0.0/8\nrealm=r\n"
      "register => u:p@sip.example\n"
      "[t](!)\ntype=friend\nhost=dynamic\nnat=yes\ndirectmedia=outgoing,nonat\ndtmfmode=auto\n"
      "qualify=yes\n[p](t)\nsecret=x\nmailbox=1@default\n[gw]\ntype=peer\nhost=sip.example\n"
      "outboundproxy=px.example\nsecret=s\n");
  for (const PjObject& o : c.doc.objects) {
    for (const Option& opt : o.options.items()) {
      EXPECT_TRUE(isKnownOption(o.type, opt.key)) << o.type << " " << o.id << ": " << opt.key;
    }
  }
}

}  // namespace
}  // namespace tandem::pjsip
