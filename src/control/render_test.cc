// renderText golden strings: scalars, key/value objects, tables, nested sections.
#include "control/render.h"

#include <gtest/gtest.h>

namespace tandem::control {
namespace {

std::string render(std::string_view json) {
  return renderText(nlohmann::ordered_json::parse(json));
}

TEST(Render, StringPrintsWithoutQuotes) {
  EXPECT_EQ(render(R"("tandem 0.1.0")"), "tandem 0.1.0\n");
}

TEST(Render, NumbersAndBooleansPrintAsJson) {
  EXPECT_EQ(render("42"), "42\n");
  EXPECT_EQ(render("1.5"), "1.5\n");
  EXPECT_EQ(render("true"), "true\n");
}

TEST(Render, NullPrintsNothing) { EXPECT_EQ(render("null"), ""); }

TEST(Render, ObjectPrintsKeyValueLinesInServerOrder) {
  EXPECT_EQ(render(R"({"uptime":12,"up_since":"2024-01-02T03:04:05Z","ok":true,"none":null})"),
            "uptime: 12\n"
            "up_since: 2024-01-02T03:04:05Z\n"
            "ok: true\n"
            "none: null\n");
}

TEST(Render, ArrayOfScalarsPrintsOnePerLine) {
  EXPECT_EQ(render(R"(["core.uptime","dispatcher.list"])"), "core.uptime\ndispatcher.list\n");
}

TEST(Render, EmptyArrayAndObjectPrintEmpty) {
  EXPECT_EQ(render("[]"), "(empty)\n");
  EXPECT_EQ(render("{}"), "(empty)\n");
}

TEST(Render, ArrayOfObjectsPrintsAnAlignedTable) {
  EXPECT_EQ(render(R"([
      {"uri":"sip:10.0.1.30:5060","flags":"AP","priority":0,"calls":12},
      {"uri":"sip:10.0.1.31","flags":"DX","priority":10,"calls":0}])"),
            "uri                 flags  priority  calls\n"
            "sip:10.0.1.30:5060  AP            0     12\n"
            "sip:10.0.1.31       DX           10      0\n");
}

TEST(Render, TableColumnsAreTheUnionInFirstSeenOrder) {
  EXPECT_EQ(render(R"([{"a":"x","b":"y"},{"c":"z","a":"w"}])"),
            "a  b  c\n"
            "x  y\n"
            "w     z\n");
}

TEST(Render, NestedValuesInCellsPrintAsCompactJson) {
  EXPECT_EQ(render(R"([{"uri":"sip:a","attrs":{"weight":50,"duid":"fs01"},"tags":["x",1]}])"),
            "uri    attrs                        tags\n"
            "sip:a  {\"weight\":50,\"duid\":\"fs01\"}  [\"x\",1]\n");
}

TEST(Render, MixedColumnIsLeftAligned) {
  EXPECT_EQ(render(R"([{"v":1},{"v":"long text"}])"),
            "v\n"
            "1\n"
            "long text\n");
}

TEST(Render, NewlinesInCellsAreEscaped) {
  EXPECT_EQ(render(R"([{"ua":"a\nb","n":"t\tc"}])"), "ua    n\na\\nb  t\\tc\n");
}

TEST(Render, Utf8CellsAlignByCodePoint) {
  EXPECT_EQ(render(R"([{"name":"café","x":1},{"name":"ab","x":2}])"),
            "name  x\n"
            "café  1\n"
            "ab    2\n");
}

TEST(Render, ObjectMembersThatAreTablesGetAHeading) {
  EXPECT_EQ(render(R"({"count":2,"dialogs":[{"callid":"abc","state":"confirmed"},
                                           {"callid":"de","state":"early"}]})"),
            "count: 2\n"
            "dialogs:\n"
            "  callid  state\n"
            "  abc     confirmed\n"
            "  de      early\n");
}

TEST(Render, NestedObjectsPrintIndented) {
  EXPECT_EQ(render(R"({"edge":{"udp":"127.0.0.1:5060","limits":{"max":10,"list":[1,2]},"e":[]}})"),
            "edge:\n"
            "  udp: 127.0.0.1:5060\n"
            "  limits:\n"
            "    max: 10\n"
            "    list: [1,2]\n"
            "  e: []\n");
}

TEST(Render, RowsHoldingTablesPrintAsBlocks) {
  EXPECT_EQ(render(R"({"sets":[
      {"id":1,"algorithm":4,"destinations":[{"uri":"sip:a","state":"active"},
                                            {"uri":"sip:bb","state":"drain"}]},
      {"id":2,"algorithm":10,"destinations":[{"uri":"sip:c","state":"inactive"}]}]})"),
            "sets:\n"
            "  id: 1\n"
            "  algorithm: 4\n"
            "  destinations:\n"
            "    uri     state\n"
            "    sip:a   active\n"
            "    sip:bb  drain\n"
            "\n"
            "  id: 2\n"
            "  algorithm: 10\n"
            "  destinations:\n"
            "    uri    state\n"
            "    sip:c  inactive\n");
}

TEST(Render, KamailioDispatcherListShape) {
  // What a Kamailio 5.6 dispatcher.list answers: wrappers around wrappers. The one-key wrappers
  // (SET, DEST) are looked through, so the destinations come out as a table.
  EXPECT_EQ(render(R"({"NRSETS":1,"RECORDS":[{"SET":{"ID":1,"TARGETS":[
      {"DEST":{"URI":"sip:10.0.1.30:5060","FLAGS":"AP","PRIORITY":0}}]}}]})"),
            "NRSETS: 1\n"
            "RECORDS:\n"
            "  ID: 1\n"
            "  TARGETS:\n"
            "    URI                 FLAGS  PRIORITY\n"
            "    sip:10.0.1.30:5060  AP            0\n");
}

}  // namespace
}  // namespace tandem::control
