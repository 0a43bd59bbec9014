// `tandem ctl`: the command-line face of src/control/ctl.h (kamcmd for tandem daemons).
#pragma once

#include <CLI/CLI.hpp>

namespace tandem::cli {

// Registers the `ctl` subcommand on app. When it is parsed, it runs the call and ends the parse
// with its exit code (CLI::Success or CLI::RuntimeError, which CLI11_PARSE returns from main):
// 0 ok, 1 error answer or failure, 2 cannot connect.
void addCtlCommands(CLI::App& app);

}  // namespace tandem::cli
