// Tests for the writers and the template model: pjsip.conf text, the wizard's shape, Realtime SQL
// encoding per dialect, and the template delta that keeps classes as classes.
#include <gtest/gtest.h>

#include "pjsip/pjsip.h"

#ifdef TANDEM_HAVE_SQLITE
#include <sqlite3.h>
#endif

namespace tandem::pjsip {
namespace {

Conversion convertText(std::string_view text) {
  auto config = parseConfig(text, "sip.conf");
  EXPECT_TRUE(config.isOk()) << config.message();
  auto c = convert(*config, {});
  EXPECT_TRUE(c.isOk()) << c.message();
  return c.isOk() ? std::move(c).value() : Conversion{};
}

const OutputFile* file(const Output& o, std::string_view name) {
  for (const OutputFile& f : o.files) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

constexpr const char* kSmall =
    "[general]\nregister => 1234:pw@sip.prov.example\n"
    "[phone](!)\ntype=friend\nhost=dynamic\nnat=yes\nsetvar=GREETING=hi\\; there\n"
    "[6001](phone)\nsecret=s1\n"
    "[prov]\ntype=peer\nhost=sip.prov.example\ndefaultuser=1234\nsecret=pw\ninsecure=invite\n"
    "outboundproxy=edge.prov.example\n"
    "[billing]\ntype=user\nsecret=b\n";

TEST(WritersTest, ConfEscapesSemicolonsAndWritesTemplateHeaders) {
  Output o = writeOutput(convertText(kSmall), Format::kConf, SqlDialect::kPostgres);
  const std::string& text = file(o, "pjsip.conf")->text;
  EXPECT_NE(text.find("set_var=GREETING=hi\\; there\n"), std::string::npos);
  EXPECT_NE(text.find("outbound_proxy=sip:edge.prov.example\\;lr\n"), std::string::npos);
  EXPECT_NE(text.find("\n[phone](!,sip-defaults)\ntype=endpoint\n"), std::string::npos);
  EXPECT_NE(text.find("\n[6001](phone)\ntype=endpoint\n"), std::string::npos);
}

TEST(WritersTest, ConfRoundTripsThroughTheReader) {
  Conversion c = convertText(kSmall);
  Output o = writeOutput(c, Format::kConf, SqlDialect::kPostgres);
  auto parsed = parseConfig(file(o, "pjsip.conf")->text, "pjsip.conf");
  ASSERT_TRUE(parsed.isOk()) << parsed.message();
  const Section* ep = nullptr;
  for (const Section& s : parsed->sections) {
    if (s.name == "6001" && s.last("type")->value == "endpoint") ep = &s;
  }
  ASSERT_NE(ep, nullptr);
  EXPECT_EQ(ep->last("set_var")->value, "GREETING=hi; there");
  EXPECT_EQ(ep->last("rtp_symmetric")->value, "yes");
}

TEST(WritersTest, WizardPhoneAcceptsRegistrationsWithMaxContacts) {
  auto [wiz, conf] = buildWizard(convertText(kSmall));
  const PjObject* p = wiz.find("6001", "wizard");
  ASSERT_NE(p, nullptr);
  OptionList w = resolveOptions(wiz, *p);
  EXPECT_EQ(w.value("accepts_registrations"), "yes");
  EXPECT_EQ(w.value("aor/max_contacts"), "1");  // without it the wizard's aor refuses them
  EXPECT_EQ(w.value("accepts_auth"), "yes");
  EXPECT_EQ(w.value("inbound_auth/username"), "6001");
  EXPECT_EQ(w.value("inbound_auth/password"), "s1");
  EXPECT_EQ(p->parents, (std::vector<std::string>{"phone"}));
  EXPECT_NE(wiz.find("phone", "wizard"), nullptr);
}

TEST(WritersTest, WizardTrunkSendsItsRegistration) {
  auto [wiz, conf] = buildWizard(convertText(kSmall));
  OptionList w = resolveOptions(wiz, *wiz.find("prov", "wizard"));
  EXPECT_EQ(w.value("remote_hosts"), "sip.prov.example");
  EXPECT_EQ(w.value("sends_auth"), "yes");
  EXPECT_EQ(w.value("outbound_auth/username"), "1234");
  EXPECT_EQ(w.value("sends_registrations"), "yes");
  EXPECT_EQ(w.value("registration/line"), "yes");
  EXPECT_EQ(w.value("registration/endpoint"), "prov");
  EXPECT_EQ(w.value("accepts_auth"), "");                     // insecure=invite
  EXPECT_EQ(conf.find("prov-reg", "registration"), nullptr);  // carried by the wizard
}

TEST(WritersTest, WizardLeavesTypeUserAsAPlainEndpoint) {
  // The wizard always creates an aor; a type=user endpoint has none.
  auto [wiz, conf] = buildWizard(convertText(kSmall));
  EXPECT_EQ(wiz.find("billing"), nullptr);
  const PjObject* ep = conf.find("billing", "endpoint");
  ASSERT_NE(ep, nullptr);
  EXPECT_TRUE(ep->parents.empty());
  EXPECT_NE(conf.find("billing", "auth"), nullptr);
}

TEST(WritersTest, SqlEncodesSemicolonsAsCaret3B) {
  Output o = writeOutput(convertText(kSmall), Format::kSql, SqlDialect::kPostgres);
  const std::string& sql = file(o, "pjsip_realtime.sql")->text;
  EXPECT_NE(sql.find("'GREETING=hi^3B there'"), std::string::npos);
  EXPECT_NE(sql.find("'sip:edge.prov.example^3Blr'"), std::string::npos);
  EXPECT_NE(sql.find("DELETE FROM ps_endpoints WHERE id = '6001';\nINSERT INTO ps_endpoints (id,"),
            std::string::npos);
  EXPECT_NE(sql.find("INSERT INTO ps_registrations"), std::string::npos);
  EXPECT_NE(sql.find("INSERT INTO ps_auths"), std::string::npos);
  EXPECT_NE(sql.find("INSERT INTO ps_endpoint_id_ips"), std::string::npos);
  EXPECT_NE(sql.find("BEGIN;"), std::string::npos);
}

TEST(WritersTest, SqlRowsHaveEveryTableAndTransportsStayInPjsipConf) {
  Output o = writeOutput(convertText(kSmall), Format::kSql, SqlDialect::kPostgres);
  EXPECT_NE(file(o, "pjsip.conf")->text.find("[transport-udp]"), std::string::npos);
  EXPECT_EQ(file(o, "pjsip.conf")->text.find("type=endpoint"), std::string::npos);
  const std::string& sorcery = file(o, "sorcery.conf")->text;
  for (const char* line :
       {"endpoint=realtime,ps_endpoints", "auth=realtime,ps_auths", "aor=realtime,ps_aors",
        "contact=realtime,ps_contacts", "identify=realtime,ps_endpoint_id_ips",
        "registration=realtime,ps_registrations"}) {
    EXPECT_NE(sorcery.find(line), std::string::npos) << line;
  }
  EXPECT_NE(file(o, "extconfig.conf")->text.find("ps_registrations => odbc,asterisk"),
            std::string::npos);
}

TEST(WritersTest, SqlLiteralsPerDialect) {
  EXPECT_EQ(sqlLiteral("it's", SqlDialect::kPostgres), "'it''s'");
  EXPECT_EQ(sqlLiteral("a\\b", SqlDialect::kPostgres), "'a\\b'");
  EXPECT_EQ(sqlLiteral("a\\b", SqlDialect::kMysql), "'a\\\\b'");
  EXPECT_EQ(encodeRealtime("sip:p;lr"), "sip:p^3Blr");
}

TEST(WritersTest, MysqlQuotesOddColumnNamesWithBackticks) {
  Conversion c = convertText("[general]\n[p]\ntype=friend\nhost=dynamic\nsecret=x\n");
  // 100rel starts with a digit: it must be quoted to be a column name.
  for (PjObject& o : c.doc.objects) {
    if (o.id == "p" && o.type == "endpoint") o.options.put("100rel", "no");
  }
  EXPECT_NE(file(writeOutput(c, Format::kSql, SqlDialect::kMysql), "pjsip_realtime.sql")
                ->text.find("`100rel`"),
            std::string::npos);
  EXPECT_NE(file(writeOutput(c, Format::kSql, SqlDialect::kPostgres), "pjsip_realtime.sql")
                ->text.find("\"100rel\""),
            std::string::npos);
}

#ifdef TANDEM_HAVE_SQLITE
TEST(WritersTest, SqliteScriptLoadsIntoSqlite) {
  Output o = writeOutput(convertText(kSmall), Format::kSql, SqlDialect::kSqlite);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db, file(o, "pjsip_realtime.sql")->text.c_str(), nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
  sqlite3_free(error);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT set_var FROM ps_endpoints WHERE id = '6001'", -1, &st,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "GREETING=hi^3B there");
  sqlite3_finalize(st);
  // Running it twice is safe: rows are replaced, not duplicated.
  EXPECT_EQ(
      sqlite3_exec(db, file(o, "pjsip_realtime.sql")->text.c_str(), nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
}
#endif

TEST(ModelTest, DeltaWritesOnlyWhatDiffers) {
  OptionList parent;
  parent.put("context", "office");
  parent.put("direct_media", "no");
  OptionList child;
  child.put("context", "office");
  child.put("direct_media", "yes");
  child.put("callerid", "A <1>");
  OptionList d = deltaOptions(child, parent, "endpoint");
  ASSERT_EQ(d.items().size(), 2u);
  EXPECT_EQ(d.value("direct_media"), "yes");
  EXPECT_EQ(d.value("callerid"), "A <1>");
}

TEST(ModelTest, DeltaResetsAParentValueToTheDefault) {
  OptionList parent;
  parent.put("disable_direct_media_on_nat", "yes");
  OptionList d = deltaOptions(OptionList{}, parent, "endpoint");
  EXPECT_EQ(d.value("disable_direct_media_on_nat"), "no");
}

TEST(ModelTest, DeltaAppendsListTails) {
  OptionList parent;
  parent.put("permit", "10.0.0.0/8");
  OptionList child;
  child.put("permit", "10.0.0.0/8");
  child.put("permit", "192.168.0.0/16");
  OptionList d = deltaOptions(child, parent, "endpoint");
  ASSERT_EQ(d.items().size(), 1u);
  EXPECT_EQ(d.items()[0].value, "192.168.0.0/16");
}

TEST(ModelTest, DeltaComparesCodecListsByResult) {
  OptionList parent;
  parent.put("allow", "ulaw,alaw");
  OptionList same;
  same.put("disallow", "all");
  same.put("allow", "ulaw");
  same.put("allow", "alaw");
  EXPECT_TRUE(deltaOptions(same, parent, "endpoint").empty());
  OptionList other;
  other.put("allow", "ulaw,alaw");
  other.put("disallow", "all");
  other.put("allow", "g722");
  OptionList d = deltaOptions(other, parent, "endpoint");
  EXPECT_EQ(effectiveCodecs(resolveOptions(PjDocument{}, PjObject{})), "");
  OptionList applied = parent;
  for (const Option& o : d.items()) applied.put(o.key, o.value);
  EXPECT_EQ(effectiveCodecs(applied), "g722");
}

}  // namespace
}  // namespace tandem::pjsip
