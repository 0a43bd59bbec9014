// EdgeLink over HTTP, and dispatcher.list answers (tandem's or Kamailio's) read into rows.
#include "migrate/edge.h"

#include "core/text.h"
#include "dispatcher/dispatcher.h"

namespace tandem::migrate {

using nlohmann::json;
using nlohmann::ordered_json;

Result<std::unique_ptr<HttpEdgeLink>> HttpEdgeLink::create(std::string_view url,
                                                           std::string_view flag,
                                                           std::string_view defaultPath,
                                                           int timeoutMs) {
  auto parsed = control::Url::parse(url);
  if (!parsed) {
    return Result<std::unique_ptr<HttpEdgeLink>>::error("invalid " + std::string(flag) +
                                                        " URL: " + parsed.message());
  }
  // Url::parse fills in /rpc when no path is given; Kamailio's jsonrpcs answers on /RPC.
  std::string_view rest = url;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || rest.substr(slash) == "/") {
    parsed->path = std::string(defaultPath);
  }
  return std::unique_ptr<HttpEdgeLink>(new HttpEdgeLink(std::move(parsed).value(), timeoutMs));
}

control::RpcReply HttpEdgeLink::call(std::string_view method, const json& params) {
  return control::rpcCall(url_, method, params, timeoutMs_);
}

