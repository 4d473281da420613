// SPDX-License-Identifier: MIT
#include "model/close_account.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <tuple>

#include "model/census.hpp"
#include "model/tcp_info_fields.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

namespace {

bool all_zero(const std::array<uint8_t, 16>& a, size_t n) {
  return std::all_of(a.begin(), a.begin() + static_cast<ptrdiff_t>(n),
                     [](uint8_t b) { return b == 0; });
}

bool v4_mapped(const std::array<uint8_t, 16>& a) {
  return all_zero(a, 10) && a[10] == 0xff && a[11] == 0xff;
}

}  // namespace

std::string_view direction_name(Direction d) {
  return d == Direction::kInbound ? "inbound" : "outbound";
}

void ListenerSet::add(const SocketRecord& r) {
  if (r.protocol == IPPROTO_TCP && r.state != static_cast<uint8_t>(TcpState::kListen)) return;
  if (r.protocol == IPPROTO_UDP && (r.dport != 0 || r.sport == 0)) return;
  Entry e{};
  e.port = r.sport;
  e.protocol = r.protocol;
  e.family = r.family;
  e.addr = r.src;
  e.wildcard = all_zero(r.src, r.family == AF_INET ? 4 : 16);
  // v6only unknown (no attribute) counts as dual-stack, the kernel's default.
  e.dual = e.wildcard && r.family == AF_INET6 && !(r.has(kAttrSkV6Only) && r.v6only == 1);
  entries_.push_back(e);
  cookies_.push_back(r.cookie);
}

void ListenerSet::add(const ListenerInfo& l) {
  Entry e{};
  e.port = l.port;
  e.protocol = IPPROTO_TCP;
  e.family = l.family;
  e.addr = l.addr;
  e.wildcard = l.wildcard();
  e.dual = e.wildcard && l.family == AF_INET6 && l.v6only != 1;  // unknown (2): dual, as above
  entries_.push_back(e);
  cookies_.push_back(l.cookie);
}

bool ListenerSet::is_listener(uint64_t cookie) const {
  return std::binary_search(cookies_.begin(), cookies_.end(), cookie);
}

void ListenerSet::finish() {
  std::sort(cookies_.begin(), cookies_.end());
  std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.port, a.protocol) < std::tie(b.port, b.protocol);
  });
}

bool ListenerSet::contains(uint8_t protocol, uint8_t family, const std::array<uint8_t, 16>& addr,
                           uint16_t port) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), std::pair{port, protocol},
                             [](const Entry& e, std::pair<uint16_t, uint8_t> k) {
                               return std::tie(e.port, e.protocol) < std::tie(k.first, k.second);
                             });
  // An IPv4 connection accepted by a dual-stack IPv6 listener reports as AF_INET6 with a
  // v4-mapped address; one on an IPv4 listener as AF_INET.
  const bool mapped = family == AF_INET6 && v4_mapped(addr);
  for (; it != entries_.end() && it->port == port && it->protocol == protocol; ++it) {
    if (it->family == family) {
      if (it->wildcard) return true;
      if (std::equal(addr.begin(), addr.begin() + (family == AF_INET ? 4 : 16), it->addr.begin())) {
        return true;
      }
    }
    if (it->dual && (family == AF_INET || mapped)) return true;
    if (mapped && it->family == AF_INET &&
        (it->wildcard || std::equal(addr.begin() + 12, addr.end(), it->addr.begin()))) {
      return true;
    }
  }
  return false;
}

Direction ListenerSet::direction(const SocketRecord& closed) const {
  // A listener's own close event is "inbound" too: it is the local end of a service.
  return contains(closed.protocol, closed.family, closed.src, closed.sport) ? Direction::kInbound
                                                                            : Direction::kOutbound;
}

size_t rtt_bucket(uint32_t rtt_us) {
  if (rtt_us <= 1) return 0;
  // 4 buckets per doubling: the bucket of x is ceil(4 * log2(x)).
  const double k = std::ceil(4.0 * std::log2(static_cast<double>(rtt_us)) - 1e-9);
  return std::min(static_cast<size_t>(k), kRttBuckets - 1);
}

double rtt_bucket_upper_us(size_t k) { return std::exp2(static_cast<double>(k) / 4.0); }

