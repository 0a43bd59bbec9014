// Internal to src/store: the small SQL connection interface both backends implement, so that the
// typed operations and the migrations are written once (sql_store.cc) with the dialect
// differences kept in one place. Tests use it to inject faults.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/store.h"

namespace tandem::store {

enum class Dialect { kSqlite, kPostgres };

// A bound parameter. Text is viewed, not copied: it must live until the call returns.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string_view>;

// Rows of a result as text (NULL reads as ""), plus the affected-row count of a write.
struct Rows {
  size_t columns = 0;
  std::vector<std::string> cells;  // row-major
  int64_t changes = 0;

  size_t size() const { return columns == 0 ? 0 : cells.size() / columns; }
  const std::string& text(size_t row, size_t col) const { return cells[row * columns + col]; }
  int64_t integer(size_t row, size_t col) const;
  double real(size_t row, size_t col) const;
};

enum class SqlError {
  kNone,
  kUnavailable,  // retry later: connection, busy, I/O
  kConflict,     // a unique constraint
  kOther,
};

struct SqlOutcome {
  SqlError error = SqlError::kNone;
  std::string message;  // without the kUnavailablePrefix
  Rows rows;

  bool ok() const { return error == SqlError::kNone; }
};

// One database connection. Not thread-safe.
class SqlConn {
 public:
  virtual ~SqlConn() = default;
  virtual Dialect dialect() const = 0;
  // Runs one statement. Parameters are written as '?' in sql (the PostgreSQL backend rewrites
  // them to $1, $2, ...). Connects first when not connected.
  virtual SqlOutcome query(std::string_view sql, std::span<const SqlValue> params) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual SqlOutcome script(std::string_view sql) = 0;
  // True while a connection is open (PostgreSQL may have none).
  virtual bool connected() const = 0;
};

// Internal factories. description is the redacted URL.
Result<std::unique_ptr<SqlConn>> openSqliteConn(const std::string& path);
std::unique_ptr<SqlConn> openPgConn(const std::string& conninfo);
std::unique_ptr<Store> makeSqlStore(std::unique_ptr<SqlConn> conn, std::string description);

// '?' placeholders to $1, $2, ... outside quoted literals and identifiers.
std::string numberPlaceholders(std::string_view sql);

}  // namespace tandem::store
