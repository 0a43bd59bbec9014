// JSON-RPC 2.0 dispatch. Untrusted input: every malformed shape is answered with the spec's
// error object, never asserted on; a throwing handler is answered with -32603.
#include "control/rpc.h"

#include <fmt/format.h>

#include <charconv>
#include <exception>
#include <memory>

#include "core/log.h"

namespace tandem::control {

using nlohmann::json;

namespace {

std::string dumpSafe(const json& j) {
  // Handlers may return bytes from the wire (a SIP User-Agent) that are not UTF-8: replace
  // them rather than fail the whole response.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string describe(const json& v) {
  std::string s = dumpSafe(v);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

}  // namespace

Status invalidParams(std::string_view what) {
  return Status::error(std::string(kInvalidParamsPrefix) + std::string(what));
}

json rpcError(int code, std::string_view message, const json& id) {
  return json{{"jsonrpc", "2.0"},
              {"error", json{{"code", code}, {"message", std::string(message)}}},
              {"id", id}};
}

// ---------------------------------------------------------------- Params

const json* Params::find(size_t index, std::string_view name) const {
  if (params_.is_array()) return index < params_.size() ? &params_[index] : nullptr;
  if (params_.is_object()) {
    auto it = params_.find(name);
    return it == params_.end() ? nullptr : &*it;
  }
  return nullptr;
}

namespace {

Status missing(const json& params, size_t index, std::string_view name) {
  if (params.is_array())
    return invalidParams(fmt::format("missing parameter {} ({})", index + 1, name));
  return invalidParams(fmt::format("missing {}", name));
}

Status wrongType(std::string_view name, std::string_view type, const json& got) {
  return invalidParams(fmt::format("{} must be {}, got {}", name, type, describe(got)));
}

}  // namespace

Result<std::string> Params::string(size_t index, std::string_view name) const {
  const json* v = find(index, name);
  if (v == nullptr) return missing(params_, index, name);
  if (v->is_string()) return v->get<std::string>();
  // kamcmd habit: `ctl dlg.get 12345` sends a number where a Call-ID string is meant.
  if (v->is_number()) return v->dump();
  return wrongType(name, "a string", *v);
}

Result<int64_t> Params::integer(size_t index, std::string_view name) const {
  const json* v = find(index, name);
  if (v == nullptr) return missing(params_, index, name);
  if (v->is_number_integer()) {
    if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return wrongType(name, "an integer", *v);
    }
    return v->get<int64_t>();
  }
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return n;
  }
  return wrongType(name, "an integer", *v);
}

Result<bool> Params::boolean(size_t index, std::string_view name) const {
  const json* v = find(index, name);
  if (v == nullptr) return missing(params_, index, name);
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_number_integer() && (*v == 0 || *v == 1)) return *v == 1;
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  return wrongType(name, "a boolean", *v);
}

Result<std::string> Params::string(size_t index, std::string_view name,
                                   std::string fallback) const {
  if (find(index, name) == nullptr) return fallback;
  return string(index, name);
}

Result<int64_t> Params::integer(size_t index, std::string_view name, int64_t fallback) const {
  if (find(index, name) == nullptr) return fallback;
  return integer(index, name);
}

Result<bool> Params::boolean(size_t index, std::string_view name, bool fallback) const {
  if (find(index, name) == nullptr) return fallback;
  return boolean(index, name);
}

// ---------------------------------------------------------------- RpcRegistry

RpcRegistry::RpcRegistry() {
  add("system.listMethods", "system.listMethods: the names of every method",
      [this](const json&) { return Result<json>(json(methods())); });
  add("system.methodHelp", "system.methodHelp METHOD: one line on what METHOD does and takes",
      [this](const json& params) -> Result<json> {
        auto name = Params(params).string(0, "method");
        if (!name) return name.status();
        const std::string* h = help(*name);
        if (h == nullptr) return invalidParams("no method named " + *name);
        return json(*h);
      });
}

void RpcRegistry::add(std::string name, std::string help, Handler handler) {
  methods_[std::move(name)] = Method{std::move(help), std::move(handler), nullptr};
}

void RpcRegistry::addAsync(std::string name, std::string help, AsyncHandler handler) {
  methods_[std::move(name)] = Method{std::move(help), nullptr, std::move(handler)};
}

bool RpcRegistry::has(std::string_view name) const { return methods_.find(name) != methods_.end(); }

std::vector<std::string> RpcRegistry::methods() const {
  std::vector<std::string> names;
  names.reserve(methods_.size());
  for (const auto& [name, m] : methods_) names.push_back(name);
  return names;
}

const std::string* RpcRegistry::help(std::string_view name) const {
  auto it = methods_.find(name);
  return it == methods_.end() ? nullptr : &it->second.help;
}

void RpcRegistry::handleAsync(std::string_view body, Done done) {
  handleBody(body, std::move(done), true);
}

std::optional<std::string> RpcRegistry::handle(std::string_view body) {
  std::optional<std::string> out;
  // With wait=false every part answers before handleBody returns, so done has run.
  handleBody(
      body, [&out](std::optional<std::string> text) { out = std::move(text); }, false);
  return out;
}

std::optional<json> RpcRegistry::handleOne(const json& request) {
  std::optional<json> out;
  dispatch(
      request, [&out](std::optional<json> response) { out = std::move(response); }, false);
  return out;
}

