// Profiles: mode parsing, the per-mode destination lists, and their JSON and dispatcher.list forms.
#include "migrate/profile.h"

#include <charconv>
#include <set>

#include "core/text.h"
#include "dispatcher/dispatcher.h"
#include "sip/uri.h"

namespace tandem::migrate {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kHeaderTag = "# tandem-migrate-profile";

std::string inQuotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::optional<uint32_t> parseUint(std::string_view text) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::string lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = asciiLower(c);
  return out;
}

// The checks loadProfile promises, on a profile from either format.
Status checkProfile(const Profile& p, std::string_view name) {
  auto fail = [&](const std::string& why) { return Status::error(std::string(name) + ": " + why); };
  if (p.set == 0) return fail("set must be a positive integer, got 0");
  if (p.destinations.empty()) return fail("no destinations");
  std::set<std::string> seen;
  uint32_t sum = 0;
  size_t active = 0;
  for (size_t i = 0; i < p.destinations.size(); ++i) {
    const auto& d = p.destinations[i];
    std::string where = "destination " + std::to_string(i + 1) + ": ";
    if (Status s = checkUri(d.uri, "destination"); !s) return fail(where + s.message());
    if (!seen.insert(lowered(d.uri)).second) return fail(where + inQuotes(d.uri) + " listed twice");
    if (d.state == Target::kActive) {
      if (d.weight < 1 || d.weight > 100) {
        return fail(where + "an active destination needs a weight from 1 to 100");
      }
      sum += d.weight;
      ++active;
    } else if (d.weight != 0) {
      return fail(where + "a drained destination has no weight");
    }
  }
  if (active == 0) return fail("no active destination: every new dialog would fail");
  if (sum != 100) return fail("active weights sum to " + std::to_string(sum) + ", expected 100");
  return Status::ok();
}

Result<Profile> profileFromJson(std::string_view text, std::string_view name) {
  using R = Result<Profile>;
  auto fail = [&](const std::string& why) { return R::error(std::string(name) + ": " + why); };
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return fail("not a JSON object");
  if (doc.value("format", "") != "tandem-migrate-profile") {
    return fail("\"format\" must be \"tandem-migrate-profile\"");
  }
  if (!doc.contains("version") || doc["version"] != 1) return fail("\"version\" must be 1");
  Profile p;
  if (!doc.contains("mode") || !doc["mode"].is_string()) return fail("\"mode\" must be a string");
  auto mode = parseMode(doc["mode"].get<std::string>());
  if (!mode) return fail(mode.message());
  p.mode = *mode;
  const json& set = doc.contains("set") ? doc["set"] : json();
  if (!set.is_number_unsigned() || set.get<uint64_t>() == 0 || set.get<uint64_t>() > UINT32_MAX) {
    return fail("\"set\" must be a positive integer");
  }
  p.set = set.get<uint32_t>();
  if (doc.contains("algorithm") && doc["algorithm"] != 9) {
    return fail("\"algorithm\" must be 9 (weights); other algorithms ignore the weight attr");
  }
  if (!doc.contains("destinations") || !doc["destinations"].is_array() ||
      doc["destinations"].empty()) {
    return fail("\"destinations\" must be a non-empty array");
  }
  size_t i = 0;
  for (const json& d : doc["destinations"]) {
    ++i;
    std::string where = "destination " + std::to_string(i) + ": ";
    if (!d.is_object()) return fail(where + "not an object");
    ProfileDest dest;
    if (!d.contains("uri") || !d["uri"].is_string())
      return fail(where + "\"uri\" must be a string");
    dest.uri = d["uri"].get<std::string>();
    std::string role = d.contains("role") && d["role"].is_string() ? d["role"].get<std::string>()
                                                                   : std::string("other");
    if (role == "old") {
      dest.role = Role::kOld;
    } else if (role == "new") {
      dest.role = Role::kNew;
    } else if (role == "other") {
      dest.role = Role::kOther;
    } else {
      return fail(where + "\"role\" must be old, new or other");
    }
    std::string state = d.contains("state") && d["state"].is_string()
                            ? d["state"].get<std::string>()
                            : std::string();
    if (state == "active") {
      dest.state = Target::kActive;
    } else if (state == "drain") {
      dest.state = Target::kDrain;
    } else {
      return fail(where + "\"state\" must be active or drain");
    }
    if (d.contains("weight")) {
      const json& w = d["weight"];
      if (!w.is_number_unsigned() || w.get<uint64_t>() < 1 || w.get<uint64_t>() > 100) {
        return fail(where + "\"weight\" must be an integer from 1 to 100");
      }
      dest.weight = w.get<uint32_t>();
    }
    if (d.contains("priority")) {
      const json& pr = d["priority"];
      if (!pr.is_number_integer() || pr.get<int64_t>() < INT32_MIN ||
          pr.get<int64_t>() > INT32_MAX) {
        return fail(where + "\"priority\" must be an integer");
      }
      dest.priority = pr.get<int32_t>();
    }
    p.destinations.push_back(std::move(dest));
  }
  if (Status s = checkProfile(p, name); !s) return s;
  return p;
}

