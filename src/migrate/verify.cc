// `tandem migrate verify`: see verify.h. SIPp does the SIP; this file picks its arguments, runs
// it as a child with a deadline and turns its exit status and files into one line per row.
#include "migrate/verify.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/text.h"
#include "migrate/duration.h"
#include "migrate/files.h"

extern char** environ;

namespace tandem::migrate {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

constexpr const char* kMarkerScenario = "call_auth.xml";
// SIPp gets the row's timeout as its own global timeout; this much more, and it is killed.
constexpr milliseconds kKillGrace{5'000};

struct RowInfo {
  VerifyRow row;
  std::string_view name;
  std::string_view scenario;
};

constexpr RowInfo kRows[] = {
    {VerifyRow::kInternal, "internal", "call_auth.xml"},
    {VerifyRow::kDid, "did", "call_trusted.xml"},
    {VerifyRow::kOutbound, "outbound", "call_trusted.xml"},
    {VerifyRow::kHold, "hold", "hold_resume.xml"},
    {VerifyRow::kDtmf, "dtmf", "dtmf.xml"},
    {VerifyRow::kRegister, "register", "register_refresh.xml"},
};

const RowInfo& info(VerifyRow row) {
  for (const auto& r : kRows) {
    if (r.row == row) return r;
  }
  return kRows[0];
}

std::string rowList() {
  std::string s;
  for (const auto& r : kRows) {
    if (!s.empty()) s += ", ";
    s += r.name;
  }
  return s;
}

// SIPp's log files: one it did not write reads as empty.
std::string readFile(const std::string& path) {
  auto text = readWholeFile(path);
  return text ? std::move(text).value() : std::string();
}

// --------------------------------------------------------------------------- the [verify] table

class TableReader {
 public:
  TableReader(const toml::table& table, std::string_view name) : table_(table), name_(name) {}

  std::string where(const toml::node* node) const {
    uint32_t line = node != nullptr ? node->source().begin.line : table_.source().begin.line;
    if (line == 0) return std::string(name_) + ": ";
    return std::string(name_) + ":" + std::to_string(line) + ": ";
  }
  void error(const toml::node* node, const std::string& message) {
    errors_.push_back(where(node) + "[verify] " + message);
  }

  // A string key; absent leaves out alone. Also rejects text SIPp's CSV file or command line
  // could not carry whole.
  void str(std::string_view key, std::string& out) {
    const toml::node* n = table_.get(key);
    if (n == nullptr) return;
    if (!n->is_string()) {
      error(n, std::string(key) + " must be a string");
      return;
    }
    std::string v = **n->as_string();
    for (unsigned char c : v) {
      if (c < 0x20 || c == 0x7f || c == ';') {
        error(n, std::string(key) + " must not contain control characters or ';'");
        return;
      }
    }
    out = std::move(v);
  }

  const toml::node* get(std::string_view key) const { return table_.get(key); }
  const toml::table& table() const { return table_; }
  std::vector<std::string>& errors() { return errors_; }

 private:
  const toml::table& table_;
  std::string_view name_;
  std::vector<std::string> errors_;
};

bool validHostPort(std::string_view s) {
  // host:port or [v6]:port, port 1..65535. A name is allowed: SIPp resolves it.
  size_t colon;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      return false;
    }
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    if (s.substr(0, colon).find(':') != std::string_view::npos) return false;  // v6 without []
  }
  std::string_view port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  uint32_t p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + static_cast<uint32_t>(c - '0');
  }
  return p >= 1 && p <= 65535;
}

bool validIp(std::string_view s) {
  std::string t(s);
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, t.c_str(), &a4) == 1 || inet_pton(AF_INET6, t.c_str(), &a6) == 1;
}

std::string typeName(const toml::node& n) {
  if (n.is_floating_point()) return "fraction";
  if (n.is_boolean()) return "boolean";
  if (n.is_array()) return "list";
  if (n.is_table()) return "table";
  if (n.is_string()) return "string";
  if (n.is_integer()) return "integer";
  return "date or time";
}

