// The storage interface of tandem: typed rows for every table (subscriber, location, dispatcher,
// did_routing, trunk_routing, tenant, cdr), the blocking Store interface with its SQLite and
// PostgreSQL backends chosen by URL, and versioned schema migrations.
//
// A Store blocks on I/O: it is for start-up code, the command line, and the StoreWorker thread.
// Event-loop threads never call it; they read from store::Cache and write through
// store::StoreWorker (see worker.h, cache.h, journal.h).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace tandem::store {

// The schema version this binary reads and writes (the highest migration it knows).
inline constexpr int kSchemaVersion = 3;

// Errors that mean "the database cannot be reached right now" (no connection, connection lost,
// server shutting down, read-only after a failover, SQLite busy or I/O error) carry a message
// starting with this prefix. They are worth retrying; every other error is permanent
// (a constraint, bad data, a schema mismatch).
inline constexpr std::string_view kUnavailablePrefix = "store unavailable: ";
bool isUnavailable(const Status& status);

// ---- Rows ---------------------------------------------------------------------------------
// Text columns are never NULL in the database: absent values are empty strings. Domains are
// stored lowercased (SIP host names compare case-insensitively); user parts keep their case.

// subscriber: digest credentials (Kamailio auth_db column names; ha1_sha256 as OpenSIPS names
// it). (username, domain) is unique.
struct Subscriber {
  int64_t id = 0;  // assigned by the store
  std::string username;
  std::string domain;
  std::string password;    // optional: empty when only the hashes are kept
  std::string ha1;         // hex MD5("username:domain:password")
  std::string ha1b;        // hex MD5("username@domain:domain:password")
  std::string ha1Sha256;   // column ha1_sha256: hex SHA-256("username:domain:password")
  std::string ha1bSha256;  // column ha1b_sha256: hex SHA-256("username@domain:domain:password")
};
// Fills ha1, ha1b, ha1Sha256 and ha1bSha256 from username, domain (the realm) and password.
// REQUIRES: !s.password.empty().
void computeHa1(Subscriber& s);

// location: one binding of an AoR (username@domain) to a contact, as Kamailio's usrloc keeps it.
// ruid (record unique id, chosen by the registrar) is unique and is the key of every update.
struct Location {
  int64_t id = 0;  // assigned by the store
  std::string ruid;
  std::string username;
  std::string domain;
  std::string contact;   // the Contact URI
  std::string received;  // source address of the REGISTER when NATed ("sip:1.2.3.4:5060")
  std::string path;      // Path header values, comma-separated (RFC 3327)
  int64_t expires = 0;   // Unix seconds when the binding expires; 0 = never (static binding)
  double q = 1.0;        // Kamailio stores -1 for "no q-value given": the registrar decides
  std::string callid;
  int64_t cseq = 0;
  int64_t lastModified = 0;  // column last_modified: Unix seconds; newer writes win (see put)
  int64_t flags = 0;
  int64_t cflags = 0;
  std::string userAgent;  // column user_agent
  std::string socket;     // local socket the REGISTER came in on ("udp:10.0.0.1:5060")
  int64_t methods = -1;   // bitmask of allowed methods; -1 = not given
  std::string instance;   // +sip.instance (RFC 5626)
  int64_t regId = 0;      // column reg_id (RFC 5626)
  int64_t serverId = 0;   // column server_id: which edge wrote it
  int64_t keepalive = 0;
};

// dispatcher: destination sets, Kamailio's dispatcher table.
struct DispatcherEntry {
  int64_t id = 0;  // assigned by the store on add
  int64_t setid = 0;
  std::string destination;  // SIP URI
  int64_t flags = 0;        // Kamailio flag bits (1 inactive, 2 trying, 4 disabled, 8 probing)
  int64_t priority = 0;
  std::string attrs;  // "weight=50;duid=fs01"
  std::string description;
};

// did_routing: an inbound number. (did, domain) is unique; domain "" matches any domain.
struct DidRoute {
  int64_t id = 0;
  std::string did;          // R-URI user part as received, e.g. "+442071234567"
  std::string domain;       // tenant domain, "" = any
  std::string destination;  // URI the R-URI is rewritten to
  std::string destType;     // column dest_type: the X-Dest-Type value ("ivr", "queue", ...)
  std::string description;
};

// trunk_routing: outbound routes chosen by longest prefix of the dialled number. Several rows
// may share a prefix: they are tried by priority (lower first), and within one priority chosen
// by weight. (prefix, destination) is unique; prefix "" is the default route.
struct TrunkRoute {
  int64_t id = 0;
  std::string prefix;
  std::string destination;  // trunk URI, e.g. "sip:carrier1.example.net:5060;transport=tcp"
  int64_t priority = 0;     // lower is tried first
  int64_t weight = 1;       // share among routes of equal priority
  int64_t strip = 0;        // digits removed from the front of the number
  std::string prepend;      // text put in front of the number after stripping
  std::string description;
};

// tenant: which dispatcher set serves a domain (a tenant moves by changing its setid).
struct Tenant {
  std::string domain;  // unique
  int64_t setid = 0;
  std::string description;
};

