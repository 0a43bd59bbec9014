// The linter: objects are built the way Asterisk builds them (templates copied, wizards expanded)
// and then checked one concern at a time; every finding says where, why, and what to write.
#include "pjsip/lint.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <set>

#include "core/text.h"
#include "pjsip/options.h"

namespace tandem::pjsip {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::vector<std::string> splitCommas(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    size_t comma = s.find(',');
    std::string_view item = trimBlanks(s.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

bool isTrue(std::string_view v) {
  std::string s = lower(v);
  return s == "yes" || s == "true" || s == "y" || s == "t" || s == "1" || s == "on";
}

// ---- reading objects ---------------------------------------------------------------------------

void checkUnknownOptions(const std::string& type, const std::string& id,
                         const std::vector<LintOption>& options, const std::string& prefix,
                         std::vector<Finding>& out) {
  for (const LintOption& o : options) {
    if (o.key == "type") continue;
    if (isKnownOption(type, o.key)) continue;
    Finding f;
    f.code = "unknown-option";
    f.severity = Severity::kError;
    f.object = type + " " + id;
    f.where = o.where;
    f.message = "unknown option \"" + prefix + o.key + "\": Asterisk refuses to create the " + type;
    std::string close = closestOption(type, o.key);
    f.fix = close.empty() ? "remove it" : "use \"" + prefix + close + "\"";
    out.push_back(std::move(f));
  }
}

std::vector<LintOption> toOptions(const std::vector<Entry>& entries) {
  std::vector<LintOption> out;
  for (const Entry& e : entries) out.push_back({e.key, e.value, e.where});
  return out;
}

// Expands one type=wizard section the way res_pjsip_config_wizard does.
void expandWizard(const Section& s, LintInput& input) {
  std::vector<LintOption> all = toOptions(s.entries);
  checkUnknownOptions("wizard", s.name, all, "", input.findings);
  auto last = [&](std::string_view key) -> const LintOption* {
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->key == key) return &*it;
    }
    return nullptr;
  };
  auto flag = [&](std::string_view key) {
    const LintOption* o = last(key);
    return o != nullptr && isTrue(o->value);
  };
  auto prefixed = [&](std::string_view prefix) {
    std::vector<LintOption> out;
    for (const LintOption& o : all) {
      if (o.key.size() > prefix.size() && o.key.compare(0, prefix.size(), prefix) == 0 &&
          o.key[prefix.size()] == '/') {
        out.push_back({o.key.substr(prefix.size() + 1), o.value, o.where});
      }
    }
    return out;
  };
  auto has = [](const std::vector<LintOption>& opts, std::string_view key) {
    return std::any_of(opts.begin(), opts.end(), [&](const LintOption& o) { return o.key == key; });
  };
  const std::string& id = s.name;
  SourceRef at = s.where;
  bool acceptsReg = flag("accepts_registrations");
  bool acceptsAuth = flag("accepts_auth");
  bool sendsAuth = flag("sends_auth");
  bool sendsReg = flag("sends_registrations");
  bool lineWithReg = flag("sends_line_with_registrations");
  std::vector<std::string> hosts;
  SourceRef hostsAt = at;
  if (const LintOption* rh = last("remote_hosts")) {
    hosts = splitCommas(rh->value);
    hostsAt = rh->where;
  }
  const LintOption* transport = last("transport");
  const LintOption* proxy = last("outbound_proxy");

  LintObject ep{id, "endpoint", at, id, prefixed("endpoint")};
  LintObject aor{id, "aor", at, id, prefixed("aor")};
  if (!has(ep.options, "aors")) ep.options.push_back({"aors", id, at});
  if (acceptsAuth && !has(ep.options, "auth")) ep.options.push_back({"auth", id + "-iauth", at});
  if (sendsAuth && !has(ep.options, "outbound_auth")) {
    ep.options.push_back({"outbound_auth", id + "-oauth", at});
  }
  if (transport != nullptr) ep.options.push_back({"transport", transport->value, transport->where});
  if (proxy != nullptr) {
    ep.options.push_back({"outbound_proxy", proxy->value, proxy->where});
    aor.options.push_back({"outbound_proxy", proxy->value, proxy->where});
  }
  auto hostOnly = [](const std::string& h) {
    if (!h.empty() && h.front() == '[') return h.substr(1, h.find(']') - 1);
    size_t colon = h.find(':');
    if (colon != std::string::npos && h.find(':', colon + 1) == std::string::npos) {
      return h.substr(0, colon);
    }
    return h;
  };
  std::string contactPattern =
      last("contact_pattern") ? last("contact_pattern")->value : "sip:${REMOTE_HOST}";
  if (!has(aor.options, "contact")) {
    for (const std::string& h : hosts) {
      std::string c = contactPattern;
      if (size_t p = c.find("${REMOTE_HOST}"); p != std::string::npos) c.replace(p, 14, h);
      aor.options.push_back({"contact", c, hostsAt});
    }
  }
  input.objects.push_back(std::move(ep));
  input.objects.push_back(std::move(aor));
  std::string outUser;
  if (acceptsAuth) {
    LintObject a{id + "-iauth", "auth", at, id, prefixed("inbound_auth")};
    if (!has(a.options, "username")) {
      input.findings.push_back({"wizard-auth", Severity::kError, "wizard " + id, at,
                                "accepts_auth=yes without inbound_auth/username: the wizard "
                                "creates no inbound auth",
                                "add inbound_auth/username and inbound_auth/password"});
    }
    input.objects.push_back(std::move(a));
  }
  if (sendsAuth) {
    LintObject a{id + "-oauth", "auth", at, id, prefixed("outbound_auth")};
    for (const LintOption& o : a.options) {
      if (o.key == "username") outUser = o.value;
    }
    input.objects.push_back(std::move(a));
  }
  std::vector<LintOption> ident = prefixed("identify");
  if (!hosts.empty() && !acceptsReg && !lineWithReg) {
    LintObject i{id + "-identify", "identify", at, id, ident};
    i.options.push_back({"endpoint", id, at});
    if (!has(ident, "match")) {
      for (const std::string& h : hosts) i.options.push_back({"match", hostOnly(h), hostsAt});
    }
    input.objects.push_back(std::move(i));
  }
  if (sendsReg) {
    if (hosts.empty()) {
      input.findings.push_back({"wizard-registration", Severity::kError, "wizard " + id, at,
                                "sends_registrations=yes without remote_hosts: no registration "
                                "is created",
                                "add remote_hosts=<provider host>"});
    }
    std::string serverPattern =
        last("server_uri_pattern") ? last("server_uri_pattern")->value : "sip:${REMOTE_HOST}";
    std::string clientPattern = last("client_uri_pattern") ? last("client_uri_pattern")->value
                                                           : "sip:${USERNAME}@${REMOTE_HOST}";
    for (size_t n = 0; n < hosts.size(); ++n) {
      auto expand = [&](std::string p) {
        if (size_t at2 = p.find("${REMOTE_HOST}"); at2 != std::string::npos) {
          p.replace(at2, 14, hosts[n]);
        }
        if (size_t at2 = p.find("${USERNAME}"); at2 != std::string::npos)
          p.replace(at2, 11, outUser);
        return p;
      };
      LintObject r{id + "-reg-" + std::to_string(n), "registration", at, id,
                   prefixed("registration")};
      if (!has(r.options, "server_uri"))
        r.options.push_back({"server_uri", expand(serverPattern), hostsAt});
      if (!has(r.options, "client_uri"))
        r.options.push_back({"client_uri", expand(clientPattern), hostsAt});
      if (sendsAuth) r.options.push_back({"outbound_auth", id + "-oauth", at});
      if (transport != nullptr)
        r.options.push_back({"transport", transport->value, transport->where});
      if (lineWithReg) {
        r.options.push_back({"line", "yes", at});
        r.options.push_back({"endpoint", id, at});
      }
      input.objects.push_back(std::move(r));
    }
  }
}

// ---- addresses ---------------------------------------------------------------------------------

struct Network {
  int family = 0;  // AF_INET or AF_INET6
  std::array<unsigned char, 16> bytes{};
  int prefix = 0;
};

bool parseNetwork(std::string_view text, Network& n) {
  std::string s(trimBlanks(text));
  std::string mask;
  if (size_t slash = s.find('/'); slash != std::string::npos) {
    mask = s.substr(slash + 1);
    s.resize(slash);
  }
  if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (inet_pton(AF_INET, s.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET;
    n.prefix = 32;
  } else if (inet_pton(AF_INET6, s.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET6;
    n.prefix = 128;
  } else {
    return false;
  }
  if (!mask.empty()) {
    if (mask.find('.') != std::string::npos && n.family == AF_INET) {
      // A dotted mask: count its leading one bits.
      std::array<unsigned char, 4> m{};
      if (inet_pton(AF_INET, mask.c_str(), m.data()) != 1) return false;
      int bits = 0;
      for (unsigned char b : m) {
        for (int i = 7; i >= 0 && (b >> i) & 1; --i) ++bits;
        if (b != 0xff) break;
      }
      n.prefix = bits;
    } else {
      int p = 0;
      for (char c : mask) {
        if (c < '0' || c > '9') return false;
        p = p * 10 + (c - '0');
      }
      if (p > n.prefix) return false;
      n.prefix = p;
    }
  }
  return true;
}

// True when every address of b is in a.
bool covers(const Network& a, const Network& b) {
  if (a.family != b.family || a.prefix > b.prefix) return false;
  for (int bit = 0; bit < a.prefix; ++bit) {
    int byte = bit / 8;
    int shift = 7 - bit % 8;
    if (((a.bytes[byte] >> shift) & 1) != ((b.bytes[byte] >> shift) & 1)) return false;
  }
  return true;
}

bool isPrivate(const std::string& host) {
  Network n;
  if (!parseNetwork(host, n) || n.family != AF_INET) return false;
  static const char* const kPrivate[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"};
  for (const char* p : kPrivate) {
    Network net;
    parseNetwork(p, net);
    if (covers(net, n)) return true;
  }
  return false;
}

// ---- checks
// --------------------------------------------------------------------------------------

class Linter {
 public:
  Linter(const LintInput& input, const LintOptions& options) : in_(input), options_(options) {}

  std::vector<Finding> run() {
    out_ = in_.findings;
    index();
    checkOptions();
    checkReferences();
    checkTransports();
    checkEndpoints();
    checkAors();
    checkAcls();
    checkIdentifies();
    checkRegistrations();
    checkAuths();
    std::stable_sort(out_.begin(), out_.end(), [](const Finding& a, const Finding& b) {
      if (a.where.file != b.where.file) return a.where.file < b.where.file;
      return a.where.line < b.where.line;
    });
    return std::move(out_);
  }

 private:
  void add(std::string code, Severity sev, const LintObject& o, SourceRef where,
           std::string message, std::string fix) {
    out_.push_back({std::move(code), sev, o.type + " " + o.id, std::move(where), std::move(message),
                    std::move(fix)});
  }
  // The key to write: the wizard pass-through name when the object comes from a wizard.
  static std::string keyFor(const LintObject& o, const std::string& key) {
    if (o.wizard.empty()) return key;
    if (o.type == "auth")
      return (o.id.size() > 6 && o.id.substr(o.id.size() - 6) == "-iauth" ? "inbound_auth/"
                                                                          : "outbound_auth/") +
             key;
    return o.type + "/" + key;
  }
  // Where a missing option belongs: the object, or the wizard section generating it.
  static SourceRef whereFor(const LintObject& o) { return o.where; }

  const LintObject* find(const std::string& type, const std::string& id) const {
    auto t = byType_.find(type);
    if (t == byType_.end()) return nullptr;
    auto it = t->second.find(id);
    return it == t->second.end() ? nullptr : it->second;
  }
  const LintObject* findAny(const std::string& id) const {
    for (const LintObject& o : in_.objects) {
      if (o.id == id) return &o;
    }
    return nullptr;
  }

  void index() {
    for (const LintObject& o : in_.objects) {
      if (o.type.empty()) continue;
      auto& ids = byType_[o.type];
      if (ids.count(o.id) > 0) {
        const LintObject* first = ids[o.id];
        add("duplicate-id", Severity::kError, o, o.where,
            "a second " + o.type + " named \"" + o.id + "\" (first at " + first->where.toString() +
                "): Asterisk rejects the whole file",
            "rename one of them");
        continue;
      }
      ids[o.id] = &o;
    }
  }

  void checkOptions() {
    std::set<std::string> seen;
    for (const LintObject& o : in_.objects) {
      if (o.type.empty()) {
        add("missing-type", Severity::kError, o, o.where,
            "no type=: Asterisk does not know what to create",
            "add type=endpoint, aor, auth, identify, registration or transport");
        continue;
      }
      if (!isKnownType(o.type)) {
        add("unknown-type", Severity::kError, o, o.where, "unknown type \"" + o.type + "\"",
            "use one of endpoint, aor, auth, identify, registration, transport, global, system, "
            "acl, contact, domain_alias");
        continue;
      }
      std::vector<Finding> found;
      checkUnknownOptions(o.type, o.id, o.options, o.wizard.empty() ? "" : keyFor(o, ""), found);
      for (Finding& f : found) {
        // A template line is seen once per object using it: report it once.
        if (seen.insert(f.where.toString() + "\n" + f.message).second) out_.push_back(f);
      }
    }
  }

  void checkReference(const LintObject& o, const std::string& key, const std::string& type) {
    const LintOption* opt = o.get(key);
    if (opt == nullptr) return;
    for (const std::string& id : splitCommas(opt->value)) {
      if (find(type, id) != nullptr) continue;
      const LintObject* other = findAny(id);
      std::string why = other != nullptr ? "\"" + id + "\" is a " + other->type + ", not an " + type
                                         : "no " + type + " named \"" + id + "\"";
      add("dangling-ref", Severity::kError, o, opt->where,
          keyFor(o, key) + "=" + opt->value + ": " + why,
          "define [" + id + "] with type=" + type + ", or fix the name");
    }
  }

  void checkReferences() {
    for (const LintObject& o : in_.objects) {
      if (o.type == "endpoint") {
        checkReference(o, "aors", "aor");
        checkReference(o, "auth", "auth");
        checkReference(o, "outbound_auth", "auth");
        checkReference(o, "transport", "transport");
      } else if (o.type == "identify") {
        checkReference(o, "endpoint", "endpoint");
        if (o.get("endpoint") == nullptr) {
          add("dangling-ref", Severity::kError, o, o.where,
              "identify without endpoint=", "endpoint=<the endpoint these addresses belong to>");
        }
      } else if (o.type == "registration") {
        checkReference(o, "outbound_auth", "auth");
        checkReference(o, "transport", "transport");
        checkReference(o, "endpoint", "endpoint");
      } else if (o.type == "aor") {
        checkReference(o, "outbound_auth", "auth");
      }
    }
  }

  void checkTransports() {
    std::vector<std::pair<BindAddress, const LintObject*>> binds;
    bool any = false;
    for (const LintObject& o : in_.objects) {
      if (o.type != "transport") continue;
      any = true;
      const LintOption* bind = o.get("bind");
      std::string protocol = lower(o.value("protocol"));
      if (protocol.empty()) protocol = "udp";
      if (bind == nullptr) {
        add("transport-bind", Severity::kError, o, o.where,
            "transport without bind=: it does not start", "bind=0.0.0.0:5160");
        continue;
      }
      int defaultPort = protocol == "tls" ? 5061 : 5060;
      auto b = parseBindAddress(bind->value, protocol, defaultPort);
      if (!b) {
        add("transport-bind", Severity::kError, o, bind->where,
            "bind=" + bind->value + ": " + b.message(), "bind=<address>:<port>");
        continue;
      }
      for (const BindAddress& chan : options_.chanSipBinds) {
        if (bindsOverlap(*b, chan)) {
          BindAddress moved = *b;
          moved.port = 5160 + (protocol == "tls" ? 1 : 0);
          std::string host =
              moved.host.find(':') != std::string::npos ? "[" + moved.host + "]" : moved.host;
          add("bind-conflict", Severity::kError, o, bind->where,
              "binds " + b->toString() + ", where chan_sip listens (" + chan.toString() +
                  "): whichever starts second cannot bind",
              "bind=" + host + ":" + std::to_string(moved.port) +
                  " while both stacks run (the dual-stack port); move to " +
                  std::to_string(b->port) + " once chan_sip is unloaded");
          break;
        }
      }
      for (const auto& [other, obj] : binds) {
        if (bindsOverlap(*b, other)) {
          add("bind-conflict", Severity::kError, o, bind->where,
              "binds " + b->toString() + ", as transport " + obj->id + " does",
              "give each transport its own port");
        }
      }
      binds.emplace_back(*b, &o);
      bool local = o.get("local_net") != nullptr;
      bool external = o.get("external_media_address") != nullptr ||
                      o.get("external_signaling_address") != nullptr;
      if (external && !local) {
        add("nat-transport", Severity::kWarning, o, o.where,
            "external addresses without local_net: phones on the LAN are sent the public "
            "address too",
            "local_net=<your LAN, e.g. 192.168.0.0/16>");
      } else if (local && !external) {
        add("nat-transport", Severity::kWarning, o, o.where,
            "local_net without external_media_address: it changes nothing, and a NATed "
            "Asterisk advertises its private address (one-way audio)",
            "external_media_address=<public IP> and external_signaling_address=<public IP>");
      } else if (!local && !external && natPhones() && isPrivate(b->host)) {
        add("nat-transport", Severity::kWarning, o, o.where,
            "Asterisk binds a private address and serves NATed phones, but the transport has no "
            "external_media_address: SDP carries the private address (one-way audio)",
            "external_media_address, external_signaling_address and local_net");
      }
    }
    bool hasObjects = std::any_of(in_.objects.begin(), in_.objects.end(), [](const LintObject& o) {
      return o.type == "endpoint" || o.type == "registration";
    });
    if (!any && hasObjects) {
      SourceRef where = in_.objects.empty() ? SourceRef{} : in_.objects.front().where;
      out_.push_back({"no-transport", Severity::kError, "configuration", where,
                      "no transport: Asterisk neither listens nor sends",
                      "add [transport-udp] with type=transport, protocol=udp, "
                      "bind=0.0.0.0:5160"});
    }
  }

  bool natPhones() const {
    for (const LintObject& o : in_.objects) {
      if (o.type == "endpoint" &&
          (isTrue(o.value("rtp_symmetric")) || isTrue(o.value("rewrite_contact")))) {
        return true;
      }
    }
    return false;
  }

  bool natDeployment() const {
    if (natPhones()) return true;
    for (const LintObject& o : in_.objects) {
      if (o.type == "transport" && (o.get("local_net") || o.get("external_media_address") ||
                                    o.get("external_signaling_address"))) {
        return true;
      }
    }
    return false;
  }

  bool acceptsRegistrations(const LintObject& ep) const {
    for (const std::string& id : ep.list("aors")) {
      const LintObject* aor = find("aor", id);
      if (aor == nullptr) continue;
      std::string n = aor->value("max_contacts");
      if (!n.empty() && n != "0") return true;
    }
    return false;
  }

  void checkEndpoints() {
    bool nat = natDeployment();
    for (const LintObject& ep : in_.objects) {
      if (ep.type != "endpoint") continue;
      const LintOption* byOpt = ep.get("identify_by");
      std::vector<std::string> by = byOpt != nullptr ? splitCommas(lower(byOpt->value))
                                                     : std::vector<std::string>{"username", "ip"};
      auto byHas = [&](const char* m) { return std::find(by.begin(), by.end(), m) != by.end(); };
      bool byName = byHas("username") || byHas("auth_username");
      SourceRef byWhere = byOpt != nullptr ? byOpt->where : ep.where;
      bool identified = false;
      for (const LintObject& o : in_.objects) {
        if (o.type == "identify" && o.value("endpoint") == ep.id) identified = true;
      }
      bool lined = false;
      for (const LintObject& o : in_.objects) {
        if (o.type == "registration" && o.value("endpoint") == ep.id && isTrue(o.value("line"))) {
          lined = true;
        }
      }
      bool registers = acceptsRegistrations(ep);
      bool hasAuth = !ep.value("auth").empty();
      std::string byKey = keyFor(ep, "identify_by");

      if (registers && !byName) {
        add("identify-by", Severity::kError, ep, byWhere,
            "accepts registrations but identify_by=" + (byOpt ? byOpt->value : "") +
                ": a registering phone's calls are matched by name, so they go unidentified",
            byKey + "=username");
      }
      if (identified && !byHas("ip")) {
        add("identify-by", Severity::kError, ep, byWhere,
            "an identify object matches this endpoint's addresses, but identify_by=" +
                (byOpt ? byOpt->value : "") + " never consults it",
            byKey + "=ip" + (hasAuth ? ",username" : ""));
      }
      if (byOpt != nullptr && byHas("ip") && !byName && !identified && !lined) {
        add("identify-by", Severity::kWarning, ep, byWhere,
            "identify_by=ip but no identify object names this endpoint: nothing can reach it",
            "add [" + ep.id + "] with type=identify, endpoint=" + ep.id + ", match=<address>");
      }
      if (!hasAuth && byName) {
        if (registers) {
          add("open-endpoint", Severity::kError, ep, ep.where,
              "accepts registrations without auth: anyone can register as " + ep.id +
                  " and take its calls",
              keyFor(ep, "auth") + "=<an auth object with a password>");
        } else {
          add("open-endpoint", Severity::kError, ep, byWhere,
              "no auth, and identify_by" +
                  std::string(byOpt ? "=" + byOpt->value : " (default username,ip)") +
                  " lets anyone who sends From: " + ep.id + " call as this endpoint",
              identified ? byKey + "=ip (an IP trunk)" : keyFor(ep, "auth") + "=<an auth object>");
        }
      }
      if (registers && nat) {
        std::vector<std::string> missing;
        if (!isTrue(ep.value("rtp_symmetric"))) missing.push_back("rtp_symmetric=yes");
        if (lower(ep.value("force_rport")) == "no") missing.push_back("force_rport=yes");
        if (!isTrue(ep.value("rewrite_contact"))) missing.push_back("rewrite_contact=yes");
        if (!missing.empty()) {
          std::string fix;
          for (const std::string& m : missing) {
            fix += (fix.empty() ? "" : ", ") + (ep.wizard.empty() ? m : "endpoint/" + m);
          }
          add("nat-endpoint", Severity::kWarning, ep, ep.where,
              "a registering phone in a NAT deployment without " + fix +
                  ": one-way audio and calls sent to a private contact address",
              fix);
        }
      }
      checkEndpointAcl(ep);
    }
  }

  void checkEndpointAcl(const LintObject& ep) {
    for (const std::string& name : ep.list("acl")) {
      if (find("acl", name) != nullptr) {
        add("acl-unlinked", Severity::kError, ep, ep.get("acl")->where,
            "acl=" + name +
                " names a pjsip.conf acl object, but an endpoint's acl= takes "
                "acl.conf sections: this endpoint has no ACL",
            "permit=/deny= on the endpoint, or define [" + name + "] in acl.conf");
      }
    }
  }

  void checkAors() {
    std::set<std::string> used;
    for (const LintObject& o : in_.objects) {
      if (o.type == "endpoint") {
        for (const std::string& id : o.list("aors")) used.insert(id);
      }
    }
    for (const LintObject& aor : in_.objects) {
      if (aor.type != "aor" || used.count(aor.id) == 0) continue;
      std::string n = aor.value("max_contacts");
      if (aor.get("contact") == nullptr && (n.empty() || n == "0")) {
        add("max-contacts", Severity::kError, aor, aor.where,
            "no contact and max_contacts=0: registrations are refused (403) and there is "
            "nothing to call",
            keyFor(aor, "max_contacts") + "=1 for a phone that registers, or " +
                keyFor(aor, "contact") + "=sip:<host> for a fixed peer");
      }
    }
  }

  void checkAcls() {
    for (const LintObject& acl : in_.objects) {
      if (acl.type != "acl") continue;
      const LintObject* meant = nullptr;
      for (const LintObject& ep : in_.objects) {
        if (ep.type != "endpoint") continue;
        if (acl.id == ep.id || acl.id.rfind(ep.id + "-", 0) == 0 ||
            acl.id.rfind(ep.id + "_", 0) == 0) {
          meant = &ep;
        }
      }
      if (meant != nullptr && meant->get("permit") == nullptr && meant->get("deny") == nullptr &&
          meant->get("acl") == nullptr) {
        add("acl-unlinked", Severity::kWarning, *meant, acl.where,
            "acl [" + acl.id + "] looks meant for endpoint " + meant->id +
                ", but pjsip.conf acl objects are global: the endpoint itself takes calls from "
                "any address",
            "move its permit=/deny= lines onto endpoint " + meant->id);
      } else {
        add("global-acl", Severity::kWarning, acl, acl.where,
            "an acl object applies to every inbound SIP request, not to one endpoint "
            "(sip_to_pjsip.py merges every peer's permit/deny into one)",
            "put permit=/deny= on the endpoints that need them; keep global rules deliberate");
      }
    }
  }

  void checkIdentifies() {
    struct Match {
      const LintObject* identify;
      std::string endpoint;
      std::string text;
      SourceRef where;
      Network net;
      bool isNetwork;
    };
    std::vector<Match> matches;
    for (const LintObject& o : in_.objects) {
      if (o.type != "identify") continue;
      for (const LintOption& opt : o.options) {
        if (opt.key != "match") continue;
        for (const std::string& m : splitCommas(opt.value)) {
          Match x{&o, o.value("endpoint"), m, opt.where, {}, false};
          x.isNetwork = parseNetwork(m, x.net);
          matches.push_back(x);
        }
      }
    }
    for (size_t i = 0; i < matches.size(); ++i) {
      for (size_t j = 0; j < matches.size(); ++j) {
        const Match& a = matches[i];
        const Match& b = matches[j];
        if (i == j || a.endpoint == b.endpoint) continue;
        bool same = a.isNetwork && b.isNetwork
                        ? covers(a.net, b.net) && covers(b.net, a.net)
                        : !a.isNetwork && !b.isNetwork && lower(a.text) == lower(b.text);
        if (same) {
          if (i < j) {
            add("identify-overlap", Severity::kError, *b.identify, b.where,
                "match " + b.text + " is also matched by identify " + a.identify->id +
                    " (endpoint " + a.endpoint + "): which endpoint gets the call is undefined",
                "keep the address on one endpoint only");
          }
        } else if (a.isNetwork && b.isNetwork && covers(a.net, b.net)) {
          add("identify-overlap", Severity::kWarning, *a.identify, a.where,
              "match " + a.text + " (endpoint " + a.endpoint + ") covers " + b.text +
                  " of identify " + b.identify->id + " (endpoint " + b.endpoint + "): calls from " +
                  b.text + " may be taken for " + a.endpoint,
              "narrow " + a.text + " so it excludes " + b.text);
        }
      }
    }
  }

  void checkRegistrations() {
    for (const LintObject& r : in_.objects) {
      if (r.type != "registration") continue;
      if (r.get("server_uri") == nullptr || r.get("client_uri") == nullptr) {
        add("registration-uri", Severity::kError, r, r.where,
            "registration without server_uri or client_uri: it is not created",
            "server_uri=sip:<provider> and client_uri=sip:<user>@<provider>");
      }
      if (r.get("endpoint") == nullptr || !isTrue(r.value("line"))) {
        add("registration-unlinked", Severity::kWarning, r, r.where,
            "calls arriving on this registration are matched only by their source address",
            keyFor(r, "line") + "=yes and " + keyFor(r, "endpoint") + "=<the trunk endpoint>");
      }
    }
  }

  void checkAuths() {
    for (const LintObject& a : in_.objects) {
      if (a.type != "auth") continue;
      std::string t = lower(a.value("auth_type"));
      bool md5 = t == "md5";
      if (md5 ? a.get("md5_cred") == nullptr
              : (a.get("password") == nullptr && a.get("password_digest") == nullptr &&
                 t != "google_oauth")) {
        add("auth-incomplete", Severity::kError, a, a.where,
            md5 ? "auth_type=md5 without md5_cred" : "auth without password",
            keyFor(a, md5 ? "md5_cred" : "password") + "=<secret>");
      }
      if (a.get("username") == nullptr) {
        add("auth-incomplete", Severity::kError, a, a.where, "auth without username",
            keyFor(a, "username") + "=<user>");
      }
    }
  }

  const LintInput& in_;
  const LintOptions& options_;
  std::vector<Finding> out_;
  std::map<std::string, std::map<std::string, const LintObject*>> byType_;
};

}  // namespace

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
  }
  return "";
}

std::string Finding::toString() const {
  return where.toString() + ": " + severityName(severity) + " [" + code + "] " + object + ": " +
         message + (fix.empty() ? "" : "; fix: " + fix);
}

const LintOption* LintObject::get(std::string_view key) const {
  for (auto it = options.rbegin(); it != options.rend(); ++it) {
    if (it->key == key) return &*it;
  }
  return nullptr;
}

std::string LintObject::value(std::string_view key) const {
  const LintOption* o = get(key);
  return o == nullptr ? std::string() : o->value;
}

std::vector<std::string> LintObject::list(std::string_view key) const {
  std::vector<std::string> out;
  for (const LintOption& o : options) {
    if (o.key != key) continue;
    for (std::string& s : splitCommas(o.value)) out.push_back(std::move(s));
  }
  return out;
}

void addConfigObjects(const Config& config, LintInput& input) {
  for (const Section& s : config.sections) {
    const Entry* typeEntry = s.last("type");
    std::string type = typeEntry != nullptr ? lower(typeEntry->value) : "";
    if (s.isTemplate) {
      // Checked through the objects using it, and on its own when it names its type.
      if (!type.empty() && type != "wizard" && isKnownType(type)) {
        LintObject t{s.name, type, s.where, "", toOptions(s.own)};
        std::vector<Finding> found;
        checkUnknownOptions(type, s.name, t.options, "", found);
        for (Finding& f : found) input.findings.push_back(std::move(f));
      }
      continue;
    }
    if (type == "wizard") {
      expandWizard(s, input);
      continue;
    }
    LintObject o{s.name, type, s.where, "", {}};
    for (const Entry& e : s.entries) {
      if (e.key != "type") o.options.push_back({e.key, e.value, e.where});
    }
    input.objects.push_back(std::move(o));
  }
}

void addRealtimeObjects(const PjDocument& doc, const std::string& sqlFile, const RowLines& rows,
                        LintInput& input) {
  for (const PjObject& o : doc.objects) {
    if (o.isTemplate) continue;
    auto it = rows.find({o.type, o.id});
    if (it == rows.end()) continue;
    SourceRef where{sqlFile, it->second};
    LintObject lo{o.id, o.type, where, "", {}};
    OptionList resolved = resolveOptions(doc, o);
    for (const Option& opt : resolved.items()) {
      lo.options.push_back({opt.key, opt.value, where});
    }
    input.objects.push_back(std::move(lo));
  }
}

std::vector<Finding> lint(const LintInput& input, const LintOptions& options) {
  std::vector<Finding> all = Linter(input, options).run();
  // A template line is seen on the template and on every object using it: keep the first
  // finding per line and message.
  std::vector<Finding> out;
  std::set<std::string> seen;
  for (Finding& f : all) {
    if (seen.insert(f.code + "\n" + f.where.toString() + "\n" + f.message).second) {
      out.push_back(std::move(f));
    }
  }
  return out;
}

bool hasErrors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Severity::kError; });
}

}  // namespace tandem::pjsip
