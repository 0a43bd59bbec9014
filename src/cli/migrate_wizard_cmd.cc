// `tandem migrate wizard`: flags and help; the conversation is in src/migrate/wizard.h, the run
// in src/migrate/run.h.
#include <iostream>
#include <memory>

#include "cli/migrate_cmd.h"
#include "migrate/run.h"
#include "migrate/wizard.h"

namespace tandem::cli {

void addMigrateWizardCommand(CLI::App& migrate) {
  // Options live as long as the app: CLI11 writes into them during the parse.
  auto options = std::make_shared<migrate::WizardOptions>();
  auto* w = migrate.add_subcommand(
      "wizard", "Build a migration plan question by question, then run it (dry or live)");
  w->add_option("-f,--file", options->planFile, "plan file whose values are the starting answers");
  w->add_option("-o,--output", options->outFile,
                "write the confirmed plan to this file (before any run)");
  w->add_flag("--no-run", options->noRun,
              "stop once the plan is confirmed and written (without -o: print it)");
  w->footer(
      "Asks for every value of a plan (see docs/migrate.md, \"Plan files\"), each checked as\n"
      "`tandem migrate run` checks a plan file. Enter keeps the value in brackets, - unsets an\n"
      "optional one. Then a numbered summary: a number edits that field, Enter confirms; then\n"
      "`dry run or live run? [dry]`.\n"
      "Exit status: the run's (0 done, 1 failed, 3 rolled back, 4 drain timeout); with --no-run\n"
      "0 once confirmed; 1 when -f cannot be read, -o cannot be written or input ends first.");
  w->callback([options] {
    const migrate::PlanRunner runner = [](const migrate::Plan& plan, bool dryRun) {
      migrate::RunOptions run;
      run.dryRun = dryRun;
      return migrate::runMigration(plan, run, std::cout, std::cerr);
    };
    finishMigrate(migrate::runWizard(*options, std::cin, std::cout, std::cerr, runner));
  });
}

}  // namespace tandem::cli