const std::vector<std::string_view> kKeys = {
    "edge_sip", "transport", "domain",  "user_a", "password_a", "user_b",  "did", "outbound_number",
    "local_ip", "caller_ip", "expires", "sipp",   "scenarios",  "timeout", "skip"};

Result<VerifyConfig> readTable(const toml::table& table, std::string_view name) {
  TableReader r(table, name);
  VerifyConfig c;
  for (const auto& [k, v] : table) {
    bool known = false;
    for (auto key : kKeys) known = known || key == k.str();
    if (!known) r.error(&v, "unknown key \"" + std::string(k.str()) + "\"");
  }

  r.str("edge_sip", c.edgeSip);
  if (r.get("edge_sip") == nullptr) {
    r.error(nullptr, "edge_sip is required (the edge's SIP address, e.g. \"10.0.1.10:5060\")");
  } else if (!c.edgeSip.empty() && !validHostPort(c.edgeSip)) {
    r.error(r.get("edge_sip"),
            "edge_sip must be host:port (e.g. \"10.0.1.10:5060\" or \"[2001:db8::1]:5060\"), "
            "got \"" +
                c.edgeSip + "\"");
  }
  r.str("transport", c.transport);
  if (c.transport != "udp" && c.transport != "tcp") {
    r.error(r.get("transport"),
            "transport must be \"udp\" or \"tcp\", got \"" + c.transport + "\"");
  }
  r.str("domain", c.domain);
  r.str("user_a", c.userA);
  if (r.get("password_a") != nullptr) {
    std::string pw;
    size_t before = r.errors().size();
    r.str("password_a", pw);
    if (r.errors().size() == before) c.passwordA = std::move(pw);
  }
  r.str("user_b", c.userB);
  r.str("did", c.did);
  r.str("outbound_number", c.outboundNumber);
  for (auto [key, out] : {std::pair<std::string_view, std::string*>{"local_ip", &c.localIp},
                          {"caller_ip", &c.callerIp}}) {
    r.str(key, *out);
    if (!out->empty() && !validIp(*out)) {
      r.error(r.get(key),
              std::string(key) + " must be an IP address of this machine, got \"" + *out + "\"");
    }
  }
  r.str("sipp", c.sipp);
  if (c.sipp.empty()) r.error(r.get("sipp"), "sipp must not be empty");
  r.str("scenarios", c.scenarios);

  if (const toml::node* n = r.get("expires")) {
    auto v = n->value<int64_t>();
    if (!n->is_integer() || !v || *v < 60 || *v > 86400) {
      std::string got = n->is_integer()  ? std::to_string(*v)
                        : n->is_string() ? "\"" + **n->as_string() + "\""
                                         : "a " + typeName(*n);
      r.error(n, "expires must be a whole number from 60 to 86400, got " + got);
    } else {
      c.expires = static_cast<uint32_t>(*v);
    }
  }
  if (const toml::node* n = r.get("timeout")) {
    if (n->is_integer()) {
      int64_t s = **n->as_integer();
      if (s < 1 || s > 3600) {
        r.error(n, "timeout must be from 1 to 3600 seconds, got " + std::to_string(s));
      } else {
        c.timeout = milliseconds(s * 1000);
      }
    } else if (n->is_string()) {
      auto d = parseDuration(**n->as_string());
      if (!d) {
        r.error(n, "timeout: " + d.message());
      } else if (d.value() < milliseconds(1000) || d.value() > milliseconds(3'600'000)) {
        r.error(n, "timeout must be from 1s to 1h, got \"" + **n->as_string() + "\"");
      } else {
        c.timeout = d.value();
      }
    } else {
      r.error(n, "timeout must be a duration (\"30s\", \"2m\") or a number of seconds");
    }
  }
  if (const toml::node* n = r.get("skip")) {
    const toml::array* a = n->as_array();
    if (a == nullptr) {
      r.error(n, "skip must be a list of row names (" + rowList() + ")");
    } else {
      for (const toml::node& item : *a) {
        const toml::node* at = item.source().begin.line != 0 ? &item : n;
        auto s = item.value<std::string>();
        if (!item.is_string() || !s) {
          r.error(at, "skip: each item must be a row name (" + rowList() + ")");
          continue;
        }
        auto row = parseVerifyRow(*s);
        if (!row) {
          r.error(at, "skip: unknown row \"" + *s + "\" (rows: " + rowList() + ")");
          continue;
        }
        c.skip.push_back(*row);
      }
    }
  }
  if (!r.errors().empty()) {
    std::string all;
    for (const auto& e : r.errors()) all += (all.empty() ? "" : "\n") + e;
    return Status::error(all);
  }
  return c;
}