Result<Profile> profileFromList(std::string_view text, std::string_view name) {
  using R = Result<Profile>;
  auto fail = [&](const std::string& why) { return R::error(std::string(name) + ": " + why); };
  std::string_view first = text.substr(0, text.find('\n'));
  if (!first.starts_with(kHeaderTag)) {
    return fail("not a migrate profile: the first line must be \"" + std::string(kHeaderTag) +
                " mode=M set=S old=URI new=URI\" (tandem migrate profile writes it)");
  }
  // Header fields, blank-separated key=value.
  std::string modeText, oldUri, newUri;
  std::optional<uint32_t> set;
  std::string_view rest = first.substr(kHeaderTag.size());
  while (!rest.empty()) {
    size_t b = rest.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) break;
    rest.remove_prefix(b);
    size_t e = rest.find_first_of(" \t\r");
    std::string_view field = rest.substr(0, e);
    rest.remove_prefix(e == std::string_view::npos ? rest.size() : e);
    size_t eq = field.find('=');
    std::string_view key = field.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : field.substr(eq + 1);
    if (key == "mode") {
      modeText = value;
    } else if (key == "set") {
      set = parseUint(value);
    } else if (key == "old") {
      oldUri = value;
    } else if (key == "new") {
      newUri = value;
    }
  }
  auto mode = parseMode(modeText);
  if (!mode) return fail("header: " + mode.message());
  if (!set || *set == 0) return fail("header: set must be a positive integer");
  auto lines = dispatcher::parseList(text, name);
  if (!lines) return lines.status();
  Profile p;
  p.mode = *mode;
  p.set = *set;
  for (const auto& d : *lines) {
    if (d.setId != p.set) {
      return fail("line " + std::to_string(d.line) + ": set " + std::to_string(d.setId) +
                  " differs from the header's set " + std::to_string(p.set));
    }
    ProfileDest dest;
    dest.uri = d.uri;
    dest.role = equalsIgnoreCase(d.uri, oldUri)   ? Role::kOld
                : equalsIgnoreCase(d.uri, newUri) ? Role::kNew
                                                  : Role::kOther;
    dest.state = (d.flags & dispatcher::kFlagDisabled) != 0 ? Target::kDrain : Target::kActive;
    dest.weight = d.attrs.weight;
    dest.priority = d.priority;
    p.destinations.push_back(std::move(dest));
  }
  if (Status s = checkProfile(p, name); !s) return s;
  return p;
}

}  // namespace

Result<ModeSpec> parseMode(std::string_view text) {
  if (text == "old") return ModeSpec{Mode::kOld, 0};
  if (text == "both") return ModeSpec{Mode::kBoth, 0};
  if (text == "new") return ModeSpec{Mode::kNew, 0};
  if (text.starts_with("canary:")) {
    std::string_view n = text.substr(7);
    auto v = parseUint(n);
    if (!v || *v < 1 || *v > 99) {
      return Result<ModeSpec>::error("canary percentage must be an integer from 1 to 99, got " +
                                     inQuotes(n) + " (use old for 0 and new for 100)");
    }
    return ModeSpec{Mode::kCanary, *v};
  }
  return Result<ModeSpec>::error("unknown mode " + inQuotes(text) +
                                 ": expected old, both, new or canary:N (N from 1 to 99)");
}

std::string modeName(const ModeSpec& mode) {
  switch (mode.mode) {
    case Mode::kOld:
      return "old";
    case Mode::kBoth:
      return "both";
    case Mode::kNew:
      return "new";
    case Mode::kCanary:
      return "canary:" + std::to_string(mode.canaryPercent);
  }
  return "?";
}

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kOld:
      return "old";
    case Role::kNew:
      return "new";
    case Role::kOther:
      return "other";
  }
  return "?";
}

std::string_view targetName(Target state) { return state == Target::kActive ? "active" : "drain"; }

