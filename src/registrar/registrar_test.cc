// Registrar: one test per RFC 3261 §10.3 / RFC 3327 / RFC 5626 rule, each with the exact reply
// headers and store writes, on REGISTERs written as text and parsed by sip::Message.
#include "registrar/registrar.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "registrar/rules.h"

namespace tandem::registrar {
namespace {

constexpr int64_t kNow = 1700000000;
constexpr std::string_view kRuid1 = "ul0-00000000002a-1";
constexpr std::string_view kRuid2 = "ul0-00000000002a-2";
constexpr std::string_view kRuid3 = "ul0-00000000002a-3";

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers headersOf(const RegisterOutcome& o) {
  Headers h;
  for (const ReplyHeader& x : o.headers) h.emplace_back(x.name, x.value);
  return h;
}

const store::Location* putAt(const RegisterOutcome& o, size_t i) {
  if (i >= o.writes.size()) return nullptr;
  const auto* p = std::get_if<store::PutLocation>(&o.writes[i]);
  return p == nullptr ? nullptr : &p->location;
}

std::string deletedAt(const RegisterOutcome& o, size_t i) {
  if (i >= o.writes.size()) return "<none>";
  const auto* d = std::get_if<store::DeleteLocation>(&o.writes[i]);
  return d == nullptr ? "<not a DeleteLocation>" : d->ruid;
}

// A parsed REGISTER that owns its text (the Message views into it, so it never moves).
struct Request {
  explicit Request(std::string t) : text(std::move(t)) { msg.parse(text); }
  std::string text;
  sip::Message msg;
};

class RegistrarTest : public ::testing::Test {
 protected:
  void SetUp() override { makeRegistrar(); }
  void makeRegistrar() { registrar_ = std::make_unique<Registrar>(table_, options_, 0x2a); }

  // Sends a REGISTER for alice@example.com carrying `headers` (each ending in CRLF).
  RegisterOutcome send(std::string_view headers, std::string_view callId = "call-1",
                       uint32_t cseq = 1, std::string_view source = "192.0.2.10:5060",
                       Transport transport = Transport::kUdp) {
    std::string text =
        "REGISTER sip:example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-r1\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:alice@example.com>;tag=f1\r\n"
        "To: <sip:alice@Example.COM>\r\n"
        "Call-ID: " +
        std::string(callId) + "\r\nCSeq: " + std::to_string(cseq) + " REGISTER\r\n" +
        std::string(headers) + "Content-Length: 0\r\n\r\n";
    requests_.push_back(std::make_unique<Request>(std::move(text)));
    RegisterContext ctx;
    ctx.source = *SocketAddress::parse(source);
    ctx.transport = transport;
    ctx.localSocket = "udp:10.0.0.1:5060";
    ctx.nowS = now_;
    return registrar_->handle(requests_.back()->msg, ctx);
  }

  std::vector<std::string> boundContacts() {
    std::vector<std::string> out;
    for (BindingRef b : table_.lookup("alice", "example.com", now_)) out.emplace_back(b.contact());
    return out;
  }

