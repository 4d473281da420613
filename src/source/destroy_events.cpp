// SPDX-License-Identifier: MIT
#include "source/destroy_events.hpp"

#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "diag/decode.hpp"
#include "netlink/netlink_socket.hpp"

namespace tcpscope::source {

namespace {

// A destroy message is ~400 bytes (header, inet_diag_msg, PROTOCOL, a 280-byte tcp_info); a
// datagram holds one. 64 datagrams per recvmmsg call.
constexpr size_t kBatch = 64;
constexpr size_t kDatagram = 8192;

int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

uint32_t group_bit(unsigned group) { return 1U << (group - 1); }

}  // namespace

struct DestroySubscription::Buffers {
  alignas(8) std::array<std::array<std::byte, kDatagram>, kBatch> data;
  std::array<mmsghdr, kBatch> msgs;
  std::array<iovec, kBatch> iov;
  std::array<sockaddr_nl, kBatch> from;
  // One int of control data: NETLINK_LISTEN_ALL_NSID's namespace id.
  std::array<std::array<std::byte, CMSG_SPACE(sizeof(int))>, kBatch> control;
};

DestroySubscription::~DestroySubscription() = default;

Result<int32_t> netns_id_of(int nsfd) {
  auto sock = TCPSCOPE_TRY(netlink::NetlinkSocket::open(NETLINK_ROUTE, std::chrono::seconds(2)));
  struct Request {
    nlmsghdr h;
    rtgenmsg g;
    uint8_t pad[3];
    nlattr a;
    uint32_t fd;
  } req{};
  static_assert(sizeof(Request) == NLMSG_ALIGN(sizeof(nlmsghdr) + NLMSG_ALIGN(sizeof(rtgenmsg))) +
                                       NLA_HDRLEN + sizeof(uint32_t));
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_GETNSID;
  req.h.nlmsg_flags = NLM_F_REQUEST;
  req.h.nlmsg_seq = sock.next_seq();
  req.g.rtgen_family = AF_UNSPEC;
  req.a.nla_len = NLA_HDRLEN + sizeof(uint32_t);
  req.a.nla_type = NETNSA_FD;
  req.fd = static_cast<uint32_t>(nsfd);
  TCPSCOPE_TRY(sock.send({reinterpret_cast<const std::byte*>(&req), sizeof req}));
  const auto reply = TCPSCOPE_TRY(sock.receive());
  if (reply.size() < sizeof(nlmsghdr))
    return fail(Error(ErrorKind::kRuntime, "RTM_GETNSID: short reply"));
  nlmsghdr h;
  std::memcpy(&h, reply.data(), sizeof h);
  if (h.nlmsg_type == NLMSG_ERROR) {
    nlmsgerr e{};
    if (reply.size() >= NLMSG_HDRLEN + sizeof e)
      std::memcpy(&e, reply.data() + NLMSG_HDRLEN, sizeof e);
    return fail(Error::from_errno("ask the id of a network namespace (RTM_GETNSID)", -e.error));
  }
  if (h.nlmsg_type != RTM_NEWNSID || h.nlmsg_len > reply.size()) {
    return fail(Error(ErrorKind::kRuntime, "RTM_GETNSID: unexpected reply"));
  }
  size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rtgenmsg));
  while (off + NLA_HDRLEN <= h.nlmsg_len) {
    nlattr a;
    std::memcpy(&a, reply.data() + off, sizeof a);
    if (a.nla_len < NLA_HDRLEN || off + a.nla_len > h.nlmsg_len) break;
    if (a.nla_type == NETNSA_NSID && a.nla_len >= NLA_HDRLEN + sizeof(int32_t)) {
      int32_t id = 0;
      std::memcpy(&id, reply.data() + off + NLA_HDRLEN, sizeof id);
      return id < 0 ? kNoNsid : id;
    }
    off += NLA_ALIGN(a.nla_len);
  }
  return kNoNsid;
}

