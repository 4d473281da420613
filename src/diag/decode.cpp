// SPDX-License-Identifier: MIT
#include "diag/decode.hpp"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/vm_sockets_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
      if (r.mptcp) {
        copy_prefix(r.mptcp_info, p, len);
        r.mptcp_info_len = static_cast<uint16_t>(std::min<size_t>(len, sizeof(model::MptcpInfo)));
        r.set(model::kAttrMptcpInfo);
        return;
      }
      // Only TCP carries struct tcp_info here (SCTP carries its own struct).
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
      r.raw_protocol = read_scalar<uint8_t>(p, len);
      break;
    case INET_DIAG_MD5SIG:
    case INET_DIAG_ULP_INFO:
      break;  // presence only
    default:
      return;  // unknown or unused: skipped, not an error
  }
  if (type < 32) r.set(static_cast<Attr>(type));
}

}  // namespace

namespace {

// Walks the attributes after a fixed header of `head` bytes, calling fn(nlattr) for each.
template <typename Fn>
Status walk_attrs(const nlmsghdr& msg, size_t head, Fn&& fn) {
  const size_t payload = msg.nlmsg_len >= NLMSG_HDRLEN ? msg.nlmsg_len - NLMSG_HDRLEN : 0;
  const auto* base = static_cast<const std::byte*>(mnl_nlmsg_get_payload(&msg));
  size_t off = MNL_ALIGN(head);
  while (off + sizeof(nlattr) <= payload) {
    const auto* a = reinterpret_cast<const nlattr*>(base + off);
    const size_t left = payload - off;
    if (a->nla_len < sizeof(nlattr) || a->nla_len > left) {
      return fail(Error::malformed("bad attribute length " + std::to_string(a->nla_len) +
                                   " (type " + std::to_string(a->nla_type & NLA_TYPE_MASK) + ", " +
                                   std::to_string(left) + " bytes left in message)"));
    }
    fn(*a);
    off += MNL_ALIGN(a->nla_len);
  }
  return {};
}

Status too_short(size_t payload, const char* what, size_t need) {
  return fail(Error::malformed("sock_diag message too short: " + std::to_string(payload) +
                               " bytes, " + what + " needs " + std::to_string(need)));
}

size_t payload_of(const nlmsghdr& msg) {
  return msg.nlmsg_len >= NLMSG_HDRLEN ? msg.nlmsg_len - NLMSG_HDRLEN : 0;
}

// The fields every family's decoder sets; what a previous record left must not show through.
void reset_common(SocketRecord& r) {
  r.protocol = 0;
  r.mptcp = false;
  r.sock_type = 0;
  r.timer = r.retrans = 0;
  r.origin = model::Origin::kNetlink;
  r.sport = r.dport = 0;
  r.src.fill(0);
  r.dst.fill(0);
  r.ifindex = 0;
  r.expires_ms = 0;
  r.rqueue = r.wqueue = 0;
  r.uid = 0;
  r.raw_protocol = 0;
  r.attrs = 0;
  r.tcp_info_len = 0;
  r.mptcp_info_len = 0;
  r.skmem_count = 0;
  r.cong_len = 0;
  r.tos = r.tclass = r.shutdown = r.v6only = 0;
  r.mark = r.class_id = 0;
  r.sockopt = 0;
  r.cgroup_id = 0;
  r.name_len = 0;
  r.peer_inode = r.vfs_inode = r.vfs_dev = 0;
  r.icons = nullptr;
  r.icons_count = 0;
  r.vsock_src_cid = r.vsock_src_port = r.vsock_dst_cid = r.vsock_dst_port = 0;
  r.fanout = 0;
  r.filter_len = 0;
}

// The fixed header of a unix, packet or vsock message, after checking it fits; the record is
// reset for it.
template <typename Msg>
Result<Msg> fixed_header(const nlmsghdr& msg, const char* name, SocketRecord& r) {
  const size_t payload = payload_of(msg);
  if (payload < sizeof(Msg)) {
    auto st = too_short(payload, name, sizeof(Msg));
    return fail(std::move(st.error()));
  }
  Msg m;
  std::memcpy(&m, mnl_nlmsg_get_payload(&msg), sizeof m);
  reset_common(r);
  return m;
}

void set_skmem(SocketRecord& r, const void* p, size_t len) {
  const size_t n = std::min<size_t>(len / sizeof(uint32_t), model::kSkMemMax);
  r.skmem.fill(0);
  std::memcpy(r.skmem.data(), p, n * sizeof(uint32_t));
  r.skmem_count = static_cast<uint8_t>(n);
  r.set(model::kAttrSkMeminfo);
}

}  // namespace

