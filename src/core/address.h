// Socket addresses (IPv4 and IPv6) and listen specs such as "udp:127.0.0.1:5060" or
// "tcp:[::1]:5060". Plain values, cheap to copy; parsing returns errors as values.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tandem {

enum class Transport : uint8_t { kUdp, kTcp };
std::string_view transportName(Transport t);     // "udp" / "tcp"
std::string_view transportViaName(Transport t);  // "UDP" / "TCP"

class SocketAddress {
 public:
  SocketAddress() = default;
  // Parses a numeric "IPv4:port", "[IPv6]:port", or a bare address with defaultPort.
  static Result<SocketAddress> parse(std::string_view text, uint16_t defaultPort = 5060);
  // Parses a numeric host (IPv4 or IPv6, brackets optional) and a port.
  static Result<SocketAddress> fromHostPort(std::string_view host, uint16_t port);
  static SocketAddress fromSockaddr(const ::sockaddr* sa, socklen_t len);

  bool valid() const { return len_ != 0; }
  bool isV6() const { return storage_.ss_family == AF_INET6; }
  uint16_t port() const;
  void setPort(uint16_t port);
  const ::sockaddr* sockaddr() const { return reinterpret_cast<const ::sockaddr*>(&storage_); }
  ::sockaddr* mutableSockaddr() { return reinterpret_cast<::sockaddr*>(&storage_); }
  socklen_t length() const { return len_; }
  void setLength(socklen_t len) { len_ = len; }

  // "127.0.0.1" or "::1" (no brackets).
  std::string hostString() const;
  // "127.0.0.1:5060" or "[::1]:5060".
  std::string toString() const;
  // Host as it goes into a SIP URI or Via: IPv6 in brackets.
  std::string uriHost() const;
  bool isAnyAddress() const;
  // 255.255.255.255, 224.0.0.0/4 or ff00::/8: never a destination for a reply.
  bool isBroadcastOrMulticast() const;

  bool sameHost(const SocketAddress& o) const;
  bool operator==(const SocketAddress& o) const;
  size_t hash() const;

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

struct SocketAddressHash {
  size_t operator()(const SocketAddress& a) const { return a.hash(); }
};

// An address block such as "10.0.0.0/8" or "::1/128" (a bare address is a /32 or /128).
class Cidr {
 public:
  static Result<Cidr> parse(std::string_view text);
  bool contains(const SocketAddress& a) const;

 private:
  SocketAddress base_;
  int bits_ = 0;
};

struct ListenSpec {
  Transport transport = Transport::kUdp;
  SocketAddress address;
  // "udp:127.0.0.1:5060", "tcp:[::1]:5061"; the port defaults to 5060.
  static Result<ListenSpec> parse(std::string_view text);
  std::string toString() const;
};

}  // namespace tandem
