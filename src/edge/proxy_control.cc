// The edge's face on the control plane: Kamailio-named JSON-RPC methods (dispatcher.*, dlg.list,
// stats.get), Prometheus metrics and the health check.
#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "control/server.h"
#include "core/log.h"
#include "edge/proxy.h"
#include "sip/method.h"
#include "store/provision.h"

namespace tandem::edge {

using nlohmann::json;

namespace {

json latencyJson(const dispatcher::LatencyStats& l) {
  return json{{"AVG", l.avg}, {"STD", l.stdev}, {"EST", l.est},
              {"MAX", l.max}, {"LAST", l.last}, {"TIMEOUT", l.timeouts}};
}

// dispatcher.list in Kamailio's shape (RECORDS / SET / TARGETS / DEST), so scripts written for
// kamcmd keep working, plus tandem's fields (STATE, ACTIVE_CALLS, ...).
json dispatcherList(const dispatcher::Dispatcher& d, const std::vector<Proxy::DestCalls>& calls) {
  json records = json::array();
  std::vector<dispatcher::DestinationInfo> all = d.list();
  for (const auto& set : d.sets()) {
    json targets = json::array();
    for (const auto& info : all) {
      if (info.setId != set.id) continue;
      json attrs = json::object();
      attrs["BODY"] = std::string(info.attrs);
      if (!info.duid.empty()) attrs["DUID"] = std::string(info.duid);
      if (info.weight != 0) attrs["WEIGHT"] = info.weight;
      if (info.rweight != 0) attrs["RWEIGHT"] = info.rweight;
      if (info.maxload != 0) attrs["MAXLOAD"] = info.maxload;
      const Proxy::DestCalls c = info.id < calls.size() ? calls[info.id] : Proxy::DestCalls{};
      targets.push_back(json{{"DEST", json{{"URI", std::string(info.uri)},
                                           {"FLAGS", info.flags},
                                           {"STATE", std::string(info.state)},
                                           {"HEALTH", std::string(info.health)},
                                           {"PRIORITY", info.priority},
                                           {"ACTIVE_CALLS", info.activeCalls},
                                           {"LOAD", info.load},
                                           {"ATTRS", attrs},
                                           {"LATENCY", latencyJson(info.latency)},
                                           {"CALLS", json{{"ATTEMPTS", c.attempts},
                                                          {"ANSWERED", c.answered},
                                                          {"FAILED_5XX", c.failed5xx},
                                                          {"TIMEOUTS", c.timeouts}}},
                                           {"PINGS", json{{"SENT", info.probe.sent},
                                                          {"ANSWERED", info.probe.answered},
                                                          {"REJECTED", info.probe.rejected},
                                                          {"MISSED", info.probe.missed},
                                                          {"LAST_CODE", info.probe.lastCode}}}}}});
    }
    records.push_back(json{{"SET", json{{"ID", set.id}, {"TARGETS", targets}}}});
  }
  return json{{"NRSETS", d.sets().size()}, {"RECORDS", records}};
}

json reloadJson(const dispatcher::Dispatcher& d, const dispatcher::ReloadReport& r) {
  auto uris = [&d](const std::vector<dispatcher::DestId>& ids) {
    json a = json::array();
    for (auto id : ids) {
      a.push_back(std::to_string(d.destination(id).setId) + " " + d.destination(id).uri);
    }
    return a;
  };
  json updated = json::array();
  for (const auto& u : r.updated) {
    updated.push_back(json{{"uri", d.destination(u.id).uri}, {"changes", u.what}});
  }
  return json{{"summary", r.summary()},     {"added", uris(r.added)},
              {"removed", uris(r.removed)}, {"updated", updated},
              {"kept", r.kept.size()},      {"still_carrying_calls", r.lingering}};
}

}  // namespace

void Proxy::registerControl(control::ControlServer& server) {
  auto& rpc = server.rpc();
  if (store_) {
    // user.*, route.*, tenant.*, dispatcher.db.*: run on the store's thread, answered later.
    store::provision::registerProvisioningRpc(rpc, store_->worker(), store_->completions());
  }
  if (locations_) {
    registrar::registerRpc(rpc, *locations_, [] { return unixNow(); });
    rpc.add("auth.failures",
            "auth.failures [N] - sources with the most failed authentication attempts (top N, "
            "default 20).",
            [this](const json& params) -> Result<json> {
              control::Params p(params);
              auto n = p.integer(0, "limit", 20);
              if (!n) return n.status();
              std::vector<std::pair<std::string, uint64_t>> rows(authFailures_.begin(),
                                                                 authFailures_.end());
              std::sort(rows.begin(), rows.end(),
                        [](const auto& a, const auto& b) { return a.second > b.second; });
              json out = json::array();
              for (size_t i = 0; i < rows.size() && static_cast<int64_t>(i) < *n; ++i) {
                out.push_back({{"source", rows[i].first}, {"failures", rows[i].second}});
              }
              return out;
            });
  }
  rpc.add("dispatcher.list",
          "Destination sets: state, flags (A/I/T/D/R + P/X), priority, attrs, active calls, "
          "latency, ping counters and outcomes of the initial INVITEs sent to each (CALLS).",
          [this](const json&) -> Result<json> { return dispatcherList(*dispatcher_, destCalls_); });

  rpc.add("dispatcher.set_state",
          "dispatcher.set_state STATE SETID URI|all - STATE is a|i|t|d[p], or active, inactive, "
          "trying, disabled, drain (drain: no new calls, existing calls continue).",
          [this](const json& params) -> Result<json> {
            control::Params p(params);
            auto state = p.string(0, "state");
            auto set = p.integer(1, "setid");
            auto uri = p.string(2, "uri");
            if (!state || !set || !uri) {
              return control::invalidParams("expected STATE SETID URI|all");
            }
            auto arg = dispatcher::parseState(*state);
            if (!arg) return control::invalidParams(arg.message());
            if (Status s = dispatcher_->setState(static_cast<uint32_t>(*set), *uri, *arg); !s) {
              return s;
            }
            spdlog::info("dispatcher: set {} {} state set to {} over RPC", *set, *uri, *state);
            return json("Ok. Dispatcher state changed.");
          });

  rpc.add("dispatcher.reload",
          "Re-read the list file and merge it: probe results, manual states and active calls of "
          "destinations that stay are kept; removed ones finish their calls.",
          [this](const json&) -> Result<json> {
            auto r = reloadDispatcherReport();
            if (!r) return r.status();
            return reloadJson(*dispatcher_, *r);
          });

  rpc.add("dispatcher.add", "dispatcher.add SETID URI [FLAGS [PRIORITY [ATTRS]]] (memory only)",
          [this](const json& params) -> Result<json> {
            control::Params p(params);
            auto set = p.integer(0, "setid");
            auto uri = p.string(1, "uri");
            auto flags = p.integer(2, "flags", 0);
            auto prio = p.integer(3, "priority", 0);
            auto attrs = p.string(4, "attrs", "");
            if (!set || !uri || !flags || !prio || !attrs) {
              return control::invalidParams("expected SETID URI [FLAGS [PRIORITY [ATTRS]]]");
            }
            txn::Peer peer;
            auto parsed = sip::parseUri(*uri);
            if (!parsed || !peerForUri(*parsed, &peer)) {
              return control::invalidParams("\"" + *uri +
                                            "\" is not a sip: URI with a numeric address");
            }
            auto id =
                dispatcher_->add(static_cast<uint32_t>(*set), *uri, static_cast<uint32_t>(*flags),
                                 static_cast<int32_t>(*prio), *attrs);
            if (!id) return id.status();
            resolveDestinations();
            return json("Ok. Destination added.");
          });

  rpc.add("dispatcher.remove",
          "dispatcher.remove SETID URI (memory only; its calls in progress finish normally)",
          [this](const json& params) -> Result<json> {
            control::Params p(params);
            auto set = p.integer(0, "setid");
            auto uri = p.string(1, "uri");
            if (!set || !uri) return control::invalidParams("expected SETID URI");
            if (Status s = dispatcher_->remove(static_cast<uint32_t>(*set), *uri); !s) return s;
            return json("Ok. Destination removed.");
          });

  rpc.add("dispatcher.ping_active",
          "dispatcher.ping_active [0|1] - pause (0) or resume (1) OPTIONS probing; without an "
          "argument, tell whether it is on.",
          [this](const json& params) -> Result<json> {
            control::Params p(params);
            if (p.size() > 0) {
              auto on = p.integer(0, "active");
              if (!on || (*on != 0 && *on != 1)) return control::invalidParams("expected 0 or 1");
              prober_->setPingActive(*on == 1);
            }
            return json{{"ping_active", prober_->pingActive() ? 1 : 0}};
          });

  rpc.add("dlg.list", "Calls in progress: Call-ID, tags, destination, age.",
          [this](const json&) -> Result<json> {
            json out = json::array();
            uint64_t now = loop_.nowMs();
            for (const auto& d : dialogs_->list()) {
              std::string dest;
              if (d.destination >= 0) {
                dest = dispatcher_->destination(static_cast<dispatcher::DestId>(d.destination)).uri;
              }
              out.push_back(json{{"call-id", d.callId},
                                 {"from_tag", d.fromTag},
                                 {"to_tag", d.toTag},
                                 {"destination", dest},
                                 {"state", d.acked ? "confirmed" : "confirmed_no_ack"},
                                 {"age_s", (now - d.startedMs) / 1000}});
            }
            return out;
          });

  rpc.add("stats.get",
          "stats.get [all|NAME] - the edge's counters (the same as the stop line), by name.",
          [this](const json& params) -> Result<json> {
            control::Params p(params);
            auto which = p.string(0, "name", "all");
            if (!which) return which.status();
            json out = json::object();
            for (const auto& [k, v] : stats()) {
              if (*which == "all" || *which == k) out[std::string(k)] = v;
            }
            if (out.empty()) return control::invalidParams("no counter named \"" + *which + "\"");
            return out;
          });

  server.addHealthCheck([this]() -> Status {
    const auto* set = dispatcher_->findSet(configuredSet());
    if (set != nullptr) {
      for (auto id : dispatcher_->members(*set)) {
        const auto& d = dispatcher_->destination(id);
        if (d.presence == dispatcher::Presence::kListed && dispatcher::isUsable(d.state)) {
          return Status::ok();
        }
      }
    }
    return Status::error("no usable destination in dispatcher set " +
                         std::to_string(configuredSet()));
  });

  server.addMetrics([this](control::PromWriter& w) { writeMetrics(w); });
}

void Proxy::writeMetrics(control::PromWriter& w) const {
  for (const auto& info : dispatcher_->list()) {
    control::Labels l = {{"set", std::to_string(info.setId)}, {"uri", std::string(info.uri)}};
    for (auto st :
         {dispatcher::State::kActive, dispatcher::State::kInactive, dispatcher::State::kTrying,
          dispatcher::State::kDisabled, dispatcher::State::kDrain}) {
      control::Labels ls = l;
      ls.emplace_back("state", std::string(dispatcher::stateName(st)));
      w.gauge("tandem_dispatcher_destination_state",
              "1 for the destination's current state (active, inactive, trying, disabled, drain)",
              ls, info.state == dispatcher::stateName(st) ? 1 : 0);
    }
    w.gauge("tandem_dispatcher_active_calls", "Confirmed calls in progress on the destination", l,
            info.activeCalls);
    // Prometheus wants base units: seconds.
    w.gauge("tandem_dispatcher_latency_avg_seconds", "Mean OPTIONS round trip", l,
            info.latency.avg / 1000.0);
    w.gauge("tandem_dispatcher_latency_stddev_seconds",
            "Standard deviation of the OPTIONS round trip", l, info.latency.stdev / 1000.0);
    w.gauge("tandem_dispatcher_latency_estimate_seconds",
            "Estimated OPTIONS round trip (moving average, what algorithm 13 uses)", l,
            info.latency.est / 1000.0);
    w.gauge("tandem_dispatcher_latency_max_seconds", "Largest OPTIONS round trip", l,
            info.latency.max / 1000.0);
    w.counter("tandem_dispatcher_ping_timeouts_total", "Pings left unanswered", l,
              info.latency.timeouts);
    w.counter("tandem_dispatcher_pings_total", "Pings sent", l, info.probe.sent);
  }
  for (size_t i = 0; i < counters_.transitions.size(); ++i) {
    w.counter("tandem_dispatcher_transitions_total", "Health changes of destinations, by new state",
              {{"to", std::string(dispatcher::stateName(static_cast<dispatcher::State>(i)))}},
              counters_.transitions[i]);
  }
  for (size_t i = 0; i < counters_.requestsByMethod.size(); ++i) {
    if (counters_.requestsByMethod[i] == 0) continue;
    std::string_view m = sip::methodName(static_cast<sip::Method>(i));
    w.counter("tandem_sip_requests_total", "Requests received, by method",
              {{"method", m.empty() ? std::string("other") : std::string(m)}},
              counters_.requestsByMethod[i]);
  }
  for (size_t code = 100; code < counters_.repliesByCode.size(); ++code) {
    if (counters_.repliesByCode[code] == 0) continue;
    w.counter("tandem_sip_replies_total", "Responses sent upstream, by status code",
              {{"code", std::to_string(code)}}, counters_.repliesByCode[code]);
  }
  const auto& x = txn_->counters();
  w.counter("tandem_transactions_total", "Transactions created", {{"kind", "server"}},
            x.serverCreated);
  w.counter("tandem_transactions_total", "Transactions created", {{"kind", "client"}},
            x.clientCreated);
  w.gauge("tandem_transactions_active", "Transactions in progress", {{"kind", "server"}},
          x.activeServer);
  w.gauge("tandem_transactions_active", "Transactions in progress", {{"kind", "client"}},
          x.activeClient);
  w.counter("tandem_retransmissions_total", "Retransmissions", {{"direction", "absorbed"}},
            x.requestRetransmissionsAbsorbed + x.responseRetransmissionsAbsorbed);
  w.counter("tandem_retransmissions_total", "Retransmissions", {{"direction", "sent"}},
            x.retransmissionsSent);
  const auto& c = counters_;
  const auto& t = transport_->stats();
  std::pair<const char*, uint64_t> drops[] = {{"parse_error_dropped", c.droppedInvalid},
                                              {"parse_error_answered", c.replied400},
                                              {"framing", c.framingErrors + t.framingErrors},
                                              {"no_route", c.droppedNoRoute},
                                              {"broadcast", c.droppedBroadcast},
                                              {"relay_denied", c.relayDenied}};
  for (const auto& [reason, v] : drops) {
    w.counter("tandem_sip_dropped_total",
              "Messages refused or dropped, by reason (answered ones got a 4xx)",
              {{"reason", reason}}, v);
  }
  w.gauge("tandem_dialogs_active", "Calls tracked by the edge", dialogs_->size());
  w.counter("tandem_sip_messages_total", "SIP messages", {{"direction", "in"}}, t.rxMessages);
  w.counter("tandem_sip_messages_total", "SIP messages", {{"direction", "out"}}, t.txMessages);
  w.counter("tandem_failovers_total", "Branches started after a failed one", c.failovers);
  w.counter("tandem_call_attempts_total",
            "Initial INVITEs answered with a final response (401/407 challenges excluded)",
            c.callAttempts);
  w.counter("tandem_calls_answered_total", "Initial INVITEs answered 2xx", c.callsAnswered);
  w.counter("tandem_branch_timeouts_total", "Branches with no final answer in time",
            c.branchTimeouts);
  w.gauge("tandem_tcp_connections", "Open TCP connections", transport_->openConnections());
}

}  // namespace tandem::edge
