// The Kamailio apply: list file rewrite, backup, reload with retries, verification, restore.
#include "migrate/kamailio.h"

#include <sys/stat.h>

#include <charconv>
#include <filesystem>
#include <thread>

#include "core/text.h"
#include "dispatcher/dispatcher.h"
#include "migrate/apply.h"
#include "migrate/files.h"

namespace tandem::migrate {

namespace {

constexpr std::string_view kMarker = "# tandem migrate ";

// The set id and URI of a list line, when it has them (comments and blank lines do not).
bool lineKey(std::string_view line, uint32_t* set, std::string_view* uri) {
  line = line.substr(0, line.find('#'));
  auto next = [&line]() -> std::string_view {
    size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) {
      line = {};
      return {};
    }
    line.remove_prefix(b);
    size_t e = line.find_first_of(" \t\r");
    std::string_view tok = line.substr(0, e);
    line.remove_prefix(e == std::string_view::npos ? line.size() : e);
    return tok;
  };
  std::string_view setText = next();
  *uri = next();
  if (setText.empty() || uri->empty()) return false;
  auto [end, ec] = std::from_chars(setText.data(), setText.data() + setText.size(), *set);
  return ec == std::errc() && end == setText.data() + setText.size();
}

// Calls dispatcher.reload until it succeeds or options.reloadRetryFor has passed; a connection
// failure is not retried (nothing would reload the file).
Status reload(EdgeLink& link, const KamailioApplyOptions& options) {
  auto sleep = options.sleep ? options.sleep
                             : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  std::chrono::milliseconds waited{0};
  for (;;) {
    control::RpcReply r = link.call("dispatcher.reload", nlohmann::json::array());
    if (r.outcome == control::RpcReply::Outcome::kResult) return Status::ok();
    std::string why = r.outcome == control::RpcReply::Outcome::kRpcError
                          ? "error " + std::to_string(r.code) + ": " + r.message
                          : r.message;
    if (r.outcome != control::RpcReply::Outcome::kRpcError || waited >= options.reloadRetryFor) {
      return Status::error("dispatcher.reload: " + why);
    }
    sleep(options.reloadRetryEvery);
    waited += options.reloadRetryEvery;
  }
}

Result<std::vector<ListedDest>> listSet(EdgeLink& link, uint32_t set) {
  auto listed = callResult(link, "dispatcher.list");
  if (!listed) return listed.status();
  auto rows = parseDispatcherList(*listed);
  if (!rows) return rows.status();
  return rowsOfSet(*rows, set);
}

}  // namespace

Result<std::string> rewriteKamailioList(std::string_view current, const Profile& profile,
                                        std::string_view when, std::string_view who) {
  // A line break in the operator's name would end the comment and start a list line.
  std::string by(who);
  for (char& c : by) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::string block = std::string(kMarker) + "mode=" + modeName(profile.mode) +
                      " set=" + std::to_string(profile.set) + " applied " + std::string(when) +
                      " by " + by + "\n";
  std::string lines = renderKamailio(profile);
  // renderKamailio's own header comments are for a standalone file: keep only its entries.
  size_t pos = 0;
  std::string entries;
  while (pos < lines.size()) {
    size_t eol = lines.find('\n', pos);
    std::string_view line(lines.data() + pos, eol - pos);
    if (!line.starts_with("#")) entries += std::string(line) + "\n";
    pos = eol + 1;
  }
  if (auto parsed = dispatcher::parseList(entries, "profile"); !parsed) {
    return Result<std::string>::error("cannot write the profile as a dispatcher.list: " +
                                      parsed.message());
  }
  block += entries;

  std::string out;
  bool placed = false;
  pos = 0;
  while (pos < current.size()) {
    size_t eol = current.find('\n', pos);
    size_t end = eol == std::string_view::npos ? current.size() : eol + 1;
    std::string_view line = current.substr(pos, end - pos);
    pos = end;
    if (line.starts_with(kMarker)) continue;
    uint32_t set = 0;
    std::string_view uri;
    if (lineKey(line, &set, &uri) && set == profile.set && profile.find(uri) != nullptr) {
      if (!placed) out += block;
      placed = true;
      continue;
    }
    out += line;
    if (eol == std::string_view::npos) out += '\n';  // the file's last line had no newline
  }
  if (!placed) out += block;
  return out;
}