// migration_run: the state of one `tandem migrate run` (JSON, owned by src/migrate), so a run
// survives a restart of the CLI and `status`/`rollback` work from any shell. name is unique.
struct MigrationRun {
  std::string name;
  std::string state;    // JSON text
  int64_t updated = 0;  // Unix milliseconds of the last write
};

// cdr: one finished call. uuid is unique so that a retried write never doubles a record.
struct Cdr {
  int64_t id = 0;    // assigned by the store
  std::string uuid;  // chosen by the writer; StoreWorker fills an empty one
  std::string callid;
  std::string fromTag;      // from_tag
  std::string toTag;        // to_tag
  std::string srcUser;      // src_user
  std::string srcDomain;    // src_domain
  std::string srcIp;        // src_ip
  std::string dstUser;      // dst_user
  std::string dstDomain;    // dst_domain
  std::string destination;  // the backend or trunk URI the call went to
  int64_t setid = 0;
  int64_t startTime = 0;    // start_time: Unix milliseconds of the INVITE
  int64_t answerTime = 0;   // answer_time: Unix milliseconds of the 200, 0 when unanswered
  int64_t endTime = 0;      // end_time: Unix milliseconds of the BYE or final failure
  double duration = 0;      // seconds from start to end
  double billsec = 0;       // seconds from answer to end
  int64_t sipCode = 0;      // sip_code: final response code
  std::string sipReason;    // sip_reason
  std::string disposition;  // "ANSWERED", "NO ANSWER", "BUSY", "FAILED"
};

// The tables whose changes caches follow. Their generation counters are bumped by database
// triggers on every insert, update and delete, whoever the writer is (tandem, psql, sqlite3).
enum class Table : uint8_t { kSubscriber, kDispatcher, kDidRouting, kTrunkRouting, kTenant };
inline constexpr size_t kTableCount = 5;
std::string_view tableName(Table table);  // "subscriber", "dispatcher", "did_routing", ...
using Generations = std::array<int64_t, kTableCount>;  // indexed by Table

// ---- Writes the StoreWorker queues and the Journal records ----------------------------------
// Each one is idempotent: applying it twice leaves the same rows as applying it once.
struct PutLocation {
  Location location;
};
struct DeleteLocation {
  std::string ruid;
};
struct DeleteAor {  // every binding of username@domain
  std::string username;
  std::string domain;
};
struct InsertCdr {
  Cdr cdr;  // REQUIRES: !cdr.uuid.empty() when applied
};
using WriteOp = std::variant<PutLocation, DeleteLocation, DeleteAor, InsertCdr>;

class Store;
// Runs op against store: putLocation, deleteLocation, deleteLocations or insertCdr.
Status applyWrite(Store& store, const WriteOp& op);

// ---- Store ----------------------------------------------------------------------------------

