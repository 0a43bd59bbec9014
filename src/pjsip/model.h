// The PJSIP side of a conversion: objects with ordered options, templates and the rules Asterisk
// applies when it resolves them, shared by the writers (conf, wizard, SQL) and the linter.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pjsip/config_reader.h"

namespace tandem::pjsip {

struct Option {
  std::string key;
  std::string value;  // unescaped: a ';' here is a literal semicolon
  SourceRef from;     // the sip.conf line it was converted from (line 0 when synthesised)
};

// Options in the order Asterisk applies them. A list option (isListOption) accumulates; any other
// option has one value, the last one set.
class OptionList {
 public:
  // Sets a single-valued option (replacing its value in place) or appends to a list option.
  void put(std::string key, std::string value, SourceRef from = {});
  // Appends even for a single-valued key (a reset written after inherited lines).
  void append(std::string key, std::string value, SourceRef from = {});
  void remove(std::string_view key);

  const Option* get(std::string_view key) const;  // the last value, or nullptr
  std::string value(std::string_view key) const;  // the last value, or ""
  std::vector<const Option*> getAll(std::string_view key) const;
  bool has(std::string_view key) const { return get(key) != nullptr; }

  const std::vector<Option>& items() const { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<Option> items_;
};

struct PjObject {
  std::string id;
  std::string type;  // endpoint, aor, auth, identify, registration, transport, global, system,
                     // or wizard in a wizard document
  bool isTemplate = false;
  std::vector<std::string> parents;   // template ids, in order
  OptionList options;                 // "type" is not among them
  SourceRef from;                     // the sip.conf section it came from
  std::vector<std::string> comments;  // written above the object, one per line
};

struct PjDocument {
  std::vector<PjObject> objects;

  // The template or object with this id whose type is `type` (any type when empty).
  const PjObject* find(std::string_view id, std::string_view type = {}) const;
};

// The options of `object` as Asterisk sees them: each parent's resolved options in order, then
// the object's own. REQUIRES: every parent id names a template earlier in `doc`.
OptionList resolveOptions(const PjDocument& doc, const PjObject& object);

// The options to write under a section whose parents already contribute `inherited`, so that
// resolving gives `wanted`: changed single values, list entries past what is inherited, and the
// documented default (or an empty value) for a single value the parents set but `wanted` lacks.
// `type` selects the defaults table.
OptionList deltaOptions(const OptionList& wanted, const OptionList& inherited,
                        std::string_view type);

// The codec list allow/disallow lines leave, comma-joined ("ulaw,alaw"); "" when none.
std::string effectiveCodecs(const OptionList& options);

// Escapes a value for pjsip.conf: ';' becomes "\;".
std::string escapeConfValue(std::string_view value);

}  // namespace tandem::pjsip
