// SPDX-License-Identifier: MIT
// Sorting and grouping `top`'s connections: pure functions of a ConnTable and the view's
// options, so the screen, batch mode and the tests share them.
//
// The screen asks only for the rows it shows (select_rows: an nth_element and a sort of the
// window, linear in the table), so a key answers quickly even on a million connections; batch
// mode and JSON ask for the whole order. Groups (by process, remote host or remote port) are
// one row each with counts and sums, sorted by the same column over the group's values.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/conn_table.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

enum class ConnColumn : uint8_t {
  kLocal,
  kPeer,
  kState,
  kProcess,
  kRx,
  kTx,
  kRetransRate,
  kRetrans,
  kRtt,
  kCwnd,
  kRecvQ,
  kSendQ,
  kAge,
  kCount,
};
inline constexpr size_t kConnColumnCount = static_cast<size_t>(ConnColumn::kCount);

struct ConnColumnInfo {
  ConnColumn id;
  std::string_view key;     // --sort NAME, the JSON key
  std::string_view header;  // the column's title
  bool numeric;             // right-aligned; sorted largest first by default
};

inline constexpr ConnColumnInfo kConnColumns[] = {
    {ConnColumn::kLocal, "local", "Local Address:Port", false},
    {ConnColumn::kPeer, "peer", "Peer Address:Port", false},
    {ConnColumn::kState, "state", "State", false},
    {ConnColumn::kProcess, "process", "Process", false},
    {ConnColumn::kRx, "rx", "Recv/s", true},
    {ConnColumn::kTx, "tx", "Send/s", true},
    {ConnColumn::kRetransRate, "retrans_rate", "Retr/s", true},
    {ConnColumn::kRetrans, "retrans", "Retr", true},
    {ConnColumn::kRtt, "rtt", "RTT ms", true},
    {ConnColumn::kCwnd, "cwnd", "Cwnd", true},
    {ConnColumn::kRecvQ, "recv_q", "Recv-Q", true},
    {ConnColumn::kSendQ, "send_q", "Send-Q", true},
    {ConnColumn::kAge, "age", "Age", true},
};
static_assert(std::size(kConnColumns) == kConnColumnCount);

constexpr const ConnColumnInfo& column_info(ConnColumn c) {
  return kConnColumns[static_cast<size_t>(c)];
}
// The column named `key`, or kCount.
ConnColumn column_from_key(std::string_view key);

enum class GroupBy : uint8_t { kNone, kProcess, kRemoteHost, kRemotePort, kCount };
std::string_view group_name(GroupBy g);       // "none", "process", "host", "port"
GroupBy group_from_name(std::string_view s);  // kCount when unknown

struct ViewOptions {
  ConnColumn sort = ConnColumn::kTx;
  bool descending = true;
  GroupBy group = GroupBy::kNone;
  StateMask states = kMaskAll;  // shown states (the dump is narrowed to them too)
};

// One group: its key's representative row and the sums of its members.
struct ConnGroup {
  uint32_t first = 0;  // a member row (its process, remote address or port names the group)
  uint32_t count = 0;
  uint32_t rated = 0;  // members with rates (the sums below are of them)
  double rx_rate = 0;
  double tx_rate = 0;
  double retrans_rate = 0;
  uint64_t retrans = 0;
  uint64_t rqueue = 0;
  uint64_t wqueue = 0;
  uint64_t rtt_us_sum = 0;  // over members with tcp_info
  uint32_t rtt_count = 0;
  uint64_t cwnd_sum = 0;
  uint32_t oldest_ds = UINT32_MAX;  // the earliest first_seen_ds

  uint32_t rtt_us_mean() const {
    return rtt_count == 0 ? 0 : static_cast<uint32_t>(rtt_us_sum / rtt_count);
  }
};

// The matching rows (state mask), all of them in order.
void sorted_rows(const ConnTable& t, const ViewOptions& o, std::vector<uint32_t>& out);
// The rows [offset, offset + count) of that order, cheaper than sorting everything; returns the
// number of matching rows.
size_t select_rows(const ConnTable& t, const ViewOptions& o, size_t offset, size_t count,
                   std::vector<uint32_t>& scratch, std::vector<uint32_t>& out);
// The groups of the matching rows, sorted.
void grouped_rows(const ConnTable& t, const ViewOptions& o, std::vector<ConnGroup>& out);

}  // namespace tcpscope::model
