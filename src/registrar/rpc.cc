// Kamailio's usrloc RPCs over the location table: ul.dump and ul.lookup keep the key names of
// Kamailio's ul_rpc.c (so kamcmd habits and scripts keep working), plus ul.stats for metrics.
#include "control/rpc.h"

#include <nlohmann/json.hpp>

#include "registrar/registrar.h"

namespace tandem::registrar {

namespace {

using nlohmann::json;

constexpr std::string_view kTableName = "location";  // Kamailio's default usrloc table

std::string orNotSet(std::string_view v) {
  return v.empty() ? std::string("[not set]") : std::string(v);
}

json contactJson(const BindingRef& b, int64_t nowS) {
  json c;
  c["Address"] = std::string(b.contact());
  if (b.expires() == 0) {
    c["Expires"] = "permanent";
  } else if (b.expires() <= nowS) {
    c["Expires"] = "expired";
  } else {
    c["Expires"] = b.expires() - nowS;
  }
  c["Q"] = b.qMilli() == kQUnset ? -1.0 : b.qMilli() / 1000.0;
  c["Call-ID"] = std::string(b.callId());
  c["CSeq"] = b.cseq();
  c["User-Agent"] = orNotSet(b.userAgent());
  c["Received"] = orNotSet(b.received());
  c["Path"] = orNotSet(b.path());
  // Kamailio's CS_SYNC: in the database; CS_DIRTY: changed in memory, write still queued.
  c["State"] = b.synced() ? "CS_SYNC" : "CS_DIRTY";
  c["Flags"] = b.flags();
  c["CFlags"] = b.cflags();
  c["Socket"] = orNotSet(b.socket());
  c["Methods"] = static_cast<uint32_t>(b.methods());  // -1 shows as 4294967295, as in Kamailio
  c["Ruid"] = orNotSet(b.ruid());
  c["Instance"] = orNotSet(b.instance());
  c["Reg-Id"] = b.regId();
  c["Server-Id"] = b.serverId();
  c["Tcpconn-Id"] = -1;
  c["Keepalive"] = b.keepalive();
  c["Last-Keepalive"] = b.lastModified();
  c["Last-Modified"] = b.lastModified();
  return json{{"Contact", std::move(c)}};
}

std::string aorText(std::string_view user, std::string_view domain) {
  std::string s(user);
  s += '@';
  s += domain;
  return s;
}

}  // namespace

void registerRpc(control::RpcRegistry& rpc, const LocationTable& table,
                 const std::function<int64_t()>& nowS) {
  rpc.add("ul.dump",
          "ul.dump [brief] - every AoR of the location table with its contacts (brief: AoRs "
          "only).",
          [&table, nowS](const json& params) -> Result<json> {
            control::Params p(params);
            auto mode = p.string(0, "mode", "");
            if (!mode) return mode.status();
            const bool brief = *mode == "brief";
            const int64_t now = nowS();
            json aors = json::array();
            table.forEachAor([&](std::string_view user, std::string_view domain, Bindings bs) {
              std::string aor = aorText(user, domain);
              if (brief) {
                aors.push_back(json{{"AoR", std::move(aor)}});
                return;
              }
              json contacts = json::array();
              for (BindingRef b : bs) contacts.push_back(contactJson(b, now));
              aors.push_back(json{{"Info",
                                   {{"AoR", std::move(aor)},
                                    {"HashID", table.aorHash(user, domain)},
                                    {"Contacts", std::move(contacts)}}}});
            });
            json domainObj = {
                {"Domain", std::string(kTableName)},
                {"Size", table.indexSlots()},
                {"AoRs", std::move(aors)},
                {"Stats", {{"Records", table.aorCount()}, {"Max-Slots", table.longestProbe()}}}};
            return json{{"Domains", json::array({json{{"Domain", std::move(domainObj)}}})}};
          });

  rpc.add("ul.lookup",
          "ul.lookup TABLE AOR - the contacts of one AoR (TABLE is \"location\", AOR user@domain).",
          [&table, nowS](const json& params) -> Result<json> {
            control::Params p(params);
            auto tableName = p.string(0, "table");
            auto aor = p.string(1, "aor");
            if (!tableName || !aor) {
              return control::invalidParams("Not enough parameters (table and AOR to lookup)");
            }
            if (*tableName != kTableName) return Status::error("Domain table not found");
            std::string_view text = *aor;
            if (text.starts_with("sip:")) text.remove_prefix(4);
            size_t at = text.rfind('@');
            if (at == std::string_view::npos) return Status::error("Domain missing in AOR");
            std::string_view user = text.substr(0, at);
            std::string_view domain = text.substr(at + 1);
            Bindings all = table.lookup(user, domain);
            if (all.empty()) return Status::error("AOR not found in location table");
            const int64_t now = nowS();
            json contacts = json::array();
            for (BindingRef b : table.lookup(user, domain, now)) {
              contacts.push_back(contactJson(b, now));
            }
            if (contacts.empty()) return Status::error("AOR has no contacts");
            BindingRef first = *all.begin();
            return json{{"AoR", aorText(first.user(), first.domain())},
                        {"Contacts", std::move(contacts)}};
          });

  rpc.add("ul.stats", "ul.stats - contacts and AoRs in the location table, and its memory (bytes).",
          [&table](const json&) -> Result<json> {
            MemoryStats m = table.memory();
            return json{{"contacts", table.bindingCount()},
                        {"aors", table.aorCount()},
                        {"bytes", m.total()},
                        {"bytes_per_contact", m.bytesPerBinding()}};
          });
}

}  // namespace tandem::registrar
