// Acceptance against Asterisk's own data in ../shared/testdata/asterisk: sip.conf.sample (the
// last chan_sip sample) converts in every format to documented option names only, lints without
// errors, and reports what was not mapped. Skipped, with a message, when ../shared is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "pjsip/options.h"
#include "pjsip/pjsip.h"

namespace tandem::pjsip {
namespace {

const std::string kAsteriskDir = TANDEM_SOURCE_DIR "/../shared/testdata/asterisk";

// object type → documented option names, read from pjsip_options.tsv at test time.
std::map<std::string, std::set<std::string>> documentedOptions() {
  std::map<std::string, std::set<std::string>> out;
  std::ifstream in(kAsteriskDir + "/pjsip_options.tsv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    size_t tab2 = line.find('\t', tab + 1);
    std::string option =
        line.substr(tab + 1, tab2 == std::string::npos ? line.npos : tab2 - tab - 1);
    // "endpoint&#47;*" is the documentation's escaped "endpoint/*".
    if (size_t amp = option.find("&#47;"); amp != std::string::npos) option.replace(amp, 5, "/");
    out[line.substr(0, tab)].insert(option);
  }
  return out;
}

bool documented(const std::map<std::string, std::set<std::string>>& docs, const std::string& type,
                const std::string& option) {
  auto t = docs.find(type);
  if (t == docs.end()) return false;
  if (t->second.count(option) > 0) return true;
  if (type == "wizard") {
    size_t slash = option.find('/');
    if (slash == std::string::npos) return false;
    std::string prefix = option.substr(0, slash);
    if (t->second.count(prefix + "/*") == 0) return false;
    std::string target = prefix == "inbound_auth" || prefix == "outbound_auth" ? "auth" : prefix;
    return documented(docs, target, option.substr(slash + 1));
  }
  return false;
}

class SampleTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kAsteriskDir + "/sip.conf.sample") ||
        !std::filesystem::exists(kAsteriskDir + "/pjsip_options.tsv")) {
      GTEST_SKIP() << kAsteriskDir << "/sip.conf.sample or pjsip_options.tsv not found";
    }
    docs_ = documentedOptions();
  }

  // Every option in a pjsip.conf or pjsip_wizard.conf text is documented for its object type.
  void expectDocumented(const OutputFile& f) {
    auto config = parseConfig(f.text, f.name);
    ASSERT_TRUE(config.isOk()) << config.message();
    for (const Section& s : config->sections) {
      const Entry* type = s.last("type");
      ASSERT_NE(type, nullptr) << f.name << " [" << s.name << "] has no type";
      for (const Entry& e : s.own) {
        EXPECT_TRUE(documented(docs_, type->value, e.key))
            << e.where.toString() << ": " << type->value << " option " << e.key;
      }
    }
  }

  ConvertResult convertSample(Format format, SqlDialect dialect = SqlDialect::kPostgres) {
    DiskFiles files;
    auto r = convertAndLint(kAsteriskDir + "/sip.conf.sample", files, ConvertOptions{}, format,
                            dialect, "out");
    EXPECT_TRUE(r.isOk()) << r.message();
    return r.isOk() ? std::move(r).value() : ConvertResult{};
  }

  std::map<std::string, std::set<std::string>> docs_;
};

TEST_F(SampleTest, ConfOutputUsesOnlyDocumentedOptionsAndLintsClean) {
  ConvertResult r = convertSample(Format::kConf);
  for (const OutputFile& f : r.output.files) expectDocumented(f);
  EXPECT_FALSE(hasErrors(r.findings)) << renderReport(r, Format::kConf, "out");
  // The classes of the sample stay templates.
  for (const char* t : {"basic-options", "natted-phone", "public-phone", "my-codecs"}) {
    const PjObject* o = r.conversion.doc.find(t, "endpoint");
    ASSERT_NE(o, nullptr) << t;
    EXPECT_TRUE(o->isTemplate);
  }
}

TEST_F(SampleTest, WizardOutputUsesOnlyDocumentedOptionsAndLintsClean) {
  ConvertResult r = convertSample(Format::kWizard);
  ASSERT_EQ(r.output.files.size(), 2u);
  for (const OutputFile& f : r.output.files) expectDocumented(f);
  EXPECT_FALSE(hasErrors(r.findings)) << renderReport(r, Format::kWizard, "out");
}

TEST_F(SampleTest, SqlOutputUsesOnlyDocumentedColumnsAndLintsClean) {
  for (SqlDialect d : {SqlDialect::kPostgres, SqlDialect::kMysql, SqlDialect::kSqlite}) {
    ConvertResult r = convertSample(Format::kSql, d);
    for (const OutputFile& f : r.output.files) {
      if (f.name == "pjsip.conf") expectDocumented(f);
    }
    EXPECT_FALSE(hasErrors(r.findings)) << renderReport(r, Format::kSql, "out");
  }
}

TEST_F(SampleTest, ReportListsWhatWasNotMapped) {
  ConvertResult r = convertSample(Format::kConf);
  std::string report = renderReport(r, Format::kConf, "out");
  EXPECT_NE(report.find("Not converted ("), std::string::npos);
  EXPECT_NE(report.find("sip.conf.sample:259 [general] srvlookup=yes"), std::string::npos)
      << report;
  EXPECT_NE(report.find("allowguest=yes, the default"), std::string::npos) << report;
}

TEST_F(SampleTest, OurOptionTableMatchesTheDocumentation) {
  for (const auto& [type, options] : docs_) {
    if (type == "object") continue;
    for (const std::string& o : options) {
      if (o.find("/*") != std::string::npos) continue;
      EXPECT_TRUE(isKnownOption(type, o)) << type << " " << o << " missing from our table";
    }
    for (const std::string& o : optionsOf(type)) {
      EXPECT_TRUE(options.count(o) > 0) << type << " " << o << " is not documented";
    }
  }
}

TEST_F(SampleTest, AsterisksOwnPjsipSamplesAreReadable) {
  DiskFiles files;
  for (const char* name : {"pjsip.conf.sample", "pjsip_wizard.conf.sample", "sorcery.conf.sample",
                           "extconfig.conf.sample"}) {
    auto c = readConfig(kAsteriskDir + "/" + name, files);
    EXPECT_TRUE(c.isOk()) << c.message();
  }
}

}  // namespace
}  // namespace tandem::pjsip
