// Edge config loading: TOML → EdgeConfig, with every error located.
#include "edge/config.h"

#include <algorithm>
#include <cctype>

#include "core/config.h"
#include "dispatcher/dispatcher.h"
#include "edge/hash_expr.h"
#include "sip/digest.h"
#include "store/store.h"

namespace tandem::edge {

const std::vector<std::string>& defaultPipeline() {
  static const std::vector<std::string> stages = {"sanity",    "maxfwd",      "options",
                                                  "in_dialog", "relay_check", "dispatcher"};
  return stages;
}

const std::vector<std::string>& storePipeline() {
  static const std::vector<std::string> stages = {
      "sanity", "maxfwd",   "options", "auth",        "registrar", "in_dialog",
      "did",    "location", "trunk",   "relay_check", "tenant",    "dispatcher"};
  return stages;
}

bool stageNeedsStore(std::string_view name) {
  return name == "auth" || name == "registrar" || name == "did" || name == "location" ||
         name == "trunk" || name == "tenant";
}

static void readStore(ConfigReader& r, EdgeConfig& c) {
  ConfigSection s = r.section("store");
  c.store.url = s.getString("url", "");
  if (!c.store.url.empty()) {
    auto url = store::parseStoreUrl(c.store.url);
    if (!url) {
      s.error("url", url.message());
    } else if (url->kind == store::StoreUrl::Kind::kPostgres && !s.has("journal")) {
      s.error("journal",
              "is required with a PostgreSQL store (a local file that keeps bindings written "
              "while the database is unreachable)");
    } else if (url->kind == store::StoreUrl::Kind::kSqlite && url->path != ":memory:") {
      c.store.journal = url->path + ".tandem-journal";
    }
  }
  c.store.journal = s.getString("journal", c.store.journal);
  c.store.pollIntervalMs =
      static_cast<uint32_t>(s.getInt("poll_interval", c.store.pollIntervalMs, 10, 3'600'000));
  c.store.serverId = static_cast<uint32_t>(s.getInt("server_id", c.store.serverId, 0, 1'000'000));
}

static void readAuth(ConfigReader& r, EdgeConfig& c) {
  ConfigSection s = r.section("auth");
  auto& a = c.auth;
  a.realm = s.getString("realm", "");
  a.secret = s.getString("secret", "");
  if (!a.secret.empty() && a.secret.size() < 16) {
    s.error("secret", "must be at least 16 characters (it keys every nonce)");
  }
  a.nonceLifetimeS = static_cast<uint32_t>(s.getInt("nonce_lifetime", a.nonceLifetimeS, 5, 86400));
  a.algorithms = s.getStringList("algorithms", a.algorithms);
  for (size_t i = 0; i < a.algorithms.size(); ++i) {
    if (!sip::digest::parseAlgorithm(a.algorithms[i])) {
      s.errorAt("algorithms", i, "unknown algorithm \"" + a.algorithms[i] + "\" (MD5, SHA-256)");
    }
  }
  if (a.algorithms.empty()) s.error("algorithms", "at least one algorithm is needed");
  a.methods = s.getStringList("methods", a.methods);
  for (size_t i = 0; i < a.methods.size(); ++i) {
    std::string& m = a.methods[i];
    for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (m == "ACK" || m == "CANCEL") {
      s.errorAt("methods", i, m + " cannot be challenged (RFC 3261 §22.1)");
    }
  }
  a.allowNoQop = s.getBool("allow_no_qop", a.allowNoQop);
}

static void readRegistrar(ConfigReader& r, EdgeConfig& c) {
  ConfigSection s = r.section("registrar");
  auto& g = c.registrar;
  auto seconds = [&s](std::string_view key, uint32_t def) {
    return static_cast<uint32_t>(s.getInt(key, def, 1, 10 * 365 * 86400));
  };
  g.minExpires = seconds("min_expires", g.minExpires);
  g.maxExpires = seconds("max_expires", g.maxExpires);
  g.defaultExpires = seconds("default_expires", g.defaultExpires);
  g.maxContacts = static_cast<uint32_t>(s.getInt("max_contacts", g.maxContacts, 0, 10000));
  std::string overflow = s.getString("overflow", "reject");
  if (overflow == "replace_oldest") {
    g.replaceOldest = true;
  } else if (overflow != "reject") {
    s.error("overflow", "must be \"reject\" or \"replace_oldest\"");
  }
  if (g.maxExpires < g.minExpires) s.error("max_expires", "must not be smaller than min_expires");
  if (g.defaultExpires < g.minExpires || g.defaultExpires > g.maxExpires) {
    s.error("default_expires", "must lie between min_expires and max_expires");
  }
}

static void readPipeline(ConfigReader& r, EdgeConfig& c, bool hasPipeline) {
  const bool haveStore = !c.store.url.empty();
  if (!hasPipeline) {
    c.pipeline = haveStore ? storePipeline() : defaultPipeline();
    return;
  }
  ConfigSection s = r.section("edge");
  const auto& known = storePipeline();
  for (size_t i = 0; i < c.pipeline.size(); ++i) {
    if (std::find(known.begin(), known.end(), c.pipeline[i]) == known.end()) {
      std::string names;
      for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
      s.errorAt("pipeline", i, "unknown stage \"" + c.pipeline[i] + "\" (known: " + names + ")");
    } else if (!haveStore && stageNeedsStore(c.pipeline[i])) {
      s.errorAt("pipeline", i, "stage \"" + c.pipeline[i] + "\" needs a database: set store.url");
    }
  }
}

static Result<EdgeConfig> read(ConfigReader& r) {
  EdgeConfig c;
  bool hasPipeline = false;
  readStore(r, c);
  {
    ConfigSection s = r.section("edge");
    auto listen = s.getStringList("listen", {"udp:127.0.0.1:5060", "tcp:127.0.0.1:5060"});
    for (size_t i = 0; i < listen.size(); ++i) {
      auto spec = ListenSpec::parse(listen[i]);
      if (!spec) {
        s.errorAt("listen", i, spec.message());
        continue;
      }
      c.listen.push_back(*spec);
    }
    if (listen.empty()) s.error("listen", "at least one listen address is needed");
    c.advertise = s.getString("advertise", "");
    if (!c.advertise.empty() && !SocketAddress::fromHostPort(c.advertise, 0)) {
      s.error("advertise", "must be a numeric IPv4 or IPv6 address");
    }
    bool anyAddress = std::any_of(c.listen.begin(), c.listen.end(),
                                  [](const ListenSpec& l) { return l.address.isAnyAddress(); });
    if (anyAddress && c.advertise.empty()) {
      s.error("listen", "a wildcard listen address needs edge.advertise (the address peers reach)");
    }
    c.domains = s.getStringList("domains", {});
    auto trusted = s.getStringList("trusted", {});
    for (size_t i = 0; i < trusted.size(); ++i) {
      auto cidr = Cidr::parse(trusted[i]);
      if (!cidr) {
        s.errorAt("trusted", i, cidr.message());
        continue;
      }
      c.trusted.push_back(*cidr);
    }
    c.recordRoute = s.getBool("record_route", true);
    hasPipeline = s.has("pipeline");
    c.pipeline = s.getStringList("pipeline", {});
  }
  {
    ConfigSection s = r.section("dispatcher");
    c.dispatcher.listFile = s.getString("list_file", "");
    if (c.dispatcher.listFile.empty() && c.store.url.empty()) {
      s.error("list_file", "is required without a store (sets come from the dispatcher table)");
    }
    c.dispatcher.set = static_cast<int>(s.getInt("set", 1, 1, 1'000'000));
    c.dispatcher.algorithm = static_cast<int>(s.getInt("algorithm", 4, 0, 13));
    c.dispatcher.failoverLimit = static_cast<int>(s.getInt("failover_limit", 0, 0, 1000));
    if (auto st =
            dispatcher::checkAlgorithm(static_cast<dispatcher::Algorithm>(c.dispatcher.algorithm));
        !st && s.has("algorithm")) {
      s.error("algorithm", st.message());
    }
    c.dispatcher.hashExpression = s.getString("hash_expression", "$ci");
    if (c.dispatcher.algorithm == 7 && !s.has("hash_expression")) {
      s.error("hash_expression", "algorithm 7 needs hash_expression, e.g. \"$fU@$ci\"");
    }
    if (Status st = checkHashExpression(c.dispatcher.hashExpression); !st) {
      s.error("hash_expression", st.message());
    }
    auto& d = c.dispatcher;
    d.pingIntervalS = static_cast<uint32_t>(s.getInt("ping_interval", d.pingIntervalS, 0, 86400));
    d.pingTimeoutMs = static_cast<uint32_t>(s.getInt("ping_timeout", d.pingTimeoutMs, 0, 600000));
    d.pingFrom = s.getString("ping_from", "");
    if (!d.pingFrom.empty() && d.pingFrom.rfind("sip:", 0) != 0) {
      s.error("ping_from", "must be a sip: URI");
    }
    d.probingThreshold =
        static_cast<uint32_t>(s.getInt("probing_threshold", d.probingThreshold, 1, 1000));
    d.inactiveThreshold =
        static_cast<uint32_t>(s.getInt("inactive_threshold", d.inactiveThreshold, 1, 1000));
    d.probingMode = static_cast<int>(s.getInt("probing_mode", d.probingMode, 0, 3));
    d.pingReplyCodes = s.getString("ping_reply_codes", "");
    if (auto rc = dispatcher::ReplyCodes::parse(d.pingReplyCodes); !rc) {
      s.error("ping_reply_codes", rc.message());
    }
  }
  {
    ConfigSection s = r.section("control");
    c.control.listen = s.getString("listen", "");
    if (!c.control.listen.empty()) {
      if (auto a = SocketAddress::parse(c.control.listen, 7060); !a) {
        s.error("listen", a.message());
      }
    }
  }
  {
    ConfigSection s = r.section("timers");
    auto ms = [&s](std::string_view key, uint32_t def) {
      return static_cast<uint32_t>(s.getInt(key, def, 1, 24 * 3600 * 1000));
    };
    c.timers.t1 = ms("t1", c.timers.t1);
    c.timers.t2 = ms("t2", c.timers.t2);
    c.timers.t4 = ms("t4", c.timers.t4);
    c.timers.frTimer = ms("fr_timer", c.timers.frTimer);
    c.timers.frInvTimer = ms("fr_inv_timer", c.timers.frInvTimer);
    if (c.timers.t2 < c.timers.t1) s.error("t2", "must not be smaller than t1");
  }
  {
    ConfigSection s = r.section("dialog");
    c.dialog.noAckTimeoutS =
        static_cast<uint32_t>(s.getInt("no_ack_timeout", c.dialog.noAckTimeoutS, 1, 3600));
    c.dialog.lifetimeS =
        static_cast<uint32_t>(s.getInt("lifetime", c.dialog.lifetimeS, 1, 7 * 24 * 3600));
  }
  {
    ConfigSection s = r.section("limits");
    c.limits.maxHeaderBytes =
        static_cast<uint32_t>(s.getInt("max_header_bytes", c.limits.maxHeaderBytes, 1024, 65535));
    c.limits.maxBodyBytes =
        static_cast<uint32_t>(s.getInt("max_body_bytes", c.limits.maxBodyBytes, 0, 1 << 24));
    c.limits.tcpIdleTimeoutMs = static_cast<uint32_t>(
        s.getInt("tcp_idle_timeout", c.limits.tcpIdleTimeoutMs, 1000, 24 * 3600 * 1000));
    c.limits.tcpMaxConnections = static_cast<uint32_t>(
        s.getInt("tcp_max_connections", c.limits.tcpMaxConnections, 1, 1'000'000));
  }
  {
    ConfigSection s = r.section("log");
    c.logLevel = s.getString("level", "info");
    static const char* levels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    if (std::find(std::begin(levels), std::end(levels), c.logLevel) == std::end(levels)) {
      s.error("level", "unknown level \"" + c.logLevel +
                           "\" (trace, debug, info, warn, error, critical, off)");
    }
  }
  readAuth(r, c);
  readRegistrar(r, c);
  {
    ConfigSection s = r.section("routing");
    c.routing.didNotFound = s.getBool("did_not_found", c.routing.didNotFound);
  }
  readPipeline(r, c, hasPipeline);
  r.rejectUnknown();
  if (Status st = r.status(); !st) return st;
  return c;
}

static std::string folderOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

static Result<EdgeConfig> fromReader(Result<std::unique_ptr<ConfigReader>> r,
                                     const std::string& path) {
  if (!r) return r.status();
  auto c = read(**r);
  if (c && !c->dispatcher.listFile.empty() && c->dispatcher.listFile[0] != '/') {
    c->dispatcher.listFile = folderOf(path) + c->dispatcher.listFile;
  }
  return c;
}

Result<EdgeConfig> parseConfig(std::string_view text, const std::string& fileName) {
  return fromReader(ConfigReader::parse(text, fileName), fileName);
}

Result<EdgeConfig> loadConfig(const std::string& path) {
  return fromReader(ConfigReader::load(path), path);
}

}  // namespace tandem::edge
