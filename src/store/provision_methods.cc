// The provisioning methods (user.*, route.did.*, route.trunk.*, tenant.*, dispatcher.db.*): one
// table of names, parameters and help shared by the JSON-RPC registry and the command line.
#include <fmt/format.h>

#include <functional>
#include <vector>

#include "control/rpc.h"
#include "store/provision.h"

namespace tandem::store::provision {

using Json = nlohmann::ordered_json;
using control::Params;

namespace {

// A validation error is the caller's mistake: answered as JSON-RPC invalid params (-32602).
Status invalid(const Status& s) { return control::invalidParams(s.message()); }

// Reads one method's parameters by name; the position of a name in the method's list is its
// positional index. The first error sticks and later reads return empty values.
class Reader {
 public:
  Reader(const Params& params, const std::vector<std::string_view>& names)
      : params_(params), names_(names) {}

  std::string text(std::string_view name) { return take(params_.string(index(name), name)); }
  std::string text(std::string_view name, std::string fallback) {
    return take(params_.string(index(name), name, std::move(fallback)));
  }
  // Numbers and passwords, where "0044" and 44 differ: a JSON number has lost its leading zeros
  // already (`tandem ctl` sends "0044" as 44 unless written s:0044), so only a string will do.
  std::string literal(std::string_view name, std::optional<std::string> fallback = std::nullopt) {
    const nlohmann::json* v = params_.find(index(name), name);
    if (v != nullptr && v->is_number() && status_.isOk()) {
      status_ = control::invalidParams(fmt::format(
          "{} must be a string, not the number {} (leading zeros would be lost; with tandem ctl "
          "write s:{})",
          name, v->dump(), v->dump()));
      return {};
    }
    return fallback ? text(name, std::move(*fallback)) : text(name);
  }
  std::optional<std::string> maybeText(std::string_view name) {
    if (params_.find(index(name), name) == nullptr) return std::nullopt;
    return text(name);
  }
  int64_t integer(std::string_view name) { return take(params_.integer(index(name), name)); }
  int64_t integer(std::string_view name, int64_t fallback) {
    return take(params_.integer(index(name), name, fallback));
  }

  bool ok() const { return status_.isOk(); }
  const Status& status() const { return status_; }

 private:
  size_t index(std::string_view name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return i;
    }
    return names_.size();  // not a parameter of this method: a bug in the table below
  }
  template <typename T>
  T take(Result<T> r) {
    if (!status_.isOk()) return T{};
    if (!r) {
      status_ = r.status();
      return T{};
    }
    return std::move(r.value());
  }

