// Provisioning: the validation texts, the operations on every backend, the method table with
// positional and named params, the RPC methods over a StoreWorker (including a database that is
// down), and the command-line runners against a SQLite file.
#include "store/provision.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "control/rpc.h"
#include "control/server.h"
#include "store/test_util.h"
#include "store/worker.h"

namespace tandem::store::provision {
namespace {

using nlohmann::json;
using Json = nlohmann::ordered_json;
using test::Backend;
using test::TempDir;

std::string why(const Status& s) { return s ? "ok" : s.message(); }
template <typename T>
std::string why(const Result<T>& r) {
  return r ? "ok" : r.message();
}

// ---------------------------------------------------------------- validation

TEST(ProvisionCheck, DomainsAcceptNamesAndAddresses) {
  for (const char* ok : {"example.com", "EXAMPLE.com", "a-b.example", "localhost", "10.0.0.1",
                         "[2001:db8::1]", "xn--bcher-kva.example"}) {
    EXPECT_EQ(why(checkDomain("domain", ok)), "ok") << ok;
  }
}

TEST(ProvisionCheck, DomainErrorsNameTheFieldAndTheValue) {
  EXPECT_EQ(why(checkDomain("domain", "")), "domain: is empty");
  EXPECT_EQ(why(checkDomain("domain", "exa mple.com")),
            R"(domain: "exa mple.com" is not a host name or an IP address)");
  for (const char* bad : {"-a.example", "a..example", "a.example.", "10.0.0.300", "[zz::1]",
                          "under_score.example", "a@b"}) {
    EXPECT_FALSE(checkDomain("domain", bad)) << bad;
  }
}

TEST(ProvisionCheck, UserPartAllowsRfc3261CharactersAndEscapes) {
  EXPECT_EQ(why(checkUser("user", "alice.smith+tag")), "ok");
  EXPECT_EQ(why(checkUser("user", "%41lice")), "ok");
  EXPECT_EQ(why(checkUser("user", "+442071234567")), "ok");
  EXPECT_EQ(why(checkUser("user", "al ice")),
            R"(user: "al ice" has " " at position 3, not allowed in a SIP user part)");
  EXPECT_EQ(why(checkUser("user", "bad%4")),
            R"(user: "bad%4" has "%" at position 4, not allowed in a SIP user part)");
  EXPECT_EQ(why(checkUser("user", "")), "user: is empty");
  EXPECT_EQ(why(checkUser("user", std::string(129, 'a'))), "user: is longer than 128 characters");
}

TEST(ProvisionCheck, SipUrisThatPass) {
  for (const char* ok :
       {"sip:alice@example.com", "sips:pbx.example.com:5061;transport=tls", "SIP:10.0.0.5",
        "sip:[2001:db8::1]:5060;lr", "sip:ivr@10.0.0.5:5080", "sip:carrier1.example.net;x=1?h=v",
        "sip:alice;day=tue:secret@host.example"}) {
    EXPECT_EQ(why(checkSipUri("destination", ok)), "ok") << ok;
  }
}

TEST(ProvisionCheck, SipUriErrors) {
  EXPECT_EQ(why(checkSipUri("destination", "")), "destination: is empty");
  EXPECT_EQ(why(checkSipUri("destination", "http://x")),
            R"(destination: "http://x" is not a sip: or sips: URI)");
  EXPECT_EQ(why(checkSipUri("destination", "<sip:a@b>")),
            R"(destination: "<sip:a@b>" is not a sip: or sips: URI)");
  EXPECT_EQ(
      why(checkSipUri("destination", "sip:a@b.example>")),
      R"(destination: "sip:a@b.example>" has host "b.example>", not a host name or an IP address)");
  EXPECT_EQ(why(checkSipUri("destination", "sip:")), R"(destination: "sip:" has no host)");
  EXPECT_EQ(why(checkSipUri("destination", "sip:@host")),
            R"(destination: "sip:@host" has an empty user part before '@')");
  EXPECT_EQ(why(checkSipUri("uri", "sip:host:0")),
            R"(uri: "sip:host:0" has port "0", not from 1 to 65535)");
  EXPECT_EQ(why(checkSipUri("uri", "sip:host:99999")),
            R"(uri: "sip:host:99999" has port "99999", not from 1 to 65535)");
  EXPECT_EQ(why(checkSipUri("uri", "sip:host:")), R"(uri: "sip:host:" has an empty port)");
  EXPECT_EQ(why(checkSipUri("uri", "sip:ho st")),
            R"(uri: "sip:ho st" has a space or a control character)");
  EXPECT_EQ(why(checkSipUri("uri", "sip:[::1")),
            R"(uri: "sip:[::1" has an unclosed IPv6 reference)");
  EXPECT_EQ(why(checkSipUri("uri", "sip:host;x=\"q\"")),
            R"(uri: "sip:host;x=\"q\"" has '<', '>' or '"': give the bare URI, not a name-addr)");
}

TEST(ProvisionCheck, Numbers) {
  EXPECT_EQ(why(checkNumber("did", "+442071234567", false)), "ok");
  EXPECT_EQ(why(checkNumber("prefix", "", true)), "ok");
  EXPECT_EQ(why(checkNumber("did", "", false)), "did: is empty");
  EXPECT_EQ(why(checkNumber("did", "12a", false)),
            R"(did: "12a" is not digits (with an optional leading +))");
  EXPECT_EQ(why(checkNumber("did", "+", false)),
            R"(did: "+" is not digits (with an optional leading +))");
  EXPECT_EQ(why(checkNumber("did", std::string(33, '1'), false)), "did: has more than 32 digits");
}

TEST(ProvisionCheck, RangesTextTokensHex) {
  EXPECT_EQ(why(checkRange("strip", 33, 0, 32)), "strip: must be from 0 to 32, got 33");
  EXPECT_EQ(why(checkRange("strip", 0, 0, 32)), "ok");
  EXPECT_EQ(why(checkText("description", "main IVR")), "ok");
  EXPECT_EQ(why(checkText("description", "a\nb")),
            R"(description: "a\nb" has a control character)");
  EXPECT_EQ(why(checkText("description", std::string(256, 'x'))),
            "description: is longer than 255 bytes");
  EXPECT_EQ(why(checkToken("dest_type", "ivr")), "ok");
  EXPECT_EQ(why(checkToken("dest_type", "")), "ok");
  EXPECT_EQ(why(checkToken("dest_type", "a b")),
            R"(dest_type: "a b" is not a token (letters, digits and -._!%*+`'~ only))");
  EXPECT_EQ(why(checkHex("ha1", "0123456789abcdefABCDEF0123456789", 32)), "ok");
  EXPECT_EQ(why(checkHex("ha1", "xyz", 32)), "ha1: must be 32 hexadecimal digits");
}

TEST(ProvisionCheck, DispatcherAttrs) {
  EXPECT_EQ(why(checkAttrs("attrs", "weight=50;duid=fs01;maxload=10")), "ok");
  EXPECT_EQ(why(checkAttrs("attrs", "")), "ok");
  EXPECT_EQ(why(checkAttrs("attrs", "weight=0")),
            R"(attrs: weight must be from 1 to 100, got "0")");
  EXPECT_EQ(why(checkAttrs("attrs", "rweight=x")),
            R"(attrs: rweight must be from 1 to 100, got "x")");
  EXPECT_EQ(why(checkAttrs("attrs", "maxload=-1")),
            R"(attrs: maxload must be a non-negative integer, got "-1")");
  EXPECT_EQ(why(checkAttrs("attrs", "a=1;=2")), R"(attrs: an attribute has no name in "a=1;=2")");
}

TEST(ProvisionCheck, AorSplitsAtTheLastAtAndLowercasesTheDomain) {
  auto a = parseAor("alice@Example.COM");
  ASSERT_TRUE(a) << a.message();
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(a->domain, "example.com");
  EXPECT_EQ(why(parseAor("alice")), R"(user: "alice" is not USER@DOMAIN)");
  EXPECT_EQ(why(parseAor("@example.com")), "user: is empty");
  EXPECT_EQ(why(parseAor("alice@")), "domain: is empty");
}

TEST(ProvisionCheck, CredentialRules) {
  EXPECT_EQ(why(subscriberFor("a@example.com", {})), "a password or an ha1 is needed");
  EXPECT_EQ(why(subscriberFor("a@example.com", {"pw", std::string(32, 'a'), ""})),
            "password and ha1 exclude each other");
  EXPECT_EQ(why(subscriberFor("a@example.com", {"", "", std::string(64, 'a')})),
            "ha1_sha256 needs ha1");
  EXPECT_EQ(why(subscriberFor("a@example.com", {"", "abc", ""})),
            "ha1: must be 32 hexadecimal digits");
  EXPECT_EQ(why(subscriberFor("a@example.com", {"", std::string(32, 'a'), "abc"})),
            "ha1_sha256: must be 64 hexadecimal digits");
  EXPECT_EQ(why(subscriberFor("a@example.com", {"p\tw", "", ""})),
            "password: has a control character");
}

TEST(ProvisionCheck, PasswordBecomesDigestsOnly) {
  auto s = subscriberFor("alice@example.com", {"secret", "", ""});
  ASSERT_TRUE(s) << s.message();
  Subscriber expected;
  expected.username = "alice";
  expected.domain = "example.com";
  expected.password = "secret";
  computeHa1(expected);
  EXPECT_EQ(s->password, "");
  EXPECT_EQ(s->ha1, expected.ha1);
  EXPECT_EQ(s->ha1b, expected.ha1b);
  EXPECT_EQ(s->ha1Sha256, expected.ha1Sha256);
  EXPECT_EQ(s->ha1bSha256, expected.ha1bSha256);
}

TEST(ProvisionCheck, RowChecks) {
  EXPECT_EQ(why(checkDidRoute({0, "+4420", "", "sip:ivr@10.0.0.5", "ivr", ""})), "ok");
  EXPECT_EQ(why(checkDidRoute({0, "+4420", "bad domain", "sip:ivr@10.0.0.5", "", ""})),
            R"(domain: "bad domain" is not a host name or an IP address)");
  TrunkRoute t{0, "0044", "sip:carrier.example", 0, 1, 0, "", ""};
  EXPECT_EQ(why(checkTrunkRoute(t)), "ok");
  t.weight = -1;
  EXPECT_EQ(why(checkTrunkRoute(t)), "weight: must be from 0 to 2147483647, got -1");
  t.weight = 1;
  t.prepend = "+x";
  EXPECT_EQ(why(checkTrunkRoute(t)), R"(prepend: "+x" is not digits (with an optional leading +))");
  EXPECT_EQ(why(checkTenant({"example.com", 0, ""})), "setid: must be from 1 to 2147483647, got 0");
  EXPECT_EQ(why(checkDispatcherEntry({0, 1, "sip:10.0.0.1", 64, 0, "", ""})),
            "flags: must be from 0 to 63, got 64");
  EXPECT_EQ(why(checkDispatcherEntry({0, 1, "10.0.0.1", 0, 0, "", ""})),
            R"(uri: "10.0.0.1" is not a sip: or sips: URI)");
}

// ---------------------------------------------------------------- operations, every backend

class ProvisionOps : public test::BackendTest {};

TEST_P(ProvisionOps, UsersAddListPasswdDelete) {
  auto a = addUser(*store_, "alice@Example.com", {"secret", "", ""});
  ASSERT_TRUE(a) << a.message();
  EXPECT_GT(a->id, 0);
  EXPECT_EQ(a->domain, "example.com");
  auto dup = addUser(*store_, "alice@example.com", {"other", "", ""});
  EXPECT_EQ(why(dup), "subscriber alice@example.com already exists");

  std::string ha1 = "0123456789ABCDEF0123456789ABCDEF";
  auto b = addUser(*store_, "bob@other.example", {"", ha1, ""});
  ASSERT_TRUE(b) << b.message();
  auto stored = store_->getSubscriber("bob", "other.example");
  ASSERT_TRUE(stored && *stored);
  EXPECT_EQ((*stored)->ha1, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ((*stored)->ha1b, "");
  EXPECT_EQ((*stored)->password, "");

  auto some = listUsers(*store_, "EXAMPLE.com");
  ASSERT_TRUE(some);
  ASSERT_EQ(some->size(), 1u);
  EXPECT_EQ((*some)[0].username, "alice");
  auto all = listUsers(*store_, "");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(why(listUsers(*store_, "bad domain")),
            R"(domain: "bad domain" is not a host name or an IP address)");

  ASSERT_EQ(why(setCredentials(*store_, "alice@example.com", {"newer", "", ""})), "ok");
  Subscriber expected{0, "alice", "example.com", "newer", "", "", "", ""};
  computeHa1(expected);
  EXPECT_EQ((*store_->getSubscriber("alice", "example.com"))->ha1, expected.ha1);
  EXPECT_EQ(why(setCredentials(*store_, "carol@example.com", {"x", "", ""})),
            "no subscriber carol@example.com");

  EXPECT_EQ(why(deleteUser(*store_, "alice@example.com")), "ok");
  EXPECT_EQ(why(deleteUser(*store_, "alice@example.com")), "no subscriber alice@example.com");
  EXPECT_EQ(why(deleteUser(*store_, "alice")), R"(user: "alice" is not USER@DOMAIN)");
}

TEST_P(ProvisionOps, DidRoutes) {
  auto r = addDid(*store_, {0, "+4420", "Example.com", "sip:ivr@10.0.0.5", "ivr", "main"});
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r->domain, "example.com");
  ASSERT_TRUE(addDid(*store_, {0, "+4420", "", "sip:fallback@10.0.0.6", "", ""}));
  EXPECT_EQ(why(addDid(*store_, {0, "+4420", "", "sip:x@10.0.0.7", "", ""})),
            "DID +4420 (any domain) already exists");
  EXPECT_EQ(why(addDid(*store_, {0, "+4420", "", "tel:+4420", "", ""})),
            R"(destination: "tel:+4420" is not a sip: or sips: URI)");
  EXPECT_EQ(store_->listDids()->size(), 2u);
  EXPECT_EQ(why(deleteDid(*store_, "+4420", "EXAMPLE.COM")), "ok");
  EXPECT_EQ(why(deleteDid(*store_, "+4420", "example.com")), "no DID +4420 (domain example.com)");
  EXPECT_EQ(why(deleteDid(*store_, "+4420", "")), "ok");
  EXPECT_EQ(why(deleteDid(*store_, "+4420", "")), "no DID +4420 (any domain)");
}

TEST_P(ProvisionOps, TrunkRoutes) {
  ASSERT_TRUE(addTrunk(*store_, {0, "0044", "sip:a.example", 0, 2, 1, "+44", "primary"}));
  ASSERT_TRUE(addTrunk(*store_, {0, "0044", "sip:b.example", 1, 1, 0, "", ""}));
  ASSERT_TRUE(addTrunk(*store_, {0, "", "sip:default.example", 0, 1, 0, "", ""}));
  EXPECT_EQ(why(addTrunk(*store_, {0, "0044", "sip:a.example", 0, 1, 0, "", ""})),
            "trunk route 0044 -> sip:a.example already exists");
  EXPECT_EQ(why(addTrunk(*store_, {0, "0044", "sip:c.example", 0, 1, 33, "", ""})),
            "strip: must be from 0 to 32, got 33");
  auto one = deleteTrunk(*store_, "0044", "sip:b.example");
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, 1);
  EXPECT_EQ(why(deleteTrunk(*store_, "0044", "sip:b.example")),
            "no trunk route 0044 -> sip:b.example");
  ASSERT_TRUE(addTrunk(*store_, {0, "0044", "sip:b.example", 1, 1, 0, "", ""}));
  auto both = deleteTrunk(*store_, "0044", "");
  ASSERT_TRUE(both);
  EXPECT_EQ(*both, 2);
  EXPECT_EQ(why(deleteTrunk(*store_, "0044", "")), "no trunk route with prefix 0044");
  EXPECT_EQ(*deleteTrunk(*store_, "", ""), 1);
  EXPECT_EQ(why(deleteTrunk(*store_, "", "")),
            R"(no trunk route with prefix "" (the default route))");
}

TEST_P(ProvisionOps, TenantsAddSetDelete) {
  auto t = addTenant(*store_, {"Example.com", 1, "acme"});
  ASSERT_TRUE(t) << t.message();
  EXPECT_EQ(t->domain, "example.com");
  EXPECT_EQ(why(addTenant(*store_, {"example.com", 2, ""})),
            "tenant example.com already exists (tenant set changes it)");
  auto moved = setTenant(*store_, "EXAMPLE.com", 2, std::nullopt);
  ASSERT_TRUE(moved) << moved.message();
  EXPECT_EQ(moved->setid, 2);
  EXPECT_EQ(moved->description, "acme");  // kept when not given
  auto renamed = setTenant(*store_, "example.com", 2, "acme ltd");
  ASSERT_TRUE(renamed);
  auto all = store_->listTenants();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].setid, 2);
  EXPECT_EQ((*all)[0].description, "acme ltd");
  EXPECT_EQ(why(setTenant(*store_, "other.example", 2, std::nullopt)), "no tenant other.example");
  EXPECT_EQ(why(deleteTenant(*store_, "example.com")), "ok");
  EXPECT_EQ(why(deleteTenant(*store_, "example.com")), "no tenant example.com");
}

TEST_P(ProvisionOps, DispatcherRows) {
  auto a = addDispatcher(*store_, {0, 1, "sip:10.0.0.1:5060", 0, 10, "weight=50", "fs01"});
  ASSERT_TRUE(a) << a.message();
  ASSERT_TRUE(addDispatcher(*store_, {0, 2, "sip:10.0.0.2:5060", 8, 0, "", ""}));
  auto set1 = listDispatchers(*store_, 1);
  ASSERT_TRUE(set1);
  ASSERT_EQ(set1->size(), 1u);
  EXPECT_EQ((*set1)[0].destination, "sip:10.0.0.1:5060");
  EXPECT_EQ(listDispatchers(*store_, 0)->size(), 2u);
  EXPECT_EQ(why(addDispatcher(*store_, {0, 1, "sip:10.0.0.3", 0, 0, "weight=500", ""})),
            R"(attrs: weight must be from 1 to 100, got "500")");
  EXPECT_EQ(why(deleteDispatcher(*store_, a->id)), "ok");
  EXPECT_EQ(why(deleteDispatcher(*store_, a->id)),
            "no dispatcher entry with id " + std::to_string(a->id));
  EXPECT_EQ(why(deleteDispatcher(*store_, 0)), "id: must be from 1 to 9223372036854775807, got 0");
}

TEST_P(ProvisionOps, JsonRowsUseTheColumnNamesAndNeverShowSecrets) {
  auto a = addUser(*store_, "alice@example.com", {"secret", "", ""});
  ASSERT_TRUE(a);
  EXPECT_EQ(toJson(*a).dump(),
            R"({"id":)" + std::to_string(a->id) +
                R"(,"username":"alice","domain":"example.com","credentials":"md5+sha256"})");
  Subscriber hashOnly{7, "bob", "example.com", "", std::string(32, 'a'), "", "", ""};
  EXPECT_EQ(toJson(hashOnly)["credentials"], "md5");
  EXPECT_EQ(
      toJson(DidRoute{3, "+4420", "", "sip:ivr@h", "ivr", "d"}).dump(),
      R"({"id":3,"did":"+4420","domain":"","destination":"sip:ivr@h","dest_type":"ivr","description":"d"})");
  EXPECT_EQ(
      toJson(TrunkRoute{4, "0044", "sip:t", 1, 2, 3, "+44", "x"}).dump(),
      R"({"id":4,"prefix":"0044","destination":"sip:t","priority":1,"weight":2,"strip":3,"prepend":"+44","description":"x"})");
  EXPECT_EQ(toJson(Tenant{"example.com", 2, "acme"}).dump(),
            R"({"domain":"example.com","setid":2,"description":"acme"})");
  EXPECT_EQ(
      toJson(DispatcherEntry{5, 1, "sip:d", 8, 10, "weight=5", "fs"}).dump(),
      R"({"id":5,"setid":1,"destination":"sip:d","flags":8,"priority":10,"attrs":"weight=5","description":"fs"})");
}

TANDEM_ALL_BACKENDS(ProvisionOps);

// ---------------------------------------------------------------- schema

class ProvisionSchema : public test::BackendTest {
 protected:
  ProvisionSchema() { migrate_ = false; }
};

TEST_P(ProvisionSchema, MigrateUpNeverDown) {
  auto status = dbStatus(*store_);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ((*status)["state"], "no schema");
  EXPECT_EQ((*status)["schema_version"], 0);
  EXPECT_EQ((*status)["message"], "database has no tandem schema (this binary needs version " +
                                      std::to_string(kSchemaVersion) +
                                      "): run `tandem db migrate`");

  auto one = migrateDb(*store_, 1);
  ASSERT_TRUE(one) << one.message();
  EXPECT_EQ((*one)["from"], 0);
  EXPECT_EQ((*one)["to"], 1);
  EXPECT_EQ((*one)["applied"], 1);
  EXPECT_EQ((*dbStatus(*store_))["state"], "needs migration");

  auto rest = migrateDb(*store_, 0);
  ASSERT_TRUE(rest) << rest.message();
  EXPECT_EQ((*rest)["from"], 1);
  EXPECT_EQ((*rest)["to"], kSchemaVersion);
  EXPECT_EQ((*rest)["applied"], kSchemaVersion - 1);
  auto again = migrateDb(*store_, 0);
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)["applied"], 0);

  status = dbStatus(*store_);
  ASSERT_TRUE(status);
  EXPECT_EQ((*status)["state"], "ok");
  EXPECT_FALSE(status->contains("message"));
  EXPECT_EQ(why(migrateDb(*store_, 1)), "database schema is at version " +
                                            std::to_string(kSchemaVersion) +
                                            ", above 1: tandem never migrates down");
  EXPECT_EQ(why(migrateDb(*store_, kSchemaVersion + 1)),
            "to: must be from 1 to " + std::to_string(kSchemaVersion) + ", got " +
                std::to_string(kSchemaVersion + 1));
}

