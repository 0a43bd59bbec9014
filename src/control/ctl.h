// `tandem ctl`: one JSON-RPC call to a daemon's control endpoint, printed for a terminal or as
// JSON. Lives here rather than in src/cli so it is tested; the CLI only parses flags.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

namespace tandem::control {

inline constexpr const char* kDefaultCtlUrl = "http://127.0.0.1:7060/rpc";

struct CtlOptions {
  std::string url;              // empty: defaultCtlUrl()
  bool json = false;            // print the raw result, pretty-printed
  double timeoutSeconds = 5.0;  // bounds connect and answer together
  std::string method;
  std::vector<std::string> args;
};

// $TANDEM_CTL_URL when set and non-empty, else kDefaultCtlUrl.
std::string defaultCtlUrl();

// The kamcmd habit: an argument that is a plain integer ("-12", "7") becomes a JSON number,
// "s:TEXT" forces the string TEXT, anything else is a string.
nlohmann::json paramsFromArgs(const std::vector<std::string>& args);

// Exit codes of runCtl.
inline constexpr int kCtlOk = 0;
inline constexpr int kCtlFailed = 1;         // error answer, bad URL, timeout, bad response
inline constexpr int kCtlCannotConnect = 2;  // nothing listening (or reachable) at the URL

// Calls options.method and writes the result to out (rendered, or JSON with options.json) or
// the failure to err: "error CODE: message" for a JSON-RPC error, "error: ..." otherwise.
// Blocking. Returns one of the exit codes above.
int runCtl(const CtlOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::control
