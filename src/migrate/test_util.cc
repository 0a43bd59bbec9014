// Test helpers for src/migrate (see test_util.h).
#include "migrate/test_util.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/address.h"
#include "core/text.h"

namespace tandem::migrate::test {

using nlohmann::json;
using nlohmann::ordered_json;

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "migrate_test.XXXXXX").string();
  char* made = ::mkdtemp(tmpl.data());
  path_ = made != nullptr ? std::string(made) : std::string();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

namespace {

control::RpcReply result(ordered_json r) {
  control::RpcReply reply;
  reply.result = std::move(r);
  return reply;
}

control::RpcReply rpcError(int code, std::string message) {
  control::RpcReply reply;
  reply.outcome = control::RpcReply::Outcome::kRpcError;
  reply.code = code;
  reply.message = std::move(message);
  return reply;
}

std::vector<dispatcher::Destination> parseOrDie(const std::string& text) {
  auto parsed = dispatcher::parseList(text, "fake.list");
  if (!parsed) std::abort();
  return *parsed;
}

}  // namespace

FakeTandemEdge::FakeTandemEdge(const std::string& listText) : dispatcher_(parseOrDie(listText)) {}

const dispatcher::Destination* FakeTandemEdge::find(uint32_t set, std::string_view uri) const {
  for (const auto& d : dispatcher_.destinations()) {
    if (d.setId == set && equalsIgnoreCase(d.uri, uri) &&
        d.presence != dispatcher::Presence::kGone) {
      return &d;
    }
  }
  return nullptr;
}

void FakeTandemEdge::startCalls(uint32_t set, std::string_view uri, uint32_t n) {
  const auto* d = find(set, uri);
  for (uint32_t i = 0; d != nullptr && i < n; ++i) dispatcher_.callStarted(d->id);
}

void FakeTandemEdge::endCalls(uint32_t set, std::string_view uri, uint32_t n) {
  const auto* d = find(set, uri);
  for (uint32_t i = 0; d != nullptr && i < n; ++i) dispatcher_.callEnded(d->id);
}

control::RpcReply FakeTandemEdge::call(std::string_view method, const json& params) {
  std::string m(method);
  calls.push_back(m + " " + params.dump());
  if (auto it = failing.find(m); it != failing.end()) return rpcError(500, it->second);
  if (std::find(ignored.begin(), ignored.end(), m) != ignored.end()) return result("Ok.");
  if (m == "dispatcher.list") {
    ordered_json records = ordered_json::array();
    auto all = dispatcher_.list();
    for (const auto& set : dispatcher_.sets()) {
      ordered_json targets = ordered_json::array();
      for (const auto& info : all) {
        if (info.setId != set.id) continue;
        ordered_json attrs;
        attrs["BODY"] = std::string(info.attrs);
        if (info.weight != 0) attrs["WEIGHT"] = info.weight;
        ordered_json dest;
        dest["URI"] = std::string(info.uri);
        dest["FLAGS"] = info.flags;
        dest["STATE"] = std::string(info.state);
        dest["HEALTH"] = std::string(info.health);
        dest["PRIORITY"] = info.priority;
        dest["ACTIVE_CALLS"] = info.activeCalls;
        dest["ATTRS"] = attrs;
        dest["LATENCY"] = {{"AVG", info.latency.avg},
                           {"EST", info.latency.est},
                           {"MAX", info.latency.max},
                           {"LAST", info.latency.last},
                           {"TIMEOUT", info.latency.timeouts}};
        targets.push_back({{"DEST", dest}});
      }
      records.push_back({{"SET", {{"ID", set.id}, {"TARGETS", targets}}}});
    }
    return result({{"NRSETS", dispatcher_.sets().size()}, {"RECORDS", records}});
  }
  if (m == "dispatcher.add") {
    auto id = dispatcher_.add(params.at(0).get<uint32_t>(), params.at(1).get<std::string>(),
                              params.size() > 2 ? params[2].get<uint32_t>() : 0,
                              params.size() > 3 ? params[3].get<int32_t>() : 0,
                              params.size() > 4 ? params[4].get<std::string>() : "");
    if (!id) return rpcError(500, id.message());
    return result("Ok. Destination added.");
  }
  if (m == "dispatcher.remove") {
    Status s = dispatcher_.remove(params.at(0).get<uint32_t>(), params.at(1).get<std::string>());
    if (!s) return rpcError(500, s.message());
    return result("Ok. Destination removed.");
  }
  if (m == "dispatcher.set_state") {
    auto state = dispatcher::parseState(params.at(0).get<std::string>());
    if (!state) return rpcError(-32602, state.message());
    Status s =
        dispatcher_.setState(params.at(1).get<uint32_t>(), params.at(2).get<std::string>(), *state);
    if (!s) return rpcError(500, s.message());
    return result("Ok. Dispatcher state changed.");
  }
  if (m == "stats.get") {
    ordered_json out = ordered_json::object();
    for (const auto& [k, v] : stats) out[k] = v;
    return result(out);
  }
  if (m == "tenant.list" && tenants) return result(*tenants);
  if (m == "ul.stats" && contacts) return result({{"contacts", *contacts}, {"aors", *contacts}});
  return rpcError(-32601, "Method not found");
}

