// Batch plan: grouping, then per-endpoint instructions that depend on how the endpoint reaches
// the PBX (registers, fixed address, registration trunk), then per-batch rollback in reverse.
#include "pjsip/plan.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace tandem::pjsip {
namespace {

std::string stem(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

const char* kindName(const PeerInfo& p) {
  switch (p.kind) {
    case PeerKind::kPhone:
      return "phone";
    case PeerKind::kStatic:
      // A friend with a fixed address that authenticates is a desk device; the rest are trunks.
      return p.sipType == "friend" && !p.inboundAuth.empty() && p.registrations.empty() ? "device"
                                                                                        : "trunk";
    case PeerKind::kUser:
      return "user";
    case PeerKind::kUnreachable:
      return "unreachable";
  }
  return "";
}

PlanEndpoint describe(const PeerInfo& p, int port) {
  PlanEndpoint e;
  e.name = p.name;
  e.kind = kindName(p);
  e.host = p.host;
  e.context = p.context;
  e.where = p.where;
  e.registrations = p.registrations;
  std::string ps = std::to_string(port);
  std::string dial = "dialplan: dial PJSIP/" + p.name + " instead of SIP/" + p.name;
  switch (p.kind) {
    case PeerKind::kPhone:
      e.change.push_back("re-point the phone to the PBX on port " + ps +
                         " (provisioning, or the port of its DNS SRV record); it registers to "
                         "PJSIP");
      e.change.push_back(dial);
      e.verify = "pjsip show contacts shows " + p.name + "; a test call in each direction";
      e.rollback.push_back("re-point the phone to port 5060; chan_sip still has [" + p.name + "]");
      e.rollback.push_back("dialplan: dial SIP/" + p.name + " again");
      break;
    case PeerKind::kStatic:
      for (const std::string& r : p.registrations) {
        e.change.push_back("comment out the register line for " + r +
                           " in sip.conf and run \"sip reload\", then load registration " + r +
                           " (\"pjsip reload\"): the provider now sends calls to port " + ps);
      }
      if (p.registrations.empty()) {
        e.change.push_back("ask " + p.host + " to send calls to port " + ps +
                           " (or change the port of the SRV record it uses); PJSIP already "
                           "sends from " +
                           ps);
      }
      e.change.push_back(dial);
      e.verify = "pjsip show endpoint " + p.name + " is reachable" +
                 std::string(p.registrations.empty() ? ""
                                                     : " and its registration is "
                                                       "Registered") +
                 "; a test call in each direction";
      for (auto it = p.registrations.rbegin(); it != p.registrations.rend(); ++it) {
        e.rollback.push_back("\"pjsip send unregister " + *it +
                             "\", remove it from pjsip.conf, "
                             "restore the register line in sip.conf and \"sip reload\"");
      }
      if (p.registrations.empty()) {
        e.rollback.push_back("ask " + p.host + " to send to port 5060 again");
      }
      e.rollback.push_back("dialplan: dial SIP/" + p.name + " again");
      break;
    case PeerKind::kUser:
      e.change.push_back("point the device or service calling as " + p.name + " to port " + ps);
      e.verify = "a test call from " + p.name + " reaches context " + p.context;
      e.rollback.push_back("point it back to port 5060");
      break;
    case PeerKind::kUnreachable:
      e.change.push_back(
          "none: chan_sip could not reach it either (no host=); decide whether it "
          "is still needed");
      e.verify = "-";
      break;
  }
  return e;
}

}  // namespace

Result<Plan> makePlan(const Conversion& c, const PlanOptions& options) {
  if (options.grouping == PlanGrouping::kBatches && options.batches < 1) {
    return Result<Plan>::error("--batches must be at least 1");
  }
  Plan plan;
  plan.source = c.source;
  plan.grouping = options.grouping == PlanGrouping::kBatches   ? "batches"
                  : options.grouping == PlanGrouping::kContext ? "context"
                                                               : "tenant";
  int port = c.pjsipBinds.empty() ? 5160 : c.pjsipBinds.front().port;
  plan.dualStackPort = port;
  for (const BindAddress& b : c.pjsipBinds) {
    plan.pjsipListen += (plan.pjsipListen.empty() ? "" : ", ") + b.toString();
  }
  for (const BindAddress& b : c.chanSipBinds) {
    plan.chanSipListen += (plan.chanSipListen.empty() ? "" : ", ") + b.toString();
  }

  plan.preparation = {
      "run \"tandem pjsip lint\" on the converted files until it reports no errors",
      "load res_pjsip with the converted transports on port " + std::to_string(port) +
          " beside chan_sip on 5060 (" + plan.chanSipListen + "); both stacks run",
      "open port " + std::to_string(port) + " in the firewall for the same sources as 5060",
      "keep the converted registrations out of pjsip.conf until their batch: two stacks "
      "registering one account split its calls",
  };

  // Group in sip.conf order; groups ordered by first appearance.
  std::vector<std::pair<std::string, std::vector<const PeerInfo*>>> groups;
  auto groupOf = [&](const PeerInfo& p) -> std::string {
    if (options.grouping == PlanGrouping::kContext) return p.context;
    if (p.where.file != c.source) return stem(p.where.file);
    return p.accountcode.empty() ? "shared" : p.accountcode;
  };
  if (options.grouping == PlanGrouping::kBatches) {
    size_t n = c.peers.size();
    size_t count = std::min<size_t>(static_cast<size_t>(options.batches), std::max<size_t>(n, 1));
    for (size_t b = 0; b < count; ++b) {
      std::vector<const PeerInfo*> members;
      size_t begin = b * n / count;
      size_t end = (b + 1) * n / count;
      for (size_t i = begin; i < end; ++i) members.push_back(&c.peers[i]);
      groups.emplace_back("", std::move(members));
    }
  } else {
    for (const PeerInfo& p : c.peers) {
      std::string g = groupOf(p);
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto& entry) { return entry.first == g; });
      if (it == groups.end()) {
        groups.emplace_back(g, std::vector<const PeerInfo*>{});
        it = groups.end() - 1;
      }
      it->second.push_back(&p);
    }
  }
  int number = 0;
  for (auto& [group, members] : groups) {
    PlanBatch batch;
    batch.number = ++number;
    batch.group = group;
    for (const PeerInfo* p : members) batch.endpoints.push_back(describe(*p, port));
    plan.batches.push_back(std::move(batch));
  }
  // Registrations no peer receives calls for move with the last batch: the provider's calls
  // then land on PJSIP once everything else is there.
  for (const RegistrationInfo& r : c.registrations) {
    if (r.endpoint.empty() && !plan.batches.empty()) {
      plan.batches.back().registrations.push_back(r.id);
    }
  }
  plan.cutover = {
      "when sip.conf has no peer left in use: \"module unload chan_sip.so\" and add "
      "\"noload => chan_sip.so\" to modules.conf",
      "optionally move the PJSIP transports to port 5060 (bind=) and re-point phones and SRV "
      "records, or keep " +
          std::to_string(port),
      "remove the dual-stack firewall rule for the port no longer used",
  };
  return plan;
}

