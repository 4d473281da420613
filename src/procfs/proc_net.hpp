// SPDX-License-Identifier: MIT
// Parser of one line of /proc/net/{tcp,tcp6,udp,udp6,raw,raw6} into a SocketRecord (the /proc
// fallback of ss, reference: ; kernel: get_tcp4_sock, get_openreq4, get_timewait4_sock,
// get_tcp6_sock, udp4_format_sock, ip6_dgram_sock_seq_show).
//
// Pure and allocation-free on success. Column by column:
//   sl  local rem  st  tx_queue:rx_queue  tr:tm->when  retrnsmt  uid  timeout  inode  ref  pointer
//   then, TCP full sockets only: rto ato (quick<<1|pingpong) cwnd ssthresh   (clock ticks)
//   then, UDP only: drops
// Request sockets (st 03 without the TCP tail) and TIME-WAIT sockets stop after `pointer`.
//
// What lands where (semantics follow inet_diag so records from both sources compare):
//   rqueue/wqueue   rx_queue / tx_queue -- note /proc prints tx_queue first. For LISTEN rx_queue is
//                   the accept-queue length and /proc has no backlog: wqueue is 0 (ss shows 0 too).
//   retrans         "retrnsmt" (icsk_retransmits), except for timers 2 (keepalive) and 4 (zero
//                   window probe) where inet_diag reports icsk_probes_out, /proc's "timeout".
//   expires_ms      tm->when is in USER_HZ clock ticks (100 per second): x 10 ms.
//   cookie          the kernel pointer column (%pK: hashed, or 0 under kptr_restrict); `ss -e`
//                   prints it as sk: in /proc mode. It is not the sock_diag cookie.
//   tcp_info        TCP full sockets only (attr kAttrInfo, tcp_info_len = kProcTcpInfoLen):
//                   state, retransmits, probes, rto and ato (ticks -> microseconds), snd_cwnd,
//                   snd_ssthresh (-1 = still in initial slow start -> 0x7fffffff, the kernel's
//                   TCP_INFINITE_SSTHRESH, as tcp_info reports it; listeners print the fastopen
//                   queue limit there instead, so they get 0x7fffffff too) and, for LISTEN,
//                   unacked = accept-queue length (as tcp_get_info does).
// Not kept: the sl/bucket number, the reference count, (quick<<1|pingpong) and UDP drops.
//
// tcp_info_len choice: the record has one length, but /proc fills a sparse set of fields. The
// length covers the last field /proc has (snd_cwnd, 84 bytes), so offsets up to there are
// "present" by tcp_info_has(); fields in between (snd_mss, rtt, pmtu, ...) are zero, not known.
// Which fields a /proc record really has is the catalog's `proc` column
// (model/tcp_info_fields.hpp); consumers ask model::tcpi_present().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/result.hpp"
#include "model/socket_record.hpp"
#include "model/tcp_info.hpp"

namespace tcpscope::procfs {

// Clock ticks per second of /proc's time columns (USER_HZ; 100 on every architecture Linux
// builds tcpscope for -- sysconf(_SC_CLK_TCK) returns the same constant).
inline constexpr uint32_t kUserHz = 100;

inline constexpr uint16_t kProcTcpInfoLen =
    static_cast<uint16_t>(offsetof(model::TcpInfo, snd_cwnd) + sizeof(model::TcpInfo::snd_cwnd));

// Parses one line of a /proc/net/{tcp,tcp6,udp,udp6,raw,raw6} file. `family` is AF_INET or AF_INET6
// and `protocol` IPPROTO_TCP, IPPROTO_UDP or IPPROTO_RAW (which file the line came from). Returns
// false, leaving `out` reset, for the header line and for blank lines; true with `out` filled for a
// socket line; a kMalformed error naming the problem and quoting the line otherwise (`out` is then
// partly filled and must not be used). Trailing columns beyond the known ones are ignored (newer
// kernels may append).
Result<bool> parse_proc_net_line(std::string_view line, uint8_t family, uint8_t protocol,
                                 model::SocketRecord& out);

}  // namespace tcpscope::procfs
