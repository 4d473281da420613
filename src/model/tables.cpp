// SPDX-License-Identifier: MIT
#include "model/tables.hpp"

#include <sys/socket.h>

#include <array>
#include <bit>

namespace tcpscope::model {

namespace {

constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoRaw = 255;
constexpr uint8_t kProtoSctp = 132;
constexpr uint8_t kProtoDccp = 33;

struct TableFacts {
  std::string_view name;
  std::string_view netid;
  FamilyMask families;
  StateMask default_states;  // ss's default_dbs[].states
};

constexpr StateMask kClose = state_bit(TcpState::kClose);
constexpr StateMask kEstab = state_bit(TcpState::kEstablished);

constexpr std::array<TableFacts, static_cast<size_t>(Table::kCount)> kTables = {{
    {"tcp", "tcp", kFamInet | kFamInet6, kMaskConnected},
    {"udp", "udp", kFamInet | kFamInet6, kEstab},
    {"raw", "raw", kFamInet | kFamInet6, kEstab},
    {"mptcp", "mptcp", kFamInet | kFamInet6, kMaskConnected},
    {"sctp", "sctp", kFamInet | kFamInet6, kMaskConnected},
    {"dccp", "dccp", kFamInet | kFamInet6, kMaskConnected},
    {"unix_stream", "u_str", kFamUnix, kMaskConnected},
    {"unix_dgram", "u_dgr", kFamUnix, kClose},
    {"unix_seqpacket", "u_seq", kFamUnix, kMaskConnected},
    {"packet_raw", "p_raw", kFamPacket, kClose},
    {"packet_dgram", "p_dgr", kFamPacket, kClose},
    {"netlink", "nl", kFamNetlink, kClose},
    {"vsock_stream", "v_str", kFamVsock, kMaskConnected},
    {"vsock_dgram", "v_dgr", kFamVsock, kMaskConnected},
    {"tipc", "tipc", kFamTipc,
     state_bit(TcpState::kEstablished) | kClose | state_bit(TcpState::kListen)},
    {"xdp", "xdp", kFamXdp, kClose},
}};

const TableFacts& facts(Table t) { return kTables[static_cast<size_t>(t)]; }

// ss's default_afs[]: a family's tables and default states. The inet families' tables are TCP
// and UDP here (ss: every inet table).
struct FamilyFacts {
  Family family;
  TableMask tables;  // the family's tables: any of them selected is enough
  TableMask added;   // what a family with none of them selected adds
  StateMask default_states;
};
constexpr TableMask kTcpUdp = table_bit(Table::kTcp) | table_bit(Table::kUdp);
constexpr TableMask kVsock = table_bit(Table::kVsockStream) | table_bit(Table::kVsockDgram);
constexpr std::array<FamilyFacts, 8> kFamilies = {{
    {kFamInet, kInetTables, kTcpUdp, kMaskConnected},
    {kFamInet6, kInetTables, kTcpUdp, kMaskConnected},
    {kFamUnix, kUnixTables, kUnixTables, kMaskConnected},
    {kFamPacket, kPacketTables, kPacketTables, kClose},
    {kFamNetlink, table_bit(Table::kNetlink), table_bit(Table::kNetlink), kClose},
    {kFamVsock, kVsock, kVsock, kMaskConnected},
    {kFamTipc, table_bit(Table::kTipc), table_bit(Table::kTipc),
     state_bit(TcpState::kEstablished) | kClose | state_bit(TcpState::kListen)},
    {kFamXdp, table_bit(Table::kXdp), table_bit(Table::kXdp), kClose},
}};

struct QueryName {
  std::string_view name;
  TableMask tables;
};
constexpr TableMask bit(Table t) { return table_bit(t); }
constexpr std::array<QueryName, 28> kQueryNames = {{
    {"all", bit(Table::kUdp) | bit(Table::kDccp) | bit(Table::kTcp) | bit(Table::kMptcp) |
                bit(Table::kRaw) | kUnixTables | kPacketTables | bit(Table::kNetlink) |
                bit(Table::kSctp) | bit(Table::kVsockStream) | bit(Table::kVsockDgram) |
                bit(Table::kXdp)},
    {"inet", kInetTables},
    {"udp", bit(Table::kUdp)},
    {"dccp", bit(Table::kDccp)},
    {"tcp", bit(Table::kTcp)},
    {"mptcp", bit(Table::kMptcp)},
    {"sctp", bit(Table::kSctp)},
    {"raw", bit(Table::kRaw)},
    {"unix", kUnixTables},
    {"unix_stream", bit(Table::kUnixStream)},
    {"u_str", bit(Table::kUnixStream)},
    {"unix_dgram", bit(Table::kUnixDgram)},
    {"u_dgr", bit(Table::kUnixDgram)},
    {"unix_seqpacket", bit(Table::kUnixSeqpacket)},
    {"u_seq", bit(Table::kUnixSeqpacket)},
    {"packet", kPacketTables},
    {"packet_raw", bit(Table::kPacketRaw)},
    {"p_raw", bit(Table::kPacketRaw)},
    {"packet_dgram", bit(Table::kPacketDgram)},
    {"p_dgr", bit(Table::kPacketDgram)},
    {"netlink", bit(Table::kNetlink)},
    {"tipc", bit(Table::kTipc)},
    {"vsock", bit(Table::kVsockStream) | bit(Table::kVsockDgram)},
    {"vsock_stream", bit(Table::kVsockStream)},
    {"v_str", bit(Table::kVsockStream)},
    {"vsock_dgram", bit(Table::kVsockDgram)},
    {"v_dgr", bit(Table::kVsockDgram)},
    {"xdp", bit(Table::kXdp)},
}};

}  // namespace

int Selection::table_count() const { return std::popcount(tables); }

void TableSelection::add_table(Table t) {
  tables_ |= table_bit(t);
  states_ |= facts(t).default_states;
  any_flag_ = true;
}

void TableSelection::add_family(Family f) {
  families_ |= f;
  for (const auto& ff : kFamilies) {
    if (ff.family == f) states_ |= ff.default_states;
  }
  any_flag_ = true;
}

bool TableSelection::set_db(std::string_view name, bool enable) {
  for (const auto& q : kQueryNames) {
    if (q.name != name) continue;
    if (enable) {
      tables_ |= q.tables;
      for (size_t i = 0; i < kTables.size(); ++i) {
        if ((q.tables >> i) & 1u) states_ |= kTables[i].default_states;
      }
    } else {
      tables_ &= ~q.tables;
    }
    return true;
  }
  return false;
}

std::optional<std::string_view> TableSelection::add_query(std::string_view list) {
  // Check every name first, so that a bad list changes nothing.
  for (std::string_view rest = list;;) {
    const size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    if (name.starts_with('!')) name.remove_prefix(1);
    bool known = false;
    for (const auto& q : kQueryNames) known = known || q.name == name;
    if (!known) return rest.substr(0, comma);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!saw_query_) {
    tables_ = 0;
    if (state_flag_ == 0) state_flag_ = kMaskConnected;
    saw_query_ = true;
  }
  any_flag_ = true;
  for (std::string_view rest = list;;) {
    const size_t comma = rest.find(',');
    std::string_view name = rest.substr(0, comma);
    const bool enable = !name.starts_with('!');
    if (!enable) name.remove_prefix(1);
    set_db(name, enable);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

Selection TableSelection::resolve(std::optional<StateMask> state_words) const {
  Selection s;
  s.tables = tables_;
  s.families = families_;
  StateMask flag = state_flag_;
  if (state_words) flag = *state_words;
  if (!any_flag_) {
    // No table or family chosen: TCP and UDP (ss: every table).
    if (!state_words && flag == 0) flag = kMaskConnected;
    s.tables = table_bit(Table::kTcp) | table_bit(Table::kUdp);
  }
  s.states = states_;
  // An explicit empty state selection stays empty (docs/ss-differences.md); -a/-l/-A replace.
  if (state_words || flag != 0) s.states = flag;
  // Each table pulls in its families; each family without a table pulls in its tables.
  for (size_t i = 0; i < kTables.size(); ++i) {
    if (((s.tables >> i) & 1u) != 0 && (kTables[i].families & s.families) == 0) {
      s.families |= kTables[i].families;
    }
  }
  for (const auto& ff : kFamilies) {
    if ((s.families & ff.family) != 0 && (ff.tables & s.tables) == 0) s.tables |= ff.added;
  }
  return s;
}

std::optional<Family> TableSelection::family_named(std::string_view name) {
  if (name == "inet") return kFamInet;
  if (name == "inet6") return kFamInet6;
  if (name == "link") return kFamPacket;
  if (name == "unix") return kFamUnix;
  if (name == "netlink") return kFamNetlink;
  if (name == "vsock") return kFamVsock;
  if (name == "tipc") return kFamTipc;
  if (name == "xdp") return kFamXdp;
  return std::nullopt;
}

Table table_of(const SocketRecord& r) {
  if (r.family == AF_UNIX) {
    if (r.sock_type == SOCK_STREAM) return Table::kUnixStream;
    if (r.sock_type == SOCK_SEQPACKET) return Table::kUnixSeqpacket;
    return Table::kUnixDgram;
  }
  if (r.family == AF_PACKET) {
    return r.sock_type == SOCK_RAW ? Table::kPacketRaw : Table::kPacketDgram;
  }
  if (r.family == AF_VSOCK) {
    return r.sock_type == SOCK_DGRAM ? Table::kVsockDgram : Table::kVsockStream;
  }
  if (r.mptcp) return Table::kMptcp;
  switch (r.protocol) {
    case kProtoTcp:
      return Table::kTcp;
    case kProtoUdp:
      return Table::kUdp;
    case kProtoRaw:
      return Table::kRaw;
    case kProtoSctp:
      return Table::kSctp;
    case kProtoDccp:
      return Table::kDccp;
    default:
      return Table::kCount;
  }
}

std::string_view netid_name(const SocketRecord& r) {
  const Table t = table_of(r);
  return t == Table::kCount ? std::string_view("???") : facts(t).netid;
}

void TableCensus::add(const SocketRecord& r) {
  const Table t = table_of(r);
  if (t == Table::kCount || r.state >= kStateCount) return;
  ++by_state[static_cast<size_t>(t)][r.state];
}

uint64_t TableCensus::total(Table t) const {
  uint64_t n = 0;
  for (uint64_t v : by_state[static_cast<size_t>(t)]) n += v;
  return n;
}

std::string_view table_name(Table t) {
  return t == Table::kCount ? std::string_view("unknown") : facts(t).name;
}

}  // namespace tcpscope::model