// --------------------------------------------------------------------------- SIPp as a child

std::string shorten(std::string s, size_t max = 200) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

// A port free for both UDP and TCP on ip (SIPp's -p). SIPp's own default is 5060, which the
// edge (or another SIPp) may well hold on the same machine.
int freePort(const std::string& ip) {
  const bool v6 = ip.find(':') != std::string::npos;
  for (int attempt = 0; attempt < 50; ++attempt) {
    int t = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int u = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (t < 0 || u < 0) {
      if (t >= 0) ::close(t);
      if (u >= 0) ::close(u);
      return 0;
    }
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr);
      len = sizeof(*a);
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      if (ip.empty() || inet_pton(AF_INET, ip.c_str(), &a->sin_addr) != 1) {
        a->sin_addr.s_addr = htonl(INADDR_ANY);
      }
      len = sizeof(*a);
    }
    int port = 0;
    if (::bind(t, reinterpret_cast<sockaddr*>(&ss), len) == 0 &&
        ::getsockname(t, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
      if (::bind(u, reinterpret_cast<sockaddr*>(&ss), len) != 0) port = 0;
    }
    ::close(t);
    ::close(u);
    if (port != 0) return port;
  }
  return 0;
}

// The executable SIPp will be: a path as given, else the first match on $PATH.
std::optional<std::string> resolveExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return name;
    return std::nullopt;
  }
  const char* path = std::getenv("PATH");
  std::string_view p = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!p.empty()) {
    size_t colon = p.find(':');
    std::string dir(p.substr(0, colon));
    p = colon == std::string_view::npos ? std::string_view() : p.substr(colon + 1);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

struct SpawnResult {
  bool started = false;
  std::string error;
  SippExit exit;
};

// Runs argv with stdin from /dev/null and stdout/stderr into files, in its own process group
// so that a kill on timeout reaches anything it started. Polls for its end: one child, a few
// checks a second, no signal handler to install in a CLI that may be a library's guest.
SpawnResult runChild(const std::vector<std::string>& argv, const std::string& cwd,
                     const std::string& stdoutPath, const std::string& stderrPath,
                     milliseconds killAfter) {
  SpawnResult res;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, stdoutPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, stderrPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  // SIPp writes files it is not told a name for into its working directory: keep them in ours.
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    res.error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return res;
  }
  res.started = true;

  const auto deadline = std::chrono::steady_clock::now() + killAfter;
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      res.error = std::string("waitpid: ") + std::strerror(errno);
      res.exit = {SippExit::Kind::kSignaled, 0};
      return res;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      res.exit = {SippExit::Kind::kTimedOut, SIGKILL};
      return res;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  // Whatever SIPp left in its group (nothing, normally) goes with it.
  ::kill(-pid, SIGKILL);
  if (WIFEXITED(status)) {
    res.exit = {SippExit::Kind::kExited, WEXITSTATUS(status)};
  } else {
    res.exit = {SippExit::Kind::kSignaled, WIFSIGNALED(status) ? WTERMSIG(status) : 0};
  }
  return res;
}

// The last line of SIPp's stderr that says something (its fatal errors land there).
std::string lastStderrLine(const std::string& text) {
  std::string last;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string t(trimWhitespace(line));
    if (t.empty() || t.rfind("Resolving remote host", 0) == 0) continue;
    last = t;
  }
  return shorten(last);
}

bool writePrivateFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return ::close(fd) == 0;
}

}  // namespace

