// Tests for the Asterisk config reader: every syntax it accepts, and the exact text of each error.
#include "pjsip/config_reader.h"

#include <gtest/gtest.h>

namespace tandem::pjsip {
namespace {

Config parseOk(std::string_view text) {
  auto r = parseConfig(text, "sip.conf");
  EXPECT_TRUE(r.isOk()) << r.message();
  return r.isOk() ? std::move(r).value() : Config{};
}

std::string parseError(std::string_view text) {
  auto r = parseConfig(text, "sip.conf");
  EXPECT_FALSE(r.isOk());
  return r.isOk() ? std::string() : r.message();
}

std::vector<std::string> values(const Section& s, std::string_view key) {
  std::vector<std::string> out;
  for (const Entry* e : s.all(key)) out.push_back(e->value);
  return out;
}

TEST(ConfigReaderTest, ReadsSectionsKeysValuesAndLines) {
  Config c = parseOk("[general]\ncontext = public\n\n[6001]\ntype=friend\nhost=dynamic\n");
  ASSERT_EQ(c.sections.size(), 2u);
  EXPECT_EQ(c.sections[0].name, "general");
  EXPECT_EQ(c.sections[0].where.line, 1);
  EXPECT_EQ(c.sections[0].last("context")->value, "public");
  EXPECT_EQ(c.sections[0].last("context")->where.toString(), "sip.conf:2");
  EXPECT_EQ(c.sections[1].name, "6001");
  EXPECT_EQ(c.sections[1].last("host")->where.line, 6);
}

TEST(ConfigReaderTest, ArrowIsTheSameAsEquals) {
  Config c = parseOk("[general]\nregister => 1234:secret@provider.example\nfoo=>bar\n");
  EXPECT_EQ(c.sections[0].last("register")->value, "1234:secret@provider.example");
  EXPECT_EQ(c.sections[0].last("foo")->value, "bar");
}

TEST(ConfigReaderTest, RepeatedKeysAreAllKeptInOrder) {
  Config c = parseOk("[p]\nallow=ulaw\npermit=10.0.0.0/8\nallow=alaw\nsetvar=A=1\nsetvar=B=2\n");
  EXPECT_EQ(values(c.sections[0], "allow"), (std::vector<std::string>{"ulaw", "alaw"}));
  EXPECT_EQ(values(c.sections[0], "setvar"), (std::vector<std::string>{"A=1", "B=2"}));
}

TEST(ConfigReaderTest, BangMarksATemplate) {
  Config c = parseOk("[phones](!)\ntype=friend\n[6001]\ntype=friend\n");
  EXPECT_TRUE(c.sections[0].isTemplate);
  EXPECT_FALSE(c.sections[1].isTemplate);
}

TEST(ConfigReaderTest, InheritedLinesComeFirstThenOwnLines) {
  Config c = parseOk("[phones](!)\nallow=ulaw\ncontext=office\n[6001](phones)\nallow=g722\n");
  const Section& s = c.sections[1];
  EXPECT_EQ(s.templates, (std::vector<std::string>{"phones"}));
  EXPECT_EQ(values(s, "allow"), (std::vector<std::string>{"ulaw", "g722"}));
  EXPECT_EQ(s.last("context")->value, "office");
  EXPECT_EQ(s.last("context")->where.line, 3);  // points at the template's line
  ASSERT_EQ(s.own.size(), 1u);
  EXPECT_EQ(s.own[0].key, "allow");
}

TEST(ConfigReaderTest, SeveralTemplatesAreInheritedInOrder) {
  Config c = parseOk("[a](!)\nallow=ulaw\n[b](!)\nallow=alaw\n[p](b,a)\n");
  EXPECT_EQ(values(c.sections[2], "allow"), (std::vector<std::string>{"alaw", "ulaw"}));
}

TEST(ConfigReaderTest, TemplateMayItselfInherit) {
  Config c = parseOk("[basic](!)\ndtmfmode=rfc2833\n[natted](!,basic)\nnat=yes\n[p](natted)\n");
  EXPECT_TRUE(c.sections[1].isTemplate);
  EXPECT_EQ(c.sections[1].templates, (std::vector<std::string>{"basic"}));
  EXPECT_EQ(c.sections[2].last("dtmfmode")->value, "rfc2833");
  EXPECT_EQ(c.sections[2].last("nat")->value, "yes");
}

TEST(ConfigReaderTest, TemplateLinesAddedLaterAreNotInherited) {
  // Asterisk copies the template when it reads the header.
  Config c = parseOk("[t](!)\nallow=ulaw\n[p](t)\n[t](+)\nallow=alaw\n");
  EXPECT_EQ(values(c.sections[1], "allow"), (std::vector<std::string>{"ulaw"}));
  EXPECT_EQ(values(c.sections[0], "allow"), (std::vector<std::string>{"ulaw", "alaw"}));
}

TEST(ConfigReaderTest, PlusAddsLinesToTheExistingSection) {
  Config c = parseOk("[6001]\ntype=friend\n[other]\ntype=peer\n[6001](+)\nmailbox=6001@default\n");
  ASSERT_EQ(c.sections.size(), 2u);
  EXPECT_EQ(c.sections[0].last("mailbox")->value, "6001@default");
  EXPECT_EQ(c.sections[0].last("mailbox")->where.line, 6);
}

TEST(ConfigReaderTest, AdditionToAnUndefinedSectionIsAnError) {
  EXPECT_EQ(parseError("[a]\nx=1\n[b](+)\ny=2\n"),
            "sip.conf:3: [b](+) adds to a section that is not defined above");
}

TEST(ConfigReaderTest, InheritingAnUndefinedTemplateIsAnError) {
  EXPECT_EQ(parseError("[6001](phones)\ntype=friend\n[phones](!)\n"),
            "sip.conf:1: [6001] inherits from [phones], which is not defined above");
}

TEST(ConfigReaderTest, SemicolonStartsAComment) {
  Config c = parseOk("; header comment\n[p] ; trailing\ncontext=office ; why\n;allow=ulaw\n");
  EXPECT_EQ(c.sections[0].name, "p");
  EXPECT_EQ(c.sections[0].last("context")->value, "office");
  EXPECT_EQ(c.sections[0].last("allow"), nullptr);
}

TEST(ConfigReaderTest, EscapedSemicolonIsPartOfTheValue) {
  Config c = parseOk("[p]\nsetvar=GREETING=hello\\; world ; comment\n");
  EXPECT_EQ(c.sections[0].last("setvar")->value, "GREETING=hello; world");
}

TEST(ConfigReaderTest, BlockCommentSpansLines) {
  Config c = parseOk("[p]\nallow=ulaw ;-- start\nallow=alaw\n end --; allow=g722\nallow=gsm\n");
  EXPECT_EQ(values(c.sections[0], "allow"), (std::vector<std::string>{"ulaw", "g722", "gsm"}));
}

TEST(ConfigReaderTest, BlockCommentsNest) {
  Config c = parseOk("[p]\n;-- outer ;-- inner --; still outer\nallow=alaw\n--;\nallow=gsm\n");
  EXPECT_EQ(values(c.sections[0], "allow"), (std::vector<std::string>{"gsm"}));
}

TEST(ConfigReaderTest, TripleDashIsALineCommentNotABlock) {
  Config c = parseOk("[p]\n;--- a ruler, not a block\nallow=alaw\n");
  EXPECT_EQ(values(c.sections[0], "allow"), (std::vector<std::string>{"alaw"}));
}

TEST(ConfigReaderTest, UnterminatedBlockCommentIsWarned) {
  Config c = parseOk("[p]\nallow=alaw\n;-- never closed\nallow=gsm\n");
  EXPECT_EQ(values(c.sections[0], "allow"), (std::vector<std::string>{"alaw"}));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].where.toString(), "sip.conf:3");
  EXPECT_EQ(c.warnings[0].message,
            "block comment \";--\" is never closed with \"--;\"; the rest of the file is ignored");
}

