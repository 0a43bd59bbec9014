// Edge config loading: TOML → EdgeConfig, with every error located.
#include "edge/config.h"

#include <algorithm>

#include "core/config.h"
#include "dispatcher/dispatcher.h"
#include "edge/hash_expr.h"

namespace tandem::edge {

const std::vector<std::string>& defaultPipeline() {
  static const std::vector<std::string> stages = {"sanity",    "maxfwd",      "options",
                                                  "in_dialog", "relay_check", "dispatcher"};
  return stages;
}

static Result<EdgeConfig> read(ConfigReader& r) {
  EdgeConfig c;
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
    c.pipeline = s.getStringList("pipeline", defaultPipeline());
    const auto& known = defaultPipeline();
    for (size_t i = 0; i < c.pipeline.size(); ++i) {
      if (std::find(known.begin(), known.end(), c.pipeline[i]) == known.end()) {
        std::string names;
        for (const auto& k : known) names += (names.empty() ? "" : ", ") + k;
        s.errorAt("pipeline", i, "unknown stage \"" + c.pipeline[i] + "\" (known: " + names + ")");
      }
    }
  }
  {
    ConfigSection s = r.section("dispatcher");
    c.dispatcher.listFile = s.getString("list_file", "");
    if (c.dispatcher.listFile.empty()) s.error("list_file", "is required");
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
