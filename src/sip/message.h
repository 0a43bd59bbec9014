// The SIP message model and its zero-copy parser (RFC 3261 §7, §20, §25). A Message is a set of
// views into the caller's receive buffer plus the few decoded fields routing needs.
//
// Lifetime: Message::parse() does not copy the buffer. The buffer MUST outlive the Message (or
// the next parse()/clear()); every string_view the Message hands out points into it.
// Allocation: none per header. Header and value tables are vectors whose capacity survives
// clear() and parse(), so a Message reused for every datagram allocates nothing in steady state.
// Untrusted input: parse() never asserts, never reads outside the buffer, and answers every
// malformed input with a ParseResult.
// Thread-safety: none; one Message per worker.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "sip/header_id.h"
#include "sip/method.h"
#include "sip/uri.h"

namespace tandem::sip {

// Limits that keep a hostile message from costing more than a sane one.
inline constexpr size_t kMaxHeaders = 128;     // header lines; beyond: 400
inline constexpr size_t kMaxListEntries = 64;  // Via / Route / Record-Route / Contact values

// What parse() concluded. For a request that failed, status/reason is the response to send
// (400 with a precise reason, 505 for a SIP version other than 2.0) when respondable is true;
// otherwise the request is dropped. A response that failed is always dropped (drop is true);
// its status/reason then only say why, for the drop counters.
struct ParseResult {
  int status = 0;           // 0 when the message parsed; otherwise the SIP status to answer
  std::string_view reason;  // static text, e.g. "Bad Request - Malformed Via"
  // Requests: the top Via parsed and From, To, Call-ID and CSeq are present and non-empty, so a
  // response can be built by copying them byte for byte (buildResponse), even when one of them
  // is itself malformed (RFC 4475 quotbal). Also true for good requests; never for responses.
  bool respondable = false;
  bool drop = false;  // the message must be discarded without an answer (bad responses, garbage)
  // Bytes that belong to this message: end of headers + Content-Length (or the whole buffer
  // when Content-Length is absent). Trailing datagram bytes are not part of it (RFC 4475 dblreq).
  size_t consumed = 0;

  bool ok() const { return status == 0; }
};

// One header line as received (folded continuation lines included).
struct HeaderField {
  HeaderId id = HeaderId::kUnknown;
  std::string_view name;   // as received: "v", "ViA", "NewFangledHeader"
  std::string_view value;  // trimmed of surrounding LWS; folding inside is kept as received
  std::string_view raw;    // the whole field from the name through its final CRLF
};

// One via-parm (RFC 3261 §20.42).
struct Via {
  std::string_view text;             // this value as received, without surrounding LWS
  std::string_view protocolName;     // "SIP"
  std::string_view protocolVersion;  // "2.0"
  std::string_view transport;        // "UDP", "TCP", "TLS", "SCTP", "WS", ... as received
  std::string_view host;             // sent-by host; IPv6 references keep their brackets
  uint16_t port = 0;                 // 0 when absent
  bool hasPort = false;
  Params params;
  std::string_view branch;    // empty when absent
  std::string_view received;  // empty when absent
  std::string_view maddr;     // empty when absent
  std::string_view ttl;       // empty when absent
  std::string_view rport;     // the value; empty for a bare ";rport" or when absent
  bool hasRport = false;
  uint16_t line = 0;  // index in Message::headers() of the Via header field holding this value

  // RFC 3261 §8.1.1.7 magic cookie followed by something unique (RFC 4475 badbranch: a branch
  // of exactly "z9hG4bK" does not qualify).
  bool isRfc3261Branch() const { return branch.size() > 7 && branch.substr(0, 7) == "z9hG4bK"; }
};

struct CSeq {
  uint32_t number = 0;  // < 2^31 (RFC 3261 §8.1.1.5)
  Method method = Method::kUnknown;
  std::string_view methodToken;
};

class Message;

// Iterates over every value of one header: each header line with that name, split at the list
// commas for list headers (isListHeader), trimmed; empty list elements are skipped.
// Lifetime: the range and its iterators view the Message and the name given; both must outlive
// them (iterators do not point into the range object, so they may outlive it).
class HeaderValues {
 public:
  // Which lines belong to the range.
  struct Selector {
    const Message* msg = nullptr;
    HeaderId id = HeaderId::kUnknown;
    std::string_view name;  // used when id is kUnknown
    bool matches(const HeaderField& h) const;
  };

  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = const std::string_view*;
    using reference = std::string_view;

    Iterator() = default;
    Iterator(const Selector& sel, size_t line);
    std::string_view operator*() const { return cur_; }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator& o) const { return line_ == o.line_ && pos_ == o.pos_; }
    bool operator!=(const Iterator& o) const { return !(*this == o); }

   private:
    void seekLine(size_t line);
    void take();
    Selector sel_;
    size_t line_ = 0;
    size_t pos_ = 0;
    std::string_view cur_;
  };

  HeaderValues(const Message* msg, HeaderId id, std::string_view name) : sel_{msg, id, name} {}
  Iterator begin() const;
  Iterator end() const;
  bool empty() const { return begin() == end(); }
  size_t size() const;

 private:
  Selector sel_;
};

class Message {
 public:
  Message();