TANDEM_ALL_BACKENDS(ProvisionSchema);

// ---------------------------------------------------------------- the method table

class ProvisionCall : public test::BackendTest {
 protected:
  std::string run(std::string_view method, const json& params) {
    auto r = call(*store_, method, params);
    return r ? r->dump() : "error: " + r.message();
  }
};

TEST_P(ProvisionCall, PositionalAndNamedParamsAreTheSame) {
  EXPECT_EQ(run("user.add", json::array({"alice@example.com", "secret"})),
            R"({"id":1,"username":"alice","domain":"example.com","credentials":"md5+sha256"})");
  EXPECT_EQ(run("user.add", json{{"user", "bob@example.com"}, {"ha1", std::string(32, 'b')}}),
            R"({"id":2,"username":"bob","domain":"example.com","credentials":"md5"})");
  EXPECT_EQ(run("user.list", json::array()),
            R"([{"id":1,"username":"alice","domain":"example.com","credentials":"md5+sha256"},)"
            R"({"id":2,"username":"bob","domain":"example.com","credentials":"md5"}])");
  EXPECT_EQ(run("user.passwd", json{{"user", "bob@example.com"}, {"password", "pw"}}),
            R"({"id":2,"username":"bob","domain":"example.com","credentials":"md5+sha256"})");
  EXPECT_EQ(run("user.del", json::array({"bob@example.com"})), R"({"deleted":1})");
  EXPECT_EQ(run("user.list", json{{"domain", "other.example"}}), "[]");
}

