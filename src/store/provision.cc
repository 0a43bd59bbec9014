// Provisioning operations: validation of what an operator types, then one Store call (or one
// short transaction) per change. The method table and the RPC and CLI glue live beside it in
// provision_methods.cc, provision_rpc.cc and provision_cmd.cc.
#include "store/provision.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>

namespace tandem::store::provision {

using Json = nlohmann::ordered_json;

namespace {

constexpr int64_t kInt32Max = 2147483647;
constexpr int64_t kInt32Min = -kInt32Max - 1;
constexpr size_t kMaxText = 255;
constexpr size_t kMaxNumber = 32;
constexpr size_t kMaxUser = 128;
constexpr size_t kMaxUri = 512;
constexpr size_t kMaxPassword = 128;

// The value as the operator typed it, quoted, with control characters escaped so that an error
// stays on one line.
std::string quoted(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status fieldError(std::string_view field, std::string_view what) {
  return Status::error(fmt::format("{}: {}", field, what));
}

bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isIpv4(std::string_view s) {
  in_addr a{};
  return s.size() <= 15 && inet_pton(AF_INET, std::string(s).c_str(), &a) == 1;
}

bool isHostName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return isAlnum(c) || c == '-'; })) {
      return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // "10.0.0.300" is not a name: a last label of digits only means an IPv4 address was meant.
  std::string_view last = s.substr(s.rfind('.') == std::string_view::npos ? 0 : s.rfind('.') + 1);
  return !std::all_of(last.begin(), last.end(), isDigit);
}

bool isHost(std::string_view s) {
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') {
    in6_addr a{};
    return inet_pton(AF_INET6, std::string(s.substr(1, s.size() - 2)).c_str(), &a) == 1;
  }
  return isIpv4(s) || isHostName(s);
}

// RFC 3261 §25.1: unreserved, user-unreserved, and escaped.
bool isUserChar(char c) {
  return isAlnum(c) || std::string_view("-_.!~*'()&=+$,;?/").find(c) != std::string_view::npos;
}

// The first character of s that fails pred, with %XX escapes accepted; npos when all pass.
size_t badEscapedChar(std::string_view s, bool (*pred)(char)) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 < s.size() && isHex(s[i + 1]) && isHex(s[i + 2])) {
        i += 2;
        continue;
      }
      return i;
    }
    if (!pred(s[i])) return i;
  }
  return std::string_view::npos;
}

bool isPrintable(char c) { return c > 0x20 && c < 0x7f; }

std::optional<int64_t> parseInt(std::string_view s) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

template <typename T>
Result<T> inTransaction(Store& store, const std::function<Result<T>()>& fn) {
  if (Status s = store.begin(); !s) return s;
  Result<T> r = fn();
  if (!r) {
    store.rollback();
    return r;
  }
  if (Status s = store.commit(); !s) return s;
  return r;
}

std::string didWhere(std::string_view did, std::string_view domain) {
  return domain.empty() ? fmt::format("{} (any domain)", did)
                        : fmt::format("{} (domain {})", did, domain);
}

}  // namespace

// ---------------------------------------------------------------- validation

Status checkDomain(std::string_view field, std::string_view domain) {
  if (domain.empty()) return fieldError(field, "is empty");
  if (!isHost(domain)) {
    return fieldError(field, quoted(domain) + " is not a host name or an IP address");
  }
  return Status::ok();
}

Status checkUser(std::string_view field, std::string_view user) {
  if (user.empty()) return fieldError(field, "is empty");
  if (user.size() > kMaxUser) {
    return fieldError(field, fmt::format("is longer than {} characters", kMaxUser));
  }
  size_t bad = badEscapedChar(user, isUserChar);
  if (bad != std::string_view::npos) {
    return fieldError(field, fmt::format("{} has {} at position {}, not allowed in a SIP user part",
                                         quoted(user), quoted(user.substr(bad, 1)), bad + 1));
  }
  return Status::ok();
}

