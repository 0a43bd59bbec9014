// The subcommands of `tandem pjsip`: glue between files on disk, the converter, the writers, the
// linter and the planner, with the exit statuses the CLI returns.
#include "pjsip/pjsip.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace tandem::pjsip {
namespace {

std::string joinPath(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

bool isSecretKey(const std::string& key) {
  return key == "secret" || key == "md5secret" || key == "remotesecret" || key == "register";
}

std::string summary(const std::vector<Finding>& findings) {
  int errors = 0;
  int warnings = 0;
  int infos = 0;
  for (const Finding& f : findings) {
    if (f.severity == Severity::kError) ++errors;
    if (f.severity == Severity::kWarning) ++warnings;
    if (f.severity == Severity::kInfo) ++infos;
  }
  auto plural = [](int n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  return plural(errors, "error") + ", " + plural(warnings, "warning") +
         (infos > 0 ? ", " + plural(infos, "note") : "");
}

}  // namespace

Result<Format> parseFormat(std::string_view text) {
  if (text == "conf") return Format::kConf;
  if (text == "wizard") return Format::kWizard;
  if (text == "sql") return Format::kSql;
  return Result<Format>::error("unknown format \"" + std::string(text) +
                               "\" (conf, wizard or sql)");
}

Result<SqlDialect> parseDialect(std::string_view text) {
  if (text == "postgres" || text == "postgresql") return SqlDialect::kPostgres;
  if (text == "mysql" || text == "mariadb") return SqlDialect::kMysql;
  if (text == "sqlite" || text == "sqlite3") return SqlDialect::kSqlite;
  return Result<SqlDialect>::error("unknown dialect \"" + std::string(text) +
                                   "\" (postgres, mysql or sqlite)");
}

Result<ConvertResult> convertAndLint(const std::string& sipConf, FileSource& files,
                                     const ConvertOptions& options, Format format,
                                     SqlDialect dialect, const std::string& outDir) {
  auto conversion = convertFile(sipConf, files, options);
  if (!conversion) return conversion.status();
  ConvertResult result;
  result.conversion = std::move(conversion).value();
  result.output = writeOutput(result.conversion, format, dialect);
  LintInput input;
  for (const OutputFile& f : result.output.files) {
    bool conf = f.name == "pjsip.conf" || f.name == "pjsip_wizard.conf";
    if (!conf) continue;
    auto parsed = parseConfig(f.text, joinPath(outDir, f.name));
    if (!parsed)
      return Result<ConvertResult>::error("internal: output does not parse: " + parsed.message());
    addConfigObjects(*parsed, input);
  }
  if (format == Format::kSql) {
    addRealtimeObjects(result.conversion.doc, joinPath(outDir, "pjsip_realtime.sql"),
                       result.output.sqlRows, input);
  }
  LintOptions lo;
  lo.chanSipBinds = result.conversion.chanSipBinds;
  result.findings = lint(input, lo);
  return result;
}

std::string renderReport(const ConvertResult& r, Format format, const std::string& outDir) {
  const Conversion& c = r.conversion;
  int phones = 0;
  int fixed = 0;
  int users = 0;
  int other = 0;
  for (const PeerInfo& p : c.peers) {
    if (p.kind == PeerKind::kPhone)
      ++phones;
    else if (p.kind == PeerKind::kStatic)
      ++fixed;
    else if (p.kind == PeerKind::kUser)
      ++users;
    else
      ++other;
  }
  int classes = 0;
  for (const TemplateInfo& t : c.templates) {
    if (!t.endpointId.empty() || !t.aorId.empty()) ++classes;
  }
  std::string out;
  out += "Converted " + c.source + " (" +
         std::string(format == Format::kConf     ? "conf"
                     : format == Format::kWizard ? "wizard"
                                                 : "sql") +
         "): " + std::to_string(c.peers.size()) + " peers (" + std::to_string(phones) +
         " registering, " + std::to_string(fixed) + " fixed address, " + std::to_string(users) +
         " type=user" + (other > 0 ? ", " + std::to_string(other) + " without host" : "") + "), " +
         std::to_string(c.registrations.size()) + " registrations, " + std::to_string(classes) +
         " classes kept as templates.\n";
  out += "Wrote:";
  for (const OutputFile& f : r.output.files) out += " " + joinPath(outDir, f.name);
  out += "\n";

  std::vector<const Unmapped*> attention;
  std::vector<const Unmapped*> kept;
  for (const Unmapped& u : c.unmapped) (u.needsAttention ? attention : kept).push_back(&u);
  auto line = [](const Unmapped& u) {
    std::string value = isSecretKey(u.key) ? "(hidden)" : u.value;
    return "  " + u.where.toString() + " [" + u.section + "] " + u.key +
           (u.key.empty() ? "" : "=" + value) + ": " + u.reason + "\n";
  };
  out += "\nNot converted (" + std::to_string(attention.size()) +
         (attention.size() == 1 ? " line" : " lines") + ", each needs a decision):\n";
  if (attention.empty()) out += "  none\n";
  for (const Unmapped* u : attention) out += line(*u);
  out += "\nNo PJSIP option needed (" + std::to_string(kept.size()) +
         (kept.size() == 1 ? " line" : " lines") + "):\n";
  if (kept.empty()) out += "  none\n";
  for (const Unmapped* u : kept) out += line(*u);
  if (!c.notes.empty()) {
    out += "\nNotes:\n";
    for (const Diagnostic& d : c.notes) out += "  " + d.where.toString() + ": " + d.message + "\n";
  }
  out += "\nLint of the output: " + summary(r.findings) + "\n";
  for (const Finding& f : r.findings) out += "  " + f.toString() + "\n";
  return out;
}

int runConvert(const ConvertArgs& args, std::ostream& out, std::ostream& err) {
  auto format = parseFormat(args.format);
  if (!format) {
    err << "tandem pjsip convert: " << format.message() << "\n";
    return kExitUsage;
  }
  auto dialect = parseDialect(args.dialect);
  if (!dialect) {
    err << "tandem pjsip convert: " << dialect.message() << "\n";
    return kExitUsage;
  }
  DiskFiles files;
  ConvertOptions options;
  options.bind = args.bind;
  auto result = convertAndLint(args.input, files, options, *format, *dialect, args.outDir);
  if (!result) {
    err << "tandem pjsip convert: " << result.message() << "\n";
    return kExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(args.outDir, ec);
  if (ec) {
    err << "tandem pjsip convert: cannot create " << args.outDir << ": " << ec.message() << "\n";
    return kExitUsage;
  }
  std::vector<OutputFile> outFiles = result->output.files;
  std::string reportName = "pjsip-convert-report.txt";
  outFiles.push_back({reportName, renderReport(*result, *format, args.outDir)});
  if (!args.force) {
    for (const OutputFile& f : outFiles) {
      std::string path = joinPath(args.outDir, f.name);
      if (std::filesystem::exists(path)) {
        err << "tandem pjsip convert: refusing to overwrite " << path << " (use --force)\n";
        return kExitUsage;
      }
    }
  }
  for (const OutputFile& f : outFiles) {
    std::string path = joinPath(args.outDir, f.name);
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << f.text;
    if (!file) {
      err << "tandem pjsip convert: cannot write " << path << "\n";
      return kExitUsage;
    }
  }
  out << outFiles.back().text;
  return hasErrors(result->findings) ? kExitFindings : kExitOk;
}

int runLint(const LintArgs& args, std::ostream& out, std::ostream& err) {
  if (args.files.empty()) {
    err << "tandem pjsip lint: give pjsip.conf and/or pjsip_wizard.conf\n";
    return kExitUsage;
  }
  DiskFiles files;
  LintInput input;
  for (const std::string& path : args.files) {
    auto config = readConfig(path, files);
    if (!config) {
      err << "tandem pjsip lint: " << config.message() << "\n";
      return kExitUsage;
    }
    addConfigObjects(*config, input);
  }
  LintOptions options;
  std::string assumption;
  if (args.noChanSip) {
    // chan_sip is gone: nothing to collide with.
  } else if (!args.sipConf.empty()) {
    auto sip = convertFile(args.sipConf, files, ConvertOptions{});
    if (!sip) {
      err << "tandem pjsip lint: " << sip.message() << "\n";
      return kExitUsage;
    }
    options.chanSipBinds = sip->chanSipBinds;
  } else if (!args.chanSip.empty()) {
    for (const std::string& spec : args.chanSip) {
      size_t colon = spec.find(':');
      std::string proto = colon == std::string::npos ? "" : spec.substr(0, colon);
      if (proto != "udp" && proto != "tcp" && proto != "tls") {
        err << "tandem pjsip lint: --chan-sip " << spec
            << ": expected udp:, tcp: or tls: before the address\n";
        return kExitUsage;
      }
      auto b = parseBindAddress(spec.substr(colon + 1), proto, proto == "tls" ? 5061 : 5060);
      if (!b) {
        err << "tandem pjsip lint: --chan-sip " << spec << ": " << b.message() << "\n";
        return kExitUsage;
      }
      options.chanSipBinds.push_back(*b);
    }
  } else {
    // The migration case: chan_sip still runs with its defaults.
    options.chanSipBinds = {{"udp", "0.0.0.0", 5060}, {"tcp", "0.0.0.0", 5060}};
    assumption =
        "assumed chan_sip still listens on udp 0.0.0.0:5060 and tcp 0.0.0.0:5060; give "
        "--sip-conf to read its config, or --no-chan-sip once it is unloaded";
  }
  std::vector<Finding> findings = lint(input, options);
  if (args.json) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const Finding& f : findings) {
      j.push_back({{"code", f.code},
                   {"severity", severityName(f.severity)},
                   {"object", f.object},
                   {"file", f.where.file},
                   {"line", f.where.line},
                   {"message", f.message},
                   {"fix", f.fix}});
    }
    out << j.dump(2) << "\n";
  } else {
    for (const Finding& f : findings) out << f.toString() << "\n";
    out << summary(findings) << "\n";
    if (!assumption.empty()) out << "(" << assumption << ")\n";
  }
  return hasErrors(findings) ? kExitFindings : kExitOk;
}

int runPlan(const PlanArgs& args, std::ostream& out, std::ostream& err) {
  PlanOptions options;
  if (!args.by.empty() && args.batches > 0) {
    err << "tandem pjsip plan: give either --batches or --by, not both\n";
    return kExitUsage;
  }
  if (args.by == "context") {
    options.grouping = PlanGrouping::kContext;
  } else if (args.by == "tenant") {
    options.grouping = PlanGrouping::kTenant;
  } else if (!args.by.empty()) {
    err << "tandem pjsip plan: --by " << args.by << ": expected context or tenant\n";
    return kExitUsage;
  } else {
    options.grouping = PlanGrouping::kBatches;
    options.batches = args.batches > 0 ? args.batches : 1;
  }
  DiskFiles files;
  ConvertOptions co;
  co.bind = args.bind;
  auto conversion = convertFile(args.input, files, co);
  if (!conversion) {
    err << "tandem pjsip plan: " << conversion.message() << "\n";
    return kExitUsage;
  }
  auto plan = makePlan(*conversion, options);
  if (!plan) {
    err << "tandem pjsip plan: " << plan.message() << "\n";
    return kExitUsage;
  }
  out << (args.json ? renderPlanJson(*plan) : renderPlanText(*plan));
  return kExitOk;
}

}  // namespace tandem::pjsip