Result<std::unique_ptr<DestroySubscription>> DestroySubscription::open(
    const SubscriptionOptions& o) {
  std::unique_ptr<DestroySubscription> s(new DestroySubscription());
  const int raw = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);
  if (raw < 0) return fail(Error::from_errno("open a sock_diag socket for destroy events", errno));
  s->fd_ = UniqueFd::adopt(raw);
  uint32_t groups = 0;
  const bool v4 = o.family == 0 || o.family == AF_INET;
  const bool v6 = o.family == 0 || o.family == AF_INET6;
  if (o.tcp && v4) groups |= group_bit(SKNLGRP_INET_TCP_DESTROY);
  if (o.udp && v4) groups |= group_bit(SKNLGRP_INET_UDP_DESTROY);
  if (o.tcp && v6) groups |= group_bit(SKNLGRP_INET6_TCP_DESTROY);
  if (o.udp && v6) groups |= group_bit(SKNLGRP_INET6_UDP_DESTROY);
  if (groups == 0) return fail(Error::usage("destroy events: neither TCP nor UDP selected"));
  // The buffer first: events queue from the moment of the bind.
  const int want = o.receive_buffer;
  if (::setsockopt(raw, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) < 0) {
    (void)::setsockopt(raw, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  }
  socklen_t len = sizeof s->granted_;
  (void)::getsockopt(raw, SOL_SOCKET, SO_RCVBUF, &s->granted_, &len);
  if (o.all_namespaces) {
    const int one = 1;
    if (::setsockopt(raw, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &one, sizeof one) < 0) {
      return fail(Error::from_errno(
          "listen to every namespace's destroy events (NETLINK_LISTEN_ALL_NSID needs "
          "CAP_NET_BROADCAST)",
          errno));
    }
    s->all_ns_ = true;
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = groups;
  if (::bind(raw, reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    return fail(Error::from_errno("subscribe to destroy events", errno));
  }
  s->buf_ = std::make_unique<Buffers>();
  return s;
}

size_t decode_destroy_datagram(const std::byte* data, size_t len, uint32_t groups, int32_t nsid,
                               int64_t time_ns, model::SocketRecord& rec, DestroySink& sink) {
  // The group the message was sent to says its protocol; INET_DIAG_PROTOCOL says it too.
  const bool udp =
      (groups & (group_bit(SKNLGRP_INET_UDP_DESTROY) | group_bit(SKNLGRP_INET6_UDP_DESTROY))) != 0;
  const uint8_t protocol = udp ? IPPROTO_UDP : IPPROTO_TCP;
  size_t events = 0;
  size_t off = 0;
  while (off + sizeof(nlmsghdr) <= len) {
    nlmsghdr hdr;
    std::memcpy(&hdr, data + off, sizeof hdr);
    if (hdr.nlmsg_len < sizeof(nlmsghdr) || hdr.nlmsg_len > len - off) break;
    if (hdr.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      // The decoder reads the message in place (every message starts at an NLMSG_ALIGN offset
      // of an aligned buffer).
      const auto* msg = reinterpret_cast<const nlmsghdr*>(data + off);
      if (diag::decode_inet_diag(*msg, protocol, model::DecodeLevel::kFull, rec)) {
        ++events;
        sink.on_event(DestroyEvent{&rec, nsid, time_ns});
      }
    }
    off += NLMSG_ALIGN(hdr.nlmsg_len);
  }
  return events;
}

bool dump_listeners(SocketSource& src, bool tcp, bool udp, model::ListenerSet& out) {
  out.clear();
  struct Collect final : model::SocketVisitor {
    model::ListenerSet* set = nullptr;
    void on_socket(const model::SocketRecord& r) override { set->add(r); }
  } collect;
  collect.set = &out;
  bool ok = true;
  for (const uint8_t proto : {uint8_t{IPPROTO_TCP}, uint8_t{IPPROTO_UDP}}) {
    if (proto == IPPROTO_TCP ? !tcp : !udp) continue;
    for (const uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
      model::DumpRequest req;
      req.family = family;
      req.protocol = proto;
      req.states = proto == IPPROTO_TCP ? model::state_bit(model::TcpState::kListen)
                                        : model::state_bit(model::TcpState::kClose);
      req.level = model::DecodeLevel::kFull;
      if (!src.dump(req, collect)) ok = false;
    }
  }
  out.finish();
  return ok;
}

Result<size_t> DestroySubscription::drain(DestroySink& sink) {
  Buffers& b = *buf_;
  size_t delivered = 0;
  for (;;) {
    for (size_t i = 0; i < kBatch; ++i) {
      b.iov[i] = iovec{b.data[i].data(), kDatagram};
      msghdr& h = b.msgs[i].msg_hdr;
      h = msghdr{};
      h.msg_iov = &b.iov[i];
      h.msg_iovlen = 1;
      h.msg_name = &b.from[i];
      h.msg_namelen = sizeof(sockaddr_nl);
      if (all_ns_) {
        h.msg_control = b.control[i].data();
        h.msg_controllen = b.control[i].size();
      }
      b.msgs[i].msg_len = 0;
    }
    const int n = ::recvmmsg(fd_.get(), b.msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return delivered;
      if (errno == ENOBUFS) {
        // Events were dropped; the socket is usable again at once.
        ++overflows_;
        sink.on_lost(realtime_ns());
        continue;
      }
      return fail(Error::from_errno("read destroy events", errno));
    }
    const int64_t now = realtime_ns();
    for (int i = 0; i < n; ++i) {
      msghdr& h = b.msgs[static_cast<size_t>(i)].msg_hdr;
      if ((h.msg_flags & MSG_TRUNC) != 0) continue;  // cannot happen at 8 KiB; never half-read
      int32_t nsid = kNoNsid;
      if (all_ns_) {
        for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
          if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) {
            int id = 0;
            std::memcpy(&id, CMSG_DATA(c), sizeof id);
            nsid = id;
          }
        }
      }
      const size_t k = static_cast<size_t>(i);
      const size_t got = decode_destroy_datagram(b.data[k].data(), b.msgs[k].msg_len,
                                                 b.from[k].nl_groups, nsid, now, rec_, sink);
      events_ += got;
      delivered += got;
    }
    if (static_cast<size_t>(n) < kBatch) return delivered;
  }
}

}  // namespace tcpscope::source
