// SPDX-License-Identifier: MIT
// struct tcp_info as the newest kernel we know lays it out (6.18: 280 bytes).
//
// Debian 12's <linux/tcp.h> stops at 232 bytes, so this project keeps its own copy. The kernel
// sends sizeof(its struct) bytes: copy min(sent, sizeof(TcpInfo)) into a zeroed TcpInfo and keep
// the length sent (SocketRecord::tcp_info_len). A field is present only when
// offset + size <= that length; absent fields must be reported as absent, not as 0
// (tcp_info_has). Bitfields are kept as raw bytes with accessors, so the layout does not depend
// on the compiler's bitfield order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcpscope::model {

struct TcpInfo {
  uint8_t state;
  uint8_t ca_state;
  uint8_t retransmits;
  uint8_t probes;
  uint8_t backoff;
  uint8_t options;
  uint8_t wscale;  // low nibble snd_wscale, high nibble rcv_wscale
  uint8_t flags;   // bit 0 delivery_rate_app_limited, bits 1-2 fastopen_client_fail

  uint32_t rto;
  uint32_t ato;
  uint32_t snd_mss;
  uint32_t rcv_mss;

  uint32_t unacked;  // LISTEN: accept-queue length
  uint32_t sacked;   // LISTEN: accept-queue limit
  uint32_t lost;
  uint32_t retrans;
  uint32_t fackets;

  uint32_t last_data_sent;
  uint32_t last_ack_sent;
  uint32_t last_data_recv;
  uint32_t last_ack_recv;

  uint32_t pmtu;
  uint32_t rcv_ssthresh;
  uint32_t rtt;
  uint32_t rttvar;
  uint32_t snd_ssthresh;
  uint32_t snd_cwnd;
  uint32_t advmss;
  uint32_t reordering;

  uint32_t rcv_rtt;
  uint32_t rcv_space;

  uint32_t total_retrans;

  uint64_t pacing_rate;
  uint64_t max_pacing_rate;
  uint64_t bytes_acked;     // 4.1
  uint64_t bytes_received;  // 4.1
  uint32_t segs_out;        // 4.2
  uint32_t segs_in;         // 4.2

  uint32_t notsent_bytes;  // 4.6
  uint32_t min_rtt;        // 4.6
  uint32_t data_segs_in;   // 4.6
  uint32_t data_segs_out;  // 4.6

  uint64_t delivery_rate;  // 4.9

  uint64_t busy_time;       // 4.10
  uint64_t rwnd_limited;    // 4.10
  uint64_t sndbuf_limited;  // 4.10

  uint32_t delivered;     // 4.18
  uint32_t delivered_ce;  // 4.18

  uint64_t bytes_sent;     // 4.19
  uint64_t bytes_retrans;  // 4.19
  uint32_t dsack_dups;     // 4.19
  uint32_t reord_seen;     // 4.19

  uint32_t rcv_ooopack;  // 5.4
  uint32_t snd_wnd;      // 5.4

  uint32_t rcv_wnd;  // 6.2
  uint32_t rehash;   // 6.2

  uint16_t total_rto;             // 6.7
  uint16_t total_rto_recoveries;  // 6.7
  uint32_t total_rto_time;        // 6.7, milliseconds

  uint32_t received_ce;         // 6.18
  uint32_t delivered_e1_bytes;  // 6.18
  uint32_t delivered_e0_bytes;  // 6.18
  uint32_t delivered_ce_bytes;  // 6.18
  uint32_t received_e1_bytes;   // 6.18
  uint32_t received_e0_bytes;   // 6.18
  uint32_t received_ce_bytes;   // 6.18
  uint16_t accecn_fail_mode;    // 6.18 layout; 7.0 redefines these 4 bytes
  uint16_t accecn_opt_seen;     // 6.18 layout

  uint8_t snd_wscale() const { return wscale & 0x0f; }
  uint8_t rcv_wscale() const { return static_cast<uint8_t>(wscale >> 4); }
  bool delivery_rate_app_limited() const { return (flags & 1) != 0; }
  uint8_t fastopen_client_fail() const { return static_cast<uint8_t>((flags >> 1) & 3); }
};

static_assert(sizeof(TcpInfo) == 280, "TcpInfo must match the 6.18 kernel layout");
static_assert(offsetof(TcpInfo, rto) == 8);
static_assert(offsetof(TcpInfo, total_retrans) == 100);
static_assert(offsetof(TcpInfo, pacing_rate) == 104);
static_assert(offsetof(TcpInfo, segs_out) == 136);
static_assert(offsetof(TcpInfo, delivery_rate) == 160);
static_assert(offsetof(TcpInfo, delivered) == 192);
static_assert(offsetof(TcpInfo, bytes_sent) == 200);
static_assert(offsetof(TcpInfo, rcv_ooopack) == 224);
static_assert(offsetof(TcpInfo, rcv_wnd) == 232);
static_assert(offsetof(TcpInfo, total_rto) == 240);
static_assert(offsetof(TcpInfo, total_rto_time) == 244);
static_assert(offsetof(TcpInfo, received_ce) == 248);
static_assert(offsetof(TcpInfo, accecn_fail_mode) == 276);

// True when a tcp_info of `len` bytes contains the field [offset, offset + size).
constexpr bool tcp_info_has(uint16_t len, size_t offset, size_t size) {
  return offset + size <= len;
}
#define TCPSCOPE_TCPI_HAS(len, field)                                                 \
  ::tcpscope::model::tcp_info_has((len), offsetof(::tcpscope::model::TcpInfo, field), \
                                  sizeof(::tcpscope::model::TcpInfo::field))

// Bits of TcpInfo::options.
inline constexpr uint8_t kTcpiOptTimestamps = 1;
inline constexpr uint8_t kTcpiOptSack = 2;
inline constexpr uint8_t kTcpiOptWscale = 4;
inline constexpr uint8_t kTcpiOptEcn = 8;
inline constexpr uint8_t kTcpiOptEcnSeen = 16;
inline constexpr uint8_t kTcpiOptSynData = 32;
inline constexpr uint8_t kTcpiOptUsecTs = 64;
inline constexpr uint8_t kTcpiOptTfoChild = 128;

}  // namespace tcpscope::model
