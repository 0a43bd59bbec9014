// The SQLite backend's connection: one sqlite3 handle in WAL mode, synchronous=FULL (a commit is
// on disk before it returns) and a busy timeout so the edge and `tandem user add` can share a file.
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <string>

#include "store/sql.h"

namespace tandem::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;

SqlError classify(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
      return SqlError::kUnavailable;
    case SQLITE_CONSTRAINT:
      return (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
                 ? SqlError::kConflict
                 : SqlError::kOther;
    default:
      return SqlError::kOther;
  }
}

class SqliteConn final : public SqlConn {
 public:
  explicit SqliteConn(sqlite3* db) : db_(db) {}
  ~SqliteConn() override {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  bool connected() const override { return true; }

  SqlOutcome query(std::string_view sql, std::span<const SqlValue> params) override {
    SqlOutcome out;
    sqlite3_stmt* stmt = nullptr;
    int rc = prepare(sql, &stmt);
    if (rc != SQLITE_OK) return fail(rc, out);
    // Reset (not finalize) on every way out: the statement stays compiled for the next call, and a
    // reset one holds no read transaction open.
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const SqlValue& v = params[i];
      if (std::holds_alternative<int64_t>(v)) {
        rc = sqlite3_bind_int64(stmt, idx, std::get<int64_t>(v));
      } else if (std::holds_alternative<double>(v)) {
        rc = sqlite3_bind_double(stmt, idx, std::get<double>(v));
      } else if (std::holds_alternative<std::string_view>(v)) {
        auto s = std::get<std::string_view>(v);
        rc = sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
      } else {
        rc = sqlite3_bind_null(stmt, idx);
      }
      if (rc != SQLITE_OK) return fail(rc, out);
    }
    out.rows.columns = static_cast<size_t>(sqlite3_column_count(stmt));
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      for (size_t c = 0; c < out.rows.columns; ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, static_cast<int>(c));
        int n = sqlite3_column_bytes(stmt, static_cast<int>(c));
        out.rows.cells.emplace_back(text ? reinterpret_cast<const char*>(text) : "",
                                    static_cast<size_t>(text ? n : 0));
      }
    }
    if (rc != SQLITE_DONE) return fail(sqlite3_extended_errcode(db_), out);
    out.rows.changes = sqlite3_changes64(db_);
    return out;
  }

  SqlOutcome script(std::string_view sql) override {
    SqlOutcome out;
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      out.error = classify(sqlite3_extended_errcode(db_));
      out.message = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
    }
    return out;
  }

 private:
  // Compiles each distinct statement once: the store's statements are a fixed set, and parsing
  // SQL was most of the worker's CPU per binding write.
  int prepare(std::string_view sql, sqlite3_stmt** stmt) {
    if (auto it = stmts_.find(sql); it != stmts_.end()) {
      *stmt = it->second;
      return SQLITE_OK;
    }
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, stmt, nullptr);
    if (rc != SQLITE_OK) return rc;
    if (stmts_.size() >= kMaxCachedStatements) {
      for (auto& [text, old] : stmts_) sqlite3_finalize(old);
      stmts_.clear();
    }
    stmts_.emplace(std::string(sql), *stmt);
    return SQLITE_OK;
  }

  SqlOutcome& fail(int rc, SqlOutcome& out) {
    int code = sqlite3_extended_errcode(db_);
    if (code == SQLITE_OK) code = rc;
    out.error = classify(code);
    out.message = sqlite3_errmsg(db_);
    out.rows = Rows{};
    return out;
  }

  static constexpr size_t kMaxCachedStatements = 256;
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> stmts_;
};

}  // namespace

Result<std::unique_ptr<SqlConn>> openSqliteConn(const std::string& path) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Result<std::unique_ptr<SqlConn>>::error("cannot open SQLite database \"" + path +
                                                   "\": " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  auto conn = std::make_unique<SqliteConn>(db);
  const char* pragmas = path == ":memory:" ? "PRAGMA foreign_keys=ON;"
                                           : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                             "PRAGMA foreign_keys=ON;";
  SqlOutcome out = conn->script(pragmas);
  if (!out.ok()) {
    return Result<std::unique_ptr<SqlConn>>::error("cannot open SQLite database \"" + path +
                                                   "\": " + out.message);
  }
  return std::unique_ptr<SqlConn>(std::move(conn));
}

}  // namespace tandem::store
