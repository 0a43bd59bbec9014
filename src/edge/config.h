// The edge's configuration, read from TOML (see docs/config.md for every key). Loading checks
// every value and reports each problem with file, line and key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/address.h"
#include "core/result.h"
#include "txn/txn.h"

namespace tandem::edge {

struct EdgeConfig {
  std::vector<ListenSpec> listen;
  // Address written into Via and Record-Route when a listener is bound to 0.0.0.0 / ::.
  std::string advertise;
  std::vector<std::string> domains;  // served domains besides our own addresses
  std::vector<Cidr> trusted;         // sources allowed to relay to foreign domains
  bool recordRoute = true;
  std::vector<std::string> pipeline;  // stage names, in order
  std::string logLevel = "info";

  struct Dispatcher {
    std::string listFile;
    int set = 1;
    int algorithm = 4;           // Kamailio numbering
    int failoverLimit = 0;       // destinations tried per call; 0 = all of the set
    std::string hashExpression;  // algorithm 7: e.g. "$fU@$ci"
    // Health probing (Kamailio's ds_ping_* parameters).
    uint32_t pingIntervalS = 0;  // 0 = no probing (Kamailio's default)
    uint32_t pingTimeoutMs = 0;  // 0 = the interval
    std::string pingFrom;        // From URI of pings; default sip:dispatcher@<edge address>
    uint32_t probingThreshold = 1;
    uint32_t inactiveThreshold = 1;
    int probingMode = 0;
    std::string pingReplyCodes;  // extra accepted codes besides 2xx, e.g. "404;5xx"
  } dispatcher;

  struct Control {
    std::string listen;  // "127.0.0.1:7060"; empty = no control endpoint
  } control;

  // The database (docs/store.md). Without a url the edge keeps no state beyond its process and
  // the auth, registrar and routing stages are unavailable.
  struct Store {
    std::string url;                 // sqlite:///path, postgresql://...; "" = no store
    std::string journal;             // local journal of bindings written while the database is down
    uint32_t pollIntervalMs = 1000;  // how often cached tables are checked for changes
    uint32_t serverId = 0;           // written into location.server_id
  } store;

  // Digest authentication (docs/edge.md#authentication).
  struct Auth {
    std::string realm;   // "" = the domain of the request (To for REGISTER, From otherwise)
    std::string secret;  // nonce key shared by every edge; "" = random per start
    uint32_t nonceLifetimeS = 300;
    // Offered, in this order. MD5 alone by default, as Kamailio: many phones (baresip 1.0, SIPp
    // 3.6) fail on a SHA-256 challenge instead of skipping it; add "SHA-256" for RFC 8760 ones.
    std::vector<std::string> algorithms{"MD5"};
    std::vector<std::string> methods{"REGISTER", "INVITE"};  // initial requests that need auth
    bool allowNoQop = true;  // accept RFC 2069 answers without qop (no replay protection)
  } auth;

  // Registrar and location service (RFC 3261 §10).
  struct Registrar {
    uint32_t minExpires = 60;
    uint32_t maxExpires = 3600;
    uint32_t defaultExpires = 3600;
    uint32_t maxContacts = 0;    // per AoR; 0 = unlimited
    bool replaceOldest = false;  // max_contacts reached: drop the oldest instead of 403
  } registrar;

  // Database-driven routing: DID, tenant and trunk stages.
  struct Routing {
    bool didNotFound = false;  // answer 404 "DID Not Found" for unknown numbers from outside
  } routing;

  txn::Timers timers;

  struct Dialog {
    uint32_t noAckTimeoutS = 60;  // a 2xx never ACKed ends the dialog after this
    uint32_t lifetimeS = 43200;   // calls are forgotten after this (Kamailio default_timeout)
  } dialog;

  struct Limits {
    uint32_t maxHeaderBytes = 16 * 1024;
    uint32_t maxBodyBytes = 64 * 1024;
    uint32_t tcpIdleTimeoutMs = 120'000;
    uint32_t tcpMaxConnections = 10'000;
  } limits;
};

// The stage names the pipeline accepts, in their default order without a store.
const std::vector<std::string>& defaultPipeline();
// The default order when a store is configured: adds auth, registrar and routing stages.
const std::vector<std::string>& storePipeline();
// Stages that need a store.
bool stageNeedsStore(std::string_view name);

// Reads and validates a config file. Relative list_file paths are taken relative to the
// config file's folder. Errors: one line per problem, "FILE:LINE: key: message".
Result<EdgeConfig> loadConfig(const std::string& path);
Result<EdgeConfig> parseConfig(std::string_view text, const std::string& fileName);

}  // namespace tandem::edge
