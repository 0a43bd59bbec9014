// `tandem migrate run|status|rollback`: flags and help; the work is in src/migrate/run.h.
#include <iostream>
#include <memory>

#include "cli/migrate_cmd.h"
#include "migrate/files.h"
#include "migrate/run.h"

namespace tandem::cli {

namespace {

constexpr const char* kStoreHelp =
    "where run state is kept (default: the plan's store, else $TANDEM_STORE, else "
    "sqlite:tandem-migrate.db)";

// Reads PLAN; prints the error and returns nullopt when it cannot.
std::optional<migrate::Plan> loadPlan(const std::string& path) {
  auto text = migrate::readWholeFile(path);
  if (!text) {
    std::cerr << "error: " << text.message() << "\n";
    return std::nullopt;
  }
  auto plan = migrate::parsePlan(*text, path);
  if (!plan) {
    std::cerr << "error: " << plan.message() << "\n";
    return std::nullopt;
  }
  return std::move(plan).value();
}

struct RunCmd {
  std::string plan;
  migrate::RunOptions options;
};

struct NameCmd {
  std::string plan;
  migrate::RollbackArgs rollback;
};

// NAME, or the name (and store) of --plan.
bool resolveName(NameCmd& c) {
  if (c.plan.empty()) return true;
  auto plan = loadPlan(c.plan);
  if (!plan) return false;
  if (c.rollback.name.empty()) c.rollback.name = plan->name;
  if (c.rollback.store.empty()) c.rollback.store = plan->store;
  return true;
}

}  // namespace

void addMigrateRunCommands(CLI::App& migrate) {
  auto run = std::make_shared<RunCmd>();
  auto* r = migrate.add_subcommand(
      "run", "Execute a migration plan: phases, soak times, gates, automatic rollback, drain");
  r->add_option("plan", run->plan, "plan file (TOML; see docs/migrate.md)")->required();
  r->add_option("--store", run->options.store, kStoreHelp);
  r->add_flag("--dry-run", run->options.dryRun,
              "print every step and gate (and the set as the edge lists it now), change nothing");
  r->add_option("--rpc-timeout", run->options.rpcTimeoutSeconds, "seconds per RPC call")
      ->capture_default_str();
  r->footer(
      "Steps: ingress check and snapshot before; each phase applied (audited) and held for its\n"
      "soak while the gates are measured; a breach rolls back to the last good profile at once\n"
      "and says which gate tripped with what value; then the old node is drained and the\n"
      "snapshot after is taken. State is kept in the store after every step: run the same plan\n"
      "again to resume a run whose CLI stopped.\n"
      "Exit status: 0 done, 1 error, 3 rolled back (gate, deadline or operator), 4 drain "
      "timeout.");
  r->callback([run] {
    auto plan = loadPlan(run->plan);
    if (!plan) finishMigrate(migrate::kRunFailed);
    finishMigrate(migrate::runMigration(*plan, run->options, std::cout, std::cerr));
  });

  auto status = std::make_shared<NameCmd>();
  auto* s = migrate.add_subcommand("status", "Show a run (or every run) as the store holds it");
  s->add_option("name", status->rollback.name, "run name (default: every run)");
  s->add_option("--plan", status->plan, "take the run name and store from this plan file");
  s->add_option("--store", status->rollback.store, kStoreHelp);
  s->footer("Exit status: 0, 1 (no such run, store error).");
  s->callback([status] {
    if (!resolveName(*status)) finishMigrate(migrate::kRunFailed);
    finishMigrate(
        migrate::runStatus(status->rollback.name, status->rollback.store, std::cout, std::cerr));
  });

  auto rollback = std::make_shared<NameCmd>();
  auto* b = migrate.add_subcommand(
      "rollback", "Put a run's set back to the old node (or --to MODE) now, from any shell");
  b->add_option("name", rollback->rollback.name, "run name");
  b->add_option("--plan", rollback->plan, "take the run name and store from this plan file");
  b->add_option("--store", rollback->rollback.store, kStoreHelp);
  b->add_option("--to", rollback->rollback.to, "old, both or canary:N")->capture_default_str();
  b->add_option("--operator", rollback->rollback.operatorName,
                "who rolls back, for the audit log (default: $USER)");
  b->add_option("--rpc-timeout", rollback->rollback.rpcTimeoutSeconds, "seconds per RPC call")
      ->capture_default_str();
  b->footer(
      "Applies the profile on the run's edge and set (audited) and marks the run rolled back;\n"
      "a `tandem migrate run` still executing it stops at its next poll. Dialogs in progress\n"
      "stay where they are. Exit status: 0 rolled back, 1 error.");
  b->callback([rollback] {
    if (!resolveName(*rollback)) finishMigrate(migrate::kRunFailed);
    if (rollback->rollback.name.empty()) {
      std::cerr << "error: name the run (or give --plan)\n";
      finishMigrate(migrate::kRunFailed);
    }
    finishMigrate(migrate::runRollback(rollback->rollback, std::cout, std::cerr));
  });
}

}  // namespace tandem::cli
