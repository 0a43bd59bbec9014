// `tandem migrate`: the command-line face of src/migrate (profile, apply, snapshot, diff, drain
// here; run/status/rollback, wizard and verify in their own files).
#pragma once

#include <CLI/CLI.hpp>

namespace tandem::cli {

// Registers the `migrate` subcommand and its subcommands on app. When one is parsed, it runs and
// ends the parse with its exit code (CLI::Success, or CLI::RuntimeError carrying the code, which
// CLI11_PARSE returns from main). Codes per subcommand are in its help footer.
void addMigrateCommands(CLI::App& app);

// The subcommands that live in their own files, registered by addMigrateCommands on `migrate`:
// run, status and rollback (migrate_run_cmd.cc), wizard (migrate_wizard_cmd.cc), verify
// (migrate_verify_cmd.cc). Each ends the parse as addMigrateCommands says.
void addMigrateRunCommands(CLI::App& migrate);
void addMigrateWizardCommand(CLI::App& migrate);
void addMigrateVerifyCommand(CLI::App& migrate);

// Ends the parse with an exit code: CLI::Success for 0, else CLI::RuntimeError(code).
[[noreturn]] void finishMigrate(int code);

}  // namespace tandem::cli
