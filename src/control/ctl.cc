// `tandem ctl`: argument conversion, the call, and what is printed for each outcome.
#include "control/ctl.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "control/client.h"
#include "control/render.h"

namespace tandem::control {

namespace {

bool isPlainInteger(const std::string& s) {
  size_t digits = s.starts_with('-') ? 1 : 0;
  if (s.size() == digits || s.size() - digits > 18) return false;  // stays within int64
  return std::all_of(s.begin() + static_cast<long>(digits), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string defaultCtlUrl() {
  const char* env = std::getenv("TANDEM_CTL_URL");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(kDefaultCtlUrl);
}

nlohmann::json paramsFromArgs(const std::vector<std::string>& args) {
  nlohmann::json params = nlohmann::json::array();
  for (const auto& a : args) {
    if (a.starts_with("s:")) {
      params.push_back(a.substr(2));
    } else if (isPlainInteger(a)) {
      params.push_back(std::stoll(a));
    } else {
      params.push_back(a);
    }
  }
  return params;
}

int runCtl(const CtlOptions& options, std::ostream& out, std::ostream& err) {
  auto url = Url::parse(options.url.empty() ? defaultCtlUrl() : options.url);
  if (!url) {
    err << "error: " << url.message() << "\n";
    return kCtlFailed;
  }
  if (!(options.timeoutSeconds > 0) || options.timeoutSeconds > 86400) {
    err << "error: --timeout must be between 0 and 86400 seconds\n";
    return kCtlFailed;
  }
  int timeoutMs = static_cast<int>(std::ceil(options.timeoutSeconds * 1000));
  RpcReply reply = rpcCall(*url, options.method, paramsFromArgs(options.args), timeoutMs);
  switch (reply.outcome) {
    case RpcReply::Outcome::kResult:
      if (options.json) {
        out << reply.result.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
            << "\n";
      } else {
        out << renderText(reply.result);
      }
      return kCtlOk;
    case RpcReply::Outcome::kRpcError:
      err << "error " << reply.code << ": " << reply.message << "\n";
      if (!reply.data.is_null()) {
        err << (reply.data.is_string()
                    ? reply.data.get<std::string>()
                    : reply.data.dump(-1, ' ', false,
                                      nlohmann::ordered_json::error_handler_t::replace))
            << "\n";
      }
      return kCtlFailed;
    case RpcReply::Outcome::kConnectFailed:
      err << "error: " << reply.message
          << " (is the daemon running, with [control] listen at that address?)\n";
      return kCtlCannotConnect;
    case RpcReply::Outcome::kFailed:
      break;
  }
  err << "error: " << reply.message << "\n";
  return kCtlFailed;
}

}  // namespace tandem::control