Status decode_unix_diag(const nlmsghdr& msg, SocketRecord& r) {
  const unix_diag_msg m = TCPSCOPE_TRY(fixed_header<unix_diag_msg>(msg, "unix_diag_msg", r));
  r.family = m.udiag_family;
  r.sock_type = m.udiag_type;
  r.state = m.udiag_state;
  r.inode = m.udiag_ino;
  r.cookie = (static_cast<uint64_t>(m.udiag_cookie[1]) << 32) | m.udiag_cookie[0];
  return walk_attrs(msg, sizeof(unix_diag_msg), [&r](const nlattr& a) {
    const void* p = mnl_attr_get_payload(&a);
    const size_t len = mnl_attr_get_payload_len(&a);
    switch (mnl_attr_get_type(&a)) {
      case UNIX_DIAG_NAME: {
        const size_t n = std::min(len, r.name.size());
        std::memcpy(r.name.data(), p, n);
        r.name_len = static_cast<uint8_t>(n);
        r.set(model::kAttrUnixName);
        break;
      }
      case UNIX_DIAG_VFS: {
        const auto v = read_scalar<unix_diag_vfs>(p, len);
        r.vfs_inode = v.udiag_vfs_ino;
        r.vfs_dev = v.udiag_vfs_dev;
        r.set(model::kAttrUnixVfs);
        break;
      }
      case UNIX_DIAG_PEER:
        r.peer_inode = read_scalar<uint32_t>(p, len);
        r.set(model::kAttrUnixPeer);
        break;
      case UNIX_DIAG_ICONS:
        r.icons = static_cast<const std::byte*>(p);
        r.icons_count = static_cast<uint32_t>(len / sizeof(uint32_t));
        r.set(model::kAttrUnixIcons);
        break;
      case UNIX_DIAG_RQLEN: {
        const auto q = read_scalar<unix_diag_rqlen>(p, len);
        r.rqueue = q.udiag_rqueue;
        r.wqueue = q.udiag_wqueue;
        r.set(model::kAttrUnixRqlen);
        break;
      }
      case UNIX_DIAG_MEMINFO:
        set_skmem(r, p, len);
        break;
      case UNIX_DIAG_SHUTDOWN:
        r.shutdown = read_scalar<uint8_t>(p, len);
        r.set(model::kAttrShutdown);
        break;
      case 7:  // UNIX_DIAG_UID (5.3)
        r.uid = read_scalar<uint32_t>(p, len);
        r.set(model::kAttrUid);
        break;
      default:
        break;
    }
  });
}

