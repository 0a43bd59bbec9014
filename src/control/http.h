// HTTP/1.1 message model for the control endpoint: an incremental request parser with size
// limits, and the response serializer. No I/O here (http_server.h owns the sockets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::control {

struct HttpLimits {
  size_t maxHeaderBytes = size_t{16} << 10;  // request line + headers + blank line; beyond it: 431
  size_t maxBodyBytes = size_t{1} << 20;     // Content-Length above it: 413
  size_t maxConnections = 128;               // further connections are accepted and closed at once
  uint32_t idleTimeoutMs = 60'000;           // a keep-alive connection with no request is closed
  uint32_t requestTimeoutMs = 10'000;  // a request must arrive whole this soon after it starts
};

struct HttpRequest {
  std::string method;    // case-sensitive, as sent ("GET", "POST")
  std::string target;    // as sent, e.g. "/metrics?x=1"
  std::string path;      // target without the query, absolute-form reduced to its path
  std::string query;     // after '?', without it
  int minorVersion = 1;  // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
  std::string body;
  bool keepAlive = true;  // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive
  bool expectContinue = false;

  // First header with this name (case-insensitive), or nullptr.
  const std::string* header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Allow

  static HttpResponse text(int status, std::string body);
};

// "OK", "Not Found", ...; "Unknown" for codes this server never sends.
std::string_view statusReason(int status);

// Serializes a response. headOnly: the Content-Length of the body, but not the body (HEAD).
// close: adds "Connection: close".
std::string serializeResponse(const HttpResponse& response, bool headOnly, bool close);

// Incremental parser for one connection. Call parse() with every unconsumed byte of the
// connection each time more arrive; it resumes where it stopped instead of rescanning.
// Not thread-safe; one per connection.
class RequestParser {
 public:
  enum class State { kNeedMore, kComplete, kError };

  explicit RequestParser(const HttpLimits& limits) : limits_(limits) {}

  // buf starts at the first byte of the current request. On kComplete, request() holds it and
  // consumed() tells how many bytes of buf it took; call reset() before the next request.
  // On kError, errorStatus()/errorText() say what to answer; the connection cannot be reused.
  State parse(std::string_view buf);
  void reset();

  // True once the head is parsed and the body still incomplete: the point to send
  // "100 Continue" when request().expectContinue.
  bool headComplete() const { return headEnd_ != 0; }
  // True once any byte of the request has been seen.
  bool started() const { return started_; }
  HttpRequest& request() { return request_; }
  size_t consumed() const { return consumed_; }
  int errorStatus() const { return errorStatus_; }
  const std::string& errorText() const { return errorText_; }

 private:
  State fail(int status, std::string text);
  State parseHead(std::string_view head);

  HttpLimits limits_;
  HttpRequest request_;
  bool started_ = false;
  size_t leading_ = 0;    // blank lines before the request line, skipped
  size_t scanned_ = 0;    // bytes of the head already searched for its end
  size_t lineStart_ = 0;  // start of the line being scanned
  size_t headEnd_ = 0;    // offset of the body; 0 while the head is incomplete
  size_t contentLength_ = 0;
  size_t consumed_ = 0;
  int errorStatus_ = 0;
  std::string errorText_;
};

}  // namespace tandem::control
