// `tandem db`, `user`, `route`, `tenant` and `dispatcher`: provisioning from the command line.
// Thin: flags become the parameters of the provisioning methods in src/store/provision.h.
#pragma once

#include <CLI/CLI.hpp>

namespace tandem::cli {

// Registers the five command trees on app. A parsed leaf command runs from its callback and ends
// the parse with its exit code (CLI::Success, or CLI::RuntimeError(1), which CLI11_PARSE returns
// from main): 0 ok, 1 error with one line on stderr.
void addProvisioningCommands(CLI::App& app);

}  // namespace tandem::cli
