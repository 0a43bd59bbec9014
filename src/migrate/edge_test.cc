// dispatcher.list answers read into rows (tandem's and Kamailio's shapes), call errors, and the
// HTTP link against an in-process JSON-RPC server.
#include "migrate/edge.h"

#include <gtest/gtest.h>

#include "migrate/test_util.h"

namespace tandem::migrate {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

TEST(ParseDispatcherList, ReadsTandemsShape) {
  auto answer = ordered_json::parse(R"({"NRSETS":1,"RECORDS":[{"SET":{"ID":1,"TARGETS":[
    {"DEST":{"URI":"sip:10.0.0.1:5060","FLAGS":"RP","STATE":"drain","HEALTH":"active",
     "PRIORITY":5,"ACTIVE_CALLS":12,"ATTRS":{"BODY":"weight=90;duid=a","WEIGHT":90},
     "LATENCY":{"AVG":1.5,"EST":1.2,"MAX":4,"LAST":1,"TIMEOUT":2}}}]}}]})");
  auto rows = parseDispatcherList(answer);
  ASSERT_TRUE(rows) << rows.message();
  ASSERT_EQ(rows->size(), 1u);
  const ListedDest& d = (*rows)[0];
  EXPECT_EQ(d.set, 1u);
  EXPECT_EQ(d.uri, "sip:10.0.0.1:5060");
  EXPECT_EQ(d.flags, "RP");
  EXPECT_EQ(d.state, "drain");
  EXPECT_EQ(d.health, "active");
  EXPECT_EQ(d.priority, 5);
  EXPECT_EQ(d.attrs, "weight=90;duid=a");
  EXPECT_EQ(d.weight, 90u);
  ASSERT_TRUE(d.activeCalls);
  EXPECT_EQ(*d.activeCalls, 12u);
  ASSERT_TRUE(d.latency);
  EXPECT_EQ(d.latency->avg, 1.5);
  EXPECT_EQ(d.latency->timeouts, 2u);
}

TEST(ParseDispatcherList, ReadsKamailiosShapeAndDerivesTheStateFromFlags) {
  auto answer = ordered_json::parse(R"({"NRSETS":2,"RECORDS":[
    {"SET":{"ID":1,"TARGETS":[{"DEST":{"URI":"sip:a","FLAGS":"AX","PRIORITY":0,
                                        "ATTRS":{"BODY":"weight=50"}}},
                              {"DEST":{"URI":"sip:b","FLAGS":"DX","PRIORITY":0,
                                        "ATTRS":{"BODY":""}}}]}},
    {"SET":{"ID":2,"TARGETS":{"DEST":{"URI":"sip:c","FLAGS":"IP","PRIORITY":1}}}}]})");
  auto rows = parseDispatcherList(answer);
  ASSERT_TRUE(rows) << rows.message();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[0].state, "active");
  EXPECT_EQ((*rows)[0].weight, 50u);  // from BODY when WEIGHT is absent
  EXPECT_EQ((*rows)[1].state, "disabled");
  EXPECT_EQ((*rows)[2].set, 2u);
  EXPECT_EQ((*rows)[2].state, "inactive");
  EXPECT_FALSE((*rows)[2].activeCalls);
  EXPECT_EQ(rowsOfSet(*rows, 1).size(), 2u);
  EXPECT_EQ(rowsOfSet(*rows, 3).size(), 0u);
}

TEST(ParseDispatcherList, NoRecordsIsAnEmptyList) {
  auto rows = parseDispatcherList(ordered_json::parse(R"({"NRSETS":0})"));
  ASSERT_TRUE(rows);
  EXPECT_TRUE(rows->empty());
}

