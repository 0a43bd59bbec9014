// Transaction lookup on the edge's hot path: every request and response that reaches the edge is
// first matched against the transaction tables (a retransmission is absorbed there). The tables
// are filled with N transactions the way the edge keys them ("METHOD branch host:port" for server
// transactions, "METHOD branch" for client ones), then looked up in a scattered order. N follows
// the calls in flight: 1,000 calls/s with transactions kept 32 s (Timer J/K/L) is ~32,000 of each.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/address.h"
#include "core/event_loop.h"
#include "transport/transport.h"
#include "txn/txn.h"

namespace tandem::txn {
namespace {

class NullUsers : public ClientUser, public ServerUser, public transport::Receiver {
 public:
  void onResponse(ClientTransaction&, int, std::string_view) override {}
  void onTimeout(ClientTransaction&) override {}
  void onTerminated(ClientTransaction&) override {}
  void onTerminated(ServerTransaction&) override {}
  void onMessage(const transport::Inbound&) override {}
};

std::string serverKey(uint64_t i) {
  return "INVITE z9hG4bK-28511-" + std::to_string(i) + "-0 127.0.0.1:5090";
}
std::string clientBranch(uint64_t i) {
  char buf[32];
  snprintf(buf, sizeof buf, "z9hG4bKtdm%08llx.0", static_cast<unsigned long long>(i * 2654435761u));
  return buf;
}

// A layer with n server and n client transactions; requests go to the layer's own listener.
struct Fixture {
  explicit Fixture(size_t n) {
    if (!transport.listen(*ListenSpec::parse("udp:127.0.0.1:0"))) std::abort();
    layer = std::make_unique<TransactionLayer>(loop, transport, Timers{}, &users);
    Peer self{Transport::kUdp, transport.listeners()[0].address, 0};
    Peer caller{Transport::kUdp, *SocketAddress::parse("127.0.0.1:5090"), 0};
    for (size_t i = 0; i < n; ++i) {
      layer->createServer(serverKey(i), true, caller);
      std::string branch = clientBranch(i);
      layer->startClient("INVITE " + branch, branch, true, self, "INVITE sip:x SIP/2.0\r\n\r\n",
                         &users);
      if (i % 32 == 31) transport.flush();
    }
    transport.flush();
    // A scattered lookup order, so consecutive lookups do not walk neighbouring buckets.
    order.resize(n);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      order[i] = x % n;
    }
  }
  NullUsers users;
  EventLoop loop;
  transport::TransportLayer transport{loop, users};
  std::unique_ptr<TransactionLayer> layer;
  std::vector<size_t> order;
};

// Google Benchmark calls each benchmark several times while it sizes the run: the tables are
// built once per size and kept.
Fixture& fixture(size_t n) {
  static std::map<size_t, std::unique_ptr<Fixture>> built;
  auto& f = built[n];
  if (!f) f = std::make_unique<Fixture>(n);
  return *f;
}

// A retransmitted INVITE (or the ACK of a non-2xx) finding its server transaction. The key is
// rebuilt per lookup in a reused buffer, as the proxy does.
void BM_TxnFindServerHit(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  std::string key;
  key.reserve(128);
  size_t i = 0;
  for (auto _ : state) {
    key.assign("INVITE z9hG4bK-28511-");
    key.append(std::to_string(f.order[i]));
    key.append("-0 127.0.0.1:5090");
    ServerTransaction* t = f.layer->findServer(key);
    benchmark::DoNotOptimize(t);
    if (t == nullptr) state.SkipWithError("lookup missed");
    if (++i == f.order.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TxnFindServerHit)->Arg(1000)->Arg(32000)->Arg(200000);

// A new request: the lookup that misses before the transaction is created (the common case).
void BM_TxnFindServerMiss(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  std::string key;
  key.reserve(128);
  uint64_t i = 0;
  for (auto _ : state) {
    key.assign("INVITE z9hG4bK-31337-");
    key.append(std::to_string(i++));
    key.append("-0 127.0.0.1:5090");
    ServerTransaction* t = f.layer->findServer(key);
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TxnFindServerMiss)->Arg(1000)->Arg(32000)->Arg(200000);

// A response from a backend finding its client transaction by "METHOD branch".
void BM_TxnFindClientHit(benchmark::State& state) {
  Fixture& f = fixture(static_cast<size_t>(state.range(0)));
  std::vector<std::string> keys;
  keys.reserve(f.order.size());
  for (size_t k : f.order) keys.push_back("INVITE " + clientBranch(k));
  std::string key;
  key.reserve(128);
  size_t i = 0;
  for (auto _ : state) {
    key.assign(keys[i]);  // the proxy assembles the key from CSeq and Via into a reused buffer
    ClientTransaction* t = f.layer->findClient(key);
    benchmark::DoNotOptimize(t);
    if (t == nullptr) state.SkipWithError("lookup missed");
    if (++i == keys.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TxnFindClientHit)->Arg(1000)->Arg(32000)->Arg(200000);

}  // namespace
}  // namespace tandem::txn

BENCHMARK_MAIN();
