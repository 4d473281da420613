// SPDX-License-Identifier: MIT
#include "source/host_resolver.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace tcpscope::source {

std::string_view HostResolver::host(uint8_t family, const std::array<uint8_t, 16>& addr) {
  auto key = std::make_pair(family, addr);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  std::string& slot = cache_[key];

  sockaddr_storage ss{};
  socklen_t len = 0;
  const bool mapped =
      family == AF_INET6 && std::memcmp(addr.data(), "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0;
  if (family == AF_INET || mapped) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, addr.data() + (mapped ? 12 : 0), 4);
    if (sin->sin_addr.s_addr == 0) return slot;
    len = sizeof *sin;
  } else if (family == AF_INET6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, addr.data(), 16);
    if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)) return slot;
    len = sizeof *sin6;
  } else {
    return slot;
  }
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, nullptr, 0,
                    NI_NAMEREQD) == 0) {
    slot = host;
  }
  return slot;
}

}  // namespace tcpscope::source
