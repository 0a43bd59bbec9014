// Tests of verify.h: the [verify] table's errors (with lines), row selection, result lines,
// scenario lookup, SIPp's exit status and error file, and whole runs against a fake `sipp`
// (a shell script written here) that answers by the scenario it is given.
#include "migrate/verify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace tandem::migrate {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "tandem-verify-test-XXXXXX").string();
    path_ = ::mkdtemp(t.data()) != nullptr ? t : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& text, bool exec = false) const {
    std::ofstream(file(name)) << text;
    if (exec) ::chmod(file(name).c_str(), 0755);
  }

 private:
  std::string path_;
};

constexpr const char* kFull = R"([verify]
edge_sip = "127.0.0.1:5060"
domain = "example.com"
user_a = "alice"
password_a = "wonderland"
user_b = "bob"
did = "+442071234567"
outbound_number = "00442071234567"
caller_ip = "127.0.0.2"
)";

// ------------------------------------------------------------------------------ the table

TEST(VerifyConfig, ReadsEveryKey) {
  auto c = parseVerifyConfig(R"([migration]
name = "x"

[verify]
edge_sip = "10.0.1.10:5070"
transport = "tcp"
domain = "example.com"
user_a = "alice"
password_a = ""
user_b = "2000"
did = "+442071234567"
outbound_number = "00442071234567"
local_ip = "10.0.1.5"
caller_ip = "10.0.1.6"
expires = 120
sipp = "/opt/sipp/bin/sipp"
scenarios = "sipp/verify"
timeout = "1m30s"
skip = ["dtmf", "hold"]
)",
                             "plan.toml", true);
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->edgeSip, "10.0.1.10:5070");
  EXPECT_EQ(c->transport, "tcp");
  EXPECT_EQ(c->userB, "2000");
  ASSERT_TRUE(c->passwordA.has_value());  // empty, but given
  EXPECT_EQ(*c->passwordA, "");
  EXPECT_EQ(c->callerIp, "10.0.1.6");
  EXPECT_EQ(c->expires, 120u);
  EXPECT_EQ(c->sipp, "/opt/sipp/bin/sipp");
  EXPECT_EQ(c->timeout, milliseconds(90'000));
  EXPECT_EQ(c->skip, (std::vector<VerifyRow>{VerifyRow::kDtmf, VerifyRow::kHold}));
}

TEST(VerifyConfig, BareKeysAndDefaults) {
  // Plan::verifyToml may hold the keys without their header.
  auto c = parseVerifyConfig("edge_sip = \"[2001:db8::1]:5060\"\ntimeout = 10\n", "plan.toml");
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->edgeSip, "[2001:db8::1]:5060");
  EXPECT_EQ(c->transport, "udp");
  EXPECT_EQ(c->sipp, "sipp");
  EXPECT_EQ(c->expires, 300u);
  EXPECT_EQ(c->timeout, milliseconds(10'000));
  EXPECT_FALSE(c->passwordA.has_value());
}

TEST(VerifyConfig, UnknownKeyNamesItsLine) {
  auto c = parseVerifyConfig(
      "[gates]\nasr_min = 90\n\n[verify]\nedge_sip = \"h:5060\"\nusr_a = 1\n", "plan.toml", true);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "plan.toml:6: [verify] unknown key \"usr_a\"");
}

TEST(VerifyConfig, EdgeSipRequired) {
  auto c = parseVerifyConfig("[verify]\ndomain = \"example.com\"\n", "plan.toml", true);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "plan.toml:1: [verify] edge_sip is required (the edge's SIP address, e.g. "
            "\"10.0.1.10:5060\")");
}

TEST(VerifyConfig, EdgeSipMustBeHostPort) {
  for (const char* bad :
       {"10.0.1.10", "10.0.1.10:0", "10.0.1.10:99999", "2001:db8::1:5060", ":5060", "[::1]5060"}) {
    auto c = parseVerifyConfig(std::string("edge_sip = \"") + bad + "\"\n", "v.toml");
    ASSERT_FALSE(c) << bad;
    EXPECT_THAT(c.message(), HasSubstr("v.toml:1: [verify] edge_sip must be host:port")) << bad;
  }
}