Status checkSipUri(std::string_view field, std::string_view uri) {
  auto bad = [&](std::string_view why) {
    return fieldError(field, quoted(uri) + " " + std::string(why));
  };
  if (uri.empty()) return fieldError(field, "is empty");
  if (uri.size() > kMaxUri) {
    return fieldError(field, fmt::format("is longer than {} characters", kMaxUri));
  }
  std::string scheme = lower(uri.substr(0, uri.find(':')));
  if (uri.find(':') == std::string_view::npos || (scheme != "sip" && scheme != "sips")) {
    return bad("is not a sip: or sips: URI");
  }
  if (!std::all_of(uri.begin(), uri.end(), isPrintable)) {
    return bad("has a space or a control character");
  }
  std::string_view rest = uri.substr(scheme.size() + 1);
  size_t at = rest.find('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    std::string_view user = userinfo.substr(0, userinfo.find(':'));
    if (user.empty()) return bad("has an empty user part before '@'");
    if (badEscapedChar(user, isUserChar) != std::string_view::npos) {
      return bad("has a character not allowed in its user part");
    }
    rest = rest.substr(at + 1);
  }
  std::string_view hostport = rest.substr(0, rest.find_first_of(";?"));
  std::string_view host = hostport;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed IPv6 reference");
    host = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has text after its IPv6 address");
      port = after.substr(1);
      if (port.empty()) return bad("has an empty port");
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
    if (port.empty()) return bad("has an empty port");
  }
  if (host.empty()) return bad("has no host");
  if (!isHost(host)) return bad("has host " + quoted(host) + ", not a host name or an IP address");
  if (!port.empty()) {
    auto n = parseInt(port);
    if (!n || !std::all_of(port.begin(), port.end(), isDigit) || *n < 1 || *n > 65535) {
      return bad("has port " + quoted(port) + ", not from 1 to 65535");
    }
  }
  std::string_view params = rest.substr(hostport.size());
  if (params.find_first_of("<>\"") != std::string_view::npos) {
    return bad("has '<', '>' or '\"': give the bare URI, not a name-addr");
  }
  return Status::ok();
}

Status checkNumber(std::string_view field, std::string_view number, bool allowEmpty) {
  if (number.empty()) return allowEmpty ? Status::ok() : fieldError(field, "is empty");
  std::string_view digits = number.front() == '+' ? number.substr(1) : number;
  // A lone "+" is a valid prepend (00 44... -> +44...), not a valid number.
  if (digits.empty() && allowEmpty && number == "+") return Status::ok();
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), isDigit)) {
    return fieldError(field, quoted(number) + " is not digits (with an optional leading +)");
  }
  if (digits.size() > kMaxNumber) {
    return fieldError(field, fmt::format("has more than {} digits", kMaxNumber));
  }
  return Status::ok();
}

Status checkRange(std::string_view field, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    return fieldError(field, fmt::format("must be from {} to {}, got {}", min, max, value));
  }
  return Status::ok();
}

Status checkText(std::string_view field, std::string_view text) {
  if (text.size() > kMaxText) {
    return fieldError(field, fmt::format("is longer than {} bytes", kMaxText));
  }
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return fieldError(field, quoted(text) + " has a control character");
  }
  return Status::ok();
}

Status checkToken(std::string_view field, std::string_view token) {
  if (token.size() > 64) return fieldError(field, "is longer than 64 characters");
  for (char c : token) {
    if (!isAlnum(c) && std::string_view("-._!%*+`'~").find(c) == std::string_view::npos) {
      return fieldError(field,
                        quoted(token) + " is not a token (letters, digits and -._!%*+`'~ only)");
    }
  }
  return Status::ok();
}

Status checkAttrs(std::string_view field, std::string_view attrs) {
  if (Status s = checkText(field, attrs); !s) return s;
  std::string_view rest = attrs;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view item = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    if (key.empty()) return fieldError(field, "an attribute has no name in " + quoted(attrs));
    std::string k = lower(key);
    if (k == "weight" || k == "rweight") {
      auto n = parseInt(value);
      if (!n || *n < 1 || *n > 100) {
        return fieldError(field,
                          fmt::format("{} must be from 1 to 100, got {}", key, quoted(value)));
      }
    } else if (k == "maxload") {
      auto n = parseInt(value);
      if (!n || *n < 0) {
        return fieldError(
            field, fmt::format("maxload must be a non-negative integer, got {}", quoted(value)));
      }
    }
  }
  return Status::ok();
}