  LocationTable table_{7};
  RegistrarOptions options_;
  std::unique_ptr<Registrar> registrar_;
  std::vector<std::unique_ptr<Request>> requests_;
  int64_t now_ = kNow;
};

TEST_F(RegistrarTest, AddsBinding) {
  RegisterOutcome o = send(
      "Contact: <sip:alice@192.0.2.10:5060>\r\n"
      "User-Agent: Phone/1.0\r\n"
      "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(o.reason, "OK");
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=3600"}}));
  ASSERT_EQ(o.writes.size(), 1u);
  const store::Location* l = putAt(o, 0);
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->ruid, kRuid1);
  EXPECT_EQ(l->username, "alice");
  EXPECT_EQ(l->domain, "example.com");
  EXPECT_EQ(l->contact, "sip:alice@192.0.2.10:5060");
  EXPECT_EQ(l->received, "");
  EXPECT_EQ(l->path, "");
  EXPECT_EQ(l->expires, kNow + 3600);
  EXPECT_EQ(l->q, -1.0);
  EXPECT_EQ(l->callid, "call-1");
  EXPECT_EQ(l->cseq, 1);
  EXPECT_EQ(l->lastModified, kNow);
  EXPECT_EQ(l->userAgent, "Phone/1.0");
  EXPECT_EQ(l->socket, "udp:10.0.0.1:5060");
  EXPECT_EQ(l->methods, 1 + 4 + 8 + 2 + 512);
  EXPECT_EQ(l->serverId, 0);
  EXPECT_EQ(table_.bindingCount(), 1u);
  EXPECT_EQ(registrar_->counters().added, 1u);
}

TEST_F(RegistrarTest, RefreshKeepsRuidAndUpdatesExpiry) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n");
  now_ += 100;
  RegisterOutcome o =
      send("Contact: <sip:alice@192.0.2.10:5060>\r\nExpires: 1800\r\n", "call-1", 2);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=1800"}}));
  ASSERT_EQ(o.writes.size(), 1u);
  ASSERT_NE(putAt(o, 0), nullptr);
  EXPECT_EQ(putAt(o, 0)->ruid, kRuid1);
  EXPECT_EQ(putAt(o, 0)->expires, kNow + 100 + 1800);
  EXPECT_EQ(putAt(o, 0)->cseq, 2);
  EXPECT_EQ(table_.bindingCount(), 1u);
  EXPECT_EQ(registrar_->counters().refreshed, 1u);
}

TEST_F(RegistrarTest, RemovesViaContactExpiresZero) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\nContact: <sip:alice@192.0.2.11:5060>\r\n");
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=0\r\n", "call-1", 2);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.11:5060>;expires=3600"}}));
  ASSERT_EQ(o.writes.size(), 1u);
  EXPECT_EQ(deletedAt(o, 0), kRuid1);
  EXPECT_EQ(boundContacts(), std::vector<std::string>{"sip:alice@192.0.2.11:5060"});
}

TEST_F(RegistrarTest, RemovesViaExpiresHeaderZero) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n");
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>\r\nExpires: 0\r\n", "call-1", 2);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), Headers{});
  ASSERT_EQ(o.writes.size(), 1u);
  EXPECT_EQ(deletedAt(o, 0), kRuid1);
  EXPECT_EQ(table_.bindingCount(), 0u);
  EXPECT_EQ(table_.aorCount(), 0u);
}

TEST_F(RegistrarTest, StarRemovesEveryBinding) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "call-1", 1);
  send("Contact: <sip:alice@192.0.2.20:5060>\r\n", "call-2", 1, "192.0.2.20:5060");
  RegisterOutcome o = send("Contact: *\r\nExpires: 0\r\n", "call-1", 2);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), Headers{});
  ASSERT_EQ(o.writes.size(), 1u);
  const auto* d = std::get_if<store::DeleteAor>(&o.writes[0]);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->username, "alice");
  EXPECT_EQ(d->domain, "example.com");
  EXPECT_EQ(table_.bindingCount(), 0u);
  EXPECT_EQ(registrar_->counters().removed, 2u);
}

TEST_F(RegistrarTest, StarWithOtherContactsIsRejected) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n");
  RegisterOutcome o =
      send("Contact: *\r\nContact: <sip:alice@192.0.2.10:5060>\r\nExpires: 0\r\n", "call-1", 2);
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Contact * With Other Contacts");
  EXPECT_EQ(headersOf(o),
            (Headers{{"P-Registrar-Error", "* used in contact and more than 1 contact"}}));
  EXPECT_TRUE(o.writes.empty());
  EXPECT_EQ(table_.bindingCount(), 1u);
}

