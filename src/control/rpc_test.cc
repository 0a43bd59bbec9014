// JSON-RPC 2.0 dispatch: the spec's cases (single, batch, notification, every error code),
// asynchronous methods, and the Params conversions, with exact response texts.
#include "control/rpc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

namespace tandem::control {
namespace {

using nlohmann::json;

class RpcTest : public ::testing::Test {
 protected:
  RpcTest() {
    rpc_.add("math.sum", "math.sum A B: A + B", [](const json& params) -> Result<json> {
      Params p(params);
      auto a = p.integer(0, "a");
      if (!a) return a.status();
      auto b = p.integer(1, "b");
      if (!b) return b.status();
      return json(*a + *b);
    });
    rpc_.add("echo", "echo: the params back", [this](const json& params) -> Result<json> {
      ++echoed_;
      return params;
    });
    rpc_.add("fail", "fail: a method's own failure",
             [](const json&) -> Result<json> { return Status::error("destination not found"); });
    rpc_.add("throws", "throws: a buggy handler",
             [](const json&) -> Result<json> { throw std::runtime_error("oops"); });
    rpc_.add("latin1", "latin1: bytes off the wire",
             [](const json&) -> Result<json> { return json(std::string("caf\xe9")); });
  }

  std::string handle(std::string_view body) { return rpc_.handle(body).value_or("<none>"); }

  RpcRegistry rpc_;
  int echoed_ = 0;
};

TEST_F(RpcTest, PositionalParams) {
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"math.sum","params":[2,3],"id":1})"),
            R"({"id":1,"jsonrpc":"2.0","result":5})");
}

TEST_F(RpcTest, NamedParams) {
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"math.sum","params":{"b":3,"a":2},"id":"x"})"),
            R"({"id":"x","jsonrpc":"2.0","result":5})");
}

TEST_F(RpcTest, MissingParamsAreAnEmptyArray) {
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"echo","id":7})"),
            R"({"id":7,"jsonrpc":"2.0","result":[]})");
}

TEST_F(RpcTest, NullIdIsAnsweredWithNullId) {
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"echo","params":[1],"id":null})"),
            R"({"id":null,"jsonrpc":"2.0","result":[1]})");
}

TEST_F(RpcTest, NotificationRunsButGetsNoResponse) {
  EXPECT_FALSE(rpc_.handle(R"({"jsonrpc":"2.0","method":"echo","params":[1]})"));
  EXPECT_EQ(echoed_, 1);
}

TEST_F(RpcTest, NotificationOfUnknownMethodGetsNoResponse) {
  EXPECT_FALSE(rpc_.handle(R"({"jsonrpc":"2.0","method":"nope"})"));
}

TEST_F(RpcTest, BatchAnswersEachRequestButNotNotifications) {
  EXPECT_EQ(
      handle(R"([{"jsonrpc":"2.0","method":"math.sum","params":[1,2],"id":"1"},
                       {"jsonrpc":"2.0","method":"echo","params":[9]},
                       {"jsonrpc":"2.0","method":"nope","id":"3"},
                       {"foo":"boo"}])"),
      R"([{"id":"1","jsonrpc":"2.0","result":3},)"
      R"({"error":{"code":-32601,"message":"Method not found: nope"},"id":"3","jsonrpc":"2.0"},)"
      R"({"error":{"code":-32600,"message":"Invalid Request: jsonrpc must be \"2.0\""},"id":null,"jsonrpc":"2.0"}])");
  EXPECT_EQ(echoed_, 1);
}

TEST_F(RpcTest, BatchOfNotificationsGetsNoResponse) {
  EXPECT_FALSE(
      rpc_.handle(R"([{"jsonrpc":"2.0","method":"echo"},{"jsonrpc":"2.0","method":"echo"}])"));
  EXPECT_EQ(echoed_, 2);
}

