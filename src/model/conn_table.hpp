// SPDX-License-Identifier: MIT
// ConnTable: one refresh of `top`'s connections, with per-connection rates.
//
// A table is built from one dump by a ConnTableBuilder (a SocketVisitor), which finds each
// socket of the previous table by its cookie to turn tcp_info's running totals
// (bytes_acked, bytes_received, total_retrans) into per-second rates and to carry the time it
// was first seen. The finished table is immutable and shared: the screen sorts and renders it
// while the next one is built, and it is the history the next build reads. So at most two
// tables exist, and a connection costs one 80-byte row in each; a connection that is gone is
// simply not in the next table.
//
// Addresses are interned per table (a host has few local addresses, and peers repeat), rows hold
// their ids. Processes come from a ProcessTable, rebuilt now and then by the collector (a /proc
// walk costs more than a dump); between rebuilds a connection keeps the owner it had.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/dump.hpp"
#include "model/socket_record.hpp"

namespace tcpscope::model {

struct Address {
  uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};
};

// Interned addresses: id -> address, address -> id.
class AddressTable {
 public:
  uint32_t intern(uint8_t family, const std::array<uint8_t, 16>& bytes);
  const Address& operator[](uint32_t id) const { return entries_[id]; }
  size_t size() const { return entries_.size(); }
  void reserve(size_t n);

 private:
  void grow();
  std::vector<Address> entries_;
  std::vector<uint32_t> slots_;  // open addressing: id + 1, 0 empty
};

// One process that holds sockets.
struct Process {
  int32_t pid = 0;
  std::string name;
};

// Socket inode -> the process holding it (the first of ss's order when several do).
class ProcessTable {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;
  // Adds an owner; `inode` may repeat (the first added wins). Call finish() before lookups.
  void add(uint32_t inode, int32_t pid, std::string_view name);
  void finish();
  uint32_t find(uint32_t inode) const;  // index into processes(), or kNone
  const std::vector<Process>& processes() const { return processes_; }
  size_t sockets() const { return by_inode_.size(); }

 private:
  std::vector<Process> processes_;
  std::vector<std::pair<uint32_t, uint32_t>> by_inode_;  // inode -> process index, sorted
  std::unordered_map<int32_t, uint32_t> pid_index_;      // while adding
};

struct ConnRow {
  enum Flags : uint8_t { kHasInfo = 1, kHasRates = 2 };
  uint64_t cookie = 0;
  uint64_t bytes_acked = 0;     // sent and acknowledged (tcpi_bytes_acked)
  uint64_t bytes_received = 0;  // tcpi_bytes_received
  uint32_t local = 0;           // AddressTable ids
  uint32_t remote = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t state = 0;
  uint8_t flags = 0;
  uint16_t reserved = 0;
  uint32_t rqueue = 0;
  uint32_t wqueue = 0;
  uint32_t rtt_us = 0;
  uint32_t cwnd = 0;
  uint32_t retrans_total = 0;            // tcpi_total_retrans
  uint32_t owner = ProcessTable::kNone;  // ProcessTable index
  uint32_t first_seen_ds = 0;            // tenths of a second since the tracker's start
  float rx_rate = 0;                     // bytes/s received, over the refresh
  float tx_rate = 0;                     // bytes/s acknowledged by the peer
  float retrans_rate = 0;                // segments/s retransmitted

  bool has_info() const { return (flags & kHasInfo) != 0; }
  bool has_rates() const { return (flags & kHasRates) != 0; }
};
static_assert(sizeof(ConnRow) == 80, "a row per connection, twice: keep it small");

struct ConnTable {
  std::vector<ConnRow> rows;
  AddressTable addresses;
  std::shared_ptr<const ProcessTable> processes;  // may be null (no process walk yet)
  double taken_s = 0;                             // seconds since the tracker's start (monotonic)
  double seconds = 0;  // since the previous table (0: the first, no rates)

  std::string_view process_name(const ConnRow& r) const;
  int32_t process_pid(const ConnRow& r) const;
};

// Builds the next table from one dump (TCP sockets with INET_DIAG_INFO; LISTEN rows are left
// out: listeners have their own pane).
class ConnTableBuilder final : public SocketVisitor {
 public:
  // `previous` may be null. `processes` is the newest process table; when it is not the
  // previous table's, every row looks its owner up again.
  ConnTableBuilder(std::shared_ptr<const ConnTable> previous,
                   std::shared_ptr<const ProcessTable> processes, double now_s);

  void on_socket(const SocketRecord& r) override;
  bool on_restart(const DumpRequest& req) override;
  // Call before each dump (one family): a restart drops the rows of that dump only.
  void begin_dump() { dump_start_ = table_->rows.size(); }
  std::shared_ptr<const ConnTable> finish();

 private:
  const ConnRow* previous_row(uint64_t cookie) const;
  void build_index() const;

  static constexpr size_t kLookAhead = 4;
  std::shared_ptr<const ConnTable> prev_;
  std::shared_ptr<ConnTable> table_;
  // Lookups of the previous table: where the last match was, and (after a miss there) an open
  // addressing index over prev_->rows: index + 1, 0 empty.
  mutable size_t next_ = 0;
  mutable std::vector<uint32_t> prev_index_;
  bool reowner_ = false;
  size_t dump_start_ = 0;
};

}  // namespace tcpscope::model
