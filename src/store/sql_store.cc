// The Store over a SqlConn: every typed operation and the schema migrations, written once for
// both SQLite and PostgreSQL. Dialect differences (identity columns, triggers, locking) are
// confined to the migration texts and begin().
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <string>

#include "store/sql.h"

namespace tandem::store {

int64_t Rows::integer(size_t row, size_t col) const {
  return std::strtoll(text(row, col).c_str(), nullptr, 10);
}

double Rows::real(size_t row, size_t col) const {
  return std::strtod(text(row, col).c_str(), nullptr);
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string replaceAll(std::string text, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

// ---- Migrations ----------------------------------------------------------------------------
// {pk} is the dialect's auto-increment primary key. Every other type is spelled so that both
// dialects accept it (SQLite maps BIGINT to INTEGER affinity and DOUBLE PRECISION to REAL).

constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE subscriber (
  id {pk},
  username TEXT NOT NULL DEFAULT '',
  domain TEXT NOT NULL DEFAULT '',
  password TEXT NOT NULL DEFAULT '',
  ha1 TEXT NOT NULL DEFAULT '',
  ha1b TEXT NOT NULL DEFAULT '',
  ha1_sha256 TEXT NOT NULL DEFAULT '',
  ha1b_sha256 TEXT NOT NULL DEFAULT '',
  CONSTRAINT subscriber_account_idx UNIQUE (username, domain)
);
CREATE INDEX subscriber_username_idx ON subscriber (username);

CREATE TABLE location (
  id {pk},
  ruid TEXT NOT NULL,
  username TEXT NOT NULL DEFAULT '',
  domain TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  received TEXT NOT NULL DEFAULT '',
  path TEXT NOT NULL DEFAULT '',
  expires BIGINT NOT NULL DEFAULT 0,
  q DOUBLE PRECISION NOT NULL DEFAULT 1.0,
  callid TEXT NOT NULL DEFAULT '',
  cseq BIGINT NOT NULL DEFAULT 0,
  last_modified BIGINT NOT NULL DEFAULT 0,
  flags BIGINT NOT NULL DEFAULT 0,
  cflags BIGINT NOT NULL DEFAULT 0,
  user_agent TEXT NOT NULL DEFAULT '',
  socket TEXT NOT NULL DEFAULT '',
  methods BIGINT NOT NULL DEFAULT -1,
  instance TEXT NOT NULL DEFAULT '',
  reg_id BIGINT NOT NULL DEFAULT 0,
  server_id BIGINT NOT NULL DEFAULT 0,
  keepalive BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT location_ruid_idx UNIQUE (ruid)
);
CREATE INDEX location_account_contact_idx ON location (username, domain, contact);
CREATE INDEX location_expires_idx ON location (expires);

CREATE TABLE dispatcher (
  id {pk},
  setid BIGINT NOT NULL DEFAULT 0,
  destination TEXT NOT NULL DEFAULT '',
  flags BIGINT NOT NULL DEFAULT 0,
  priority BIGINT NOT NULL DEFAULT 0,
  attrs TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE did_routing (
  id {pk},
  did TEXT NOT NULL,
  domain TEXT NOT NULL DEFAULT '',
  destination TEXT NOT NULL DEFAULT '',
  dest_type TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  CONSTRAINT did_routing_did_idx UNIQUE (did, domain)
);

CREATE TABLE trunk_routing (
  id {pk},
  prefix TEXT NOT NULL DEFAULT '',
  destination TEXT NOT NULL,
  priority BIGINT NOT NULL DEFAULT 0,
  weight BIGINT NOT NULL DEFAULT 1,
  strip BIGINT NOT NULL DEFAULT 0,
  prepend TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  CONSTRAINT trunk_routing_route_idx UNIQUE (prefix, destination)
);

CREATE TABLE tenant (
  id {pk},
  domain TEXT NOT NULL,
  setid BIGINT NOT NULL DEFAULT 0,
  description TEXT NOT NULL DEFAULT '',
  CONSTRAINT tenant_domain_idx UNIQUE (domain)
);

CREATE TABLE cdr (
  id {pk},
  uuid TEXT NOT NULL,
  callid TEXT NOT NULL DEFAULT '',
  from_tag TEXT NOT NULL DEFAULT '',
  to_tag TEXT NOT NULL DEFAULT '',
  src_user TEXT NOT NULL DEFAULT '',
  src_domain TEXT NOT NULL DEFAULT '',
  src_ip TEXT NOT NULL DEFAULT '',
  dst_user TEXT NOT NULL DEFAULT '',
  dst_domain TEXT NOT NULL DEFAULT '',
  destination TEXT NOT NULL DEFAULT '',
  setid BIGINT NOT NULL DEFAULT 0,
  start_time BIGINT NOT NULL DEFAULT 0,
  answer_time BIGINT NOT NULL DEFAULT 0,
  end_time BIGINT NOT NULL DEFAULT 0,
  duration DOUBLE PRECISION NOT NULL DEFAULT 0,
  billsec DOUBLE PRECISION NOT NULL DEFAULT 0,
  sip_code BIGINT NOT NULL DEFAULT 0,
  sip_reason TEXT NOT NULL DEFAULT '',
  disposition TEXT NOT NULL DEFAULT '',
  CONSTRAINT cdr_uuid_idx UNIQUE (uuid)
);
CREATE INDEX cdr_start_time_idx ON cdr (start_time);
CREATE INDEX cdr_callid_idx ON cdr (callid);
)sql";

constexpr Table kTables[kTableCount] = {Table::kSubscriber, Table::kDispatcher, Table::kDidRouting,
                                        Table::kTrunkRouting, Table::kTenant};

// Migration 2: a generation counter per cached table, bumped by triggers on every change, so a
// cache notices edits made by any client (tandem, psql, sqlite3) with one cheap query.
std::string migration2(Dialect dialect) {
  std::string sql =
      "CREATE TABLE store_generation (\n"
      "  table_name TEXT PRIMARY KEY,\n"
      "  generation BIGINT NOT NULL DEFAULT 0\n"
      ");\n";
  for (Table t : kTables) {
    sql += "INSERT INTO store_generation (table_name, generation) VALUES ('" +
           std::string(tableName(t)) + "', 1);\n";
  }
  if (dialect == Dialect::kPostgres) {
    sql +=
        "CREATE FUNCTION tandem_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        "BEGIN\n"
        "  UPDATE store_generation SET generation = generation + 1\n"
        "    WHERE table_name = TG_TABLE_NAME;\n"
        "  RETURN NULL;\n"
        "END\n"
        "$fn$;\n";
    for (Table t : kTables) {
      std::string_view name = tableName(t);
      sql.append("CREATE TRIGGER ").append(name).append("_generation AFTER INSERT OR UPDATE OR ");
      sql.append("DELETE OR TRUNCATE ON ").append(name);
      sql.append(" FOR EACH STATEMENT EXECUTE FUNCTION tandem_bump_generation();\n");
    }
  } else {
    for (Table t : kTables) {
      std::string_view name = tableName(t);
      for (std::string_view event : {"insert", "update", "delete"}) {
        sql.append("CREATE TRIGGER ").append(name).append("_generation_").append(event);
        sql.append(" AFTER ").append(event).append(" ON ").append(name);
        sql.append(" BEGIN UPDATE store_generation SET generation = generation + 1 WHERE ");
        sql.append("table_name = '").append(name).append("'; END;\n");
      }
    }
  }
  return sql;
}

struct Migration {
  int version;
  const char* description;
};
constexpr Migration kMigrations[] = {
    {1, "tables: subscriber, location, dispatcher, did_routing, trunk_routing, tenant, cdr"},
    {2, "change tracking: store_generation and its triggers"},
    {3, "migration_run: state of tandem migrate runs"},
};
static_assert(std::size(kMigrations) == kSchemaVersion);

std::string migrationSql(int version, Dialect dialect) {
  if (version == 1) {
    std::string_view pk = dialect == Dialect::kPostgres
                              ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
                              : "INTEGER PRIMARY KEY AUTOINCREMENT";
    return replaceAll(std::string(kMigration1), "{pk}", pk);
  }
  if (version == 2) return migration2(dialect);
  return "CREATE TABLE migration_run (\n"
         "  name TEXT PRIMARY KEY,\n"
         "  state TEXT NOT NULL DEFAULT '',\n"
         "  updated BIGINT NOT NULL DEFAULT 0\n"
         ");\n";
}

// ---- Column lists and row readers ------------------------------------------------------------

constexpr std::string_view kSubscriberCols =
    "id, username, domain, password, ha1, ha1b, ha1_sha256, ha1b_sha256";

Subscriber readSubscriber(const Rows& r, size_t i) {
  Subscriber s;
  s.id = r.integer(i, 0);
  s.username = r.text(i, 1);
  s.domain = r.text(i, 2);
  s.password = r.text(i, 3);
  s.ha1 = r.text(i, 4);
  s.ha1b = r.text(i, 5);
  s.ha1Sha256 = r.text(i, 6);
  s.ha1bSha256 = r.text(i, 7);
  return s;
}

constexpr std::string_view kLocationCols =
    "id, ruid, username, domain, contact, received, path, expires, q, callid, cseq, "
    "last_modified, flags, cflags, user_agent, socket, methods, instance, reg_id, server_id, "
    "keepalive";

Location readLocation(const Rows& r, size_t i) {
  Location l;
  l.id = r.integer(i, 0);
  l.ruid = r.text(i, 1);
  l.username = r.text(i, 2);
  l.domain = r.text(i, 3);
  l.contact = r.text(i, 4);
  l.received = r.text(i, 5);
  l.path = r.text(i, 6);
  l.expires = r.integer(i, 7);
  l.q = r.real(i, 8);
  l.callid = r.text(i, 9);
  l.cseq = r.integer(i, 10);
  l.lastModified = r.integer(i, 11);
  l.flags = r.integer(i, 12);
  l.cflags = r.integer(i, 13);
  l.userAgent = r.text(i, 14);
  l.socket = r.text(i, 15);
  l.methods = r.integer(i, 16);
  l.instance = r.text(i, 17);
  l.regId = r.integer(i, 18);
  l.serverId = r.integer(i, 19);
  l.keepalive = r.integer(i, 20);
  return l;
}

constexpr std::string_view kDispatcherCols =
    "id, setid, destination, flags, priority, attrs, description";

DispatcherEntry readDispatcher(const Rows& r, size_t i) {
  DispatcherEntry d;
  d.id = r.integer(i, 0);
  d.setid = r.integer(i, 1);
  d.destination = r.text(i, 2);
  d.flags = r.integer(i, 3);
  d.priority = r.integer(i, 4);
  d.attrs = r.text(i, 5);
  d.description = r.text(i, 6);
  return d;
}

constexpr std::string_view kDidCols = "id, did, domain, destination, dest_type, description";

DidRoute readDid(const Rows& r, size_t i) {
  DidRoute d;
  d.id = r.integer(i, 0);
  d.did = r.text(i, 1);
  d.domain = r.text(i, 2);
  d.destination = r.text(i, 3);
  d.destType = r.text(i, 4);
  d.description = r.text(i, 5);
  return d;
}

constexpr std::string_view kTrunkCols =
    "id, prefix, destination, priority, weight, strip, prepend, description";

TrunkRoute readTrunk(const Rows& r, size_t i) {
  TrunkRoute t;
  t.id = r.integer(i, 0);
  t.prefix = r.text(i, 1);
  t.destination = r.text(i, 2);
  t.priority = r.integer(i, 3);
  t.weight = r.integer(i, 4);
  t.strip = r.integer(i, 5);
  t.prepend = r.text(i, 6);
  t.description = r.text(i, 7);
  return t;
}

constexpr std::string_view kCdrCols =
    "id, uuid, callid, from_tag, to_tag, src_user, src_domain, src_ip, dst_user, dst_domain, "
    "destination, setid, start_time, answer_time, end_time, duration, billsec, sip_code, "
    "sip_reason, disposition";

Cdr readCdr(const Rows& r, size_t i) {
  Cdr c;
  c.id = r.integer(i, 0);
  c.uuid = r.text(i, 1);
  c.callid = r.text(i, 2);
  c.fromTag = r.text(i, 3);
  c.toTag = r.text(i, 4);
  c.srcUser = r.text(i, 5);
  c.srcDomain = r.text(i, 6);
  c.srcIp = r.text(i, 7);
  c.dstUser = r.text(i, 8);
  c.dstDomain = r.text(i, 9);
  c.destination = r.text(i, 10);
  c.setid = r.integer(i, 11);
  c.startTime = r.integer(i, 12);
  c.answerTime = r.integer(i, 13);
  c.endTime = r.integer(i, 14);
  c.duration = r.real(i, 15);
  c.billsec = r.real(i, 16);
  c.sipCode = r.integer(i, 17);
  c.sipReason = r.text(i, 18);
  c.disposition = r.text(i, 19);
  return c;
}

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (auto p : parts) out += p;
  return out;
}

template <typename T, typename F>
Result<std::vector<T>> readAll(Result<Rows> rows, F read) {
  if (!rows) return rows.status();
  std::vector<T> out;
  out.reserve(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) out.push_back(read(*rows, i));
  return out;
}

class SqlStore final : public Store {
 public:
  SqlStore(std::unique_ptr<SqlConn> conn, std::string description)
      : conn_(std::move(conn)), description_(std::move(description)) {}

  std::string_view backend() const override {
    return conn_->dialect() == Dialect::kPostgres ? "postgresql" : "sqlite";
  }
  const std::string& description() const override { return description_; }

  Status ping() override { return run("SELECT 1", {}).isOk() ? Status() : lastStatus_; }

  // ---- schema ----

  Result<int> schemaVersion() override {
    auto exists = conn_->dialect() == Dialect::kPostgres
                      ? run("SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN 0 "
                            "ELSE 1 END",
                            {})
                      : run("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'schema_version'",
                            {});
    if (!exists) return exists.status();
    if (exists->integer(0, 0) == 0) return 0;
    auto v = run("SELECT COALESCE(MAX(version), 0) FROM schema_version", {});
    if (!v) return v.status();
    return static_cast<int>(v->integer(0, 0));
  }

  Result<int> migrate(int target) override {
    if (target <= 0 || target > kSchemaVersion) {
      return Result<int>::error("no schema version " + std::to_string(target) +
                                " (this binary knows 1 to " + std::to_string(kSchemaVersion) + ")");
    }
    if (Status s = begin(); !s) return s;
    Result<int> applied = migrateLocked(target);
    if (!applied) {
      rollback();
      return applied;
    }
    if (Status s = commit(); !s) return s;
    return applied;
  }

  Status checkSchema() override {
    auto v = schemaVersion();
    if (!v) return v.status();
    std::string need = std::to_string(kSchemaVersion);
    if (*v == 0) {
      return Status::error("database has no tandem schema (this binary needs version " + need +
                           "): run `tandem db migrate`");
    }
    if (*v < kSchemaVersion) {
      return Status::error("database schema is at version " + std::to_string(*v) +
                           ", this binary needs version " + need + ": run `tandem db migrate`");
    }
    if (*v > kSchemaVersion) {
      return Status::error("database schema is at version " + std::to_string(*v) +
                           ", newer than this binary's " + need + ": upgrade tandem");
    }
    return Status::ok();
  }

  // ---- transactions ----

  Status begin() override {
    if (inTx_) return Status::error("a transaction is already open");
    auto r = run(conn_->dialect() == Dialect::kSqlite ? "BEGIN IMMEDIATE" : "BEGIN", {});
    if (!r) return r.status();
    inTx_ = true;
    broken_ = false;
    return Status::ok();
  }

  Status commit() override {
    if (!inTx_) return Status::error("no transaction is open");
    auto r = run("COMMIT", {});
    if (!r) {
      rollback();
      return r.status();
    }
    inTx_ = false;
    return Status::ok();
  }

  Status rollback() override {
    if (!inTx_) return Status::ok();
    inTx_ = false;
    if (broken_ || !conn_->connected()) {
      broken_ = false;
      return Status::ok();  // the server already dropped the transaction with the connection
    }
    SqlOutcome out = conn_->query("ROLLBACK", {});
    (void)out;  // a failed rollback leaves nothing to undo either
    return Status::ok();
  }

  Status savepoint() override { return status(run("SAVEPOINT tandem_sp", {})); }
  Status releaseSavepoint() override { return status(run("RELEASE SAVEPOINT tandem_sp", {})); }
  Status rollbackToSavepoint() override {
    return status(run("ROLLBACK TO SAVEPOINT tandem_sp", {}));
  }

  // ---- subscriber ----

  Result<int64_t> addSubscriber(const Subscriber& s) override {
    std::string domain = lower(s.domain);
    SqlValue p[] = {std::string_view(s.username),  std::string_view(domain),
                    std::string_view(s.password),  std::string_view(s.ha1),
                    std::string_view(s.ha1b),      std::string_view(s.ha1Sha256),
                    std::string_view(s.ha1bSha256)};
    auto r = run(
        "INSERT INTO subscriber (username, domain, password, ha1, ha1b, ha1_sha256, ha1b_sha256) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        p, "subscriber " + s.username + "@" + domain + " already exists");
    if (!r) return r.status();
    return r->integer(0, 0);
  }

  Status updateSubscriber(const Subscriber& s) override {
    std::string domain = lower(s.domain);
    SqlValue p[] = {std::string_view(s.password),   std::string_view(s.ha1),
                    std::string_view(s.ha1b),       std::string_view(s.ha1Sha256),
                    std::string_view(s.ha1bSha256), std::string_view(s.username),
                    std::string_view(domain)};
    auto r = run(
        "UPDATE subscriber SET password = ?, ha1 = ?, ha1b = ?, ha1_sha256 = ?, ha1b_sha256 = ? "
        "WHERE username = ? AND domain = ?",
        p);
    if (!r) return r.status();
    if (r->changes == 0) return Status::error("no subscriber " + s.username + "@" + domain);
    return Status::ok();
  }

  Result<bool> deleteSubscriber(std::string_view username, std::string_view domain) override {
    std::string d = lower(domain);
    SqlValue p[] = {username, std::string_view(d)};
    return changed(run("DELETE FROM subscriber WHERE username = ? AND domain = ?", p));
  }

  Result<std::optional<Subscriber>> getSubscriber(std::string_view username,
                                                  std::string_view domain) override {
    std::string d = lower(domain);
    SqlValue p[] = {username, std::string_view(d)};
    auto r = run(
        cat({"SELECT ", kSubscriberCols, " FROM subscriber WHERE username = ? AND domain = ?"}), p);
    if (!r) return r.status();
    if (r->size() == 0) return std::optional<Subscriber>();
    return std::optional<Subscriber>(readSubscriber(*r, 0));
  }

  Result<std::vector<Subscriber>> listSubscribers(std::string_view domain) override {
    std::string d = lower(domain);
    SqlValue p[] = {std::string_view(d), std::string_view(d)};
    return readAll<Subscriber>(run(cat({"SELECT ", kSubscriberCols,
                                        " FROM subscriber WHERE (? = '' OR domain = ?) "
                                        "ORDER BY domain, username"}),
                                   p),
                               readSubscriber);
  }

  // ---- location ----

  Status putLocation(const Location& l) override {
    std::string domain = lower(l.domain);
    SqlValue p[] = {std::string_view(l.ruid),
                    std::string_view(l.username),
                    std::string_view(domain),
                    std::string_view(l.contact),
                    std::string_view(l.received),
                    std::string_view(l.path),
                    l.expires,
                    l.q,
                    std::string_view(l.callid),
                    l.cseq,
                    l.lastModified,
                    l.flags,
                    l.cflags,
                    std::string_view(l.userAgent),
                    std::string_view(l.socket),
                    l.methods,
                    std::string_view(l.instance),
                    l.regId,
                    l.serverId,
                    l.keepalive};
    return status(
        run("INSERT INTO location (ruid, username, domain, contact, received, path, expires, q, "
            "callid, cseq, last_modified, flags, cflags, user_agent, socket, methods, instance, "
            "reg_id, server_id, keepalive) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (ruid) DO UPDATE SET username = excluded.username, "
            "domain = excluded.domain, contact = excluded.contact, received = excluded.received, "
            "path = excluded.path, expires = excluded.expires, q = excluded.q, "
            "callid = excluded.callid, cseq = excluded.cseq, "
            "last_modified = excluded.last_modified, flags = excluded.flags, "
            "cflags = excluded.cflags, user_agent = excluded.user_agent, socket = excluded.socket, "
            "methods = excluded.methods, instance = excluded.instance, reg_id = excluded.reg_id, "
            "server_id = excluded.server_id, keepalive = excluded.keepalive "
            "WHERE location.last_modified <= excluded.last_modified",
            p));
  }

  Result<bool> deleteLocation(std::string_view ruid) override {
    SqlValue p[] = {ruid};
    return changed(run("DELETE FROM location WHERE ruid = ?", p));
  }

  Result<int64_t> deleteLocations(std::string_view username, std::string_view domain) override {
    std::string d = lower(domain);
    SqlValue p[] = {username, std::string_view(d)};
    auto r = run("DELETE FROM location WHERE username = ? AND domain = ?", p);
    if (!r) return r.status();
    return r->changes;
  }

  Result<std::vector<Location>> listLocations(std::string_view username,
                                              std::string_view domain) override {
    std::string d = lower(domain);
    SqlValue p[] = {username, std::string_view(d)};
    return readAll<Location>(run(cat({"SELECT ", kLocationCols,
                                      " FROM location WHERE username = ? AND domain = ? "
                                      "ORDER BY q DESC, last_modified DESC, id"}),
                                 p),
                             readLocation);
  }

  Result<std::vector<Location>> listAllLocations() override {
    return readAll<Location>(
        run(cat({"SELECT ", kLocationCols, " FROM location ORDER BY domain, username, q DESC, id"}),
            {}),
        readLocation);
  }

  Result<int64_t> deleteExpiredLocations(int64_t nowSec) override {
    SqlValue p[] = {nowSec};
    auto r = run("DELETE FROM location WHERE expires > 0 AND expires <= ?", p);
    if (!r) return r.status();
    return r->changes;
  }

  // ---- dispatcher ----

  Result<int64_t> addDispatcher(const DispatcherEntry& d) override {
    SqlValue p[] = {d.setid,    std::string_view(d.destination), d.flags,
                    d.priority, std::string_view(d.attrs),       std::string_view(d.description)};
    auto r =
        run("INSERT INTO dispatcher (setid, destination, flags, priority, attrs, description) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            p);
    if (!r) return r.status();
    return r->integer(0, 0);
  }

  Status updateDispatcher(const DispatcherEntry& d) override {
    SqlValue p[] = {d.setid,    std::string_view(d.destination), d.flags,
                    d.priority, std::string_view(d.attrs),       std::string_view(d.description),
                    d.id};
    auto r =
        run("UPDATE dispatcher SET setid = ?, destination = ?, flags = ?, priority = ?, attrs = ?, "
            "description = ? WHERE id = ?",
            p);
    if (!r) return r.status();
    if (r->changes == 0)
      return Status::error("no dispatcher entry with id " + std::to_string(d.id));
    return Status::ok();
  }

  Result<bool> deleteDispatcher(int64_t id) override {
    SqlValue p[] = {id};
    return changed(run("DELETE FROM dispatcher WHERE id = ?", p));
  }

  Result<std::vector<DispatcherEntry>> listDispatchers() override {
    return readAll<DispatcherEntry>(
        run(cat({"SELECT ", kDispatcherCols, " FROM dispatcher ORDER BY setid, priority DESC, id"}),
            {}),
        readDispatcher);
  }

  // ---- did_routing ----

  Result<int64_t> addDid(const DidRoute& d) override {
    std::string domain = lower(d.domain);
    SqlValue p[] = {std::string_view(d.did), std::string_view(domain),
                    std::string_view(d.destination), std::string_view(d.destType),
                    std::string_view(d.description)};
    auto r =
        run("INSERT INTO did_routing (did, domain, destination, dest_type, description) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            p,
            "DID " + d.did + " (" + (domain.empty() ? "any domain" : "domain " + domain) +
                ") already exists");
    if (!r) return r.status();
    return r->integer(0, 0);
  }

  Result<bool> deleteDid(std::string_view did, std::string_view domain) override {
    std::string d = lower(domain);
    SqlValue p[] = {did, std::string_view(d)};
    return changed(run("DELETE FROM did_routing WHERE did = ? AND domain = ?", p));
  }

  Result<std::vector<DidRoute>> listDids() override {
    return readAll<DidRoute>(
        run(cat({"SELECT ", kDidCols, " FROM did_routing ORDER BY did, domain"}), {}), readDid);
  }

  // ---- trunk_routing ----

  Result<int64_t> addTrunkRoute(const TrunkRoute& t) override {
    SqlValue p[] = {
        std::string_view(t.prefix),  std::string_view(t.destination), t.priority, t.weight, t.strip,
        std::string_view(t.prepend), std::string_view(t.description)};
    auto r =
        run("INSERT INTO trunk_routing (prefix, destination, priority, weight, strip, prepend, "
            "description) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            p, "trunk route " + t.prefix + " -> " + t.destination + " already exists");
    if (!r) return r.status();
    return r->integer(0, 0);
  }

  Result<int64_t> deleteTrunkRoutes(std::string_view prefix,
                                    std::string_view destination) override {
    SqlValue p[] = {prefix, destination, destination};
    auto r = run("DELETE FROM trunk_routing WHERE prefix = ? AND (? = '' OR destination = ?)", p);
    if (!r) return r.status();
    return r->changes;
  }

  Result<std::vector<TrunkRoute>> listTrunkRoutes() override {
    return readAll<TrunkRoute>(
        run(cat({"SELECT ", kTrunkCols,
                 " FROM trunk_routing ORDER BY prefix, priority, weight DESC, destination"}),
            {}),
        readTrunk);
  }

  // ---- tenant ----

  Status putTenant(const Tenant& t) override {
    std::string domain = lower(t.domain);
    SqlValue p[] = {std::string_view(domain), t.setid, std::string_view(t.description)};
    return status(
        run("INSERT INTO tenant (domain, setid, description) VALUES (?, ?, ?) "
            "ON CONFLICT (domain) DO UPDATE SET setid = excluded.setid, "
            "description = excluded.description",
            p));
  }

  Result<bool> deleteTenant(std::string_view domain) override {
    std::string d = lower(domain);
    SqlValue p[] = {std::string_view(d)};
    return changed(run("DELETE FROM tenant WHERE domain = ?", p));
  }

  Result<std::vector<Tenant>> listTenants() override {
    return readAll<Tenant>(run("SELECT domain, setid, description FROM tenant ORDER BY domain", {}),
                           [](const Rows& r, size_t i) {
                             return Tenant{r.text(i, 0), r.integer(i, 1), r.text(i, 2)};
                           });
  }

  // ---- migration_run ----

  Status putMigrationRun(const MigrationRun& m) override {
    SqlValue p[] = {std::string_view(m.name), std::string_view(m.state), m.updated};
    return status(
        run("INSERT INTO migration_run (name, state, updated) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated = excluded.updated",
            p));
  }

  Result<std::optional<MigrationRun>> getMigrationRun(std::string_view name) override {
    SqlValue p[] = {name};
    auto r = run("SELECT name, state, updated FROM migration_run WHERE name = ?", p);
    if (!r) return r.status();
    if (r->size() == 0) return std::optional<MigrationRun>();
    return std::optional<MigrationRun>(
        MigrationRun{r->text(0, 0), r->text(0, 1), r->integer(0, 2)});
  }

  Result<std::vector<MigrationRun>> listMigrationRuns() override {
    return readAll<MigrationRun>(
        run("SELECT name, state, updated FROM migration_run ORDER BY name", {}),
        [](const Rows& r, size_t i) {
          return MigrationRun{r.text(i, 0), r.text(i, 1), r.integer(i, 2)};
        });
  }

  // ---- cdr ----

  Status insertCdr(const Cdr& c) override {
    if (c.uuid.empty()) return Status::error("a CDR needs a uuid");
    SqlValue p[] = {std::string_view(c.uuid),
                    std::string_view(c.callid),
                    std::string_view(c.fromTag),
                    std::string_view(c.toTag),
                    std::string_view(c.srcUser),
                    std::string_view(c.srcDomain),
                    std::string_view(c.srcIp),
                    std::string_view(c.dstUser),
                    std::string_view(c.dstDomain),
                    std::string_view(c.destination),
                    c.setid,
                    c.startTime,
                    c.answerTime,
                    c.endTime,
                    c.duration,
                    c.billsec,
                    c.sipCode,
                    std::string_view(c.sipReason),
                    std::string_view(c.disposition)};
    return status(run(
        "INSERT INTO cdr (uuid, callid, from_tag, to_tag, src_user, src_domain, src_ip, "
        "dst_user, dst_domain, destination, setid, start_time, answer_time, end_time, duration, "
        "billsec, sip_code, sip_reason, disposition) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (uuid) DO NOTHING",
        p));
  }

  Result<std::vector<Cdr>> listCdrs(int64_t afterId, size_t limit) override {
    SqlValue p[] = {afterId, static_cast<int64_t>(limit)};
    return readAll<Cdr>(
        run(cat({"SELECT ", kCdrCols, " FROM cdr WHERE id > ? ORDER BY id LIMIT ?"}), p), readCdr);
  }

  // ---- change tracking ----

  Result<Generations> generations() override {
    auto r = run("SELECT table_name, generation FROM store_generation", {});
    if (!r) return r.status();
    Generations g{};
    size_t found = 0;
    for (size_t i = 0; i < r->size(); ++i) {
      for (Table t : kTables) {
        if (r->text(i, 0) == tableName(t)) {
          g[static_cast<size_t>(t)] = r->integer(i, 1);
          ++found;
        }
      }
    }
    if (found != kTableCount) return Result<Generations>::error("store_generation is incomplete");
    return g;
  }

 private:
  Result<int> migrateLocked(int target) {
    if (conn_->dialect() == Dialect::kPostgres) {
      // Two edges starting at once: the second waits, then finds the work done.
      if (auto r = run("SELECT pg_advisory_xact_lock(7370616)", {}); !r) return r.status();
    }
    if (auto r = run("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, "
                     "description TEXT NOT NULL DEFAULT '', applied_at BIGINT NOT NULL DEFAULT 0)",
                     {});
        !r) {
      return r.status();
    }
    auto current = run("SELECT COALESCE(MAX(version), 0) FROM schema_version", {});
    if (!current) return current.status();
    int from = static_cast<int>(current->integer(0, 0));
    if (from > kSchemaVersion) {
      return Result<int>::error("database schema is at version " + std::to_string(from) +
                                ", newer than this binary's " + std::to_string(kSchemaVersion) +
                                ": upgrade tandem");
    }
    int applied = 0;
    for (const Migration& m : kMigrations) {
      if (m.version <= from || m.version > target) continue;
      SqlOutcome out = conn_->script(migrationSql(m.version, conn_->dialect()));
      if (!out.ok()) {
        if (out.error == SqlError::kUnavailable) broken_ = true;
        return Result<int>::error("migration " + std::to_string(m.version) + " (" + m.description +
                                  ") failed: " + prefixed(out));
      }
      SqlValue p[] = {static_cast<int64_t>(m.version), std::string_view(m.description),
                      static_cast<int64_t>(std::time(nullptr))};
      if (auto r = run("INSERT INTO schema_version (version, description, applied_at) "
                       "VALUES (?, ?, ?)",
                       p);
          !r) {
        return r.status();
      }
      ++applied;
    }
    return applied;
  }

  static std::string prefixed(const SqlOutcome& out) {
    return out.error == SqlError::kUnavailable ? std::string(kUnavailablePrefix) + out.message
                                               : out.message;
  }

  // Runs one statement. conflictMessage replaces the database's text for a unique violation.
  Result<Rows> run(std::string_view sql, std::span<const SqlValue> params,
                   const std::string& conflictMessage = {}) {
    if (inTx_ && broken_) {
      lastStatus_ = Status::error(std::string(kUnavailablePrefix) +
                                  "the connection was lost inside a transaction; roll it back");
      return lastStatus_;
    }
    SqlOutcome out = conn_->query(sql, params);
    if (out.ok()) return std::move(out.rows);
    if (out.error == SqlError::kUnavailable && inTx_) broken_ = true;
    if (out.error == SqlError::kConflict && !conflictMessage.empty()) {
      lastStatus_ = Status::error(conflictMessage);
    } else {
      lastStatus_ = Status::error(prefixed(out));
    }
    return lastStatus_;
  }

  static Status status(const Result<Rows>& r) { return r ? Status::ok() : r.status(); }
  static Result<bool> changed(const Result<Rows>& r) {
    if (!r) return r.status();
    return r->changes > 0;
  }

  std::unique_ptr<SqlConn> conn_;
  std::string description_;
  bool inTx_ = false;
  bool broken_ = false;  // an unavailable error inside the open transaction
  Status lastStatus_;
};

}  // namespace

std::unique_ptr<Store> makeSqlStore(std::unique_ptr<SqlConn> conn, std::string description) {
  return std::make_unique<SqlStore>(std::move(conn), std::move(description));
}

}  // namespace tandem::store