TEST(VerifyConfig, ExpiresRange) {
  auto c = parseVerifyConfig("edge_sip = \"h:1\"\n\nexpires = 5\n", "plan.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "plan.toml:3: [verify] expires must be a whole number from 60 to 86400, "
            "got 5");
  c = parseVerifyConfig("edge_sip = \"h:1\"\nexpires = \"300\"\n", "plan.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "plan.toml:2: [verify] expires must be a whole number from 60 to 86400, "
            "got \"300\"");
}

TEST(VerifyConfig, SkipUnknownRow) {
  auto c =
      parseVerifyConfig("edge_sip = \"h:1\"\nskip = [\n  \"hold\",\n  \"dmtf\",\n]\n", "plan.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "plan.toml:4: [verify] skip: unknown row \"dmtf\" (rows: internal, did, outbound, "
            "hold, dtmf, register)");
}

TEST(VerifyConfig, TimeoutAndTransportAndIps) {
  auto c = parseVerifyConfig("edge_sip = \"h:1\"\ntimeout = \"15\"\n", "p");
  ASSERT_FALSE(c);
  EXPECT_THAT(c.message(), HasSubstr("p:2: [verify] timeout: invalid duration \"15\""));
  c = parseVerifyConfig("edge_sip = \"h:1\"\ntransport = \"sctp\"\n", "p");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "p:2: [verify] transport must be \"udp\" or \"tcp\", got \"sctp\"");
  c = parseVerifyConfig("edge_sip = \"h:1\"\ncaller_ip = \"carrier.example\"\n", "p");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "p:2: [verify] caller_ip must be an IP address of this machine, got "
            "\"carrier.example\"");
}

TEST(VerifyConfig, SemicolonWouldBreakSippsCsv) {
  auto c = parseVerifyConfig("edge_sip = \"h:1\"\npassword_a = \"a;b\"\n", "p");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "p:2: [verify] password_a must not contain control characters or ';'");
}

TEST(VerifyConfig, SeveralProblemsOneALine) {
  auto c = parseVerifyConfig("[verify]\nuser_a = 7\nexpires = 1\n", "plan.toml", true);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(),
            "plan.toml:1: [verify] edge_sip is required (the edge's SIP address, e.g. "
            "\"10.0.1.10:5060\")\n"
            "plan.toml:2: [verify] user_a must be a string\n"
            "plan.toml:3: [verify] expires must be a whole number from 60 to 86400, got 1");
}

TEST(VerifyConfig, SyntaxErrorHasLineAndColumn) {
  auto c = parseVerifyConfig("[verify]\nedge_sip = \"h:1\n", "plan.toml", true);
  ASSERT_FALSE(c);
  EXPECT_THAT(c.message(), ::testing::StartsWith("plan.toml:2:"));
}

TEST(VerifyConfig, PlanWithoutVerifyTable) {
  auto c = parseVerifyConfig("[migration]\nname = \"x\"\n", "plan.toml", true);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.message(), "plan.toml: no [verify] table");
}

// ------------------------------------------------------------------------------ rows

TEST(VerifyRows, NamesRoundTripInOrder) {
  std::vector<std::string> names;
  for (VerifyRow r : allVerifyRows()) {
    names.emplace_back(verifyRowName(r));
    EXPECT_EQ(parseVerifyRow(verifyRowName(r)), r);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"internal", "did", "outbound", "hold", "dtmf", "register"}));
  EXPECT_FALSE(parseVerifyRow("DID"));
  EXPECT_FALSE(parseVerifyRow(""));
  EXPECT_EQ(verifyRowScenario(VerifyRow::kOutbound), "call_trusted.xml");
}

