// The Kamailio apply: list file rewrite, backup, reload with retries, verification, restore.
#include "migrate/kamailio.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <thread>

#include "core/text.h"
#include "dispatcher/dispatcher.h"
#include "migrate/apply.h"
#include "migrate/files.h"
#include "sip/uri.h"

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

constexpr std::string_view kProfileHeader = "# tandem-migrate-profile";

// A profile header (`# tandem-migrate-profile mode=M set=S old=URI new=URI`) of set `set`, or
// one that names no set.
bool isProfileHeaderOf(std::string_view line, uint32_t set) {
  if (!line.starts_with(kProfileHeader)) return false;
  std::string_view rest = line.substr(kProfileHeader.size());
  if (!rest.empty() && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '\r' && rest[0] != '\n') {
    return false;
  }
  size_t at = rest.find(" set=");
  if (at == std::string_view::npos) return true;
  rest.remove_prefix(at + 5);
  uint32_t named = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), named);
  return ec != std::errc() || named == set;
}

// "12 s", or "1500 ms" when not whole seconds.
std::string durationText(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

bool isOngoingReload(std::string_view message) {
  std::string lower(message);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("ongoing reload") != std::string::npos;
}

struct ReloadOutcome {
  Status status;
  // Kamailio answered with a JSON-RPC error: it loaded nothing and serves its previous list.
  // False for a success, and for a call that did not complete (timeout, connection): then the
  // reload may or may not have happened.
  bool refused = false;
};

// Calls dispatcher.reload; "Ongoing reload" (Kamailio's reload_delta) is retried until
// options.reloadRetryFor has passed. Any other error answer ("Reload Failed") and a call that
// did not complete are not retried.
ReloadOutcome reload(EdgeLink& link, const KamailioApplyOptions& options) {
  auto sleep = options.sleep ? options.sleep
                             : [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  std::chrono::milliseconds waited{0};
  for (;;) {
    control::RpcReply r = link.call("dispatcher.reload", nlohmann::json::array());
    if (r.outcome == control::RpcReply::Outcome::kResult) return {Status::ok(), false};
    if (r.outcome != control::RpcReply::Outcome::kRpcError) {
      return {Status::error("dispatcher.reload: " + r.message), false};
    }
    std::string why = "dispatcher.reload: error " + std::to_string(r.code) + ": " + r.message;
    if (!isOngoingReload(r.message)) return {Status::error(why), true};
    if (waited >= options.reloadRetryFor) {
      if (waited.count() > 0) why += " (still so after retrying for " + durationText(waited) + ")";
      return {Status::error(why), true};
    }
    sleep(options.reloadRetryEvery);
    waited += options.reloadRetryEvery;
  }
}

bool resolvesByGetaddrinfo(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (found != nullptr) ::freeaddrinfo(found);
  return rc == 0;
}

// Every profile URI's host is an IP literal or resolves. Error: `URI: host "H" does not
// resolve; Kamailio would drop it (nothing changed)`.
Status checkHostsResolve(const Profile& profile, const KamailioApplyOptions& options) {
  for (const auto& d : profile.destinations) {
    auto uri = sip::parseUri(d.uri);
    if (!uri || uri->host.empty()) continue;  // makeProfile/loadProfile have checked the URIs
    std::string host(uri->host);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    in6_addr addr{};
    if (::inet_pton(AF_INET, host.c_str(), &addr) == 1 ||
        ::inet_pton(AF_INET6, host.c_str(), &addr) == 1) {
      continue;
    }
    bool ok = options.resolves ? options.resolves(host) : resolvesByGetaddrinfo(host);
    if (!ok) {
      return Status::error(d.uri + ": host \"" + host +
                           "\" does not resolve; Kamailio would drop it (nothing changed)");
    }
  }
  return Status::ok();
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
    if (line.starts_with(kMarker) || isProfileHeaderOf(line, profile.set)) continue;
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
  if (options.checkHostsResolve) {
    if (Status s = checkHostsResolve(profile, options); !s) {
      report.status = s;
      return report;
    }
  }

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

  // From here on, a failure puts the backup back. reloadAfter: Kamailio may have loaded the new
  // file (its reload succeeded, or did not complete), so it must reload the restored one.
  auto restore = [&](const std::string& why, bool reloadAfter) {
    report.restored = true;
    if (Status s = replaceFile(path, report.oldText, mode, st.st_uid, st.st_gid); !s) {
      report.restoreError = "writing the list file back: " + s.message();
      report.status = Status::error(why + "; putting the backup back FAILED: " + s.message() +
                                    " (" + path + " still holds the new list" +
                                    (reloadAfter ? "" : ", which Kamailio did not load") +
                                    "; the previous list is in " + backup + ")");
      return;
    }
    if (!reloadAfter) {
      report.status = Status::error(why + "; the list file was put back from " + backup +
                                    " (Kamailio kept its previous list)");
      return;
    }
    if (ReloadOutcome r = reload(link, options); !r.status) {
      report.restoreError = "reloading the restored list: " + r.status.message();
      report.status = Status::error(why + "; the list file was put back from " + backup +
                                    " but reloading it FAILED: " + r.status.message() +
                                    " (Kamailio may still serve the new list)");
      return;
    }
    report.restoreReloaded = true;
    report.status =
        Status::error(why + "; the previous list was restored from " + backup + " and reloaded");
  };
  if (ReloadOutcome r = reload(link, options); !r.status) {
    restore(r.status.message(), !r.refused);
    return report;
  }
  auto after = listSet(link, profile.set);
  if (!after) {
    restore("verification: " + after.message(), true);
    return report;
  }
  report.after = std::move(after).value();
  report.mismatches = verifySet(profile, report.after, Flavor::kKamailio);
  if (!report.mismatches.empty()) {
    std::string why = "verification failed: " + report.mismatches.front();
    if (report.mismatches.size() > 1) {
      why += " (and " + std::to_string(report.mismatches.size() - 1) + " more)";
    }
    restore(why, true);
  }
  return report;
}

}  // namespace tandem::migrate
