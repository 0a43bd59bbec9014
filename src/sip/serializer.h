// Building outgoing messages from parsed ones: a MessageEditor that rewrites only what changed and
// copies every untouched byte range as is (proxy forwarding, RFC 3261 §16.6 / §16.7), and the
// messages an element originates from a request: responses (§8.2.6), the ACK for a non-2xx final
// response (§17.1.1.3) and CANCEL (§9.1).
//
// Output goes into a caller-owned std::string that is appended to, never cleared here: a caller
// that clears and reuses one string per worker allocates nothing in steady state.
// Lifetime: the editor keeps a pointer to the Message and the string_views given to its setters;
// both must stay valid until the last serialize() call. Thread-safety: none.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.h"

namespace tandem::sip {

// A header to add: emitted as "name: value\r\n". Both views must outlive the call using it.
struct HeaderLine {
  std::string_view name;
  std::string_view value;
};

class MessageEditor {
 public:
  MessageEditor();
  explicit MessageEditor(const Message& msg) : MessageEditor() { reset(msg); }

  // Drops every pending edit and starts over on msg; keeps capacity.
  // REQUIRES: msg outlives this editor's use of it (and so does its buffer), and msg is not
  // parsed again before the last serialize().
  void reset(const Message& msg);

  // Each edit returns false when it does not apply (nothing to remove, a header the editor
  // manages itself, too many edits); the message is then left as it was for that edit.

  // Adds a Via above the message's topmost one. Called twice, the second ends up on top.
  bool prependVia(std::string_view value);
  // Removes the topmost remaining Via value of the parsed message (forwarding a response). When
  // the line carries several values only the first goes. Does not see prepended Vias.
  bool removeTopVia();
  // Removes the topmost remaining Route value, the same way (loose routing, §16.4).
  bool removeTopRoute();
  // REQUIRES: the message is a request.
  bool setRequestUri(std::string_view uri);
  // Replaces the value of Max-Forwards, or adds the header when absent.
  bool setMaxForwards(uint32_t value);
  // Adds a Record-Route above the topmost one (after the Via block when there is none).
  bool prependRecordRoute(std::string_view value);
  // Replaces every line of that header by one "name: value" line at the first one's place, or
  // appends it. Names match any case and compact forms. Content-Length is refused: it is kept
  // right by serialize() itself.
  bool setHeader(std::string_view name, std::string_view value);
  // Appends "name: value" after the last header. Content-Length is refused.
  bool addHeader(std::string_view name, std::string_view value);
  // Removes every line of that header. Content-Length is refused.
  bool removeHeader(std::string_view name);
  // Replaces the body; Content-Length follows. Content-Type is the caller's business.
  void setBody(std::string_view body);

  // Appends the edited message to out. Content-Length always matches the body; it is added when
  // the original had none (a datagram may omit it, a stream may not).
  void serialize(std::string& out) const;

 private:
  enum class LineKind : uint8_t { kKeep, kRemove, kReplace, kCut, kMaxForwards };
  struct LineEdit {
    LineKind kind = LineKind::kKeep;
    size_t cut = 0;  // kCut: buffer offset where the kept part of the value starts
    std::string_view value;
  };
  struct Insert {
    size_t before;  // header line index; kAtEnd after the last one
    bool prepend;
    bool maxForwards;
    std::string_view name;
    std::string_view value;
  };
  static constexpr size_t kAtEnd = ~size_t{0};
  static constexpr size_t kMaxInserts = 32;

  bool insert(size_t before, bool prepend, std::string_view name, std::string_view value,
              bool maxForwards = false);
  size_t lineCount() const;
  bool matchesName(size_t line, HeaderId id, std::string_view name) const;
  // Removes one list value living on header line `line`: the whole line when it is the last
  // value there, else the bytes up to nextStart (the following value on the same line).
  void removeListValue(uint16_t line, bool lastOnLine, size_t nextStart);
  void emitInserts(size_t before, std::string& out) const;
  void emitInsert(const Insert& ins, std::string& out) const;

  const Message* msg_ = nullptr;
  std::vector<LineEdit> lines_;
  std::vector<Insert> inserts_;
  size_t viasRemoved_ = 0;
  size_t routesRemoved_ = 0;
  std::string_view requestUri_;
  bool hasRequestUri_ = false;
  std::string_view body_;
  bool hasBody_ = false;
  uint32_t maxForwards_ = 0;
};

struct ResponseSpec {
  int code = 200;           // REQUIRES: 100..699
  std::string_view reason;  // "OK", "Bad Request - Malformed Via"
  // Added as ";tag=" to To when To has none and code > 100 (RFC 3261 §8.2.6.2).
  std::string_view toTag;
  std::span<const HeaderLine> headers;  // extra headers, emitted after CSeq in order
  // Appended to the top Via value, e.g. ";received=192.0.2.1;rport=5060" (§18.2.1, RFC 3581).
  std::string_view topViaParams;
  std::string_view body;         // Content-Length follows it; empty means none
  std::string_view contentType;  // emitted when non-empty
};

// Builds a response to req: status line, every Via line in order, From, To (tagged as above),
// Call-ID, CSeq, the extra headers, Content-Length. Header lines are copied byte for byte, so a
// request that failed parse() can be answered as long as ParseResult::respondable. Returns false
// (out untouched) when req is not a request or lacks Via, From, To, Call-ID or CSeq.
bool buildResponse(const Message& req, const ResponseSpec& spec, std::string& out);
bool buildResponse(const Message& req, int code, std::string_view reason, std::string_view toTag,
                   std::span<const HeaderLine> extra, std::string& out);
bool buildResponse(const Message& req, int code, std::string_view reason, std::string_view toTag,
                   std::initializer_list<HeaderLine> extra, std::string& out);

// The ACK a client transaction sends for a non-2xx final response to an INVITE (§17.1.1.3):
// the INVITE's Request-URI, its top Via only, its Route headers, From and Call-ID, the
// response's To, CSeq with the INVITE's number and method ACK. Returns false (out untouched) when
// invite is not a parsed INVITE with Via, From, Call-ID and CSeq, or response has no To.
bool buildAckForNon2xx(const Message& invite, const Message& response, std::string& out);

// CANCEL for a pending INVITE (§9.1): same Request-URI, top Via only, Route, From, To, Call-ID,
// CSeq number with method CANCEL. Same failure rule as buildAckForNon2xx.
bool buildCancel(const Message& invite, std::string& out);

}  // namespace tandem::sip
