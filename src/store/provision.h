// Provisioning: the operator's changes to subscribers, DID and trunk routes, tenants and
// dispatcher rows, with the validation and the texts shared by the command line (`tandem user`,
// `route`, `tenant`, `dispatcher`, `db`) and the JSON-RPC methods (user.*, route.*, tenant.*,
// dispatcher.db.*). See docs/provisioning.md.
//
// Everything here that takes a Store blocks on the database: call it from the command line or on
// the StoreWorker thread (registerProvisioningRpc does the latter), never on an event loop.
// Thread-safety: none beyond the Store's; the functions keep no state.
#pragma once

#include <cstdint>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace tandem::control {
class RpcRegistry;
}

namespace tandem::store {

class StoreWorker;
class CompletionQueue;

namespace provision {

// ---- Validation ------------------------------------------------------------------------------
// Each returns ok or an error that starts with the field name: `domain: "exa mple.com" is not a
// host name or an IP address`. Values are quoted as given, control characters escaped.

// A host name (labels of letters, digits and '-', at most 253 characters), an IPv4 address or a
// bracketed IPv6 address ("[2001:db8::1]").
Status checkDomain(std::string_view field, std::string_view domain);
// A SIP user part: RFC 3261's unreserved and user-unreserved characters and %XX escapes, 1 to
// 128 characters.
Status checkUser(std::string_view field, std::string_view user);
// A sip: or sips: URI: optional user@, a host as checkDomain, optional :port (1-65535), then
// ;parameters and ?headers without spaces or control characters. Deliberately shallow: the
// SIP parser (src/sip) sits above this component, and the edge parses the URI again when it uses
// it; this catches typos, not every grammar corner.
Status checkSipUri(std::string_view field, std::string_view uri);
// Digits with an optional leading '+', at most 32 of them; empty only when allowEmpty.
Status checkNumber(std::string_view field, std::string_view number, bool allowEmpty);
// min <= value <= max, else "FIELD: must be from MIN to MAX, got VALUE".
Status checkRange(std::string_view field, int64_t value, int64_t min, int64_t max);
// Free text (descriptions): at most 255 bytes, no control characters.
Status checkText(std::string_view field, std::string_view text);
// A header-safe token (letters, digits and -._!%*+`'~), or empty. Used for dest_type, which the
// edge copies into X-Dest-Type.
Status checkToken(std::string_view field, std::string_view token);
// Dispatcher attributes, "k=v;k2=v2" as in dispatcher.list: every item has a name; weight and
// rweight are 1 to 100; maxload is a non-negative integer.
Status checkAttrs(std::string_view field, std::string_view attrs);
// Exactly `digits` hexadecimal characters.
Status checkHex(std::string_view field, std::string_view hex, size_t digits);

// "alice@example.com" split at its last '@' and checked (user as checkUser, domain as
// checkDomain; the domain is returned lowercased).
struct Aor {
  std::string user;
  std::string domain;
};
Result<Aor> parseAor(std::string_view aor);

// Whole rows, checked as the add operations below check them (the RPC methods check first so
// that a bad value is answered as invalid params).
Status checkDidRoute(const DidRoute& route);
Status checkTrunkRoute(const TrunkRoute& route);
Status checkTenant(const Tenant& tenant);
Status checkDispatcherEntry(const DispatcherEntry& entry);

// ---- Operations ------------------------------------------------------------------------------
// Each validates its input first (nothing reaches the database on a validation error), then
// runs one Store call or one short transaction. Errors are the validation's, the Store's
// ("subscriber alice@example.com already exists") or its own "no ..." for a missing row, and
// unavailable errors (isUnavailable) pass through unchanged.

// How a subscriber authenticates: a password, from which the four digests are computed (the
// password itself is not stored), or the digests themselves (ha1 required, ha1_sha256 optional;
// the ha1b forms then stay empty).
struct Credentials {
  std::string password;
  std::string ha1;        // 32 hex digits: MD5(user:domain:password)
  std::string ha1Sha256;  // 64 hex digits: SHA-256(user:domain:password)
};
// The subscriber row for aor with credentials applied. Errors: "a password or an ha1 is needed",
// "password and ha1 exclude each other", "ha1_sha256 needs ha1", bad hex.
Result<Subscriber> subscriberFor(std::string_view aor, const Credentials& credentials);

Result<Subscriber> addUser(Store& store, std::string_view aor, const Credentials& credentials);
// Replaces the credentials. Error "no subscriber alice@example.com".
Status setCredentials(Store& store, std::string_view aor, const Credentials& credentials);
// Error "no subscriber alice@example.com".
Status deleteUser(Store& store, std::string_view aor);
// domain "" = every domain.
Result<std::vector<Subscriber>> listUsers(Store& store, std::string_view domain);

// did as checkNumber, domain "" (any) or checkDomain, destination as checkSipUri, dest_type as
// checkToken. Returns the row with its id.
Result<DidRoute> addDid(Store& store, DidRoute route);
// Error "no DID +4420 (any domain)" / "no DID +4420 (domain example.com)".
Status deleteDid(Store& store, std::string_view did, std::string_view domain);

// prefix as checkNumber (empty = the default route), destination as checkSipUri, priority and
// weight 0 to 2147483647, strip 0 to 32, prepend digits with an optional leading '+'.
Result<TrunkRoute> addTrunk(Store& store, TrunkRoute route);
// Deletes (prefix, destination), or every route of prefix when destination is "". Returns how
// many; none is the error "no trunk route 0044 -> sip:a@b" / "no trunk route with prefix 0044".
Result<int64_t> deleteTrunk(Store& store, std::string_view prefix, std::string_view destination);

// Adds a tenant: domain as checkDomain, setid 1 to 2147483647. Error "tenant example.com
// already exists (tenant set changes it)".
Result<Tenant> addTenant(Store& store, Tenant tenant);
// Changes the setid (how a tenant moves to another dispatcher set) and, when given, the
// description of an existing tenant. Error "no tenant example.com".
Result<Tenant> setTenant(Store& store, std::string_view domain, int64_t setid,
                         std::optional<std::string> description);
Status deleteTenant(Store& store, std::string_view domain);  // error "no tenant example.com"

// setid 1 to 2147483647, destination as checkSipUri, flags 0 to 63 (Kamailio's bits), priority
// -2147483648 to 2147483647, attrs as checkAttrs. Returns the row with its id.
Result<DispatcherEntry> addDispatcher(Store& store, DispatcherEntry entry);
Status deleteDispatcher(Store& store, int64_t id);  // error "no dispatcher entry with id 7"
// setid 0 = every set.
Result<std::vector<DispatcherEntry>> listDispatchers(Store& store, int64_t setid);

// ---- Rows as JSON ----------------------------------------------------------------------------
// Keys are the table's column names, in table order. A subscriber shows id, username, domain
// and "credentials": which digests it holds ("md5", "md5+sha256"); never a password or a digest.
nlohmann::ordered_json toJson(const Subscriber& s);
nlohmann::ordered_json toJson(const DidRoute& r);
nlohmann::ordered_json toJson(const TrunkRoute& r);
nlohmann::ordered_json toJson(const Tenant& t);
nlohmann::ordered_json toJson(const DispatcherEntry& d);

// ---- Schema ----------------------------------------------------------------------------------
// Migrates up to `to` (0 = this binary's kSchemaVersion). Never migrates down: a database above
// `to` is the error "database schema is at version 3, above 2: tandem never migrates down".
// Result: {"backend", "from", "to", "applied"}.
Result<nlohmann::ordered_json> migrateDb(Store& store, int to);
// {"backend", "url" (password hidden), "schema_version", "binary_schema_version", "state", and
// "message" unless state is "ok"}; state: "ok", "no schema", "needs migration" or "newer than
// this binary". An unreachable database is an error.
Result<nlohmann::ordered_json> dbStatus(Store& store);

// ---- Methods ---------------------------------------------------------------------------------
// One table of methods serves the JSON-RPC registry and the command line, so both take the same
// parameters, check them the same way and answer the same rows.
struct MethodInfo {
  std::string_view name;  // "user.add"
  std::string_view help;  // one line, for system.methodHelp
};
std::span<const MethodInfo> methods();

// Runs one method with params (an array for positional, an object for named parameters, as
// control::Params reads them). Bad parameters are "invalid params: ..." errors (JSON-RPC
// -32602): a missing or invalid value, an unknown name, more positions than the method takes,
// a JSON number for did, prefix, prepend or password (its leading zeros are already lost), and
// an unknown method ("invalid params: no provisioning method NAME"). Store errors pass through.
Result<nlohmann::ordered_json> call(Store& store, std::string_view method,
                                    const nlohmann::json& params);

// Registers every method of methods() on registry as an asynchronous method that runs call() on
// worker's thread and replies through cq (attached to registry's loop). Writes go through
// worker.read(), not submitWrite(): an operator's change runs once and fails fast with
// "store unavailable: ..." while the database is down, instead of being queued and retried.
// REQUIRES: worker and cq outlive every call in flight (stop the worker before destroying cq);
// registry's loop drains cq.
void registerProvisioningRpc(control::RpcRegistry& registry, StoreWorker& worker,
                             CompletionQueue& cq);

// ---- Command line ----------------------------------------------------------------------------
// The store URL for a command: --store when given, else the [store] url of the -c config file,
// else $TANDEM_STORE. configUrl: nullopt when no -c was given; configPath names the file in the
// error when its url is empty. None → "no store: give --store URL, -c CONFIG (its [store] url)
// or set TANDEM_STORE".
Result<std::string> resolveStoreUrl(std::string_view storeFlag,
                                    const std::optional<std::string>& configUrl,
                                    std::string_view configPath, const char* envValue);

// Exit codes of the run* functions.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;

// Prints "error: MESSAGE" as one line (line breaks joined with "; ", the JSON-RPC
// "invalid params: " prefix dropped) and returns kExitError.
int printError(std::ostream& err, std::string_view message);

// Opens the store at url (a SQLite file that does not exist is an error, not a new database),
// checks its schema, runs method with params and prints the result to out: rendered for a
// terminal (tables for lists, "key: value" lines for one row) or, with json, as indented JSON. A
// "password" parameter of "-" is replaced by one line read from in. On failure prints "error:
// MESSAGE" (one line) to err and returns kExitError.
int runMethod(std::string_view url, std::string_view method, nlohmann::json params, bool json,
              std::istream& in, std::ostream& out, std::ostream& err);
// `tandem db migrate [--to N]` (to 0 = kSchemaVersion); creates a SQLite file that is missing.
int runMigrate(std::string_view url, int to, bool json, std::ostream& out, std::ostream& err);
// `tandem db status`: prints the status; kExitError (and the message on err) unless the schema is
// the one this binary needs.
int runStatus(std::string_view url, bool json, std::ostream& out, std::ostream& err);

}  // namespace provision
}  // namespace tandem::store