TEST_P(ProvisionCall, RoutesTenantsDispatcher) {
  EXPECT_EQ(
      run("route.did.add", json::array({"+4420", "", "sip:ivr@10.0.0.5", "ivr", "main"})),
      R"({"id":1,"did":"+4420","domain":"","destination":"sip:ivr@10.0.0.5","dest_type":"ivr","description":"main"})");
  EXPECT_EQ(
      run("route.did.list", json::array()),
      R"([{"id":1,"did":"+4420","domain":"","destination":"sip:ivr@10.0.0.5","dest_type":"ivr","description":"main"}])");
  EXPECT_EQ(run("route.did.del", json{{"did", "+4420"}}), R"({"deleted":1})");

  EXPECT_EQ(
      run("route.trunk.add", json::array({"0044", "sip:carrier.example", "5"})),
      R"({"id":1,"prefix":"0044","destination":"sip:carrier.example","priority":5,"weight":1,"strip":0,"prepend":"","description":""})");
  EXPECT_EQ(
      run("route.trunk.add", json{{"prefix", ""}, {"destination", "sip:d.example"}}),
      R"({"id":2,"prefix":"","destination":"sip:d.example","priority":0,"weight":1,"strip":0,"prepend":"","description":""})");
  EXPECT_EQ(run("route.trunk.del", json::array({"0044"})), R"({"deleted":1})");
  EXPECT_EQ(
      run("route.trunk.list", json::array()),
      R"([{"id":2,"prefix":"","destination":"sip:d.example","priority":0,"weight":1,"strip":0,"prepend":"","description":""}])");

  EXPECT_EQ(run("tenant.add", json::array({"example.com", 1, "acme"})),
            R"({"domain":"example.com","setid":1,"description":"acme"})");
  EXPECT_EQ(run("tenant.set", json{{"domain", "example.com"}, {"setid", 2}}),
            R"({"domain":"example.com","setid":2,"description":"acme"})");
  EXPECT_EQ(run("tenant.list", json::array()),
            R"([{"domain":"example.com","setid":2,"description":"acme"}])");
  EXPECT_EQ(run("tenant.del", json::array({"example.com"})), R"({"deleted":1})");

  EXPECT_EQ(
      run("dispatcher.db.add",
          json{{"setid", 1}, {"uri", "sip:10.0.0.1:5060"}, {"attrs", "weight=50"}}),
      R"({"id":1,"setid":1,"destination":"sip:10.0.0.1:5060","flags":0,"priority":0,"attrs":"weight=50","description":""})");
  EXPECT_EQ(
      run("dispatcher.db.add", json::array({2, "sip:10.0.0.2", 8, -1})),
      R"({"id":2,"setid":2,"destination":"sip:10.0.0.2","flags":8,"priority":-1,"attrs":"","description":""})");
  EXPECT_EQ(
      run("dispatcher.db.list", json::array({2})),
      R"([{"id":2,"setid":2,"destination":"sip:10.0.0.2","flags":8,"priority":-1,"attrs":"","description":""}])");
  EXPECT_EQ(run("dispatcher.db.del", json::array({1})), R"({"deleted":1})");
  EXPECT_EQ(run("dispatcher.db.del", json::array({1})), "error: no dispatcher entry with id 1");
}