TEST_F(RpcTest, EmptyBatchIsOneInvalidRequest) {
  EXPECT_EQ(
      handle("[]"),
      R"({"error":{"code":-32600,"message":"Invalid Request: empty batch"},"id":null,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, BatchOfNonObjectsGetsOneErrorEach) {
  std::string one =
      R"({"error":{"code":-32600,"message":"Invalid Request: not an object"},"id":null,"jsonrpc":"2.0"})";
  EXPECT_EQ(handle("[1,2]"), "[" + one + "," + one + "]");
}

TEST_F(RpcTest, ParseErrorIs32700) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":)"),
      R"({"error":{"code":-32700,"message":"Parse error: invalid JSON at byte 27"},"id":null,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, EmptyBodyIsParseError) {
  EXPECT_EQ(
      handle(""),
      R"({"error":{"code":-32700,"message":"Parse error: invalid JSON at byte 1"},"id":null,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, MissingVersionIsInvalidRequest) {
  EXPECT_EQ(
      handle(R"({"method":"echo","id":1})"),
      R"({"error":{"code":-32600,"message":"Invalid Request: jsonrpc must be \"2.0\""},"id":1,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, NonStringMethodIsInvalidRequest) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":1,"params":"bar"})"),
      R"({"error":{"code":-32600,"message":"Invalid Request: method must be a string"},"id":null,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, ScalarParamsAreInvalidRequest) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":"echo","params":3,"id":2})"),
      R"({"error":{"code":-32600,"message":"Invalid Request: params must be an array or an object"},"id":2,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, ObjectIdIsInvalidRequest) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":"echo","id":{}})"),
      R"({"error":{"code":-32600,"message":"Invalid Request: id must be a string, a number or null"},"id":null,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, UnknownMethodIs32601) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":"dispatcher.lst","id":1})"),
      R"({"error":{"code":-32601,"message":"Method not found: dispatcher.lst"},"id":1,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, InvalidParamsStatusIs32602) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":"math.sum","params":[1],"id":1})"),
      R"j({"error":{"code":-32602,"message":"invalid params: missing parameter 2 (b)"},"id":1,"jsonrpc":"2.0"})j");
}

TEST_F(RpcTest, OtherErrorStatusIs32000) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":"fail","id":1})"),
      R"({"error":{"code":-32000,"message":"destination not found"},"id":1,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, ThrowingHandlerIs32603) {
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"throws","id":1})"),
            R"({"error":{"code":-32603,"message":"Internal error: oops"},"id":1,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, InvalidUtf8InResultIsReplaced) {
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"latin1","id":1})"),
            "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":\"caf\xef\xbf\xbd\"}");
}

TEST_F(RpcTest, ListMethodsIsSortedAndIncludesBuiltins) {
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"system.listMethods","id":1})"),
            R"({"id":1,"jsonrpc":"2.0","result":["echo","fail","latin1","math.sum",)"
            R"("system.listMethods","system.methodHelp","throws"]})");
}

TEST_F(RpcTest, MethodHelpReturnsTheHelpLine) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":"system.methodHelp","params":["math.sum"],"id":1})"),
      R"({"id":1,"jsonrpc":"2.0","result":"math.sum A B: A + B"})");
}

TEST_F(RpcTest, MethodHelpOfUnknownMethodIs32602) {
  EXPECT_EQ(
      handle(R"({"jsonrpc":"2.0","method":"system.methodHelp","params":["x"],"id":1})"),
      R"({"error":{"code":-32602,"message":"invalid params: no method named x"},"id":1,"jsonrpc":"2.0"})");
}

TEST_F(RpcTest, AddReplacesAMethodOfTheSameName) {
  rpc_.add("echo", "echo v2", [](const json&) -> Result<json> { return json("v2"); });
  EXPECT_EQ(*rpc_.help("echo"), "echo v2");
  EXPECT_EQ(handle(R"({"jsonrpc":"2.0","method":"echo","id":1})"),
            R"({"id":1,"jsonrpc":"2.0","result":"v2"})");
}

TEST_F(RpcTest, CountsCallsAndErrors) {
  handle(R"([{"jsonrpc":"2.0","method":"echo","id":1},{"jsonrpc":"2.0","method":"fail","id":2}])");
  EXPECT_EQ(rpc_.calls(), 2u);
  EXPECT_EQ(rpc_.errors(), 1u);
}

// ---------------------------------------------------------------- asynchronous methods

// Async methods whose replies the test holds and sends when it wants, as a StoreWorker
// completion would.
class AsyncRpcTest : public ::testing::Test {
 protected:
  AsyncRpcTest() {
    rpc_->addAsync("later", "later X: X, once the test replies",
                   [this](const json& params, RpcRegistry::Reply reply) {
                     held_.push_back({params, std::move(reply)});
                   });
    rpc_->addAsync(
        "now", "now: answers before returning",
        [](const json& params, const RpcRegistry::Reply& reply) { reply(json(params)); });
    rpc_->addAsync(
        "boom", "boom: throws before replying",
        [](const json&, const RpcRegistry::Reply&) { throw std::runtime_error("no store"); });
    rpc_->add("sum", "sum A B", [](const json& params) -> Result<json> {
      return json(params[0].get<int>() + params[1].get<int>());
    });
  }