TEST_F(RegistrarTest, StarWithoutExpiresZeroIsRejected) {
  RegisterOutcome o = send("Contact: *\r\nExpires: 60\r\n");
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Contact * Requires Expires: 0");
  EXPECT_EQ(headersOf(o),
            (Headers{{"P-Registrar-Error", "* used in contact and expires is not zero"}}));
  EXPECT_EQ(send("Contact: *\r\n").reason, "Bad Request - Contact * Requires Expires: 0");
}

TEST_F(RegistrarTest, TooBriefIs423WithMinExpires) {
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=30\r\n");
  EXPECT_EQ(o.status, 423);
  EXPECT_EQ(o.reason, "Interval Too Brief");
  EXPECT_EQ(headersOf(o),
            (Headers{{"Min-Expires", "60"}, {"P-Registrar-Error", "Interval too brief"}}));
  EXPECT_TRUE(o.writes.empty());
  EXPECT_EQ(table_.bindingCount(), 0u);
  EXPECT_EQ(registrar_->counters().rejected, 1u);
}

TEST_F(RegistrarTest, OneTooBriefContactRefusesTheWholeRequest) {
  RegisterOutcome o = send(
      "Contact: <sip:alice@192.0.2.10:5060>;expires=600, "
      "<sip:alice@192.0.2.11:5060>;expires=59\r\n");
  EXPECT_EQ(o.status, 423);
  EXPECT_EQ(table_.bindingCount(), 0u);
}

TEST_F(RegistrarTest, LongExpiryIsClampedToMax) {
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=7200\r\n");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=3600"}}));
  EXPECT_EQ(putAt(o, 0)->expires, kNow + 3600);
}

TEST_F(RegistrarTest, DefaultExpiresWhenNoneGiven) {
  options_.defaultExpires = 1200;
  makeRegistrar();
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>\r\n");
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=1200"}}));
}

TEST_F(RegistrarTest, ContactExpiresParamBeatsExpiresHeader) {
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=120\r\nExpires: 600\r\n");
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=120"}}));
}

TEST_F(RegistrarTest, MalformedContactExpiresIs400) {
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=soon\r\n");
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Invalid Contact Expires");
  EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "Invalid expires param in contact"}}));
}

TEST_F(RegistrarTest, UnparsableContactIs400) {
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060\r\n");
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Malformed Contact");
  EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "Message parse error"}}));
}

TEST_F(RegistrarTest, QOrdersLookupAndShowsInReply) {
  RegisterOutcome o = send(
      "Contact: <sip:alice@192.0.2.10:5060>;q=0.1, <sip:alice@192.0.2.11:5060>;q=0.9, "
      "<sip:alice@192.0.2.12:5060>;q=0.5\r\n");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.11:5060>;expires=3600;q=0.9"},
                                   {"Contact", "<sip:alice@192.0.2.12:5060>;expires=3600;q=0.5"},
                                   {"Contact", "<sip:alice@192.0.2.10:5060>;expires=3600;q=0.1"}}));
  EXPECT_EQ(putAt(o, 0)->q, 0.1);
  // A later binding without q ranks as 1.0 and comes first.
  now_ += 5;
  send("Contact: <sip:alice@192.0.2.13:5060>\r\n", "call-2", 1);
  EXPECT_EQ(boundContacts(),
            (std::vector<std::string>{"sip:alice@192.0.2.13:5060", "sip:alice@192.0.2.11:5060",
                                      "sip:alice@192.0.2.12:5060", "sip:alice@192.0.2.10:5060"}));
}

TEST_F(RegistrarTest, InvalidQIs400) {
  for (const char* q : {"1.5", "0.1234", "-0.5", "abc", "2"}) {
    RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;q=" + std::string(q) + "\r\n");
    EXPECT_EQ(o.status, 400) << q;
    EXPECT_EQ(o.reason, "Bad Request - Invalid q Value") << q;
    EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "Invalid q param in contact"}})) << q;
  }
  EXPECT_EQ(table_.bindingCount(), 0u);
}

