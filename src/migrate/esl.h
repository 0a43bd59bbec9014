// A small blocking client for FreeSWITCH's inbound event socket (mod_event_socket): connect, auth,
// api commands, exit. The drain watch uses it to count the calls a FreeSWITCH node holds, which
// include calls the edge never saw (originated on the node itself).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace tandem::migrate {

inline constexpr const char* kDefaultEslPassword = "ClueCon";  // FreeSWITCH's shipped default
inline constexpr uint16_t kDefaultEslPort = 8021;

// One event-socket message: "Name: value\n" header lines ended by an empty line, then, when
// there is a Content-Length header, that many bytes of body.
struct EslMessage {
  std::vector<std::pair<std::string, std::string>> headers;  // in order, values trimmed
  std::string body;
  // The first header of that name (case-insensitive); "" when absent.
  std::string header(std::string_view name) const;
};

// Splits a byte stream into messages however the reads cut it. Not thread-safe.
class EslParser {
 public:
  void feed(std::string_view bytes) { buf_.append(bytes); }
  // The next complete message, nullopt while more bytes are needed. Errors (the stream cannot be
  // read further): `header line without ':': "..."`, `bad Content-Length "x"`, and a message
  // larger than kMaxMessage.
  Result<std::optional<EslMessage>> next();
  bool empty() const { return buf_.empty(); }  // no partial message pending

  static constexpr size_t kMaxMessage = size_t{4} << 20;

 private:
  std::string buf_;
};

// HOST:PORT, [V6]:PORT, or HOST alone (port 8021). Error: `invalid FreeSWITCH address "x":
// expected HOST:PORT`.
Result<std::pair<std::string, uint16_t>> parseEslAddress(std::string_view hostPort);

// Reads the body of `show calls count`: "\n3 total.\n" (blank lines and spaces around it are
// allowed). Errors: `unparsable answer to show calls count: "..."`, and the node's own text when
// it answers -ERR (e.g. `-ERR show Command not found!`).
Result<uint32_t> parseCallsCount(std::string_view body);

// One authenticated connection. Blocking; not thread-safe. Every error names the node:
// `FreeSWITCH 10.0.0.1:8021: <what>`.
class EslClient {
 public:
  // Connects and authenticates. timeoutMs bounds each step (connect, auth request, auth reply)
  // and, later, each api call. Errors: `cannot connect: Connection refused` (or the resolver's
  // text), `timed out after 2 s waiting for the auth request`, `authentication refused (-ERR
  // invalid)`, `refused by its ACL (Access Denied, go away.)`, `closed the connection ...`,
  // `unexpected answer ...`.
  static Result<std::unique_ptr<EslClient>> connect(std::string_view hostPort,
                                                    const std::string& password, int timeoutMs);
  // Says exit and closes without waiting for the goodbye: nothing more is needed from the node.
  ~EslClient();
  EslClient(const EslClient&) = delete;
  EslClient& operator=(const EslClient&) = delete;

  // Runs `api COMMAND` and returns the body of its api/response (the node's text, -ERR included:
  // what an -ERR means depends on the command). REQUIRES: command has no newline.
  Result<std::string> api(std::string_view command);

  const std::string& name() const { return name_; }  // HOST:PORT as given

 private:
  EslClient(int fd, std::string name, int timeoutMs)
      : fd_(fd), name_(std::move(name)), timeoutMs_(timeoutMs) {}
  Status send(std::string_view bytes, int64_t deadlineMs);
  // The next message that is not an event or a log line, or an error naming what was awaited.
  Result<EslMessage> receive(std::string_view awaiting, int64_t deadlineMs);
  Status error(const std::string& what) const;

  int fd_;
  std::string name_;
  int timeoutMs_;
  EslParser parser_;
};

// The number of calls on a FreeSWITCH node: connect, auth, `api show calls count`, exit. The entry
// point for callers outside the drain watch (the run engine). Errors as EslClient's, and
// `FreeSWITCH H:P: unparsable answer to show calls count: "..."`.
Result<uint32_t> freeswitchCallCount(const std::string& hostPort, const std::string& password,
                                     int timeoutMs);

}  // namespace tandem::migrate
