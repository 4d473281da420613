// SPDX-License-Identifier: MIT
#include "model/conn_view.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace tcpscope::model {

namespace {

constexpr std::string_view kGroupNames[] = {"none", "process", "host", "port"};
static_assert(std::size(kGroupNames) == static_cast<size_t>(GroupBy::kCount));

// -1 compares below every rate: rows without rates (new, or no tcp_info) sort last when largest
// come first, first when smallest do.
float rate_or_none(const ConnRow& r, float v) { return r.has_rates() ? v : -1.0F; }
int64_t info_or_none(const ConnRow& r, uint32_t v) { return r.has_info() ? v : -1; }

int compare_address(const ConnTable& t, uint32_t a, uint16_t pa, uint32_t b, uint16_t pb) {
  if (a != b) {
    const Address& x = t.addresses[a];
    const Address& y = t.addresses[b];
    if (x.family != y.family) return x.family < y.family ? -1 : 1;
    if (const int c = std::memcmp(x.bytes.data(), y.bytes.data(), 16); c != 0) return c;
  }
  return pa == pb ? 0 : (pa < pb ? -1 : 1);
}

template <typename T>
int cmp(T a, T b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// a before b in ascending order of `c`: <0, 0 or >0.
int compare_rows(const ConnTable& t, ConnColumn c, const ConnRow& a, const ConnRow& b) {
  switch (c) {
    case ConnColumn::kLocal:
      return compare_address(t, a.local, a.sport, b.local, b.sport);
    case ConnColumn::kPeer:
      return compare_address(t, a.remote, a.dport, b.remote, b.dport);
    case ConnColumn::kState:
      return cmp(a.state, b.state);
    case ConnColumn::kProcess:
      if (const int x = t.process_name(a).compare(t.process_name(b)); x != 0) return x;
      return cmp(t.process_pid(a), t.process_pid(b));
    case ConnColumn::kRx:
      return cmp(rate_or_none(a, a.rx_rate), rate_or_none(b, b.rx_rate));
    case ConnColumn::kTx:
      return cmp(rate_or_none(a, a.tx_rate), rate_or_none(b, b.tx_rate));
    case ConnColumn::kRetransRate:
      return cmp(rate_or_none(a, a.retrans_rate), rate_or_none(b, b.retrans_rate));
    case ConnColumn::kRetrans:
      return cmp(info_or_none(a, a.retrans_total), info_or_none(b, b.retrans_total));
    case ConnColumn::kRtt:
      return cmp(info_or_none(a, a.rtt_us), info_or_none(b, b.rtt_us));
    case ConnColumn::kCwnd:
      return cmp(info_or_none(a, a.cwnd), info_or_none(b, b.cwnd));
    case ConnColumn::kRecvQ:
      return cmp(a.rqueue, b.rqueue);
    case ConnColumn::kSendQ:
      return cmp(a.wqueue, b.wqueue);
    case ConnColumn::kAge:  // older first = larger age
      return cmp(b.first_seen_ds, a.first_seen_ds);
    case ConnColumn::kCount:
      break;
  }
  return 0;
}

struct RowLess {
  const ConnTable& t;
  ConnColumn c;
  bool descending;
  bool operator()(uint32_t x, uint32_t y) const {
    const ConnRow& a = t.rows[x];
    const ConnRow& b = t.rows[y];
    int r = compare_rows(t, c, a, b);
    if (descending) r = -r;
    if (r != 0) return r < 0;
    // Ties: by peer, then local, then cookie, so the order is stable from refresh to refresh.
    if (c != ConnColumn::kPeer) {
      if (const int p = compare_rows(t, ConnColumn::kPeer, a, b); p != 0) return p < 0;
    }
    if (c != ConnColumn::kLocal) {
      if (const int l = compare_rows(t, ConnColumn::kLocal, a, b); l != 0) return l < 0;
    }
    return a.cookie < b.cookie;
  }
};

void matching(const ConnTable& t, StateMask states, std::vector<uint32_t>& out) {
  out.clear();
  out.reserve(t.rows.size());
  for (uint32_t i = 0; i < t.rows.size(); ++i) {
    if ((states >> t.rows[i].state) & 1U) out.push_back(i);
  }
}

}  // namespace

ConnColumn column_from_key(std::string_view key) {
  for (const auto& c : kConnColumns) {
    if (c.key == key) return c.id;
  }
  return ConnColumn::kCount;
}

std::string_view group_name(GroupBy g) {
  return g < GroupBy::kCount ? kGroupNames[static_cast<size_t>(g)] : "?";
}

GroupBy group_from_name(std::string_view s) {
  for (size_t i = 0; i < std::size(kGroupNames); ++i) {
    if (kGroupNames[i] == s) return static_cast<GroupBy>(i);
  }
  return GroupBy::kCount;
}

void sorted_rows(const ConnTable& t, const ViewOptions& o, std::vector<uint32_t>& out) {
  matching(t, o.states, out);
  std::sort(out.begin(), out.end(), RowLess{t, o.sort, o.descending});
}

size_t select_rows(const ConnTable& t, const ViewOptions& o, size_t offset, size_t count,
                   std::vector<uint32_t>& scratch, std::vector<uint32_t>& out) {
  matching(t, o.states, scratch);
  out.clear();
  const size_t n = scratch.size();
  if (offset >= n || count == 0) return n;
  const size_t end = count >= n - offset ? n : offset + count;
  const RowLess less{t, o.sort, o.descending};
  auto first = scratch.begin() + static_cast<ptrdiff_t>(offset);
  auto last = scratch.begin() + static_cast<ptrdiff_t>(end);
  if (offset == 0 && end == n) {
    std::sort(first, last, less);
  } else {
    if (offset > 0) std::nth_element(scratch.begin(), first, scratch.end(), less);
    std::partial_sort(first, last, scratch.end(), less);
  }
  out.assign(first, last);
  return n;
}

void grouped_rows(const ConnTable& t, const ViewOptions& o, std::vector<ConnGroup>& out) {
  out.clear();
  if (o.group == GroupBy::kNone) return;
  std::unordered_map<uint64_t, uint32_t> index;
  for (uint32_t i = 0; i < t.rows.size(); ++i) {
    const ConnRow& r = t.rows[i];
    if (((o.states >> r.state) & 1U) == 0) continue;
    uint64_t key = 0;
    switch (o.group) {
      case GroupBy::kProcess:
        key = r.owner;
        break;
      case GroupBy::kRemoteHost:
        key = r.remote;
        break;
      default:
        key = r.dport;
        break;
    }
    auto [it, fresh] = index.try_emplace(key, static_cast<uint32_t>(out.size()));
    if (fresh) out.push_back(ConnGroup{.first = i});
    ConnGroup& g = out[it->second];
    ++g.count;
    if (r.has_rates()) {
      ++g.rated;
      g.rx_rate += r.rx_rate;
      g.tx_rate += r.tx_rate;
      g.retrans_rate += r.retrans_rate;
    }
    if (r.has_info()) {
      g.retrans += r.retrans_total;
      g.rtt_us_sum += r.rtt_us;
      ++g.rtt_count;
      g.cwnd_sum += r.cwnd;
    }
    g.rqueue += r.rqueue;
    g.wqueue += r.wqueue;
    g.oldest_ds = std::min(g.oldest_ds, r.first_seen_ds);
  }
  auto value = [&](const ConnGroup& g) -> double {
    switch (o.sort) {
      case ConnColumn::kRx:
        return g.rx_rate;
      case ConnColumn::kTx:
        return g.tx_rate;
      case ConnColumn::kRetransRate:
        return g.retrans_rate;
      case ConnColumn::kRetrans:
        return static_cast<double>(g.retrans);
      case ConnColumn::kRtt:
        return g.rtt_us_mean();
      case ConnColumn::kCwnd:
        return static_cast<double>(g.cwnd_sum);
      case ConnColumn::kRecvQ:
        return static_cast<double>(g.rqueue);
      case ConnColumn::kSendQ:
        return static_cast<double>(g.wqueue);
      case ConnColumn::kAge:
        return -static_cast<double>(g.oldest_ds);
      default:
        return static_cast<double>(g.count);  // the key columns: the largest group first
    }
  };
  // The key's own column sorts by the key (process name, address, port); others by the sum.
  const bool by_key = (o.group == GroupBy::kProcess && o.sort == ConnColumn::kProcess) ||
                      (o.group != GroupBy::kProcess && o.sort == ConnColumn::kPeer);
  std::sort(out.begin(), out.end(), [&](const ConnGroup& a, const ConnGroup& b) {
    if (by_key) {
      const ConnColumn c = o.group == GroupBy::kProcess ? ConnColumn::kProcess : ConnColumn::kPeer;
      const ConnRow& x = t.rows[a.first];
      const ConnRow& y = t.rows[b.first];
      int r = 0;
      if (o.group == GroupBy::kRemoteHost) {
        r = compare_address(t, x.remote, 0, y.remote, 0);
      } else if (o.group == GroupBy::kRemotePort) {
        r = cmp(x.dport, y.dport);
      } else {
        r = compare_rows(t, c, x, y);
      }
      if (r != 0) return o.descending ? r > 0 : r < 0;
      return a.first < b.first;
    }
    const double va = value(a);
    const double vb = value(b);
    if (va != vb) return o.descending ? va > vb : va < vb;
    if (a.count != b.count) return a.count > b.count;
    return a.first < b.first;
  });
}

}  // namespace tcpscope::model
