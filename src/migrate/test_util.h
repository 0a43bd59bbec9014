// Test helpers for src/migrate: a fake tandem edge (a real Dispatcher behind the edge's RPC
// methods, no network), a scripted EdgeLink, a JSON-RPC server on a real port run in-process
// (for the HTTP paths, Kamailio's included), and a temporary directory.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "control/http_server.h"
#include "core/event_loop.h"
#include "dispatcher/dispatcher.h"
#include "migrate/edge.h"

namespace tandem::migrate::test {

// A directory removed (with its files) at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string readFile(const std::string& path);  // "" when unreadable
void writeFile(const std::string& path, const std::string& text);

// The tandem edge's dispatcher.* methods in its answer shape, over a real Dispatcher, plus
// stats.get, ul.stats and /metrics from settable values. Records every call.
class FakeTandemEdge : public EdgeLink {
 public:
  explicit FakeTandemEdge(const std::string& listText);
  control::RpcReply call(std::string_view method, const nlohmann::json& params) override;
  Result<std::string> get(std::string_view path) override;
  const std::string& url() const override { return url_; }

  dispatcher::Dispatcher& dispatcher() { return dispatcher_; }
  // Starts n calls on the destination (set, uri), as the edge's dialog tracking would.
  void startCalls(uint32_t set, std::string_view uri, uint32_t n);
  void endCalls(uint32_t set, std::string_view uri, uint32_t n);
  const dispatcher::Destination* find(uint32_t set, std::string_view uri) const;

  std::vector<std::string> calls;  // "method params-json", in order
  std::map<std::string, uint64_t> stats = {{"forwarded_requests", 10}};
  std::optional<uint64_t> contacts;  // ul.stats answers only when set
  std::string metrics;               // GET /metrics body; empty: 404
  // Methods that answer with a JSON-RPC error (code 500, this message).
  std::map<std::string, std::string> failing;
  // Methods that answer "Ok" without doing anything (to make verification fail).
  std::vector<std::string> ignored;
  // tenant.list's answer (rows of domain, setid, description), as an edge with a [store] gives
  // it; nullopt: no store, so the method is unknown.
  std::optional<nlohmann::ordered_json> tenants;
  // Adds a tenant row (makes tenants an array first).
  void addTenant(const std::string& domain, int64_t setid);

 private:
  std::string url_ = "http://fake-edge/rpc";
  dispatcher::Dispatcher dispatcher_;
};

// An EdgeLink that answers from a script: each call pops the next reply for its method (the last
// one repeats). Records calls.
class ScriptedLink : public EdgeLink {
 public:
  control::RpcReply call(std::string_view method, const nlohmann::json& params) override;
  Result<std::string> get(std::string_view path) override;
  const std::string& url() const override { return url_; }

  void answer(const std::string& method, nlohmann::ordered_json result);
  void fail(const std::string& method, control::RpcReply::Outcome outcome, std::string message,
            int code = 0);

  std::vector<std::string> calls;
  std::string url_ = "http://scripted/rpc";

 private:
  std::map<std::string, std::vector<control::RpcReply>> script_;
};

// A JSON-RPC 2.0 server on 127.0.0.1:<free port>, running its loop on its own thread. handler
// gets (method, params) on that thread and returns the result, or a Status for an error answer
// (code 500). Requests to other paths than rpcPath get 404.
class FakeRpcServer {
 public:
  using Handler = std::function<Result<nlohmann::json>(const std::string&, const nlohmann::json&)>;
  FakeRpcServer(std::string rpcPath, Handler handler);
  ~FakeRpcServer();
  std::string url() const;  // http://127.0.0.1:PORT (no path)
  uint16_t port() const { return port_; }
  std::vector<std::string> paths();  // paths requested, in order

 private:
  std::string rpcPath_;
  Handler handler_;
  EventLoop loop_;
  std::unique_ptr<control::HttpServer> server_;
  std::thread thread_;
  uint16_t port_ = 0;
  std::mutex mu_;
  std::vector<std::string> paths_;
};

// Kamailio's dispatcher as its jsonrpcs shows it: dispatcher.reload reads listPath (with
// dispatcher::parseList), dispatcher.list answers in Kamailio's shape (FLAGS, PRIORITY, ATTRS
// with BODY and WEIGHT; no STATE, no ACTIVE_CALLS). Knobs make it misbehave. Thread-safe (the
// server thread and the test read it).
class FakeKamailio {
 public:
  explicit FakeKamailio(std::string listPath);
  Result<nlohmann::json> handle(const std::string& method, const nlohmann::json& params);

  std::mutex mu;
  std::string listPath;
  std::vector<dispatcher::Destination> loaded;
  int reloads = 0;         // successful reloads
  int reloadRequests = 0;  // every dispatcher.reload
  int refuseReloads = 0;   // answer "Reload Failed" to this many reloads first
  bool failAllReloads = false;
  bool listFails = false;  // dispatcher.list answers an error ("No Destination Sets")
  std::string forceFlags;  // when set, every destination shows these FLAGS
};

}  // namespace tandem::migrate::test