TEST(ParseDispatcherList, MalformedAnswersAreErrors) {
  EXPECT_EQ(parseDispatcherList(ordered_json("Ok")).message(),
            "dispatcher.list: unexpected answer: not an object");
  EXPECT_EQ(parseDispatcherList(ordered_json::parse(R"({"RECORDS":[{"X":1}]})")).message(),
            "dispatcher.list: unexpected answer: a record has no SET");
  EXPECT_EQ(
      parseDispatcherList(ordered_json::parse(R"({"RECORDS":[{"SET":{"ID":1,"TARGETS":[{}]}}]})"))
          .message(),
      "dispatcher.list: unexpected answer: a target has no DEST");
  EXPECT_EQ(parseDispatcherList(
                ordered_json::parse(R"({"RECORDS":[{"SET":{"ID":1,"TARGETS":[{"DEST":{}}]}}]})"))
                .message(),
            "dispatcher.list: unexpected answer: a DEST has no URI");
}

TEST(StateForFlagLetter, KnowsKamailiosAndTandemsLetters) {
  EXPECT_EQ(stateForFlagLetter('A'), "active");
  EXPECT_EQ(stateForFlagLetter('I'), "inactive");
  EXPECT_EQ(stateForFlagLetter('T'), "trying");
  EXPECT_EQ(stateForFlagLetter('D'), "disabled");
  EXPECT_EQ(stateForFlagLetter('R'), "drain");
  EXPECT_EQ(stateForFlagLetter('G'), "removed");
  EXPECT_EQ(stateForFlagLetter('?'), "");
}

TEST(CallResult, FormatsErrors) {
  test::ScriptedLink link;
  link.fail("dispatcher.add", control::RpcReply::Outcome::kRpcError, "bad uri", -32602);
  link.fail("dispatcher.list", control::RpcReply::Outcome::kConnectFailed,
            "cannot connect to http://x: Connection refused");
  EXPECT_EQ(callResult(link, "dispatcher.add").message(), "dispatcher.add: error -32602: bad uri");
  EXPECT_EQ(callResult(link, "dispatcher.list").message(),
            "dispatcher.list: cannot connect to http://x: Connection refused");
}

TEST(HttpEdgeLink, BadUrlIsAnError) {
  auto link = HttpEdgeLink::create("https://x/rpc", "--edge", "/rpc", 1000);
  ASSERT_FALSE(link);
  EXPECT_EQ(link.message(),
            "invalid --edge URL: https is not supported: the control endpoint speaks plain HTTP "
            "(https://x/rpc)");
}

TEST(HttpEdgeLink, UsesTheDefaultPathOnlyWhenNoneIsGiven) {
  test::FakeRpcServer server(
      "/RPC", [](const std::string& method, const json&) -> Result<json> { return json(method); });
  auto bare = HttpEdgeLink::create(server.url(), "--kamailio-url", "/RPC", 2000);
  ASSERT_TRUE(bare) << bare.message();
  auto r = callResult(**bare, "core.version");
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(*r, "core.version");

  auto explicitPath = HttpEdgeLink::create(server.url() + "/rpc", "--kamailio-url", "/RPC", 2000);
  ASSERT_TRUE(explicitPath);
  EXPECT_FALSE(callResult(**explicitPath, "core.version"));  // /rpc is not served here
  EXPECT_EQ(server.paths(), (std::vector<std::string>{"/RPC", "/rpc"}));
}

TEST(HttpEdgeLink, GetReadsAPathOnTheSameHost) {
  test::FakeRpcServer server(
      "/rpc", [](const std::string&, const json&) -> Result<json> { return json(nullptr); });
  auto link = HttpEdgeLink::create(server.url() + "/rpc", "--edge", "/rpc", 2000);
  ASSERT_TRUE(link);
  auto body = (*link)->get("/metrics");
  ASSERT_FALSE(body);  // the fake serves only /rpc
  EXPECT_EQ(body.message(), "http://127.0.0.1:" + std::to_string(server.port()) +
                                "/metrics answered HTTP 404 Not Found");
}

}  // namespace
}  // namespace tandem::migrate