TEST_F(RegistrarTest, QValueGrammar) {
  EXPECT_EQ(rules::parseQ("0"), 0);
  EXPECT_EQ(rules::parseQ("1"), 1000);
  EXPECT_EQ(rules::parseQ("1.000"), 1000);
  EXPECT_EQ(rules::parseQ("0.5"), 500);
  EXPECT_EQ(rules::parseQ("0.125"), 125);
  EXPECT_EQ(rules::parseQ("0."), 0);
  EXPECT_EQ(rules::parseQ("1.001"), std::nullopt);
  EXPECT_EQ(rules::parseQ(".5"), std::nullopt);
  EXPECT_EQ(rules::formatQ(1000), "1");
  EXPECT_EQ(rules::formatQ(500), "0.5");
  EXPECT_EQ(rules::formatQ(125), "0.125");
  EXPECT_EQ(rules::formatQ(0), "0");
}

TEST_F(RegistrarTest, SeveralDevicesPerAor) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "desk", 1);
  now_ += 1;
  send("Contact: <sip:alice@198.51.100.4:5060>\r\n", "mobile", 1, "198.51.100.4:5060");
  now_ += 1;
  RegisterOutcome o = send("", "softphone", 1);  // a query from a third device
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@198.51.100.4:5060>;expires=3599"},
                                   {"Contact", "<sip:alice@192.0.2.10:5060>;expires=3598"}}));
  EXPECT_TRUE(o.writes.empty());
  EXPECT_EQ(table_.aorCount(), 1u);
  EXPECT_EQ(table_.bindingCount(), 2u);
}

TEST_F(RegistrarTest, MaxContactsRejects) {
  options_.maxContacts = 2;
  makeRegistrar();
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "a", 1);
  send("Contact: <sip:alice@192.0.2.11:5060>\r\n", "b", 1);
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.12:5060>\r\n", "c", 1);
  EXPECT_EQ(o.status, 503);
  EXPECT_EQ(o.reason, "Too Many Registered Contacts");
  EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "Too many registered contacts"}}));
  EXPECT_TRUE(o.writes.empty());
  EXPECT_EQ(table_.bindingCount(), 2u);
  // Refreshing an existing one is not a new contact.
  EXPECT_EQ(send("Contact: <sip:alice@192.0.2.11:5060>\r\n", "b", 2).status, 200);
}

TEST_F(RegistrarTest, MaxContactsStatusIsConfigurable) {
  options_.maxContacts = 1;
  options_.tooManyContactsStatus = 403;
  makeRegistrar();
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "a", 1);
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.11:5060>\r\n", "b", 1);
  EXPECT_EQ(o.status, 403);
  EXPECT_EQ(o.reason, "Too Many Registered Contacts");
}

TEST_F(RegistrarTest, MaxContactsReplacesOldest) {
  options_.maxContacts = 2;
  options_.overflow = Overflow::kReplaceOldest;
  makeRegistrar();
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "a", 1);  // ruid 1, oldest
  now_ += 10;
  send("Contact: <sip:alice@192.0.2.11:5060>\r\n", "b", 1);  // ruid 2
  now_ += 10;
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.12:5060>\r\n", "c", 1);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.12:5060>;expires=3600"},
                                   {"Contact", "<sip:alice@192.0.2.11:5060>;expires=3590"}}));
  ASSERT_EQ(o.writes.size(), 2u);
  EXPECT_EQ(deletedAt(o, 0), kRuid1);
  ASSERT_NE(putAt(o, 1), nullptr);
  EXPECT_EQ(putAt(o, 1)->ruid, kRuid3);
}

TEST_F(RegistrarTest, MaxContactsRejectsARequestThatAloneExceedsIt) {
  options_.maxContacts = 1;
  options_.overflow = Overflow::kReplaceOldest;
  makeRegistrar();
  RegisterOutcome o =
      send("Contact: <sip:alice@192.0.2.10:5060>, <sip:alice@192.0.2.11:5060>\r\n", "a", 1);
  EXPECT_EQ(o.status, 503);
  EXPECT_EQ(table_.bindingCount(), 0u);
}

