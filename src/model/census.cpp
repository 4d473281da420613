// SPDX-License-Identifier: MIT
#include "model/census.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace tcpscope::model {

namespace {
bool all_zero(const std::array<uint8_t, 16>& a, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != 0) return false;
  return true;
}
size_t addr_len(uint8_t family) { return family == AF_INET6 ? 16 : 4; }

// The name, truncated to what the kernel allows (15 bytes), or "if<N>" when it is unknown.
void set_device(ListenerInfo& l, std::string_view name) {
  auto& d = l.device;
  if (name.empty()) {
    d[0] = 'i';
    d[1] = 'f';
    const auto [end, ec] = std::to_chars(d.data() + 2, d.data() + d.size() - 1, l.ifindex);
    *end = '\0';
    return;
  }
  const size_t n = std::min(name.size(), d.size() - 1);
  std::memcpy(d.data(), name.data(), n);
  d[n] = '\0';
}

// The IPv4 address of a v4-mapped IPv6 address, or nullptr.
const uint8_t* mapped_v4(const std::array<uint8_t, 16>& a) {
  for (int i = 0; i < 10; ++i)
    if (a[i] != 0) return nullptr;
  if (a[10] != 0xff || a[11] != 0xff) return nullptr;
  return a.data() + 12;
}
}  // namespace

bool ListenerInfo::wildcard() const { return all_zero(addr, addr_len(family)); }

std::string_view ListenerInfo::interface() const {
  return {device.data(), ::strnlen(device.data(), device.size())};
}

double ListenerInfo::fill_percent() const {
  if (accept_queue_limit == 0) return accept_queue > 0 ? 100.0 : 0.0;
  return 100.0 * accept_queue / accept_queue_limit;
}

void Census::on_socket(const SocketRecord& r) {
  const uint8_t st = r.state < kStateCount ? r.state : 0;
  auto& table = r.protocol == IPPROTO_UDP ? udp_ : tcp_;
  if (r.family == AF_INET6) {
    ++table[st].v6;
  } else {
    ++table[st].v4;
  }
  if (r.protocol != IPPROTO_TCP) return;
  switch (static_cast<TcpState>(st)) {
    case TcpState::kListen: {
      ListenerInfo l;
      l.family = r.family;
      l.v6only = r.has(kAttrSkV6Only) ? r.v6only : 2;
      l.port = r.sport;
      l.addr = r.src;
      l.accept_queue = r.rqueue;
      l.accept_queue_limit = r.wqueue;
      l.inode = r.inode;
      l.ifindex = r.ifindex;
      if (r.ifindex != 0) set_device(l, names_ != nullptr ? names_->ifname(r.ifindex) : "");
      l.cookie = r.cookie;
      if (r.has(kAttrSkMeminfo) && r.skmem_count > kSkMemDrops) {
        l.has_drops = true;
        l.drops = r.skmem[kSkMemDrops];
      }
      listeners_.push_back(l);
      break;
    }
    case TcpState::kSynRecv:
      // Request sockets have no inode; a TCP Fast Open child in SYN-RECV is a full socket.
      attribute_syn_recv(r);
      break;
    case TcpState::kFinWait1:
    case TcpState::kClosing:
    case TcpState::kLastAck:
      if (r.inode == 0) ++(r.family == AF_INET6 ? orphans_.v6 : orphans_.v4);
      break;
    default:
      break;
  }
}

void Census::attribute_syn_recv(const SocketRecord& r) {
  // Best match: same family and address; then a wildcard listener of the same family; then a
  // dual-stack IPv6 wildcard listener for an IPv4 request. A request carries its listener's
  // device (ireq->ir_iif is the listener's sk_bound_dev_if, or for a link-local IPv6 peer the
  // incoming device), so a listener on that device wins over the same address on none; a
  // request with no device belongs to a listener with none.
  struct Best {
    ListenerInfo* exact = nullptr;
    ListenerInfo* wild = nullptr;
    ListenerInfo* dual = nullptr;
    ListenerInfo* pick() const { return exact ? exact : wild ? wild : dual; }
  };
  Best on_device;  // listeners bound to the request's device
  Best unbound;    // listeners bound to no device
  const uint8_t* v4 = r.family == AF_INET ? r.src.data() : nullptr;
  for (auto& l : listeners_) {
    if (l.port != r.sport) continue;
    Best* b = nullptr;
    if (l.ifindex == 0) {
      b = &unbound;
    } else if (l.ifindex == r.ifindex) {
      b = &on_device;
    } else {
      continue;
    }
    if (l.family == r.family) {
      if (std::memcmp(l.addr.data(), r.src.data(), addr_len(r.family)) == 0) {
        if (b->exact == nullptr) b->exact = &l;  // the first of an SO_REUSEPORT group
        continue;
      }
      if (l.wildcard()) b->wild = &l;
    } else if (l.family == AF_INET6 && v4 != nullptr) {
      if (l.wildcard() && l.v6only != 1) b->dual = &l;
      const uint8_t* m = mapped_v4(l.addr);
      if (m != nullptr && std::memcmp(m, v4, 4) == 0) b->exact = &l;
    }
  }
  ListenerInfo* l = on_device.pick();
  if (l == nullptr) l = unbound.pick();
  const bool v6 = r.family == AF_INET6;
  if (l != nullptr) {
    ++(v6 ? l->syn_recv_v6 : l->syn_recv_v4);
  } else {
    ++(v6 ? syn_recv_unattributed_.v6 : syn_recv_unattributed_.v4);
  }
}

bool Census::on_restart(const DumpRequest& req) {
  const bool v6 = req.family == AF_INET6;
  auto& table = req.protocol == IPPROTO_UDP ? udp_ : tcp_;
  for (int st = 0; st < kStateCount; ++st) {
    if (((req.states >> st) & 1u) == 0) continue;
    (v6 ? table[st].v6 : table[st].v4) = 0;
  }
  if (req.protocol != IPPROTO_TCP) return true;
  if ((req.states >> static_cast<int>(TcpState::kListen)) & 1u) {
    std::erase_if(listeners_, [&](const ListenerInfo& l) { return l.family == req.family; });
  }
  if ((req.states >> static_cast<int>(TcpState::kSynRecv)) & 1u) {
    for (auto& l : listeners_) (v6 ? l.syn_recv_v6 : l.syn_recv_v4) = 0;
    (v6 ? syn_recv_unattributed_.v6 : syn_recv_unattributed_.v4) = 0;
  }
  (v6 ? orphans_.v6 : orphans_.v4) = 0;
  return true;
}

FamilyCounts Census::tcp_total() const {
  FamilyCounts t;
  for (const auto& c : tcp_) {
    t.v4 += c.v4;
    t.v6 += c.v6;
  }
  return t;
}

FamilyCounts Census::udp_total() const {
  FamilyCounts t;
  for (const auto& c : udp_) {
    t.v4 += c.v4;
    t.v6 += c.v6;
  }
  return t;
}

void Census::sort_listeners() {
  std::stable_sort(listeners_.begin(), listeners_.end(),
                   [](const ListenerInfo& a, const ListenerInfo& b) {
                     return a.fill_percent() > b.fill_percent();
                   });
}

}  // namespace tcpscope::model