Status checkHex(std::string_view field, std::string_view hex, size_t digits) {
  if (hex.size() != digits || !std::all_of(hex.begin(), hex.end(), isHex)) {
    return fieldError(field, fmt::format("must be {} hexadecimal digits", digits));
  }
  return Status::ok();
}

Result<Aor> parseAor(std::string_view aor) {
  size_t at = aor.rfind('@');
  if (at == std::string_view::npos) {
    return Status::error("user: " + quoted(aor) + " is not USER@DOMAIN");
  }
  if (Status s = checkUser("user", aor.substr(0, at)); !s) return s;
  if (Status s = checkDomain("domain", aor.substr(at + 1)); !s) return s;
  return Aor{std::string(aor.substr(0, at)), lower(aor.substr(at + 1))};
}

Status checkDidRoute(const DidRoute& r) {
  if (Status s = checkNumber("did", r.did, false); !s) return s;
  if (!r.domain.empty()) {
    if (Status s = checkDomain("domain", r.domain); !s) return s;
  }
  if (Status s = checkSipUri("destination", r.destination); !s) return s;
  if (Status s = checkToken("dest_type", r.destType); !s) return s;
  return checkText("description", r.description);
}

Status checkTrunkRoute(const TrunkRoute& r) {
  if (Status s = checkNumber("prefix", r.prefix, true); !s) return s;
  if (Status s = checkSipUri("destination", r.destination); !s) return s;
  if (Status s = checkRange("priority", r.priority, 0, kInt32Max); !s) return s;
  if (Status s = checkRange("weight", r.weight, 0, kInt32Max); !s) return s;
  if (Status s = checkRange("strip", r.strip, 0, static_cast<int64_t>(kMaxNumber)); !s) return s;
  if (Status s = checkNumber("prepend", r.prepend, true); !s) return s;
  return checkText("description", r.description);
}

Status checkTenant(const Tenant& t) {
  if (Status s = checkDomain("domain", t.domain); !s) return s;
  if (Status s = checkRange("setid", t.setid, 1, kInt32Max); !s) return s;
  return checkText("description", t.description);
}

Status checkDispatcherEntry(const DispatcherEntry& d) {
  if (Status s = checkRange("setid", d.setid, 1, kInt32Max); !s) return s;
  if (Status s = checkSipUri("uri", d.destination); !s) return s;
  if (Status s = checkRange("flags", d.flags, 0, 63); !s) return s;
  if (Status s = checkRange("priority", d.priority, kInt32Min, kInt32Max); !s) return s;
  if (Status s = checkAttrs("attrs", d.attrs); !s) return s;
  return checkText("description", d.description);
}

// ---------------------------------------------------------------- subscribers

Result<Subscriber> subscriberFor(std::string_view aor, const Credentials& c) {
  auto parsed = parseAor(aor);
  if (!parsed) return parsed.status();
  Subscriber s;
  s.username = parsed->user;
  s.domain = parsed->domain;
  if (!c.password.empty() && !c.ha1.empty()) {
    return Status::error("password and ha1 exclude each other");
  }
  if (!c.ha1Sha256.empty() && c.ha1.empty()) return Status::error("ha1_sha256 needs ha1");
  if (!c.password.empty()) {
    if (c.password.size() > kMaxPassword) {
      return Status::error(fmt::format("password: is longer than {} bytes", kMaxPassword));
    }
    if (std::any_of(c.password.begin(), c.password.end(),
                    [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; })) {
      return Status::error("password: has a control character");
    }
    s.password = c.password;
    computeHa1(s);
    // Only the digests are kept: they are all digest authentication needs (docs/store.md).
    s.password.clear();
    return s;
  }
  if (c.ha1.empty()) return Status::error("a password or an ha1 is needed");
  if (Status st = checkHex("ha1", c.ha1, 32); !st) return st;
  if (!c.ha1Sha256.empty()) {
    if (Status st = checkHex("ha1_sha256", c.ha1Sha256, 64); !st) return st;
  }
  s.ha1 = lower(c.ha1);
  s.ha1Sha256 = lower(c.ha1Sha256);
  return s;
}

