// Migration profiles: the desired state of one dispatcher set while new dialogs move from an old
// media node to a new one (modes old, both, new, canary:N), in tandem's JSON form and as a
// Kamailio dispatcher.list. A profile only describes; apply.h and kamailio.h make an edge match it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tandem::migrate {

enum class Mode : uint8_t { kOld, kBoth, kNew, kCanary };

struct ModeSpec {
  Mode mode = Mode::kOld;
  uint32_t canaryPercent = 0;  // kCanary only: 1..99, the new node's share of new dialogs
};

// "old", "both", "new" or "canary:N" with N from 1 to 99 (case-sensitive, no blanks).
// Errors: `unknown mode "x": expected old, both, new or canary:N (N from 1 to 99)`,
// `canary percentage must be an integer from 1 to 99, got "0" (use old for 0 and new for 100)`.
Result<ModeSpec> parseMode(std::string_view text);
std::string modeName(const ModeSpec& mode);  // "old", "both", "new", "canary:10"

enum class Role : uint8_t { kOld, kNew, kOther };
// What the profile wants for a destination. kDrain: no new dialogs, dialogs in progress finish
// where they started (tandem's drain state; Kamailio's disabled flag, which its in-dialog routing
// through Record-Route ignores just the same). A leaving node is drained, never removed, so it is
// still listed (and its calls still counted) until they end.
enum class Target : uint8_t { kActive, kDrain };

std::string_view roleName(Role role);       // "old", "new", "other"
std::string_view targetName(Target state);  // "active", "drain"

struct ProfileDest {
  std::string uri;
  Role role = Role::kOther;
  Target state = Target::kActive;
  // The `weight` attr (1..100, algorithm 9's percentage); 0 for a drained destination, which has
  // no weight: it takes no new dialogs, and a weightless entry keeps Kamailio's 100-slot table
  // exactly as the active entries' weights say.
  uint32_t weight = 0;
  int32_t priority = 0;
};

// Every destination of a profile is in one set. Active weights sum to 100.
struct Profile {
  ModeSpec mode;
  uint32_t set = 1;
  std::vector<ProfileDest> destinations;  // old node first, then new

  const ProfileDest* find(std::string_view uri) const;  // case-insensitive, nullptr when absent
};

// Checks a destination URI given on the command line: a sip: or sips: URI with a host and no
// blanks. flag names it in errors: `invalid --old URI "x": expected a sip: or sips: URI such as
// sip:10.0.1.30:5060`.
Status checkUri(std::string_view uri, std::string_view flag);

// The profile of a mode for set `set` (1 or more):
//   old       old active weight=100, new drain
//   both      old active weight=50, new active weight=50
//   new       old drain, new active weight=100
//   canary:N  old active weight=100-N, new active weight=N
// Errors: checkUri's; `set must be a positive integer, got 0`;
// `--old and --new name the same destination "sip:..."`.
Result<Profile> makeProfile(const ModeSpec& mode, std::string_view oldUri, std::string_view newUri,
                            uint32_t set);

// The dispatcher.list lines of the profile, `SET URI FLAGS PRIORITY [ATTRS]`, one a line, after a
// comment header (its first line is what loadProfile reads back): flags 0 and attrs weight=W for an
// active destination, flags 4 (disabled) and no attrs for a drained one. dispatcher::parseList
// reads it back.
std::string renderKamailio(const Profile& profile);

// The tandem form:
// {"format":"tandem-migrate-profile","version":1,"mode":"canary:10","set":1,"algorithm":9,
//  "destinations":[{"uri":"sip:...","role":"old","state":"active","weight":90,"priority":0},...]}
// A drained destination has no "weight".
nlohmann::ordered_json profileToJson(const Profile& profile);

// Reads a profile file written by profileToJson (text starting with '{') or renderKamailio (its
// first line, `# tandem-migrate-profile mode=M set=S old=URI new=URI`, gives the mode and the
// roles; each line's disabled flag bit means drain, else active with its weight attr).
// The destinations are what apply acts on; the mode is a label. Checked: URIs (checkUri), no URI
// twice, states, weights (1..100 on active destinations, none on drained ones), active weights
// summing to 100, at least one active destination, one set. Errors start with name, e.g.
// `profile.json: destination 2: "weight" must be an integer from 1 to 100`.
Result<Profile> loadProfile(std::string_view text, std::string_view name);

}  // namespace tandem::migrate
