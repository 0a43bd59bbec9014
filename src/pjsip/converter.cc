// sip.conf → PJSIP model. Each section is mapped from its resolved view (what chan_sip sees:
// [general] defaults, then inherited lines, then its own), and PJSIP templates receive only what a
// class adds over its parents, so the output keeps the shape of the input.
#include "pjsip/converter.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>

#include "core/text.h"
#include "pjsip/options.h"

namespace tandem::pjsip {
namespace {

constexpr const char* kDefaultsId = "sip-defaults";
constexpr int kDualStackPort = 5160;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Asterisk's ast_true / ast_false.
bool isTrue(std::string_view v) {
  std::string s = lower(v);
  return s == "yes" || s == "true" || s == "y" || s == "t" || s == "1" || s == "on";
}
bool isFalse(std::string_view v) {
  std::string s = lower(v);
  return s == "no" || s == "false" || s == "n" || s == "f" || s == "0" || s == "off";
}

std::vector<std::string> splitList(std::string_view s, char sep = ',') {
  std::vector<std::string> out;
  while (true) {
    size_t at = s.find(sep);
    std::string_view item = trimBlanks(s.substr(0, at));
    if (!item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

bool isNumber(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool isIpv6(std::string_view host) { return host.find(':') != std::string_view::npos; }

// A host as it appears in a SIP URI: IPv6 literals in brackets.
std::string uriHost(std::string_view host) {
  if (isIpv6(host) && host.front() != '[') return "[" + std::string(host) + "]";
  return std::string(host);
}

// Object ids stay readable; characters Asterisk config or SQL would trip over become '-'.
std::string sanitizeId(std::string_view s) {
  std::string out;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '+';
    out += ok ? c : '-';
  }
  return out;
}

// Splits "host[:port]" (with "[v6]:port" and bare v6); host keeps no brackets.
void splitHostPort(std::string_view text, std::string& host, std::string& port) {
  host.clear();
  port.clear();
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    host = std::string(text.substr(1, close == std::string_view::npos ? text.npos : close - 1));
    if (close != std::string_view::npos && close + 1 < text.size() && text[close + 1] == ':') {
      port = std::string(text.substr(close + 2));
    }
    return;
  }
  size_t colon = text.find(':');
  if (colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    host = std::string(text.substr(0, colon));
    port = std::string(text.substr(colon + 1));
    return;
  }
  host = std::string(text);  // a name, an IPv4 address, or a bare IPv6 address
}

enum class Kind {
  kEndpoint,      // renamed endpoint option, value kept
  kEndpointBool,  // renamed endpoint option, yes/no normalised
  kAor,           // renamed aor option
  kAorBool,
  kCustom,     // its own code below
  kPeer,       // consumed when the peer's objects are built
  kGeneral,    // [general] only: transports, global, system, registrations
  kNotNeeded,  // PJSIP behaves this way without an option
  kNoEquivalent,
};

struct Rule {
  const char* sip;
  Kind kind;
  const char* pjsip;  // target option, or the reason for kNotNeeded / kNoEquivalent
};

// chan_sip option → PJSIP. Option names are matched case-insensitively, as chan_sip does.
const std::vector<Rule>& rules() {
  static const std::vector<Rule> kRules = {
      // Renamed, value kept.
      {"context", Kind::kEndpoint, "context"},
      {"callerid", Kind::kEndpoint, "callerid"},
      {"callingpres", Kind::kEndpoint, "callerid_privacy"},
      {"cid_tag", Kind::kEndpoint, "callerid_tag"},
      {"language", Kind::kEndpoint, "language"},
      {"tonezone", Kind::kEndpoint, "tone_zone"},
      {"mohsuggest", Kind::kEndpoint, "moh_suggest"},
      {"accountcode", Kind::kEndpoint, "accountcode"},
      {"callgroup", Kind::kEndpoint, "call_group"},
      {"pickupgroup", Kind::kEndpoint, "pickup_group"},
      {"namedcallgroup", Kind::kEndpoint, "named_call_group"},
      {"namedpickupgroup", Kind::kEndpoint, "named_pickup_group"},
      {"subscribecontext", Kind::kEndpoint, "subscribe_context"},
      {"fromuser", Kind::kEndpoint, "from_user"},
      {"fromdomain", Kind::kEndpoint, "from_domain"},
      {"vmexten", Kind::kEndpoint, "voicemail_extension"},
      {"unsolicited_mailbox", Kind::kEndpoint, "incoming_mwi_mailbox"},
      {"rtptimeout", Kind::kEndpoint, "rtp_timeout"},
      {"rtpholdtimeout", Kind::kEndpoint, "rtp_timeout_hold"},
      {"rtpkeepalive", Kind::kEndpoint, "rtp_keepalive"},
      {"session-expires", Kind::kEndpoint, "timers_sess_expires"},
      {"session-minse", Kind::kEndpoint, "timers_min_se"},
      {"busylevel", Kind::kEndpoint, "device_state_busy_at"},
      {"sdpsession", Kind::kEndpoint, "sdp_session"},
      {"sdpowner", Kind::kEndpoint, "sdp_owner"},
      {"rtp_engine", Kind::kEndpoint, "rtp_engine"},
      {"tos_audio", Kind::kEndpoint, "tos_audio"},
      {"tos_video", Kind::kEndpoint, "tos_video"},
      {"cos_audio", Kind::kEndpoint, "cos_audio"},
      {"cos_video", Kind::kEndpoint, "cos_video"},
      {"dtlsverify", Kind::kEndpoint, "dtls_verify"},
      {"dtlsrekey", Kind::kEndpoint, "dtls_rekey"},
      {"dtlscertfile", Kind::kEndpoint, "dtls_cert_file"},
      {"dtlsprivatekey", Kind::kEndpoint, "dtls_private_key"},
      {"dtlscipher", Kind::kEndpoint, "dtls_cipher"},
      {"dtlscafile", Kind::kEndpoint, "dtls_ca_file"},
      {"dtlscapath", Kind::kEndpoint, "dtls_ca_path"},
      {"dtlssetup", Kind::kEndpoint, "dtls_setup"},
      {"dtlsfingerprint", Kind::kEndpoint, "dtls_fingerprint"},
      {"outofcall_message_context", Kind::kEndpoint, "message_context"},
      {"media_address", Kind::kEndpoint, "media_address"},
      {"mwi_from", Kind::kEndpoint, "mwi_from_user"},
      {"recordonfeature", Kind::kEndpoint, "record_on_feature"},
      {"recordofffeature", Kind::kEndpoint, "record_off_feature"},
      {"setvar", Kind::kEndpoint, "set_var"},
      {"allow", Kind::kEndpoint, "allow"},
      {"disallow", Kind::kEndpoint, "disallow"},
      {"permit", Kind::kEndpoint, "permit"},
      {"deny", Kind::kEndpoint, "deny"},
      {"acl", Kind::kEndpoint, "acl"},
      {"contactpermit", Kind::kEndpoint, "contact_permit"},
      {"contactdeny", Kind::kEndpoint, "contact_deny"},
      {"contactacl", Kind::kEndpoint, "contact_acl"},
      // Renamed yes/no options.
      {"allowsubscribe", Kind::kEndpointBool, "allow_subscribe"},
      {"allowtransfer", Kind::kEndpointBool, "allow_transfer"},
      {"trustrpid", Kind::kEndpointBool, "trust_id_inbound"},
      {"t38pt_usertpsource", Kind::kEndpointBool, "t38_udptl_nat"},
      {"usereqphone", Kind::kEndpointBool, "user_eq_phone"},
      {"g726nonstandard", Kind::kEndpointBool, "g726_non_standard"},
      {"avpf", Kind::kEndpointBool, "use_avpf"},
      {"force_avp", Kind::kEndpointBool, "force_avp"},
      {"rtcp_mux", Kind::kEndpointBool, "rtcp_mux"},
      {"icesupport", Kind::kEndpointBool, "ice_support"},
      {"rpid_immediate", Kind::kEndpointBool, "rpid_immediate"},
      {"autoframing", Kind::kEndpointBool, "use_ptime"},
      {"dtlsautogeneratecert", Kind::kEndpointBool, "dtls_auto_generate_cert"},
      {"send_diversion", Kind::kEndpointBool, "send_diversion"},
      {"preferred_codec_only", Kind::kEndpointBool, "preferred_codec_only"},
      {"supportpath", Kind::kAorBool, "support_path"},
      // Registrar limits: [general] in chan_sip, per aor in PJSIP.
      {"defaultexpiry", Kind::kAor, "default_expiration"},
      {"maxexpiry", Kind::kAor, "maximum_expiration"},
      {"minexpiry", Kind::kAor, "minimum_expiration"},
      // Values that change shape.
      {"allowoverlap", Kind::kCustom, ""},
      {"dtmfmode", Kind::kCustom, ""},
      {"directmedia", Kind::kCustom, ""},
      {"canreinvite", Kind::kCustom, ""},
      {"nat", Kind::kCustom, ""},
      {"qualify", Kind::kCustom, ""},
      {"qualifyfreq", Kind::kCustom, ""},
      {"sendrpid", Kind::kCustom, ""},
      {"trust_id_outbound", Kind::kCustom, ""},
      {"progressinband", Kind::kCustom, ""},
      {"session-timers", Kind::kCustom, ""},
      {"t38pt_udptl", Kind::kCustom, ""},
      {"faxdetect", Kind::kCustom, ""},
      {"encryption", Kind::kCustom, ""},
      {"encryption_taglen", Kind::kCustom, ""},
      {"dtlsenable", Kind::kCustom, ""},
      {"parkinglot", Kind::kCustom, ""},
      {"amaflags", Kind::kCustom, ""},
      {"mohinterpret", Kind::kCustom, ""},
      {"rpid_update", Kind::kCustom, ""},
      {"outboundproxy", Kind::kCustom, ""},
      {"transport", Kind::kCustom, ""},
      {"mailbox", Kind::kCustom, ""},
      {"subscribemwi", Kind::kCustom, ""},
      {"host", Kind::kCustom, ""},
      // Per peer: these decide which objects a peer becomes.
      {"type", Kind::kPeer, ""},
      {"secret", Kind::kPeer, ""},
      {"md5secret", Kind::kPeer, ""},
      {"remotesecret", Kind::kPeer, ""},
      {"defaultuser", Kind::kPeer, ""},
      {"username", Kind::kPeer, ""},
      {"port", Kind::kPeer, ""},
      {"insecure", Kind::kPeer, ""},
      {"callbackextension", Kind::kPeer, ""},
      {"description", Kind::kPeer, ""},
      {"auth", Kind::kPeer, ""},
      // [general] only.
      {"bindaddr", Kind::kGeneral, ""},
      {"udpbindaddr", Kind::kGeneral, ""},
      {"bindport", Kind::kGeneral, ""},
      {"tcpenable", Kind::kGeneral, ""},
      {"tcpbindaddr", Kind::kGeneral, ""},
      {"tlsenable", Kind::kGeneral, ""},
      {"tlsbindaddr", Kind::kGeneral, ""},
      {"tlscertfile", Kind::kGeneral, ""},
      {"tlsprivatekey", Kind::kGeneral, ""},
      {"tlscafile", Kind::kGeneral, ""},
      {"tlscapath", Kind::kGeneral, ""},
      {"tlscipher", Kind::kGeneral, ""},
      {"tlsclientmethod", Kind::kGeneral, ""},
      {"tlsdontverifyserver", Kind::kGeneral, ""},
      {"localnet", Kind::kGeneral, ""},
      {"externaddr", Kind::kGeneral, ""},
      {"externip", Kind::kGeneral, ""},
      {"externhost", Kind::kGeneral, ""},
      {"externtcpport", Kind::kGeneral, ""},
      {"externtlsport", Kind::kGeneral, ""},
      {"realm", Kind::kGeneral, ""},
      {"useragent", Kind::kGeneral, ""},
      {"maxforwards", Kind::kGeneral, ""},
      {"regcontext", Kind::kGeneral, ""},
      {"timert1", Kind::kGeneral, ""},
      {"timerb", Kind::kGeneral, ""},
      {"compactheaders", Kind::kGeneral, ""},
      {"tos_sip", Kind::kGeneral, ""},
      {"cos_sip", Kind::kGeneral, ""},
      {"register", Kind::kGeneral, ""},
      {"registertimeout", Kind::kGeneral, ""},
      {"registerattempts", Kind::kGeneral, ""},
      {"register_retry_403", Kind::kGeneral, ""},
      {"match_auth_username", Kind::kGeneral, ""},
      {"srvlookup", Kind::kGeneral, ""},
      {"allowguest", Kind::kGeneral, ""},
      {"externrefresh", Kind::kGeneral, ""},
      // Kept without an option.
      {"alwaysauthreject", Kind::kNotNeeded,
       "PJSIP answers unknown users with the same 401 challenge as known ones"},
      {"callcounter", Kind::kNotNeeded, "PJSIP always counts calls for device state"},
      {"qualifygap", Kind::kNotNeeded, "PJSIP schedules qualify itself"},
      {"qualifypeers", Kind::kNotNeeded, "PJSIP schedules qualify itself"},
      {"pedantic", Kind::kNotNeeded, "PJSIP always parses SIP strictly"},
      {"websocket_enabled", Kind::kNotNeeded,
       "chan_sip only: PJSIP websockets are a transport with protocol=ws"},
      // No PJSIP equivalent: the reason is the fix.
      {"call-limit", Kind::kNoEquivalent,
       "no PJSIP option; limit calls in the dialplan with GROUP() and GROUP_COUNT()"},
      {"keepalive", Kind::kNoEquivalent,
       "no per-endpoint keepalive in PJSIP; qualify_frequency on the aor keeps NAT bindings open"},
      {"defaultip", Kind::kNoEquivalent,
       "PJSIP has no fallback address before registration; use a static contact if needed"},
      {"regexten", Kind::kNoEquivalent,
       "PJSIP adds the endpoint name (not regexten) to [global] regcontext"},
      {"videosupport", Kind::kNoEquivalent,
       "PJSIP offers video whenever a video codec is allowed; adjust allow= instead"},
      {"textsupport", Kind::kNoEquivalent, "PJSIP has no T.140 real-time text option"},
      {"maxcallbitrate", Kind::kNoEquivalent, "PJSIP has no video bitrate option"},
      {"rfc2833compensate", Kind::kNoEquivalent, "PJSIP has no pre-1.4 DTMF compensation"},
      {"directrtpsetup", Kind::kNoEquivalent, "PJSIP has no direct RTP setup in the INVITE"},
      {"directmediapermit", Kind::kNoEquivalent, "PJSIP has no direct media ACL"},
      {"directmediadeny", Kind::kNoEquivalent, "PJSIP has no direct media ACL"},
      {"directmediaacl", Kind::kNoEquivalent, "PJSIP has no direct media ACL"},
      {"ignoresdpversion", Kind::kNoEquivalent, "PJSIP has no option to ignore the SDP version"},
      {"session-refresher", Kind::kNoEquivalent, "PJSIP chooses the session refresher itself"},
      {"promiscredir", Kind::kNoEquivalent,
       "PJSIP follows redirects per follow_redirect_methods; review redirect handling"},
      {"useclientcode", Kind::kNoEquivalent, "PJSIP has no client code option"},
      {"snom_aoc_enabled", Kind::kNoEquivalent, "PJSIP sends standard AOC with send_aoc only"},
      {"ignore_requested_pref", Kind::kNoEquivalent,
       "PJSIP chooses codecs with incoming_call_offer_pref instead"},
      {"use_q850_reason", Kind::kNoEquivalent,
       "PJSIP sends Reason headers unless suppress_q850_reason_headers=yes"},
      {"buggymwi", Kind::kNoEquivalent, "PJSIP has no Cisco MWI workaround"},
      {"mwi", Kind::kNoEquivalent,
       "outbound MWI subscriptions are res_pjsip_outbound_mwi objects; write them by hand"},
  };
  return kRules;
}

const Rule* findRule(std::string_view key) {
  for (const Rule& r : rules()) {
    if (key == r.sip) return &r;
  }
  return nullptr;
}

// Keys that are per peer in chan_sip but also allowed in [general] as a default for every peer.
bool isPeerDefaultInGeneral(const Rule& r) {
  return r.kind == Kind::kEndpoint || r.kind == Kind::kEndpointBool || r.kind == Kind::kAor ||
         r.kind == Kind::kAorBool || r.kind == Kind::kCustom;
}

// Report rows, one per source line and key (a template line is seen once per child).
class Report {
 public:
  void setSectionOf(const SourceRef& where, std::string section) {
    sectionOf_[key(where)] = std::move(section);
  }
  void add(const Entry& e, std::string reason, bool needsAttention) {
    auto k = key(e.where) + "\n" + e.key;
    if (!seen_.insert(k).second) return;
    Unmapped u;
    u.where = e.where;
    u.section = sectionOf_[key(e.where)];
    u.key = e.key;
    u.value = e.value;
    u.reason = std::move(reason);
    u.needsAttention = needsAttention;
    rows_.push_back(std::move(u));
  }
  std::vector<Unmapped> take() {
    std::stable_sort(rows_.begin(), rows_.end(), [](const Unmapped& a, const Unmapped& b) {
      if (a.where.file != b.where.file) return a.where.file < b.where.file;
      return a.where.line < b.where.line;
    });
    return std::move(rows_);
  }
  // Rows for lines written in one section, for comments next to its objects.
  std::vector<const Unmapped*> inSection(const std::string& section) const {
    std::vector<const Unmapped*> out;
    for (const Unmapped& u : rows_) {
      if (u.section == section && u.needsAttention) out.push_back(&u);
    }
    return out;
  }

 private:
  static std::string key(const SourceRef& w) { return w.file + ":" + std::to_string(w.line); }
  std::map<std::string, std::string> sectionOf_;
  std::set<std::string> seen_;
  std::vector<Unmapped> rows_;
};

// A section's lines as chan_sip applies them, keys lowercased.
struct Resolved {
  std::vector<Entry> entries;

  const Entry* last(std::string_view key) const {
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      if (it->key == key) return &*it;
    }
    return nullptr;
  }
  std::string value(std::string_view key) const {
    const Entry* e = last(key);
    return e == nullptr ? std::string() : e->value;
  }
  std::vector<const Entry*> all(std::string_view key) const {
    std::vector<const Entry*> out;
    for (const Entry& e : entries) {
      if (e.key == key) out.push_back(&e);
    }
    return out;
  }
};

struct Mapped {
  OptionList endpoint;
  OptionList aor;
};

// What [general] says about listeners, NAT and registrations.
struct General {
  const Section* section = nullptr;
  std::vector<Entry> peerDefaults;  // per-peer options given as defaults, keys lowercased
  bool tcp = false;
  bool tls = false;
  bool matchAuthUsername = false;
  std::string realm;
};

}  // namespace

std::string BindAddress::toString() const {
  return protocol + " " + uriHost(host) + ":" + std::to_string(port);
}

Result<BindAddress> parseBindAddress(std::string_view text, std::string protocol, int defaultPort) {
  std::string host;
  std::string port;
  splitHostPort(trimBlanks(text), host, port);
  if (host.empty()) return Result<BindAddress>::error("empty address");
  BindAddress b;
  b.protocol = std::move(protocol);
  b.host = host;
  b.port = defaultPort;
  if (!port.empty()) {
    int p = 0;
    auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || ptr != port.data() + port.size() || p <= 0 || p > 65535) {
      return Result<BindAddress>::error("bad port \"" + port + "\" in \"" + std::string(text) +
                                        "\"");
    }
    b.port = p;
  }
  return b;
}

bool bindsOverlap(const BindAddress& a, const BindAddress& b) {
  auto family = [](const std::string& p) { return p == "udp" ? "udp" : "tcp"; };
  if (std::string(family(a.protocol)) != family(b.protocol) || a.port != b.port) return false;
  auto wildcard = [](const std::string& h) { return h == "0.0.0.0" || h == "::" || h == "*"; };
  return a.host == b.host || wildcard(a.host) || wildcard(b.host);
}

Result<RegisterLine> parseRegisterLine(std::string_view value) {
  auto fail = [&](const std::string& why) {
    return Result<RegisterLine>::error("register line \"" + std::string(value) + "\": " + why);
  };
  RegisterLine r;
  std::string_view s = trimBlanks(value);
  if (size_t tilde = s.rfind('~'); tilde != std::string_view::npos) {
    std::string_view expiry = s.substr(tilde + 1);
    if (!isNumber(expiry)) return fail("expiry after '~' must be a number of seconds");
    r.expiry = std::stoi(std::string(expiry));
    s = s.substr(0, tilde);
  }
  if (size_t q = s.find('?'); q != std::string_view::npos) {
    r.peer = std::string(s.substr(0, q));
    s = s.substr(q + 1);
  }
  if (size_t scheme = s.find("://"); scheme != std::string_view::npos) {
    r.transport = lower(s.substr(0, scheme));
    if (r.transport != "udp" && r.transport != "tcp" && r.transport != "tls") {
      return fail("unknown transport \"" + r.transport + "\" (udp, tcp or tls)");
    }
    s = s.substr(scheme + 3);
  }
  size_t at = s.rfind('@');
  if (at == std::string_view::npos) return fail("missing user@host");
  std::string_view userPart = s.substr(0, at);
  std::string_view hostPart = s.substr(at + 1);
  if (size_t slash = hostPart.find('/'); slash != std::string_view::npos) {
    r.extension = std::string(hostPart.substr(slash + 1));
    hostPart = hostPart.substr(0, slash);
  }
  splitHostPort(hostPart, r.host, r.port);
  if (r.host.empty()) return fail("missing host after '@'");
  if (!r.port.empty() && !isNumber(r.port)) return fail("bad port \"" + r.port + "\"");

  std::vector<std::string> parts;
  std::string_view rest = userPart;
  while (true) {
    size_t colon = rest.find(':');
    parts.emplace_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  std::string userAndDomain = parts[0];
  if (parts.size() == 4) {
    // user@domain:port:secret:authuser, the form documented for a port in the user part.
    r.domainPort = parts[1];
    r.secret = parts[2];
    r.authUser = parts[3];
    if (!r.domainPort.empty() && !isNumber(r.domainPort)) {
      return fail("bad domain port \"" + r.domainPort + "\"");
    }
  } else if (parts.size() <= 3) {
    if (parts.size() > 1) r.secret = parts[1];
    if (parts.size() > 2) r.authUser = parts[2];
  } else {
    return fail("too many ':' in the user part");
  }
  if (size_t dom = userAndDomain.find('@'); dom != std::string::npos) {
    r.domain = userAndDomain.substr(dom + 1);
    userAndDomain.resize(dom);
  }
  r.user = userAndDomain;
  if (r.user.empty()) return fail("missing user before '@'");
  return r;
}

const PeerInfo* Conversion::peer(std::string_view name) const {
  for (const PeerInfo& p : peers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

namespace {

class Converter {
 public:
  Converter(const Config& sip, ConvertOptions options) : sip_(sip), options_(std::move(options)) {}

  Result<Conversion> run() {
    for (const Diagnostic& w : sip_.warnings) out_.notes.push_back(w);
    out_.source = sip_.files.empty() ? std::string() : sip_.files.front();
    for (const Section& s : sip_.sections) {
      for (const Entry& e : s.own) report_.setSectionOf(e.where, s.name);
      report_.setSectionOf(s.where, s.name);
      sectionNames_.insert(s.name);
    }
    readGeneral();
    if (Status s = buildTransports(); !s) return s;
    buildGlobal();
    buildDefaults();
    buildTemplates();
    buildAuthentication();
    buildPeers();
    buildRegistrations();
    attachRealmAuths();
    assemble();
    out_.unmapped = report_.take();
    return std::move(out_);
  }

 private:
  // ---- reading -----------------------------------------------------------------------------

  static Entry lowered(const Entry& e) { return Entry{lower(e.key), e.value, e.where}; }

  Resolved resolve(const Section& s) const {
    Resolved r;
    r.entries = general_.peerDefaults;
    for (const Entry& e : s.entries) r.entries.push_back(lowered(e));
    return r;
  }

  void readGeneral() {
    // chan_sip starts every peer from its default codecs, which [general] and the peer then
    // edit; a PJSIP endpoint starts with none, so the defaults must be written out.
    general_.peerDefaults.push_back(Entry{"allow", "ulaw,alaw,gsm", SourceRef{}});
    general_.section = sip_.find("general");
    if (general_.section == nullptr) return;
    for (const Entry& raw : general_.section->entries) {
      Entry e = lowered(raw);
      const Rule* rule = findRule(e.key);
      if (rule == nullptr) {
        report_.add(e, "no PJSIP equivalent known to tandem", true);
        continue;
      }
      if (rule->kind == Kind::kPeer) {
        report_.add(e, "a per-peer option, not a [general] default in chan_sip", true);
        continue;
      }
      if (isPeerDefaultInGeneral(*rule)) general_.peerDefaults.push_back(e);
      if (rule->kind == Kind::kNotNeeded) report_.add(e, rule->pjsip, false);
      if (rule->kind == Kind::kNoEquivalent) report_.add(e, rule->pjsip, true);
    }
    const Section& g = *general_.section;
    auto last = [&](const char* key) -> const Entry* {
      for (auto it = g.entries.rbegin(); it != g.entries.rend(); ++it) {
        if (lower(it->key) == key) return &*it;
      }
      return nullptr;
    };
    general_.tcp = last("tcpenable") != nullptr && isTrue(last("tcpenable")->value);
    general_.tls = last("tlsenable") != nullptr && isTrue(last("tlsenable")->value);
    general_.matchAuthUsername =
        last("match_auth_username") != nullptr && isTrue(last("match_auth_username")->value);
    if (const Entry* e = last("realm")) general_.realm = e->value;
  }

  std::string generalValue(std::string_view key) const {
    if (general_.section == nullptr) return {};
    for (auto it = general_.section->entries.rbegin(); it != general_.section->entries.rend();
         ++it) {
      if (lower(it->key) == key) return it->value;
    }
    return {};
  }
  const Entry* generalEntry(std::string_view key) const {
    if (general_.section == nullptr) return nullptr;
    for (auto it = general_.section->entries.rbegin(); it != general_.section->entries.rend();
         ++it) {
      if (lower(it->key) == key) return &*it;
    }
    return nullptr;
  }
  std::vector<const Entry*> generalAll(std::string_view key) const {
    std::vector<const Entry*> out;
    if (general_.section == nullptr) return out;
    for (const Entry& e : general_.section->entries) {
      if (lower(e.key) == key) out.push_back(&e);
    }
    return out;
  }
  void consumed(std::string_view key, const char* reason = nullptr, bool attention = false) {
    for (const Entry* e : generalAll(key)) {
      if (reason != nullptr) report_.add(lowered(*e), reason, attention);
    }
  }

  // ---- transports, global, system -----------------------------------------------------------

  Status buildTransports() {
    // chan_sip's listeners: what PJSIP must not collide with while both run.
    std::string udpText = generalValue("udpbindaddr");
    if (udpText.empty()) udpText = generalValue("bindaddr");
    if (udpText.empty()) udpText = "0.0.0.0";
    int bindPort = 5060;
    if (std::string p = generalValue("bindport"); isNumber(p)) bindPort = std::stoi(p);
    auto udp = parseBindAddress(udpText, "udp", bindPort);
    if (!udp) {
      out_.notes.push_back({generalEntry("udpbindaddr") ? generalEntry("udpbindaddr")->where
                                                        : SourceRef{out_.source, 0},
                            "cannot read chan_sip's UDP address: " + udp.message()});
      udp = BindAddress{"udp", "0.0.0.0", 5060};
    }
    out_.chanSipBinds.push_back(*udp);
    if (general_.tcp) {
      std::string t = generalValue("tcpbindaddr");
      auto tcp = parseBindAddress(t.empty() ? udp->host : t, "tcp", 5060);
      if (tcp) out_.chanSipBinds.push_back(*tcp);
    }
    if (general_.tls) {
      std::string t = generalValue("tlsbindaddr");
      auto tls = parseBindAddress(t.empty() ? udp->host : t, "tls", 5061);
      if (tls) out_.chanSipBinds.push_back(*tls);
    }

    std::string bindText = options_.bind;
    if (bindText.empty()) bindText = uriHost(udp->host) + ":" + std::to_string(kDualStackPort);
    auto bind = parseBindAddress(bindText, "udp", kDualStackPort);
    if (!bind) return Status::error("--bind " + bindText + ": " + bind.message());

    // NAT: chan_sip's externaddr/localnet are per listener in PJSIP, so every transport gets them.
    OptionList nat;
    for (const Entry* e : generalAll("localnet")) nat.put("local_net", e->value, e->where);
    const Entry* ext = generalEntry("externaddr");
    if (ext == nullptr) ext = generalEntry("externip");
    const Entry* extHost = generalEntry("externhost");
    std::string extPort;
    if (ext != nullptr || extHost != nullptr) {
      const Entry* e = ext != nullptr ? ext : extHost;
      std::string host;
      splitHostPort(e->value, host, extPort);
      nat.put("external_media_address", host, e->where);
      nat.put("external_signaling_address", host, e->where);
    }
    consumed("localnet");
    consumed("externaddr");
    consumed("externip");
    consumed("externhost");
    if (ext != nullptr && extHost != nullptr) {
      report_.add(lowered(*extHost), "externaddr wins over externhost in chan_sip; ignored", true);
    }
    consumed("externrefresh",
             "PJSIP resolves external_*_address host names only when it loads the transport",
             extHost != nullptr);

    struct Proto {
      const char* name;
      bool enabled;
      int portOffset;
      const char* externPortKey;
    };
    const Proto protos[] = {{"udp", true, 0, nullptr},
                            {"tcp", general_.tcp, 0, "externtcpport"},
                            {"tls", general_.tls, 1, "externtlsport"}};
    for (const Proto& p : protos) {
      if (!p.enabled) continue;
      PjObject t;
      t.id = std::string("transport-") + p.name;
      t.type = "transport";
      t.from = general_.section != nullptr ? general_.section->where : SourceRef{};
      t.options.put("protocol", p.name);
      BindAddress b = *bind;
      b.protocol = p.name;
      b.port += p.portOffset;
      t.options.put("bind", uriHost(b.host) + ":" + std::to_string(b.port));
      out_.pjsipBinds.push_back(b);
      for (const Option& o : nat.items()) t.options.put(o.key, o.value, o.from);
      std::string port = extPort;
      if (p.externPortKey != nullptr) {
        if (const Entry* e = generalEntry(p.externPortKey)) port = e->value;
      }
      if (!port.empty() && nat.has("external_signaling_address")) {
        t.options.put("external_signaling_port", port);
      }
      if (std::string tos = generalValue("tos_sip"); !tos.empty()) t.options.put("tos", tos);
      if (std::string cos = generalValue("cos_sip"); !cos.empty()) t.options.put("cos", cos);
      if (std::string(p.name) == "tls") addTlsOptions(t);
      transports_.push_back(std::move(t));
    }
    consumed("externtcpport");
    consumed("externtlsport");
    consumed("tos_sip");
    consumed("cos_sip");
    consumed("bindaddr");
    consumed("udpbindaddr");
    consumed("bindport");
    consumed("tcpenable");
    consumed("tcpbindaddr");
    consumed("tlsenable");
    consumed("tlsbindaddr");
    if (!general_.tls) {
      for (const char* k : {"tlscertfile", "tlsprivatekey", "tlscafile", "tlscapath", "tlscipher",
                            "tlsclientmethod", "tlsdontverifyserver"}) {
        consumed(k, "TLS is not enabled (tlsenable), so no TLS transport is written", false);
      }
    }
    return Status::ok();
  }

  void addTlsOptions(PjObject& t) {
    auto copy = [&](const char* sip, const char* pj) {
      if (const Entry* e = generalEntry(sip)) t.options.put(pj, e->value, e->where);
    };
    copy("tlscertfile", "cert_file");
    copy("tlsprivatekey", "priv_key_file");
    copy("tlscafile", "ca_list_file");
    copy("tlscapath", "ca_list_path");
    if (const Entry* e = generalEntry("tlscipher")) {
      // "ALL" is an OpenSSL keyword PJSIP does not accept as a cipher name.
      if (lower(e->value) == "all") {
        report_.add(lowered(*e),
                    "PJSIP rejects cipher=ALL; leave cipher unset for OpenSSL's "
                    "defaults or list cipher names",
                    true);
      } else {
        t.options.put("cipher", e->value, e->where);
      }
    }
    if (const Entry* e = generalEntry("tlsclientmethod")) {
      std::string m = lower(e->value);
      if (m == "tlsv1" || m == "tlsv1_1" || m == "tlsv1_2" || m == "tlsv1_3" || m == "sslv23") {
        t.options.put("method", m, e->where);
      } else {
        report_.add(lowered(*e), "unknown TLS method for PJSIP", true);
      }
    }
    if (const Entry* e = generalEntry("tlsdontverifyserver")) {
      t.options.put("verify_server", isTrue(e->value) ? "no" : "yes", e->where);
    }
  }

  void buildGlobal() {
    PjObject global;
    global.id = "global";
    global.type = "global";
    auto copy = [&](const char* sip, const char* pj, OptionList& to) {
      if (const Entry* e = generalEntry(sip)) to.put(pj, e->value, e->where);
    };
    copy("realm", "default_realm", global.options);
    copy("useragent", "user_agent", global.options);
    copy("maxforwards", "max_forwards", global.options);
    copy("regcontext", "regcontext", global.options);
    if (!global.options.empty()) globals_.push_back(std::move(global));

    PjObject system;
    system.id = "system";
    system.type = "system";
    copy("timert1", "timer_t1", system.options);
    copy("timerb", "timer_b", system.options);
    if (const Entry* e = generalEntry("compactheaders")) {
      system.options.put("compact_headers", isTrue(e->value) ? "yes" : "no", e->where);
    }
    if (!system.options.empty()) globals_.push_back(std::move(system));

    if (const Entry* e = generalEntry("srvlookup")) {
      report_.add(lowered(*e),
                  isTrue(e->value) ? "PJSIP always looks up SRV records for host names"
                                   : "PJSIP always looks up SRV records; give hosts a port to "
                                     "avoid them",
                  !isTrue(e->value));
    }
    const Entry* guest = generalEntry("allowguest");
    if (guest == nullptr || isTrue(guest->value)) {
      out_.notes.push_back(
          {guest != nullptr ? guest->where : SourceRef{out_.source, 0},
           "chan_sip accepted calls from unknown callers (allowguest=yes, the default) into "
           "context " +
               (generalValue("context").empty() ? std::string("default")
                                                : generalValue("context")) +
               "; PJSIP refuses them unless an endpoint named \"anonymous\" exists"});
    }
    if (guest != nullptr) {
      report_.add(lowered(*guest),
                  isTrue(guest->value) ? "PJSIP needs an \"anonymous\" endpoint for guest calls; "
                                         "none is written"
                                       : "PJSIP refuses unknown callers by default",
                  isTrue(guest->value));
    }
    for (const char* k : {"realm", "useragent", "maxforwards", "regcontext", "timert1", "timerb",
                          "compactheaders", "match_auth_username", "register", "registertimeout",
                          "registerattempts", "register_retry_403"}) {
      consumed(k);
    }
  }

  // ---- per-section mapping -------------------------------------------------------------------

  // The PJSIP options of one section, from its resolved lines.
  Mapped mapSection(const Resolved& r) {
    Mapped m;
    OptionList& ep = m.endpoint;
    OptionList& aor = m.aor;
    for (const Entry& e : r.entries) {
      const Rule* rule = findRule(e.key);
      if (rule == nullptr) {
        report_.add(e, "no PJSIP equivalent known to tandem", true);
        continue;
      }
      const std::string& v = e.value;
      switch (rule->kind) {
        case Kind::kEndpoint:
          if (std::string(rule->pjsip) == "allow" || std::string(rule->pjsip) == "disallow") {
            // chan_sip allows "allow=!all,ulaw" shorthand; PJSIP wants disallow/allow lines.
            mapCodecs(e, rule->pjsip, ep);
          } else {
            ep.put(rule->pjsip, v, e.where);
          }
          break;
        case Kind::kEndpointBool:
        case Kind::kAorBool:
          if (isTrue(v) || isFalse(v)) {
            (rule->kind == Kind::kAorBool ? aor : ep)
                .put(rule->pjsip, isTrue(v) ? "yes" : "no", e.where);
          } else {
            report_.add(e, "expected yes or no", true);
          }
          break;
        case Kind::kAor:
          aor.put(rule->pjsip, v, e.where);
          break;
        case Kind::kCustom:
          mapCustom(e, ep);
          break;
        case Kind::kGeneral:
          if (!isFromGeneral(e)) report_.add(e, "only valid in [general]; ignored here", true);
          break;
        case Kind::kNotNeeded:
          report_.add(e, rule->pjsip, false);
          break;
        case Kind::kNoEquivalent:
          report_.add(e, rule->pjsip, true);
          break;
        case Kind::kPeer:
          break;
      }
    }
    finishSection(r, m);
    return m;
  }

  bool isFromGeneral(const Entry& e) const {
    return general_.section != nullptr && !e.where.file.empty() &&
           std::any_of(general_.section->entries.begin(), general_.section->entries.end(),
                       [&](const Entry& g) { return g.where == e.where; });
  }

  static void mapCodecs(const Entry& e, const char* key, OptionList& ep) {
    std::string allow;
    std::string disallow;
    for (const std::string& codec : splitList(e.value)) {
      bool negate = codec[0] == '!';
      std::string name = negate ? codec.substr(1) : codec;
      bool isDisallow = (std::string(key) == "disallow") != negate;
      std::string& list = isDisallow ? disallow : allow;
      if (!list.empty()) list += ',';
      list += name;
      // Preserve order between the two lists by flushing when the direction changes.
      if (isDisallow && !allow.empty()) {
        ep.put("allow", allow, e.where);
        allow.clear();
      } else if (!isDisallow && !disallow.empty()) {
        ep.put("disallow", disallow, e.where);
        disallow.clear();
      }
    }
    if (!disallow.empty()) ep.put("disallow", disallow, e.where);
    if (!allow.empty()) ep.put("allow", allow, e.where);
  }

  void mapCustom(const Entry& e, OptionList& ep) {
    const std::string& k = e.key;
    std::string v = lower(e.value);
    auto bad = [&](const std::string& why) { report_.add(e, why, true); };
    if (k == "allowoverlap") {
      if (isTrue(v) || isFalse(v)) {
        ep.put("allow_overlap", isTrue(v) ? "yes" : "no", e.where);
      } else {
        bad("PJSIP supports RFC 3578 overlap dialing only (yes or no), not \"" + e.value + "\"");
      }
    } else if (k == "dtmfmode") {
      // auto: RFC 4733 when the far end offers telephone-event, inband tones otherwise.
      static const std::map<std::string, std::string> kModes = {{"rfc2833", "rfc4733"},
                                                                {"info", "info"},
                                                                {"inband", "inband"},
                                                                {"auto", "auto"},
                                                                {"shortinfo", "info"}};
      auto it = kModes.find(v);
      if (it == kModes.end()) {
        bad("unknown dtmfmode \"" + e.value + "\"");
      } else {
        ep.put("dtmf_mode", it->second, e.where);
        if (v == "shortinfo") {
          report_.add(e, "PJSIP sends DTMF INFO as application/dtmf-relay, not application/dtmf",
                      true);
        }
      }
    } else if (k == "parkinglot" || k == "amaflags" || k == "mohinterpret") {
      // No endpoint option, but the channel variable does the same job on every call.
      const char* fn = k == "parkinglot" ? "CHANNEL(parkinglot)"
                       : k == "amaflags" ? "CHANNEL(amaflags)"
                                         : "CHANNEL(musicclass)";
      ep.put("set_var", std::string(fn) + "=" + e.value, e.where);
    } else if (k == "trust_id_outbound") {
      if (isTrue(v) || isFalse(v)) {
        ep.put("trust_id_outbound", isTrue(v) ? "yes" : "no", e.where);
      } else {
        bad("PJSIP's trust_id_outbound is yes or no; \"" + e.value +
            "\" (chan_sip's legacy mode) has no equivalent");
      }
    } else if (k == "progressinband") {
      if (isTrue(v) || isFalse(v) || v == "never") {
        ep.put("inband_progress", isTrue(v) ? "yes" : "no", e.where);
      } else {
        bad("expected yes, no or never");
      }
    } else if (k == "session-timers") {
      static const std::map<std::string, std::string> kTimers = {
          {"accept", "yes"}, {"originate", "always"}, {"refuse", "no"}};
      auto it = kTimers.find(v);
      if (it == kTimers.end()) {
        bad("expected accept, originate or refuse");
      } else {
        ep.put("timers", it->second, e.where);
      }
    } else if (k == "t38pt_udptl") {
      std::vector<std::string> parts = splitList(v);
      if (parts.empty() || (!isTrue(parts[0]) && !isFalse(parts[0]))) {
        bad("expected yes or no, then fec, redundancy, none or maxdatagram=N");
        return;
      }
      ep.put("t38_udptl", isTrue(parts[0]) ? "yes" : "no", e.where);
      for (size_t i = 1; i < parts.size(); ++i) {
        const std::string& p = parts[i];
        if (p == "fec" || p == "redundancy" || p == "none") {
          ep.put("t38_udptl_ec", p, e.where);
        } else if (p.rfind("maxdatagram=", 0) == 0 && isNumber(p.substr(12))) {
          ep.put("t38_udptl_maxdatagram", p.substr(12), e.where);
        } else {
          bad("unknown t38pt_udptl setting \"" + p + "\"");
        }
      }
    } else if (k == "faxdetect") {
      if (isTrue(v) || v == "cng") {
        ep.put("fax_detect", "yes", e.where);
      } else if (isFalse(v)) {
        ep.put("fax_detect", "no", e.where);
      } else if (v == "t38") {
        bad("PJSIP's fax_detect listens for CNG tones; T.38-only detection has no equivalent");
      } else {
        bad("expected yes, no, cng or t38");
      }
    } else if (k == "encryption_taglen") {
      if (v == "32" || v == "80") {
        ep.put("srtp_tag_32", v == "32" ? "yes" : "no", e.where);
      } else {
        bad("expected 32 or 80");
      }
    } else if (k == "rpid_update") {
      if (isTrue(v) || isFalse(v)) {
        ep.put("connected_line_method", isTrue(v) ? "update" : "invite", e.where);
      } else {
        bad("expected yes or no");
      }
    }
    // nat, directmedia, qualify, host, transport, outboundproxy, mailbox, sendrpid and
    // encryption take their last value only: finishSection maps them.
  }

  // Codec lines before the last "disallow=all" no longer matter.
  static void dropCodecsBeforeReset(OptionList& ep) {
    const std::vector<Option>& items = ep.items();
    size_t reset = items.size();
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].key == "disallow" && lower(items[i].value) == "all") reset = i;
    }
    if (reset == items.size()) return;
    OptionList kept;
    for (size_t i = 0; i < items.size(); ++i) {
      bool codec = items[i].key == "allow" || items[i].key == "disallow";
      if (codec && i < reset) continue;
      kept.append(items[i].key, items[i].value, items[i].from);
    }
    ep = std::move(kept);
  }

  // Options whose meaning depends on the last value, or on several options together.
  void finishSection(const Resolved& r, Mapped& m) {
    OptionList& ep = m.endpoint;
    OptionList& aor = m.aor;
    dropCodecsBeforeReset(ep);

    if (const Entry* e = r.last("nat")) {
      std::set<std::string> flags;
      for (const std::string& f : splitList(lower(e->value))) flags.insert(f);
      bool no = flags.count("no") > 0 || flags.count("never") > 0;
      bool ok = !flags.empty();
      for (const std::string& f : flags) {
        if (f != "no" && f != "never" && f != "yes" && f != "force_rport" && f != "comedia" &&
            f != "auto_force_rport" && f != "auto_comedia") {
          report_.add(*e, "unknown nat setting \"" + f + "\"", true);
          ok = false;
        }
      }
      if (ok) {
        // chan_sip: any "no" wins. "auto_*" applies when NAT is detected; PJSIP has no
        // detection, so the setting is applied always (what a NATed phone needs).
        bool symmetric =
            !no && (flags.count("yes") || flags.count("comedia") || flags.count("auto_comedia"));
        bool rport = !no && (flags.count("yes") || flags.count("force_rport") ||
                             flags.count("auto_force_rport"));
        bool rewrite = !no && (flags.count("yes") || flags.count("force_rport"));
        ep.put("rtp_symmetric", symmetric ? "yes" : "no", e->where);
        ep.put("force_rport", rport ? "yes" : "no", e->where);
        ep.put("rewrite_contact", rewrite ? "yes" : "no", e->where);
      }
    }

    const Entry* dm = r.last("directmedia");
    if (const Entry* old = r.last("canreinvite")) {
      if (dm == nullptr || old->where.line > dm->where.line) dm = old;
    }
    if (dm != nullptr) {
      // Compare whole words: "nonat" must not read as "no" (a sip_to_pjsip.py bug).
      std::set<std::string> flags;
      for (const std::string& f : splitList(lower(dm->value))) flags.insert(f);
      bool ok = !flags.empty();
      for (const std::string& f : flags) {
        if (!isTrue(f) && !isFalse(f) && f != "nonat" && f != "update" && f != "outgoing") {
          report_.add(*dm, "unknown directmedia setting \"" + f + "\"", true);
          ok = false;
        }
      }
      if (ok) {
        bool off = std::any_of(flags.begin(), flags.end(),
                               [](const std::string& f) { return isFalse(f); });
        ep.put("direct_media", off ? "no" : "yes", dm->where);
        if (!off && flags.count("nonat")) ep.put("disable_direct_media_on_nat", "yes", dm->where);
        if (!off && flags.count("update")) ep.put("direct_media_method", "update", dm->where);
        if (!off && flags.count("outgoing")) {
          ep.put("direct_media_glare_mitigation", "outgoing", dm->where);
        }
      }
    }

    if (const Entry* e = r.last("sendrpid")) {
      std::string v = lower(e->value);
      if (isTrue(v) || v == "rpid") {
        ep.put("send_rpid", "yes", e->where);
      } else if (v == "pai") {
        ep.put("send_pai", "yes", e->where);
      } else if (!isFalse(v)) {
        report_.add(*e, "expected yes, no, rpid or pai", true);
      }
    }

    const Entry* dtls = r.last("dtlsenable");
    const Entry* enc = r.last("encryption");
    if (dtls != nullptr && isTrue(dtls->value)) {
      ep.put("media_encryption", "dtls", dtls->where);
    } else if (enc != nullptr && isTrue(enc->value)) {
      ep.put("media_encryption", "sdes", enc->where);
    } else if (enc != nullptr && !isFalse(enc->value)) {
      report_.add(*enc, "expected yes or no", true);
    } else if (enc != nullptr) {
      ep.put("media_encryption", "no", enc->where);
    }

    if (const Entry* e = r.last("transport")) {
      std::vector<std::string> list = splitList(lower(e->value));
      std::string first = list.empty() ? std::string() : list.front();
      if (first == "udp" || (first == "tcp" && general_.tcp) || (first == "tls" && general_.tls)) {
        // UDP is the only listener when it is also the only transport: PJSIP picks it anyway.
        if (first != "udp" || general_.tcp || general_.tls) {
          ep.put("transport", "transport-" + first, e->where);
        }
      } else {
        report_.add(*e, "no PJSIP transport for \"" + first + "\" (enable it in [general] first)",
                    true);
      }
    }

    if (const Entry* e = r.last("outboundproxy")) {
      std::string uri = proxyUri(*e);
      if (!uri.empty()) {
        ep.put("outbound_proxy", uri, e->where);
        aor.put("outbound_proxy", uri, e->where);
      }
    }

    if (const Entry* e = r.last("mailbox")) {
      const Entry* sub = r.last("subscribemwi");
      // subscribemwi=yes: notify only phones that subscribe, which PJSIP does for aor mailboxes.
      if (sub != nullptr && isTrue(sub->value)) {
        aor.put("mailboxes", e->value, e->where);
      } else {
        ep.put("mailboxes", e->value, e->where);
      }
    }

    const Entry* qualify = r.last("qualify");
    if (qualify != nullptr) {
      std::string v = lower(qualify->value);
      int maxMs = -1;
      if (isTrue(v)) {
        maxMs = 2000;  // chan_sip's DEFAULT_MAXMS
      } else if (isNumber(v)) {
        maxMs = std::stoi(v);
      } else if (!isFalse(v)) {
        report_.add(*qualify, "expected yes, no or a time in milliseconds", true);
      }
      if (maxMs > 0) {
        std::string freq = "60";  // chan_sip's DEFAULT_FREQ_OK
        const Entry* fe = r.last("qualifyfreq");
        if (fe != nullptr && isNumber(fe->value)) freq = fe->value;
        aor.put("qualify_frequency", freq, fe != nullptr ? fe->where : qualify->where);
        char timeout[32];
        std::snprintf(timeout, sizeof timeout, "%.1f", maxMs / 1000.0);
        aor.put("qualify_timeout", timeout, qualify->where);
      } else if (maxMs == 0 || isFalse(v)) {
        aor.put("qualify_frequency", "0", qualify->where);
      }
    }

    const Entry* host = r.last("host");
    if (host != nullptr && lower(host->value) == "dynamic") {
      // One registration per peer in chan_sip; a new one replaces the old.
      aor.put("max_contacts", "1", host->where);
      aor.put("remove_existing", "yes", host->where);
    }

    // identify_by, when the class decides it (templates of phones, of IP trunks).
    std::string type = lower(r.value("type"));
    std::string hostValue = lower(r.value("host"));
    if (!type.empty() && (type == "user" || !hostValue.empty())) {
      std::string by = identifyBy(r);
      if (!by.empty()) {
        const Entry* why = r.last("type");
        ep.put("identify_by", by, host != nullptr ? host->where : why->where);
      }
    }
  }

  // True when the peer challenges inbound calls: it has a secret and insecure lacks "invite".
  static bool hasInboundAuth(const Resolved& r) {
    if (r.value("secret").empty() && r.value("md5secret").empty()) return false;
    return !insecureHas(r, "invite");
  }
  static bool insecureHas(const Resolved& r, const std::string& what) {
    std::string v = lower(r.value("insecure"));
    if (v == "very") return true;
    for (const std::string& f : splitList(v)) {
      if (f == what) return true;
    }
    return false;
  }

  std::string identifyBy(const Resolved& r) const {
    std::string type = lower(r.value("type"));
    std::string host = lower(r.value("host"));
    std::string byName = general_.matchAuthUsername ? "auth_username,username" : "username";
    if (type == "user" || host == "dynamic") return byName;
    if (host.empty()) return {};
    // A fixed address: chan_sip matched peers by source IP. Friends were also matched by name,
    // which stays safe only while calls are challenged.
    if (type == "friend" && hasInboundAuth(r)) return "ip," + byName;
    return "ip";
  }

  std::string proxyUri(const Entry& e) {
    std::string v(trimBlanks(e.value));
    std::string transport;
    if (size_t comma = v.find(','); comma != std::string::npos) {
      std::string flag = lower(trimBlanks(v.substr(comma + 1)));
      v = std::string(trimBlanks(v.substr(0, comma)));
      if (flag == "force") {
        report_.add(e,
                    "\",force\" (ignore Route headers) has no PJSIP equivalent; the proxy is used "
                    "as a loose route",
                    true);
      }
    }
    if (size_t scheme = v.find("://"); scheme != std::string::npos) {
      transport = lower(v.substr(0, scheme));
      v = v.substr(scheme + 3);
    }
    std::string host;
    std::string port;
    splitHostPort(v, host, port);
    if (host.empty()) {
      report_.add(e, "empty outbound proxy", true);
      return {};
    }
    std::string uri = "sip:" + uriHost(host) + (port.empty() ? "" : ":" + port) + ";lr";
    if (transport == "tcp" || transport == "tls") uri += ";transport=" + transport;
    return uri;
  }

  // ---- templates ------------------------------------------------------------------------------

  struct TemplateIds {
    std::string endpoint;
    std::string aor;
  };

  // An id no sip.conf section and no other generated object uses.
  std::string uniqueId(const std::string& wanted) {
    std::string id = wanted;
    for (int n = 2; sectionNames_.count(id) > 0 || generated_.count(id) > 0; ++n) {
      id = wanted + "-" + std::to_string(n);
    }
    generated_.insert(id);
    return id;
  }

  // Template ids of type `type` (endpoint or aor) that `s` inherits from, skipping sip.conf
  // templates that add nothing to that type.
  std::vector<std::string> parentsFor(const Section& s, bool aor) {
    std::vector<std::string> out;
    auto add = [&](const std::string& id) {
      if (!id.empty() && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    };
    if (s.templates.empty()) {
      add(aor ? defaults_.aor : defaults_.endpoint);
      return out;
    }
    for (const std::string& t : s.templates) {
      int idx = indexOf(t);
      if (idx < 0) continue;
      auto it = templateIds_.find(idx);
      const std::string& id =
          it == templateIds_.end() ? std::string() : (aor ? it->second.aor : it->second.endpoint);
      if (!id.empty()) {
        add(id);
      } else {
        for (const std::string& p : parentsFor(sip_.sections[idx], aor)) add(p);
      }
    }
    return out;
  }

  int indexOf(std::string_view name) const {
    for (size_t i = 0; i < sip_.sections.size(); ++i) {
      if (sip_.sections[i].name == name) return static_cast<int>(i);
    }
    return -1;
  }

  // The options a new object inherits from `parents` (already in templates_).
  OptionList inherited(const std::vector<std::string>& parents) const {
    PjDocument doc;
    doc.objects = templates_;
    PjObject probe;
    probe.parents = parents;
    return resolveOptions(doc, probe);
  }

  void buildDefaults() {
    Resolved r;
    r.entries = general_.peerDefaults;
    Mapped m = mapSection(r);
    bool defaultCodecs =
        m.endpoint.get("allow") != nullptr && m.endpoint.get("allow")->from.line == 0;
    SourceRef where = general_.section != nullptr ? general_.section->where : SourceRef{};
    if (!m.endpoint.empty()) {
      PjObject t;
      t.id = uniqueId(kDefaultsId);
      t.type = "endpoint";
      t.isTemplate = true;
      t.from = where;
      t.options = m.endpoint;
      t.comments.push_back(
          "What chan_sip applied to every peer: [general] settings and its own "
          "defaults.");
      if (defaultCodecs) {
        t.comments.push_back("allow: chan_sip's default codecs (a PJSIP endpoint has none).");
      }
      defaults_.endpoint = t.id;
      templates_.push_back(std::move(t));
    }
    if (!m.aor.empty()) {
      PjObject t;
      t.id = uniqueId(std::string(kDefaultsId) + "-aor");
      t.type = "aor";
      t.isTemplate = true;
      t.from = where;
      t.options = m.aor;
      defaults_.aor = t.id;
      templates_.push_back(std::move(t));
    }
    TemplateInfo info;
    info.name = defaults_.endpoint.empty() ? kDefaultsId : defaults_.endpoint;
    info.where = where;
    info.endpointId = defaults_.endpoint;
    info.aorId = defaults_.aor;
    if (!info.endpointId.empty()) info.endpointView.push_back(info.endpointId);
    if (!info.aorId.empty()) info.aorView.push_back(info.aorId);
    out_.templates.push_back(std::move(info));
  }

  void buildTemplates() {
    for (size_t i = 0; i < sip_.sections.size(); ++i) {
      const Section& s = sip_.sections[i];
      if (!s.isTemplate || s.name == "general" || s.name == "authentication") continue;
      Mapped m = mapSection(resolve(s));
      TemplateIds ids;
      for (bool aor : {false, true}) {
        std::vector<std::string> parents = parentsFor(s, aor);
        OptionList delta =
            deltaOptions(aor ? m.aor : m.endpoint, inherited(parents), aor ? "aor" : "endpoint");
        if (delta.empty()) continue;
        PjObject t;
        if (aor || generated_.count(s.name) > 0) {
          t.id = uniqueId(aor ? s.name + "-aor" : s.name);
        } else {
          t.id = s.name;  // the class keeps its sip.conf name
          generated_.insert(t.id);
        }
        t.type = aor ? "aor" : "endpoint";
        t.isTemplate = true;
        t.parents = parents;
        t.from = s.where;
        t.options = delta;
        if (!aor) {
          for (const Unmapped* u : report_.inSection(s.name))
            t.comments.push_back(notConverted(*u));
        }
        (aor ? ids.aor : ids.endpoint) = t.id;
        templates_.push_back(std::move(t));
      }
      templateIds_[static_cast<int>(i)] = ids;
      TemplateInfo info;
      info.name = s.name;
      info.where = s.where;
      info.sipParents = s.templates;
      info.endpointId = ids.endpoint;
      info.aorId = ids.aor;
      info.endpointView =
          ids.endpoint.empty() ? parentsFor(s, false) : std::vector<std::string>{ids.endpoint};
      info.aorView = ids.aor.empty() ? parentsFor(s, true) : std::vector<std::string>{ids.aor};
      out_.templates.push_back(std::move(info));
    }
  }

  static std::string notConverted(const Unmapped& u) {
    return "not converted: " + u.key + "=" + u.value + " (" + u.where.toString() + "): " + u.reason;
  }

  // ---- [authentication] ------------------------------------------------------------------

  void buildAuthentication() {
    const Section* a = sip_.find("authentication");
    if (a == nullptr) return;
    for (const Entry& raw : a->entries) {
      Entry e = lowered(raw);
      if (e.key != "auth") {
        report_.add(e, "only auth= lines belong in [authentication]", true);
        continue;
      }
      if (PjObject* auth = realmAuth(e, "")) realmAuths_.push_back(auth->id);
    }
  }

  // "user:secret@realm" or "user#md5secret@realm" → an outbound auth limited to that realm.
  PjObject* realmAuth(const Entry& e, const std::string& owner) {
    std::string v = e.value;
    size_t at = v.rfind('@');
    size_t sep = v.find_first_of(":#");
    if (at == std::string::npos || sep == std::string::npos || sep > at) {
      report_.add(e, "expected user:secret@realm or user#md5secret@realm", true);
      return nullptr;
    }
    std::string user = v.substr(0, sep);
    std::string secret = v.substr(sep + 1, at - sep - 1);
    std::string realm = v.substr(at + 1);
    PjObject auth;
    auth.id = uniqueId(sanitizeId((owner.empty() ? "auth-" : owner + "-auth-") + realm));
    auth.type = "auth";
    auth.from = e.where;
    auth.options.put("username", user, e.where);
    if (v[sep] == '#') {
      auth.options.put("auth_type", "md5", e.where);
      auth.options.put("md5_cred", secret, e.where);
    } else {
      auth.options.put("password", secret, e.where);
    }
    auth.options.put("realm", realm, e.where);
    extraAuths_.push_back(std::move(auth));
    return &extraAuths_.back();
  }

  // ---- peers -------------------------------------------------------------------------------

  void buildPeers() {
    for (size_t i = 0; i < sip_.sections.size(); ++i) {
      const Section& s = sip_.sections[i];
      if (s.isTemplate || s.name == "general" || s.name == "authentication") continue;
      if (std::count_if(sip_.sections.begin(), sip_.sections.begin() + i,
                        [&](const Section& o) { return o.name == s.name && !o.isTemplate; }) > 0) {
        out_.notes.push_back({s.where, "[" + s.name +
                                           "] is defined again; chan_sip kept the "
                                           "last definition, and so does the conversion"});
        removePeer(s.name);
      }
      buildPeer(static_cast<int>(i));
    }
  }

  void removePeer(const std::string& name) {
    peers_.erase(std::remove_if(peers_.begin(), peers_.end(),
                                [&](const PeerObjects& p) { return p.info.name == name; }),
                 peers_.end());
  }

  struct PeerObjects {
    PeerInfo info;
    std::vector<PjObject> objects;  // endpoint first
    Resolved resolved;
  };

  void buildPeer(int index) {
    const Section& s = sip_.sections[index];
    Resolved r = resolve(s);
    std::string type = lower(r.value("type"));
    if (type.empty()) {
      report_.add(Entry{"type", "", s.where},
                  "section has no type=; chan_sip ignores it, so no PJSIP object is written", true);
      return;
    }
    if (type != "friend" && type != "peer" && type != "user") {
      const Entry* e = r.last("type");
      report_.add(*e, "type must be friend, peer or user; section not converted", true);
      return;
    }
    Mapped m = mapSection(r);

    PeerObjects po;
    po.resolved = r;
    PeerInfo& info = po.info;
    info.name = s.name;
    info.where = s.where;
    info.sipType = type;
    info.templates = s.templates;
    info.context = r.value("context").empty() ? "default" : r.value("context");
    info.accountcode = r.value("accountcode");
    std::string host = r.value("host");
    info.host = host;
    info.port = r.value("port");
    bool dynamic = lower(host) == "dynamic";
    if (type == "user") {
      info.kind = PeerKind::kUser;
    } else if (dynamic) {
      info.kind = PeerKind::kPhone;
    } else if (!host.empty()) {
      info.kind = PeerKind::kStatic;
    } else {
      info.kind = PeerKind::kUnreachable;
      out_.notes.push_back({s.where, "[" + s.name +
                                         "] has no host=; chan_sip could not call it "
                                         "either, so it gets no aor"});
    }
    info.hasAor = info.kind == PeerKind::kPhone || info.kind == PeerKind::kStatic;

    // Authentication: inbound checks the section name, as chan_sip did; outbound answers with
    // defaultuser (else the name) and remotesecret (else secret).
    std::string secret = r.value("secret");
    std::string md5 = r.value("md5secret");
    std::string remote = r.value("remotesecret");
    std::string defaultUser = r.value("defaultuser");
    if (defaultUser.empty()) defaultUser = r.value("username");
    bool inbound = hasInboundAuth(r);
    bool outbound = type != "user" && (info.kind == PeerKind::kStatic
                                           ? !(secret.empty() && remote.empty() && md5.empty())
                                           : !remote.empty());
    const Entry* secretEntry = r.last("secret");
    if (secretEntry == nullptr) secretEntry = r.last("md5secret");
    if (!secret.empty() || !md5.empty()) {
      if (insecureHas(r, "invite") && !outbound) {
        report_.add(*secretEntry,
                    "insecure=invite: calls are not challenged and this peer is never called "
                    "with a challenge, so the secret is unused",
                    false);
      }
    }
    std::string outUser = defaultUser.empty() ? s.name : defaultUser;
    std::string outPassword = remote.empty() ? secret : remote;
    bool shared = inbound && outbound && outUser == s.name && remote.empty();
    if (inbound) {
      PjObject auth;
      auth.id = s.name;
      auth.type = "auth";
      auth.from = secretEntry->where;
      auth.options.put("username", s.name);
      if (!md5.empty() && secret.empty()) {
        auth.options.put("auth_type", "md5", r.last("md5secret")->where);
        auth.options.put("md5_cred", md5, r.last("md5secret")->where);
      } else {
        auth.options.put("password", secret, r.last("secret")->where);
      }
      if (!general_.realm.empty() && !md5.empty() && secret.empty()) {
        auth.options.put("realm", general_.realm);  // the md5 hash was made with this realm
      }
      info.inboundAuth = auth.id;
      po.objects.push_back(std::move(auth));
    }
    if (outbound && !shared) {
      if (outPassword.empty() && !md5.empty()) {
        report_.add(*r.last("md5secret"),
                    "an md5secret cannot answer a challenge from the far end; give remotesecret",
                    true);
      } else {
        PjObject auth;
        auth.id = uniqueId(s.name + "-out");
        auth.type = "auth";
        const Entry* pw = r.last(remote.empty() ? "secret" : "remotesecret");
        auth.from = pw->where;
        const Entry* du = r.last("defaultuser");
        if (du == nullptr) du = r.last("username");
        auth.options.put("username", outUser, du != nullptr ? du->where : SourceRef{});
        auth.options.put("password", outPassword, pw->where);
        info.outboundAuth = auth.id;
        po.objects.push_back(std::move(auth));
      }
    } else if (shared) {
      info.outboundAuth = info.inboundAuth;
    }
    for (const Entry* e : r.all("auth")) {
      if (PjObject* a = realmAuth(*e, s.name)) {
        info.outboundAuth += (info.outboundAuth.empty() ? "" : ",") + a->id;
      }
    }

    // Endpoint: links first, then what the classes do not already say.
    OptionList wanted;
    if (info.hasAor) wanted.put("aors", s.name);
    if (!info.inboundAuth.empty()) wanted.put("auth", info.inboundAuth);
    if (!info.outboundAuth.empty()) wanted.put("outbound_auth", info.outboundAuth);
    for (const Option& o : m.endpoint.items()) wanted.put(o.key, o.value, o.from);

    PjObject ep;
    ep.id = s.name;
    ep.type = "endpoint";
    ep.from = s.where;
    ep.parents = parentsFor(s, false);
    ep.options = deltaOptions(wanted, inherited(ep.parents), "endpoint");
    ep.comments.push_back(s.where.toString() + " [" + s.name + "] type=" + type +
                          (host.empty() ? "" : " host=" + host));
    if (const Entry* d = r.last("description")) {
      ep.comments.push_back("description: " + d->value);
      report_.add(*d, "PJSIP has no description; kept as a comment above the endpoint", false);
    }
    for (const Entry* e : r.all("insecure")) {
      std::string v = lower(e->value);
      for (const std::string& f : splitList(v)) {
        if (f != "port" && f != "invite" && f != "very" && !isFalse(f)) {
          report_.add(*e, "unknown insecure setting \"" + f + "\"", true);
        }
      }
    }
    po.objects.insert(po.objects.begin(), std::move(ep));

    if (info.hasAor) {
      OptionList aorWanted;
      if (info.kind == PeerKind::kStatic)
        aorWanted.put("contact", staticContact(r), r.last("host")->where);
      for (const Option& o : m.aor.items()) aorWanted.put(o.key, o.value, o.from);
      PjObject aor;
      aor.id = s.name;
      aor.type = "aor";
      aor.from = s.where;
      aor.parents = parentsFor(s, true);
      aor.options = deltaOptions(aorWanted, inherited(aor.parents), "aor");
      po.objects.insert(po.objects.begin() + 1, std::move(aor));
    }
    if (info.kind == PeerKind::kStatic) {
      // chan_sip matched peers by source address; insecure=port (match the IP, any port) is the
      // only way PJSIP matches, so it needs no option.
      PjObject id;
      id.id = s.name;
      id.type = "identify";
      id.from = r.last("host")->where;
      id.options.put("endpoint", s.name);
      id.options.put("match", host, r.last("host")->where);
      info.identify = id.id;
      po.objects.push_back(std::move(id));
    }
    for (const Unmapped* u : report_.inSection(s.name)) {
      po.objects.front().comments.push_back(notConverted(*u));
    }
    peers_.push_back(std::move(po));
  }

  std::string staticContact(const Resolved& r) const {
    std::string user = r.value("defaultuser");
    if (user.empty()) user = r.value("username");
    std::string host = r.value("host");
    std::string port = r.value("port");
    std::string uri = "sip:" + (user.empty() ? "" : user + "@") + uriHost(host) +
                      (port.empty() ? "" : ":" + port);
    std::vector<std::string> transports = splitList(lower(r.value("transport")));
    if (!transports.empty() && (transports[0] == "tcp" || transports[0] == "tls")) {
      uri += ";transport=" + transports[0];
    }
    return uri;
  }

  // ---- registrations -----------------------------------------------------------------------

  struct PendingRegistration {
    RegisterLine line;
    SourceRef where;
  };

  void buildRegistrations() {
    std::vector<PendingRegistration> pending;
    for (const Entry* raw : generalAll("register")) {
      auto line = parseRegisterLine(raw->value);
      if (!line) {
        report_.add(lowered(*raw), line.message(), true);
        continue;
      }
      pending.push_back({*line, raw->where});
    }
    // callbackextension: chan_sip registers the peer itself to its host.
    for (const PeerObjects& p : peers_) {
      const Entry* cb = p.resolved.last("callbackextension");
      if (cb == nullptr) continue;
      RegisterLine line;
      line.peer = p.info.name;
      line.user =
          p.resolved.value("defaultuser").empty() ? p.info.name : p.resolved.value("defaultuser");
      line.secret = p.resolved.value("remotesecret").empty() ? p.resolved.value("secret")
                                                             : p.resolved.value("remotesecret");
      line.host = p.info.host;
      line.port = p.info.port;
      line.extension = cb->value;
      if (p.info.kind != PeerKind::kStatic) {
        report_.add(*cb, "callbackextension needs a peer with a fixed host", true);
        continue;
      }
      pending.push_back({line, cb->where});
    }

    std::string defaultExpiry = generalValue("defaultexpiry");
    if (!isNumber(defaultExpiry)) defaultExpiry = "120";  // chan_sip's DEFAULT_DEFAULT_EXPIRY
    std::string retry = generalValue("registertimeout");
    if (!isNumber(retry)) retry = "20";  // chan_sip's DEFAULT_REGISTRATION_TIMEOUT
    std::string attempts = generalValue("registerattempts");
    // chan_sip retries forever by default (0); PJSIP stops after max_retries.
    std::string maxRetries = (!isNumber(attempts) || attempts == "0") ? "10000" : attempts;
    bool retry403 = isTrue(generalValue("register_retry_403"));

    for (PendingRegistration& p : pending) {
      RegisterLine& l = p.line;
      PeerObjects* peer = nullptr;
      if (!l.peer.empty()) {
        peer = findPeer(l.peer);
        if (peer == nullptr) {
          out_.notes.push_back({p.where, "register line names peer \"" + l.peer +
                                             "\", which is not defined; the registration is not "
                                             "linked to an endpoint"});
        }
      } else {
        for (PeerObjects& candidate : peers_) {
          if (candidate.info.kind == PeerKind::kUser) continue;
          if (candidate.info.name == l.host || lower(candidate.info.host) == lower(l.host)) {
            peer = &candidate;
            break;
          }
        }
      }
      PjObject reg;
      reg.type = "registration";
      reg.from = p.where;
      reg.id = uniqueId(peer != nullptr ? peer->info.name + "-reg" : "reg-" + sanitizeId(l.host));
      std::string proto = l.transport;
      if (proto.empty() && peer != nullptr) {
        std::vector<std::string> t = splitList(lower(peer->resolved.value("transport")));
        if (!t.empty()) proto = t[0];
      }
      std::string server = "sip:" + uriHost(l.host) + (l.port.empty() ? "" : ":" + l.port);
      if (proto == "tcp" || proto == "tls") server += ";transport=" + proto;
      std::string clientHost = l.domain.empty() ? uriHost(l.host) : l.domain;
      std::string client =
          "sip:" + l.user + "@" + clientHost + (l.domainPort.empty() ? "" : ":" + l.domainPort);
      reg.options.put("server_uri", server, p.where);
      reg.options.put("client_uri", client, p.where);
      if (!l.extension.empty() && l.extension != "s") {
        reg.options.put("contact_user", l.extension, p.where);
      }
      if (!proto.empty() && proto != "udp") {
        if ((proto == "tcp" && general_.tcp) || (proto == "tls" && general_.tls)) {
          reg.options.put("transport", "transport-" + proto, p.where);
        } else {
          out_.notes.push_back({p.where, "registration " + reg.id + " uses " + proto +
                                             ", which [general] does not enable; it is sent over "
                                             "UDP"});
        }
      } else if (general_.tcp || general_.tls) {
        reg.options.put("transport", "transport-udp", p.where);
      }
      std::string authId;
      if (!l.secret.empty()) {
        std::string user = l.authUser.empty() ? l.user : l.authUser;
        // Reuse the peer's outbound credentials when they are the same.
        if (peer != nullptr && !peer->info.outboundAuth.empty()) {
          for (const PjObject& o : peer->objects) {
            if (o.type == "auth" && o.id == peer->info.outboundAuth &&
                o.options.value("username") == user && o.options.value("password") == l.secret) {
              authId = o.id;
            }
          }
        }
        if (authId.empty()) {
          PjObject auth;
          auth.id = uniqueId(reg.id + "-auth");
          auth.type = "auth";
          auth.from = p.where;
          auth.options.put("username", user, p.where);
          auth.options.put("password", l.secret, p.where);
          authId = auth.id;
          regAuths_.push_back(std::move(auth));
        }
        reg.options.put("outbound_auth", authId, p.where);
      } else {
        out_.notes.push_back(
            {p.where, "register line for " + l.user + "@" + l.host + " has no secret"});
      }
      if (peer != nullptr) {
        if (std::string proxy = resolvedEndpointValue(peer->objects.front(), "outbound_proxy");
            !proxy.empty()) {
          reg.options.put("outbound_proxy", proxy);
        }
      }
      reg.options.put("expiration", l.expiry >= 0 ? std::to_string(l.expiry) : defaultExpiry,
                      p.where);
      reg.options.put("retry_interval", retry);
      reg.options.put("max_retries", maxRetries);
      if (retry403) {
        reg.options.put("auth_rejection_permanent", "no");
        reg.options.put("forbidden_retry_interval", retry);
      }
      if (peer != nullptr) {
        // line=yes: the far end's calls carry our line parameter, which maps them to the
        // endpoint without relying on its source address.
        reg.options.put("line", "yes");
        reg.options.put("endpoint", peer->info.name);
        peer->info.registrations.push_back(reg.id);
      }
      reg.comments.push_back(p.where.toString() + " register => " + std::string(registerText(p)));
      RegistrationInfo ri;
      ri.id = reg.id;
      ri.authId = authId;
      ri.endpoint = peer != nullptr ? peer->info.name : "";
      ri.serverHost = l.host;
      ri.where = p.where;
      out_.registrations.push_back(ri);
      registrations_.push_back({std::move(reg), peer != nullptr ? peer->info.name : ""});
    }
  }

  static std::string registerText(const PendingRegistration& p) {
    const RegisterLine& l = p.line;
    std::string s =
        (l.peer.empty() ? "" : l.peer + "?") + (l.transport.empty() ? "" : l.transport + "://") +
        l.user + (l.domain.empty() ? "" : "@" + l.domain) +
        (l.domainPort.empty() ? "" : ":" + l.domainPort) + (l.secret.empty() ? "" : ":********") +
        (l.authUser.empty() ? "" : ":" + l.authUser) + "@" + l.host +
        (l.port.empty() ? "" : ":" + l.port) + (l.extension.empty() ? "" : "/" + l.extension);
    return s;
  }

  PeerObjects* findPeer(const std::string& name) {
    for (PeerObjects& p : peers_) {
      if (p.info.name == name) return &p;
    }
    return nullptr;
  }

  // [authentication] credentials answer challenges whose realm matches; chan_sip tried them
  // wherever it sent credentials, so every endpoint and registration that sends auth gets them.
  void attachRealmAuths() {
    if (realmAuths_.empty()) return;
    std::string list;
    for (const std::string& id : realmAuths_) list += "," + id;
    for (PeerObjects& p : peers_) {
      if (p.info.kind != PeerKind::kStatic || p.info.outboundAuth.empty()) continue;
      PjObject& ep = p.objects.front();
      std::string cur = resolvedEndpointValue(ep, "outbound_auth");
      ep.options.put("outbound_auth", cur.empty() ? list.substr(1) : cur + list);
      p.info.outboundAuth = ep.options.value("outbound_auth");
    }
    for (auto& [reg, peer] : registrations_) {
      std::string cur = reg.options.value("outbound_auth");
      reg.options.put("outbound_auth", cur.empty() ? list.substr(1) : cur + list);
    }
  }

  std::string resolvedEndpointValue(const PjObject& ep, std::string_view key) const {
    PjDocument doc;
    doc.objects = templates_;
    return resolveOptions(doc, ep).value(key);
  }

  // ---- output order ------------------------------------------------------------------------

  void assemble() {
    PjDocument& doc = out_.doc;
    for (PjObject& o : globals_) doc.objects.push_back(std::move(o));
    for (PjObject& o : transports_) doc.objects.push_back(std::move(o));
    for (PjObject& o : templates_) doc.objects.push_back(std::move(o));
    for (PeerObjects& p : peers_) {
      for (PjObject& o : p.objects) doc.objects.push_back(std::move(o));
      for (auto& [reg, peer] : registrations_) {
        if (peer == p.info.name) {
          for (PjObject& a : regAuths_) {
            if (!a.id.empty() && a.id == reg.options.value("outbound_auth")) {
              doc.objects.push_back(std::move(a));
              a.id.clear();
            }
          }
          doc.objects.push_back(std::move(reg));
        }
      }
      out_.peers.push_back(std::move(p.info));
    }
    for (PjObject& a : extraAuths_) doc.objects.push_back(std::move(a));
    for (auto& [reg, peer] : registrations_) {
      if (!peer.empty()) continue;
      for (PjObject& a : regAuths_) {
        if (!a.id.empty() && a.id == reg.options.value("outbound_auth")) {
          doc.objects.push_back(std::move(a));
          a.id.clear();
        }
      }
      doc.objects.push_back(std::move(reg));
    }
    for (PjObject& a : regAuths_) {
      if (!a.id.empty()) doc.objects.push_back(std::move(a));
    }
  }

  const Config& sip_;
  ConvertOptions options_;
  Conversion out_;
  Report report_;
  General general_;
  TemplateIds defaults_;
  std::map<int, TemplateIds> templateIds_;
  std::set<std::string> sectionNames_;
  std::set<std::string> generated_;
  std::vector<PjObject> globals_;
  std::vector<PjObject> transports_;
  std::vector<PjObject> templates_;
  std::vector<PeerObjects> peers_;
  std::vector<std::pair<PjObject, std::string>> registrations_;
  std::vector<PjObject> regAuths_;
  std::vector<PjObject> extraAuths_;
  std::vector<std::string> realmAuths_;
};

}  // namespace

Result<Conversion> convert(const Config& sip, const ConvertOptions& options) {
  return Converter(sip, options).run();
}

Result<Conversion> convertFile(const std::string& path, FileSource& files,
                               const ConvertOptions& options) {
  auto config = readConfig(path, files);
  if (!config) return config.status();
  return convert(*config, options);
}

}  // namespace tandem::pjsip
