// `tandem migrate verify`: flags and help; the work is in src/migrate/verify.h.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "cli/migrate_cmd.h"
#include "migrate/verify.h"

namespace tandem::cli {

namespace {

// Where this binary lives, for an installed tandem's share/ folder beside its bin/.
std::string selfPath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace

void addMigrateVerifyCommand(CLI::App& migrate) {
  struct Args {
    std::string plan;
    std::string row;
    bool keep = false;
  };
  auto args = std::make_shared<Args>();
  auto* v = migrate.add_subcommand(
      "verify", "Run the post-shift test matrix through the edge with SIPp, pass/fail per row");
  v->add_option("plan", args->plan, "plan file with a [verify] table")->required();
  v->add_option("--row", args->row,
                "run this row only (even when listed in skip): internal, did, outbound, hold, "
                "dtmf or register");
  v->add_flag("--keep", args->keep, "keep SIPp's files even when every row passed");
  v->footer(
      "Rows, each one SIPp call (-m 1) of a scenario in sipp/verify/:\n"
      "  internal  user_a calls user_b (a registered user or an extension), digest auth\n"
      "  did       a call to did from caller_ip (a carrier the edge trusts)\n"
      "  outbound  a call to outbound_number from caller_ip (a trusted media node)\n"
      "  hold      in a call as internal: re-INVITE sendonly, then sendrecv, both 200\n"
      "  dtmf      in a call as internal: SIP INFO answered 200, telephone-event kept in the\n"
      "            answer (RFC 4733 events travel in RTP, beside the edge: not checked)\n"
      "  register  user_a registers, refreshes on the same Call-ID (expires as asked), "
      "unregisters\n"
      "A row whose keys are missing is \"not configured\" and fails the run unless it is in skip.\n"
      "Scenarios: `scenarios` in [verify], else $TANDEM_SIPP_DIR, else\n"
      "<tandem's folder>/../share/tandem/sipp/verify, else the source tree's sipp/verify.\n"
      "See docs/migrate.md#verify for the keys.\n"
      "Exit status: 0 every row passed (skipped rows aside), 1 a row failed or is not\n"
      "configured, 2 bad plan file, [verify] table or --row, or no SIPp or scenarios.");
  v->callback([args] {
    migrate::VerifyOptions options;
    if (!args->row.empty()) {
      options.only = migrate::parseVerifyRow(args->row);
      if (!options.only) {
        std::cerr << "tandem migrate verify: --row: unknown row \"" << args->row
                  << "\" (rows: internal, did, outbound, hold, dtmf, register)\n";
        finishMigrate(migrate::kVerifyBadConfig);
      }
    }
    options.keep = args->keep;
    const char* env = std::getenv("TANDEM_SIPP_DIR");
    options.search.env = env != nullptr ? env : "";
    options.search.exePath = selfPath();
    options.search.builtIn = migrate::builtInScenarioDir();
    finishMigrate(migrate::runVerifyPlanFile(args->plan, options, std::cout, std::cerr));
  });
}

}  // namespace tandem::cli
