// Plan files: see plan.h.
#include "migrate/plan.h"

namespace tandem::migrate {

Result<Plan> parsePlan(std::string_view /*text*/, std::string_view name) {
  return Status::error(std::string(name) + ": plan files are not read yet");
}

std::string renderPlan(const Plan& /*plan*/) { return {}; }

}  // namespace tandem::migrate