// --------------------------------------------------------------------------- public

const std::vector<VerifyRow>& allVerifyRows() {
  static const std::vector<VerifyRow> rows = [] {
    std::vector<VerifyRow> v;
    for (const auto& r : kRows) v.push_back(r.row);
    return v;
  }();
  return rows;
}

std::string_view verifyRowName(VerifyRow row) { return info(row).name; }
std::string_view verifyRowScenario(VerifyRow row) { return info(row).scenario; }

std::optional<VerifyRow> parseVerifyRow(std::string_view name) {
  for (const auto& r : kRows) {
    if (r.name == name) return r.row;
  }
  return std::nullopt;
}

Result<VerifyConfig> parseVerifyConfig(std::string_view text, std::string_view name,
                                       bool requireTable) {
  toml::table doc;
  try {
    doc = toml::parse(text, std::string(name));
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    return Status::error(std::string(name) + ":" + std::to_string(b.line) + ":" +
                         std::to_string(b.column) + ": " + std::string(e.description()));
  }
  if (const toml::node* v = doc.get("verify")) {
    if (const toml::table* t = v->as_table()) return readTable(*t, name);
    return Status::error(std::string(name) + ":" + std::to_string(v->source().begin.line) +
                         ": verify must be a table ([verify])");
  }
  if (requireTable) return Status::error(std::string(name) + ": no [verify] table");
  return readTable(doc, name);
}

std::vector<std::string> missingVerifyKeys(const VerifyConfig& c, VerifyRow row) {
  std::vector<std::string> miss;
  auto need = [&miss](bool have, const char* key) {
    if (!have) miss.emplace_back(key);
  };
  switch (row) {
    case VerifyRow::kInternal:
    case VerifyRow::kHold:
    case VerifyRow::kDtmf:
      need(!c.domain.empty(), "domain");
      need(!c.userA.empty(), "user_a");
      need(c.passwordA.has_value(), "password_a");
      need(!c.userB.empty(), "user_b");
      break;
    case VerifyRow::kDid:
      need(!c.did.empty(), "did");
      break;
    case VerifyRow::kOutbound:
      need(!c.outboundNumber.empty(), "outbound_number");
      break;
    case VerifyRow::kRegister:
      need(!c.domain.empty(), "domain");
      need(!c.userA.empty(), "user_a");
      need(c.passwordA.has_value(), "password_a");
      break;
  }
  return miss;
}

Result<std::string> findScenarioDir(const ScenarioSearch& s) {
  auto holds = [](const std::string& dir) {
    std::error_code ec;
    return fs::is_regular_file(fs::path(dir) / kMarkerScenario, ec);
  };
  if (!s.configured.empty()) {
    if (holds(s.configured)) return s.configured;
    return Status::error("scenarios = \"" + s.configured + "\": no " + kMarkerScenario +
                         " there (the folder of tandem's sipp/verify scenarios)");
  }
  if (!s.env.empty()) {
    if (holds(s.env)) return s.env;
    return Status::error("$TANDEM_SIPP_DIR=" + s.env + ": no " + kMarkerScenario + " there");
  }
  std::vector<std::string> tried;
  if (!s.exePath.empty()) {
    std::string installed =
        (fs::path(s.exePath).parent_path() / ".." / "share" / "tandem" / "sipp" / "verify")
            .lexically_normal()
            .string();
    if (holds(installed)) return installed;
    tried.push_back(installed);
  }
  if (!s.builtIn.empty()) {
    if (holds(s.builtIn)) return s.builtIn;
    tried.push_back(s.builtIn);
  }
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  return Status::error("no SIPp scenarios for verify found (tried " +
                       (list.empty() ? std::string("nothing") : list) +
                       "); set `scenarios` in [verify] or $TANDEM_SIPP_DIR");
}

std::string builtInScenarioDir() {
#ifdef TANDEM_VERIFY_SIPP_DIR
  return TANDEM_VERIFY_SIPP_DIR;
#else
  return {};
#endif
}

