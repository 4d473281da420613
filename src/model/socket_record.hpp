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
#include <cstdint>
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

struct SocketRecord {
  // From struct inet_diag_msg (or a /proc line).
  uint8_t family = 0;    // AF_INET or AF_INET6
  uint8_t protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP (from the request, not the message)
  uint8_t state = 0;     // TcpState value
  uint8_t timer = 0;     // 0 none, 1 retransmit, 2 keepalive, 3 time-wait, 4 zero-window probe
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

  constexpr bool has(Attr a) const { return ((attrs >> a) & 1u) != 0; }
  void set(Attr a) { attrs |= 1u << a; }
  std::string_view cong_name() const { return {cong.data(), cong_len}; }
  bool is_v4_mapped_src() const;
};

inline bool SocketRecord::is_v4_mapped_src() const {
  for (int i = 0; i < 10; ++i)
    if (src[i] != 0) return false;
  return src[10] == 0xff && src[11] == 0xff;
}

}  // namespace tcpscope::model
