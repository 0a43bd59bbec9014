// Golden-file tests: realistic sip.conf fixtures under tests/pjsip/<case>/ converted in every
// format, with the report and the batch plan, compared byte for byte with tests/pjsip/<case>/
// expected/. TANDEM_UPDATE_GOLDEN=1 rewrites the expected files (review the diff before
// committing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "pjsip/pjsip.h"

namespace tandem::pjsip {
namespace {

namespace fs = std::filesystem;

fs::path caseDir(const std::string& name) {
  return fs::path(TANDEM_SOURCE_DIR) / "tests" / "pjsip" / name;
}

// The fixture's files, keyed by their path relative to the case directory, as a sip.conf
// in the current directory would see them.
MemoryFiles loadFixture(const std::string& name) {
  MemoryFiles files;
  fs::path dir = caseDir(name);
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    fs::path rel = fs::relative(entry.path(), dir);
    if (*rel.begin() == "expected") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    files.add(rel.generic_string(), text.str());
  }
  return files;
}

void compareGolden(const std::string& caseName, const std::string& relPath,
                   const std::string& actual) {
  fs::path path = caseDir(caseName) / "expected" / relPath;
  if (std::getenv("TANDEM_UPDATE_GOLDEN") != nullptr) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << path << " is missing; run with TANDEM_UPDATE_GOLDEN=1";
  std::ostringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return;
  // Point at the first differing line, which is what a reviewer needs.
  std::istringstream a(actual);
  std::istringstream e(expected.str());
  std::string la;
  std::string le;
  int line = 0;
  while (true) {
    ++line;
    bool ga = static_cast<bool>(std::getline(a, la));
    bool ge = static_cast<bool>(std::getline(e, le));
    if (!ga && !ge) break;
    if (!ga || !ge || la != le) {
      ADD_FAILURE() << path << ":" << line << " differs\n  expected: " << (ge ? le : "<end>")
                    << "\n  actual:   " << (ga ? la : "<end>");
      return;
    }
  }
  ADD_FAILURE() << path << " differs";
}

void checkFormat(const std::string& caseName, Format format, SqlDialect dialect,
                 const std::string& dirName) {
  MemoryFiles files = loadFixture(caseName);
  auto r = convertAndLint("sip.conf", files, ConvertOptions{}, format, dialect, "");
  ASSERT_TRUE(r.isOk()) << r.message();
  for (const OutputFile& f : r->output.files)
    compareGolden(caseName, dirName + "/" + f.name, f.text);
  compareGolden(caseName, dirName + "/report.txt", renderReport(*r, format, ""));
  EXPECT_FALSE(hasErrors(r->findings)) << renderReport(*r, format, "");
}

void checkPlan(const std::string& caseName, const PlanOptions& options, const std::string& name) {
  MemoryFiles files = loadFixture(caseName);
  auto c = convertFile("sip.conf", files, ConvertOptions{});
  ASSERT_TRUE(c.isOk()) << c.message();
  auto plan = makePlan(*c, options);
  ASSERT_TRUE(plan.isOk()) << plan.message();
  compareGolden(caseName, name + ".txt", renderPlanText(*plan));
  compareGolden(caseName, name + ".json", renderPlanJson(*plan));
}

TEST(GoldenTest, OfficeConf) {
  checkFormat("office", Format::kConf, SqlDialect::kPostgres, "conf");
}
TEST(GoldenTest, OfficeWizard) {
  checkFormat("office", Format::kWizard, SqlDialect::kPostgres, "wizard");
}
TEST(GoldenTest, OfficeSqlPostgres) {
  checkFormat("office", Format::kSql, SqlDialect::kPostgres, "sql-postgres");
}
TEST(GoldenTest, OfficePlanInTwoBatches) {
  checkPlan("office", PlanOptions{PlanGrouping::kBatches, 2}, "plan-batches-2");
}

TEST(GoldenTest, CarrierConf) {
  checkFormat("carrier", Format::kConf, SqlDialect::kPostgres, "conf");
}
TEST(GoldenTest, CarrierWizard) {
  checkFormat("carrier", Format::kWizard, SqlDialect::kPostgres, "wizard");
}
TEST(GoldenTest, CarrierSqlPostgres) {
  checkFormat("carrier", Format::kSql, SqlDialect::kPostgres, "sql-postgres");
}
TEST(GoldenTest, CarrierSqlMysql) {
  checkFormat("carrier", Format::kSql, SqlDialect::kMysql, "sql-mysql");
}
TEST(GoldenTest, CarrierSqlSqlite) {
  checkFormat("carrier", Format::kSql, SqlDialect::kSqlite, "sql-sqlite");
}
TEST(GoldenTest, CarrierPlanByContext) {
  checkPlan("carrier", PlanOptions{PlanGrouping::kContext, 0}, "plan-by-context");
}

TEST(GoldenTest, MultitenantConf) {
  checkFormat("multitenant", Format::kConf, SqlDialect::kPostgres, "conf");
}
TEST(GoldenTest, MultitenantWizard) {
  checkFormat("multitenant", Format::kWizard, SqlDialect::kPostgres, "wizard");
}
TEST(GoldenTest, MultitenantSqlPostgres) {
  checkFormat("multitenant", Format::kSql, SqlDialect::kPostgres, "sql-postgres");
}
TEST(GoldenTest, MultitenantPlanByTenant) {
  checkPlan("multitenant", PlanOptions{PlanGrouping::kTenant, 0}, "plan-by-tenant");
}

}  // namespace
}  // namespace tandem::pjsip