CloseFacts close_facts(const SocketRecord& r) {
  CloseFacts f;
  if (!r.has(kAttrInfo)) return f;
  f.has_info = true;
  constexpr const TcpiField& kRtt = kTcpiFields[TCPSCOPE_TCPI_INDEX(rtt)];
  constexpr const TcpiField& kAcked = kTcpiFields[TCPSCOPE_TCPI_INDEX(bytes_acked)];
  constexpr const TcpiField& kReceived = kTcpiFields[TCPSCOPE_TCPI_INDEX(bytes_received)];
  constexpr const TcpiField& kRetrans = kTcpiFields[TCPSCOPE_TCPI_INDEX(total_retrans)];
  constexpr const TcpiField& kSent = kTcpiFields[TCPSCOPE_TCPI_INDEX(bytes_sent)];
  constexpr const TcpiField& kRetransBytes = kTcpiFields[TCPSCOPE_TCPI_INDEX(bytes_retrans)];
  // Data sent once: tcpi_bytes_sent less what was retransmitted (5.5+); before that,
  // tcpi_bytes_acked, which also counts the SYN and FIN (one each).
  if (tcpi_present(r, kSent) && tcpi_present(r, kRetransBytes)) {
    f.bytes_sent = r.tcp_info.bytes_sent >= r.tcp_info.bytes_retrans
                       ? r.tcp_info.bytes_sent - r.tcp_info.bytes_retrans
                       : 0;
  } else if (tcpi_present(r, kAcked)) {
    f.bytes_sent = r.tcp_info.bytes_acked;
  }
  if (tcpi_present(r, kReceived)) f.bytes_received = r.tcp_info.bytes_received;
  if (tcpi_present(r, kRetrans)) f.retrans_segments = r.tcp_info.total_retrans;
  // A socket that never had an RTT sample (a listener, a connection that never completed)
  // reports 0: no sample.
  if (tcpi_present(r, kRtt)) f.rtt_us = r.tcp_info.rtt;
  return f;
}

void CloseAccount::add(const SocketRecord& r) {
  ++closed;
  const CloseFacts f = close_facts(r);
  if (!f.has_info) return;
  bytes_sent += f.bytes_sent;
  bytes_received += f.bytes_received;
  retrans_segments += f.retrans_segments;
  if (f.retrans_segments > 0) ++with_retrans;
  if (f.rtt_us > 0) {
    ++rtt_samples;
    ++rtt[rtt_bucket(f.rtt_us)];
  }
}

void CloseAccount::merge(const CloseAccount& o) {
  closed += o.closed;
  bytes_sent += o.bytes_sent;
  bytes_received += o.bytes_received;
  with_retrans += o.with_retrans;
  retrans_segments += o.retrans_segments;
  rtt_samples += o.rtt_samples;
  for (size_t i = 0; i < rtt.size(); ++i) rtt[i] += o.rtt[i];
}

std::optional<double> CloseAccount::rtt_percentile_us(double p) const {
  if (rtt_samples == 0) return std::nullopt;
  const auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(rtt_samples)));
  uint64_t seen = 0;
  for (size_t k = 0; k < rtt.size(); ++k) {
    seen += rtt[k];
    if (seen >= std::max<uint64_t>(rank, 1)) return rtt_bucket_upper_us(k);
  }
  return rtt_bucket_upper_us(rtt.size() - 1);
}

void CloseSummary::add(const SocketRecord& r, Direction d) {
  ++total_;
  const CloseKey key{d, r.protocol, d == Direction::kInbound ? r.sport : r.dport};
  auto it = accounts_.find(key);
  if (it == accounts_.end()) {
    if (accounts_.size() >= max_keys_) {
      folded_.add(r);
      return;
    }
    it = accounts_.emplace(key, CloseAccount{}).first;
  }
  it->second.add(r);
}

void CloseSummary::top(size_t top, std::vector<Row>& rows, CloseAccount& other) const {
  rows.clear();
  other = folded_;
  for (const auto& [k, a] : accounts_) rows.push_back(Row{k, a});
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.account.closed != b.account.closed) return a.account.closed > b.account.closed;
    return std::tie(a.key.direction, a.key.protocol, a.key.port) <
           std::tie(b.key.direction, b.key.protocol, b.key.port);
  });
  for (size_t i = top; i < rows.size(); ++i) other.merge(rows[i].account);
  if (rows.size() > top) rows.resize(top);
}

void CloseSummary::clear() {
  accounts_.clear();
  folded_ = CloseAccount{};
  total_ = 0;
}

}  // namespace tcpscope::model
