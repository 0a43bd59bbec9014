// tandem pjsip: the component's entry points, one per subcommand (convert, lint, plan). Each
// reads files, writes files or text, and returns the process exit status; the CLI only parses
// arguments. Errors and reports go to the given streams.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "pjsip/config_reader.h"
#include "pjsip/converter.h"
#include "pjsip/lint.h"
#include "pjsip/plan.h"
#include "pjsip/writers.h"

namespace tandem::pjsip {

// Exit statuses shared by the subcommands.
constexpr int kExitOk = 0;
constexpr int kExitFindings = 1;  // lint errors (convert: the output has lint errors)
constexpr int kExitUsage = 2;     // unreadable input, bad arguments, refused overwrite

// Parses "conf", "wizard", "sql" and "postgres", "mysql", "sqlite".
Result<Format> parseFormat(std::string_view text);
Result<SqlDialect> parseDialect(std::string_view text);

// A conversion, its files, and the lint findings on those files.
struct ConvertResult {
  Conversion conversion;
  Output output;
  std::vector<Finding> findings;
};

// Converts a sip.conf (read through `files`) and lints what was produced, as if the output files
// were in `outDir` (which only names them in findings).
Result<ConvertResult> convertAndLint(const std::string& sipConf, FileSource& files,
                                     const ConvertOptions& options, Format format,
                                     SqlDialect dialect, const std::string& outDir);

// The human report of a conversion: what was written, what was not mapped (file:line each),
// decisions, and the lint findings.
std::string renderReport(const ConvertResult& result, Format format, const std::string& outDir);

struct ConvertArgs {
  std::string input;
  std::string outDir = "pjsip-converted";
  std::string format = "conf";
  std::string dialect = "postgres";
  std::string bind;    // "" → chan_sip's address, port 5160
  bool force = false;  // overwrite existing files
};
int runConvert(const ConvertArgs& args, std::ostream& out, std::ostream& err);

struct LintArgs {
  std::vector<std::string> files;    // pjsip.conf and/or pjsip_wizard.conf
  std::string sipConf;               // chan_sip's config: its listeners are the conflict set
  std::vector<std::string> chanSip;  // "udp:0.0.0.0:5060"-style listeners instead
  bool noChanSip = false;            // chan_sip no longer runs
  bool json = false;
};
int runLint(const LintArgs& args, std::ostream& out, std::ostream& err);

struct PlanArgs {
  std::string input;
  int batches = 0;
  std::string by;  // "", "context" or "tenant"
  std::string bind;
  bool json = false;
};
int runPlan(const PlanArgs& args, std::ostream& out, std::ostream& err);

}  // namespace tandem::pjsip
