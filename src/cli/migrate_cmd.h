// `tandem migrate`: the command-line face of src/migrate/migrate.h (profile, apply, snapshot,
// diff, drain).
#pragma once

#include <CLI/CLI.hpp>

namespace tandem::cli {

// Registers the `migrate` subcommand and its subcommands on app. When one is parsed, it runs and
// ends the parse with its exit code (CLI::Success, or CLI::RuntimeError carrying the code, which
// CLI11_PARSE returns from main). Codes per subcommand are in its help footer.
void addMigrateCommands(CLI::App& app);

}  // namespace tandem::cli
