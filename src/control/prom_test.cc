// PromWriter: family grouping, escaping, name validation, value formatting, and promtool's
// verdict on a sample when promtool is installed.
#include "control/prom.h"

#include <gtest/gtest.h>

#include <limits>

#include "control/promtool_testing.h"

namespace tandem::control {
namespace {

TEST(PromWriter, CounterAndGaugeWithHelpAndType) {
  PromWriter w;
  w.counter("tandem_sip_requests_total", "SIP requests received", {{"method", "INVITE"}}, 12);
  w.gauge("tandem_dialogs", "Dialogs in progress", 3);
  EXPECT_EQ(w.text(),
            "# HELP tandem_sip_requests_total SIP requests received\n"
            "# TYPE tandem_sip_requests_total counter\n"
            "tandem_sip_requests_total{method=\"INVITE\"} 12\n"
            "# HELP tandem_dialogs Dialogs in progress\n"
            "# TYPE tandem_dialogs gauge\n"
            "tandem_dialogs 3\n");
  EXPECT_TRUE(w.errors().empty());
}

TEST(PromWriter, InterleavedSamplesAreGroupedByFamily) {
  PromWriter w;
  w.gauge("a", "A", {{"k", "1"}}, 1);
  w.gauge("b", "B", 2);
  w.gauge("a", "A again", {{"k", "2"}}, 3);
  EXPECT_EQ(w.text(),
            "# HELP a A\n# TYPE a gauge\na{k=\"1\"} 1\na{k=\"2\"} 3\n"
            "# HELP b B\n# TYPE b gauge\nb 2\n");
}

TEST(PromWriter, SeveralLabelsKeepTheirOrder) {
  PromWriter w;
  w.gauge("d", "D", {{"set", "1"}, {"uri", "sip:10.0.0.1:5060"}}, 1);
  EXPECT_EQ(w.text(), "# HELP d D\n# TYPE d gauge\nd{set=\"1\",uri=\"sip:10.0.0.1:5060\"} 1\n");
}

TEST(PromWriter, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(PromWriter::escapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  PromWriter w;
  w.gauge("x", "X", {{"ua", "say \"hi\"\n"}}, 1);
  EXPECT_EQ(w.text(), "# HELP x X\n# TYPE x gauge\nx{ua=\"say \\\"hi\\\"\\n\"} 1\n");
}

TEST(PromWriter, InvalidUtf8InLabelValuesIsReplaced) {
  EXPECT_EQ(PromWriter::escapeLabelValue("caf\xe9!"), "caf\xef\xbf\xbd!");
  EXPECT_EQ(PromWriter::escapeLabelValue("\xc3\xa9"), "\xc3\xa9");                  // valid é kept
  EXPECT_EQ(PromWriter::escapeLabelValue("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");  // overlong
  EXPECT_EQ(PromWriter::escapeLabelValue("\xed\xa0\x80"),
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
}

TEST(PromWriter, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(PromWriter::escapeHelp("a \"b\" c\\d\ne"), "a \"b\" c\\\\d\\ne");
}

TEST(PromWriter, FirstHelpWins) {
  PromWriter w;
  w.counter("c_total", "first", 1);
  w.counter("c_total", "second", {{"k", "v"}}, 2);
  EXPECT_EQ(w.text(),
            "# HELP c_total first\n# TYPE c_total counter\nc_total 1\nc_total{k=\"v\"} 2\n");
}

TEST(PromWriter, InvalidMetricNameIsDroppedAndReported) {
  PromWriter w;
  w.gauge("9lives", "bad", 1);
  w.gauge("has-dash", "bad", 1);
  EXPECT_EQ(w.text(), "");
  ASSERT_EQ(w.errors().size(), 2u);
  EXPECT_EQ(w.errors()[0], "invalid metric name \"9lives\"");
  EXPECT_EQ(w.errors()[1], "invalid metric name \"has-dash\"");
}

TEST(PromWriter, InvalidOrReservedLabelNameIsDroppedAndReported) {
  PromWriter w;
  w.gauge("g", "G", {{"__name", "x"}}, 1);
  w.gauge("g", "G", {{"a.b", "x"}}, 1);
  EXPECT_EQ(w.text(), "");
  ASSERT_EQ(w.errors().size(), 2u);
  EXPECT_EQ(w.errors()[0], "g: invalid label name \"__name\"");
  EXPECT_EQ(w.errors()[1], "g: invalid label name \"a.b\"");
}

TEST(PromWriter, SecondTypeForAFamilyIsDroppedAndReported) {
  PromWriter w;
  w.counter("m_total", "M", 1);
  w.gauge("m_total", "M", 2);
  EXPECT_EQ(w.text(), "# HELP m_total M\n# TYPE m_total counter\nm_total 1\n");
  ASSERT_EQ(w.errors().size(), 1u);
  EXPECT_EQ(w.errors()[0], "m_total: added as gauge after being a counter");
}

TEST(PromWriter, ValuesFormatIntegersFloatsAndSpecials) {
  PromWriter w;
  w.gauge("v", "V", {{"k", "u64"}}, std::numeric_limits<uint64_t>::max());
  w.gauge("v", "V", {{"k", "neg"}}, -5);
  w.gauge("v", "V", {{"k", "half"}}, 0.5);
  w.gauge("v", "V", {{"k", "nan"}}, std::numeric_limits<double>::quiet_NaN());
  w.gauge("v", "V", {{"k", "inf"}}, std::numeric_limits<double>::infinity());
  w.gauge("v", "V", {{"k", "ninf"}}, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(w.text(),
            "# HELP v V\n# TYPE v gauge\n"
            "v{k=\"u64\"} 18446744073709551615\n"
            "v{k=\"neg\"} -5\n"
            "v{k=\"half\"} 0.5\n"
            "v{k=\"nan\"} NaN\n"
            "v{k=\"inf\"} +Inf\n"
            "v{k=\"ninf\"} -Inf\n");
}

using testing::havePromtool;
using testing::kNoPromtool;
using testing::promtoolCheck;

TEST(PromWriter, PromtoolAcceptsTheOutput) {
  if (!havePromtool()) {
    GTEST_SKIP() << kNoPromtool;
  }
  PromWriter w;
  w.counter("tandem_sip_requests_total", "SIP requests received, by method", {{"method", "INVITE"}},
            10);
  w.gauge("tandem_dispatcher_destination_state", "1 for the destination's current state",
          {{"set", "1"}, {"uri", "sip:a\\b\"c\nd@10.0.0.1"}, {"state", "active"}}, 1);
  w.counter("tandem_sip_requests_total", "again", {{"method", "BYE"}}, 4);
  w.gauge("tandem_dispatcher_latency_seconds", "Mean OPTIONS latency\nper destination",
          {{"uri", "caf\xe9"}}, 0.0125);
  w.gauge("tandem_dispatcher_latency_seconds", "", {{"uri", "nan"}},
          std::numeric_limits<double>::quiet_NaN());
  auto [status, out] = promtoolCheck(w.text());
  EXPECT_EQ(status, 0) << out << "\n---\n" << w.text();
  EXPECT_EQ(out, "") << w.text();
}

TEST(PromWriter, PromtoolRejectsBrokenText) {
  // Guards the check above: promtool really reads our file and fails on bad input.
  if (!havePromtool()) GTEST_SKIP() << kNoPromtool;
  auto [status, out] = promtoolCheck("# TYPE x counter\nx{a=\"unterminated} 1\n");
  EXPECT_NE(status, 0) << out;
}

}  // namespace
}  // namespace tandem::control