std::string renderPlanText(const Plan& plan) {
  std::string out;
  out += "# Dual-stack migration plan for " + plan.source + "\n\n";
  out += "chan_sip keeps " + plan.chanSipListen + "; PJSIP listens on " + plan.pjsipListen +
         ". Endpoints move in " + std::to_string(plan.batches.size()) + " batch" +
         (plan.batches.size() == 1 ? "" : "es") + " (grouped by " + plan.grouping + ").\n\n";
  out += "## Before the first batch\n\n";
  for (const std::string& s : plan.preparation) out += "- " + s + "\n";
  for (const PlanBatch& b : plan.batches) {
    out += "\n## Batch " + std::to_string(b.number) + (b.group.empty() ? "" : ": " + b.group) +
           " (" + std::to_string(b.endpoints.size()) + " endpoint" +
           (b.endpoints.size() == 1 ? "" : "s") + ")\n\n";
    for (const PlanEndpoint& e : b.endpoints) {
      out += "- " + e.name + " (" + e.kind + (e.host.empty() ? "" : ", host " + e.host) +
             ", context " + e.context + ", " + e.where.toString() + ")\n";
      for (const std::string& s : e.change) out += "  - change: " + s + "\n";
      out += "  - verify: " + e.verify + "\n";
    }
    for (const std::string& r : b.registrations) {
      out += "- registration " + r +
             " (no endpoint receives its calls): comment out its "
             "register line in sip.conf, \"sip reload\", then load it with \"pjsip reload\"\n";
    }
    out += "\nRollback of batch " + std::to_string(b.number) + " (in this order):\n\n";
    for (auto it = b.registrations.rbegin(); it != b.registrations.rend(); ++it) {
      out += "- \"pjsip send unregister " + *it +
             "\", remove it, restore its register line, "
             "\"sip reload\"\n";
    }
    for (auto it = b.endpoints.rbegin(); it != b.endpoints.rend(); ++it) {
      for (const std::string& s : it->rollback) out += "- " + it->name + ": " + s + "\n";
    }
  }
  out += "\n## After the last batch\n\n";
  for (const std::string& s : plan.cutover) out += "- " + s + "\n";
  return out;
}

std::string renderPlanJson(const Plan& plan) {
  nlohmann::ordered_json j;
  j["source"] = plan.source;
  j["grouping"] = plan.grouping;
  j["dual_stack_port"] = plan.dualStackPort;
  j["pjsip_listen"] = plan.pjsipListen;
  j["chan_sip_listen"] = plan.chanSipListen;
  j["preparation"] = plan.preparation;
  j["batches"] = nlohmann::ordered_json::array();
  for (const PlanBatch& b : plan.batches) {
    nlohmann::ordered_json jb;
    jb["batch"] = b.number;
    jb["group"] = b.group;
    jb["endpoints"] = nlohmann::ordered_json::array();
    std::vector<std::string> rollback;
    for (auto it = b.registrations.rbegin(); it != b.registrations.rend(); ++it) {
      rollback.push_back("registration " + *it +
                         ": pjsip send unregister, restore its register "
                         "line in sip.conf");
    }
    for (const PlanEndpoint& e : b.endpoints) {
      nlohmann::ordered_json je;
      je["name"] = e.name;
      je["kind"] = e.kind;
      je["host"] = e.host;
      je["context"] = e.context;
      je["source"] = e.where.toString();
      je["registrations"] = e.registrations;
      je["change"] = e.change;
      je["verify"] = e.verify;
      je["rollback"] = e.rollback;
      jb["endpoints"].push_back(je);
    }
    for (auto it = b.endpoints.rbegin(); it != b.endpoints.rend(); ++it) {
      for (const std::string& s : it->rollback) rollback.push_back(it->name + ": " + s);
    }
    jb["registrations"] = b.registrations;
    jb["rollback"] = rollback;
    j["batches"].push_back(jb);
  }
  j["cutover"] = plan.cutover;
  return j.dump(2) + "\n";
}

}  // namespace tandem::pjsip
