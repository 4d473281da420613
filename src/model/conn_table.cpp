// SPDX-License-Identifier: MIT
#include "model/conn_table.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "model/tcp_info_fields.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

namespace {

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

uint64_t address_hash(uint8_t family, const std::array<uint8_t, 16>& b) {
  uint64_t lo;
  uint64_t hi;
  std::memcpy(&lo, b.data(), 8);
  std::memcpy(&hi, b.data() + 8, 8);
  return mix(lo ^ mix(hi + family));
}

// The slot of a cookie in an index of `n` slots (any n: the multiply-shift maps the mixed
// cookie onto [0, n) without a power-of-two size).
__extension__ using Uint128 = unsigned __int128;
size_t cookie_slot(uint64_t cookie, size_t n) {
  return static_cast<size_t>((static_cast<Uint128>(mix(cookie)) * n) >> 64);
}

// Slots for n entries at a load of at most 1/2.
size_t slot_count(size_t n) { return std::bit_ceil(std::max<size_t>(16, n * 2)); }

}  // namespace

void AddressTable::reserve(size_t n) {
  entries_.reserve(n);
  if (slots_.size() < slot_count(n)) {
    slots_.assign(slot_count(n), 0);
    for (uint32_t i = 0; i < entries_.size(); ++i) {
      size_t s = address_hash(entries_[i].family, entries_[i].bytes) & (slots_.size() - 1);
      while (slots_[s] != 0) s = (s + 1) & (slots_.size() - 1);
      slots_[s] = i + 1;
    }
  }
}

void AddressTable::grow() { reserve(std::max<size_t>(16, entries_.size() * 2)); }

