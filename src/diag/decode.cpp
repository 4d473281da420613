// SPDX-License-Identifier: MIT
#include "diag/decode.hpp"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace tcpscope::diag {

namespace {

using model::Attr;
using model::SocketRecord;

template <typename T>
void copy_prefix(T& dst, const void* src, size_t len) {
  const size_t n = std::min(len, sizeof dst);
  std::memcpy(&dst, src, n);
  if (n < sizeof dst) std::memset(reinterpret_cast<char*>(&dst) + n, 0, sizeof dst - n);
}

template <typename T>
T read_scalar(const void* p, size_t len) {
  T v{};
  std::memcpy(&v, p, std::min(len, sizeof v));
  return v;
}

uint16_t be16(uint16_t v) { return static_cast<uint16_t>((v >> 8) | (v << 8)); }

void decode_attr(const nlattr& a, SocketRecord& r) {
  const void* p = mnl_attr_get_payload(&a);
  const size_t len = mnl_attr_get_payload_len(&a);
  const auto type = static_cast<uint16_t>(mnl_attr_get_type(&a));
  switch (type) {
    case INET_DIAG_MEMINFO:
      copy_prefix(r.meminfo, p, len);
      break;
    case INET_DIAG_INFO:
      // Only TCP carries struct tcp_info here (MPTCP/SCTP carry their own structs).
      if (r.protocol != IPPROTO_TCP) return;
      copy_prefix(r.tcp_info, p, len);
      r.tcp_info_len = static_cast<uint16_t>(std::min<size_t>(len, sizeof(model::TcpInfo)));
      break;
    case INET_DIAG_VEGASINFO:
      copy_prefix(r.vegas, p, len);
      break;
    case INET_DIAG_CONG: {
      const char* s = static_cast<const char*>(p);
      size_t n = strnlen(s, len);
      n = std::min(n, r.cong.size() - 1);
      std::memcpy(r.cong.data(), s, n);
      r.cong[n] = '\0';
      r.cong_len = static_cast<uint8_t>(n);
      break;
    }
    case INET_DIAG_TOS:
      r.tos = read_scalar<uint8_t>(p, len);
      break;
    case INET_DIAG_TCLASS:
      r.tclass = read_scalar<uint8_t>(p, len);
      break;
    case INET_DIAG_SKMEMINFO: {
      size_t n = std::min<size_t>(len / sizeof(uint32_t), model::kSkMemMax);
      r.skmem.fill(0);
      std::memcpy(r.skmem.data(), p, n * sizeof(uint32_t));
      r.skmem_count = static_cast<uint8_t>(n);
      break;
    }
    case INET_DIAG_SHUTDOWN:
      r.shutdown = read_scalar<uint8_t>(p, len);
      break;
    case INET_DIAG_DCTCPINFO:
      copy_prefix(r.dctcp, p, len);
      break;
    case INET_DIAG_SKV6ONLY:
      r.v6only = read_scalar<uint8_t>(p, len);
      break;
    case INET_DIAG_MARK:
      r.mark = read_scalar<uint32_t>(p, len);
      break;
    case INET_DIAG_BBRINFO:
      copy_prefix(r.bbr, p, len);
      break;
    case INET_DIAG_CLASS_ID:
      r.class_id = read_scalar<uint32_t>(p, len);
      break;
    case 21:  // INET_DIAG_CGROUP_ID (5.8)
      r.cgroup_id = read_scalar<uint64_t>(p, len);
      break;
    case 22:  // INET_DIAG_SOCKOPT (5.10)
      r.sockopt = read_scalar<uint16_t>(p, len);
      break;
    case INET_DIAG_PROTOCOL:
    case INET_DIAG_MD5SIG:
    case INET_DIAG_ULP_INFO:
      break;  // presence only
    default:
      return;  // unknown or unused: skipped, not an error
  }
  if (type < 32) r.set(static_cast<Attr>(type));
}

}  // namespace

Status decode_inet_diag(const nlmsghdr& msg, uint8_t protocol, model::DecodeLevel level,
                        SocketRecord& r) {
  const size_t payload = msg.nlmsg_len >= NLMSG_HDRLEN ? msg.nlmsg_len - NLMSG_HDRLEN : 0;
  if (payload < sizeof(inet_diag_msg)) {
    return fail(Error::malformed("sock_diag message too short: " + std::to_string(payload) +
                                 " bytes, inet_diag_msg needs " +
                                 std::to_string(sizeof(inet_diag_msg))));
  }
  inet_diag_msg m;
  std::memcpy(&m, mnl_nlmsg_get_payload(&msg), sizeof m);

  r.family = m.idiag_family;
  r.protocol = protocol;
  r.state = m.idiag_state;
  r.timer = m.idiag_timer;
  r.retrans = m.idiag_retrans;
  r.origin = model::Origin::kNetlink;
  r.sport = be16(m.id.idiag_sport);
  r.dport = be16(m.id.idiag_dport);
  std::memcpy(r.src.data(), m.id.idiag_src, 16);
  std::memcpy(r.dst.data(), m.id.idiag_dst, 16);
  r.ifindex = m.id.idiag_if;
  r.cookie = (static_cast<uint64_t>(m.id.idiag_cookie[1]) << 32) | m.id.idiag_cookie[0];
  r.expires_ms = m.idiag_expires;
  r.rqueue = m.idiag_rqueue;
  r.wqueue = m.idiag_wqueue;
  r.uid = m.idiag_uid;
  r.inode = m.idiag_inode;
  r.attrs = 0;
  r.tcp_info_len = 0;
  r.skmem_count = 0;
  r.cong_len = 0;
  r.tos = r.tclass = r.shutdown = r.v6only = 0;
  r.mark = r.class_id = 0;
  r.sockopt = 0;
  r.cgroup_id = 0;
  if (level == model::DecodeLevel::kHeader) return {};

  const auto* base = static_cast<const std::byte*>(mnl_nlmsg_get_payload(&msg));
  size_t off = MNL_ALIGN(sizeof(inet_diag_msg));
  while (off + sizeof(nlattr) <= payload) {
    const auto* a = reinterpret_cast<const nlattr*>(base + off);
    const size_t left = payload - off;
    if (a->nla_len < sizeof(nlattr) || a->nla_len > left) {
      return fail(Error::malformed("bad attribute length " + std::to_string(a->nla_len) +
                                   " (type " + std::to_string(a->nla_type & NLA_TYPE_MASK) + ", " +
                                   std::to_string(left) + " bytes left in message)"));
    }
    decode_attr(*a, r);
    off += MNL_ALIGN(a->nla_len);
  }
  return {};
}

}  // namespace tcpscope::diag