TEST(ConfigReaderTest, PlusEqualsAppendsToTheLastValue) {
  Config c = parseOk("[p]\ncallerid=\"Anna\n callerid += Berg\" <2001>\n");
  EXPECT_EQ(c.sections[0].last("callerid")->value, "\"AnnaBerg\" <2001>");
}

TEST(ConfigReaderTest, CrLfLineEndingsAreAccepted) {
  Config c = parseOk("[p]\r\ncontext=office\r\n");
  EXPECT_EQ(c.sections[0].last("context")->value, "office");
}

TEST(ConfigReaderTest, IncludeInlinesTheFileRelativeToTheTopLevelDirectory) {
  MemoryFiles files;
  files.add("/etc/asterisk/sip.conf", "[general]\ncontext=public\n#include sip_peers.conf\n");
  files.add("/etc/asterisk/sip_peers.conf", "[6001]\ntype=friend\n");
  auto c = readConfig("/etc/asterisk/sip.conf", files);
  ASSERT_TRUE(c.isOk()) << c.message();
  ASSERT_EQ(c->sections.size(), 2u);
  EXPECT_EQ(c->sections[1].where.toString(), "/etc/asterisk/sip_peers.conf:1");
  EXPECT_EQ(c->files,
            (std::vector<std::string>{"/etc/asterisk/sip.conf", "/etc/asterisk/sip_peers.conf"}));
}

TEST(ConfigReaderTest, IncludeNamesMayBeQuoted) {
  MemoryFiles files;
  files.add("/etc/asterisk/sip.conf", "#include \"a.conf\"\n#include <b.conf>\n");
  files.add("/etc/asterisk/a.conf", "[a]\nx=1\n");
  files.add("/etc/asterisk/b.conf", "[b]\nx=1\n");
  auto c = readConfig("/etc/asterisk/sip.conf", files);
  ASSERT_TRUE(c.isOk()) << c.message();
  EXPECT_EQ(c->sections.size(), 2u);
}

