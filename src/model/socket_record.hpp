// SPDX-License-Identifier: MIT
// SocketRecord: one socket as any source (netlink, /proc, a recorded dump) reports it.
//
// Fixed size, no heap: sources decode into one reused record and hand it to a visitor, which
// must copy what it wants to keep (the record is overwritten by the next socket). `attrs` says
// which optional parts are present (bit 1 << kAttr*); fields of absent parts are zero and must
// be shown as absent. Ports are in host order; addresses are raw network-order bytes (IPv4 in
// the first 4 bytes).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "model/tcp_info.hpp"

namespace tcpscope::model {

// Attribute numbers, as the kernel's INET_DIAG_* (linux/inet_diag.h); used as bit positions of
// SocketRecord::attrs.
enum Attr : uint8_t {
  kAttrMeminfo = 1,
  kAttrInfo = 2,
  kAttrVegasInfo = 3,
  kAttrCong = 4,
  kAttrTos = 5,
  kAttrTclass = 6,
  kAttrSkMeminfo = 7,
  kAttrShutdown = 8,
  kAttrDctcpInfo = 9,
  kAttrProtocol = 10,
  kAttrSkV6Only = 11,
  kAttrMark = 15,
  kAttrBbrInfo = 16,
  kAttrClassId = 17,
  kAttrMd5Sig = 18,
  kAttrUlpInfo = 19,
  kAttrCgroupId = 21,
  kAttrSockOpt = 22,
  // Parts of other families' messages (unix_diag, packet_diag) and MPTCP's info, on bits the
  // INET_DIAG_* numbers leave free. unix_diag's MEMINFO and SHUTDOWN, packet_diag's MEMINFO use
  // kAttrSkMeminfo and kAttrShutdown: same content.
  kAttrMptcpInfo = 0,      // INET_DIAG_INFO of an MPTCP socket: struct mptcp_info
  kAttrPacketFanout = 12,  // PACKET_DIAG_FANOUT
  kAttrPacketFilter = 13,  // PACKET_DIAG_FILTER (its length only)
  kAttrUnixName = 23,      // UNIX_DIAG_NAME
  kAttrUnixVfs = 24,       // UNIX_DIAG_VFS
  kAttrUnixPeer = 25,      // UNIX_DIAG_PEER
  kAttrUnixIcons = 26,     // UNIX_DIAG_ICONS
  kAttrUnixRqlen = 27,     // UNIX_DIAG_RQLEN
  kAttrUid = 28,           // UNIX_DIAG_UID, PACKET_DIAG_UID (inet_diag_msg always has a uid)
  kAttrPacketInfo = 29,    // PACKET_DIAG_INFO
  kAttrPacketRxRing = 30,  // PACKET_DIAG_RX_RING
  kAttrPacketTxRing = 31,  // PACKET_DIAG_TX_RING
};

// Where a record came from; the /proc source can fill only some fields.
enum class Origin : uint8_t { kNetlink, kProc };

struct MemInfo {  // INET_DIAG_MEMINFO
  uint32_t rmem;
  uint32_t wmem;
  uint32_t fmem;
  uint32_t tmem;
};

// Indexes into SocketRecord::skmem (SK_MEMINFO_*).
enum SkMem : uint8_t {
  kSkMemRmemAlloc = 0,
  kSkMemRcvBuf,
  kSkMemWmemAlloc,
  kSkMemSndBuf,
  kSkMemFwdAlloc,
  kSkMemWmemQueued,
  kSkMemOptMem,
  kSkMemBacklog,
  kSkMemDrops,
};
inline constexpr int kSkMemMax = 16;

struct BbrInfo {
  uint32_t bw_lo;
  uint32_t bw_hi;
  uint32_t min_rtt;
  uint32_t pacing_gain;
  uint32_t cwnd_gain;
};

struct VegasInfo {
  uint32_t enabled;
  uint32_t rttcnt;
  uint32_t rtt;
  uint32_t minrtt;
};

struct DctcpInfo {
  uint16_t enabled;
  uint16_t ce_state;
  uint32_t alpha;
  uint32_t ab_ecn;
  uint32_t ab_tot;
};

// struct mptcp_info (linux/mptcp.h), in the layout of kernel 6.18; a shorter struct from an
// older kernel leaves the tail zero (mptcp_info_len says how much came).
struct MptcpInfo {
  uint8_t subflows;
  uint8_t add_addr_signal;
  uint8_t add_addr_accepted;
  uint8_t subflows_max;
  uint8_t add_addr_signal_max;
  uint8_t add_addr_accepted_max;
  uint32_t flags;  // bit 0 fallback, bit 1 remote key received
  uint32_t token;
  uint64_t write_seq;
  uint64_t snd_una;
  uint64_t rcv_nxt;
  uint8_t local_addr_used;
  uint8_t local_addr_max;
  uint8_t csum_enabled;
  uint32_t retransmits;  // 6.5
  uint64_t bytes_retrans;
  uint64_t bytes_sent;
  uint64_t bytes_received;
  uint64_t bytes_acked;
  uint8_t subflows_total;  // 6.10
  uint8_t endp_laminar_max;
  uint8_t reserved[2];
  uint32_t last_data_sent;  // 6.10, ms
  uint32_t last_data_recv;
  uint32_t last_ack_recv;
};

// struct packet_diag_info and packet_diag_ring (linux/packet_diag.h).
struct PacketInfo {
  uint32_t index;
  uint32_t version;
  uint32_t reserve;
  uint32_t copy_thresh;
  uint32_t tstamp;
  uint32_t flags;  // PDI_RUNNING 1, AUXDATA 2, ORIGDEV 4, VNETHDR 8, LOSS 0x10
};
struct PacketRing {
  uint32_t block_size;
  uint32_t block_nr;
  uint32_t frame_size;
  uint32_t frame_nr;
  uint32_t retire_tmo;
  uint32_t sizeof_priv;
  uint32_t features;
};

// The longest unix socket name (sizeof sun_path).
inline constexpr size_t kUnixNameMax = 108;

struct SocketRecord {
  // From struct inet_diag_msg (or a /proc line).
  uint8_t family = 0;  // AF_INET, AF_INET6, AF_UNIX, AF_PACKET or AF_VSOCK
  // AF_INET/AF_INET6: IPPROTO_TCP, _UDP, _RAW (255), _SCTP, from the request; an MPTCP socket
  // has IPPROTO_TCP here and `mptcp` set (IPPROTO_MPTCP, 262, does not fit a byte). Else 0.
  uint8_t protocol = 0;
  bool mptcp = false;
  // AF_UNIX, AF_PACKET, AF_VSOCK: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW.
  uint8_t sock_type = 0;
  uint8_t state = 0;  // TcpState value
  uint8_t timer = 0;  // 0 none, 1 retransmit, 2 keepalive, 3 time-wait, 4 zero-window probe
  uint8_t retrans = 0;
  Origin origin = Origin::kNetlink;
  uint16_t sport = 0;
  uint16_t dport = 0;
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  uint32_t ifindex = 0;
  uint64_t cookie = 0;
  uint32_t expires_ms = 0;
  uint32_t rqueue = 0;  // LISTEN: accept-queue length
  uint32_t wqueue = 0;  // LISTEN: accept-queue limit
  uint32_t uid = 0;
  uint32_t inode = 0;
  // AF_INET raw sockets: the socket's IP protocol (INET_DIAG_PROTOCOL, or /proc's local
  // "port"); AF_PACKET: the Ethernet protocol it receives (pdiag_num, host order; 3 = all).
  uint16_t raw_protocol = 0;