Result<std::string> HttpEdgeLink::get(std::string_view path) {
  control::Url u = url_;
  u.path = std::string(path);
  u.text = "http://" + (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" +
           std::to_string(u.port) + u.path;
  control::HttpReply r = control::httpExchange(u, "GET", "", "", timeoutMs_);
  if (r.outcome != control::HttpReply::Outcome::kOk) return Result<std::string>::error(r.error);
  if (r.status != 200) {
    return Result<std::string>::error(u.text + " answered HTTP " + std::to_string(r.status) + " " +
                                      r.reason);
  }
  return std::move(r.body);
}

Result<ordered_json> callResult(EdgeLink& link, std::string_view method, const json& params) {
  control::RpcReply r = link.call(method, params);
  switch (r.outcome) {
    case control::RpcReply::Outcome::kResult:
      return std::move(r.result);
    case control::RpcReply::Outcome::kRpcError:
      return Result<ordered_json>::error(std::string(method) + ": error " + std::to_string(r.code) +
                                         ": " + r.message);
    case control::RpcReply::Outcome::kConnectFailed:
    case control::RpcReply::Outcome::kFailed:
      break;
  }
  return Result<ordered_json>::error(std::string(method) + ": " + r.message);
}

std::string_view stateForFlagLetter(char letter) {
  switch (letter) {
    case 'A':
      return "active";
    case 'I':
      return "inactive";
    case 'T':
      return "trying";
    case 'D':
      return "disabled";
    case 'R':
      return "drain";
    case 'G':
      return "removed";
    default:
      return "";
  }
}

namespace {

Result<ListedDest> readDest(const ordered_json& d, uint32_t set) {
  using R = Result<ListedDest>;
  auto bad = [](const std::string& why) {
    return R::error("dispatcher.list: unexpected answer: " + why);
  };
  if (!d.is_object()) return bad("a DEST is not an object");
  ListedDest out;
  out.set = set;
  out.raw = d;
  if (!d.contains("URI") || !d["URI"].is_string()) return bad("a DEST has no URI");
  out.uri = d["URI"].get<std::string>();
  if (d.contains("FLAGS") && d["FLAGS"].is_string()) out.flags = d["FLAGS"].get<std::string>();
  if (d.contains("STATE") && d["STATE"].is_string()) {
    out.state = d["STATE"].get<std::string>();
  } else if (!out.flags.empty()) {
    out.state = std::string(stateForFlagLetter(out.flags[0]));
  }
  if (d.contains("HEALTH") && d["HEALTH"].is_string()) out.health = d["HEALTH"].get<std::string>();
  if (d.contains("PRIORITY") && d["PRIORITY"].is_number_integer()) {
    out.priority = d["PRIORITY"].get<int32_t>();
  }
  if (d.contains("ATTRS")) {
    const auto& a = d["ATTRS"];
    if (a.is_object()) {
      if (a.contains("BODY") && a["BODY"].is_string()) out.attrs = a["BODY"].get<std::string>();
      if (a.contains("WEIGHT") && a["WEIGHT"].is_number_unsigned()) {
        out.weight = a["WEIGHT"].get<uint32_t>();
      }
    } else if (a.is_string()) {
      out.attrs = a.get<std::string>();
    }
  }
  if (out.weight == 0 && !out.attrs.empty()) {
    // Older answers carry only the body; read the weight the way the list file is read.
    if (auto parsed = dispatcher::parseAttrs(out.attrs)) out.weight = parsed->weight;
  }
  if (d.contains("ACTIVE_CALLS") && d["ACTIVE_CALLS"].is_number_unsigned()) {
    out.activeCalls = d["ACTIVE_CALLS"].get<uint32_t>();
  }
  if (d.contains("LATENCY") && d["LATENCY"].is_object()) {
    const auto& l = d["LATENCY"];
    auto num = [&l](const char* key) {
      return l.contains(key) && l[key].is_number() ? l[key].get<double>() : 0.0;
    };
    ListedDest::Latency lat;
    lat.avg = num("AVG");
    lat.est = num("EST");
    lat.max = num("MAX");
    lat.last = num("LAST");
    lat.timeouts = static_cast<uint64_t>(num("TIMEOUT"));
    out.latency = lat;
  }
  return out;
}

}  // namespace

Result<std::vector<ListedDest>> parseDispatcherList(const ordered_json& result) {
  using R = Result<std::vector<ListedDest>>;
  auto bad = [](const std::string& why) {
    return R::error("dispatcher.list: unexpected answer: " + why);
  };
  if (!result.is_object()) return bad("not an object");
  std::vector<ListedDest> rows;
  if (!result.contains("RECORDS")) return rows;  // no set loaded
  const auto& records = result["RECORDS"];
  if (!records.is_array()) return bad("RECORDS is not an array");
  for (const auto& rec : records) {
    if (!rec.is_object() || !rec.contains("SET") || !rec["SET"].is_object()) {
      return bad("a record has no SET");
    }
    const auto& set = rec["SET"];
    if (!set.contains("ID") || !set["ID"].is_number_unsigned()) return bad("a SET has no ID");
    uint32_t id = set["ID"].get<uint32_t>();
    if (!set.contains("TARGETS")) continue;
    const auto& targets = set["TARGETS"];
    // Each target is {"DEST": {...}}; a lone target may come as that object itself.
    auto take = [&](const ordered_json& t) -> Status {
      if (!t.is_object() || !t.contains("DEST")) {
        return Status::error("dispatcher.list: unexpected answer: a target has no DEST");
      }
      auto d = readDest(t["DEST"], id);
      if (!d) return d.status();
      rows.push_back(std::move(d).value());
      return Status::ok();
    };
    if (targets.is_array()) {
      for (const auto& t : targets) {
        if (Status s = take(t); !s) return s;
      }
    } else if (Status s = take(targets); !s) {
      return s;
    }
  }
  return rows;
}

std::vector<ListedDest> rowsOfSet(const std::vector<ListedDest>& rows, uint32_t set) {
  std::vector<ListedDest> out;
  for (const auto& r : rows) {
    if (r.set == set) out.push_back(r);
  }
  return out;
}

Result<uint32_t> tenantSet(EdgeLink& link, std::string_view domain) {
  using R = Result<uint32_t>;
  control::RpcReply r = link.call("tenant.list", json::array());
  // A tandem edge registers tenant.* only with a store; Kamailio has no such method either.
  if (r.outcome == control::RpcReply::Outcome::kRpcError && r.code == -32601) {
    return R::error("the edge has no tenant table (start it with a [store])");
  }
  if (r.outcome != control::RpcReply::Outcome::kResult) {
    return R::error(r.outcome == control::RpcReply::Outcome::kRpcError
                        ? "tenant.list: error " + std::to_string(r.code) + ": " + r.message
                        : "tenant.list: " + r.message);
  }
  auto bad = [](const std::string& why) {
    return R::error("tenant.list: unexpected answer: " + why);
  };
  if (!r.result.is_array()) return bad("not an array");
  for (const auto& row : r.result) {
    if (!row.is_object() || !row.contains("domain") || !row["domain"].is_string()) {
      return bad("a row without a domain");
    }
    if (!equalsIgnoreCase(row["domain"].get<std::string>(), domain)) continue;
    const auto& setid = row.contains("setid") ? row["setid"] : ordered_json();
    // Sets are 1 to 2147483647 in the store (provision.h); anything else is not ours to use.
    if (!setid.is_number_integer() || setid.get<int64_t>() < 1 ||
        setid.get<int64_t>() > 2147483647) {
      return bad("tenant " + row["domain"].get<std::string>() + " has setid " + setid.dump());
    }
    return static_cast<uint32_t>(setid.get<int64_t>());
  }
  return R::error("tenant \"" + std::string(domain) + "\" is not provisioned on the edge");
}

}  // namespace tandem::migrate