  // Starts a request; the answer lands in answers_ (nullopt for "nothing to send").
  void start(std::string_view body) {
    rpc_->handleAsync(body, [this](const std::optional<std::string>& a) {
      answers_.push_back(a.value_or("<none>"));
    });
  }
  void reply(size_t i, Result<json> result) { held_.at(i).reply(std::move(result)); }

  struct Held {
    json params;
    RpcRegistry::Reply reply;
  };
  std::unique_ptr<RpcRegistry> rpc_ = std::make_unique<RpcRegistry>();
  std::vector<Held> held_;
  std::vector<std::string> answers_;
};

TEST_F(AsyncRpcTest, AnswerWaitsForTheReply) {
  start(R"({"jsonrpc":"2.0","method":"later","params":["x"],"id":1})");
  ASSERT_EQ(held_.size(), 1u);
  EXPECT_EQ(held_[0].params, json::array({"x"}));
  EXPECT_TRUE(answers_.empty());
  reply(0, json("done"));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0], R"({"id":1,"jsonrpc":"2.0","result":"done"})");
}

TEST_F(AsyncRpcTest, ReplyBeforeReturningAnswersAtOnce) {
  start(R"({"jsonrpc":"2.0","method":"now","params":{"a":1},"id":"q"})");
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0], R"({"id":"q","jsonrpc":"2.0","result":{"a":1}})");
}

TEST_F(AsyncRpcTest, ErrorRepliesKeepTheErrorCodes) {
  start(R"({"jsonrpc":"2.0","method":"later","id":1})");
  start(R"({"jsonrpc":"2.0","method":"later","id":2})");
  reply(0, invalidParams("no subscriber alice@example.com"));
  reply(1, Status::error("store unavailable: connection refused"));
  ASSERT_EQ(answers_.size(), 2u);
  EXPECT_EQ(
      answers_[0],
      R"({"error":{"code":-32602,"message":"invalid params: no subscriber alice@example.com"},"id":1,"jsonrpc":"2.0"})");
  EXPECT_EQ(
      answers_[1],
      R"({"error":{"code":-32000,"message":"store unavailable: connection refused"},"id":2,"jsonrpc":"2.0"})");
  EXPECT_EQ(rpc_->calls(), 2u);
  EXPECT_EQ(rpc_->errors(), 2u);
}

TEST_F(AsyncRpcTest, BatchIsAnsweredWholeInRequestOrderOnceEveryPartReplied) {
  start(R"([{"jsonrpc":"2.0","method":"later","params":[1],"id":1},
            {"jsonrpc":"2.0","method":"sum","params":[2,3],"id":2},
            {"jsonrpc":"2.0","method":"later","params":[3],"id":3},
            {"jsonrpc":"2.0","method":"later","params":[4]},
            {"jsonrpc":"2.0","method":"nope","id":5}])");
  ASSERT_EQ(held_.size(), 3u);
  reply(2, json("four"));  // the notification
  reply(1, json("three"));
  EXPECT_TRUE(answers_.empty());
  reply(0, json("one"));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(
      answers_[0],
      R"([{"id":1,"jsonrpc":"2.0","result":"one"},{"id":2,"jsonrpc":"2.0","result":5},)"
      R"({"id":3,"jsonrpc":"2.0","result":"three"},)"
      R"({"error":{"code":-32601,"message":"Method not found: nope"},"id":5,"jsonrpc":"2.0"}])");
}

TEST_F(AsyncRpcTest, BatchOfAsyncNotificationsGetsNothingOnceAllReplied) {
  start(R"([{"jsonrpc":"2.0","method":"later"},{"jsonrpc":"2.0","method":"later"}])");
  reply(0, json(1));
  EXPECT_TRUE(answers_.empty());
  reply(1, json(2));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0], "<none>");
}

TEST_F(AsyncRpcTest, AsyncNotificationIsAnsweredWithNothing) {
  start(R"({"jsonrpc":"2.0","method":"later"})");
  reply(0, Status::error("ignored"));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0], "<none>");
}