TEST(VerifyRows, MissingKeysPerRow) {
  VerifyConfig c;
  c.edgeSip = "h:1";
  EXPECT_EQ(missingVerifyKeys(c, VerifyRow::kInternal),
            (std::vector<std::string>{"domain", "user_a", "password_a", "user_b"}));
  EXPECT_EQ(missingVerifyKeys(c, VerifyRow::kRegister),
            (std::vector<std::string>{"domain", "user_a", "password_a"}));
  EXPECT_EQ(missingVerifyKeys(c, VerifyRow::kDid), (std::vector<std::string>{"did"}));
  EXPECT_EQ(missingVerifyKeys(c, VerifyRow::kOutbound),
            (std::vector<std::string>{"outbound_number"}));
  c.domain = "example.com";
  c.userA = "alice";
  c.passwordA = "";
  EXPECT_TRUE(missingVerifyKeys(c, VerifyRow::kRegister).empty());
  EXPECT_EQ(missingVerifyKeys(c, VerifyRow::kHold), (std::vector<std::string>{"user_b"}));
}

// ------------------------------------------------------------------------------ lines

TEST(VerifyFormat, RowLines) {
  RowResult r;
  r.row = VerifyRow::kDid;
  r.outcome = RowOutcome::kPass;
  r.scenario = "call_trusted.xml";
  r.detail = "inbound +442071234567";
  r.duration = milliseconds(1234);
  EXPECT_EQ(formatRowResult(r),
            "did       pass              1.2s  call_trusted.xml      inbound +442071234567");
  r.outcome = RowOutcome::kNotConfigured;
  r.scenario.clear();
  r.detail = "[verify] lacks did";
  EXPECT_EQ(formatRowResult(r),
            "did       not configured       -  -                     [verify] lacks did");
  r.row = VerifyRow::kRegister;
  r.outcome = RowOutcome::kFail;
  r.scenario = "register_refresh.xml";
  r.duration = milliseconds(45'000);
  r.detail = "sipp exit 1 (the call failed)";
  EXPECT_EQ(
      formatRowResult(r),
      "register  FAIL               45s  register_refresh.xml  sipp exit 1 (the call failed)");
}

TEST(VerifySipp, ExitStatusInWords) {
  milliseconds t(30'000);
  EXPECT_EQ(describeSippExit({SippExit::Kind::kExited, 0}, t), "sipp exit 0 (the call succeeded)");
  EXPECT_EQ(describeSippExit({SippExit::Kind::kExited, 1}, t), "sipp exit 1 (the call failed)");
  EXPECT_EQ(describeSippExit({SippExit::Kind::kExited, 99}, t), "sipp exit 99 (no call was made)");
  EXPECT_EQ(describeSippExit({SippExit::Kind::kExited, 255}, t), "sipp exit 255 (fatal error)");
  EXPECT_EQ(describeSippExit({SippExit::Kind::kExited, 254}, t),
            "sipp exit 254 (fatal error binding a socket)");
  EXPECT_EQ(describeSippExit({SippExit::Kind::kExited, 42}, t), "sipp exit 42 (unknown status)");
  EXPECT_EQ(describeSippExit({SippExit::Kind::kSignaled, 11}, t), "sipp died of signal 11");
  EXPECT_EQ(describeSippExit({SippExit::Kind::kTimedOut, 9}, t),
            "sipp killed: still running 35s after its start");
}

// As SIPp 3.6 writes them: no newline between events, CRLF inside the quoted message.
TEST(VerifySipp, ReasonFromUnexpectedResponse) {
  std::string log =
      "The following events occurred:\n"
      "2026-11-22\t16:20:34.158365\t1795364434.158365: Overload warning: the minor watchdog "
      "timer 500ms has been tripped (1936), 119 trips remaining."
      "2026-11-22\t16:21:36.734333\t1795364496.734333: Aborting call on unexpected message for "
      "Call-Id '1-3987@127.0.0.1': while expecting '180' (index 2), received 'SIP/2.0 503 "
      "Service Unavailable\r\nVia: SIP/2.0/UDP 127.0.0.1:17073;branch=z9hG4bK-3987-1-0\r\n\r\n'";
  EXPECT_EQ(sippFailureReason(log),
            "unexpected \"SIP/2.0 503 Service Unavailable\" at scenario message 2 (SIPp was at "
            "its '180' step)");
}

TEST(VerifySipp, ReasonFromTimeoutsAndOthers) {
  EXPECT_EQ(sippFailureReason("2026-11-22\t16:18:15.771398\t1795364295.771398: Call-Id: "
                              "1-1105@127.0.0.1, receive timeout on message verify_call_auth:2 "
                              "without label to jump to (ontimeout attribute): aborting call"),
            "nothing came in time at scenario message 2 (SIPp's receive timeout)");
  EXPECT_EQ(sippFailureReason("2026-11-22\t16:22:08.695653\t1795364528.695653: Aborting call on "
                              "UDP retransmission timeout for Call-ID '1-4000@127.0.0.1'"),
            "no answer: SIPp gave up retransmitting (nothing reached it back)");
  EXPECT_EQ(sippFailureReason("2026-11-22\t16:00:00.000000\t1.0: Discarding message which "
                              "can't be mapped to a known SIPp call:\r\nSIP/2.0 200 OK\r\n"),
            "");
  EXPECT_EQ(sippFailureReason("2026-11-22\t16:00:00.000000\t1.0: Something new\r\nmore"),
            "Something new");
  EXPECT_EQ(sippFailureReason(""), "");
  // Untrusted text: cut, control characters blanked, never a crash.
  std::string junk =
      "2026-11-22\t16:00:00.000000\t1.0: unexpected message received '" + std::string(5000, 'x');
  EXPECT_LE(sippFailureReason(junk).size(), 140u);
  EXPECT_EQ(sippFailureReason("2026-11-22\t"), "");
}

TEST(VerifySipp, RegisterLogExpires) {
  const std::string ok =
      "verify register local=127.0.0.1:5070 contact=<sip:alice@10.0.0.9:5060>;expires=3000, "
      "<sip:alice@127.0.0.1:5070;transport=UDP>;expires=300\n"
      "verify refresh local=127.0.0.1:5070 contact=<sip:alice@127.0.0.1:5070;transport=UDP>;"
      "expires=300\n";
  EXPECT_EQ(checkRegisterLog(ok, 300), "");
  EXPECT_EQ(checkRegisterLog(ok, 600),
            "the edge granted expires=300 on the register, asked 600; the edge granted "
            "expires=300 on the refresh, asked 600");
  EXPECT_EQ(checkRegisterLog("verify register local=1.2.3.4:5 contact=<sip:a@1.2.3.4:5>\n", 300),
            "the 200 of the register lists this contact without expires");
  EXPECT_EQ(checkRegisterLog("", 300), "no 200 of the register logged by the scenario");
  EXPECT_EQ(checkRegisterLog("verify register local=1.2.3.4:5 contact=<sip:a@9.9.9.9:5>;"
                             "expires=300\n",
                             300),
            "the 200 of the register does not list this contact (1.2.3.4:5)");
}

// ------------------------------------------------------------------------------ lookup

TEST(VerifyScenarios, LookupOrder) {
  TempDir t;
  fs::create_directories(t.file("conf"));
  fs::create_directories(t.file("env"));
  fs::create_directories(t.file("share/tandem/sipp/verify"));
  fs::create_directories(t.file("src"));
  for (const char* d : {"conf", "env", "share/tandem/sipp/verify", "src"}) {
    t.write(std::string(d) + "/call_auth.xml", "<scenario/>");
  }
  ScenarioSearch s{t.file("conf"), t.file("env"), t.file("bin/tandem"), t.file("src")};
  EXPECT_EQ(findScenarioDir(s).value(), t.file("conf"));
  s.configured.clear();
  EXPECT_EQ(findScenarioDir(s).value(), t.file("env"));
  s.env.clear();
  EXPECT_EQ(findScenarioDir(s).value(), t.file("share/tandem/sipp/verify"));
  s.exePath = t.file("a/b/tandem");  // a/share/... does not exist
  EXPECT_EQ(findScenarioDir(s).value(), t.file("src"));
  s.builtIn = t.file("nothing");
  auto r = findScenarioDir(s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "no SIPp scenarios for verify found (tried " +
                             t.file("a/share/tandem/sipp/verify") + ", " + t.file("nothing") +
                             "); set `scenarios` in [verify] or $TANDEM_SIPP_DIR");
}

TEST(VerifyScenarios, ExplicitChoiceThatIsWrongIsAnError) {
  TempDir t;
  t.write("call_auth.xml", "<scenario/>");
  auto r = findScenarioDir({t.file("missing"), "", "", t.path()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "scenarios = \"" + t.file("missing") +
                             "\": no call_auth.xml there (the folder of tandem's sipp/verify "
                             "scenarios)");
  r = findScenarioDir({"", t.file("missing"), "", t.path()});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "$TANDEM_SIPP_DIR=" + t.file("missing") + ": no call_auth.xml there");
}

TEST(VerifyScenarios, TheSourceTreeHasThem) {
  std::string dir = builtInScenarioDir();
  ASSERT_FALSE(dir.empty());
  for (VerifyRow r : allVerifyRows()) {
    EXPECT_TRUE(fs::exists(fs::path(dir) / verifyRowScenario(r))) << verifyRowScenario(r);
  }
}

// ------------------------------------------------------------------------------ runs

// A fake sipp: by the scenario it is given (-sf), it succeeds, fails with an error file like
// SIPp's, or hangs; it records its arguments; for the register row it writes the log lines.
// FAKE_SIPP_MODE picks the behaviour of the call rows: ok, fail, hang.
constexpr const char* kFakeSipp = R"SH(#!/bin/sh
dir=$(dirname "$0")
echo "$@" >> "$dir/argv.log"
sf=""; err=""; logf=""; ip=""; port=""
while [ $# -gt 0 ]; do
  case "$1" in
    -sf) sf=$2; shift ;;
    -error_file) err=$2; shift ;;
    -log_file) logf=$2; shift ;;
    -i) ip=$2; shift ;;
    -p) port=$2; shift ;;
  esac
  shift
