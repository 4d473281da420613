// SPDX-License-Identifier: MIT
// Fuzz target: parse_proc_net_line over every line of the input. The first byte picks the file
// kind (tcp, tcp6, udp, udp6), the rest is file content. Any return is fine; crashes, reads past
// the input and sanitizer reports are not.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/socket_record.hpp"
#include "model/tcp_state.hpp"
#include "procfs/proc_net.hpp"
#include "procfs/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t kind = data[0];
  const uint8_t family = (kind & 1) ? AF_INET6 : AF_INET;
  const uint8_t protocol = (kind & 2) ? IPPROTO_UDP : IPPROTO_TCP;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string_view line;
  tcpscope::model::SocketRecord rec;
  while (tcpscope::procfs::next_line(rest, line)) {
    auto r = tcpscope::procfs::parse_proc_net_line(line, family, protocol, rec);
    if (r && *r) {
      // A parsed record must be self-consistent.
      if (rec.family != family || rec.protocol != protocol) __builtin_trap();
      if (rec.state == 0 || rec.state >= tcpscope::model::kStateCount) __builtin_trap();
      if (rec.tcp_info_len > sizeof(tcpscope::model::TcpInfo)) __builtin_trap();
    }
  }
  return 0;
}
