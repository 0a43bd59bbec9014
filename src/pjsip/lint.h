// Checks for a PJSIP configuration (pjsip.conf, pjsip_wizard.conf, or Realtime rows): what makes
// Asterisk reject objects, and the migration mistakes that load fine but break calls.
#pragma once

#include <string>
#include <vector>

#include "pjsip/config_reader.h"
#include "pjsip/converter.h"
#include "pjsip/model.h"
#include "pjsip/writers.h"

namespace tandem::pjsip {

enum class Severity { kError, kWarning, kInfo };

const char* severityName(Severity s);  // "error", "warning", "info"

struct Finding {
  std::string code;  // stable, e.g. "unknown-option"
  Severity severity = Severity::kError;
  std::string object;  // "endpoint 6001", "transport transport-udp"
  SourceRef where;
  std::string message;
  std::string fix;

  // "pjsip.conf:12: error [unknown-option] endpoint 6001: ...; fix: ..."
  std::string toString() const;
};

struct LintOption {
  std::string key;
  std::string value;
  SourceRef where;
};

// One object as Asterisk would create it (templates applied, wizards expanded).
struct LintObject {
  std::string id;
  std::string type;
  SourceRef where;
  std::string wizard;  // the wizard section that generates it, "" for a plain object
  std::vector<LintOption> options;

  const LintOption* get(std::string_view key) const;  // the last value
  std::string value(std::string_view key) const;
  // Every value of key, comma lists split, trimmed.
  std::vector<std::string> list(std::string_view key) const;
};

struct LintInput {
  std::vector<LintObject> objects;
  std::vector<Finding> findings;  // found while reading (unknown wizard keys, say)
};

// The objects of a pjsip.conf or pjsip_wizard.conf as read by readConfig (both may be merged
// into one input). Templates are checked for unknown options; wizards are expanded into the
// endpoint, aor, auths, identify and registrations res_pjsip_config_wizard creates.
void addConfigObjects(const Config& config, LintInput& input);

// The Realtime objects of a document (templates resolved), located at their SQL rows.
void addRealtimeObjects(const PjDocument& doc, const std::string& sqlFile, const RowLines& rows,
                        LintInput& input);

struct LintOptions {
  // Where chan_sip listens while both stacks run; a transport on one of these fails to bind.
  std::vector<BindAddress> chanSipBinds;
};

// Runs every check. Findings are ordered by file and line.
std::vector<Finding> lint(const LintInput& input, const LintOptions& options);

// True when any finding is an error.
bool hasErrors(const std::vector<Finding>& findings);

}  // namespace tandem::pjsip
