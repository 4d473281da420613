// SPDX-License-Identifier: MIT
// Which socket tables `sockets` dumps, chosen the way ss chooses them.
//
// ss keeps a set of tables (tcp, udp, raw, ..., u_str, p_raw, ...), a set of families and a
// state mask, and each flag adds to them in command-line order: a table flag (-t -u -w -S -M)
// adds its table and ORs its default states into the mask; a family flag (-x -0 -4 -6 -f,
// --vsock --tipc --xdp) adds the family and its default states; the first -A empties the tables
// and sets the default mask unless -a or -l came before; `-A !name` removes. -a and -l set the
// mask outright, state words override it. At the end each selected table pulls in its families
// and each selected family without a table pulls in its tables.
//
//   TableSelection s;
//   s.add_table(Table::kTcp); s.add_family(kFamUnix); ...   // as the flags come
//   auto r = s.resolve(state_words);                         // Result with tables/families/mask
//
// One difference on purpose: with no table and no family flag at all, and for the inet families
// without a table, the tables are TCP and UDP only (ss: every table it knows).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "model/socket_record.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

enum class Table : uint8_t {
  kTcp,
  kUdp,
  kRaw,
  kMptcp,
  kSctp,
  kDccp,
  kUnixStream,
  kUnixDgram,
  kUnixSeqpacket,
  kPacketRaw,
  kPacketDgram,
  kNetlink,
  kVsockStream,
  kVsockDgram,
  kTipc,
  kXdp,
  kCount,
};
using TableMask = uint32_t;
constexpr TableMask table_bit(Table t) { return TableMask{1} << static_cast<unsigned>(t); }

enum Family : uint16_t {
  kFamInet = 1 << 0,
  kFamInet6 = 1 << 1,
  kFamUnix = 1 << 2,
  kFamPacket = 1 << 3,
  kFamNetlink = 1 << 4,
  kFamVsock = 1 << 5,
  kFamTipc = 1 << 6,
  kFamXdp = 1 << 7,
};
using FamilyMask = uint16_t;

inline constexpr TableMask kUnixTables =
    table_bit(Table::kUnixStream) | table_bit(Table::kUnixDgram) | table_bit(Table::kUnixSeqpacket);
inline constexpr TableMask kPacketTables =
    table_bit(Table::kPacketRaw) | table_bit(Table::kPacketDgram);
inline constexpr TableMask kInetTables = table_bit(Table::kTcp) | table_bit(Table::kUdp) |
                                         table_bit(Table::kRaw) | table_bit(Table::kMptcp) |
                                         table_bit(Table::kSctp) | table_bit(Table::kDccp);

// ss's SS_CONN: every state but LISTEN, CLOSE, TIME-WAIT and SYN-RECV (= kMaskDefault).
inline constexpr StateMask kMaskConnected = kMaskDefault;

struct Selection {
  TableMask tables = 0;
  FamilyMask families = 0;
  StateMask states = 0;
  bool has(Table t) const { return (tables & table_bit(t)) != 0; }
  int table_count() const;
};

class TableSelection {
 public:
  void add_table(Table t);    // -t -u -w -S -M
  void add_family(Family f);  // -4 -6 -0 -x -f, --vsock --tipc --xdp
  // -A LIST: a comma-separated list of ss's table names, "!name" removes. Returns the first
  // name it does not know (nothing is changed then).
  std::optional<std::string_view> add_query(std::string_view list);
  void set_all() { state_flag_ = kMaskAll; }              // -a
  void set_listening() { state_flag_ = kMaskListening; }  // -l
  // The final choice; `state_words`: the mask of leading state/exclude words, if any.
  Selection resolve(std::optional<StateMask> state_words) const;

  // -f NAME: the family of a name ss accepts (inet inet6 link unix netlink vsock tipc xdp).
  static std::optional<Family> family_named(std::string_view name);

 private:
  bool set_db(std::string_view name, bool enable);
  TableMask tables_ = 0;
  FamilyMask families_ = 0;
  StateMask states_ = 0;      // defaults ORed in by table and family flags
  StateMask state_flag_ = 0;  // -a, -l, or -A's default
  bool any_flag_ = false;
  bool saw_query_ = false;
};

// Sockets counted by table and state (summary's count of the tables beyond TCP and UDP).
struct TableCensus {
  std::array<std::array<uint64_t, kStateCount>, static_cast<size_t>(Table::kCount)> by_state{};
  TableMask dumped = 0;  // tables whose dump ran (a kernel may lack a diag handler)
  void add(const SocketRecord& r);
  uint64_t total(Table t) const;
  uint64_t in(Table t, TcpState s) const {
    return by_state[static_cast<size_t>(t)][static_cast<size_t>(s)];
  }
};

// ss's Netid column: tcp udp raw mptcp sctp u_str u_dgr u_seq p_raw p_dgr, "???" otherwise.
std::string_view netid_name(const SocketRecord& r);
// The table a record belongs to (for JSON's "protocol" and per-table counts).
Table table_of(const SocketRecord& r);
// ss's name of a table as -A takes it: "tcp", "unix_stream", "packet_raw", ...
std::string_view table_name(Table t);

}  // namespace tcpscope::model