Result<Subscriber> addUser(Store& store, std::string_view aor, const Credentials& credentials) {
  auto s = subscriberFor(aor, credentials);
  if (!s) return s;
  auto id = store.addSubscriber(*s);
  if (!id) return id.status();
  s->id = *id;
  return s;
}

Status setCredentials(Store& store, std::string_view aor, const Credentials& credentials) {
  auto s = subscriberFor(aor, credentials);
  if (!s) return s.status();
  return store.updateSubscriber(*s);
}

Status deleteUser(Store& store, std::string_view aor) {
  auto parsed = parseAor(aor);
  if (!parsed) return parsed.status();
  auto deleted = store.deleteSubscriber(parsed->user, parsed->domain);
  if (!deleted) return deleted.status();
  if (!*deleted) {
    return Status::error(fmt::format("no subscriber {}@{}", parsed->user, parsed->domain));
  }
  return Status::ok();
}

Result<std::vector<Subscriber>> listUsers(Store& store, std::string_view domain) {
  if (!domain.empty()) {
    if (Status s = checkDomain("domain", domain); !s) return s;
  }
  return store.listSubscribers(lower(domain));
}

// ---------------------------------------------------------------- routes

Result<DidRoute> addDid(Store& store, DidRoute route) {
  if (Status s = checkDidRoute(route); !s) return s;
  route.domain = lower(route.domain);
  auto id = store.addDid(route);
  if (!id) return id.status();
  route.id = *id;
  return route;
}

Status deleteDid(Store& store, std::string_view did, std::string_view domain) {
  if (Status s = checkNumber("did", did, false); !s) return s;
  if (!domain.empty()) {
    if (Status s = checkDomain("domain", domain); !s) return s;
  }
  auto deleted = store.deleteDid(did, domain);
  if (!deleted) return deleted.status();
  if (!*deleted) return Status::error("no DID " + didWhere(did, lower(domain)));
  return Status::ok();
}

Result<TrunkRoute> addTrunk(Store& store, TrunkRoute route) {
  if (Status s = checkTrunkRoute(route); !s) return s;
  auto id = store.addTrunkRoute(route);
  if (!id) return id.status();
  route.id = *id;
  return route;
}

Result<int64_t> deleteTrunk(Store& store, std::string_view prefix, std::string_view destination) {
  if (Status s = checkNumber("prefix", prefix, true); !s) return s;
  if (!destination.empty()) {
    if (Status s = checkSipUri("destination", destination); !s) return s;
  }
  auto deleted = store.deleteTrunkRoutes(prefix, destination);
  if (!deleted) return deleted;
  if (*deleted == 0) {
    std::string which = prefix.empty() ? "\"\" (the default route)" : std::string(prefix);
    if (destination.empty()) return Status::error("no trunk route with prefix " + which);
    return Status::error(fmt::format("no trunk route {} -> {}", which, destination));
  }
  return deleted;
}

// ---------------------------------------------------------------- tenants

Result<Tenant> addTenant(Store& store, Tenant tenant) {
  if (Status s = checkTenant(tenant); !s) return s;
  tenant.domain = lower(tenant.domain);
  // The check and the write share one transaction, so "add" never overwrites a tenant another
  // operator added in between.
  return inTransaction<Tenant>(store, [&]() -> Result<Tenant> {
    auto all = store.listTenants();
    if (!all) return all.status();
    if (std::any_of(all->begin(), all->end(),
                    [&](const Tenant& t) { return t.domain == tenant.domain; })) {
      return Status::error("tenant " + tenant.domain + " already exists (tenant set changes it)");
    }
    if (Status s = store.putTenant(tenant); !s) return s;
    return tenant;
  });
}

Result<Tenant> setTenant(Store& store, std::string_view domain, int64_t setid,
                         std::optional<std::string> description) {
  Tenant wanted{std::string(domain), setid, description.value_or("")};
  if (Status s = checkTenant(wanted); !s) return s;
  wanted.domain = lower(domain);
  return inTransaction<Tenant>(store, [&]() -> Result<Tenant> {
    auto all = store.listTenants();
    if (!all) return all.status();
    auto it = std::find_if(all->begin(), all->end(),
                           [&](const Tenant& t) { return t.domain == wanted.domain; });
    if (it == all->end()) return Status::error("no tenant " + wanted.domain);
    Tenant updated = *it;
    updated.setid = setid;
    if (description) updated.description = *description;
    if (Status s = store.putTenant(updated); !s) return s;
    return updated;
  });
}

