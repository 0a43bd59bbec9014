// `tandem migrate verify`: the playbook's post-shift test matrix, the rows a machine can run
// through the edge (internal call, inbound DID, outbound via trunk, hold/resume, DTMF,
// registration refresh), each as one SIPp call of a scenario shipped in sipp/verify/. Reports
// pass/fail per row with SIPp's own account of a failure.
//
// The [verify] table of a plan file (plan.h keeps it as text):
//   [verify]
//   edge_sip = "10.0.1.10:5060"     # required: the edge's SIP address, IPv4 or name (see below)
//   transport = "udp"               # udp or tcp
//   domain = "example.com"          # a domain the edge serves (internal, hold, dtmf, register)
//   user_a = "alice"                # a subscriber of domain, and its password: the caller of
//   password_a = "secret"           #   the user rows and the one that registers
//   user_b = "bob"                  # who user_a calls: a registered user or an extension of
//                                   #   the media node set (it must answer by itself)
//   did = "+442071234567"           # an inbound number (did_routing)
//   outbound_number = "00442071234567"  # an external number (trunk_routing)
//   local_ip = "10.0.1.5"           # SIPp's address for the user rows (default: SIPp's choice)
//   caller_ip = "10.0.1.6"          # SIPp's address for did and outbound: one the edge trusts
//                                   #   (a carrier, a media node); default local_ip
//   expires = 300                   # what the register row asks for and expects back
//   sipp = "sipp"                   # the SIPp binary (3.6), a path or a name on $PATH
//   scenarios = "/usr/share/tandem/sipp/verify"  # default: see findScenarioDir
//   timeout = "30s"                 # per row (also a number of seconds)
//   skip = ["dtmf"]                 # rows not run (not counted as failed)
//
// The digest uri SIPp 3.6 computes is "sip:<edge address>", without brackets for IPv6, so the
// register row needs an IPv4 address or a name in edge_sip; and SIPp fails on a SHA-256
// challenge, so the edge must offer MD5 (its default).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tandem::migrate {

// Exit statuses of runVerify.
inline constexpr int kVerifyPassed = 0;     // every row run passed (skipped rows aside)
inline constexpr int kVerifyFailed = 1;     // a row failed or is not configured
inline constexpr int kVerifyBadConfig = 2;  // unreadable plan, bad [verify], no SIPp/scenarios

// The rows, in the order they run and print.
enum class VerifyRow { kInternal, kDid, kOutbound, kHold, kDtmf, kRegister };
const std::vector<VerifyRow>& allVerifyRows();
// "internal", "did", "outbound", "hold", "dtmf", "register".
std::string_view verifyRowName(VerifyRow row);
std::optional<VerifyRow> parseVerifyRow(std::string_view name);
// The scenario file a row runs (in the scenario directory).
std::string_view verifyRowScenario(VerifyRow row);

