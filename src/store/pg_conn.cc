// The PostgreSQL backend's connection, through libpq. It connects lazily, and after any error that
// means the server is gone (connection loss, shutdown, a primary demoted to read-only) it drops
// the connection, so the next call reconnects: with a multi-host URL and
// target_session_attrs=read-write that lands on the new primary after a failover.
#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "store/sql.h"

namespace tandem::store {

std::string numberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

void ignoreNotice(void*, const char*) {}

std::string trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  // libpq puts one line per host tried; keep them on one line for logs.
  for (char& c : s) {
    if (c == '\n') c = ';';
  }
  return s;
}

// SQLSTATEs worth retrying: connection exceptions (08), operator intervention (57P0x: shutdown,
// crash, cannot connect now), read-only transaction (25006: we reached a standby, e.g. the old
// primary after a failover), serialization failure and deadlock, too many connections.
bool retryable(std::string_view s) {
  return s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03" || s == "25006" ||
         s == "40001" || s == "40P01" || s == "53300";
}

// Server-side failures that leave the session unusable for us (must reconnect).
bool dropsConnection(std::string_view s) {
  return s.starts_with("08") || s.starts_with("57P") || s == "25006";
}

class PgConn final : public SqlConn {
 public:
  explicit PgConn(std::string conninfo) : conninfo_(std::move(conninfo)) {}
  ~PgConn() override { disconnect(); }

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool connected() const override { return conn_ != nullptr; }

  SqlOutcome query(std::string_view sql, std::span<const SqlValue> params) override {
    SqlOutcome out;
    if (!connect(out)) return out;
    std::string text = numberPlaceholders(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const SqlValue& v = params[i];
      if (std::holds_alternative<int64_t>(v)) {
        storage[i] = std::to_string(std::get<int64_t>(v));
      } else if (std::holds_alternative<double>(v)) {
        char buf[40];
        std::snprintf(buf, sizeof(buf), "%.17g", std::get<double>(v));
        storage[i] = buf;
      } else if (std::holds_alternative<std::string_view>(v)) {
        storage[i] = std::string(std::get<std::string_view>(v));
      } else {
        continue;  // NULL
      }
      values[i] = storage[i].c_str();
    }
    PGresult* res = PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    return collect(res, out);
  }

  SqlOutcome script(std::string_view sql) override {
    SqlOutcome out;
    if (!connect(out)) return out;
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    return collect(res, out);
  }

 private:
  bool connect(SqlOutcome& out) {
    if (conn_ != nullptr) {
      if (PQstatus(conn_) == CONNECTION_OK) return true;
      disconnect();
    }
    // Defaults first: libpq keeps the last value of a repeated keyword, and the URL (expanded
    // from dbname) comes last, so anything it sets wins.
    const char* keys[] = {"application_name",
                          "connect_timeout",
                          "keepalives",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "tcp_user_timeout",
                          "dbname",
                          nullptr};
    const char* vals[] = {"tandem", "5", "1", "10", "5", "3", "15000", conninfo_.c_str(), nullptr};
    conn_ = PQconnectdbParams(keys, vals, 1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      out.error = SqlError::kUnavailable;
      out.message = "cannot connect to PostgreSQL: " +
                    (conn_ ? trimmed(PQerrorMessage(conn_)) : std::string("out of memory"));
      disconnect();
      return false;
    }
    PQsetNoticeProcessor(conn_, ignoreNotice, nullptr);
    return true;
  }

  void disconnect() {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
  }

  SqlOutcome& collect(PGresult* res, SqlOutcome& out) {
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
      int rows = PQntuples(res);
      int cols = PQnfields(res);
      out.rows.columns = static_cast<size_t>(cols);
      out.rows.cells.reserve(static_cast<size_t>(rows) * static_cast<size_t>(cols));
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
          out.rows.cells.emplace_back(PQgetvalue(res, r, c),
                                      static_cast<size_t>(PQgetlength(res, r, c)));
        }
      }
      const char* n = PQcmdTuples(res);
      out.rows.changes = (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
      PQclear(res);
      return out;
    }
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string stateText = state ? state : "";
    out.message = trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    if (out.message.empty()) out.message = trimmed(PQerrorMessage(conn_));
    bool lost = PQstatus(conn_) != CONNECTION_OK;
    if (lost || retryable(stateText)) {
      out.error = SqlError::kUnavailable;
    } else if (stateText == "23505") {
      out.error = SqlError::kConflict;
    } else {
      out.error = SqlError::kOther;
    }
    if (res) PQclear(res);  // state points into res: use stateText from here on
    if (lost || dropsConnection(stateText)) disconnect();
    return out;
  }

  std::string conninfo_;
  PGconn* conn_ = nullptr;
};

}  // namespace

std::unique_ptr<SqlConn> openPgConn(const std::string& conninfo) {
  return std::make_unique<PgConn>(conninfo);
}

}  // namespace tandem::store
