// Socket address parsing and formatting, numeric only: name resolution is never done on the
// packet path.
#include "core/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "core/hash.h"

namespace tandem {

std::string_view transportName(Transport t) { return t == Transport::kUdp ? "udp" : "tcp"; }
std::string_view transportViaName(Transport t) { return t == Transport::kUdp ? "UDP" : "TCP"; }

Result<SocketAddress> SocketAddress::fromHostPort(std::string_view host, uint16_t port) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  char buf[INET6_ADDRSTRLEN + 1];
  if (host.empty() || host.size() >= sizeof(buf)) {
    return Result<SocketAddress>::error("invalid address \"" + std::string(host) + "\"");
  }
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  SocketAddress a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage_);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage_);
  if (inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len_ = sizeof(sockaddr_in6);
    return a;
  }
  return Result<SocketAddress>::error("invalid address \"" + std::string(host) +
                                      "\" (numeric IPv4 or IPv6 expected)");
}

static Result<uint16_t> parsePort(std::string_view p) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 65535) {
    return Result<uint16_t>::error("invalid port \"" + std::string(p) + "\"");
  }
  return static_cast<uint16_t>(v);
}

Result<SocketAddress> SocketAddress::parse(std::string_view text, uint16_t defaultPort) {
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return Result<SocketAddress>::error("unterminated '[' in \"" + std::string(text) + "\"");
    }
    host = text.substr(0, close + 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        return Result<SocketAddress>::error("unexpected text after ']' in \"" + std::string(text) +
                                            "\"");
      }
      port = rest.substr(1);
    }
  } else if (size_t colon = text.rfind(':');
             colon != std::string_view::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  uint16_t portValue = defaultPort;
  if (!port.empty() || (host.size() != text.size() && port.empty())) {
    auto p = parsePort(port);
    if (!p) return p.status();
    portValue = *p;
  }
  return fromHostPort(host, portValue);
}

SocketAddress SocketAddress::fromSockaddr(const ::sockaddr* sa, socklen_t len) {
  SocketAddress a;
  if (len > sizeof(a.storage_)) len = sizeof(a.storage_);
  std::memcpy(&a.storage_, sa, len);
  a.len_ = len;
  return a;
}

uint16_t SocketAddress::port() const {
  if (storage_.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
  }
  if (storage_.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return 0;
}

void SocketAddress::setPort(uint16_t port) {
  if (storage_.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  } else if (storage_.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
  }
}

std::string SocketAddress::hostString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (storage_.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
              sizeof(buf));
  } else if (storage_.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof(buf));
  }
  return buf;
}

std::string SocketAddress::uriHost() const {
  return isV6() ? "[" + hostString() + "]" : hostString();
}

std::string SocketAddress::toString() const { return uriHost() + ":" + std::to_string(port()); }

bool SocketAddress::isAnyAddress() const {
  if (storage_.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr == INADDR_ANY;
  }
  if (storage_.ss_family == AF_INET6) {
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr);
  }
  return false;
}

bool SocketAddress::isBroadcastOrMulticast() const {
  if (storage_.ss_family == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr);
    return a == 0xffffffffu || (a & 0xf0000000u) == 0xe0000000u;
  }
  if (storage_.ss_family == AF_INET6) {
    return reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr.s6_addr[0] == 0xff;
  }
  return false;
}

bool SocketAddress::sameHost(const SocketAddress& o) const {
  if (storage_.ss_family != o.storage_.ss_family) return false;
  if (storage_.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&o.storage_)->sin_addr.s_addr;
  }
  if (storage_.ss_family == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(&o.storage_)->sin6_addr, 16) == 0;
  }
  return false;
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  return sameHost(o) && port() == o.port();
}

size_t SocketAddress::hash() const {
  // FNV-1a over the address bytes and port: stable and cheap.
  auto bytes = [](const void* p, size_t n) {
    return std::string_view(static_cast<const char*>(p), n);
  };
  uint64_t h = kFnv1aOffset;
  if (storage_.ss_family == AF_INET) {
    h = fnv1a64(bytes(&reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, 4), h);
  } else if (storage_.ss_family == AF_INET6) {
    h = fnv1a64(bytes(&reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, 16), h);
  }
  uint16_t p = port();
  return fnv1a64(bytes(&p, sizeof(p)), h);
}

Result<Cidr> Cidr::parse(std::string_view text) {
  std::string_view addr = text;
  int bits = -1;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view b = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (b.empty() || ec != std::errc() || end != b.data() + b.size() || bits < 0) {
      return Result<Cidr>::error("invalid prefix length in \"" + std::string(text) + "\"");
    }
  }
  auto a = SocketAddress::fromHostPort(addr, 0);
  if (!a) return a.status();
  int maxBits = a->isV6() ? 128 : 32;
  if (bits < 0) bits = maxBits;
  if (bits > maxBits) {
    return Result<Cidr>::error("prefix length " + std::to_string(bits) + " too long in \"" +
                               std::string(text) + "\"");
  }
  Cidr c;
  c.base_ = *a;
  c.bits_ = bits;
  return c;
}

bool Cidr::contains(const SocketAddress& a) const {
  if (a.isV6() != base_.isV6()) return false;
  const unsigned char* x;
  const unsigned char* y;
  if (a.isV6()) {
    x = reinterpret_cast<const sockaddr_in6*>(a.sockaddr())->sin6_addr.s6_addr;
    y = reinterpret_cast<const sockaddr_in6*>(base_.sockaddr())->sin6_addr.s6_addr;
  } else {
    x = reinterpret_cast<const unsigned char*>(
        &reinterpret_cast<const sockaddr_in*>(a.sockaddr())->sin_addr.s_addr);
    y = reinterpret_cast<const unsigned char*>(
        &reinterpret_cast<const sockaddr_in*>(base_.sockaddr())->sin_addr.s_addr);
  }
  int full = bits_ / 8;
  if (std::memcmp(x, y, full) != 0) return false;
  int rem = bits_ % 8;
  if (rem == 0) return true;
  unsigned char mask = static_cast<unsigned char>(0xff << (8 - rem));
  return (x[full] & mask) == (y[full] & mask);
}

Result<ListenSpec> ListenSpec::parse(std::string_view text) {
  ListenSpec s;
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Result<ListenSpec>::error("listen address \"" + std::string(text) +
                                     "\" must look like udp:IP:PORT or tcp:IP:PORT");
  }
  std::string_view proto = text.substr(0, colon);
  if (proto == "udp") {
    s.transport = Transport::kUdp;
  } else if (proto == "tcp") {
    s.transport = Transport::kTcp;
  } else {
    return Result<ListenSpec>::error("unknown transport \"" + std::string(proto) +
                                     "\" (udp or tcp)");
  }
  auto a = SocketAddress::parse(text.substr(colon + 1));
  if (!a) return a.status();
  s.address = *a;
  return s;
}

std::string ListenSpec::toString() const {
  return std::string(transportName(transport)) + ":" + address.toString();
}

}  // namespace tandem