const ProfileDest* Profile::find(std::string_view uri) const {
  for (const auto& d : destinations) {
    if (equalsIgnoreCase(d.uri, uri)) return &d;
  }
  return nullptr;
}

Status checkUri(std::string_view uri, std::string_view flag) {
  auto bad = [&] {
    return Status::error("invalid " + std::string(flag) + " URI " + inQuotes(uri) +
                         ": expected a sip: or sips: URI such as sip:10.0.1.30:5060");
  };
  // Blanks and '#' would split or cut the dispatcher.list line the URI is written to.
  if (uri.empty() || uri.find_first_of(" \t\r\n#") != std::string_view::npos) return bad();
  auto parsed = sip::parseUri(uri);
  if (!parsed || !parsed->isSip() || parsed->host.empty()) return bad();
  return Status::ok();
}

Result<Profile> makeProfile(const ModeSpec& mode, std::string_view oldUri, std::string_view newUri,
                            uint32_t set) {
  if (Status s = checkUri(oldUri, "--old"); !s) return s;
  if (Status s = checkUri(newUri, "--new"); !s) return s;
  if (set == 0) return Result<Profile>::error("set must be a positive integer, got 0");
  if (equalsIgnoreCase(oldUri, newUri)) {
    return Result<Profile>::error("--old and --new name the same destination " + inQuotes(oldUri));
  }
  Profile p;
  p.mode = mode;
  p.set = set;
  ProfileDest o{std::string(oldUri), Role::kOld, Target::kActive, 0, 0};
  ProfileDest n{std::string(newUri), Role::kNew, Target::kActive, 0, 0};
  switch (mode.mode) {
    case Mode::kOld:
      o.weight = 100;
      n.state = Target::kDrain;
      break;
    case Mode::kBoth:
      o.weight = 50;
      n.weight = 50;
      break;
    case Mode::kNew:
      o.state = Target::kDrain;
      n.weight = 100;
      break;
    case Mode::kCanary:
      if (mode.canaryPercent < 1 || mode.canaryPercent > 99) {
        return Result<Profile>::error("canary percentage must be an integer from 1 to 99, got " +
                                      std::to_string(mode.canaryPercent));
      }
      o.weight = 100 - mode.canaryPercent;
      n.weight = mode.canaryPercent;
      break;
  }
  p.destinations.push_back(std::move(o));
  p.destinations.push_back(std::move(n));
  return p;
}

std::string renderKamailio(const Profile& profile) {
  std::string oldUri, newUri;
  for (const auto& d : profile.destinations) {
    if (d.role == Role::kOld) oldUri = d.uri;
    if (d.role == Role::kNew) newUri = d.uri;
  }
  std::string out = std::string(kHeaderTag) + " mode=" + modeName(profile.mode) +
                    " set=" + std::to_string(profile.set) + " old=" + oldUri + " new=" + newUri +
                    "\n";
  out +=
      "# Kamailio dispatcher.list for algorithm 9 (weight): setid destination flags priority "
      "attrs.\n"
      "# flags 0 = active; flags 4 = disabled: no new dialogs, dialogs in progress finish "
      "(drain).\n";
  for (const auto& d : profile.destinations) {
    out += std::to_string(profile.set) + " " + d.uri + " ";
    out += d.state == Target::kActive ? "0" : "4";
    out += " " + std::to_string(d.priority);
    if (d.state == Target::kActive && d.weight != 0) out += " weight=" + std::to_string(d.weight);
    out += "\n";
  }
  return out;
}

ordered_json profileToJson(const Profile& profile) {
  ordered_json dests = ordered_json::array();
  for (const auto& d : profile.destinations) {
    ordered_json j;
    j["uri"] = d.uri;
    j["role"] = std::string(roleName(d.role));
    j["state"] = std::string(targetName(d.state));
    if (d.state == Target::kActive) j["weight"] = d.weight;
    j["priority"] = d.priority;
    dests.push_back(std::move(j));
  }
  ordered_json out;
  out["format"] = "tandem-migrate-profile";
  out["version"] = 1;
  out["mode"] = modeName(profile.mode);
  out["set"] = profile.set;
  out["algorithm"] = 9;
  out["destinations"] = std::move(dests);
  return out;
}

Result<Profile> loadProfile(std::string_view text, std::string_view name) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b != std::string_view::npos && text[b] == '{') return profileFromJson(text, name);
  return profileFromList(text, name);
}

}  // namespace tandem::migrate
