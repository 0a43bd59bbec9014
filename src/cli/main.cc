// tandem: one binary, subcommands. Thin: parses the command line and calls into components.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "cli/ctl_cmd.h"
#include "cli/migrate_cmd.h"
#include "cli/pjsip_cmd.h"
#include "cli/provision_cmd.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "edge/config.h"
#include "edge/edge.h"

namespace {

int runEdge(const std::string& configPath, bool checkOnly) {
  auto config = tandem::edge::loadConfig(configPath);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.message().c_str());
    return 1;
  }
  if (checkOnly) {
    std::fprintf(stderr, "%s: ok\n", configPath.c_str());
    return 0;
  }
  if (auto s = tandem::initLogging(config->logLevel); !s) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  tandem::EventLoop loop;
  auto edge = tandem::edge::Edge::create(loop, *config);
  if (!edge) {
    std::fprintf(stderr, "%s\n", edge.message().c_str());
    return 1;
  }
  loop.handleSignals({SIGTERM, SIGINT, SIGHUP}, [&](int sig) {
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading the dispatcher list");
      if (auto s = (*edge)->reloadDispatcher(); !s) spdlog::error("reload failed: {}", s.message());
      return;
    }
    spdlog::info("signal {}: stopping", sig);
    loop.stop();
  });
  for (const auto& l : (*edge)->listeners()) {
    std::fprintf(stderr, "listening on %s\n", l.toString().c_str());
  }
  if (std::string ctl = (*edge)->controlAddress(); !ctl.empty()) {
    std::fprintf(stderr, "control on http://%s/rpc\n", ctl.c_str());
  }
  std::fflush(stderr);
  loop.run();
  std::fprintf(stderr, "tandem edge stopped: stats %s\n", (*edge)->statsLine().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tandem: SIP edge, load balancer and media platform"};
  app.set_version_flag("--version", std::string("tandem ") + tandem::edge::kVersion);
  app.require_subcommand(1);

  std::string edgeConfig;
  bool checkOnly = false;
  auto* edge = app.add_subcommand(
      "edge", "Run the SIP edge (stateful proxy, dispatcher load balancer) in the foreground");
  edge->add_option("-c,--config", edgeConfig, "edge config file (TOML)")->required();
  edge->add_flag("--check", checkOnly, "only check the config file and exit");
  edge->footer(
      "Logs go to stderr. SIGTERM or SIGINT stops the edge (printing its counters); SIGHUP "
      "reloads the dispatcher list.");

  tandem::cli::addCtlCommands(app);
  addPjsipCommands(app);
  tandem::cli::addProvisioningCommands(app);
  tandem::cli::addMigrateCommands(app);

  CLI11_PARSE(app, argc, argv);
  if (edge->parsed()) return runEdge(edgeConfig, checkOnly);
  return 2;
}