TEST_F(RegistrarTest, PathStoredAndEchoedWhenSupported) {
  RegisterOutcome o = send(
      "Path: <sip:edge2.example.net;lr>\r\n"
      "Path: <sip:edge1.example.net;lr>\r\n"
      "Supported: replaces, path\r\n"
      "Contact: <sip:alice@192.0.2.10:5060>\r\n");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o),
            (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=3600"},
                     {"Path", "<sip:edge2.example.net;lr>,<sip:edge1.example.net;lr>"}}));
  EXPECT_EQ(putAt(o, 0)->path, "<sip:edge2.example.net;lr>,<sip:edge1.example.net;lr>");
  EXPECT_EQ(table_.find(kRuid1)->path(), "<sip:edge2.example.net;lr>,<sip:edge1.example.net;lr>");
}

TEST_F(RegistrarTest, PathStoredButNotEchoedWithoutSupported) {
  RegisterOutcome o =
      send("Path: <sip:edge1.example.net;lr>\r\nContact: <sip:alice@192.0.2.10:5060>\r\n");
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=3600"}}));
  EXPECT_EQ(putAt(o, 0)->path, "<sip:edge1.example.net;lr>");
}

TEST_F(RegistrarTest, StrictPathModeRejectsWithoutSupported) {
  options_.pathMode = PathMode::kStrict;
  makeRegistrar();
  RegisterOutcome o =
      send("Path: <sip:edge1.example.net;lr>\r\nContact: <sip:alice@192.0.2.10:5060>\r\n");
  EXPECT_EQ(o.status, 420);
  EXPECT_EQ(o.reason, "Bad Extension");
  EXPECT_EQ(headersOf(o), (Headers{{"Unsupported", "path"},
                                   {"Path", "<sip:edge1.example.net;lr>"},
                                   {"P-Registrar-Error", "No support for found Path indicated"}}));
  EXPECT_EQ(table_.bindingCount(), 0u);
}

TEST_F(RegistrarTest, MalformedPathIs400) {
  RegisterOutcome o =
      send("Path: <sip:edge1.example.net;lr\r\nContact: <sip:alice@192.0.2.10>\r\n");
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Malformed Path");
  EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "Path parse error"}}));
}

TEST_F(RegistrarTest, ReceivedSetBehindNat) {
  RegisterOutcome o =
      send("Contact: <sip:alice@192.168.1.20:5060>\r\n", "call-1", 1, "203.0.113.7:41234");
  EXPECT_EQ(putAt(o, 0)->received, "sip:203.0.113.7:41234");
  RegisterOutcome t = send("Contact: <sip:alice@192.168.1.21:5060;transport=tcp>\r\n", "call-2", 1,
                           "203.0.113.7:41235", Transport::kTcp);
  EXPECT_EQ(putAt(t, 0)->received, "sip:203.0.113.7:41235;transport=tcp");
  // Same host, another port is a NAT too; a host name can never match an address.
  EXPECT_EQ(putAt(send("Contact: <sip:alice@203.0.113.7:5060>\r\n", "c3", 1, "203.0.113.7:5062"), 0)
                ->received,
            "sip:203.0.113.7:5062");
  EXPECT_EQ(putAt(send("Contact: <sip:alice@phone.example.net>\r\n", "c4", 1), 0)->received,
            "sip:192.0.2.10:5060");
}

TEST_F(RegistrarTest, ReceivedNotSetWhenSourceMatchesContact) {
  EXPECT_EQ(putAt(send("Contact: <sip:alice@192.0.2.10:5060>\r\n"), 0)->received, "");
  // No port in the contact means 5060.
  EXPECT_EQ(putAt(send("Contact: <sip:alice@192.0.2.10>\r\n", "c2", 1), 0)->received, "");
  EXPECT_EQ(
      putAt(send("Contact: <sip:alice@[2001:db8::5]:5070>\r\n", "c3", 1, "[2001:db8::5]:5070"), 0)
          ->received,
      "");
}

