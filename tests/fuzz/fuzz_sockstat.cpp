// SPDX-License-Identifier: MIT
// Fuzz target: parse_sockstat, and the sysctl value parsers, over arbitrary content.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/sockstat.hpp"
#include "procfs/sysctl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  tcpscope::procfs::SockStat s;
  (void)tcpscope::procfs::parse_sockstat(content, s);
  (void)tcpscope::procfs::parse_sysctl_int(content);
  std::array<int64_t, 3> three{};
  (void)tcpscope::procfs::parse_sysctl_ints(content, three);
  return 0;
}
