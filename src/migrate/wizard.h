// `tandem migrate wizard`: builds a plan (plan.h) question by question on a terminal, shows it
// for a last edit, writes it out and hands it to a runner (run.h's runMigration in the CLI).
// Reads and writes streams only, so a test or a script can drive a whole session.
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <string>

#include "migrate/plan.h"

namespace tandem::migrate {

struct WizardOptions {
  std::string planFile;  // -f: its values are the starting answers; empty: the defaults
  std::string outFile;   // -o: the confirmed plan is written here (renderPlan) before any run
  bool noRun = false;    // --no-run: stop once confirmed (and written), exit 0; no -o: print it
};

// Runs a confirmed plan; returns the exit status the wizard ends with.
using PlanRunner = std::function<int(const Plan& plan, bool dryRun)>;

// The session:
//  1. every field of planFields() in turn: its one-line help, then `label [current]: `. Enter
//     keeps the current value, "-" unsets an optional one; an answer setField refuses prints
//     setField's message (parsePlan's words) and the question again. Enter on a required field
//     still empty prints `[migration] name is required` and asks again.
//  2. a numbered summary; a number asks that field again, Enter confirms once checkPlan passes
//     (else its message, and the summary prompt again).
//  3. -o is written (mode 0600 when the plan holds an event socket password, else 0644).
//  4. unless noRun: `dry run or live run? [dry]: ` (dry or live), then run(plan, dryRun).
// Returns run's status; 0 for noRun; 1 when -f cannot be read or parsed (its message on err, as
// parsePlan gives it), when -o cannot be written, or when in ends first: `wizard: input ended
// before the plan was confirmed; nothing was run` on err, and nothing written.
int runWizard(const WizardOptions& options, std::istream& in, std::ostream& out, std::ostream& err,
              const PlanRunner& run);

}  // namespace tandem::migrate