Status decode_packet_diag(const nlmsghdr& msg, SocketRecord& r) {
  const packet_diag_msg m = TCPSCOPE_TRY(fixed_header<packet_diag_msg>(msg, "packet_diag_msg", r));
  r.family = m.pdiag_family;
  r.sock_type = m.pdiag_type;
  r.raw_protocol = m.pdiag_num;
  r.state = static_cast<uint8_t>(model::TcpState::kClose);  // packet sockets have no state
  r.inode = m.pdiag_ino;
  r.cookie = (static_cast<uint64_t>(m.pdiag_cookie[1]) << 32) | m.pdiag_cookie[0];
  return walk_attrs(msg, sizeof(packet_diag_msg), [&r](const nlattr& a) {
    const void* p = mnl_attr_get_payload(&a);
    const size_t len = mnl_attr_get_payload_len(&a);
    switch (mnl_attr_get_type(&a)) {
      case PACKET_DIAG_INFO:
        copy_prefix(r.packet, p, len);
        r.ifindex = r.packet.index;
        r.set(model::kAttrPacketInfo);
        break;
      case PACKET_DIAG_RX_RING:
        copy_prefix(r.rx_ring, p, len);
        r.set(model::kAttrPacketRxRing);
        break;
      case PACKET_DIAG_TX_RING:
        copy_prefix(r.tx_ring, p, len);
        r.set(model::kAttrPacketTxRing);
        break;
      case PACKET_DIAG_FANOUT:
        r.fanout = read_scalar<uint32_t>(p, len);
        r.set(model::kAttrPacketFanout);
        break;
      case PACKET_DIAG_UID:
        r.uid = read_scalar<uint32_t>(p, len);
        r.set(model::kAttrUid);
        break;
      case PACKET_DIAG_MEMINFO:
        set_skmem(r, p, len);
        // The receive queue: what ss shows as Recv-Q (the message has no queue fields).
        r.rqueue = r.skmem[model::kSkMemRmemAlloc];
        break;
      case PACKET_DIAG_FILTER:
        r.filter_len = static_cast<uint32_t>(len / 8);  // struct sock_filter is 8 bytes
        r.set(model::kAttrPacketFilter);
        break;
      default:
        break;
    }
  });
}

Status decode_vsock_diag(const nlmsghdr& msg, SocketRecord& r) {
  const vsock_diag_msg m = TCPSCOPE_TRY(fixed_header<vsock_diag_msg>(msg, "vsock_diag_msg", r));
  r.family = m.vdiag_family;
  r.sock_type = m.vdiag_type;
  r.state = m.vdiag_state;
  r.shutdown = m.vdiag_shutdown;
  r.set(model::kAttrShutdown);
  r.vsock_src_cid = m.vdiag_src_cid;
  r.vsock_src_port = m.vdiag_src_port;
  r.vsock_dst_cid = m.vdiag_dst_cid;
  r.vsock_dst_port = m.vdiag_dst_port;
  r.inode = m.vdiag_ino;
  r.cookie = (static_cast<uint64_t>(m.vdiag_cookie[1]) << 32) | m.vdiag_cookie[0];
  return {};
}

Status decode_message(const nlmsghdr& msg, const model::DumpRequest& req, SocketRecord& out) {
  if (req.family == AF_UNIX) return decode_unix_diag(msg, out);
  if (req.family == AF_VSOCK) return decode_vsock_diag(msg, out);
  if (req.family == AF_PACKET) return decode_packet_diag(msg, out);
  return decode_inet_diag(msg, req.protocol, req.level, out, req.mptcp);
}

Status decode_inet_diag(const nlmsghdr& msg, uint8_t protocol, model::DecodeLevel level,
                        SocketRecord& r, bool mptcp) {
  const size_t payload = payload_of(msg);
  if (payload < sizeof(inet_diag_msg)) {
    return too_short(payload, "inet_diag_msg", sizeof(inet_diag_msg));
  }
  inet_diag_msg m;
  std::memcpy(&m, mnl_nlmsg_get_payload(&msg), sizeof m);

  r.family = m.idiag_family;
  r.protocol = protocol;
  r.mptcp = mptcp;
  r.sock_type = 0;
  r.raw_protocol = 0;
  r.mptcp_info_len = 0;
  r.name_len = 0;
  r.icons = nullptr;
  r.icons_count = 0;
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

  return walk_attrs(msg, sizeof(inet_diag_msg), [&r](const nlattr& a) { decode_attr(a, r); });
}

}  // namespace tcpscope::diag
