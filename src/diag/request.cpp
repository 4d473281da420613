// SPDX-License-Identifier: MIT
#include "diag/request.hpp"

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

namespace tcpscope::diag {

namespace {

constexpr uint32_t kProtoMptcp = 262;  // IPPROTO_MPTCP

// Zeroes `size` bytes of `out` and writes a netlink header of `type` and `flags` at its start.
nlmsghdr* put_header(std::vector<std::byte>& out, size_t size, uint16_t type, uint16_t flags,
                     uint32_t seq) {
  out.assign(size, std::byte{0});
  nlmsghdr* nlh = mnl_nlmsg_put_header(out.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = flags;
  nlh->nlmsg_seq = seq;
  return nlh;
}

std::span<const std::byte> build_other_family(const model::DumpRequest& req, uint32_t seq,
                                              std::vector<std::byte>& out) {
  nlmsghdr* nlh = put_header(out, MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(unix_diag_req)),
                             SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq);
  if (req.family == AF_UNIX || req.family == AF_VSOCK) {
    // vsock_diag_req has unix_diag_req's layout (its ino and show must be 0).
    auto* r = static_cast<unix_diag_req*>(mnl_nlmsg_put_extra_header(nlh, sizeof(unix_diag_req)));
    r->sdiag_family = req.family;
    r->udiag_states = req.states;
    r->udiag_show = req.show;
  } else {
    auto* r =
        static_cast<packet_diag_req*>(mnl_nlmsg_put_extra_header(nlh, sizeof(packet_diag_req)));
    r->sdiag_family = req.family;
    r->pdiag_show = req.show;
  }
  return {out.data(), nlh->nlmsg_len};
}

}  // namespace

std::span<const std::byte> build_dump_request(const model::DumpRequest& req, uint32_t seq,
                                              std::vector<std::byte>& out) {
  if (req.family != AF_INET && req.family != AF_INET6) return build_other_family(req, seq, out);
  const size_t need = MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(inet_diag_req_v2)) +
                      MNL_ATTR_HDRLEN + MNL_ALIGN(req.bytecode.size()) + MNL_ATTR_HDRLEN +
                      sizeof(uint32_t);
  nlmsghdr* nlh = put_header(out, need, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq);
  auto* r =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  r->sdiag_family = req.family;
  r->sdiag_protocol = req.protocol;
  r->idiag_ext = req.ext;
  r->idiag_states = req.states;
  if (!req.bytecode.empty()) {
    mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, req.bytecode.size(), req.bytecode.data());
  }
  // IPPROTO_MPTCP does not fit sdiag_protocol: the byte keeps its low bits (TCP's 6, as ss
  // sends it) and the attribute carries the real number (kernel 5.9+).
  if (req.mptcp) mnl_attr_put_u32(nlh, 3 /* INET_DIAG_REQ_PROTOCOL */, kProtoMptcp);
  return {out.data(), nlh->nlmsg_len};
}

std::span<const std::byte> build_destroy_request(const model::SocketRecord& rec, uint32_t seq,
                                                 std::vector<std::byte>& out) {
  nlmsghdr* nlh = put_header(out, MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(inet_diag_req_v2)),
                             SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, seq);
  auto* r =
      static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
  r->sdiag_family = rec.family;
  r->sdiag_protocol = rec.protocol;
  if (rec.protocol == IPPROTO_RAW) r->pad = static_cast<uint8_t>(rec.raw_protocol);
  r->id.idiag_sport = htons(rec.sport);
  r->id.idiag_dport = htons(rec.dport);
  std::memcpy(r->id.idiag_src, rec.src.data(), sizeof r->id.idiag_src);
  std::memcpy(r->id.idiag_dst, rec.dst.data(), sizeof r->id.idiag_dst);
  r->id.idiag_if = rec.ifindex;
  // An MPTCP socket's cookie is not its subflow's: the TCP subflow with the same 4-tuple is
  // found without one (/proc records have no cookie either).
  if (rec.origin == model::Origin::kNetlink && !rec.mptcp) {
    r->id.idiag_cookie[0] = static_cast<uint32_t>(rec.cookie);
    r->id.idiag_cookie[1] = static_cast<uint32_t>(rec.cookie >> 32);
  } else {
    r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  }
  return {out.data(), nlh->nlmsg_len};
}

}  // namespace tcpscope::diag
