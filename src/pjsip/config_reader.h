// Reader for Asterisk's config syntax (sip.conf, pjsip.conf, pjsip_wizard.conf) as main/config.c
// reads it: sections, templates, inheritance, additions, includes, comments, escapes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tandem::pjsip {

// Where a line came from. line is 1-based; 0 means "not from a file" (generated).
struct SourceRef {
  std::string file;
  int line = 0;

  std::string toString() const;  // "file:line", or just "file" when line is 0
  bool operator==(const SourceRef&) const = default;
};

// One "key = value" (or "key => value") line.
struct Entry {
  std::string key;
  std::string value;  // trimmed; "\;" already turned into ";"
  SourceRef where;
};

// One [section]. Asterisk copies a template's lines into the section when the header is read
// (inherited lines first), so `entries` is the section as Asterisk sees it, while `own` keeps
// only what was written under this header (and under its "(+)" additions) for converters that
// keep templates as templates.
struct Section {
  std::string name;
  SourceRef where;                     // the header line
  bool isTemplate = false;             // [name](!)
  std::vector<std::string> templates;  // [name](t1,t2): the sections it inherits from, in order
  std::vector<Entry> own;
  std::vector<Entry> entries;  // inherited first, then own

  // The last value of key in entries (Asterisk's ast_variable_retrieve), or nullptr.
  const Entry* last(std::string_view key) const;
  // Every value of key in entries, in order (repeated keys such as allow, permit, register).
  std::vector<const Entry*> all(std::string_view key) const;
};

struct Diagnostic {
  SourceRef where;
  std::string message;
};

struct Config {
  std::vector<Section> sections;   // in the order Asterisk reads them, includes inlined
  std::vector<std::string> files;  // every file read, the top-level one first
  std::vector<Diagnostic> warnings;

  // The first section with this name (Asterisk's lookup), or nullptr.
  const Section* find(std::string_view name) const;
};

// Where the reader gets file contents and glob expansions; tests use MemoryFiles.
// Thread-safety: none needed; one reader uses one instance at a time.
class FileSource {
 public:
  virtual ~FileSource() = default;
  // The whole file, or an error naming the path.
  virtual Result<std::string> read(const std::string& path) = 0;
  // Existing paths matching a glob pattern, sorted; a pattern without wildcards names one file.
  virtual std::vector<std::string> glob(const std::string& pattern) = 0;
};

// The real filesystem (glob(3)).
class DiskFiles : public FileSource {
 public:
  Result<std::string> read(const std::string& path) override;
  std::vector<std::string> glob(const std::string& pattern) override;
};

// Files held in memory, keyed by path; glob supports '*' and '?'.
class MemoryFiles : public FileSource {
 public:
  void add(std::string path, std::string text) { files_[std::move(path)] = std::move(text); }
  Result<std::string> read(const std::string& path) override;
  std::vector<std::string> glob(const std::string& pattern) override;

 private:
  std::map<std::string, std::string> files_;
};

// Reads `path` and everything it includes. Relative #include paths are taken from the directory
// of the top-level file, as Asterisk takes them from its config directory. A missing #include is
// an error, a missing #tryinclude is not. The first syntax error stops the read; its message
// starts with "file:line: ".
Result<Config> readConfig(const std::string& path, FileSource& files);

// Convenience for tests and for text already in memory: reads `text` as a file named `name`.
Result<Config> parseConfig(std::string_view text, const std::string& name);

}  // namespace tandem::pjsip
