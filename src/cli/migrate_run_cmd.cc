// `tandem migrate run`: flags and help; the work is in src/migrate.
#include "cli/migrate_cmd.h"

namespace tandem::cli {

void addMigrateRunCommands(CLI::App& /*migrate*/) {}

}  // namespace tandem::cli