  // Parses one complete message: a UDP datagram, or a frame cut by frame() on a stream. Any
  // previous content is forgotten. Leading CRLFs are skipped (RFC 3261 §7.5). Bytes after the
  // message (beyond result().consumed) are ignored. A header section that simply ends with the
  // buffer (no empty line) is accepted: the datagram boundary ends it. Never fails hard: see
  // ParseResult. REQUIRES: buffer outlives this Message.
  const ParseResult& parse(std::string_view buffer);
  // Forgets the content, keeps the capacity.
  void clear();

  const ParseResult& result() const { return result_; }
  bool ok() const { return result_.ok(); }
  bool isRequest() const { return isRequest_; }
  bool isResponse() const { return !isRequest_; }
  std::string_view buffer() const { return buf_; }  // the consumed bytes

  // Request line. method() is kUnknown for extension methods; methodToken() always holds it.
  Method method() const { return method_; }
  std::string_view methodToken() const { return methodToken_; }
  std::string_view requestUriText() const { return requestUriText_; }
  const Uri& requestUri() const { return requestUri_; }
  std::string_view version() const { return version_; }
  std::string_view startLine() const { return startLine_; }  // without CRLF

  // Status line.
  int statusCode() const { return statusCode_; }
  std::string_view reasonPhrase() const { return reasonPhrase_; }

  // All header lines in order.
  std::span<const HeaderField> headers() const { return headers_; }
  // First header line with that id / name (name: any case, long or compact); nullptr if none.
  const HeaderField* header(HeaderId id) const;
  const HeaderField* header(std::string_view name) const;
  // Number of header lines with that id (not values: "Via: a, b" is one line).
  size_t headerCount(HeaderId id) const { return count_[static_cast<size_t>(id)]; }
  // First value of a header (the first list element for list headers); nullopt when absent.
  std::optional<std::string_view> headerValue(HeaderId id) const;
  std::optional<std::string_view> headerValue(std::string_view name) const;
  // All values, in order.
  HeaderValues values(HeaderId id) const { return HeaderValues(this, id, headerName(id)); }
  HeaderValues values(std::string_view name) const;

  // Decoded headers. Pointers are nullptr when the header is absent or malformed; when a header
  // appears several times the first wins (checkRequest rejects the duplicates).
  std::span<const Via> vias() const { return vias_; }
  const Via* topVia() const { return vias_.empty() ? nullptr : &vias_[0]; }
  const NameAddr* from() const { return hasFrom_ ? &from_ : nullptr; }
  const NameAddr* to() const { return hasTo_ ? &to_ : nullptr; }
  std::string_view callId() const { return callId_; }  // empty when absent
  const CSeq* cseq() const { return hasCSeq_ ? &cseq_ : nullptr; }
  std::optional<uint32_t> maxForwards() const { return maxForwards_; }
  std::optional<uint32_t> contentLength() const { return contentLength_; }
  std::optional<uint32_t> expires() const { return expires_; }
  std::string_view contentType() const;  // empty when absent
  std::span<const NameAddr> routes() const { return routes_; }
  std::span<const NameAddr> recordRoutes() const { return recordRoutes_; }
  std::span<const NameAddr> contacts() const { return contacts_; }
  bool contactIsStar() const { return contactStar_; }  // "Contact: *" (REGISTER removal)
  HeaderValues proxyRequire() const { return values(HeaderId::kProxyRequire); }
  HeaderValues require() const { return values(HeaderId::kRequire); }
  // True when From / To carried a second comma-separated value on their line.
  bool fromHasSeveralValues() const { return fromMulti_; }
  bool toHasSeveralValues() const { return toMulti_; }

  std::string_view body() const { return body_; }
  // Offset in buffer() where the empty line ending the headers starts (or the buffer end when
  // there is none).
  size_t headersEnd() const { return headersEnd_; }

 private:
  friend class Parser;
  void fail(int status, std::string_view reason);

  // Ordered by alignment to keep the object compact.
  std::string_view buf_;
  ParseResult result_;
  std::string_view methodToken_;
  std::string_view requestUriText_;
  std::string_view version_;
  std::string_view startLine_;
  std::string_view reasonPhrase_;
  std::string_view callId_;
  std::string_view body_;
  size_t headersEnd_ = 0;
  std::vector<HeaderField> headers_;
  std::vector<Via> vias_;
  std::vector<NameAddr> routes_;
  std::vector<NameAddr> recordRoutes_;
  std::vector<NameAddr> contacts_;
  Uri requestUri_;
  NameAddr from_;
  NameAddr to_;
  CSeq cseq_;
  std::optional<uint32_t> maxForwards_;
  std::optional<uint32_t> contentLength_;
  std::optional<uint32_t> expires_;
  int statusCode_ = 0;
  std::array<uint16_t, kHeaderIdCount> first_{};  // index of the first line with that id
  std::array<uint8_t, kHeaderIdCount> count_{};   // lines with that id, saturating
  Method method_ = Method::kUnknown;
  bool isRequest_ = true;
  bool topViaOk_ = false;
  bool hasFrom_ = false;
  bool hasTo_ = false;
  bool fromMulti_ = false;
  bool toMulti_ = false;
  bool hasCSeq_ = false;
  bool contactStar_ = false;
};

}  // namespace tandem::sip
