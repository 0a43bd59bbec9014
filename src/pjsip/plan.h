// The dual-stack batch plan: chan_sip stays on 5060, PJSIP listens on 5160, and endpoints move
// in batches (by count, by dialplan context, or by tenant), each with its change and rollback.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "pjsip/converter.h"

namespace tandem::pjsip {

enum class PlanGrouping { kBatches, kContext, kTenant };

struct PlanOptions {
  PlanGrouping grouping = PlanGrouping::kBatches;
  int batches = 1;  // for kBatches; REQUIRES: >= 1
};

struct PlanEndpoint {
  std::string name;
  std::string kind;  // phone, trunk, device, user
  std::string host;
  std::string context;
  SourceRef where;
  std::vector<std::string> registrations;
  std::vector<std::string> change;
  std::string verify;
  std::vector<std::string> rollback;
};

struct PlanBatch {
  int number = 0;
  std::string group;  // the context or tenant; "" for --batches
  std::vector<PlanEndpoint> endpoints;
  std::vector<std::string> registrations;  // registrations without an endpoint move here too
};

struct Plan {
  std::string source;
  std::string grouping;  // "batches", "context", "tenant"
  std::string pjsipListen;
  std::string chanSipListen;
  int dualStackPort = 5160;
  std::vector<std::string> preparation;
  std::vector<PlanBatch> batches;
  std::vector<std::string> cutover;
};

// Builds the plan. Tenants are the files peers are defined in (one #include per tenant), and
// accountcode for peers of the top-level file; peers with neither share the tenant "shared".
Result<Plan> makePlan(const Conversion& conversion, const PlanOptions& options);

std::string renderPlanText(const Plan& plan);
std::string renderPlanJson(const Plan& plan);

}  // namespace tandem::pjsip
