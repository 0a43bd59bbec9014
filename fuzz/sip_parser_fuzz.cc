// libFuzzer target for the SIP message layer: the input goes through everything the edge does
// with a datagram or a stream (parse, sanity check, forward edits, response, ACK, CANCEL, frame)
// and through the URI and name-addr parsers. Beyond memory errors it traps on broken invariants:
// a message that parsed must still parse after the forwarding edits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sip/auth.h"
#include "sip/framing.h"
#include "sip/message.h"
#include "sip/sanity.h"
#include "sip/serializer.h"
#include "sip/uri.h"

namespace {

using namespace tandem::sip;  // NOLINT: a fuzz harness, not library code

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Reads every decoded field so the sanitizers see any view that points outside the buffer.
size_t touch(const Message& m) {
  size_t n = m.startLine().size() + m.body().size() + m.callId().size();
  for (const HeaderField& h : m.headers()) {
    for (std::string_view v : m.values(h.name)) n += v.size();
  }
  for (const Via& v : m.vias()) {
    n += v.host.size() + v.branch.size() + v.rport.size() + (v.isRfc3261Branch() ? 1 : 0);
    for (const Params::Param& p : v.params) n += p.name.size() + p.value.size();
  }
  for (auto list : {m.routes(), m.recordRoutes(), m.contacts()}) {
    for (const NameAddr& na : list) {
      n += na.uri.host.size() + na.displayName.size() + (na.uri.hasParam("lr") ? 1 : 0);
      n += uriEquals(na.uri, m.requestUri()) ? 1 : 0;
    }
  }
  if (m.from() != nullptr) n += m.from()->tag().size();
  if (m.to() != nullptr) n += m.to()->tag().size();
  if (const HeaderField* h = m.header(HeaderId::kAuthorization)) {
    Credentials c;
    if (parseCredentials(h->value, &c)) n += c.param("nonce").value_or("").size();
  }
  std::string decoded;
  appendUnescaped(m.requestUri().user, decoded);
  if (m.from() != nullptr) appendUnquoted(m.from()->displayName, decoded);
  return n + decoded.size();
}

void editAndReparse(const Message& m, std::string& out) {
  MessageEditor editor(m);
  editor.prependVia("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKfuzz");
  editor.removeTopRoute();
  editor.setMaxForwards(69);
  editor.prependRecordRoute("<sip:192.0.2.1;lr>");
  if (m.isRequest()) editor.setRequestUri("sip:fuzz@192.0.2.2:5070;transport=udp");
  editor.setHeader("X-Fuzz", "1");
  editor.removeHeader("Subject");
  out.clear();
  editor.serialize(out);
  if (!m.ok()) return;
  Message again;
  const ParseResult& r = again.parse(out);
  // Only the added lines can push a message over the limits.
  check(r.ok() || r.reason == "Bad Request - Too Many Headers");
  if (r.ok()) {
    check(again.result().consumed == out.size());
    check(again.body() == m.body());
  }

  if (m.isResponse()) {
    MessageEditor pop(m);
    pop.removeTopVia();
    out.clear();
    pop.serialize(out);
    check(again.parse(out).ok());
    check(again.vias().size() + 1 == m.vias().size() || m.vias().empty());
  }
}

void answer(const Message& m, std::string& out) {
  if (!m.isRequest()) return;
  SanityOutcome o = checkRequest(m);
  std::string tags;
  if (o.badExtension) appendUnsupported(m, {}, tags);
  HeaderLine extra[] = {{"Unsupported", tags}};
  ResponseSpec spec;
  spec.code = o.ok() ? 200 : o.status;
  spec.reason = o.ok() ? "OK" : o.reason;
  spec.toTag = "fuzztag";
  spec.headers = extra;
  spec.topViaParams = ";received=192.0.2.9;rport=1234";
  out.clear();
  bool built = buildResponse(m, spec, out);
  check(!m.result().respondable || built);
  if (built && m.ok()) {
    Message resp;
    check(resp.parse(out).ok());
  }
  static const std::string kFinal =
      "SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
      "To: <sip:b@example.com>;tag=9\r\nContent-Length: 0\r\n\r\n";
  static Message final486;
  if (final486.buffer().empty()) final486.parse(kFinal);
  out.clear();
  if (buildAckForNon2xx(m, final486, out) && m.ok()) {
    Message ack;
    check(ack.parse(out).ok());
  }
  out.clear();
  if (buildCancel(m, out) && m.ok()) {
    Message cancel;
    check(cancel.parse(out).ok());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // Reused across inputs, as a worker reuses them across datagrams.
  static Message msg;
  static std::string out;

  const ParseResult& r = msg.parse(in);
  check(r.consumed <= size);
  check(msg.buffer().size() == r.consumed);
  check(r.ok() || r.status >= 400);
  check(!r.drop || !r.ok());
  volatile size_t sink = touch(msg);
  (void)sink;
  editAndReparse(msg, out);
  answer(msg, out);

  FrameResult f = frame(in, 8192, 65536);
  check(f.skip <= size);
  if (f.complete()) {
    check(f.skip + f.length <= size);
    Message framed;
    framed.parse(in.substr(f.skip, f.length));
    check(framed.result().consumed <= f.length);
  }

  // The same bytes as a lone URI and as a name-addr (the URI seed corpus feeds these).
  Uri u;
  if (parseUri(in, &u)) {
    check(u.text == in);
    sink = u.user.size() + u.host.size() + (u.hasParam("transport") ? 1 : 0);
  }
  NameAddr na;
  if (parseNameAddr(in, &na)) sink = na.uri.text.size() + na.tag().size();
  return 0;
}
