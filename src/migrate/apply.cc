// Planning and applying a profile on a tandem edge over JSON-RPC; verification of a listed set.
#include "migrate/apply.h"

#include "core/text.h"
#include "dispatcher/dispatcher.h"

namespace tandem::migrate {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

const ListedDest* findRow(const std::vector<ListedDest>& rows, std::string_view uri) {
  for (const auto& r : rows) {
    if (equalsIgnoreCase(r.uri, uri)) return &r;
  }
  return nullptr;
}

// The attrs column with weight set to w, every other item kept in its place (a repeated weight
// is dropped: the list reader takes the last one, which would undo ours).
std::string withWeight(std::string_view attrs, uint32_t w) {
  std::vector<std::string> items;
  bool placed = false;
  if (auto parsed = dispatcher::parseAttrs(attrs)) {
    for (const auto& [k, v] : parsed->items) {
      if (equalsIgnoreCase(k, "weight")) {
        if (!placed) items.push_back("weight=" + std::to_string(w));
        placed = true;
      } else {
        std::string item = k;
        if (!v.empty()) {
          item += '=';
          item += v;
        }
        items.push_back(std::move(item));
      }
    }
  }
  if (!placed) items.insert(items.begin(), "weight=" + std::to_string(w));
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ';';
    out += item;
  }
  return out;
}

std::string callsText(const ListedDest& r) {
  if (!r.activeCalls) return "";
  return ", " + std::to_string(*r.activeCalls) +
         (*r.activeCalls == 1 ? " call finishes there" : " calls finish there");
}

}  // namespace

bool TandemPlan::changes() const {
  for (const auto& s : steps) {
    if (!s.calls.empty()) return true;
  }
  return false;
}

TandemPlan planTandem(const Profile& profile, const std::vector<ListedDest>& setRows) {
  TandemPlan plan;
  const json set = profile.set;
  auto probeFlag = [](const ListedDest* row) {
    return row != nullptr && row->flags.size() > 1 && row->flags[1] == 'P'
               ? dispatcher::kFlagProbing
               : 0;
  };
  auto readd = [&](Step& step, const ProfileDest& d, const ListedDest& row) {
    step.calls.push_back({"dispatcher.remove", json::array({set, d.uri})});
    step.calls.push_back({"dispatcher.add", json::array({set, d.uri, probeFlag(&row), d.priority,
                                                         withWeight(row.attrs, d.weight)})});
  };
  auto reweightText = [](const ProfileDest& d, const ListedDest& row) {
    std::string text =
        "re-weight " + std::to_string(row.weight) + " -> " + std::to_string(d.weight);
    if (row.priority != d.priority) {
      text += ", priority " + std::to_string(row.priority) + " -> " + std::to_string(d.priority);
    }
    return text + " (remove + add: keeps its id, dialogs and calls)";
  };
  // Which URIs of the set take new dialogs, as the plan goes: a re-weight of one that does is
  // only safe while another one does too.
  std::vector<std::string> usable;
  for (const auto& r : setRows) {
    if (r.state == "active" || r.state == "trying") usable.push_back(r.uri);
  }
  auto othersUsable = [&usable](std::string_view uri) {
    for (const auto& u : usable) {
      if (!equalsIgnoreCase(u, uri)) return true;
    }
    return false;
  };

  // 1. Entering destinations: absent, removed, or in another state than active.
  std::vector<std::pair<const ProfileDest*, const ListedDest*>> reweights;
  for (const auto& d : profile.destinations) {
    if (d.state != Target::kActive) continue;
    const ListedDest* row = findRow(setRows, d.uri);
    if (row != nullptr && row->state == "active") {
      if (row->weight != d.weight || row->priority != d.priority) reweights.emplace_back(&d, row);
      continue;
    }
    Step step;
    step.uri = d.uri;
    if (row == nullptr || row->state == "removed") {
      std::string attrs = withWeight(row != nullptr ? row->attrs : "", d.weight);
      step.what = row == nullptr ? "add, " + attrs
                                 : "list again (removed, still finishing calls), " + attrs;
      step.calls.push_back(
          {"dispatcher.add", json::array({set, d.uri, probeFlag(row), d.priority, attrs})});
    } else {
      if (row->weight != d.weight || row->priority != d.priority) {
        step.what = reweightText(d, *row) + "; ";
        readd(step, d, *row);
      }
      step.what += "set state active (was " + row->state + ")";
      step.calls.push_back({"dispatcher.set_state", json::array({"active", set, d.uri})});
      if (row->health == "inactive") {
        plan.warnings.push_back(d.uri +
                                ": its health is inactive (pings unanswered); forcing it active "
                                "sends new dialogs to it until the prober marks it down again");
      }
    }
    usable.push_back(d.uri);
    plan.steps.push_back(std::move(step));
  }
  // 2. Active destinations whose weight or priority changes.
  for (const auto& [d, row] : reweights) {
    Step step;
    step.uri = d->uri;
    if (othersUsable(d->uri)) {
      step.what = reweightText(*d, *row);
      readd(step, *d, *row);
    } else {
      step.what = "weight stays " + std::to_string(row->weight) +
                  ": the only usable destination of the set takes every new dialog whatever its "
                  "weight, and a remove + add would leave the set empty for a moment";
    }
    plan.steps.push_back(std::move(step));
  }
  for (const auto& d : profile.destinations) {
    const ListedDest* row = findRow(setRows, d.uri);
    if (d.state == Target::kActive && row != nullptr && row->state == "active" &&
        row->weight == d.weight && row->priority == d.priority) {
      plan.steps.push_back(
          {d.uri, "already active, weight=" + std::to_string(d.weight) + ": nothing to do", {}});
    }
  }
  // 3. Leaving destinations, last: the entering ones take new dialogs by now.
  for (const auto& d : profile.destinations) {
    if (d.state != Target::kDrain) continue;
    Step step;
    step.uri = d.uri;
    const ListedDest* row = findRow(setRows, d.uri);
    if (row == nullptr) {
      step.what = "not in the set: nothing to drain";
    } else if (row->state == "drain" || row->state == "removed") {
      step.what = "already " + row->state + callsText(*row) + ": nothing to do";
    } else {
      step.what = "set state drain (was " + row->state + callsText(*row) + ")";
      step.calls.push_back({"dispatcher.set_state", json::array({"drain", set, d.uri})});
    }
    plan.steps.push_back(std::move(step));
  }
  for (const auto& r : setRows) {
    if (profile.find(r.uri) == nullptr && r.state != "removed") {
      plan.warnings.push_back(r.uri + " is also in set " + std::to_string(profile.set) +
                              " and is left as it is: the profile's weights are then not exact "
                              "percentages");
    }
  }
  return plan;
}