KamailioApplyReport applyKamailio(EdgeLink& link, const Profile& profile,
                                  const KamailioApplyOptions& options) {
  KamailioApplyReport report;
  const std::string& path = options.listPath;
  auto text = readWholeFile(path);
  if (!text) {
    report.status = text.status();
    return report;
  }
  report.oldText = std::move(text).value();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    report.status = Status::error("cannot read " + path);
    return report;
  }
  const mode_t mode = st.st_mode & 07777;

  control::RpcReply before = link.call("dispatcher.list", nlohmann::json::array());
  if (before.outcome == control::RpcReply::Outcome::kConnectFailed ||
      before.outcome == control::RpcReply::Outcome::kFailed) {
    report.status = Status::error("dispatcher.list: " + before.message + " (nothing changed)");
    return report;
  }
  if (before.outcome == control::RpcReply::Outcome::kRpcError) {
    report.beforeError = "error " + std::to_string(before.code) + ": " + before.message;
  } else if (auto rows = parseDispatcherList(before.result)) {
    report.before = rowsOfSet(*rows, profile.set);
  } else {
    report.beforeError = rows.message();
  }

  auto rewritten = rewriteKamailioList(report.oldText, profile, utcIso8601(options.now),
                                       options.who.empty() ? operatorName("") : options.who);
  if (!rewritten) {
    report.status = rewritten.status();
    return report;
  }
  report.newText = std::move(rewritten).value();
  if (options.dryRun) return report;

  // FILE.bak.<stamp>, or FILE.bak.<stamp>-N when two applies fall in the same second.
  std::string backup = path + ".bak." + utcFileStamp(options.now);
  Status created = createNewFile(backup, report.oldText, mode);
  for (int n = 1; !created && n < 100 && std::filesystem::exists(backup); ++n) {
    backup = path + ".bak." + utcFileStamp(options.now) + "-" + std::to_string(n);
    created = createNewFile(backup, report.oldText, mode);
  }
  if (!created) {
    report.status = Status::error("backup: " + created.message() + " (nothing changed)");
    return report;
  }
  report.backupPath = backup;
  if (Status s = replaceFile(path, report.newText, mode, st.st_uid, st.st_gid); !s) {
    report.status =
        Status::error(s.message() + " (the list file is unchanged; backup " + backup + ")");
    return report;
  }

  // From here on, a failure puts the backup back.
  auto restore = [&](const std::string& why) {
    Status s = replaceFile(path, report.oldText, mode, st.st_uid, st.st_gid);
    if (s) s = reload(link, options);
    report.restored = true;
    if (!s) {
      report.restoreError = s.message();
      report.status = Status::error(why + "; restoring the backup FAILED: " + s.message() +
                                    " (the previous list is in " + backup + ")");
    } else {
      report.status =
          Status::error(why + "; the previous list was restored from " + backup + " and reloaded");
    }
  };
  if (Status s = reload(link, options); !s) {
    restore(s.message());
    return report;
  }
  auto after = listSet(link, profile.set);
  if (!after) {
    restore("verification: " + after.message());
    return report;
  }
  report.after = std::move(after).value();
  report.mismatches = verifySet(profile, report.after, Flavor::kKamailio);
  if (!report.mismatches.empty()) {
    std::string why = "verification failed: " + report.mismatches.front();
    if (report.mismatches.size() > 1) {
      why += " (and " + std::to_string(report.mismatches.size() - 1) + " more)";
    }
    restore(why);
  }
  return report;
}

}  // namespace tandem::migrate