struct VerifyConfig {
  std::string edgeSip;            // host:port, as SIPp takes its remote address
  std::string transport = "udp";  // udp or tcp
  std::string domain;
  std::string userA;
  std::optional<std::string> passwordA;  // absent and empty differ: an empty one is a value
  std::string userB;
  std::string did;
  std::string outboundNumber;
  std::string localIp;
  std::string callerIp;
  uint32_t expires = 300;
  std::string sipp = "sipp";
  std::string scenarios;  // as written; relative paths are taken from the plan file's folder
  std::chrono::milliseconds timeout{30'000};
  std::vector<VerifyRow> skip;
};

// Reads a [verify] table. text is either the table's keys alone or a TOML document with a
// [verify] table (as Plan::verifyToml or a whole plan file gives it); other tables of a plan
// are not looked at. name labels errors, which carry the line when there is one:
//   `plan.toml:31: [verify] unknown key "usr_a"`,
//   `plan.toml:33: [verify] expires must be a whole number from 60 to 86400, got 5`,
//   `plan.toml:35: [verify] skip: unknown row "dmtf" (rows: internal, did, outbound, hold, dtmf,
//   register)`, `plan.toml: [verify] edge_sip is required`, `plan.toml: no [verify] table`
//   (requireTable and a document without one). Several problems are reported together, one a
//   line.
Result<VerifyConfig> parseVerifyConfig(std::string_view text, std::string_view name,
                                       bool requireTable = false);

// The keys a row needs that config lacks ("user_b", ...); empty when the row can run.
std::vector<std::string> missingVerifyKeys(const VerifyConfig& config, VerifyRow row);

// Where the scenarios are: the first of
//   1. configured (the `scenarios` key, already made absolute),
//   2. env ($TANDEM_SIPP_DIR),
//   3. <folder of exePath>/../share/tandem/sipp/verify (an installed tandem),
//   4. builtIn (the source tree's sipp/verify, baked in at build time),
// skipping empty ones. A directory counts when it holds call_auth.xml. An explicit choice (1
// or 2) that does not is an error naming it rather than a silent fall-through to another set of
// scenarios; 3 and 4 are only tried. Error when none is found, listing what was tried.
struct ScenarioSearch {
  std::string configured;
  std::string env;
  std::string exePath;
  std::string builtIn;
};
Result<std::string> findScenarioDir(const ScenarioSearch& search);
// The source tree's sipp/verify, as this build knew it ("" when built without one).
std::string builtInScenarioDir();

// How a SIPp process ended.
struct SippExit {
  enum class Kind { kExited, kSignaled, kTimedOut };
  Kind kind = Kind::kExited;
  int code = 0;  // exit status (0..255) or signal number
};
// SIPp's exit status in words: "sipp exit 1 (a call failed)", "sipp exit 255 (fatal error)",
// "sipp killed after 30s (no end)", ... Only exit 0 is a pass.
std::string describeSippExit(const SippExit& exit, std::chrono::milliseconds timeout);

// The event of SIPp's error file (-trace_err) that explains a failed call, in one line:
// `unexpected "SIP/2.0 503 Service Unavailable" at scenario message 5 (SIPp was at its
// '180' step)`,
// `no answer in time while waiting at scenario message 4`, `max UDP retransmissions for
// message 0 (nothing answered)`, or the event's own first line, shortened. Events that do not
// explain a failure (overload warnings, strays from other calls) are passed over; "" when none
// is left. The text is untrusted: anything goes, nothing is asserted on it.
std::string sippFailureReason(std::string_view errorLog);

// For the register row: the lines its scenario logs for each 200 ("verify register
// local=IP:PORT contact=Contact: <...>;expires=N, ..."). Empty when the contact at that local
// address carries expires=want in each of them, else what is wrong (`the edge granted
// expires=60 to this contact on the refresh, asked 300`, `no 200 of the register step logged`).
std::string checkRegisterLog(std::string_view log, uint32_t want);

enum class RowOutcome { kPass, kFail, kNotConfigured, kSkipped };

struct RowResult {
  VerifyRow row = VerifyRow::kInternal;
  RowOutcome outcome = RowOutcome::kFail;
  std::string scenario;  // file name; empty when not run
  std::string detail;    // what was tried (pass) or why not (the others)
  std::chrono::milliseconds duration{0};
};

// One line: `internal  pass            1.2s  call_auth.xml     alice calls bob`, the row name,
// the outcome (pass, FAIL, not configured, skipped), the time (or "-"), the scenario and the
// detail.
std::string formatRowResult(const RowResult& result);

struct VerifyOptions {
  std::optional<VerifyRow> only;  // --row: run this one (even when listed in skip)
  std::string planDir;            // relative `scenarios` paths start here
  ScenarioSearch search;          // configured is filled from the config
  bool keep = false;              // keep SIPp's files even when every row passed
  // Tests replace the clock; the real steady clock when empty.
  std::function<std::chrono::steady_clock::time_point()> now;
};

// Runs the rows (each a SIPp child process with `-m 1`, in a temporary folder holding its error,
// screen and log files, killed at config.timeout + 5 s), prints one line per row, then a
// summary. The folder is removed when every row passed (unless keep), else kept and named.
// Returns kVerifyPassed, kVerifyFailed or kVerifyBadConfig (no SIPp, no scenarios).
int runVerify(const VerifyConfig& config, const VerifyOptions& options, std::ostream& out,
              std::ostream& err);

// `tandem migrate verify PLAN`: reads the plan file's [verify] table and runs it; bad file or
// table: the error on err, kVerifyBadConfig.
int runVerifyPlanFile(const std::string& planPath, VerifyOptions options, std::ostream& out,
                      std::ostream& err);

}  // namespace tandem::migrate