TEST_F(RegistrarTest, LowerCSeqOnSameCallIdIsRejected) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "call-1", 5);
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=0\r\n", "call-1", 4);
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Invalid CSeq Number");
  EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "Invalid CSeq number"}}));
  EXPECT_TRUE(o.writes.empty());
  EXPECT_EQ(table_.bindingCount(), 1u);
}

TEST_F(RegistrarTest, SameCSeqSoonAfterIsARetransmission) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "call-1", 5);
  now_ += 3;
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=600\r\n", "call-1", 5);
  EXPECT_EQ(o.status, 200);
  // Not applied: the binding keeps its first expiry, nothing is written.
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=3597"}}));
  EXPECT_TRUE(o.writes.empty());
  // Past cseqDelay (20 s) the same CSeq is stale.
  now_ += 30;
  EXPECT_EQ(send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "call-1", 5).status, 400);
}

TEST_F(RegistrarTest, NewCallIdUpdatesWhateverItsCSeq) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "call-1", 50);
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>;expires=600\r\n", "rebooted", 1);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(putAt(o, 0)->ruid, kRuid1);
  EXPECT_EQ(putAt(o, 0)->callid, "rebooted");
  EXPECT_EQ(putAt(o, 0)->cseq, 1);
}

TEST_F(RegistrarTest, StarNeedsHigherCSeqOnSameCallId) {
  send("Contact: <sip:alice@192.0.2.10:5060>\r\n", "call-1", 5);
  RegisterOutcome o = send("Contact: *\r\nExpires: 0\r\n", "call-1", 5);
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Invalid CSeq Number");
  EXPECT_EQ(table_.bindingCount(), 1u);
}

TEST_F(RegistrarTest, SameInstanceReplacesOlderBinding) {
  const std::string inst = ";+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000a95a0e128>\"";
  RegisterOutcome a =
      send("Contact: <sip:alice@192.0.2.10:5060>" + inst + ";reg-id=1\r\n", "boot-1", 1);
  EXPECT_EQ(
      headersOf(a),
      (Headers{{"Contact", "<sip:alice@192.0.2.10:5060>;expires=3600" + inst + ";reg-id=1"}}));
  EXPECT_EQ(putAt(a, 0)->instance, "<urn:uuid:00000000-0000-1000-8000-000a95a0e128>");
  EXPECT_EQ(putAt(a, 0)->regId, 1);
  // The phone moved network and rebooted: new address, new Call-ID, same instance and reg-id.
  now_ += 60;
  RegisterOutcome b = send("Contact: <sip:alice@198.51.100.9:5060>" + inst + ";reg-id=1\r\n",
                           "boot-2", 1, "198.51.100.9:5060");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(
      headersOf(b),
      (Headers{{"Contact", "<sip:alice@198.51.100.9:5060>;expires=3600" + inst + ";reg-id=1"}}));
  ASSERT_EQ(b.writes.size(), 1u);
  EXPECT_EQ(putAt(b, 0)->ruid, kRuid1);
  EXPECT_EQ(table_.bindingCount(), 1u);
  // Another reg-id of the same instance is another flow (RFC 5626 §4.2), so another binding.
  RegisterOutcome c = send("Contact: <sip:alice@198.51.100.9:5062>" + inst + ";reg-id=2\r\n",
                           "boot-2", 2, "198.51.100.9:5062");
  EXPECT_EQ(putAt(c, 0)->ruid, kRuid2);
  EXPECT_EQ(table_.bindingCount(), 2u);
}

TEST_F(RegistrarTest, InvalidRegIdIs400) {
  RegisterOutcome o =
      send("Contact: <sip:alice@192.0.2.10:5060>;+sip.instance=\"<urn:uuid:1>\";reg-id=0\r\n");
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - Invalid reg-id");
  EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "Invalid Reg-Id number"}}));
}

