// sip.conf (as chan_sip reads it) to the PJSIP object model: endpoints, aors, auths, identifies,
// registrations, transports, global settings, with sip.conf templates kept as PJSIP templates.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"
#include "pjsip/config_reader.h"
#include "pjsip/model.h"

namespace tandem::pjsip {

// A listening address: protocol ("udp", "tcp", "tls"), host ("0.0.0.0", "::", "192.0.2.1") and
// port.
struct BindAddress {
  std::string protocol;
  std::string host;
  int port = 0;

  std::string toString() const;  // "udp 0.0.0.0:5060", "tcp [::]:5160"
};

// Parses "host[:port]", "[v6]:port" or a bare IPv6 address; port is defaultPort when absent.
Result<BindAddress> parseBindAddress(std::string_view text, std::string protocol, int defaultPort);

// True when two listeners would collide: same protocol family (udp, or tcp and tls which share
// TCP ports), same port, and the same address or a wildcard on either side.
bool bindsOverlap(const BindAddress& a, const BindAddress& b);

// One "register =>" line: [peer?][transport://]user[@domain][:secret[:authuser]]@host[:port]
// [/extension][~expiry], and the user@domain:port::@host form.
struct RegisterLine {
  std::string peer;
  std::string transport;  // "", "udp", "tcp", "tls"
  std::string user;
  std::string domain;
  std::string domainPort;
  std::string secret;
  std::string authUser;
  std::string host;
  std::string port;
  std::string extension;
  int expiry = -1;  // -1: not given
};

// Parses the value of a register line; errors name what is wrong with it.
Result<RegisterLine> parseRegisterLine(std::string_view value);

// A sip.conf line that did not become a PJSIP option, and why.
struct Unmapped {
  SourceRef where;
  std::string section;
  std::string key;
  std::string value;
  std::string reason;
  bool needsAttention = true;  // false: PJSIP needs no option for it (its behaviour is kept)
};

// What kind of chan_sip peer an endpoint came from; the plan and the linter reason with it.
enum class PeerKind {
  kPhone,        // host=dynamic: registers with us
  kStatic,       // a fixed host we send to: a trunk or a device with a static address
  kUser,         // type=user: calls in only
  kUnreachable,  // type=peer/friend without host=: chan_sip could not reach it either
};

struct PeerInfo {
  std::string name;  // the sip.conf section, which is also the endpoint id
  SourceRef where;
  std::string sipType;  // friend, peer, user
  PeerKind kind = PeerKind::kPhone;
  std::string context;
  std::string host;  // as written ("dynamic" for phones)
  std::string port;
  std::string accountcode;
  std::vector<std::string> templates;  // sip.conf templates it inherits from
  bool hasAor = false;
  std::string inboundAuth;                 // auth id, "" when none
  std::string outboundAuth;                // auth id, "" when none
  std::string identify;                    // identify id, "" when none
  std::vector<std::string> registrations;  // registration ids linked to this endpoint
};

struct RegistrationInfo {
  std::string id;
  std::string authId;
  std::string endpoint;  // "" when no peer receives its calls
  std::string serverHost;
  SourceRef where;
};

// A class: a sip.conf template, or chan_sip's [general] defaults ("sip-defaults"), and the PJSIP
// templates it became.
struct TemplateInfo {
  std::string name;
  SourceRef where;
  std::vector<std::string> sipParents;  // the sip.conf templates it inherits from
  std::string endpointId;               // its endpoint template, "" when it adds nothing there
  std::string aorId;
  std::vector<std::string> endpointView;  // template ids an endpoint of this class inherits
  std::vector<std::string> aorView;
};

struct ConvertOptions {
  // Where PJSIP listens during the dual-stack period. Empty: chan_sip's UDP address with port
  // 5160. TCP uses the same address, TLS the next port.
  std::string bind;
};

struct Conversion {
  std::string source;                   // the sip.conf path as given
  PjDocument doc;                       // every object in output order
  std::vector<TemplateInfo> templates;  // [general] defaults first, then sip.conf order
  std::vector<PeerInfo> peers;          // concrete peers in sip.conf order
  std::vector<RegistrationInfo> registrations;
  std::vector<Unmapped> unmapped;  // in file and line order
  std::vector<Diagnostic> notes;   // decisions worth reading (reader warnings included)
  std::vector<BindAddress> chanSipBinds;
  std::vector<BindAddress> pjsipBinds;

  const PeerInfo* peer(std::string_view name) const;
};

// Converts a sip.conf read by readConfig. Fails only on input that cannot be converted at all
// (an unparsable --bind, say); everything else that is not mapped lands in `unmapped`.
Result<Conversion> convert(const Config& sip, const ConvertOptions& options);

// Reads and converts a sip.conf file.
Result<Conversion> convertFile(const std::string& path, FileSource& files,
                               const ConvertOptions& options);

}  // namespace tandem::pjsip
