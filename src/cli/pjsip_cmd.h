// `tandem pjsip …`: registers the convert, lint and plan subcommands on the CLI. Thin: parses
// arguments and calls into src/pjsip.
#pragma once

#include <CLI/CLI.hpp>

// Adds the "pjsip" subcommand tree to app. Each subcommand runs from its callback and ends the
// parse by throwing CLI::RuntimeError carrying the exit status (0 included), which CLI11_PARSE
// returns from main unchanged and silently.
void addPjsipCommands(CLI::App& app);