TEST_P(ProvisionCall, ParamErrorsAreInvalidParams) {
  EXPECT_EQ(run("user.add", json::array()), "error: invalid params: missing parameter 1 (user)");
  EXPECT_EQ(run("user.add", json{{"user", "a@example.com"}, {"pasword", "x"}}),
            "error: invalid params: unknown parameter pasword (user.add takes user, password, "
            "ha1, ha1_sha256)");
  EXPECT_EQ(run("user.del", json::array({"a@example.com", "extra"})),
            "error: invalid params: user.del takes at most 1 parameters (user), got 2");
  EXPECT_EQ(run("route.did.list", json::array({1})),
            "error: invalid params: route.did.list takes at most 0 parameters (none), got 1");
  EXPECT_EQ(run("user.add", json::array({"a@exa mple.com", "x"})),
            R"(error: invalid params: domain: "exa mple.com" is not a host name or an IP address)");
  EXPECT_EQ(run("tenant.add", json::array({"example.com", "two"})),
            R"(error: invalid params: setid must be an integer, got "two")");
  EXPECT_EQ(run("user.add", json::array({"a@example.com"})),
            "error: invalid params: a password or an ha1 is needed");
  EXPECT_EQ(run("nope.add", json::array()),
            "error: invalid params: no provisioning method nope.add");
  // `tandem ctl route.trunk.add 0044 ...` sends 44: refused rather than stored as prefix "44".
  EXPECT_EQ(run("route.trunk.add", json::array({44, "sip:carrier.example"})),
            "error: invalid params: prefix must be a string, not the number 44 (leading zeros "
            "would be lost; with tandem ctl write s:44)");
  EXPECT_EQ(run("user.add", json::array({"a@example.com", 7})),
            "error: invalid params: password must be a string, not the number 7 (leading zeros "
            "would be lost; with tandem ctl write s:7)");
  // Store errors are not the caller's params: no prefix (JSON-RPC -32000).
  run("user.add", json::array({"a@example.com", "x"}));
  EXPECT_EQ(run("user.add", json::array({"a@example.com", "x"})),
            "error: subscriber a@example.com already exists");
}

