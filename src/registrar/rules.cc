// Reading and checking one REGISTER (RFC 3261 §10.3, RFC 3327, RFC 5626) without the table.
// Reason phrases are precise; the Kamailio P-Registrar-Error text rides along for operators.
#include "registrar/rules.h"

#include <limits>

#include "core/text.h"

namespace tandem::registrar::rules {

namespace {

Rejection bad(std::string reason, std::string_view info) {
  return Rejection{400, std::move(reason), info};
}

bool allDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Decimal digits to uint32, saturating: an absurd expiry is still a long one, clamped later.
uint32_t saturatingU32(std::string_view digits) {
  uint64_t v = 0;
  for (char c : digits) {
    v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > std::numeric_limits<uint32_t>::max()) return std::numeric_limits<uint32_t>::max();
  }
  return static_cast<uint32_t>(v);
}

std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// Kamailio's method bits (parser/msg_parser.h request_method).
struct MethodBit {
  std::string_view name;
  int64_t bit;
};
constexpr MethodBit kMethodBits[] = {
    {"INVITE", 1},    {"CANCEL", 2},     {"ACK", 4},      {"BYE", 8},         {"INFO", 16},
    {"REGISTER", 32}, {"SUBSCRIBE", 64}, {"NOTIFY", 128}, {"MESSAGE", 256},   {"OPTIONS", 512},
    {"PRACK", 1024},  {"UPDATE", 2048},  {"REFER", 4096}, {"PUBLISH", 8192},  {"KDMQ", 16384},
    {"GET", 32768},   {"POST", 65536},   {"PUT", 131072}, {"DELETE", 262144},
};
constexpr int64_t kMethodOther = 524288;

}  // namespace

std::optional<int> parseQ(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  const int whole = text[0] - '0';
  if (text.size() == 1) return whole * 1000;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  int frac = 0;
  int scale = 100;
  for (size_t i = 2; i < text.size(); ++i, scale /= 10) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (whole == 1 && c != '0') return std::nullopt;
    frac += (c - '0') * scale;
  }
  return whole * 1000 + frac;
}

std::string formatQ(int qMilli) {
  if (qMilli >= 1000) return "1";
  if (qMilli <= 0) return "0";
  std::string s = "0.";
  s += static_cast<char>('0' + qMilli / 100);
  s += static_cast<char>('0' + qMilli / 10 % 10);
  s += static_cast<char>('0' + qMilli % 10);
  while (s.back() == '0') s.pop_back();
  return s;
}

std::optional<Rejection> contactExpires(const sip::NameAddr& contact,
                                        std::optional<uint32_t> headerExpires,
                                        const RegistrarOptions& options, uint32_t* out) {
  uint32_t e = options.defaultExpires;
  if (auto p = contact.params.get("expires")) {
    if (!allDigits(*p)) {
      return bad("Bad Request - Invalid Contact Expires", "Invalid expires param in contact");
    }
    e = saturatingU32(*p);
  } else if (headerExpires) {
    e = *headerExpires;
  }
  if (e != 0 && options.minExpires != 0 && e < options.minExpires) {
    return Rejection{423, "Interval Too Brief", "Interval too brief"};
  }
  if (options.maxExpires != 0 && e > options.maxExpires) e = options.maxExpires;
  *out = e;
  return std::nullopt;
}

std::string receivedFor(const sip::Uri& contact, const SocketAddress& source, Transport transport) {
  if (!source.valid() || !contact.isSip()) return {};
  uint16_t port = contact.port;
  if (!contact.hasPort) {
    auto t = contact.param("transport");
    bool tls = contact.scheme == sip::UriScheme::kSips || (t && equalsIgnoreCase(*t, "tls"));
    port = tls ? 5061 : 5060;
  }
  auto addr = SocketAddress::fromHostPort(contact.host, port);
  if (addr && *addr == source) return {};
  std::string r = "sip:" + source.uriHost() + ":" + std::to_string(source.port());
  if (transport == Transport::kTcp) r += ";transport=tcp";
  return r;
}

int64_t methodsFromAllow(const sip::Message& msg) {
  if (msg.headerCount(sip::HeaderId::kAllow) == 0) return -1;
  int64_t mask = 0;
  for (std::string_view token : msg.values(sip::HeaderId::kAllow)) {
    int64_t bit = kMethodOther;
    for (const MethodBit& m : kMethodBits) {
      if (equalsIgnoreCase(token, m.name)) {
        bit = m.bit;
        break;
      }
    }
    mask |= bit;
  }
  return mask;
}

bool supportsPath(const sip::Message& msg) {
  for (std::string_view tag : msg.values(sip::HeaderId::kSupported)) {
    if (equalsIgnoreCase(tag, "path")) return true;
  }
  return false;
}