std::string describeSippExit(const SippExit& e, milliseconds timeout) {
  switch (e.kind) {
    case SippExit::Kind::kTimedOut:
      return "sipp killed: still running " + formatDuration(timeout + kKillGrace) +
             " after its start";
    case SippExit::Kind::kSignaled:
      return "sipp died of signal " + std::to_string(e.code);
    case SippExit::Kind::kExited:
      break;
  }
  std::string what;
  switch (e.code) {
    case 0:
      what = "the call succeeded";
      break;
    case 1:
      what = "the call failed";
      break;
    case 97:
      what = "stopped by an internal command or the global timeout";
      break;
    case 99:
      what = "no call was made";
      break;
    case 254:
      what = "fatal error binding a socket";
      break;
    case 255:
      what = "fatal error";
      break;
    default:
      what = "unknown status";
      break;
  }
  return "sipp exit " + std::to_string(e.code) + " (" + what + ")";
}

std::string sippFailureReason(std::string_view log) {
  // Events start with "YYYY-MM-DD<TAB>HH:MM:SS.micro<TAB>epoch: "; SIPp writes no newline
  // between them, so split at each date.
  std::vector<std::string_view> events;
  auto isEventStart = [&log](size_t i) {
    if (i + 11 > log.size()) return false;
    for (size_t k : {0, 1, 2, 3, 5, 6, 8, 9}) {
      if (log[i + k] < '0' || log[i + k] > '9') return false;
    }
    return log[i + 4] == '-' && log[i + 7] == '-' && log[i + 10] == '\t';
  };
  size_t start = std::string_view::npos;
  for (size_t i = 0; i < log.size(); ++i) {
    if ((i == 0 || log[i - 1] != '-') && isEventStart(i)) {
      if (start != std::string_view::npos) events.push_back(log.substr(start, i - start));
      start = i;
    }
  }
  if (start != std::string_view::npos) events.push_back(log.substr(start));

  for (std::string_view ev : events) {
    // Past the two tabs and the epoch's ": ".
    size_t colon = ev.find(": ");
    if (colon == std::string_view::npos) continue;  // a cut-off event: nothing to tell
    std::string_view body = ev.substr(colon + 2);
    if (body.rfind("Overload warning", 0) == 0 || body.rfind("Discarding message", 0) == 0 ||
        body.rfind("Dead call", 0) == 0 || body.find("Automatic response mode") != body.npos) {
      continue;
    }
    // Aborting call on unexpected message for Call-Id '...': while expecting '200' (index 5),
    // received 'SIP/2.0 503 Service Unavailable\r\n...'
    if (size_t r = body.find("received '");
        r != std::string_view::npos && body.find("unexpected message") != body.npos) {
      std::string_view got = body.substr(r + 10);
      size_t eol = got.find_first_of("\r\n'");
      std::string first = shorten(std::string(trimWhitespace(got.substr(0, eol))), 120);
      std::string at;
      if (size_t x = body.find("while expecting '"); x != std::string_view::npos) {
        std::string_view rest = body.substr(x + 17);
        std::string what(rest.substr(0, std::min(rest.find('\''), size_t{20})));
        size_t idx = rest.find("(index ");
        std::string index = idx == std::string_view::npos
                                ? std::string()
                                : std::string(rest.substr(idx + 7, rest.find(')', idx) - idx - 7));
        at = " at scenario message " + shorten(index, 8) + " (SIPp was at its '" +
             shorten(what, 20) + "' step)";
      } else if (size_t y = body.find("while sending (index "); y != std::string_view::npos) {
        std::string_view rest = body.substr(y + 21);
        at = " while sending scenario message " +
             shorten(std::string(rest.substr(0, std::min(rest.find(')'), size_t{8}))), 8);
      }
      return "unexpected \"" + first + "\"" + at;
    }
    if (body.find("receive timeout") != std::string_view::npos) {
      std::string at;
      if (size_t m = body.find("on message "); m != std::string_view::npos) {
        std::string_view rest = body.substr(m + 11);
        size_t c = rest.find(':');
        size_t sp = rest.find(' ');
        if (c != std::string_view::npos && sp != std::string_view::npos && c < sp) {
          at = " at scenario message " + shorten(std::string(rest.substr(c + 1, sp - c - 1)), 8);
        }
      }
      return "nothing came in time" + at + " (SIPp's receive timeout)";
    }
    if (body.find("retransmission timeout") != std::string_view::npos) {
      return "no answer: SIPp gave up retransmitting (nothing reached it back)";
    }
    if (body.find("regexp") != std::string_view::npos ||
        body.find("regular expression") != std::string_view::npos) {
      return "a check of the scenario failed: " +
             shorten(std::string(trimWhitespace(body.substr(0, body.find_first_of("\r\n")))), 160);
    }
    std::string first(trimWhitespace(body.substr(0, body.find_first_of("\r\n"))));
    if (!first.empty()) return shorten(first, 200);
  }
  return {};
}

