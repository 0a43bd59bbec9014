// Per-message cost of the edge's hot path without sockets: parse an INVITE, pick a backend
// (dispatcher, round-robin), write the forwarded copy (Via, Max-Forwards, Record-Route), and the
// way back: parse the 200 OK, pop our Via, serialize. Prints messages/s. Also: dispatcher
// selection alone per algorithm and set size, and the same forwarding path on 1 and 2 threads,
// each with its own instances (one event loop per core), to show how the edge would scale.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "dispatcher/dispatcher.h"
#include "sip/message.h"
#include "sip/serializer.h"

namespace {

const std::string kInvite =
    "INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-28511-1-0\r\n"
    "From: sipp <sip:sipp@127.0.0.1:5090>;tag=28511SIPpTag001\r\n"
    "To: service <sip:service@127.0.0.1:5060>\r\n"
    "Call-ID: 1-28511@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: sip:sipp@127.0.0.1:5090\r\n"
    "Max-Forwards: 70\r\n"
    "Subject: Performance Test\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 129\r\n"
    "\r\n"
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtdm3f2a1b.1\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-28511-1-0\r\n"
    "Record-Route: <sip:127.0.0.1:5060;lr>\r\n"
    "From: sipp <sip:sipp@127.0.0.1:5090>;tag=28511SIPpTag001\r\n"
    "To: service <sip:service@127.0.0.1:5060>;tag=28512SIPpTag011\r\n"
    "Call-ID: 1-28511@127.0.0.1\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:127.0.0.1:5071;transport=UDP>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

tandem::dispatcher::Dispatcher makeDispatcher() {
  auto list = tandem::dispatcher::parseList("1 sip:127.0.0.1:5071 0 0\n1 sip:127.0.0.1:5072 0 0\n",
                                            "bench.list");
  return tandem::dispatcher::Dispatcher(std::move(list).value());
}

void BM_EdgeInviteParseRouteSerialize(benchmark::State& state) {
  tandem::sip::Message msg;
  tandem::sip::MessageEditor editor;
  auto d = makeDispatcher();
  std::vector<tandem::dispatcher::DestIndex> picks;
  picks.reserve(d.maxSetSize());
  std::string out;
  out.reserve(2048);
  for (auto _ : state) {
    msg.parse(kInvite);
    d.select(1, tandem::dispatcher::Algorithm::kRoundRobin,
             {.callId = msg.callId(), .fromUri = {}, .toUri = {}, .ruri = {}, .authUser = {}}, 0,
             picks);
    editor.reset(msg);
    editor.prependVia("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtdm3f2a1b.1");
    editor.setMaxForwards(*msg.maxForwards() - 1);
    editor.prependRecordRoute("<sip:127.0.0.1:5060;lr>");
    out.clear();
    editor.serialize(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EdgeInviteParseRouteSerialize);

void BM_EdgeResponseParsePopViaSerialize(benchmark::State& state) {
  tandem::sip::Message msg;
  tandem::sip::MessageEditor editor;
  std::string out;
  out.reserve(2048);
  for (auto _ : state) {
    msg.parse(kOk);
    editor.reset(msg);
    editor.removeTopVia();
    out.clear();
    editor.serialize(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EdgeResponseParsePopViaSerialize);

// Dispatcher selection alone: range(0) is the Kamailio algorithm number, range(1) the set size.
// Call-IDs vary so that the hashing algorithms hash a different key each time.
void BM_DispatcherSelect(benchmark::State& state) {
  const auto algorithm = static_cast<tandem::dispatcher::Algorithm>(state.range(0));
  std::string text;
  for (int64_t i = 0; i < state.range(1); ++i) {
    text += "1 sip:10.0.0." + std::to_string(i + 1) +
            ":5060 0 0 weight=" + std::to_string(i % 9 + 1) + ";duid=d" + std::to_string(i) +
            ";maxload=1000000\n";
  }
  auto list = tandem::dispatcher::parseList(text, "bench.list");
  tandem::dispatcher::Dispatcher d(std::move(list).value());
  std::vector<tandem::dispatcher::DestIndex> picks;
  picks.reserve(d.maxSetSize());
  std::vector<std::string> callIds;
  for (int i = 0; i < 1024; ++i) callIds.push_back(std::to_string(i) + "-28511@127.0.0.1");
  size_t i = 0;
  for (auto _ : state) {
    const std::string& id = callIds[i++ & 1023];
    auto st =
        d.select(1, algorithm,
                 {.callId = id, .fromUri = {}, .toUri = {}, .ruri = {}, .authUser = {}}, 0, picks);
    if (!st.isOk()) state.SkipWithError("select failed");
    benchmark::DoNotOptimize(picks.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DispatcherSelect)
    ->ArgNames({"alg", "dests"})
    ->Args({0, 2})
    ->Args({4, 2})
    ->Args({10, 2})
    ->Args({0, 16})
    ->Args({4, 16})
    ->Args({9, 16})
    ->Args({10, 16});

// One proxied INVITE transaction's message work on the edge (INVITE forwarded, 200 OK relayed),
// on 1 and 2 threads. Every thread has its own parser, editor, dispatcher and buffers, as one
// event loop per core would; the message rate is total items over wall time (UseRealTime), so
// the 2-thread figure over the 1-thread one is the scaling ratio.
void BM_EdgeScaling(benchmark::State& state) {
  tandem::sip::Message msg;
  tandem::sip::MessageEditor editor;
  auto d = makeDispatcher();
  std::vector<tandem::dispatcher::DestIndex> picks;
  picks.reserve(d.maxSetSize());
  std::string out;
  out.reserve(2048);
  for (auto _ : state) {
    msg.parse(kInvite);
    d.select(1, tandem::dispatcher::Algorithm::kRoundRobin,
             {.callId = msg.callId(), .fromUri = {}, .toUri = {}, .ruri = {}, .authUser = {}}, 0,
             picks);
    editor.reset(msg);
    editor.prependVia("SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtdm3f2a1b.1");
    editor.setMaxForwards(*msg.maxForwards() - 1);
    editor.prependRecordRoute("<sip:127.0.0.1:5060;lr>");
    out.clear();
    editor.serialize(out);
    benchmark::DoNotOptimize(out.data());
    msg.parse(kOk);
    editor.reset(msg);
    editor.removeTopVia();
    out.clear();
    editor.serialize(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(2 * state.iterations());
}
BENCHMARK(BM_EdgeScaling)->Threads(1)->Threads(2)->UseRealTime()->MinTime(1.0);

}  // namespace

BENCHMARK_MAIN();
