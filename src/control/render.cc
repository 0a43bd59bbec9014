// Terminal rendering of RPC results (see render.h for the rules).
#include "control/render.h"

#include <algorithm>
#include <vector>

namespace tandem::control {

namespace {

using Json = nlohmann::ordered_json;

bool isScalar(const Json& v) { return !v.is_object() && !v.is_array(); }

bool isTable(const Json& v) {
  return v.is_array() && !v.empty() &&
         std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_object(); });
}

// True when v holds a table at some depth of objects: such values need a block, not a cell.
bool holdsTable(const Json& v) {
  if (isTable(v)) return true;
  if (!v.is_object()) return false;
  return std::any_of(v.begin(), v.end(), [](const Json& m) { return holdsTable(m); });
}

std::string compact(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string scalarText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  return compact(v);
}

// One line of a table cell: control characters would break the alignment.
std::string cellText(const Json& v) {
  if (!isScalar(v)) return compact(v);
  std::string s = scalarText(v);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else {
      out += c;
    }
  }
  return out;
}

// Display width: code points, so a UTF-8 name does not skew the columns.
size_t width(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xc0) != 0x80; }));
}

void renderObject(std::string& out, const Json& object, size_t indent);
void renderRows(std::string& out, const Json& rows, size_t indent);

void renderTable(std::string& out, const Json& rows, size_t indent) {
  std::vector<std::string> columns;
  for (const Json& row : rows) {
    for (const auto& [key, value] : row.items()) {
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
    }
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<size_t> widths;
  widths.reserve(columns.size());
  cells.reserve(rows.size());
  std::vector<bool> numeric(columns.size(), true);
  for (const auto& c : columns) widths.push_back(width(c));
  for (const Json& row : rows) {
    auto& line = cells.emplace_back();
    for (size_t i = 0; i < columns.size(); ++i) {
      auto it = row.find(columns[i]);
      if (it == row.end()) {
        line.emplace_back();
        continue;
      }
      if (!it->is_number()) numeric[i] = false;
      line.push_back(cellText(*it));
      widths[i] = std::max(widths[i], width(line.back()));
    }
  }
  auto emit = [&](const std::vector<std::string>& line) {
    std::string text(indent, ' ');
    for (size_t i = 0; i < line.size(); ++i) {
      if (i > 0) text += "  ";
      size_t pad = widths[i] - width(line[i]);
      if (numeric[i]) text.append(pad, ' ');
      text += line[i];
      if (!numeric[i]) text.append(pad, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text;
    out += '\n';
  };
  emit(columns);
  for (const auto& line : cells) emit(line);
}

// Kamailio wraps each row in a one-key object ({"DEST": {...}}): show the rows themselves.
bool isWrappedRows(const Json& rows) {
  if (rows.empty() || !rows.front().is_object() || rows.front().size() != 1) return false;
  const std::string& key = rows.front().begin().key();
  return std::all_of(rows.begin(), rows.end(), [&key](const Json& row) {
    return row.is_object() && row.size() == 1 && row.begin().key() == key &&
           row.begin().value().is_object() && !row.begin().value().empty();
  });
}

void renderRows(std::string& out, const Json& rows, size_t indent) {
  if (isWrappedRows(rows)) {
    Json inner = Json::array();
    for (const Json& row : rows) inner.push_back(row.begin().value());
    renderRows(out, inner, indent);
    return;
  }
  bool blocks = std::any_of(rows.begin(), rows.end(), [](const Json& row) {
    return std::any_of(row.begin(), row.end(), [](const Json& m) { return holdsTable(m); });
  });
  if (!blocks) {
    renderTable(out, rows, indent);
    return;
  }
  bool first = true;
  for (const Json& row : rows) {
    if (!first) out += '\n';
    first = false;
    renderObject(out, row, indent);
  }
}

void renderObject(std::string& out, const Json& object, size_t indent) {
  std::string pad(indent, ' ');
  for (const auto& [key, value] : object.items()) {
    if (isScalar(value)) {
      out += pad + key + ": " + scalarText(value) + "\n";
    } else if (value.is_object() && !value.empty()) {
      out += pad + key + ":\n";
      renderObject(out, value, indent + 2);
    } else if (isTable(value)) {
      out += pad + key + ":\n";
      renderRows(out, value, indent + 2);
    } else {
      out += pad + key + ": " + compact(value) + "\n";
    }
  }
}

}  // namespace

std::string renderText(const Json& value) {
  std::string out;
  if (value.is_null()) return out;
  if (isScalar(value)) return scalarText(value) + "\n";
  if (value.empty()) return "(empty)\n";
  if (value.is_object()) {
    renderObject(out, value, 0);
  } else if (isTable(value)) {
    renderRows(out, value, 0);
  } else {
    for (const Json& e : value) out += (isScalar(e) ? scalarText(e) : compact(e)) + "\n";
  }
  return out;
}

}  // namespace tandem::control