  // Optional parts, present when (attrs >> kAttr*) & 1.
  uint32_t attrs = 0;
  uint16_t tcp_info_len = 0;  // bytes the kernel sent; fields beyond it are absent
  uint8_t skmem_count = 0;
  uint8_t tos = 0;
  uint8_t tclass = 0;
  uint8_t shutdown = 0;
  uint8_t v6only = 0;
  uint8_t cong_len = 0;
  uint32_t mark = 0;
  uint32_t class_id = 0;
  uint16_t sockopt = 0;
  uint64_t cgroup_id = 0;
  MemInfo meminfo{};
  std::array<uint32_t, kSkMemMax> skmem{};
  std::array<char, 16> cong{};
  BbrInfo bbr{};
  VegasInfo vegas{};
  DctcpInfo dctcp{};
  TcpInfo tcp_info{};
  uint16_t mptcp_info_len = 0;
  MptcpInfo mptcp_info{};

  // AF_UNIX. The name as the kernel has it (an abstract name starts with a NUL byte); not
  // NUL-terminated. `icons` (a listener's pending connections, u32 inodes, host order) points
  // into the message being decoded: valid only while the visitor runs, like the record itself.
  uint8_t name_len = 0;
  std::array<char, kUnixNameMax> name{};
  uint32_t peer_inode = 0;
  uint32_t vfs_inode = 0;
  uint32_t vfs_dev = 0;  // the kernel's encoding: major << 20 | minor
  const std::byte* icons = nullptr;
  uint32_t icons_count = 0;

  // AF_VSOCK: context ids and ports (0xffffffff = any).
  uint32_t vsock_src_cid = 0;
  uint32_t vsock_src_port = 0;
  uint32_t vsock_dst_cid = 0;
  uint32_t vsock_dst_port = 0;

  // AF_PACKET.
  PacketInfo packet{};
  PacketRing rx_ring{};
  PacketRing tx_ring{};
  uint32_t fanout = 0;
  uint32_t filter_len = 0;  // classic BPF instructions attached

  constexpr bool has(Attr a) const { return ((attrs >> a) & 1u) != 0; }
  void set(Attr a) { attrs |= 1u << a; }
  std::string_view cong_name() const { return {cong.data(), cong_len}; }
  std::string_view unix_name() const { return {name.data(), name_len}; }
  uint32_t icon(uint32_t i) const;
  bool is_v4_mapped_src() const;
};

inline uint32_t SocketRecord::icon(uint32_t i) const {
  uint32_t v = 0;
  std::memcpy(&v, icons + size_t{i} * sizeof v, sizeof v);
  return v;
}

inline bool SocketRecord::is_v4_mapped_src() const {
  for (int i = 0; i < 10; ++i)
    if (src[i] != 0) return false;
  return src[10] == 0xff && src[11] == 0xff;
}

}  // namespace tcpscope::model
