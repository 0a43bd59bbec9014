// Microbenchmarks of the SIP message layer on the edge's hot path: parsing an INVITE as SIPp
// sends it (../shared/bench/sipp/uac_call.xml), forwarding it, and relaying the 200 OK back.
// Each reports messages per second (items/s).
#include <benchmark/benchmark.h>

#include <string>

#include "sip/message.h"
#include "sip/sanity.h"
#include "sip/serializer.h"

namespace tandem::sip {
namespace {

const std::string kSdp =
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 10.20.30.40\r\n"
    "s=-\r\n"
    "c=IN IP4 10.20.30.40\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

const std::string kInvite =
    "INVITE sip:service@10.20.30.1:5060 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.20.30.40:5090;branch=z9hG4bK-31337-1-0\r\n"
    "From: sipp <sip:sipp@10.20.30.40:5090>;tag=31337SIPpTag001\r\n"
    "To: service <sip:service@10.20.30.1:5060>\r\n"
    "Call-ID: 1-31337@10.20.30.40\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: sip:sipp@10.20.30.40:5090\r\n"
    "Max-Forwards: 70\r\n"
    "Subject: Performance Test\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: " +
    std::to_string(kSdp.size()) + "\r\n\r\n" + kSdp;

// The answer as it reaches the edge from a backend: the edge's Via on top.
const std::string kOk =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 10.20.30.1:5060;branch=z9hG4bKe1f0c2a9.0;rport=5060\r\n"
    "Via: SIP/2.0/UDP 10.20.30.40:5090;branch=z9hG4bK-31337-1-0;received=10.20.30.40\r\n"
    "Record-Route: <sip:10.20.30.1;lr;ftag=31337SIPpTag001>\r\n"
    "From: sipp <sip:sipp@10.20.30.40:5090>;tag=31337SIPpTag001\r\n"
    "To: service <sip:service@10.20.30.1:5060>;tag=4411SIPpTag011\r\n"
    "Call-ID: 1-31337@10.20.30.40\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:10.20.30.2:5071;transport=UDP>\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: " +
    std::to_string(kSdp.size()) + "\r\n\r\n" + kSdp;

void BM_ParseInvite(benchmark::State& state) {
  Message msg;
  for (auto _ : state) {
    const ParseResult& r = msg.parse(kInvite);
    benchmark::DoNotOptimize(&r);
    if (!r.ok()) state.SkipWithError("parse failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kInvite.size()));
}
BENCHMARK(BM_ParseInvite);

// What the edge does to an initial INVITE: parse, sanity check, add its Via, decrement
// Max-Forwards, record-route, serialize into the per-worker send buffer.
void BM_ForwardInvite(benchmark::State& state) {
  Message msg;
  MessageEditor editor;
  std::string out;
  for (auto _ : state) {
    msg.parse(kInvite);
    if (!checkRequest(msg).ok()) state.SkipWithError("sanity failed");
    editor.reset(msg);
    editor.prependVia("SIP/2.0/UDP 10.20.30.1:5060;branch=z9hG4bKe1f0c2a9.0;rport");
    editor.setMaxForwards(msg.maxForwards().value_or(70) - 1);
    editor.prependRecordRoute("<sip:10.20.30.1;lr;ftag=31337SIPpTag001>");
    out.clear();
    editor.serialize(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ForwardInvite);

// Relaying the 200 OK upstream: parse, pop the edge's own Via, serialize.
void BM_RelayOkPopVia(benchmark::State& state) {
  Message msg;
  MessageEditor editor;
  std::string out;
  for (auto _ : state) {
    msg.parse(kOk);
    editor.reset(msg);
    if (!editor.removeTopVia()) state.SkipWithError("no Via");
    out.clear();
    editor.serialize(out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RelayOkPopVia);

}  // namespace
}  // namespace tandem::sip

BENCHMARK_MAIN();