  const Params& params_;
  const std::vector<std::string_view>& names_;
  Status status_;
};

template <typename Row>
Json rows(const std::vector<Row>& all) {
  Json out = Json::array();
  for (const auto& row : all) out.push_back(toJson(row));
  return out;
}

Json deleted(int64_t n) { return Json{{"deleted", n}}; }

struct Method {
  MethodInfo info;
  std::vector<std::string_view> params;
  std::function<Result<Json>(Store&, Reader&)> run;
};

// ---- user.* ----

Result<Json> userAdd(Store& store, Reader& r) {
  std::string user = r.text("user");
  Credentials c{r.literal("password", ""), r.text("ha1", ""), r.text("ha1_sha256", "")};
  if (!r.ok()) return r.status();
  auto s = subscriberFor(user, c);
  if (!s) return invalid(s.status());
  auto id = store.addSubscriber(*s);
  if (!id) return id.status();
  s->id = *id;
  return toJson(*s);
}

Result<Json> userPasswd(Store& store, Reader& r) {
  std::string user = r.text("user");
  Credentials c{r.literal("password", ""), r.text("ha1", ""), r.text("ha1_sha256", "")};
  if (!r.ok()) return r.status();
  auto s = subscriberFor(user, c);
  if (!s) return invalid(s.status());
  if (Status st = store.updateSubscriber(*s); !st) return st;
  auto row = store.getSubscriber(s->username, s->domain);
  if (!row) return row.status();
  if (!*row) return Status::error(fmt::format("no subscriber {}@{}", s->username, s->domain));
  return toJson(**row);
}

Result<Json> userDel(Store& store, Reader& r) {
  std::string user = r.text("user");
  if (!r.ok()) return r.status();
  auto aor = parseAor(user);
  if (!aor) return invalid(aor.status());
  if (Status s = deleteUser(store, user); !s) return s;
  return deleted(1);
}

Result<Json> userList(Store& store, Reader& r) {
  std::string domain = r.text("domain", "");
  if (!r.ok()) return r.status();
  if (!domain.empty()) {
    if (Status s = checkDomain("domain", domain); !s) return invalid(s);
  }
  auto all = listUsers(store, domain);
  if (!all) return all.status();
  return rows(*all);
}

// ---- route.did.* ----

Result<Json> didAdd(Store& store, Reader& r) {
  DidRoute route;
  route.did = r.literal("did");
  route.domain = r.text("domain", "");
  route.destination = r.text("destination");
  route.destType = r.text("dest_type", "");
  route.description = r.text("description", "");
  if (!r.ok()) return r.status();
  if (Status s = checkDidRoute(route); !s) return invalid(s);
  auto added = addDid(store, std::move(route));
  if (!added) return added.status();
  return toJson(*added);
}

Result<Json> didDel(Store& store, Reader& r) {
  std::string did = r.literal("did");
  std::string domain = r.text("domain", "");
  if (!r.ok()) return r.status();
  if (Status s = checkNumber("did", did, false); !s) return invalid(s);
  if (!domain.empty()) {
    if (Status s = checkDomain("domain", domain); !s) return invalid(s);
  }
  if (Status s = deleteDid(store, did, domain); !s) return s;
  return deleted(1);
}

Result<Json> didList(Store& store, Reader&) {
  auto all = store.listDids();
  if (!all) return all.status();
  return rows(*all);
}

// ---- route.trunk.* ----

Result<Json> trunkAdd(Store& store, Reader& r) {
  TrunkRoute route;
  route.prefix = r.literal("prefix");
  route.destination = r.text("destination");
  route.priority = r.integer("priority", 0);
  route.weight = r.integer("weight", 1);
  route.strip = r.integer("strip", 0);
  route.prepend = r.literal("prepend", "");
  route.description = r.text("description", "");
  if (!r.ok()) return r.status();
  if (Status s = checkTrunkRoute(route); !s) return invalid(s);
  auto added = addTrunk(store, std::move(route));
  if (!added) return added.status();
  return toJson(*added);
}

Result<Json> trunkDel(Store& store, Reader& r) {
  std::string prefix = r.literal("prefix");
  std::string destination = r.text("destination", "");
  if (!r.ok()) return r.status();
  if (Status s = checkNumber("prefix", prefix, true); !s) return invalid(s);
  if (!destination.empty()) {
    if (Status s = checkSipUri("destination", destination); !s) return invalid(s);
  }
  auto n = deleteTrunk(store, prefix, destination);
  if (!n) return n.status();
  return deleted(*n);
}

Result<Json> trunkList(Store& store, Reader&) {
  auto all = store.listTrunkRoutes();
  if (!all) return all.status();
  return rows(*all);
}

// ---- tenant.* ----

Result<Json> tenantAdd(Store& store, Reader& r) {
  Tenant t;
  t.domain = r.text("domain");
  t.setid = r.integer("setid");
  t.description = r.text("description", "");
  if (!r.ok()) return r.status();
  if (Status s = checkTenant(t); !s) return invalid(s);
  auto added = addTenant(store, std::move(t));
  if (!added) return added.status();
  return toJson(*added);
}

Result<Json> tenantSet(Store& store, Reader& r) {
  std::string domain = r.text("domain");
  int64_t setid = r.integer("setid");
  std::optional<std::string> description = r.maybeText("description");
  if (!r.ok()) return r.status();
  if (Status s = checkTenant(Tenant{domain, setid, description.value_or("")}); !s) {
    return invalid(s);
  }
  auto set = setTenant(store, domain, setid, std::move(description));
  if (!set) return set.status();
  return toJson(*set);
}

Result<Json> tenantDel(Store& store, Reader& r) {
  std::string domain = r.text("domain");
  if (!r.ok()) return r.status();
  if (Status s = checkDomain("domain", domain); !s) return invalid(s);
  if (Status s = deleteTenant(store, domain); !s) return s;
  return deleted(1);
}

Result<Json> tenantList(Store& store, Reader&) {
  auto all = store.listTenants();
  if (!all) return all.status();
  return rows(*all);
}

// ---- dispatcher.db.* ----

Result<Json> dispatcherAdd(Store& store, Reader& r) {
  DispatcherEntry d;
  d.setid = r.integer("setid");
  d.destination = r.text("uri");
  d.flags = r.integer("flags", 0);
  d.priority = r.integer("priority", 0);
  d.attrs = r.text("attrs", "");
  d.description = r.text("description", "");
  if (!r.ok()) return r.status();
  if (Status s = checkDispatcherEntry(d); !s) return invalid(s);
  auto added = addDispatcher(store, std::move(d));
  if (!added) return added.status();
  return toJson(*added);
}

Result<Json> dispatcherDel(Store& store, Reader& r) {
  int64_t id = r.integer("id");
  if (!r.ok()) return r.status();
  if (id < 1) return invalid(checkRange("id", id, 1, INT64_MAX));
  if (Status s = deleteDispatcher(store, id); !s) return s;
  return deleted(1);
}

Result<Json> dispatcherList(Store& store, Reader& r) {
  int64_t setid = r.integer("setid", 0);
  if (!r.ok()) return r.status();
  if (Status s = checkRange("setid", setid, 0, 2147483647); !s) return invalid(s);
  auto all = listDispatchers(store, setid);
  if (!all) return all.status();
  return rows(*all);
}

const std::vector<Method>& table() {
  static const std::vector<Method> kTable = {
      {{"user.add",
        "user.add USER@DOMAIN [PASSWORD] (or named ha1 [ha1_sha256] instead of password): add a "
        "subscriber"},
       {"user", "password", "ha1", "ha1_sha256"},
       userAdd},
      {{"user.passwd",
        "user.passwd USER@DOMAIN [PASSWORD] (or named ha1 [ha1_sha256]): replace a subscriber's "
        "credentials"},
       {"user", "password", "ha1", "ha1_sha256"},
       userPasswd},
      {{"user.del", "user.del USER@DOMAIN: delete a subscriber"}, {"user"}, userDel},
      {{"user.list",
        "user.list [DOMAIN]: subscribers (id, username, domain, credentials), never passwords"},
       {"domain"},
       userList},
      {{"route.did.add",
        "route.did.add DID DOMAIN DESTINATION [DEST_TYPE [DESCRIPTION]]: route an inbound number "
        "(DOMAIN \"\" = any domain)"},
       {"did", "domain", "destination", "dest_type", "description"},
       didAdd},
      {{"route.did.del", "route.did.del DID [DOMAIN]: delete a DID route (DOMAIN \"\" = any)"},
       {"did", "domain"},
       didDel},
      {{"route.did.list", "route.did.list: the did_routing table"}, {}, didList},
      {{"route.trunk.add",
        "route.trunk.add PREFIX DESTINATION [PRIORITY [WEIGHT [STRIP [PREPEND [DESCRIPTION]]]]]: "
        "add an outbound route (PREFIX \"\" = the default route)"},
       {"prefix", "destination", "priority", "weight", "strip", "prepend", "description"},
       trunkAdd},
      {{"route.trunk.del",
        "route.trunk.del PREFIX [DESTINATION]: delete one route, or every route of PREFIX"},
       {"prefix", "destination"},
       trunkDel},
      {{"route.trunk.list", "route.trunk.list: the trunk_routing table"}, {}, trunkList},
      {{"tenant.add", "tenant.add DOMAIN SETID [DESCRIPTION]: add a tenant served by SETID"},
       {"domain", "setid", "description"},
       tenantAdd},
      {{"tenant.set", "tenant.set DOMAIN SETID [DESCRIPTION]: move an existing tenant to SETID"},
       {"domain", "setid", "description"},
       tenantSet},
      {{"tenant.del", "tenant.del DOMAIN: delete a tenant"}, {"domain"}, tenantDel},
      {{"tenant.list", "tenant.list: the tenant table"}, {}, tenantList},
      {{"dispatcher.db.add",
        "dispatcher.db.add SETID URI [FLAGS [PRIORITY [ATTRS [DESCRIPTION]]]]: add a row to the "
        "dispatcher table"},
       {"setid", "uri", "flags", "priority", "attrs", "description"},
       dispatcherAdd},
      {{"dispatcher.db.del", "dispatcher.db.del ID: delete a row of the dispatcher table"},
       {"id"},
       dispatcherDel},
      {{"dispatcher.db.list", "dispatcher.db.list [SETID]: the dispatcher table (0 = every set)"},
       {"setid"},
       dispatcherList},
  };
  return kTable;
}

std::string joined(const std::vector<std::string_view>& names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::span<const MethodInfo> methods() {
  static const std::vector<MethodInfo> kInfos = [] {
    std::vector<MethodInfo> infos;
    for (const auto& m : table()) infos.push_back(m.info);
    return infos;
  }();
  return kInfos;
}

Result<Json> call(Store& store, std::string_view method, const nlohmann::json& params) {
  const Method* m = nullptr;
  for (const auto& candidate : table()) {
    if (candidate.info.name == method) m = &candidate;
  }
  if (m == nullptr) {
    return control::invalidParams(fmt::format("no provisioning method {}", method));
  }
  // Unknown names and extra positions are refused: a misspelt optional parameter would
  // otherwise be dropped without a word.
  if (params.is_object()) {
    for (const auto& [key, value] : params.items()) {
      if (std::find(m->params.begin(), m->params.end(), key) == m->params.end()) {
        return control::invalidParams(fmt::format("unknown parameter {} ({} takes {})", key,
                                                  m->info.name, joined(m->params)));
      }
    }
  } else if (params.is_array() && params.size() > m->params.size()) {
    return control::invalidParams(fmt::format("{} takes at most {} parameters ({}), got {}",
                                              m->info.name, m->params.size(), joined(m->params),
                                              params.size()));
  } else if (!params.is_array()) {
    return control::invalidParams("params must be an array or an object");
  }
  Params p(params);
  Reader reader(p, m->params);
  return m->run(store, reader);
}

}  // namespace tandem::store::provision
