// What `summary` reads besides the socket dump: /proc/net/sockstat{,6}, Tcp CurrEstab from
// /proc/net/snmp, and the tunables; plus the text and JSON of ss -s.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "procfs/sockstat.hpp"
#include "procfs/sysctl.hpp"

namespace tcpscope::cli {

struct HostState {
  procfs::SockStat sockstat;
  bool has_sockstat = false;
  std::optional<uint64_t> curr_estab;  // Tcp: CurrEstab (ESTABLISHED + CLOSE-WAIT)
  procfs::Tunables tunables;
  uint64_t duplicates = 0;  // repeats dropped from the dumps

  std::optional<uint64_t> orphans_hostwide() const {
    return has_sockstat ? std::optional<uint64_t>(sockstat.tcp_orphan) : std::nullopt;
  }
  std::optional<uint64_t> tcp_mem_pages() const {
    return has_sockstat ? std::optional<uint64_t>(sockstat.tcp_mem) : std::nullopt;
  }
};

Result<HostState> read_host_state(const std::string& proc_root);

void append_sockstat_json(fmt::memory_buffer& b, const HostState& h);
// ss -s's numbers, computed exactly as ss 6.1 does (including its use of host-wide alloc).
void append_ss_summary_json(fmt::memory_buffer& b, const HostState& h);
void append_ss_summary_text(fmt::memory_buffer& b, const HostState& h);

}  // namespace tcpscope::cli
