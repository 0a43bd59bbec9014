// Typed reading of TOML config files with errors an operator can act on: every error names the
// file, line and key ("edge.toml:7: edge.listen[1]: unknown transport \"sctp\""), and keys that
// no one reads are reported, so a typo never passes silently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace toml {
inline namespace v3 {
class table;
class node;
}  // namespace v3
}  // namespace toml

namespace tandem {

class ConfigReader;

// A view of one table of the document ("edge", "dispatcher", ...). Reading a key marks it as
// known. Getters return the default when the key is absent and record an error when it has the
// wrong type or an invalid value. Not thread-safe; lives as long as its ConfigReader.
class ConfigSection {
 public:
  std::string getString(std::string_view key, std::string_view def);
  int64_t getInt(std::string_view key, int64_t def, int64_t min, int64_t max);
  bool getBool(std::string_view key, bool def);
  std::vector<std::string> getStringList(std::string_view key, const std::vector<std::string>& def);
  bool has(std::string_view key) const;
  // Records an error located at key (or at the table when key is empty or absent).
  void error(std::string_view key, std::string_view message);
  // For list items: the error is located at item index of key.
  void errorAt(std::string_view key, size_t index, std::string_view message);
  const std::string& name() const { return name_; }

 private:
  friend class ConfigReader;
  ConfigSection(ConfigReader* reader, const toml::table* table, std::string name)
      : reader_(reader), table_(table), name_(std::move(name)) {}
  const toml::node* find(std::string_view key);
  std::string where(const toml::node* node) const;
  ConfigReader* reader_;
  const toml::table* table_;  // null when the section is absent
  std::string name_;
};

class ConfigReader {
 public:
  // Parses TOML text; fileName is used in messages. Syntax errors are returned as
  // "FILE:LINE:COL: message".
  static Result<std::unique_ptr<ConfigReader>> parse(std::string_view text, std::string fileName);
  static Result<std::unique_ptr<ConfigReader>> load(const std::string& path);
  ~ConfigReader();

  // A top-level table. An absent section reads as all defaults.
  ConfigSection section(std::string_view name);
  // Adds an error per key (and per section) that exists in the file but was never read.
  void rejectUnknown();
  // All errors so far, one per line; empty when none.
  const std::vector<std::string>& errors() const { return errors_; }
  Status status() const;
  const std::string& fileName() const { return fileName_; }

 private:
  friend class ConfigSection;
  ConfigReader() = default;
  std::string fileName_;
  std::unique_ptr<toml::table> root_;
  std::set<std::string> known_;  // "section" and "section.key"
  std::vector<std::string> errors_;
};

}  // namespace tandem