done
mode=$(cat "$dir/mode")
case "$(basename "$sf")" in
  register_refresh.xml)
    g=$(cat "$dir/granted")
    printf 'verify register local=%s:%s contact=<sip:alice@%s:%s>;expires=%s\n' "$ip" "$port" "$ip" "$port" "$g" > "$logf"
    printf 'verify refresh local=%s:%s contact=<sip:alice@%s:%s>;expires=%s\n' "$ip" "$port" "$ip" "$port" "$g" >> "$logf"
    exit 0 ;;
esac
case "$mode" in
  ok) exit 0 ;;
  fail)
    printf "The following events occurred:\n2026-11-22\t16:21:36.734333\t1795364496.734333: Aborting call on unexpected message for Call-Id '1-1@h': while expecting '180' (index 2), received 'SIP/2.0 503 Service Unavailable\r\nVia: x\r\n\r\n'" > "$err"
    exit 1 ;;
  fatal) echo "Unable to bind UDP socket: Address already in use" >&2; exit 255 ;;
  hang) exec sleep 60 ;;
esac
)SH";

struct FakeRun {
  TempDir t;
  VerifyConfig config;
  VerifyOptions options;
  std::ostringstream out, err;

  explicit FakeRun(const std::string& mode, const std::string& granted = "300") {
    // runVerify's own folder (kept when a row fails) goes into ours.
    const char* tmp = std::getenv("TMPDIR");
    if (tmp != nullptr) oldTmp = tmp;
    ::setenv("TMPDIR", t.path().c_str(), 1);
    t.write("sipp", kFakeSipp, true);
    t.write("mode", mode);
    t.write("granted", granted);
    fs::create_directories(t.file("scenarios"));
    t.write("scenarios/call_auth.xml", "<scenario/>");
    auto c = parseVerifyConfig(kFull, "plan.toml", true);
    config = c.value();
    config.sipp = t.file("sipp");
    config.localIp = "127.0.0.1";
    config.scenarios = t.file("scenarios");
    config.timeout = milliseconds(1000);
    // A clock that moves 1.5 s per look: each row takes 1.5 s.
    auto ticks = std::make_shared<int>(0);
    options.now = [ticks] {
      return std::chrono::steady_clock::time_point(milliseconds(1500 * (*ticks)++));
    };
  }
  ~FakeRun() {
    if (oldTmp) {
      ::setenv("TMPDIR", oldTmp->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }
  int run() { return runVerify(config, options, out, err); }
  std::optional<std::string> oldTmp;
  std::string argv() const {
    std::ifstream in(t.file("argv.log"));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) v.push_back(l);
  return v;
}

TEST(VerifyRun, AllPass) {
  FakeRun f("ok");
  EXPECT_EQ(f.run(), kVerifyPassed) << f.err.str();
  auto l = lines(f.out.str());
  ASSERT_EQ(l.size(), 8u) << f.out.str();
  EXPECT_EQ(l[1],
            "internal  pass              1.5s  call_auth.xml         alice@example.com calls bob");
  EXPECT_EQ(l[2],
            "did       pass              1.5s  call_trusted.xml      inbound +442071234567 "
            "from 127.0.0.2");
  EXPECT_THAT(l[5], HasSubstr("RFC 4733 telephone-event kept in the answer (the events travel "
                              "in RTP, not through the SIP edge: not checked)"));
  EXPECT_EQ(l[7], "verify: 6 passed, 0 failed, 0 not configured, 0 skipped");
  // What SIPp was asked: one call, traced errors, the password off the command line.
  std::string argv = f.argv();
  EXPECT_THAT(argv, HasSubstr("-m 1 -t u1 -nostdin -trace_err -error_file"));
  EXPECT_THAT(argv, HasSubstr("-i 127.0.0.2 -p "));  // the trusted rows' address
  EXPECT_THAT(argv, HasSubstr("-key expires 300"));
  EXPECT_THAT(argv, ::testing::Not(HasSubstr("wonderland")));
}

TEST(VerifyRun, FailuresNameSippsStatusAndTheMessage) {
  FakeRun f("fail");
  EXPECT_EQ(f.run(), kVerifyFailed);
  auto l = lines(f.out.str());
  ASSERT_EQ(l.size(), 8u) << f.out.str();
  EXPECT_EQ(l[1],
            "internal  FAIL              1.5s  call_auth.xml         sipp exit 1 (the call "
            "failed): unexpected \"SIP/2.0 503 Service Unavailable\" at scenario message 2 (SIPp "
            "was at its '180' step)");
  EXPECT_THAT(l[6], ::testing::StartsWith("register  pass"));
  EXPECT_THAT(l[7], ::testing::StartsWith("verify: 1 passed, 5 failed, 0 not configured, 0 "
                                          "skipped; SIPp's files (per row: _errors.log, "
                                          "_screen.log, _stderr.log) are in /"));
  // The kept folder holds the row's error file.
  std::string dir = l[7].substr(l[7].rfind(' ') + 1);
  EXPECT_EQ(fs::path(dir).parent_path().string(), f.t.path());
  EXPECT_TRUE(fs::exists(fs::path(dir) / "internal_errors.log"));
}

TEST(VerifyRun, FatalErrorFromStderr) {
  FakeRun f("fatal");
  f.options.only = VerifyRow::kDid;
  EXPECT_EQ(f.run(), kVerifyFailed);
  EXPECT_THAT(f.out.str(), HasSubstr("did       FAIL              1.5s  call_trusted.xml      "
                                     "sipp exit 255 (fatal error): Unable to bind UDP socket: "
                                     "Address already in use"));
}

TEST(VerifyRun, RegisterExpiresNotAsAsked) {
  FakeRun f("ok", "60");
  f.options.only = VerifyRow::kRegister;
  EXPECT_EQ(f.run(), kVerifyFailed);
  EXPECT_THAT(f.out.str(),
              HasSubstr("register  FAIL              1.5s  register_refresh.xml  the edge granted "
                        "expires=60 on the register, asked 300; the edge granted expires=60 on "
                        "the refresh, asked 300"));
}

TEST(VerifyRun, HangingSippIsKilled) {
  FakeRun f("hang");
  f.options.only = VerifyRow::kOutbound;
  f.options.now = nullptr;  // real time: the kill comes at timeout + 5 s
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(f.run(), kVerifyFailed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
  EXPECT_THAT(f.out.str(), HasSubstr("sipp killed: still running 6.0s after its start"));
}

TEST(VerifyRun, OneRowEvenWhenSkipped) {
  FakeRun f("ok");
  f.config.skip = {VerifyRow::kHold};
  f.options.only = VerifyRow::kHold;
  EXPECT_EQ(f.run(), kVerifyPassed);
  auto l = lines(f.out.str());
  ASSERT_EQ(l.size(), 3u) << f.out.str();
  EXPECT_THAT(l[1], ::testing::StartsWith("hold      pass"));
  EXPECT_EQ(l[2], "verify: 1 passed, 0 failed, 0 not configured, 0 skipped");
}

TEST(VerifyRun, NotConfiguredFailsUnlessSkipped) {
  FakeRun f("ok");
  f.config.did.clear();
  EXPECT_EQ(f.run(), kVerifyFailed);
  EXPECT_THAT(f.out.str(), HasSubstr("did       not configured       -  -                     "
                                     "[verify] lacks did (or list \"did\" in skip)"));
  EXPECT_THAT(f.out.str(), HasSubstr("verify: 5 passed, 0 failed, 1 not configured, 0 skipped"));

  FakeRun g("ok");
  g.config.did.clear();
  g.config.skip = {VerifyRow::kDid};
  EXPECT_EQ(g.run(), kVerifyPassed);
  EXPECT_THAT(g.out.str(), HasSubstr("did       skipped              -  -                     "
                                     "listed in skip"));
}

TEST(VerifyRun, NoSippIsBadConfig) {
  FakeRun f("ok");
  f.config.sipp = f.t.file("no-such-sipp");
  EXPECT_EQ(f.run(), kVerifyBadConfig);
  EXPECT_EQ(f.err.str(), "tandem migrate verify: cannot find an executable sipp \"" +
                             f.t.file("no-such-sipp") +
                             "\" (install sip-tester, or set `sipp` in [verify])\n");
  EXPECT_EQ(f.out.str(), "");
}

TEST(VerifyRun, NoScenariosIsBadConfig) {
  FakeRun f("ok");
  f.config.scenarios = "relative/missing";
  f.options.planDir = f.t.path();
  EXPECT_EQ(f.run(), kVerifyBadConfig);
  EXPECT_EQ(f.err.str(), "tandem migrate verify: scenarios = \"" + f.t.file("relative/missing") +
                             "\": no call_auth.xml there (the folder of tandem's sipp/verify "
                             "scenarios)\n");
}

TEST(VerifyRun, PlanFileErrorsAreBadConfig) {
  TempDir t;
  std::ostringstream out, err;
  EXPECT_EQ(runVerifyPlanFile(t.file("none.toml"), {}, out, err), kVerifyBadConfig);
  EXPECT_THAT(err.str(), HasSubstr("none.toml: cannot open"));
  t.write("plan.toml", "[migration]\nname = \"x\"\n\n[verify]\nedge_sip = 5060\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(runVerifyPlanFile(t.file("plan.toml"), {}, out2, err2), kVerifyBadConfig);
  EXPECT_EQ(err2.str(), t.file("plan.toml") + ":5: [verify] edge_sip must be a string\n");
}

}  // namespace
}  // namespace tandem::migrate