std::vector<std::string> verifySet(const Profile& profile, const std::vector<ListedDest>& setRows,
                                   Flavor flavor) {
  std::vector<std::string> out;
  size_t activeCount = 0;
  for (const auto& d : profile.destinations) activeCount += d.state == Target::kActive ? 1 : 0;
  for (const auto& d : profile.destinations) {
    const ListedDest* row = findRow(setRows, d.uri);
    bool drain = d.state == Target::kDrain;
    if (row == nullptr) {
      if (!drain || flavor == Flavor::kKamailio) {
        out.push_back(d.uri + ": missing from set " + std::to_string(profile.set));
      }
      continue;
    }
    if (drain) {
      if (flavor == Flavor::kTandem && row->state != "drain" && row->state != "removed") {
        out.push_back(d.uri + ": state is " + row->state + ", expected drain");
      }
      if (flavor == Flavor::kKamailio && (row->flags.empty() || row->flags[0] != 'D')) {
        out.push_back(d.uri + ": flags are " + row->flags + ", expected D (disabled)");
      }
      continue;
    }
    if (flavor == Flavor::kTandem && row->state != "active") {
      out.push_back(d.uri + ": state is " + row->state + ", expected active");
    }
    if (flavor == Flavor::kKamailio && (row->flags.empty() || row->flags[0] != 'A')) {
      out.push_back(d.uri + ": flags are " + row->flags + ", expected A (active)");
    }
    // A lone active destination takes every new dialog whatever its weight, and planTandem may
    // leave its weight (see there).
    if (row->weight != d.weight && !(flavor == Flavor::kTandem && activeCount == 1)) {
      out.push_back(d.uri + ": weight is " + std::to_string(row->weight) + ", expected " +
                    std::to_string(d.weight));
    }
    if (row->priority != d.priority && !(flavor == Flavor::kTandem && activeCount == 1)) {
      out.push_back(d.uri + ": priority is " + std::to_string(row->priority) + ", expected " +
                    std::to_string(d.priority));
    }
  }
  return out;
}

ApplyReport applyTandem(EdgeLink& link, const Profile& profile, bool dryRun) {
  ApplyReport report;
  auto listSet = [&](std::vector<ListedDest>& rows) -> Status {
    auto listed = callResult(link, "dispatcher.list");
    if (!listed) return listed.status();
    auto parsed = parseDispatcherList(*listed);
    if (!parsed) return parsed.status();
    rows = rowsOfSet(*parsed, profile.set);
    return Status::ok();
  };
  if (Status s = listSet(report.before); !s) {
    report.status = s;
    return report;
  }
  report.plan = planTandem(profile, report.before);
  if (dryRun) return report;
  for (const auto& step : report.plan.steps) {
    for (const auto& call : step.calls) {
      auto r = callResult(link, call.method, call.params);
      if (!r) {
        report.status = Status::error(step.uri + ": " + r.message() + " (after " +
                                      std::to_string(report.callsMade) + " successful calls)");
        return report;
      }
      ++report.callsMade;
    }
  }
  std::vector<ListedDest> after;
  if (Status s = listSet(after); !s) {
    report.status = Status::error("verification: " + s.message());
    return report;
  }
  report.mismatches = verifySet(profile, after, Flavor::kTandem);
  if (!report.mismatches.empty()) {
    std::string text = "verification failed: " + report.mismatches.front();
    if (report.mismatches.size() > 1) {
      text += " (and " + std::to_string(report.mismatches.size() - 1) + " more)";
    }
    report.status = Status::error(text);
  }
  return report;
}

Result<Profile> profileForTenant(EdgeLink& link, Profile profile, std::string_view domain) {
  auto set = tenantSet(link, domain);
  if (!set) return set.status();
  profile.set = *set;
  return profile;
}

ordered_json rawRows(const std::vector<ListedDest>& rows) {
  ordered_json out = ordered_json::array();
  for (const auto& r : rows) out.push_back(r.raw);
  return out;
}

void auditTandemApply(const ApplyReport& report, const Profile& profile, ordered_json& audit) {
  audit["from"] = rawRows(report.before);
  audit["to"] = profileToJson(profile);
  ordered_json steps = ordered_json::array();
  for (const auto& s : report.plan.steps) steps.push_back(s.uri + ": " + s.what);
  audit["steps"] = std::move(steps);
  audit["calls"] = report.callsMade;
  audit["result"] = report.status.isOk() ? "ok" : "failed";
  if (!report.status) audit["error"] = report.status.message();
}

}  // namespace tandem::migrate