// One connection to one database. Every call blocks on the database.
// Thread-safety: none; use a Store from one thread at a time (the StoreWorker owns its Store).
// PostgreSQL connects lazily and reconnects on the next call after a connection loss, so a
// failover to a new primary is followed without a restart; calls made while it cannot connect
// return an unavailable error (see isUnavailable).
class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view backend() const = 0;  // "sqlite" or "postgresql"
  // The URL with any password replaced by "***", for logs.
  virtual const std::string& description() const = 0;

  // Connects when not connected. Ok when a trivial query succeeds.
  virtual Status ping() = 0;

  // -- Schema (see docs/store.md for the migrations) --
  // Version recorded in schema_version; 0 when the table does not exist.
  virtual Result<int> schemaVersion() = 0;
  // Applies the migrations above the current version, up to target, in order, in one
  // transaction (PostgreSQL also takes an advisory lock so two edges never migrate at once).
  // Returns the number of migrations applied. REQUIRES: 0 < target <= kSchemaVersion.
  virtual Result<int> migrate(int target = kSchemaVersion) = 0;
  // Ok when the database is at kSchemaVersion. Otherwise, one of:
  //  "database has no tandem schema (this binary needs version N): run `tandem db migrate`"
  //  "database schema is at version V, this binary needs version N: run `tandem db migrate`"
  //  "database schema is at version V, newer than this binary's N: upgrade tandem"
  virtual Status checkSchema() = 0;

  // -- Transactions: the typed calls below autocommit unless inside begin()..commit() --
  // After an unavailable error inside a transaction every call fails until rollback().
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;  // ok when no transaction is open or the connection is gone
  // One savepoint level inside a transaction: lets a batch skip one failing write.
  virtual Status savepoint() = 0;
  virtual Status releaseSavepoint() = 0;
  virtual Status rollbackToSavepoint() = 0;

  // -- subscriber --
  // Returns the new id. Error "subscriber alice@example.com already exists".
  virtual Result<int64_t> addSubscriber(const Subscriber& s) = 0;
  // Replaces password and hashes of (username, domain). Error "no subscriber alice@example.com".
  virtual Status updateSubscriber(const Subscriber& s) = 0;
  // True when a row was deleted.
  virtual Result<bool> deleteSubscriber(std::string_view username, std::string_view domain) = 0;
  virtual Result<std::optional<Subscriber>> getSubscriber(std::string_view username,
                                                          std::string_view domain) = 0;
  // All subscribers ("" = every domain), ordered by domain then username.
  virtual Result<std::vector<Subscriber>> listSubscribers(std::string_view domain = {}) = 0;

  // -- location --
  // Inserts or replaces the binding with this ruid, unless the stored one has a newer
  // last_modified (so a late replay never undoes a newer refresh). Idempotent.
  virtual Status putLocation(const Location& l) = 0;
  virtual Result<bool> deleteLocation(std::string_view ruid) = 0;
  // Deletes every binding of username@domain; returns how many.
  virtual Result<int64_t> deleteLocations(std::string_view username, std::string_view domain) = 0;
  // Bindings of one AoR, ordered by q descending then last_modified descending.
  virtual Result<std::vector<Location>> listLocations(std::string_view username,
                                                      std::string_view domain) = 0;
  // Every binding, ordered by domain, username, q descending (for loading at start).
  virtual Result<std::vector<Location>> listAllLocations() = 0;
  // Deletes bindings with 0 < expires <= nowSec; returns how many.
  virtual Result<int64_t> deleteExpiredLocations(int64_t nowSec) = 0;

  // -- dispatcher --
  virtual Result<int64_t> addDispatcher(const DispatcherEntry& d) = 0;
  // Replaces the row with d.id. Error "no dispatcher entry with id N".
  virtual Status updateDispatcher(const DispatcherEntry& d) = 0;
  virtual Result<bool> deleteDispatcher(int64_t id) = 0;
  // Ordered by setid, priority descending, id.
  virtual Result<std::vector<DispatcherEntry>> listDispatchers() = 0;

  // -- did_routing --
  // Error "DID +4420 (domain example.com) already exists" ("any domain" when domain is "").
  virtual Result<int64_t> addDid(const DidRoute& r) = 0;
  virtual Result<bool> deleteDid(std::string_view did, std::string_view domain) = 0;
  // Ordered by did, domain.
  virtual Result<std::vector<DidRoute>> listDids() = 0;

  // -- trunk_routing --
  // Error "trunk route 0044 -> sip:a@b already exists".
  virtual Result<int64_t> addTrunkRoute(const TrunkRoute& r) = 0;
  // Deletes the route (prefix, destination), or every route of prefix when destination is "".
  // Returns how many.
  virtual Result<int64_t> deleteTrunkRoutes(std::string_view prefix,
                                            std::string_view destination) = 0;
  // Ordered by prefix, priority, weight descending, destination.
  virtual Result<std::vector<TrunkRoute>> listTrunkRoutes() = 0;

  // -- tenant --
  // Inserts, or updates setid and description of an existing domain.
  virtual Status putTenant(const Tenant& t) = 0;
  virtual Result<bool> deleteTenant(std::string_view domain) = 0;
  virtual Result<std::vector<Tenant>> listTenants() = 0;  // ordered by domain

  // -- cdr --
  // Inserts unless a CDR with this uuid exists (then does nothing). REQUIRES: !c.uuid.empty().
  virtual Status insertCdr(const Cdr& c) = 0;
  // CDRs with id > afterId, oldest first, at most limit.
  virtual Result<std::vector<Cdr>> listCdrs(int64_t afterId, size_t limit) = 0;

  // -- change tracking: the generation counter of each cached table --
  virtual Result<Generations> generations() = 0;

  // migration_run: insert or replace by name; get (nullopt when absent); list ordered by name.
  virtual Status putMigrationRun(const MigrationRun& r) = 0;
  virtual Result<std::optional<MigrationRun>> getMigrationRun(std::string_view name) = 0;
  virtual Result<std::vector<MigrationRun>> listMigrationRuns() = 0;
};

// Where a store lives, parsed from a URL:
//   sqlite:///var/lib/tandem/tandem.db   an absolute path
//   sqlite:relative/tandem.db            a path relative to the working directory
//   sqlite::memory:                      a private in-memory database (tests)
//   postgresql://… or postgres://…       given to libpq as is: multi-host lists and
//                                        target_session_attrs=read-write work as libpq does
struct StoreUrl {
  enum class Kind { kSqlite, kPostgres } kind = Kind::kSqlite;
  std::string path;      // kSqlite: file path or ":memory:"
  std::string conninfo;  // kPostgres: the URL
};
// Error: `unsupported store URL "mysql://x": expected sqlite:///path, sqlite::memory: or
// postgresql://...` (the password, if any, replaced by "***").
Result<StoreUrl> parseStoreUrl(std::string_view url);
// The URL with the password of user:password@ replaced by "***" (also "password=" parameters).
std::string redactUrl(std::string_view url);

// Opens the store at url. SQLite opens (creating) the file now, in WAL mode with synchronous=FULL
// so a committed write survives a crash; PostgreSQL only checks the URL and connects on first use
// (so an edge starts while its database is down). Neither migrates: call migrate() or
// checkSchema(). The caller owns the result.
Result<std::unique_ptr<Store>> openStore(std::string_view url);

}  // namespace tandem::store
