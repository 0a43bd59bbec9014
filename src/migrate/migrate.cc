// The subcommands' bodies: argument checks, the calls into the component, and what they print.
#include "migrate/migrate.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "control/ctl.h"
#include "migrate/files.h"

namespace tandem::migrate {

using nlohmann::ordered_json;

namespace {

int timeoutMs(double seconds) { return seconds <= 0 ? 5000 : static_cast<int>(seconds * 1000.0); }

std::string edgeUrl(const std::string& given) {
  return given.empty() ? control::defaultCtlUrl() : given;
}

// Checks the audit log can be appended to before anything changes.
Status probeAudit(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Status::error("audit log " + path + ": " + std::strerror(errno));
  ::close(fd);
  return Status::ok();
}

void printPlan(const std::vector<Step>& steps, std::ostream& out) {
  for (const auto& s : steps) {
    out << "  " << s.uri << ": " << s.what << "\n";
    for (const auto& c : s.calls) out << "      " << c.method << " " << c.params.dump() << "\n";
  }
}

void printWarnings(const std::vector<std::string>& warnings, std::ostream& err) {
  for (const auto& w : warnings) err << "warning: " << w << "\n";
}

}  // namespace

int runProfile(const ProfileArgs& args, std::ostream& out, std::ostream& err) {
  auto mode = parseMode(args.mode);
  if (!mode) {
    err << "error: " << mode.message() << "\n";
    return kExitFailed;
  }
  if (args.format != "tandem" && args.format != "kamailio") {
    err << "error: unknown format \"" << args.format << "\": expected tandem or kamailio\n";
    return kExitFailed;
  }
  auto profile = makeProfile(*mode, args.oldUri, args.newUri, args.set);
  if (!profile) {
    err << "error: " << profile.message() << "\n";
    return kExitFailed;
  }
  std::string text =
      args.format == "kamailio" ? renderKamailio(*profile) : profileToJson(*profile).dump(2) + "\n";
  if (args.output.empty() || args.output == "-") {
    out << text;
    return kExitOk;
  }
  if (Status s = replaceFile(args.output, text, 0644, ::getuid(), ::getgid()); !s) {
    err << "error: " << s.message() << "\n";
    return kExitFailed;
  }
  out << "wrote " << args.output << " (mode " << modeName(profile->mode) << ", set "
      << profile->set;
  for (const auto& d : profile->destinations) {
    out << "; " << roleName(d.role) << " " << d.uri << " " << targetName(d.state);
    if (d.weight != 0) out << " weight=" << d.weight;
  }
  out << ")\n";
  return kExitOk;
}

namespace {

int dryRun(const ApplyArgs& args, const Profile& profile, EdgeLink& link, SystemTime now,
           const std::string& who, std::ostream& out, std::ostream& err) {
  if (!args.kamailioList.empty()) {
    KamailioApplyOptions options;
    options.listPath = args.kamailioList;
    options.checkHostsResolve = !args.noResolveCheck;
    options.dryRun = true;
    options.now = now;
    options.who = who;
    KamailioApplyReport r = applyKamailio(link, profile, options);
    if (!r.status) {
      err << "error: " << r.status.message() << "\n";
      return kExitFailed;
    }
    out << "dry run: " << args.kamailioList << " would become:\n" << r.newText;
    out << "then dispatcher.reload at " << link.url() << " and a check with dispatcher.list\n";
    return kExitOk;
  }
  ApplyReport r = applyTandem(link, profile, true);
  if (!r.status) {
    err << "error: " << r.status.message() << "\n";
    return kExitFailed;
  }
  out << "dry run: set " << profile.set << " at " << link.url() << " to " << modeName(profile.mode)
      << (r.plan.changes() ? "" : " (already there)") << "\n";
  printPlan(r.plan.steps, out);
  printWarnings(r.plan.warnings, err);
  return kExitOk;
}

// The Kamailio apply: prints its outcome, fills audit's from/to/backup/result/error.
bool applyKamailioAudited(const ApplyArgs& args, const Profile& profile, EdgeLink& link,
                          SystemTime now, const std::string& who, ordered_json& audit,
                          std::ostream& out, std::ostream& err) {
  KamailioApplyOptions options;
  options.listPath = args.kamailioList;
  options.checkHostsResolve = !args.noResolveCheck;
  options.now = now;
  options.who = who;
  options.sleep = args.sleep;
  KamailioApplyReport r = applyKamailio(link, profile, options);
  audit["from"] = r.beforeError.empty() ? rawRows(r.before) : ordered_json();
  if (!r.beforeError.empty()) audit["from_error"] = r.beforeError;
  audit["to"] = profileToJson(profile);
  if (!r.backupPath.empty()) audit["backup"] = r.backupPath;
  const bool ok = r.status.isOk();
  audit["result"] = ok                       ? "ok"
                    : !r.restored            ? "failed"
                    : r.restoreError.empty() ? "restored"
                                             : "restore failed";
  if (ok) {
    out << "applied " << modeName(profile.mode) << " to " << args.kamailioList << " (backup "
        << r.backupPath << "), reloaded and verified with dispatcher.list at " << link.url()
        << "\n";
  } else {
    err << "error: " << r.status.message() << "\n";
    for (const auto& m : r.mismatches) err << "  " << m << "\n";
    audit["error"] = r.status.message();
  }
  return ok;
}

// The tandem apply: prints its steps and outcome, fills audit's from/to/steps/result/error.
bool applyTandemAudited(const Profile& profile, EdgeLink& link, ordered_json& audit,
                        std::ostream& out, std::ostream& err) {
  ApplyReport r = applyTandem(link, profile, false);
  auditTandemApply(r, profile, audit);
  const bool ok = r.status.isOk();
  printPlan(r.plan.steps, out);
  printWarnings(r.plan.warnings, err);
  if (ok) {
    out << "applied " << modeName(profile.mode) << " to set " << profile.set << " at " << link.url()
        << (r.plan.changes() ? "" : " (nothing to change)") << ", verified with dispatcher.list\n";
  } else {
    err << "error: " << r.status.message() << "\n";
    for (const auto& m : r.mismatches) err << "  " << m << "\n";
  }
  return ok;
}

}  // namespace

int runApplyWith(const ApplyArgs& args, EdgeLink& link, std::ostream& out, std::ostream& err) {
  auto text = readWholeFile(args.profile);
  if (!text) {
    err << "error: " << text.message() << "\n";
    return kExitFailed;
  }
  auto profile = loadProfile(*text, args.profile);
  if (!profile) {
    err << "error: " << profile.message() << "\n";
    return kExitFailed;
  }
  const uint32_t profileSet = profile->set;
  if (!args.tenant.empty()) {
    if (!args.kamailioList.empty()) {
      err << "error: --tenant needs a tandem edge: Kamailio has no tenant table\n";
      return kExitFailed;
    }
    profile = profileForTenant(link, std::move(profile).value(), args.tenant);
    if (!profile) {
      err << "error: " << profile.message() << " (nothing changed)\n";
      return kExitFailed;
    }
    out << "tenant " << args.tenant << ": set " << profile->set << " replaces the profile's set "
        << profileSet << "\n";
  }
  const SystemTime now = args.now ? args.now() : std::chrono::system_clock::now();
  const std::string who = operatorName(args.operatorName);
  if (args.dryRun) return dryRun(args, *profile, link, now, who, out, err);

  const std::string auditPath = args.audit.empty() ? kDefaultAuditLog : args.audit;
  if (Status s = probeAudit(auditPath); !s) {
    err << "error: " << s.message() << " (nothing changed)\n";
    return kExitFailed;
  }
  const bool kamailio = !args.kamailioList.empty();
  ordered_json audit;
  audit["who"] = who;
  audit["when"] = utcIso8601(now);
  audit["kind"] = kamailio ? "kamailio" : "tandem";
  audit["edge"] = link.url();
  if (kamailio) audit["list_file"] = args.kamailioList;
  audit["set"] = profile->set;
  if (!args.tenant.empty()) {
    audit["tenant"] = args.tenant;
    audit["profile_set"] = profileSet;
  }
  audit["mode"] = modeName(profile->mode);
  audit["profile"] = args.profile;
  const bool ok = kamailio ? applyKamailioAudited(args, *profile, link, now, who, audit, out, err)
                           : applyTandemAudited(*profile, link, audit, out, err);
  if (Status s = appendAuditLine(auditPath, audit); !s) {
    err << "error: " << s.message() << "\n";
    return kExitFailed;
  }
  out << "audit: " << auditPath << "\n";
  return ok ? kExitOk : kExitFailed;
}

int runApply(const ApplyArgs& args, std::ostream& out, std::ostream& err) {
  const bool kamailio = !args.kamailioList.empty();
  if (kamailio && args.kamailioUrl.empty()) {
    err << "error: --kamailio-list needs --kamailio-url (Kamailio's jsonrpcs, e.g. "
           "http://127.0.0.1:5071/RPC)\n";
    return kExitFailed;
  }
  if (!kamailio && !args.kamailioUrl.empty()) {
    err << "error: --kamailio-url needs --kamailio-list (the file Kamailio's dispatcher reads)\n";
    return kExitFailed;
  }
  auto link = kamailio ? HttpEdgeLink::create(args.kamailioUrl, "--kamailio-url", "/RPC",
                                              timeoutMs(args.timeoutSeconds))
                       : HttpEdgeLink::create(edgeUrl(args.edge), "--edge", "/rpc",
                                              timeoutMs(args.timeoutSeconds));
  if (!link) {
    err << "error: " << link.message() << "\n";
    return kExitFailed;
  }
  return runApplyWith(args, **link, out, err);
}

int runSnapshotWith(const SnapshotArgs& args, EdgeLink& link, SystemTime now, std::ostream& out,
                    std::ostream& err) {
  std::optional<SnapshotScope> scope;
  if (!args.tenant.empty()) {
    auto set = tenantSet(link, args.tenant);
    if (!set) {
      err << "error: " << set.message() << "\n";
      return kExitFailed;
    }
    scope = SnapshotScope{args.tenant, *set};
  }
  auto window = parseDuration(args.window);
  if (!window) {
    err << "error: --window: " << window.message() << "\n";
    return kExitFailed;
  }
  auto sleep =
      args.sleep ? args.sleep : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  auto snap = takeSnapshot(link, args.label, now, scope, *window, sleep);
  if (!snap) {
    err << "error: " << snap.message() << "\n";
    return kExitFailed;
  }
  for (const auto& n : snap->notes) err << "note: " << n << "\n";
  auto path = writeSnapshot(*snap, args.outDir.empty() ? "." : args.outDir, now);
  if (!path) {
    err << "error: " << path.message() << "\n";
    return kExitFailed;
  }
  out << *path << "\n";
  return kExitOk;
}

int runSnapshot(const SnapshotArgs& args, std::ostream& out, std::ostream& err) {
  if (Status s = checkLabel(args.label); !s) {
    err << "error: " << s.message() << "\n";
    return kExitFailed;
  }
  auto link =
      HttpEdgeLink::create(edgeUrl(args.edge), "--edge", "/rpc", timeoutMs(args.timeoutSeconds));
  if (!link) {
    err << "error: " << link.message() << "\n";
    return kExitFailed;
  }
  return runSnapshotWith(args, **link, std::chrono::system_clock::now(), out, err);
}

int runDiff(const DiffArgs& args, std::ostream& out, std::ostream& err) {
  auto load = [&](const std::string& path) -> Result<Snapshot> {
    auto text = readWholeFile(path);
    if (!text) return text.status();
    return snapshotFromJson(*text, path);
  };
  auto a = load(args.a);
  if (!a) {
    err << "error: " << a.message() << "\n";
    return kDiffError;
  }
  auto b = load(args.b);
  if (!b) {
    err << "error: " << b.message() << "\n";
    return kDiffError;
  }
  SnapshotDiff d = diffSnapshots(*a, *b);
  for (const auto& line : d.lines) out << line << "\n";
  return args.failOnRegression && d.regression ? kDiffRegression : kExitOk;
}

int runDrainWith(const DrainArgs& args, EdgeLink& link, const DrainDeps& deps, std::ostream& out,
                 std::ostream& err) {
  if (Status s = checkUri(args.node, "--node"); !s) {
    err << "error: " << s.message() << "\n";
    return kDrainError;
  }
  auto interval = parseDuration(args.interval);
  if (!interval) {
    err << "error: --interval: " << interval.message() << "\n";
    return kDrainError;
  }
  if (interval->count() == 0) {
    err << "error: --interval must be more than 0\n";
    return kDrainError;
  }
  auto timeout = parseDuration(args.timeout);
  if (!timeout) {
    err << "error: --timeout: " << timeout.message() << "\n";
    return kDrainError;
  }
  if (args.set && *args.set == 0) {
    err << "error: --set must be a positive integer, got 0\n";
    return kDrainError;
  }
  if (args.set && !args.tenant.empty()) {
    err << "error: --tenant and --set exclude each other (a tenant has one set)\n";
    return kDrainError;
  }
  if (!args.freeswitch.empty()) {
    if (auto address = parseEslAddress(args.freeswitch); !address) {
      err << "error: --fs: " << address.message() << "\n";
      return kDrainError;
    }
  }
  std::optional<uint32_t> set = args.set;
  if (!args.tenant.empty()) {
    auto tenant = tenantSet(link, args.tenant);
    if (!tenant) {
      err << "error: " << tenant.message() << "\n";
      return kDrainError;
    }
    set = *tenant;
    out << "tenant " << args.tenant << ": watching set " << *set << "\n";
  }
  DrainOptions options;
  options.node = args.node;
  options.set = set;
  options.freeswitch = args.freeswitch;
  options.threshold = args.threshold;
  options.interval = *interval;
  options.timeout = *timeout;
  options.terminal = args.terminal;
  return watchDrain(link, options, deps, out, err);
}

int runDrain(const DrainArgs& args, std::ostream& out, std::ostream& err) {
  auto link =
      HttpEdgeLink::create(edgeUrl(args.edge), "--edge", "/rpc", timeoutMs(args.timeoutSeconds));
  if (!link) {
    err << "error: " << link.message() << "\n";
    return kDrainError;
  }
  DrainDeps deps = realDrainDeps();
  if (!args.freeswitch.empty()) {
    deps.freeswitchCalls = [&args] {
      return freeswitchCallCount(args.freeswitch, args.freeswitchPassword,
                                 timeoutMs(args.timeoutSeconds));
    };
  }
  return runDrainWith(args, **link, deps, out, err);
}

}  // namespace tandem::migrate