TEST(ProvisionMethods, TableHasEveryMethodWithHelp) {
  std::vector<std::string> names;
  for (const auto& m : methods()) {
    names.emplace_back(m.name);
    EXPECT_TRUE(m.help.starts_with(m.name)) << m.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "user.add", "user.passwd", "user.del", "user.list", "route.did.add",
                       "route.did.del", "route.did.list", "route.trunk.add", "route.trunk.del",
                       "route.trunk.list", "tenant.add", "tenant.set", "tenant.del", "tenant.list",
                       "dispatcher.db.add", "dispatcher.db.del", "dispatcher.db.list"}));
}

TANDEM_ALL_BACKENDS(ProvisionCall);

// ---------------------------------------------------------------- RPC over a StoreWorker

class ProvisionRpc : public test::BackendTest {
 protected:
  void startWorker(std::unique_ptr<Store> store, WorkerOptions options = {}) {
    auto w = StoreWorker::create(std::move(store), std::move(options));
    ASSERT_TRUE(w) << w.message();
    worker_ = std::move(*w);
    worker_->start();
    registerProvisioningRpc(rpc_, *worker_, cq_);
  }
  void TearDown() override {
    if (worker_) worker_->stop();
  }
  // One HTTP body in, the answer out, draining completions as the loop would.
  std::string rpc(std::string_view body) {
    std::optional<std::optional<std::string>> answer;
    rpc_.handleAsync(body, [&](std::optional<std::string> a) { answer = std::move(a); });
    for (int i = 0; i < 2000 && !answer; ++i) {
      cq_.drain();
      if (!answer) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (!answer) return "<no answer>";
    return answer->value_or("<none>");
  }

  CompletionQueue cq_;
  control::RpcRegistry rpc_;
  std::unique_ptr<StoreWorker> worker_;
};

TEST_P(ProvisionRpc, MethodsAnswerThroughTheWorker) {
  startWorker(std::move(store_));
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"user.add","params":["alice@example.com","s3cret"],"id":1})"),
      R"({"id":1,"jsonrpc":"2.0","result":{"credentials":"md5+sha256","domain":"example.com","id":1,"username":"alice"}})");
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"user.list","id":2})"),
      R"({"id":2,"jsonrpc":"2.0","result":[{"credentials":"md5+sha256","domain":"example.com","id":1,"username":"alice"}]})");
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"user.add","params":["alice@example.com","x"],"id":3})"),
      R"({"error":{"code":-32000,"message":"subscriber alice@example.com already exists"},"id":3,"jsonrpc":"2.0"})");
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"route.trunk.add","params":{"prefix":"0044","destination":"sip:c.example","strip":40},"id":4})"),
      R"({"error":{"code":-32602,"message":"invalid params: strip: must be from 0 to 32, got 40"},"id":4,"jsonrpc":"2.0"})");
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"system.methodHelp","params":["tenant.del"],"id":5})"),
            R"({"id":5,"jsonrpc":"2.0","result":"tenant.del DOMAIN: delete a tenant"})");
}

