// ul.dump, ul.lookup and ul.stats: Kamailio's key names and shapes, and their errors.
#include "control/rpc.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "registrar/registrar.h"

namespace tandem::registrar {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1700000000;

class UlRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BindingFields f;
    f.ruid = "ul1-abc-1";
    f.contact = "sip:alice@192.0.2.10:5060";
    f.received = "sip:203.0.113.7:41234";
    f.callId = "call-1";
    f.userAgent = "Phone/1.0";
    f.socket = "udp:10.0.0.1:5060";
    f.instance = "<urn:uuid:1>";
    f.regId = 1;
    f.expires = kNow + 600;
    f.qMilli = 500;
    f.cseq = 3;
    f.lastModified = kNow - 10;
    f.serverId = 1;
    ASSERT_TRUE(table_.put("alice", "example.com", f));
    BindingFields g;
    g.ruid = "ul1-abc-2";
    g.contact = "sip:bob@192.0.2.11";
    g.callId = "call-2";
    g.expires = 0;  // permanent
    g.lastModified = kNow;
    g.synced = true;
    ASSERT_TRUE(table_.put("bob", "example.com", g));
    registerRpc(rpc_, table_, [this] { return now_; });
  }

  json call(std::string_view method, json params) {
    auto r =
        rpc_.handleOne(json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}, {"id", 1}});
    return r ? *r : json();
  }

  LocationTable table_{3};
  control::RpcRegistry rpc_;
  int64_t now_ = kNow;
};

TEST_F(UlRpcTest, DumpHasKamailioShape) {
  json r = call("ul.dump", json::array());
  ASSERT_TRUE(r.contains("result")) << r.dump();
  const json& domains = r["result"]["Domains"];
  ASSERT_EQ(domains.size(), 1u);
  const json& d = domains[0]["Domain"];
  EXPECT_EQ(d["Domain"], "location");
  EXPECT_EQ(d["Size"], table_.indexSlots());
  EXPECT_EQ(d["Stats"]["Records"], 2);
  EXPECT_GE(d["Stats"]["Max-Slots"].get<int>(), 1);
  ASSERT_EQ(d["AoRs"].size(), 2u);
  const json* alice = nullptr;
  for (const json& a : d["AoRs"]) {
    if (a["Info"]["AoR"] == "alice@example.com") alice = &a["Info"];
  }
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ((*alice)["HashID"], table_.aorHash("alice", "example.com"));
  ASSERT_EQ((*alice)["Contacts"].size(), 1u);
  const json expected = {{"Address", "sip:alice@192.0.2.10:5060"},
                         {"Expires", 600},
                         {"Q", 0.5},
                         {"Call-ID", "call-1"},
                         {"CSeq", 3},
                         {"User-Agent", "Phone/1.0"},
                         {"Received", "sip:203.0.113.7:41234"},
                         {"Path", "[not set]"},
                         {"State", "CS_DIRTY"},
                         {"Flags", 0},
                         {"CFlags", 0},
                         {"Socket", "udp:10.0.0.1:5060"},
                         {"Methods", 4294967295u},
                         {"Ruid", "ul1-abc-1"},
                         {"Instance", "<urn:uuid:1>"},
                         {"Reg-Id", 1},
                         {"Server-Id", 1},
                         {"Tcpconn-Id", -1},
                         {"Keepalive", 0},
                         {"Last-Keepalive", kNow - 10},
                         {"Last-Modified", kNow - 10}};
  EXPECT_EQ((*alice)["Contacts"][0]["Contact"], expected);
}

TEST_F(UlRpcTest, DumpShowsPermanentExpiredAndBrief) {
  now_ = kNow + 601;
  json r = call("ul.dump", json::array());
  for (const json& a : r["result"]["Domains"][0]["Domain"]["AoRs"]) {
    const json& c = a["Info"]["Contacts"][0]["Contact"];
    if (a["Info"]["AoR"] == "bob@example.com") {
      EXPECT_EQ(c["Expires"], "permanent");
      EXPECT_EQ(c["Q"], -1.0);
      EXPECT_EQ(c["State"], "CS_SYNC");
      EXPECT_EQ(c["User-Agent"], "[not set]");
    } else {
      EXPECT_EQ(c["Expires"], "expired");
    }
  }
  json b = call("ul.dump", json::array({"brief"}));
  json aors = b["result"]["Domains"][0]["Domain"]["AoRs"];
  ASSERT_EQ(aors.size(), 2u);
  for (const json& a : aors) {
    EXPECT_EQ(a.size(), 1u);
    EXPECT_TRUE(a.contains("AoR"));
  }
}

TEST_F(UlRpcTest, LookupReturnsOneAor) {
  json r = call("ul.lookup", json::array({"location", "alice@Example.COM"}));
  ASSERT_TRUE(r.contains("result")) << r.dump();
  EXPECT_EQ(r["result"]["AoR"], "alice@example.com");
  ASSERT_EQ(r["result"]["Contacts"].size(), 1u);
  EXPECT_EQ(r["result"]["Contacts"][0]["Contact"]["Address"], "sip:alice@192.0.2.10:5060");
  // Named params work too.
  json n = call("ul.lookup", json{{"table", "location"}, {"aor", "bob@example.com"}});
  EXPECT_EQ(n["result"]["Contacts"][0]["Contact"]["Ruid"], "ul1-abc-2");
}

TEST_F(UlRpcTest, LookupErrors) {
  auto error = [&](json params) {
    json r = call("ul.lookup", std::move(params));
    return r.contains("error") ? r["error"]["message"].get<std::string>() : r.dump();
  };
  EXPECT_EQ(error(json::array({"location", "carol@example.com"})),
            "AOR not found in location table");
  EXPECT_EQ(error(json::array({"aliases", "alice@example.com"})), "Domain table not found");
  EXPECT_EQ(error(json::array({"location", "alice"})), "Domain missing in AOR");
  EXPECT_EQ(error(json::array({"location"})),
            "invalid params: Not enough parameters (table and AOR to lookup)");
  now_ = kNow + 601;
  EXPECT_EQ(error(json::array({"location", "alice@example.com"})), "AOR has no contacts");
  json r = call("ul.lookup", json::array({"location", "carol@example.com"}));
  EXPECT_EQ(r["error"]["code"], control::kServerError);
}

TEST_F(UlRpcTest, StatsCountContactsAndAors) {
  json r = call("ul.stats", json::array());
  EXPECT_EQ(r["result"]["contacts"], 2);
  EXPECT_EQ(r["result"]["aors"], 2);
  EXPECT_GT(r["result"]["bytes"].get<size_t>(), 0u);
}

}  // namespace
}  // namespace tandem::registrar