uint32_t AddressTable::intern(uint8_t family, const std::array<uint8_t, 16>& bytes) {
  if (slots_.empty() || (entries_.size() + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  size_t s = address_hash(family, bytes) & mask;
  while (slots_[s] != 0) {
    const Address& a = entries_[slots_[s] - 1];
    if (a.family == family && a.bytes == bytes) return slots_[s] - 1;
    s = (s + 1) & mask;
  }
  entries_.push_back(Address{family, bytes});
  slots_[s] = static_cast<uint32_t>(entries_.size());
  return slots_[s] - 1;
}

void ProcessTable::add(uint32_t inode, int32_t pid, std::string_view name) {
  auto [it, fresh] = pid_index_.try_emplace(pid, static_cast<uint32_t>(processes_.size()));
  if (fresh) processes_.push_back(Process{pid, std::string(name)});
  by_inode_.emplace_back(inode, it->second);
}

void ProcessTable::finish() {
  // Stable: the first owner added for an inode stays first.
  std::stable_sort(by_inode_.begin(), by_inode_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  by_inode_.erase(std::unique(by_inode_.begin(), by_inode_.end(),
                              [](const auto& a, const auto& b) { return a.first == b.first; }),
                  by_inode_.end());
  by_inode_.shrink_to_fit();
  pid_index_ = {};
}

uint32_t ProcessTable::find(uint32_t inode) const {
  if (inode == 0) return kNone;
  auto it = std::lower_bound(by_inode_.begin(), by_inode_.end(), inode,
                             [](const auto& e, uint32_t i) { return e.first < i; });
  return it != by_inode_.end() && it->first == inode ? it->second : kNone;
}

std::string_view ConnTable::process_name(const ConnRow& r) const {
  if (!processes || r.owner >= processes->processes().size()) return {};
  return processes->processes()[r.owner].name;
}

int32_t ConnTable::process_pid(const ConnRow& r) const {
  if (!processes || r.owner >= processes->processes().size()) return 0;
  return processes->processes()[r.owner].pid;
}

ConnTableBuilder::ConnTableBuilder(std::shared_ptr<const ConnTable> previous,
                                   std::shared_ptr<const ProcessTable> processes, double now_s)
    : prev_(std::move(previous)), table_(std::make_shared<ConnTable>()) {
  table_->processes = std::move(processes);
  table_->taken_s = now_s;
  reowner_ = !prev_ || prev_->processes != table_->processes;
  if (prev_) {
    table_->seconds = now_s - prev_->taken_s;
    // The table rarely changes much between refreshes: reserve what the last one needed.
    table_->rows.reserve(prev_->rows.size() + prev_->rows.size() / 16 + 64);
    table_->addresses.reserve(prev_->addresses.size() + 16);
  }
}

void ConnTableBuilder::build_index() const {
  // Linear probing at a load of at most 3/4: a third less memory than a power of two at 1/2,
  // and this index exists next to two full tables.
  const size_t n = std::max<size_t>(16, prev_->rows.size() + prev_->rows.size() / 3 + 1);
  prev_index_.assign(n, 0);
  for (uint32_t i = 0; i < prev_->rows.size(); ++i) {
    size_t s = cookie_slot(prev_->rows[i].cookie, n);
    while (prev_index_[s] != 0) s = s + 1 == n ? 0 : s + 1;
    prev_index_[s] = i + 1;
  }
}

const ConnRow* ConnTableBuilder::previous_row(uint64_t cookie) const {
  if (!prev_ || prev_->rows.empty()) return nullptr;
  // The kernel walks its hash in the same order each time, so the previous table is usually in
  // this dump's order: look just past the last match first (sequential, no hashing), then in
  // the index, built on the first miss.
  const std::vector<ConnRow>& rows = prev_->rows;
  for (size_t i = next_; i < rows.size() && i < next_ + kLookAhead; ++i) {
    if (rows[i].cookie == cookie) {
      next_ = i + 1;
      return &rows[i];
    }
  }
  if (prev_index_.empty()) build_index();
  const size_t n = prev_index_.size();
  size_t s = cookie_slot(cookie, n);
  while (prev_index_[s] != 0) {
    const ConnRow& r = rows[prev_index_[s] - 1];
    if (r.cookie == cookie) {
      next_ = prev_index_[s];
      return &r;
    }
    s = s + 1 == n ? 0 : s + 1;
  }
  return nullptr;
}

void ConnTableBuilder::on_socket(const SocketRecord& r) {
  if (r.state == static_cast<uint8_t>(TcpState::kListen)) return;
  ConnRow& row = table_->rows.emplace_back();
  row.cookie = r.cookie;
  row.local = table_->addresses.intern(r.family, r.src);
  row.remote = table_->addresses.intern(r.family, r.dst);
  row.sport = r.sport;
  row.dport = r.dport;
  row.state = r.state;
  row.rqueue = r.rqueue;
  row.wqueue = r.wqueue;
  constexpr const TcpiField& kAcked = kTcpiFields[TCPSCOPE_TCPI_INDEX(bytes_acked)];
  constexpr const TcpiField& kReceived = kTcpiFields[TCPSCOPE_TCPI_INDEX(bytes_received)];
  if (r.has(kAttrInfo) && tcpi_present(r, kAcked) && tcpi_present(r, kReceived)) {
    row.flags |= ConnRow::kHasInfo;
    row.bytes_acked = r.tcp_info.bytes_acked;
    row.bytes_received = r.tcp_info.bytes_received;
    row.rtt_us = r.tcp_info.rtt;
    row.cwnd = r.tcp_info.snd_cwnd;
    row.retrans_total = r.tcp_info.total_retrans;
  }
  const ConnRow* p = previous_row(r.cookie);
  if (p != nullptr) {
    row.first_seen_ds = p->first_seen_ds;
    if (!reowner_) row.owner = p->owner;
    if (row.has_info() && p->has_info() && table_->seconds > 0) {
      const double s = table_->seconds;
      // A counter that went backwards (a reused cookie cannot; a reset socket can) counts 0.
      auto rate = [s](uint64_t now, uint64_t before) {
        return now >= before ? static_cast<float>(static_cast<double>(now - before) / s) : 0.0F;
      };
      row.rx_rate = rate(row.bytes_received, p->bytes_received);
      row.tx_rate = rate(row.bytes_acked, p->bytes_acked);
      row.retrans_rate = rate(row.retrans_total, p->retrans_total);
      row.flags |= ConnRow::kHasRates;
    }
  } else {
    row.first_seen_ds = static_cast<uint32_t>(table_->taken_s * 10);
  }
  if ((p == nullptr || reowner_) && table_->processes) {
    row.owner = table_->processes->find(r.inode);
  }
}

bool ConnTableBuilder::on_restart(const DumpRequest& /*req*/) {
  table_->rows.resize(dump_start_);
  return true;
}

std::shared_ptr<const ConnTable> ConnTableBuilder::finish() {
  prev_.reset();
  prev_index_ = {};
  return std::move(table_);
}

}  // namespace tcpscope::model