std::optional<Rejection> planRegister(const sip::Message& msg, const RegistrarOptions& options,
                                      const RegisterContext& ctx, RegisterPlan* plan) {
  if (!msg.ok()) {
    const sip::ParseResult& r = msg.result();
    return Rejection{r.status, std::string(r.reason), "Message parse error"};
  }
  if (!msg.isRequest() || msg.method() != sip::Method::kRegister) {
    return bad("Bad Request - Not A REGISTER", "Message parse error");
  }

  // RFC 3261 §10.3 step 5: the AoR is the To URI, reduced to user@host.
  const sip::NameAddr* to = msg.to();
  if (to == nullptr) return bad("Bad Request - Missing To", "To header not found");
  if (!to->uri.isSip()) {
    return bad("Bad Request - To URI Is Not sip: Or sips:", "Error while parsing AOR");
  }
  if (to->uri.user.empty()) return bad("Bad Request - No User In To URI", "No username in To URI");
  plan->user.clear();
  sip::appendUnescaped(to->uri.user, plan->user);
  plan->domain.clear();
  for (char c : to->uri.host) plan->domain += asciiLower(c);
  if (plan->user.size() > kMaxUser || plan->domain.size() > kMaxDomain) {
    return bad("Bad Request - Address Of Record Too Long", "Address Of Record too long");
  }

  plan->callId = msg.callId();
  if (plan->callId.empty()) return bad("Bad Request - Missing Call-ID", "Call-ID header not found");
  if (plan->callId.size() > kMaxCallId) {
    return bad("Bad Request - Call-ID Too Long", "Callid too long");
  }
  if (msg.cseq() == nullptr) return bad("Bad Request - Missing CSeq", "CSeq header not found");
  plan->cseq = msg.cseq()->number;

  plan->path.clear();
  for (std::string_view value : msg.values(sip::HeaderId::kPath)) {
    sip::NameAddr hop;
    if (!sip::parseNameAddr(value, &hop)) {
      return bad("Bad Request - Malformed Path", "Path parse error");
    }
    if (!plan->path.empty()) plan->path += ',';
    plan->path += value;
  }
  if (plan->path.size() > kMaxPath) return bad("Bad Request - Path Too Long", "Path parse error");
  plan->pathSupported = supportsPath(msg);

  plan->userAgent = msg.headerValue(sip::HeaderId::kUserAgent).value_or(std::string_view());
  if (plan->userAgent.size() > kMaxUserAgent)
    plan->userAgent = plan->userAgent.substr(0, kMaxUserAgent);
  plan->methods = methodsFromAllow(msg);

  plan->contacts.clear();
  plan->star = msg.contactIsStar();
  if (plan->star) {
    // §10.3 step 6: "*" only alone and only with Expires: 0.
    if (!msg.contacts().empty()) {
      return bad("Bad Request - Contact * With Other Contacts",
                 "* used in contact and more than 1 contact");
    }
    if (!msg.expires() || *msg.expires() != 0) {
      return bad("Bad Request - Contact * Requires Expires: 0",
                 "* used in contact and expires is not zero");
    }
    return std::nullopt;
  }

  for (const sip::NameAddr& c : msg.contacts()) {
    ContactPlan cp;
    cp.contact = &c;
    if (c.uri.text.size() > kMaxContact) {
      return bad("Bad Request - Contact Too Long", "Contact/received too long");
    }
    if (auto r = contactExpires(c, msg.expires(), options, &cp.expires)) return r;
    if (auto q = c.params.get("q")) {
      auto parsed = parseQ(*q);
      if (!parsed) return bad("Bad Request - Invalid q Value", "Invalid q param in contact");
      cp.qMilli = *parsed;
    }
    if (auto inst = c.params.get("+sip.instance")) {
      cp.instance = unquote(*inst);
      if (cp.instance.empty() || cp.instance.size() > kMaxInstance) {
        return bad("Bad Request - Invalid +sip.instance", "Contact parse error");
      }
      // RFC 5626 §4.2: reg-id is meaningful only beside an instance; elsewhere it is ignored.
      if (auto reg = c.params.get("reg-id")) {
        uint32_t id = allDigits(*reg) ? saturatingU32(*reg) : 0;
        if (id == 0 || id > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
          return bad("Bad Request - Invalid reg-id", "Invalid Reg-Id number");
        }
        cp.regId = id;
      }
    }
    cp.received = receivedFor(c.uri, ctx.source, ctx.transport);
    plan->contacts.push_back(std::move(cp));
  }
  return std::nullopt;
}

std::string contactValue(const BindingRef& b, int64_t nowS) {
  std::string v;
  v.reserve(b.contact().size() + 48 + b.instance().size());
  v += '<';
  v += b.contact();
  v += '>';
  if (b.expires() != 0) {
    int64_t left = b.expires() - nowS;
    v += ";expires=";
    v += std::to_string(left < 0 ? 0 : left);
  }
  if (b.qMilli() != kQUnset) {
    v += ";q=";
    v += formatQ(b.qMilli());
  }
  if (!b.instance().empty()) {
    v += ";+sip.instance=\"";
    v += b.instance();
    v += '"';
  }
  if (b.regId() != 0) {
    v += ";reg-id=";
    v += std::to_string(b.regId());
  }
  return v;
}

}  // namespace tandem::registrar::rules
