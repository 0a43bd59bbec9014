// tandem migrate: the component's entry points, one per subcommand (profile, apply, snapshot,
// diff, drain). Each reads and writes files or talks to an edge, prints to the given streams and
// returns the process exit status; src/cli only parses flags. The pieces are in profile.h,
// apply.h, kamailio.h, snapshot.h, drain.h, audit.h and edge.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "migrate/apply.h"
#include "migrate/audit.h"
#include "migrate/drain.h"
#include "migrate/duration.h"
#include "migrate/edge.h"
#include "migrate/esl.h"
#include "migrate/kamailio.h"
#include "migrate/profile.h"
#include "migrate/snapshot.h"

namespace tandem::migrate {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // bad arguments, unreachable edge, failed apply...
inline constexpr const char* kDefaultAuditLog = "tandem-migrate-audit.jsonl";

struct ProfileArgs {
  std::string mode;  // old, both, new, canary:N
  std::string oldUri;
  std::string newUri;
  uint32_t set = 1;
  std::string format = "tandem";  // tandem (JSON) or kamailio (dispatcher.list)
  std::string output;             // empty: stdout
};
// Exit: 0 written, 1 bad arguments or cannot write.
int runProfile(const ProfileArgs& args, std::ostream& out, std::ostream& err);

struct ApplyArgs {
  std::string edge;  // tandem edge control URL; empty: control::defaultCtlUrl()
  std::string profile;
  std::string audit;  // empty: kDefaultAuditLog
  std::string operatorName;
  bool dryRun = false;
  std::string kamailioList;     // set: apply to Kamailio through this list file...
  std::string kamailioUrl;      // ...and this jsonrpcs URL (required with kamailioList)
  bool noResolveCheck = false;  // Kamailio: skip the check that the profile's hosts resolve
  // Set: the profile's set is replaced by this tenant domain's set (profileForTenant); tandem
  // edge only, since the tenant table is the edge's store.
  std::string tenant;
  double timeoutSeconds = 5.0;
  // Tests replace time and waiting.
  std::function<SystemTime()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};
// Applies the profile (tandem edge over JSON-RPC, or Kamailio), prints the steps and the result,
// and appends one audit line per apply that is not a dry run, failed ones included. The audit
// log is opened before anything changes, so an unwritable log stops the apply. With a tenant,
// the output and the audit line ("tenant", "profile_set") say which set replaced the profile's.
// Exit: 0 applied and verified (or dry run planned), 1 otherwise.
int runApply(const ApplyArgs& args, std::ostream& out, std::ostream& err);
// The same against given links (tests). kamailio is used when args.kamailioList is set, else
// tandem.
int runApplyWith(const ApplyArgs& args, EdgeLink& link, std::ostream& out, std::ostream& err);

struct SnapshotArgs {
  std::string edge;  // empty: control::defaultCtlUrl()
  std::string label;
  std::string outDir = ".";
  double timeoutSeconds = 5.0;
  // Set: only the destinations of this tenant domain's dispatcher set (tenantSet), and the file
  // says so in its "scope". Last and initialized, so SnapshotArgs{edge, label, dir, timeout}
  // stays complete.
  std::string tenant{};
  // The answer-seizure ratio is also measured over this much time (the counters are read twice):
  // "0s" for none. Tests give sleep; empty: the real clock.
  std::string window{"10s"};
  std::function<void(std::chrono::milliseconds)> sleep{};
};
// Prints the path written. Exit: 0 written, 1 otherwise (an unknown tenant too).
int runSnapshot(const SnapshotArgs& args, std::ostream& out, std::ostream& err);
int runSnapshotWith(const SnapshotArgs& args, EdgeLink& link, SystemTime now, std::ostream& out,
                    std::ostream& err);

inline constexpr int kDiffRegression = 1;
inline constexpr int kDiffError = 2;
struct DiffArgs {
  std::string a;
  std::string b;
  bool failOnRegression = false;
};
// Prints what moved. Exit: 0; 1 (kDiffRegression) with failOnRegression when the 5xx or 408
// share grew; 2 (kDiffError) when a file cannot be read.
int runDiff(const DiffArgs& args, std::ostream& out, std::ostream& err);

struct DrainArgs {
  std::string edge;  // empty: control::defaultCtlUrl()
  std::string node;
  std::optional<uint32_t> set;
  std::string tenant;  // set: only this tenant domain's set (tenantSet); excludes set
  uint32_t threshold = 0;
  std::string interval = "15s";
  std::string timeout = "4h";
  bool terminal = false;        // stdout is a terminal: draw a bar
  double timeoutSeconds = 5.0;  // per RPC call, and per event-socket step
  // Set: also count the node's calls over FreeSWITCH's event socket at HOST:PORT (esl.h).
  std::string freeswitch;
  std::string freeswitchPassword = kDefaultEslPassword;
};
// Exit: kDrainDone, kDrainError (bad arguments, unknown tenant too), kDrainTimeout.
int runDrain(const DrainArgs& args, std::ostream& out, std::ostream& err);
// deps.freeswitchCalls must be set when args.freeswitch is (runDrain sets it to
// freeswitchCallCount with args' address, password and timeout).
int runDrainWith(const DrainArgs& args, EdgeLink& link, const DrainDeps& deps, std::ostream& out,
                 std::ostream& err);

}  // namespace tandem::migrate