TEST_F(RegistrarTest, QueryReturnsCurrentBindingsAndDropsExpiredOnes) {
  send("Contact: <sip:alice@192.0.2.10:5060>;expires=60\r\n", "a", 1);
  send("Contact: <sip:alice@192.0.2.11:5060>;expires=600\r\n", "b", 1);
  now_ += 100;
  RegisterOutcome o = send("", "q", 1);
  EXPECT_EQ(o.status, 200);
  EXPECT_EQ(headersOf(o), (Headers{{"Contact", "<sip:alice@192.0.2.11:5060>;expires=500"}}));
  ASSERT_EQ(o.writes.size(), 1u);
  EXPECT_EQ(deletedAt(o, 0), kRuid1);
  EXPECT_EQ(table_.bindingCount(), 1u);
}

TEST_F(RegistrarTest, ToWithoutUserIs400) {
  std::string text =
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-r1\r\n"
      "From: <sip:example.com>;tag=f1\r\nTo: <sip:example.com>\r\n"
      "Call-ID: c\r\nCSeq: 1 REGISTER\r\nContact: <sip:192.0.2.10>\r\n\r\n";
  Request req(text);
  RegisterContext ctx;
  ctx.nowS = now_;
  RegisterOutcome o = registrar_->handle(req.msg, ctx);
  EXPECT_EQ(o.status, 400);
  EXPECT_EQ(o.reason, "Bad Request - No User In To URI");
  EXPECT_EQ(headersOf(o), (Headers{{"P-Registrar-Error", "No username in To URI"}}));
}

TEST_F(RegistrarTest, DuplicateContactInOneRequestMakesOneBinding) {
  RegisterOutcome o = send(
      "Contact: <sip:alice@192.0.2.10:5060>;expires=600\r\n"
      "Contact: <sip:ALICE@192.0.2.10:5060>;expires=900\r\n");
  EXPECT_EQ(o.status, 200);
  // User parts compare case-sensitively (RFC 3261 §19.1.4): two bindings.
  EXPECT_EQ(table_.bindingCount(), 2u);
  RegisterOutcome p = send(
      "Contact: <sip:bob@192.0.2.10:5060>;expires=600\r\n"
      "Contact: <sip:bob@192.0.2.10:5060>;expires=900\r\n",
      "c2", 1);
  EXPECT_EQ(p.writes.size(), 1u);
  EXPECT_EQ(putAt(p, 0)->expires, kNow + 900);  // the last one wins
}

TEST_F(RegistrarTest, RuidsAreUniqueAndCarryServerId) {
  options_.serverId = 7;
  makeRegistrar();
  std::string a = registrar_->nextRuid();
  std::string b = registrar_->nextRuid();
  EXPECT_EQ(a, "ul7-00000000002a-1");
  EXPECT_EQ(b, "ul7-00000000002a-2");
  Registrar other(table_, options_);  // random seed
  EXPECT_NE(other.nextRuid(), a);
}

TEST_F(RegistrarTest, OutcomeHeaderLinesViewTheHeaders) {
  RegisterOutcome o = send("Contact: <sip:alice@192.0.2.10:5060>\r\n");
  std::vector<sip::HeaderLine> lines = o.headerLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].name, "Contact");
  EXPECT_EQ(lines[0].value, "<sip:alice@192.0.2.10:5060>;expires=3600");
  std::string reply;
  ASSERT_TRUE(sip::buildResponse(requests_.back()->msg, o.status, o.reason, "tag9", lines, reply));
  EXPECT_NE(reply.find("SIP/2.0 200 OK\r\n"), std::string::npos);
  EXPECT_NE(reply.find("\r\nContact: <sip:alice@192.0.2.10:5060>;expires=3600\r\n"),
            std::string::npos);
}

}  // namespace
}  // namespace tandem::registrar
