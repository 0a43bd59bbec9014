// Digest authentication on the REGISTER path: every authenticated registration costs one nonce
// issued (the 401 challenge) and one check of the answer (nonce MAC, HA1 lookup, response digest,
// nonce-count). Credentials are prepared outside the timed loop, each with its own fresh nonce
// and nc=00000001, as SIPp answers a challenge.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sip/digest.h"

namespace tandem::sip::digest {
namespace {

constexpr std::string_view kRealm = "example.com";
constexpr std::string_view kUser = "u4711";
constexpr std::string_view kUri = "sip:example.com";
constexpr std::string_view kCnonce = "6b8b4567327b23c6";
constexpr int64_t kNow = 1'800'000'000;
constexpr size_t kPool = 4096;

// Fills creds with kPool Authorization values, each answering a freshly issued nonce.
void prepare(NonceService& nonces, Algorithm alg, const std::string& ha1Hex,
             std::vector<std::string>& creds) {
  creds.clear();
  for (size_t i = 0; i < kPool; ++i) {
    std::optional<NonceText> n = nonces.issue(kNow);
    if (!n) std::abort();
    Result<std::string> r =
        computeResponse(alg, ha1Hex, n->view(), "00000001", kCnonce, "auth", "REGISTER", kUri);
    if (!r) std::abort();
    std::string h = "Digest username=\"";
    h.append(kUser).append("\", realm=\"").append(kRealm).append("\", nonce=\"");
    h.append(n->view()).append("\", uri=\"").append(kUri).append("\", response=\"");
    h.append(*r).append("\", algorithm=").append(algorithmName(alg));
    h.append(", cnonce=\"").append(kCnonce).append("\", qop=auth, nc=00000001");
    creds.push_back(std::move(h));
  }
}

// One verified REGISTER: the check the auth stage runs on the answer to its challenge.
void BM_DigestVerify(benchmark::State& state) {
  const Algorithm alg = state.range(0) == 0 ? Algorithm::kMd5 : Algorithm::kSha256;
  NonceService nonces("bench-secret-0123456789abcdef", 300, size_t{1} << 16);
  const std::string ha1Hex = *ha1(alg, kUser, kRealm, "pw4711");
  const Ha1Lookup lookup = [&ha1Hex](std::string_view, std::string_view,
                                     Algorithm) -> std::optional<std::string_view> {
    return std::string_view(ha1Hex);
  };
  std::vector<std::string> creds;
  prepare(nonces, alg, ha1Hex, creds);
  size_t i = 0;
  for (auto _ : state) {
    if (i == creds.size()) {
      state.PauseTiming();
      prepare(nonces, alg, ha1Hex, creds);
      i = 0;
      state.ResumeTiming();
    }
    std::string_view one = creds[i++];
    VerifyInput in{{&one, 1}, "REGISTER", kRealm, kNow + 1};
    Verdict v = verify(nonces, in, lookup);
    if (!v.ok()) state.SkipWithError(std::string(outcomeName(v.outcome)).c_str());
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(std::string(algorithmName(alg)));
}
BENCHMARK(BM_DigestVerify)->Arg(0)->Arg(1);

// The 401: a nonce issued and the WWW-Authenticate value written.
void BM_DigestChallenge(benchmark::State& state) {
  NonceService nonces("bench-secret-0123456789abcdef", 300, size_t{1} << 16);
  std::string out;
  out.reserve(256);
  for (auto _ : state) {
    std::optional<NonceText> n = nonces.issue(kNow);
    out.clear();
    appendChallenge(out, kRealm, n->view(), Algorithm::kMd5, false);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DigestChallenge);

}  // namespace
}  // namespace tandem::sip::digest

BENCHMARK_MAIN();