void FakeTandemEdge::addTenant(const std::string& domain, int64_t setid) {
  if (!tenants) tenants = ordered_json::array();
  tenants->push_back({{"domain", domain}, {"setid", setid}, {"description", ""}});
}

Result<std::string> FakeTandemEdge::get(std::string_view path) {
  if (path == "/metrics" && !metrics.empty()) return metrics;
  return Result<std::string>::error("http://fake-edge" + std::string(path) +
                                    " answered HTTP 404 Not Found");
}

control::RpcReply ScriptedLink::call(std::string_view method, const json& params) {
  std::string m(method);
  calls.push_back(m + " " + params.dump());
  auto it = script_.find(m);
  if (it == script_.end() || it->second.empty()) return rpcError(-32601, "Method not found");
  control::RpcReply r = it->second.front();
  if (it->second.size() > 1) it->second.erase(it->second.begin());
  return r;
}

Result<std::string> ScriptedLink::get(std::string_view path) {
  return Result<std::string>::error("no " + std::string(path) + " here");
}

void ScriptedLink::answer(const std::string& method, ordered_json r) {
  script_[method].push_back(result(std::move(r)));
}

void ScriptedLink::fail(const std::string& method, control::RpcReply::Outcome outcome,
                        std::string message, int code) {
  control::RpcReply r;
  r.outcome = outcome;
  r.message = std::move(message);
  r.code = code;
  script_[method].push_back(r);
}

FakeRpcServer::FakeRpcServer(std::string rpcPath, Handler handler)
    : rpcPath_(std::move(rpcPath)), handler_(std::move(handler)) {
  auto server = control::HttpServer::start(
      loop_, *SocketAddress::parse("127.0.0.1:0"), control::HttpLimits{},
      [this](const control::HttpRequest& req) {
        {
          std::lock_guard lock(mu_);
          paths_.push_back(req.path);
        }
        if (req.path != rpcPath_) return control::HttpResponse::text(404, "not found\n");
        json body = json::parse(req.body, nullptr, false);
        json id = body.is_object() && body.contains("id") ? body["id"] : json();
        json out = {{"jsonrpc", "2.0"}, {"id", id}};
        if (!body.is_object() || !body.contains("method")) {
          out["error"] = {{"code", -32600}, {"message", "Invalid Request"}};
        } else {
          json params = body.contains("params") ? body["params"] : json::array();
          auto r = handler_(body["method"].get<std::string>(), params);
          if (r) {
            out["result"] = *r;
          } else {
            out["error"] = {{"code", 500}, {"message", r.message()}};
          }
        }
        control::HttpResponse resp;
        resp.contentType = "application/json";
        resp.body = out.dump();
        return resp;
      });
  if (!server) std::abort();
  server_ = std::move(server).value();
  port_ = server_->address().port();
  // The destructor may stop the loop before this thread reaches run(); run() keeps that stop.
  thread_ = std::thread([this] { loop_.run(); });
}

FakeRpcServer::~FakeRpcServer() {
  loop_.stop();
  thread_.join();
  server_.reset();
}

std::string FakeRpcServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<std::string> FakeRpcServer::paths() {
  std::lock_guard lock(mu_);
  return paths_;
}

FakeKamailio::FakeKamailio(std::string path) : listPath(std::move(path)) {}

Result<json> FakeKamailio::handle(const std::string& method, const json&) {
  std::lock_guard lock(mu);
  if (method == "dispatcher.reload") {
    ++reloadRequests;
    if (failAllReloads || refuseReloads > 0) {
      if (refuseReloads > 0) --refuseReloads;
      return Result<json>::error("Reload Failed");
    }
    auto parsed = dispatcher::loadListFile(listPath);
    if (!parsed) return Result<json>::error("Reload Failed");
    loaded = *parsed;
    ++reloads;
    return json("Ok. Dispatcher successfully reloaded.");
  }
  if (method == "dispatcher.list") {
    if (listFails || loaded.empty()) return Result<json>::error("No Destination Sets");
    std::map<uint32_t, json> sets;
    for (const auto& d : loaded) {
      json attrs = {{"BODY", d.attrs.raw}};
      if (d.attrs.weight != 0) attrs["WEIGHT"] = d.attrs.weight;
      std::string flags;
      flags += (d.flags & dispatcher::kFlagDisabled) != 0   ? 'D'
               : (d.flags & dispatcher::kFlagInactive) != 0 ? 'I'
               : (d.flags & dispatcher::kFlagTrying) != 0   ? 'T'
                                                            : 'A';
      flags += (d.flags & dispatcher::kFlagProbing) != 0 ? 'P' : 'X';
      if (!forceFlags.empty()) flags = forceFlags;
      sets[d.setId].push_back(
          {{"DEST",
            {{"URI", d.uri}, {"FLAGS", flags}, {"PRIORITY", d.priority}, {"ATTRS", attrs}}}});
    }
    json records = json::array();
    for (auto& [id, targets] : sets) {
      records.push_back({{"SET", {{"ID", id}, {"TARGETS", targets}}}});
    }
    return json{{"NRSETS", sets.size()}, {"RECORDS", records}};
  }
  return Result<json>::error("Method not found");
}

}  // namespace tandem::migrate::test