std::string checkRegisterLog(std::string_view log, uint32_t want) {
  std::string problems;
  for (std::string_view step : {std::string_view("register"), std::string_view("refresh")}) {
    std::string tag = "verify " + std::string(step) + " local=";
    size_t at = log.find(tag);
    if (at == std::string_view::npos) {
      return "no 200 of the " + std::string(step) + " logged by the scenario";
    }
    std::string_view line = log.substr(at + tag.size());
    line = line.substr(0, line.find('\n'));
    size_t sp = line.find(' ');
    std::string local(line.substr(0, sp));
    std::string_view contacts = sp == std::string_view::npos ? "" : line.substr(sp + 1);
    // Each binding of the AoR is listed; ours is the one at SIPp's address.
    size_t ours = contacts.find("@" + local);
    if (local.empty() || ours == std::string_view::npos) {
      return "the 200 of the " + std::string(step) + " does not list this contact (" + local + ")";
    }
    std::string_view rest = contacts.substr(ours);
    size_t end = rest.find(',');  // the next binding, if any
    // A comma inside <...> would be a URI's; bindings are separated outside them.
    if (size_t gt = rest.find('>');
        gt != std::string_view::npos && end != std::string_view::npos && end < gt) {
      end = rest.find(',', gt);
    }
    std::string_view mine = rest.substr(0, end);
    size_t e = mine.find("expires=");
    if (e == std::string_view::npos) {
      return "the 200 of the " + std::string(step) + " lists this contact without expires";
    }
    uint64_t got = 0;
    size_t i = e + 8;
    size_t digits = 0;
    while (i < mine.size() && mine[i] >= '0' && mine[i] <= '9' && digits < 10) {
      got = got * 10 + static_cast<uint64_t>(mine[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || got != want) {
      if (!problems.empty()) problems += "; ";
      problems += "the edge granted expires=" + (digits == 0 ? "?" : std::to_string(got)) +
                  " on the " + std::string(step) + ", asked " + std::to_string(want);
    }
  }
  return problems;
}

std::string formatRowResult(const RowResult& r) {
  std::string outcome;
  switch (r.outcome) {
    case RowOutcome::kPass:
      outcome = "pass";
      break;
    case RowOutcome::kFail:
      outcome = "FAIL";
      break;
    case RowOutcome::kNotConfigured:
      outcome = "not configured";
      break;
    case RowOutcome::kSkipped:
      outcome = "skipped";
      break;
  }
  const bool ran = r.outcome == RowOutcome::kPass || r.outcome == RowOutcome::kFail;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%-9s %-15s %6s  %-20s  ",
                std::string(verifyRowName(r.row)).c_str(), outcome.c_str(),
                ran ? formatDuration(r.duration).c_str() : "-",
                r.scenario.empty() ? "-" : r.scenario.c_str());
  std::string line = buf;
  line += r.detail;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

int runVerify(const VerifyConfig& config, const VerifyOptions& options, std::ostream& out,
              std::ostream& err) {
  auto now = [&options] { return options.now ? options.now() : std::chrono::steady_clock::now(); };
  ScenarioSearch search = options.search;
  if (!config.scenarios.empty()) {
    fs::path p(config.scenarios);
    if (p.is_relative() && !options.planDir.empty()) p = fs::path(options.planDir) / p;
    search.configured = p.lexically_normal().string();
  }
  auto dir = findScenarioDir(search);
  if (!dir) {
    err << "tandem migrate verify: " << dir.message() << "\n";
    return kVerifyBadConfig;
  }
  auto sipp = resolveExecutable(config.sipp);
  if (!sipp) {
    err << "tandem migrate verify: cannot find an executable sipp \"" << config.sipp
        << "\" (install sip-tester, or set `sipp` in [verify])\n";
    return kVerifyBadConfig;
  }

  std::vector<VerifyRow> rows;
  if (options.only) {
    rows.push_back(*options.only);
  } else {
    rows = allVerifyRows();
  }

  std::string tmpl = (fs::temp_directory_path() / "tandem-verify-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    err << "tandem migrate verify: cannot create a temporary folder: " << std::strerror(errno)
        << "\n";
    return kVerifyBadConfig;
  }
  const std::string work = tmpl;
  // SIPp reads the caller's credentials from a file only we can read: a password on its
  // command line would show in every `ps`.
  if (config.passwordA) {
    if (!writePrivateFile(work + "/caller.csv", "SEQUENTIAL\n" + config.userA + ";" +
                                                    config.domain + ";" + *config.passwordA +
                                                    ";\n")) {
      err << "tandem migrate verify: cannot write " << work << "/caller.csv\n";
      return kVerifyBadConfig;
    }
  }

  out << "tandem migrate verify: edge " << config.edgeSip << " (" << config.transport
      << "), scenarios in " << dir.value() << "\n";
  int passed = 0, failed = 0, notConfigured = 0, skipped = 0;
  for (VerifyRow row : rows) {
    RowResult res;
    res.row = row;
    const std::string name(verifyRowName(row));
    const bool listedSkip =
        std::find(config.skip.begin(), config.skip.end(), row) != config.skip.end();
    if (listedSkip && !options.only) {
      res.outcome = RowOutcome::kSkipped;
      res.detail = "listed in skip";
      ++skipped;
      out << formatRowResult(res) << "\n" << std::flush;
      continue;
    }
    auto missing = missingVerifyKeys(config, row);
    if (!missing.empty()) {
      res.outcome = RowOutcome::kNotConfigured;
      res.detail = "[verify] lacks";
      for (size_t i = 0; i < missing.size(); ++i) {
        res.detail += (i == 0 ? " " : ", ") + missing[i];
      }
      res.detail += " (or list \"" + name + "\" in skip)";
      ++notConfigured;
      out << formatRowResult(res) << "\n" << std::flush;
      continue;
    }

    res.scenario = std::string(verifyRowScenario(row));
    const bool trustedRow = row == VerifyRow::kDid || row == VerifyRow::kOutbound;
    const std::string ip =
        trustedRow && !config.callerIp.empty() ? config.callerIp : config.localIp;
    const std::string base = work + "/" + name;
    std::vector<std::string> argv = {*sipp,
                                     "-sf",
                                     (fs::path(dir.value()) / res.scenario).string(),
                                     "-m",
                                     "1",
                                     "-t",
                                     config.transport == "tcp" ? "t1" : "u1",
                                     "-nostdin",
                                     "-trace_err",
                                     "-error_file",
                                     base + "_errors.log",
                                     "-trace_screen",
                                     "-screen_file",
                                     base + "_screen.log",
                                     "-recv_timeout",
                                     std::to_string(config.timeout.count()),
                                     "-timeout",
                                     std::to_string((config.timeout.count() + 999) / 1000) + "s",
                                     "-timeout_error"};
    if (!ip.empty()) {
      argv.insert(argv.end(), {"-i", ip});
    }
    // The default local port is 5060, often the edge's own on this machine.
    if (int port = freePort(ip.empty() ? std::string() : ip); port != 0) {
      argv.insert(argv.end(), {"-p", std::to_string(port)});
    }
    std::string what;
    switch (row) {
      case VerifyRow::kInternal:
      case VerifyRow::kHold:
      case VerifyRow::kDtmf:
        argv.insert(argv.end(), {"-inf", work + "/caller.csv", "-s", config.userB});
        what = config.userA + "@" + config.domain + " calls " + config.userB;
        if (row == VerifyRow::kHold) what += ": re-INVITE sendonly, then sendrecv, both 200";
        if (row == VerifyRow::kDtmf) {
          what +=
              ": SIP INFO (dtmf-relay) answered 200; RFC 4733 telephone-event kept in the answer "
              "(the events travel in RTP, not through the SIP edge: not checked)";
        }
        break;
      case VerifyRow::kDid:
        argv.insert(argv.end(), {"-s", config.did});
        what = "inbound " + config.did + (ip.empty() ? "" : " from " + ip);
        break;
      case VerifyRow::kOutbound:
        argv.insert(argv.end(), {"-s", config.outboundNumber});
        what = "outbound " + config.outboundNumber + (ip.empty() ? "" : " from " + ip);
        break;
      case VerifyRow::kRegister:
        argv.insert(argv.end(), {"-inf", work + "/caller.csv", "-key", "expires",
                                 std::to_string(config.expires), "-trace_logs", "-log_file",
                                 base + "_logs.log"});
        what = config.userA + "@" + config.domain + " registers (expires " +
               std::to_string(config.expires) + "), refreshes on the same Call-ID, unregisters";
        break;
    }
    argv.push_back(config.edgeSip);

    const auto t0 = now();
    SpawnResult run = runChild(argv, work, base + "_stdout.log", base + "_stderr.log",
                               config.timeout + kKillGrace);
    res.duration = std::chrono::duration_cast<milliseconds>(now() - t0);
    if (!run.started) {
      res.outcome = RowOutcome::kFail;
      res.detail = run.error;
    } else if (run.exit.kind == SippExit::Kind::kExited && run.exit.code == 0) {
      res.outcome = RowOutcome::kPass;
      res.detail = what;
      if (row == VerifyRow::kRegister) {
        std::string problem = checkRegisterLog(readFile(base + "_logs.log"), config.expires);
        if (!problem.empty()) {
          res.outcome = RowOutcome::kFail;
          res.detail = problem;
        }
      }
    } else {
      res.outcome = RowOutcome::kFail;
      res.detail = describeSippExit(run.exit, config.timeout);
      std::string why = sippFailureReason(readFile(base + "_errors.log"));
      if (why.empty()) why = lastStderrLine(readFile(base + "_stderr.log"));
      if (!why.empty()) res.detail += ": " + why;
    }
    if (res.outcome == RowOutcome::kPass) {
      ++passed;
    } else {
      ++failed;
    }
    out << formatRowResult(res) << "\n" << std::flush;
  }

  const bool allGood = failed == 0 && notConfigured == 0;
  out << "verify: " << passed << " passed, " << failed << " failed, " << notConfigured
      << " not configured, " << skipped << " skipped";
  if (allGood && !options.keep) {
    std::error_code ec;
    fs::remove_all(work, ec);
    out << "\n";
  } else {
    out << "; SIPp's files (per row: _errors.log, _screen.log, _stderr.log) are in " << work
        << "\n";
  }
  return allGood ? kVerifyPassed : kVerifyFailed;
}

int runVerifyPlanFile(const std::string& planPath, VerifyOptions options, std::ostream& out,
                      std::ostream& err) {
  std::ifstream in(planPath, std::ios::binary);
  if (!in) {
    err << "tandem migrate verify: " << planPath << ": cannot open: " << std::strerror(errno)
        << "\n";
    return kVerifyBadConfig;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto config = parseVerifyConfig(ss.str(), planPath, /*requireTable=*/true);
  if (!config) {
    err << config.message() << "\n";
    return kVerifyBadConfig;
  }
  if (options.planDir.empty()) {
    options.planDir = fs::path(planPath).parent_path().string();
    if (options.planDir.empty()) options.planDir = ".";
  }
  return runVerify(config.value(), options, out, err);
}

}  // namespace tandem::migrate
