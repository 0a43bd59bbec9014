// Writers for a Conversion: pjsip.conf, pjsip_wizard.conf (+ the pjsip.conf it still needs),
// and Realtime SQL (+ sorcery.conf and extconfig.conf), each a set of named text files.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "pjsip/converter.h"
#include "pjsip/model.h"

namespace tandem::pjsip {

enum class Format { kConf, kWizard, kSql };
enum class SqlDialect { kPostgres, kMysql, kSqlite };

struct OutputFile {
  std::string name;  // file name, no directory: "pjsip.conf"
  std::string text;
};

// Where a Realtime row was written: (type, id) → its line in the SQL file, for lint findings.
using RowLines = std::map<std::pair<std::string, std::string>, int>;

struct Output {
  std::vector<OutputFile> files;
  RowLines sqlRows;  // only for Format::kSql
};

// Renders a document as pjsip.conf text. `header` lines become comments at the top.
std::string renderConf(const PjDocument& doc, const std::vector<std::string>& header);

// Writes the conversion in the chosen format.
Output writeOutput(const Conversion& conversion, Format format, SqlDialect dialect);

// A value as Realtime stores it: a literal ';' becomes "^3B" (Realtime splits values on ';').
std::string encodeRealtime(std::string_view value);

// A quoted SQL string literal: quotes doubled and, for MySQL, backslashes doubled.
std::string sqlLiteral(std::string_view value, SqlDialect dialect);

// Table of each Realtime object type ("endpoint" → "ps_endpoints"); "" for types kept in
// pjsip.conf.
std::string realtimeTable(std::string_view type);

// The wizard document of a conversion (one wizard per peer, classes as wizard templates) and the
// pjsip.conf objects the wizard cannot express (transports, global, system, registrations that do
// not fit a peer).
std::pair<PjDocument, PjDocument> buildWizard(const Conversion& conversion);

}  // namespace tandem::pjsip
