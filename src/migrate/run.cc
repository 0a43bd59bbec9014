// Gated migration runs: see run.h.
#include "migrate/run.h"

namespace tandem::migrate {

int runMigration(const Plan& /*plan*/, const RunOptions& /*options*/, std::ostream& /*out*/,
                 std::ostream& err) {
  err << "tandem migrate run: not built yet\n";
  return kRunFailed;
}

}  // namespace tandem::migrate
