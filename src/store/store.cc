// URL parsing, backend selection, digest hash helpers and the dispatch of queued writes.
#include "store/store.h"

#include <openssl/evp.h>

#include <cstdio>

#include "store/sql.h"

namespace tandem::store {

bool isUnavailable(const Status& status) {
  return !status.isOk() && status.message().starts_with(kUnavailablePrefix);
}

std::string_view tableName(Table table) {
  switch (table) {
    case Table::kSubscriber:
      return "subscriber";
    case Table::kDispatcher:
      return "dispatcher";
    case Table::kDidRouting:
      return "did_routing";
    case Table::kTrunkRouting:
      return "trunk_routing";
    case Table::kTenant:
      return "tenant";
  }
  return "?";
}

namespace {

std::string hexDigest(const EVP_MD* md, const std::string& input) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), out, &len, md, nullptr);
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(static_cast<size_t>(len) * 2);
  for (unsigned int i = 0; i < len; ++i) {
    hex += kHex[out[i] >> 4];
    hex += kHex[out[i] & 15];
  }
  return hex;
}

}  // namespace

void computeHa1(Subscriber& s) {
  std::string a = s.username + ":" + s.domain + ":" + s.password;
  std::string b = s.username + "@" + s.domain + ":" + s.domain + ":" + s.password;
  s.ha1 = hexDigest(EVP_md5(), a);
  s.ha1b = hexDigest(EVP_md5(), b);
  s.ha1Sha256 = hexDigest(EVP_sha256(), a);
  s.ha1bSha256 = hexDigest(EVP_sha256(), b);
}

Status applyWrite(Store& store, const WriteOp& op) {
  if (auto* put = std::get_if<PutLocation>(&op)) return store.putLocation(put->location);
  if (auto* del = std::get_if<DeleteLocation>(&op)) {
    auto r = store.deleteLocation(del->ruid);
    return r ? Status::ok() : r.status();
  }
  if (auto* aor = std::get_if<DeleteAor>(&op)) {
    auto r = store.deleteLocations(aor->username, aor->domain);
    return r ? Status::ok() : r.status();
  }
  return store.insertCdr(std::get<InsertCdr>(op).cdr);
}

std::string redactUrl(std::string_view url) {
  std::string out(url);
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t start = scheme + 3;
    size_t end = out.find_first_of("/?", start);
    if (end == std::string::npos) end = out.size();
    size_t at = out.rfind('@', end);
    if (at != std::string::npos && at >= start) {
      size_t colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (size_t pos = 0; (pos = out.find("password=", pos)) != std::string::npos;) {
    pos += 9;
    size_t end = out.find_first_of("& ", pos);
    if (end == std::string::npos) end = out.size();
    out.replace(pos, end - pos, "***");
  }
  return out;
}

Result<StoreUrl> parseStoreUrl(std::string_view url) {
  StoreUrl out;
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    out.kind = StoreUrl::Kind::kPostgres;
    out.conninfo = std::string(url);
    return out;
  }
  if (url.starts_with("sqlite:")) {
    std::string_view rest = url.substr(7);
    if (rest == ":memory:") {
      out.path = ":memory:";
      return out;
    }
    if (rest.starts_with("//")) rest.remove_prefix(2);  // sqlite:///abs -> /abs
    if (!rest.empty()) {
      out.path = std::string(rest);
      return out;
    }
  }
  return Result<StoreUrl>::error("unsupported store URL \"" + redactUrl(url) +
                                 "\": expected sqlite:///path, sqlite::memory: or "
                                 "postgresql://...");
}

Result<std::unique_ptr<Store>> openStore(std::string_view url) {
  auto parsed = parseStoreUrl(url);
  if (!parsed) return parsed.status();
  if (parsed->kind == StoreUrl::Kind::kPostgres) {
    return makeSqlStore(openPgConn(parsed->conninfo), redactUrl(url));
  }
  auto conn = openSqliteConn(parsed->path);
  if (!conn) return conn.status();
  return makeSqlStore(std::move(conn.value()), std::string(url));
}

}  // namespace tandem::store