TEST_P(ProvisionRpc, BatchMixesProvisioningAndBuiltins) {
  startWorker(std::move(store_));
  EXPECT_EQ(
      rpc(R"([{"jsonrpc":"2.0","method":"tenant.add","params":["example.com",1],"id":1},
              {"jsonrpc":"2.0","method":"system.listMethods","id":2},
              {"jsonrpc":"2.0","method":"tenant.add","params":["other.example",2],"id":3}])"),
      R"([{"id":1,"jsonrpc":"2.0","result":{"description":"","domain":"example.com","setid":1}},)"
      R"({"id":2,"jsonrpc":"2.0","result":["dispatcher.db.add","dispatcher.db.del","dispatcher.db.list",)"
      R"("route.did.add","route.did.del","route.did.list","route.trunk.add","route.trunk.del",)"
      R"("route.trunk.list","system.listMethods","system.methodHelp","tenant.add","tenant.del",)"
      R"("tenant.list","tenant.set","user.add","user.del","user.list","user.passwd"]},)"
      R"({"id":3,"jsonrpc":"2.0","result":{"description":"","domain":"other.example","setid":2}}])");
}

TEST_P(ProvisionRpc, UnreachableDatabaseIsAnError) {
  auto down = std::make_shared<std::atomic<bool>>(false);
  auto store = db_->openFlaky(down);
  ASSERT_TRUE(store->migrate());
  startWorker(std::move(store));
  *down = true;
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"user.list","id":1})"),
      R"({"error":{"code":-32000,"message":"store unavailable: test outage"},"id":1,"jsonrpc":"2.0"})");
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"user.add","params":["a@example.com","x"],"id":2})"),
      R"({"error":{"code":-32000,"message":"store unavailable: test outage"},"id":2,"jsonrpc":"2.0"})");
  EXPECT_FALSE(worker_->available());
  *down = false;
}

