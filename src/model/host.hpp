// SPDX-License-Identifier: MIT
// Plain data of the host (or network namespace) that is not a socket: /proc/net/sockstat, the
// tunables, and what `summary` and the doctor read together. procfs fills these; render and
// the doctor read them. No I/O here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace tcpscope::model {

// /proc/net/sockstat and sockstat6. Scope matters: inuse, tw and the *6 lines are per network
// namespace; TCP orphan, alloc and mem and UDP mem are host-wide. `mem` values are pages (compare
// with tcp_mem / udp_mem), FRAG memory is bytes.
struct SockStat {
  uint64_t sockets_used = 0;
  uint64_t tcp_inuse = 0;
  uint64_t tcp_orphan = 0;  // host-wide
  uint64_t tcp_tw = 0;
  uint64_t tcp_alloc = 0;  // host-wide
  uint64_t tcp_mem = 0;    // host-wide, pages
  uint64_t udp_inuse = 0;
  uint64_t udp_mem = 0;  // host-wide, pages
  uint64_t udplite_inuse = 0;
  uint64_t raw_inuse = 0;
  uint64_t frag_inuse = 0;
  uint64_t frag_memory = 0;  // bytes
  uint64_t tcp6_inuse = 0;
  uint64_t udp6_inuse = 0;
  uint64_t udplite6_inuse = 0;
  uint64_t raw6_inuse = 0;
  uint64_t frag6_inuse = 0;
  uint64_t frag6_memory = 0;  // bytes
  bool has_ipv6 = false;      // a *6 line was seen (sockstat6 exists only with IPv6)
};

// TCP-related tunables; nullopt when the sysctl does not exist (the global ones inside a child
// network namespace, sysctls newer or older than the running kernel).
struct Tunables {
  std::optional<int64_t> somaxconn;               // net.core.somaxconn
  std::optional<int64_t> tcp_max_syn_backlog;     // net.ipv4.*
  std::optional<int64_t> tcp_syncookies;          // 0 never, 1 when the SYN queue is full, 2 always
  std::optional<int64_t> tcp_max_tw_buckets;      //
  std::optional<int64_t> tcp_max_orphans;         // global: init namespace only
  std::optional<std::array<int64_t, 3>> tcp_mem;  // global: low, pressure, high (pages)
  std::optional<std::array<int64_t, 2>> ip_local_port_range;  // first, last
  std::optional<int64_t> tcp_fin_timeout;                     // seconds
  std::optional<int64_t> tcp_tw_reuse;                        // 0 off, 1 on, 2 loopback only
  std::optional<int64_t> tcp_synack_retries;
  std::optional<int64_t> tcp_syn_retries;
  std::optional<int64_t> tcp_abort_on_overflow;
  std::optional<int64_t> tcp_orphan_retries;  // 0 means 8
  std::optional<int64_t> tcp_retries2;
};

// The value of one tunable of model::tunable_catalog().
struct TunableValue {
  bool present = false;
  std::array<int64_t, 3> ints{};  // the first info.count numbers
  std::string text;               // info.count == 0: the file's content, trimmed
};

// Where the host numbers come from. A replay takes them from the record; a record without them
// (older records, `ss -D` files) leaves them unknown rather than showing this host's.
enum class HostOrigin : uint8_t { kLive, kRecord, kNotRecorded };

struct HostState {
  HostOrigin origin = HostOrigin::kLive;
  SockStat sockstat;
  bool has_sockstat = false;
  std::optional<uint64_t> curr_estab;  // Tcp: CurrEstab (ESTABLISHED + CLOSE-WAIT)
  Tunables tunables;
  uint64_t duplicates = 0;  // repeats dropped from the dumps

  std::optional<uint64_t> orphans_hostwide() const {
    return has_sockstat ? std::optional<uint64_t>(sockstat.tcp_orphan) : std::nullopt;
  }
  std::optional<uint64_t> tcp_mem_pages() const {
    return has_sockstat ? std::optional<uint64_t>(sockstat.tcp_mem) : std::nullopt;
  }
};

// What `ss -s` prints, computed exactly as ss 6.1 does (including its use of host-wide alloc):
// "TCP: alloc+tw (estab CurrEstab, closed alloc-(inuse4+inuse6-tw), orphaned, timewait)".
struct SsSummary {
  uint64_t total, tcp_total, estab, orphaned, timewait;
  int64_t closed;
};
SsSummary ss_summary(const HostState& h);

}  // namespace tcpscope::model
