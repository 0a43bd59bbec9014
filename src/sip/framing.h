// Cutting SIP messages out of a byte stream (TCP, TLS): RFC 3261 §18.3 framing by end of headers
// plus Content-Length, with the CRLF keep-alives of RFC 5626 §3.5.1 skipped.
#pragma once

#include <cstddef>
#include <string_view>

namespace tandem::sip {

struct FrameResult {
  enum class Kind { kNeedMore, kComplete, kError };
  Kind kind = Kind::kNeedMore;
  // Leading CRLF bytes (keep-alives, §7.5) to discard before the message; valid for every kind.
  size_t skip = 0;
  // kComplete: the message is stream.substr(skip, length), to be handed to Message::parse().
  size_t length = 0;
  // A double-CRLF keep-alive ping was among the skipped bytes: answer it with a single CRLF pong.
  bool ping = false;
  // kError: why the stream cannot be framed; the connection should be closed. Static text.
  std::string_view error;

  bool complete() const { return kind == Kind::kComplete; }
};

// Looks for one message at the start of stream. Never reads beyond stream, allocates nothing.
// kNeedMore when the headers or the body are not all there yet; kError when the header section
// exceeds maxHeaderBytes, Content-Length is missing (mandatory on streams, §18.3), malformed,
// given twice with different values, or exceeds maxBodyBytes.
FrameResult frame(std::string_view stream, size_t maxHeaderBytes, size_t maxBodyBytes);

}  // namespace tandem::sip
