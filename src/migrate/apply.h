// Making a tandem edge's dispatcher set match a profile through its JSON-RPC: the plan of calls
// (computed from dispatcher.list, so an apply that finds nothing to change calls nothing), its
// execution, and the verification shared with the Kamailio path.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "migrate/edge.h"
#include "migrate/profile.h"

namespace tandem::migrate {

struct RpcStep {
  std::string method;
  nlohmann::json params;  // an array
};

// What one destination needs; calls is empty when it already matches.
struct Step {
  std::string uri;
  std::string what;  // e.g. "add, weight=10", "set state drain (was active, 12 calls finish there)"
  std::vector<RpcStep> calls;
};

struct TandemPlan {
  std::vector<Step> steps;
  std::vector<std::string> warnings;  // e.g. other destinations in the set, forced health
  bool changes() const;               // any call to make
};

// The calls that turn setRows (the profile's set as dispatcher.list shows it) into the profile,
// in three passes so that the set never lacks a usable destination: entering destinations first,
// then re-weights, then leaving ones.
// 1. An active target that is absent (or removed, still finishing calls): dispatcher.add with
//    flags 0 (8 when it had the P flag) and weight=W (a removed one comes back with its calls).
//    One listed in another state than active: dispatcher.set_state active (re-weighted first,
//    as below, when its weight or priority differs).
// 2. An active target listed active with another weight or priority: dispatcher.remove then
//    dispatcher.add with the new weight, its other attrs kept. The edge has no call to change
//    attrs in place; the pair keeps the destination's id, dialogs, calls and manual state, and
//    for the round trip between the two calls new dialogs go to the set's other usable
//    destinations. When there is none, the weight is left as it is (a lone usable destination
//    takes every new dialog whatever its weight) rather than empty the set for that moment.
// 3. A drain target listed in another state: dispatcher.set_state drain. Its attrs are left alone
//    (a drained destination is never selected) and it is never removed: its dialogs finish where
//    they started. A drain target absent from the set needs nothing (it carries no call).
// Destinations of the set that the profile does not name are left alone, with a warning.
TandemPlan planTandem(const Profile& profile, const std::vector<ListedDest>& setRows);

enum class Flavor { kTandem, kKamailio };

// What differs between the set as listed and the profile; empty when they match.
// kTandem: an active target must be listed with STATE active, its weight and priority (not
// checked when it is the profile's only active destination: see planTandem); a drain target must
// be drain or removed, or absent. kKamailio (the whole set was written to the file):
// every destination must be listed, an active one with flag A, a drained one with flag D
// (disabled), with the profile's weight and priority.
// Each line reads e.g. `sip:10.0.0.2:5060: state is trying, expected active`.
std::vector<std::string> verifySet(const Profile& profile, const std::vector<ListedDest>& setRows,
                                   Flavor flavor);

struct ApplyReport {
  std::vector<ListedDest> before;  // the profile's set before the apply
  TandemPlan plan;
  size_t callsMade = 0;
  std::vector<std::string> mismatches;  // verification after the calls
  Status status;                        // ok, or what failed (a call, or the verification)
};

// Lists the set, plans, and unless dryRun makes the calls in order (stopping at the first that
// fails), then lists again and verifies (kTandem). Blocking.
ApplyReport applyTandem(EdgeLink& link, const Profile& profile, bool dryRun);

// The profile moved to the dispatcher set of a tenant domain (tenantSet in edge.h): tenants move
// one batch at a time, each in its own set, so one profile file serves every tenant. Errors:
// tenantSet's.
Result<Profile> profileForTenant(EdgeLink& link, Profile profile, std::string_view domain);

// The raw DEST objects of rows, for audit lines.
nlohmann::ordered_json rawRows(const std::vector<ListedDest>& rows);

// Adds what a tandem apply did to its audit line: from (the set before, rawRows), to (the profile),
// steps, calls, result ("ok"/"failed") and error when it failed. Shared by `apply` and `run`.
void auditTandemApply(const ApplyReport& report, const Profile& profile,
                      nlohmann::ordered_json& audit);

}  // namespace tandem::migrate