void RpcRegistry::handleBody(std::string_view body, Done done, bool wait) {
  json request;
  try {
    request = json::parse(body);
  } catch (const json::parse_error& e) {
    ++errors_;
    done(dumpSafe(
        rpcError(kParseError, fmt::format("Parse error: invalid JSON at byte {}", e.byte))));
    return;
  }
  if (!request.is_array()) {
    dispatch(
        request,
        [done = std::move(done)](std::optional<json> response) {
          if (!response) return done(std::nullopt);
          done(dumpSafe(*response));
        },
        wait);
    return;
  }
  if (request.empty()) {
    ++errors_;
    done(dumpSafe(rpcError(kInvalidRequest, "Invalid Request: empty batch")));
    return;
  }
  // The parts answer in any order, some perhaps much later; the batch is answered once, whole,
  // in request order.
  struct Batch {
    std::vector<std::optional<json>> parts;
    size_t pending = 0;
    Done done;
  };
  auto batch = std::make_shared<Batch>();
  batch->parts.resize(request.size());
  batch->pending = request.size();
  batch->done = std::move(done);
  for (size_t i = 0; i < request.size(); ++i) {
    dispatch(
        request[i],
        [batch, i](std::optional<json> response) {
          batch->parts[i] = std::move(response);
          if (--batch->pending > 0) return;
          json responses = json::array();
          for (auto& part : batch->parts) {
            if (part) responses.push_back(std::move(*part));
          }
          // A batch of notifications only gets no answer at all (spec §6).
          if (responses.empty()) return batch->done(std::nullopt);
          batch->done(dumpSafe(responses));
        },
        wait);
  }
}

json RpcRegistry::finishCall(Result<json> result, const json& id) {
  if (!result.isOk()) {
    ++errors_;
    const std::string& message = result.message();
    int code =
        std::string_view(message).starts_with(kInvalidParamsPrefix) ? kInvalidParams : kServerError;
    return rpcError(code, message, id);
  }
  return json{{"jsonrpc", "2.0"}, {"result", std::move(result.value())}, {"id", id}};
}

void RpcRegistry::dispatch(const json& request, const Answer& answer, bool wait) {
  ++calls_;
  auto invalid = [this](std::string_view why, const json& id) {
    ++errors_;
    return rpcError(kInvalidRequest, fmt::format("Invalid Request: {}", why), id);
  };
  if (!request.is_object()) return answer(invalid("not an object", nullptr));
  auto idIt = request.find("id");
  bool notification = idIt == request.end();
  json id = nullptr;
  if (!notification) {
    if (!idIt->is_string() && !idIt->is_number() && !idIt->is_null()) {
      return answer(invalid("id must be a string, a number or null", nullptr));
    }
    id = *idIt;
  }
  auto version = request.find("jsonrpc");
  if (version == request.end() || *version != "2.0") {
    return answer(invalid("jsonrpc must be \"2.0\"", id));
  }
  auto methodIt = request.find("method");
  if (methodIt == request.end() || !methodIt->is_string()) {
    return answer(invalid("method must be a string", id));
  }
  static const json kNoParams = json::array();
  auto paramsIt = request.find("params");
  const json* params = &kNoParams;
  if (paramsIt != request.end()) {
    if (!paramsIt->is_array() && !paramsIt->is_object()) {
      return answer(invalid("params must be an array or an object", id));
    }
    params = &*paramsIt;
  }

  const auto& name = methodIt->get_ref<const std::string&>();
  auto it = methods_.find(name);
  if (it == methods_.end()) {
    if (notification) return answer(std::nullopt);
    ++errors_;
    return answer(rpcError(kMethodNotFound, "Method not found: " + name, id));
  }
  if (it->second.handler) {
    // A handler may throw (a json accessor on an unexpected shape): answer, do not crash the
    // daemon that hosts the control plane.
    std::optional<Result<json>> result;
    std::string thrown;
    try {
      result.emplace(it->second.handler(*params));
    } catch (const std::exception& e) {
      thrown = e.what();
    }
    if (notification) return answer(std::nullopt);
    if (!result) {
      ++errors_;
      return answer(rpcError(kInternalError, "Internal error: " + thrown, id));
    }
    return answer(finishCall(std::move(*result), id));
  }

  // Asynchronous: the reply may come from a completion long after this returns. It is the only
  // path to `answer`, guarded so that it runs once and never after the registry is gone.
  enum class State { kPending, kAnswered, kAbandoned };
  auto state = std::make_shared<State>(State::kPending);
  std::weak_ptr<int> alive = alive_;
  Reply reply = [this, alive, state, id, notification, answer, name](Result<json> result) {
    if (*state == State::kAnswered) {
      spdlog::warn("control: {} replied twice; the second reply is dropped", name);
      return;
    }
    if (*state == State::kAbandoned || alive.expired()) return;
    *state = State::kAnswered;
    if (notification) return answer(std::nullopt);
    answer(finishCall(std::move(result), id));
  };
  std::string thrown;
  bool threw = false;
  try {
    it->second.asyncHandler(*params, reply);
  } catch (const std::exception& e) {
    threw = true;
    thrown = e.what();
  }
  if (*state != State::kPending) {
    if (threw) spdlog::warn("control: {} threw after replying: {}", name, thrown);
    return;
  }
  if (!threw && wait) return;
  // The handler failed before replying, or the caller cannot wait: answer now, and make the
  // reply that may still come a no-op.
  *state = State::kAbandoned;
  if (notification) return answer(std::nullopt);
  ++errors_;
  if (threw) return answer(rpcError(kInternalError, "Internal error: " + thrown, id));
  answer(rpcError(kServerError,
                  name + " answers asynchronously: call it through the control endpoint", id));
}

}  // namespace tandem::control