TEST_P(ProvisionRpc, StoppedWorkerAnswersAtOnce) {
  startWorker(std::move(store_));
  worker_->stop();
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"tenant.list","id":1})"),
            R"({"error":{"code":-32000,"message":"store worker stopped"},"id":1,"jsonrpc":"2.0"})");
}

// The whole path: an HTTP POST to a ControlServer on a real loop, the call on the worker thread,
// the answer back through the CompletionQueue's eventfd, then out on the socket.
TEST_P(ProvisionRpc, OverHttpOnARealLoop) {
  EventLoop loop;
  ASSERT_TRUE(cq_.attach(loop));
  control::ControlOptions options;
  options.listen = *SocketAddress::parse("127.0.0.1:0");
  auto server = control::ControlServer::start(loop, options);
  ASSERT_TRUE(server) << server.message();
  auto w = StoreWorker::create(std::move(store_), {});
  ASSERT_TRUE(w) << w.message();
  worker_ = std::move(*w);
  worker_->start();
  registerProvisioningRpc((*server)->rpc(), *worker_, cq_);

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(fd, (*server)->address().sockaddr(), (*server)->address().length()), 0);
  std::string body =
      R"({"jsonrpc":"2.0","method":"route.did.add","params":{"did":"+4420","destination":"sip:ivr@10.0.0.5"},"id":9})";
  std::string request =
      "POST /rpc HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string got;
  for (int i = 0; i < 1000 && got.find("\"id\":9") == std::string::npos; ++i) {
    loop.runOnce(10);
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(got.ends_with(
      R"({"id":9,"jsonrpc":"2.0","result":{"description":"","dest_type":"","destination":"sip:ivr@10.0.0.5","did":"+4420","domain":"","id":1}})"))
      << got;
  worker_->stop();
  cq_.detach();
}

TANDEM_ALL_BACKENDS(ProvisionRpc);

// ---------------------------------------------------------------- command-line runners

TEST(ProvisionCli, StoreUrlComesFromFlagThenConfigThenEnvironment) {
  EXPECT_EQ(*resolveStoreUrl("sqlite:a.db", std::string("sqlite:b.db"), "edge.toml", "sqlite:c"),
            "sqlite:a.db");
  EXPECT_EQ(*resolveStoreUrl("", std::string("sqlite:b.db"), "edge.toml", "sqlite:c"),
            "sqlite:b.db");
  EXPECT_EQ(*resolveStoreUrl("", std::nullopt, "", "sqlite:c"), "sqlite:c");
  EXPECT_EQ(why(resolveStoreUrl("", std::string(), "edge.toml", "sqlite:c")),
            "edge.toml has no [store] url");
  EXPECT_EQ(why(resolveStoreUrl("", std::nullopt, "", "")),
            "no store: give --store URL, -c CONFIG (its [store] url) or set TANDEM_STORE");
  EXPECT_EQ(why(resolveStoreUrl("", std::nullopt, "", nullptr)),
            "no store: give --store URL, -c CONFIG (its [store] url) or set TANDEM_STORE");
}

