// Per-message cost of the edge's hot path without sockets: parse an INVITE, pick a backend
// (dispatcher, round-robin), write the forwarded copy (Via, Max-Forwards, Record-Route), and the
// way back: parse the 200 OK, pop our Via, serialize. Prints messages/s.
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

}  // namespace

BENCHMARK_MAIN();
