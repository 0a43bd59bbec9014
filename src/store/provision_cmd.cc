// What the provisioning commands do once src/cli has parsed their flags: find the store, open
// it, run one method or a schema command, and print the result for a terminal or as JSON.
#include <fmt/format.h>

#include <filesystem>
#include <string>

#include "control/render.h"
#include "control/rpc.h"
#include "store/provision.h"

namespace tandem::store::provision {

using Json = nlohmann::ordered_json;

namespace {

// Opens the store. mustExist: a SQLite file that is not there is an error rather than a new
// empty database (a mistyped path should not leave files behind); only `db migrate` creates.
Result<std::unique_ptr<Store>> open(std::string_view url, bool mustExist) {
  auto parsed = parseStoreUrl(url);
  if (!parsed) return parsed.status();
  if (mustExist && parsed->kind == StoreUrl::Kind::kSqlite && parsed->path != ":memory:") {
    std::error_code ec;
    if (!std::filesystem::exists(parsed->path, ec)) {
      return Status::error(fmt::format(
          "no database file at {} (`tandem db migrate` creates and initialises it)", parsed->path));
    }
  }
  return openStore(url);
}

void print(std::ostream& out, const Json& result, bool json) {
  if (json) {
    out << result.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
  } else {
    out << control::renderText(result);
  }
}

}  // namespace

// Method errors carry the JSON-RPC prefix for invalid params, which means nothing on a command
// line; database and config messages may span lines.
int printError(std::ostream& err, std::string_view message) {
  if (message.starts_with(control::kInvalidParamsPrefix)) {
    message.remove_prefix(control::kInvalidParamsPrefix.size());
  }
  std::string line(message);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  for (size_t pos; (pos = line.find_first_of("\r\n")) != std::string::npos;) {
    size_t len = line.compare(pos, 2, "\r\n") == 0 ? 2 : 1;
    line.replace(pos, len, "; ");
  }
  err << "error: " << line << '\n';
  return kExitError;
}

Result<std::string> resolveStoreUrl(std::string_view storeFlag,
                                    const std::optional<std::string>& configUrl,
                                    std::string_view configPath, const char* envValue) {
  if (!storeFlag.empty()) return std::string(storeFlag);
  if (configUrl) {
    if (configUrl->empty()) {
      return Status::error(fmt::format("{} has no [store] url", configPath));
    }
    return *configUrl;
  }
  if (envValue != nullptr && *envValue != '\0') return std::string(envValue);
  return Status::error(
      "no store: give --store URL, -c CONFIG (its [store] url) or set TANDEM_STORE");
}

int runMethod(std::string_view url, std::string_view method, nlohmann::json params, bool json,
              std::istream& in, std::ostream& out, std::ostream& err) {
  if (params.is_object()) {
    auto it = params.find("password");
    if (it != params.end() && *it == "-") {
      // Keeps the password out of the process list and the shell history.
      std::string line;
      std::getline(in, line);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) return printError(err, "password: nothing on standard input");
      *it = line;
    }
  }
  auto store = open(url, true);
  if (!store) return printError(err, store.message());
  if (Status s = (*store)->checkSchema(); !s) return printError(err, s.message());
  auto result = call(**store, method, params);
  if (!result) return printError(err, result.message());
  print(out, *result, json);
  return kExitOk;
}

int runMigrate(std::string_view url, int to, bool json, std::ostream& out, std::ostream& err) {
  auto store = open(url, false);
  if (!store) return printError(err, store.message());
  auto result = migrateDb(**store, to);
  if (!result) return printError(err, result.message());
  if (json) {
    print(out, *result, true);
  } else if ((*result)["applied"] == 0) {
    out << fmt::format("{} database {} is at schema version {}: nothing to do\n",
                       (*store)->backend(), (*store)->description(), (*result)["to"].get<int>());
  } else {
    out << fmt::format("{} database {}: schema version {} -> {} ({} migrations applied)\n",
                       (*store)->backend(), (*store)->description(), (*result)["from"].get<int>(),
                       (*result)["to"].get<int>(), (*result)["applied"].get<int>());
  }
  return kExitOk;
}

int runStatus(std::string_view url, bool json, std::ostream& out, std::ostream& err) {
  auto store = open(url, true);
  if (!store) return printError(err, store.message());
  auto result = dbStatus(**store);
  if (!result) return printError(err, result.message());
  print(out, *result, json);
  if ((*result)["state"] != "ok") return printError(err, (*result)["message"].get<std::string>());
  return kExitOk;
}

}  // namespace tandem::store::provision