class ProvisionCliFile : public ::testing::Test {
 protected:
  struct Run {
    int code;
    std::string out;
    std::string err;
  };
  Run method(std::string_view name, json params, bool asJson = false,
             const std::string& input = "") {
    std::istringstream in(input);
    std::ostringstream out, err;
    int code = runMethod(url_, name, std::move(params), asJson, in, out, err);
    return {code, out.str(), err.str()};
  }
  Run migrate(int to = 0, bool asJson = false) {
    std::ostringstream out, err;
    int code = runMigrate(url_, to, asJson, out, err);
    return {code, out.str(), err.str()};
  }
  Run status(bool asJson = false) {
    std::ostringstream out, err;
    int code = runStatus(url_, asJson, out, err);
    return {code, out.str(), err.str()};
  }

  TempDir dir_;
  std::string path_ = dir_.file("tandem.db");
  std::string url_ = "sqlite://" + path_;
};

TEST_F(ProvisionCliFile, MissingFileIsAnErrorUntilMigrateCreatesIt) {
  Run r = method("user.list", json::object());
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: no database file at " + path_ +
                       " (`tandem db migrate` creates and initialises it)\n");
  r = status();
  EXPECT_EQ(r.code, kExitError);

  r = migrate();
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "sqlite database " + url_ + ": schema version 0 -> " +
                       std::to_string(kSchemaVersion) + " (" + std::to_string(kSchemaVersion) +
                       " migrations applied)\n");
  r = migrate();
  EXPECT_EQ(r.out, "sqlite database " + url_ + " is at schema version " +
                       std::to_string(kSchemaVersion) + ": nothing to do\n");
  r = migrate(1);
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(r.err, "error: database schema is at version " + std::to_string(kSchemaVersion) +
                       ", above 1: tandem never migrates down\n");
}

TEST_F(ProvisionCliFile, UnmigratedDatabaseSaysToMigrate) {
  ASSERT_TRUE(openStore(url_));  // creates the file, no schema
  Run r = method("tenant.list", json::object());
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(r.err, "error: database has no tandem schema (this binary needs version " +
                       std::to_string(kSchemaVersion) + "): run `tandem db migrate`\n");
  r = status();
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(r.out,
            "backend: sqlite\nurl: " + url_ +
                "\nschema_version: 0\nbinary_schema_version: " + std::to_string(kSchemaVersion) +
                "\nstate: no schema\nmessage: database has no tandem schema (this binary "
                "needs version " +
                std::to_string(kSchemaVersion) + "): run `tandem db migrate`\n");
}

TEST_F(ProvisionCliFile, TablesJsonAndErrors) {
  ASSERT_EQ(migrate().code, kExitOk);
  Run r = method("user.add", json{{"user", "alice@example.com"}, {"password", "s3cret"}});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "id: 1\nusername: alice\ndomain: example.com\ncredentials: md5+sha256\n");
  ASSERT_EQ(method("user.add", json{{"user", "bob@example.com"}, {"password", "pw"}}).code, 0);
  r = method("user.list", json::object());
  EXPECT_EQ(r.out,
            "id  username  domain       credentials\n"
            " 1  alice     example.com  md5+sha256\n"
            " 2  bob       example.com  md5+sha256\n");
  r = method("user.list", json::object(), true);
  EXPECT_EQ(r.out, R"([
  {
    "id": 1,
    "username": "alice",
    "domain": "example.com",
    "credentials": "md5+sha256"
  },
  {
    "id": 2,
    "username": "bob",
    "domain": "example.com",
    "credentials": "md5+sha256"
  }
]
)");
  r = method("route.trunk.list", json::object());
  EXPECT_EQ(r.out, "(empty)\n");
  r = method("user.add", json{{"user", "alice@example.com"}, {"password", "x"}});
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "error: subscriber alice@example.com already exists\n");
  r = method("user.add", json{{"user", "carol@bad domain"}, {"password", "x"}});
  EXPECT_EQ(r.err, "error: domain: \"bad domain\" is not a host name or an IP address\n");

  r = status();
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("state: ok\n"), std::string::npos) << r.out;
}

TEST_F(ProvisionCliFile, PasswordDashReadsStandardInput) {
  ASSERT_EQ(migrate().code, kExitOk);
  Run r = method("user.add", json{{"user", "alice@example.com"}, {"password", "-"}}, false,
                 "from-stdin\n");
  ASSERT_EQ(r.code, kExitOk) << r.err;
  auto store = openStore(url_);
  ASSERT_TRUE(store);
  Subscriber expected{0, "alice", "example.com", "from-stdin", "", "", "", ""};
  computeHa1(expected);
  EXPECT_EQ((*(*store)->getSubscriber("alice", "example.com"))->ha1, expected.ha1);
  r = method("user.passwd", json{{"user", "alice@example.com"}, {"password", "-"}}, false, "");
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(r.err, "error: password: nothing on standard input\n");
}

TEST_F(ProvisionCliFile, BadUrlIsOneLine) {
  url_ = "mysql://root:pw@db/tandem";
  Run r = method("user.list", json::object());
  EXPECT_EQ(r.code, kExitError);
  EXPECT_EQ(r.err,
            "error: unsupported store URL \"mysql://root:***@db/tandem\": expected "
            "sqlite:///path, sqlite::memory: or postgresql://...\n");
}

}  // namespace
}  // namespace tandem::store::provision
