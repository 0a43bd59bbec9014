// `tandem migrate` flags and help; the work is in src/migrate/migrate.h.
#include "cli/migrate_cmd.h"

#include <unistd.h>

#include <iostream>
#include <memory>

#include "migrate/migrate.h"

namespace tandem::cli {

namespace {

[[noreturn]] void finish(int code) { finishMigrate(code); }

constexpr const char* kEdgeHelp =
    "tandem edge control URL (default: $TANDEM_CTL_URL, else http://127.0.0.1:7060/rpc)";

}  // namespace

void finishMigrate(int code) {
  std::cout.flush();
  if (code == 0) throw CLI::Success();
  throw CLI::RuntimeError(code);
}

void addMigrateCommands(CLI::App& app) {
  auto* migrate =
      app.add_subcommand("migrate",
                         "Move new dialogs from an old media node to a new one: gated runs with "
                         "automatic rollback, the wizard, verify, and the building blocks "
                         "(profiles, apply, snapshots, drain watch)");
  migrate->require_subcommand(1);
  migrate->footer(
      "Start with `tandem migrate wizard` (writes a plan) or `tandem migrate run PLAN --dry-run`.\n"
      "See docs/migrate.md for plan files, gates, the lists each mode produces and a "
      "walk-through.");

  // Options live as long as the app: CLI11 writes into them during the parse.
  auto profile = std::make_shared<migrate::ProfileArgs>();
  auto* p = migrate->add_subcommand("profile", "Write the dispatcher set for a migration mode");
  p->add_option("--mode", profile->mode, "old, both, new or canary:N (N from 1 to 99)")->required();
  p->add_option("--old", profile->oldUri, "the old node's SIP URI, e.g. sip:10.0.1.30:5060")
      ->required();
  p->add_option("--new", profile->newUri, "the new node's SIP URI")->required();
  p->add_option("--set", profile->set, "dispatcher set id")->capture_default_str();
  p->add_option("--format", profile->format,
                "tandem: JSON profile; kamailio: a dispatcher.list for algorithm 9")
      ->check(CLI::IsMember({"tandem", "kamailio"}))
      ->capture_default_str();
  p->add_option("-o,--output", profile->output, "file to write (default: stdout)");
  p->footer(
      "Modes (weights are algorithm 9's percentages):\n"
      "  old        old active weight=100, new drain\n"
      "  both       old active weight=50, new active weight=50\n"
      "  new        old drain, new active weight=100\n"
      "  canary:N   old active weight=100-N, new active weight=N\n"
      "A drained node takes no new dialogs; its dialogs finish where they started (Kamailio: "
      "flags 4, disabled).\nExit status: 0 written, 1 error.");
  p->callback([profile] { finish(migrate::runProfile(*profile, std::cout, std::cerr)); });

  auto apply = std::make_shared<migrate::ApplyArgs>();
  auto* a = migrate->add_subcommand("apply", "Make an edge's dispatcher set match a profile");
  a->add_option("--edge", apply->edge, kEdgeHelp);
  a->add_option("--profile", apply->profile, "profile file (tandem JSON or kamailio format)")
      ->required();
  a->add_option("--audit", apply->audit,
                std::string("audit log, one JSON line per apply (default: ") +
                    migrate::kDefaultAuditLog + ")");
  a->add_option("--operator", apply->operatorName,
                "who applies, for the audit log (default: $USER)");
  a->add_flag("--dry-run", apply->dryRun, "print the steps (or the new list file), change nothing");
  a->add_option("--kamailio-list", apply->kamailioList,
                "apply to Kamailio: its dispatcher list file (backed up as FILE.bak.<UTC time>)");
  a->add_option("--kamailio-url", apply->kamailioUrl,
                "Kamailio's jsonrpcs URL (default path /RPC), with --kamailio-list");
  a->add_flag("--no-resolve-check", apply->noResolveCheck,
              "Kamailio: do not check that the profile's hosts resolve (Kamailio drops those that "
              "do not)");
  a->add_option("--tenant", apply->tenant,
                "apply to this tenant domain's dispatcher set (from the edge's tenant.list) "
                "instead of the profile's set");
  a->add_option("--timeout", apply->timeoutSeconds, "seconds per RPC call")->capture_default_str();
  a->footer(
      "tandem edge: adds a missing destination, sets weights (remove + add, which keeps its "
      "calls),\n"
      "activates entering nodes, then drains leaving ones; verifies with dispatcher.list.\n"
      "Kamailio: backs the list file up, writes the profile's lines, calls dispatcher.reload,\n"
      "verifies with dispatcher.list and restores the backup (and reloads) when that fails.\n"
      "Exit status: 0 applied and verified (or dry run), 1 failed (Kamailio: backup restored).");
  a->callback([apply] { finish(migrate::runApply(*apply, std::cout, std::cerr)); });

  auto snapshot = std::make_shared<migrate::SnapshotArgs>();
  auto* s = migrate->add_subcommand("snapshot", "Record an edge's evidence to a JSON file");
  s->add_option("--edge", snapshot->edge, kEdgeHelp);
  s->add_option("--label", snapshot->label, "label in the file name, e.g. before-canary")
      ->required();
  s->add_option("--out", snapshot->outDir, "directory (created when missing)")
      ->capture_default_str();
  s->add_option("--tenant", snapshot->tenant,
                "only this tenant domain's dispatcher set (from the edge's tenant.list)");
  s->add_option("--timeout", snapshot->timeoutSeconds, "seconds per request")
      ->capture_default_str();
  s->add_option("--window", snapshot->window,
                "also measure the answer-seizure ratio over this long (0s: only since start)")
      ->capture_default_str();
  s->footer(
      "Writes DIR/<UTC time>-<label>.json: per destination state, active calls, latency and\n"
      "INVITE outcomes, registrations (ul.stats), counters (stats.get), the answer-seizure ratio\n"
      "since start and over --window, replies by code and 5xx/408 counts (GET /metrics). With "
      "--tenant, only that set's destinations and a \"scope\" field (the\n"
      "counters stay the whole edge's). Prints the path. Exit status: 0 written, 1 error.");
  s->callback([snapshot] { finish(migrate::runSnapshot(*snapshot, std::cout, std::cerr)); });

  auto diff = std::make_shared<migrate::DiffArgs>();
  auto* d = migrate->add_subcommand("diff", "Compare two snapshots");
  d->add_option("a", diff->a, "earlier snapshot")->required();
  d->add_option("b", diff->b, "later snapshot")->required();
  d->add_flag("--fail-on-regression", diff->failOnRegression,
              "exit 1 when the share of 5xx or of 408 among final replies grew");
  d->footer(
      "Prints state changes, active calls, counter deltas and new 5xx/408 since A.\n"
      "Exit status: 0; 1 on regression with --fail-on-regression; 2 unreadable snapshot.");
  d->callback([diff] { finish(migrate::runDiff(*diff, std::cout, std::cerr)); });

  auto drain = std::make_shared<migrate::DrainArgs>();
  auto* w = migrate->add_subcommand("drain", "Wait until a node's active calls reach a threshold");
  w->add_option("--edge", drain->edge, kEdgeHelp);
  w->add_option("--node", drain->node, "the draining node's URI as dispatcher.list shows it")
      ->required();
  auto* drainSet = w->add_option("--set", drain->set,
                                 "only this dispatcher set (default: every set listing it)");
  w->add_option("--tenant", drain->tenant,
                "only this tenant domain's dispatcher set (from the edge's tenant.list)")
      ->excludes(drainSet);
  auto* fs = w->add_option("--fs", drain->freeswitch,
                           "also poll FreeSWITCH's event socket at HOST:PORT (show calls count); "
                           "drained when both the edge and FreeSWITCH say so");
  w->add_option("--fs-password", drain->freeswitchPassword, "event socket password")
      ->needs(fs)
      ->capture_default_str();
  w->add_option("--threshold", drain->threshold, "done at or below this many calls")
      ->capture_default_str();
  w->add_option("--interval", drain->interval, "time between polls: 15s, 2m, ...")
      ->capture_default_str();
  w->add_option("--timeout", drain->timeout, "give up after this long: 30m, 4h, ...")
      ->capture_default_str();
  w->add_option("--rpc-timeout", drain->timeoutSeconds,
                "seconds per RPC call (and per event-socket step)")
      ->capture_default_str();
  w->footer(
      "Polls ACTIVE_CALLS of dispatcher.list (the tandem edge counts them from its dialogs).\n"
      "With --fs, also FreeSWITCH's own count (calls originated on the node included); the\n"
      "larger of the two is the node's calls, and both are shown.\n"
      "A bar when stdout is a terminal, else one line per poll.\n"
      "Exit status: 0 drained, 1 error, 2 timeout.");
  w->callback([drain] {
    drain->terminal = ::isatty(STDOUT_FILENO) == 1;
    finish(migrate::runDrain(*drain, std::cout, std::cerr));
  });

  addMigrateRunCommands(*migrate);
  addMigrateWizardCommand(*migrate);
  addMigrateVerifyCommand(*migrate);
}

}  // namespace tandem::cli
