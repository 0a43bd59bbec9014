// Flags and help of the provisioning commands; the work is tandem::store::provision (run*).
#include "cli/provision_cmd.h"

#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edge/config.h"
#include "store/provision.h"

namespace tandem::cli {

namespace provision = tandem::store::provision;

namespace {

constexpr const char* kStoreFooter =
    "The store is --store URL, else the [store] url of -c CONFIG, else $TANDEM_STORE\n"
    "(sqlite:///var/lib/tandem/tandem.db, postgresql://user:pass@host/db, ...).\n"
    "Exit status: 0 ok, 1 error (one line on stderr). See docs/provisioning.md.";

// Where the store is and how to print: on every leaf command.
struct StoreOptions {
  std::string store;
  std::string config;
  bool json = false;
};

void addStoreOptions(CLI::App* cmd, StoreOptions& o) {
  cmd->add_option("--store", o.store, "store URL (overrides -c and $TANDEM_STORE)");
  cmd->add_option("-c,--config", o.config, "edge config file whose [store] url to use");
  cmd->add_flag("--json", o.json, "print the result as JSON");
}

// --store, else -c's [store] url, else $TANDEM_STORE; on failure the error is printed.
std::optional<std::string> storeUrl(const StoreOptions& o) {
  std::optional<std::string> fromConfig;
  if (o.store.empty() && !o.config.empty()) {
    auto config = edge::loadConfig(o.config);
    if (!config) {
      provision::printError(std::cerr, config.message());
      return std::nullopt;
    }
    fromConfig = config->store.url;
  }
  auto url = provision::resolveStoreUrl(o.store, fromConfig, o.config, std::getenv("TANDEM_STORE"));
  if (!url) {
    provision::printError(std::cerr, url.message());
    return std::nullopt;
  }
  return *url;
}

[[noreturn]] void finish(int code) {
  std::cout.flush();
  if (code == 0) throw CLI::Success();
  throw CLI::RuntimeError(code);
}

// One argument of a leaf command and the method parameter it fills. Values go as strings: the
// method reads digit strings as integers and reports a bad number in its own words.
struct Arg {
  const char* param;  // method parameter, e.g. "dest_type"
  const char* name;   // "did" (positional) or "--dest-type"
  const char* help;
  bool required = false;
  bool integer = false;  // only shown in the help
};

// A leaf command that calls one provisioning method.
struct Leaf {
  const char* name;
  const char* description;
  const char* method;
  std::vector<Arg> args;
  const char* example;
};

void addLeaf(CLI::App* parent, const Leaf& leaf) {
  struct State {
    StoreOptions store;
    std::map<std::string, std::string> values;
    std::vector<std::pair<std::string, CLI::Option*>> given;
  };
  auto state = std::make_shared<State>();
  auto* cmd = parent->add_subcommand(leaf.name, leaf.description);
  // Usage mistakes are checked here rather than by CLI11 so that they too exit 1 with one line
  // (CLI11's own errors exit with codes above 100 and print two).
  cmd->allow_extras();
  std::vector<std::pair<CLI::Option*, std::string>> required;  // and what each one is
  for (const Arg& arg : leaf.args) {
    std::string help = arg.help;
    if (arg.required) help += " (required)";
    auto* option = cmd->add_option(arg.name, state->values[arg.param], help);
    option->type_name(arg.integer ? "INT" : "TEXT");
    state->given.emplace_back(arg.param, option);
    if (arg.required) required.emplace_back(option, std::string(arg.name) + ": " + arg.help);
  }
  addStoreOptions(cmd, state->store);
  cmd->footer(std::string("Example: ") + leaf.example + "\n" + kStoreFooter);
  std::string method = leaf.method;
  cmd->callback([state, method, cmd, required] {
    std::vector<std::string> extra = cmd->remaining();
    if (!extra.empty()) {
      std::string text;
      for (const auto& e : extra) text += (text.empty() ? "" : " ") + e;
      finish(provision::printError(std::cerr, "unexpected argument: " + text + " (see --help)"));
    }
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [param, option] : state->given) {
      if (option->count() > 0) params[param] = state->values[param];
    }
    for (const auto& [option, what] : required) {
      if (option->count() == 0) {
        finish(provision::printError(std::cerr, "missing " + what + " (see --help)"));
      }
    }
    auto url = storeUrl(state->store);
    if (!url) finish(provision::kExitError);
    finish(provision::runMethod(*url, method, std::move(params), state->store.json, std::cin,
                                std::cout, std::cerr));
  });
}

const Arg kUser{"user", "user", "USER@DOMAIN, e.g. alice@example.com", true};
const Arg kPassword{"password", "--password",
                    "password; the four digests are stored, not the password (- reads it from "
                    "stdin)"};
const Arg kHa1{"ha1", "--ha1", "MD5 digest (32 hex digits) instead of a password"};
const Arg kHa1Sha256{"ha1_sha256", "--ha1-sha256", "SHA-256 digest (64 hex digits), with --ha1"};
const Arg kDescription{"description", "--description", "free text"};

void addDb(CLI::App& app) {
  auto* db = app.add_subcommand("db", "Database schema: create, upgrade and check it");
  db->require_subcommand(1);

  struct Migrate {
    StoreOptions store;
    int to = 0;
  };
  auto migrate = std::make_shared<Migrate>();
  auto* m = db->add_subcommand("migrate",
                               "Create the tables or upgrade them to this binary's schema version");
  m->add_option("--to", migrate->to,
                "stop at this schema version (default: the newest this binary knows, " +
                    std::to_string(store::kSchemaVersion) + ")");
  addStoreOptions(m, migrate->store);
  m->footer(std::string("Creates a SQLite file that does not exist yet. Never migrates down.\n"
                        "Example: tandem db migrate --store sqlite:///var/lib/tandem/tandem.db\n") +
            kStoreFooter);
  m->callback([migrate] {
    auto url = storeUrl(migrate->store);
    if (!url) finish(provision::kExitError);
    finish(provision::runMigrate(*url, migrate->to, migrate->store.json, std::cout, std::cerr));
  });

  auto status = std::make_shared<StoreOptions>();
  auto* s = db->add_subcommand("status", "Show the backend and the schema version");
  addStoreOptions(s, *status);
  s->footer(std::string("Exit status 1 also when the schema is not the one this binary needs.\n"
                        "Example: tandem db status -c /etc/tandem/edge.toml\n") +
            kStoreFooter);
  s->callback([status] {
    auto url = storeUrl(*status);
    if (!url) finish(provision::kExitError);
    finish(provision::runStatus(*url, status->json, std::cout, std::cerr));
  });
}

void addUsers(CLI::App& app) {
  auto* user = app.add_subcommand("user", "Subscribers: digest credentials of USER@DOMAIN");
  user->require_subcommand(1);
  addLeaf(user, {"add",
                 "Add a subscriber with a password, or with its digests (--ha1)",
                 "user.add",
                 {kUser, kPassword, kHa1, kHa1Sha256},
                 "tandem user add alice@example.com --password s3cret"});
  addLeaf(user, {"passwd",
                 "Replace a subscriber's credentials",
                 "user.passwd",
                 {kUser, kPassword, kHa1, kHa1Sha256},
                 "echo n3w | tandem user passwd alice@example.com --password -"});
  addLeaf(user, {"del",
                 "Delete a subscriber (its current registrations expire on their own)",
                 "user.del",
                 {kUser},
                 "tandem user del alice@example.com"});
  addLeaf(user, {"list",
                 "List subscribers (never their passwords or digests)",
                 "user.list",
                 {{"domain", "domain", "only this domain"}},
                 "tandem user list example.com"});
}

void addRoutes(CLI::App& app) {
  auto* route = app.add_subcommand("route", "Inbound (DID) and outbound (trunk) routes");
  route->require_subcommand(1);

  auto* did = route->add_subcommand("did", "Inbound numbers: where a called DID goes");
  did->require_subcommand(1);
  const Arg didArg{"did", "did", "the number as received in the R-URI, e.g. +442071234567", true};
  const Arg domain{"domain", "--domain", "tenant domain (default: any domain)"};
  addLeaf(did, {"add",
                "Route a DID to a destination URI",
                "route.did.add",
                {didArg,
                 {"destination", "destination", "URI the R-URI is rewritten to", true},
                 domain,
                 {"dest_type", "--dest-type", "value of X-Dest-Type, e.g. ivr or queue"},
                 kDescription},
                "tandem route did add +442071234567 sip:ivr@10.0.0.5 --dest-type ivr"});
  addLeaf(did, {"del",
                "Delete a DID route",
                "route.did.del",
                {didArg, domain},
                "tandem route did del +442071234567 --domain example.com"});
  addLeaf(did, {"list", "List DID routes", "route.did.list", {}, "tandem route did list"});

  auto* trunk = route->add_subcommand("trunk", "Outbound routes by longest dialled prefix");
  trunk->require_subcommand(1);
  const Arg prefix{"prefix", "prefix", "dialled-number prefix; \"\" is the default route", true};
  addLeaf(trunk,
          {"add",
           "Add an outbound route",
           "route.trunk.add",
           {prefix,
            {"destination", "destination", "trunk URI", true},
            {"priority", "--priority", "lower is tried first (default 0)", false, true},
            {"weight", "--weight", "share among routes of equal priority (default 1)", false, true},
            {"strip", "--strip", "digits removed from the front (default 0)", false, true},
            {"prepend", "--prepend", "digits put in front after stripping"},
            kDescription},
           "tandem route trunk add 0044 sip:carrier1.example.net --strip 2 --prepend +44"});
  addLeaf(trunk, {"del",
                  "Delete one route, or every route of a prefix",
                  "route.trunk.del",
                  {prefix, {"destination", "destination", "only the route to this URI"}},
                  "tandem route trunk del 0044 sip:carrier1.example.net"});
  addLeaf(trunk,
          {"list", "List outbound routes", "route.trunk.list", {}, "tandem route trunk list"});
}

void addTenants(CLI::App& app) {
  auto* tenant = app.add_subcommand("tenant", "Tenants: which dispatcher set serves a domain");
  tenant->require_subcommand(1);
  const Arg domain{"domain", "domain", "the tenant's SIP domain", true};
  const Arg setid{"setid", "setid", "dispatcher set id", true, true};
  addLeaf(tenant, {"add",
                   "Add a tenant served by a dispatcher set",
                   "tenant.add",
                   {domain, setid, kDescription},
                   "tandem tenant add example.com 1"});
  addLeaf(tenant, {"set",
                   "Move an existing tenant to another set (or change its description)",
                   "tenant.set",
                   {domain, setid, kDescription},
                   "tandem tenant set example.com 2"});
  addLeaf(tenant,
          {"del", "Delete a tenant", "tenant.del", {domain}, "tandem tenant del example.com"});
  addLeaf(tenant, {"list", "List tenants", "tenant.list", {}, "tandem tenant list"});
}

void addDispatcher(CLI::App& app) {
  auto* d = app.add_subcommand(
      "dispatcher", "Rows of the store's dispatcher table (the sets an edge with a store loads)");
  d->require_subcommand(1);
  addLeaf(d,
          {"add",
           "Add a destination to a set",
           "dispatcher.db.add",
           {{"setid", "setid", "dispatcher set id (1 or more)", true, true},
            {"uri", "uri", "destination SIP URI", true},
            {"flags", "--flags", "Kamailio flag bits 0-63 (8 = probing)", false, true},
            {"priority", "--priority", "higher is preferred by priority algorithms", false, true},
            {"attrs", "--attrs", "attributes, e.g. weight=50;duid=fs01"},
            kDescription},
           "tandem dispatcher add 1 sip:10.0.0.11:5060 --flags 8 --attrs weight=50"});
  addLeaf(d, {"del",
              "Delete a row by id (see list)",
              "dispatcher.db.del",
              {{"id", "id", "row id", true, true}},
              "tandem dispatcher del 7"});
  addLeaf(d, {"list",
              "List the table",
              "dispatcher.db.list",
              {{"setid", "setid", "only this set", false, true}},
              "tandem dispatcher list 1"});
}

}  // namespace

void addProvisioningCommands(CLI::App& app) {
  addDb(app);
  addUsers(app);
  addRoutes(app);
  addTenants(app);
  addDispatcher(app);
}

}  // namespace tandem::cli
