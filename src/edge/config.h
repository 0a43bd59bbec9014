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

// The stage names the pipeline accepts, in their default order.
const std::vector<std::string>& defaultPipeline();

// Reads and validates a config file. Relative list_file paths are taken relative to the
// config file's folder. Errors: one line per problem, "FILE:LINE: key: message".
Result<EdgeConfig> loadConfig(const std::string& path);
Result<EdgeConfig> parseConfig(std::string_view text, const std::string& fileName);

}  // namespace tandem::edge