Status deleteTenant(Store& store, std::string_view domain) {
  if (Status s = checkDomain("domain", domain); !s) return s;
  auto deleted = store.deleteTenant(domain);
  if (!deleted) return deleted.status();
  if (!*deleted) return Status::error("no tenant " + lower(domain));
  return Status::ok();
}

// ---------------------------------------------------------------- dispatcher rows

Result<DispatcherEntry> addDispatcher(Store& store, DispatcherEntry entry) {
  if (Status s = checkDispatcherEntry(entry); !s) return s;
  auto id = store.addDispatcher(entry);
  if (!id) return id.status();
  entry.id = *id;
  return entry;
}

Status deleteDispatcher(Store& store, int64_t id) {
  if (Status s = checkRange("id", id, 1, INT64_MAX); !s) return s;
  auto deleted = store.deleteDispatcher(id);
  if (!deleted) return deleted.status();
  if (!*deleted) return Status::error(fmt::format("no dispatcher entry with id {}", id));
  return Status::ok();
}

Result<std::vector<DispatcherEntry>> listDispatchers(Store& store, int64_t setid) {
  if (Status s = checkRange("setid", setid, 0, kInt32Max); !s) return s;
  auto all = store.listDispatchers();
  if (!all || setid == 0) return all;
  std::erase_if(*all, [setid](const DispatcherEntry& d) { return d.setid != setid; });
  return all;
}

// ---------------------------------------------------------------- JSON rows

Json toJson(const Subscriber& s) {
  std::string credentials = s.ha1.empty() ? "" : "md5";
  if (!s.ha1Sha256.empty()) credentials += credentials.empty() ? "sha256" : "+sha256";
  return Json{
      {"id", s.id}, {"username", s.username}, {"domain", s.domain}, {"credentials", credentials}};
}

Json toJson(const DidRoute& r) {
  return Json{{"id", r.id},
              {"did", r.did},
              {"domain", r.domain},
              {"destination", r.destination},
              {"dest_type", r.destType},
              {"description", r.description}};
}

Json toJson(const TrunkRoute& r) {
  return Json{{"id", r.id},
              {"prefix", r.prefix},
              {"destination", r.destination},
              {"priority", r.priority},
              {"weight", r.weight},
              {"strip", r.strip},
              {"prepend", r.prepend},
              {"description", r.description}};
}

Json toJson(const Tenant& t) {
  return Json{{"domain", t.domain}, {"setid", t.setid}, {"description", t.description}};
}

Json toJson(const DispatcherEntry& d) {
  return Json{{"id", d.id},
              {"setid", d.setid},
              {"destination", d.destination},
              {"flags", d.flags},
              {"priority", d.priority},
              {"attrs", d.attrs},
              {"description", d.description}};
}

// ---------------------------------------------------------------- schema

Result<Json> migrateDb(Store& store, int to) {
  if (to == 0) to = kSchemaVersion;
  if (Status s = checkRange("to", to, 1, kSchemaVersion); !s) return s;
  auto from = store.schemaVersion();
  if (!from) return from.status();
  if (*from > to) {
    return Status::error(fmt::format(
        "database schema is at version {}, above {}: tandem never migrates down", *from, to));
  }
  auto applied = store.migrate(to);
  if (!applied) return applied.status();
  return Json{{"backend", std::string(store.backend())},
              {"from", *from},
              {"to", to},
              {"applied", *applied}};
}

Result<Json> dbStatus(Store& store) {
  auto version = store.schemaVersion();
  if (!version) return version.status();
  Status check = store.checkSchema();
  if (!check && isUnavailable(check)) return check;
  std::string state = "ok";
  if (!check) {
    state = *version == 0               ? "no schema"
            : *version < kSchemaVersion ? "needs migration"
                                        : "newer than this binary";
  }
  Json out{{"backend", std::string(store.backend())},
           {"url", store.description()},
           {"schema_version", *version},
           {"binary_schema_version", kSchemaVersion},
           {"state", state}};
  if (!check) out["message"] = check.message();
  return out;
}

}  // namespace tandem::store::provision