TEST(ConfigReaderTest, IncludeGlobReadsMatchesInSortedOrder) {
  MemoryFiles files;
  files.add("/pbx/sip.conf", "#include tenants/*.conf\n");
  files.add("/pbx/tenants/b.conf", "[b]\nx=1\n");
  files.add("/pbx/tenants/a.conf", "[a]\nx=1\n");
  files.add("/pbx/tenants/notes.txt", "[n]\nx=1\n");
  auto c = readConfig("/pbx/sip.conf", files);
  ASSERT_TRUE(c.isOk()) << c.message();
  ASSERT_EQ(c->sections.size(), 2u);
  EXPECT_EQ(c->sections[0].name, "a");
  EXPECT_EQ(c->sections[1].name, "b");
}

TEST(ConfigReaderTest, IncludedFileContinuesTheCurrentSectionAndTheParentResumesIt) {
  MemoryFiles files;
  files.add("/pbx/sip.conf", "[p]\ncontext=a\n#include more.conf\nlanguage=en\n");
  files.add("/pbx/more.conf", "allow=ulaw\n[q]\ncontext=b\n");
  auto c = readConfig("/pbx/sip.conf", files);
  ASSERT_TRUE(c.isOk()) << c.message();
  EXPECT_EQ(c->sections[0].last("allow")->value, "ulaw");
  EXPECT_EQ(c->sections[0].last("language")->value, "en");
  EXPECT_EQ(c->sections[1].last("language"), nullptr);
}

TEST(ConfigReaderTest, MissingIncludeIsAnError) {
  EXPECT_EQ(parseError("[p]\n#include missing.conf\n"),
            "sip.conf:2: #include \"missing.conf\": no such file");
}

TEST(ConfigReaderTest, MissingTryIncludeIsIgnored) {
  Config c = parseOk("[p]\n#tryinclude missing.conf\ncontext=a\n");
  EXPECT_EQ(c.sections[0].last("context")->value, "a");
  EXPECT_TRUE(c.warnings.empty());
}

TEST(ConfigReaderTest, IncludeWithoutAFileNameIsAnError) {
  EXPECT_EQ(parseError("#include\n"), "sip.conf:1: #include needs a file name");
}

TEST(ConfigReaderTest, IncludeCycleIsAnError) {
  MemoryFiles files;
  files.add("/pbx/a.conf", "#include b.conf\n");
  files.add("/pbx/b.conf", "#include a.conf\n");
  auto c = readConfig("/pbx/a.conf", files);
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.message(), "/pbx/b.conf: #include cycle: /pbx/a.conf includes itself");
}

TEST(ConfigReaderTest, ExecIsNotRunButWarned) {
  Config c = parseOk("#exec /usr/local/bin/peers.sh\n[p]\nx=1\n");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].message,
            "#exec is not run; the output of \"/usr/local/bin/peers.sh\" is not read (run it and "
            "#include the result instead)");
}

TEST(ConfigReaderTest, UnknownDirectiveIsWarned) {
  Config c = parseOk("#foo bar\n");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].message, "unknown directive \"#foo\" is ignored");
}

TEST(ConfigReaderTest, LineOutsideASectionIsAnError) {
  EXPECT_EQ(parseError("context=public\n"),
            "sip.conf:1: \"context=public\" is not inside a [section]");
}

TEST(ConfigReaderTest, LineWithoutEqualsIsAnError) {
  EXPECT_EQ(parseError("[general]\nallowguest no\n"),
            "sip.conf:2: expected \"name = value\" in [general], found \"allowguest no\"");
}

TEST(ConfigReaderTest, MissingOptionNameIsAnError) {
  EXPECT_EQ(parseError("[general]\n= no\n"),
            "sip.conf:2: missing option name before '=' in \"= no\"");
}

TEST(ConfigReaderTest, MissingClosingBracketIsAnError) {
  EXPECT_EQ(parseError("[general\n"), "sip.conf:1: no closing ']' in section header \"[general\"");
}

TEST(ConfigReaderTest, MissingClosingParenthesisIsAnError) {
  EXPECT_EQ(parseError("[p](!\n"), "sip.conf:1: no closing ')' in section header \"[p](!\"");
}

TEST(ConfigReaderTest, EmptySectionNameIsAnError) {
  EXPECT_EQ(parseError("[]\n"), "sip.conf:1: empty section name \"[]\"");
}

TEST(ConfigReaderTest, OptionsAfterASpaceAreIgnoredAsAsteriskDoes) {
  Config c = parseOk("[p] (!)\nx=1\n");
  EXPECT_FALSE(c.sections[0].isTemplate);
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].message, "text after the section header is ignored: \"(!)\"");
}

TEST(ConfigReaderTest, MissingTopLevelFileIsAnError) {
  MemoryFiles files;
  auto c = readConfig("/etc/asterisk/sip.conf", files);
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.message(), "/etc/asterisk/sip.conf: cannot read the file");
}

}  // namespace
}  // namespace tandem::pjsip
