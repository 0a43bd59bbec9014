// `tandem ctl` flags and help; the work is tandem::control::runCtl.
#include "cli/ctl_cmd.h"

#include <iostream>
#include <memory>

#include "control/ctl.h"

namespace tandem::cli {

namespace {

constexpr const char* kFooter =
    R"(Methods (`tandem ctl system.listMethods` lists those of the daemon you reach, and
`tandem ctl system.methodHelp METHOD` explains one):
  dispatcher.list                   sets and destinations: state, probing, latency, active calls
  dispatcher.set_state STATE SETID URI|all
                                    STATE: a|i|t|d or active|inactive|trying|disabled|drain
  dispatcher.reload                 re-read the list, keeping probe results and manual states
  dispatcher.add, dispatcher.remove change a set in memory
  dispatcher.ping_active 0|1        pause or resume OPTIONS probing
  dlg.list                          dialogs in progress
  stats.get [GROUP]                 counters
  core.uptime, core.version         how long it has run, which version

Arguments: a plain integer is sent as a JSON number (kamcmd's habit); s:123 sends the string
"123". An argument that starts with a dash (other than a negative number) needs -- right
after METHOD: tandem ctl METHOD -- --odd-arg.
Output: tables and "key: value" lines; --json prints the raw result.
Exit status: 0 ok, 1 error answer or failure, 2 cannot connect.
The daemon serves this at its [control] listen address (POST /rpc), with GET /metrics
(Prometheus) and GET /health beside it.)";

}  // namespace

void addCtlCommands(CLI::App& app) {
  auto options = std::make_shared<control::CtlOptions>();
  auto* ctl = app.add_subcommand(
      "ctl",
      "Call a method on a running daemon's control endpoint (JSON-RPC over HTTP), like kamcmd");
  ctl->add_option("--url", options->url,
                  std::string("control endpoint (default: $TANDEM_CTL_URL, else ") +
                      control::kDefaultCtlUrl + ")");
  ctl->add_flag("--json", options->json, "print the result as JSON");
  ctl->add_option("--timeout", options->timeoutSeconds, "seconds to wait for the answer")
      ->capture_default_str();
  ctl->add_option("method", options->method, "method name, e.g. dispatcher.list")->required();
  ctl->add_option("args", options->args, "method arguments");
  ctl->footer(kFooter);
  ctl->callback([options] {
    int code = control::runCtl(*options, std::cout, std::cerr);
    std::cout.flush();
    if (code == 0) throw CLI::Success();
    throw CLI::RuntimeError(code);
  });
}

}  // namespace tandem::cli
