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
int runMigration(const Plan& plan, const RunOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::migrate
