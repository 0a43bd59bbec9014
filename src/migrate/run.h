// Gated migration runs: `tandem migrate run PLAN`, `status` and `rollback`. A run takes the
// snapshot before, applies each phase's profile (plan.h), holds it for its soak time while the
// gates are measured on the live edge, rolls back to the last good profile by itself when a gate
// trips, drains the old node after the last phase and takes the snapshot after. Its state is kept
// in the store after every step, so a run whose CLI died continues where it stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "migrate/audit.h"
#include "migrate/edge.h"
#include "migrate/plan.h"

namespace tandem::store {
class Store;
}

namespace tandem::store {
class Store;
}

namespace tandem::migrate {

// Exit statuses of runMigration.
inline constexpr int kRunDone = 0;          // every phase passed, old node drained
inline constexpr int kRunFailed = 1;        // bad plan, unreachable edge, failed apply, store error
inline constexpr int kRunRolledBack = 3;    // a gate tripped (or the deadline passed): rolled back
inline constexpr int kRunDrainTimeout = 4;  // shifted, but the old node still had calls at timeout

struct RunOptions {
  std::string store;  // overrides plan.store; empty: plan.store, $TANDEM_STORE, local SQLite
  bool dryRun = false;
  double rpcTimeoutSeconds = 5.0;
  // Injected by tests; real clock and sleep when empty.
  std::function<SystemTime()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};

// Runs (or resumes) the plan. Prints one line per step and per gate check to out.
// Run state goes to the store (options.store, plan.store, $TANDEM_STORE, else
// sqlite:tandem-migrate.db in the working directory; its schema is migrated as needed) after every
// step. A run whose state says running is resumed at its phase unless its owner process is alive
// (same host) or its heartbeat is recent (another host); a run that ended is started again.
// Steps: ingress check (the old node active in the set) and snapshot "before"; per phase: apply
// its profile (audited), hold it for its soak while the gates are measured every interval over
// the window, a breach (or the rollback deadline, or three polls the edge did not answer, or a
// failed apply) applies the last good profile, records which gate tripped with what value, takes
// snapshot "rollback" and returns kRunRolledBack; after the last phase: drain the old node
// (edge calls, and FreeSWITCH's when plan.drain.fs) and take snapshot "after".
// A dry run prints every step and gate, and the set as the edge lists it now when reachable;
// it changes nothing and opens no store.
int runMigration(const Plan& plan, const RunOptions& options, std::ostream& out, std::ostream& err);
// The same with a given edge and store (tests). store may be null for a dry run.
int runMigrationWith(const Plan& plan, const RunOptions& options, EdgeLink& link,
                     store::Store* store, std::ostream& out, std::ostream& err);

// `tandem migrate status [NAME]`: one run (or every run) as the store holds it. storeUrl as
// RunOptions::store. Exit: 0, 1 (no such run, store error).
int runStatus(const std::string& name, const std::string& storeUrl, std::ostream& out,
              std::ostream& err);

struct RollbackArgs {
  std::string name;
  std::string store;
  std::string to = "old";  // old (everything back to the old node), both or canary:N
  std::string operatorName;
  double rpcTimeoutSeconds = 5.0;
};
// `tandem migrate rollback NAME`: applies the profile `to` on the run's edge and set (audited),
// marks the run rolled back; a CLI still executing it stops at its next poll.
// Exit: 0 rolled back, 1 otherwise.
int runRollback(const RollbackArgs& args, std::ostream& out, std::ostream& err);

}  // namespace tandem::migrate
