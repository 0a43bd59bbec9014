// `tandem migrate wizard`: flags and help; the work is in src/migrate.
#include "cli/migrate_cmd.h"

namespace tandem::cli {

void addMigrateWizardCommand(CLI::App& /*migrate*/) {}

}  // namespace tandem::cli