TEST_F(AsyncRpcTest, SecondReplyIsIgnored) {
  start(R"({"jsonrpc":"2.0","method":"later","id":1})");
  reply(0, json("first"));
  reply(0, json("second"));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0], R"({"id":1,"jsonrpc":"2.0","result":"first"})");
}

TEST_F(AsyncRpcTest, ReplyAfterTheRegistryIsGoneIsDropped) {
  start(R"({"jsonrpc":"2.0","method":"later","id":1})");
  rpc_.reset();
  reply(0, json("late"));  // must neither crash nor answer
  EXPECT_TRUE(answers_.empty());
}

TEST_F(AsyncRpcTest, ThrowBeforeReplyingIs32603) {
  start(R"({"jsonrpc":"2.0","method":"boom","id":1})");
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(
      answers_[0],
      R"({"error":{"code":-32603,"message":"Internal error: no store"},"id":1,"jsonrpc":"2.0"})");
}

TEST_F(AsyncRpcTest, SynchronousHandleAnswersADeferringMethodWithAnError) {
  auto text = rpc_->handle(R"({"jsonrpc":"2.0","method":"later","id":1})");
  ASSERT_TRUE(text);
  EXPECT_EQ(
      *text,
      R"({"error":{"code":-32000,"message":"later answers asynchronously: call it through the control endpoint"},"id":1,"jsonrpc":"2.0"})");
  reply(0, json("late"));  // dropped: the request was answered already
  EXPECT_TRUE(answers_.empty());
}

TEST_F(AsyncRpcTest, SynchronousHandleTakesAnImmediateReply) {
  EXPECT_EQ(rpc_->handle(R"({"jsonrpc":"2.0","method":"now","params":[1],"id":1})"),
            R"({"id":1,"jsonrpc":"2.0","result":[1]})");
}

TEST_F(AsyncRpcTest, AsyncMethodsAreListedWithTheirHelp) {
  EXPECT_TRUE(rpc_->has("later"));
  EXPECT_EQ(*rpc_->help("later"), "later X: X, once the test replies");
  auto methods = rpc_->methods();
  EXPECT_NE(std::find(methods.begin(), methods.end(), "now"), methods.end());
}

TEST_F(AsyncRpcTest, SynchronousBodiesStillAnswerAtOnce) {
  start(R"({"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1})");
  start("[]");
  start("{");
  ASSERT_EQ(answers_.size(), 3u);
  EXPECT_EQ(answers_[0], R"({"id":1,"jsonrpc":"2.0","result":3})");
  EXPECT_EQ(
      answers_[1],
      R"({"error":{"code":-32600,"message":"Invalid Request: empty batch"},"id":null,"jsonrpc":"2.0"})");
  EXPECT_TRUE(answers_[2].starts_with(R"({"error":{"code":-32700)")) << answers_[2];
}

TEST(RpcParams, IntegerAcceptsADigitString) {
  json params = json::array({"42", -7});
  EXPECT_EQ(*Params(params).integer(0, "setid"), 42);
  EXPECT_EQ(*Params(params).integer(1, "n"), -7);
}

TEST(RpcParams, IntegerRejectsText) {
  json params = json::array({"4x"});
  auto r = Params(params).integer(0, "setid");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), R"(invalid params: setid must be an integer, got "4x")");
}

TEST(RpcParams, StringAcceptsANumber) {
  json params = json::array({12345});
  EXPECT_EQ(*Params(params).string(0, "callid"), "12345");
}

TEST(RpcParams, StringRejectsAnObject) {
  json params = json::array({json::object({{"a", 1}})});
  auto r = Params(params).string(0, "uri");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), R"(invalid params: uri must be a string, got {"a":1})");
}

TEST(RpcParams, MissingNamedParam) {
  json params = json::object();
  auto r = Params(params).string(0, "state");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "invalid params: missing state");
}

TEST(RpcParams, FallbackWhenAbsentButErrorWhenWrong) {
  json params = json::array({"yes"});
  EXPECT_EQ(*Params(params).integer(3, "limit", 10), 10);
  auto b = Params(params).boolean(0, "on", false);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.message(), R"(invalid params: on must be a boolean, got "yes")");
}

TEST(RpcParams, BooleanAcceptsZeroAndOne) {
  json params = json::array({1, "0", true});
  EXPECT_TRUE(*Params(params).boolean(0, "a"));
  EXPECT_FALSE(*Params(params).boolean(1, "b"));
  EXPECT_TRUE(*Params(params).boolean(2, "c"));
}

}  // namespace
}  // namespace tandem::control
