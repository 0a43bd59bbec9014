// How the migrate commands reach an edge: its JSON-RPC (tandem's or Kamailio's jsonrpcs) and,
// for tandem, GET /metrics beside it; and dispatcher.list answers read into plain rows. The
// EdgeLink interface is what tests replace.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/client.h"
#include "core/result.h"

namespace tandem::migrate {

// One edge's control endpoint. Blocking; not thread-safe.
class EdgeLink {
 public:
  virtual ~EdgeLink() = default;
  // One JSON-RPC call; params is an array (possibly empty).
  virtual control::RpcReply call(std::string_view method, const nlohmann::json& params) = 0;
  // GET path on the same host and port (e.g. "/metrics"): the body of a 200, else an error.
  virtual Result<std::string> get(std::string_view path) = 0;
  // The URL as the operator gave it, for messages and audit lines.
  virtual const std::string& url() const = 0;
};

// The real thing over HTTP (control::rpcCall / httpExchange). timeoutMs bounds each exchange.
class HttpEdgeLink final : public EdgeLink {
 public:
  // url as control::Url::parse takes it. defaultPath replaces the path when the URL has none
  // ("/rpc" for tandem, "/RPC" for Kamailio's jsonrpcs). Error: `invalid --edge URL ...`.
  static Result<std::unique_ptr<HttpEdgeLink>> create(std::string_view url, std::string_view flag,
                                                      std::string_view defaultPath, int timeoutMs);
  control::RpcReply call(std::string_view method, const nlohmann::json& params) override;
  Result<std::string> get(std::string_view path) override;
  const std::string& url() const override { return url_.text; }

 private:
  HttpEdgeLink(control::Url url, int timeoutMs) : url_(std::move(url)), timeoutMs_(timeoutMs) {}
  control::Url url_;
  int timeoutMs_;
};

// The result of a call, or an error: `METHOD: error CODE: MESSAGE` for a JSON-RPC error,
// `METHOD: MESSAGE` when the call did not complete (cannot connect, timeout, bad answer).
Result<nlohmann::ordered_json> callResult(EdgeLink& link, std::string_view method,
                                          const nlohmann::json& params = nlohmann::json::array());

// One destination of a dispatcher.list answer.
// NOLINTNEXTLINE(bugprone-exception-escape): the check sees nlohmann's noexcept move as throwing.
struct ListedDest {
  uint32_t set = 0;
  std::string uri;
  std::string flags;  // Kamailio's two letters, e.g. "AP", "DX"; tandem adds R (drain), G (removed)
  // tandem's STATE (active, inactive, trying, disabled, drain, removed); from Kamailio's answer,
  // which has none, derived from the first flag letter.
  std::string state;
  std::string health;  // tandem only, else empty
  int32_t priority = 0;
  std::string attrs;                    // ATTRS.BODY, the list file's fifth column
  uint32_t weight = 0;                  // ATTRS.WEIGHT, else the weight in attrs; 0 when none
  std::optional<uint32_t> activeCalls;  // tandem only
  struct Latency {
    double avg = 0;
    double est = 0;
    double max = 0;
    double last = 0;
    uint64_t timeouts = 0;
  };
  std::optional<Latency> latency;  // when the edge keeps latency statistics
  nlohmann::ordered_json raw;      // the DEST object as received
};

// Reads dispatcher.list's result in Kamailio's shape ({"RECORDS":[{"SET":{"ID":1,"TARGETS":
// [{"DEST":{"URI":...}}]}}]}), tandem's or Kamailio's. A set whose TARGETS is one object instead
// of an array is read too. Error: `dispatcher.list: unexpected answer: <why>`.
Result<std::vector<ListedDest>> parseDispatcherList(const nlohmann::ordered_json& result);

// The rows of one set (case: every row with that set id, in listed order).
std::vector<ListedDest> rowsOfSet(const std::vector<ListedDest>& rows, uint32_t set);

// The dispatcher set that serves a tenant domain, from the edge's tenant.list (rows of
// {"domain","setid","description"}; the edge has it only when it runs with a [store]). Domains
// match case-insensitively. Errors: `tenant "x.com" is not provisioned on the edge`, `the edge has
// no tenant table (start it with a [store])` (tenant.list unknown to the edge), `tenant.list:
// unexpected answer: <why>`, and callResult's for a failed call.
Result<uint32_t> tenantSet(EdgeLink& link, std::string_view domain);

// State name for a Kamailio flag letter: A active, I inactive, T trying, D disabled, R drain,
// G removed; empty for anything else.
std::string_view stateForFlagLetter(char letter);

}  // namespace tandem::migrate
