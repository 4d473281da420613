// SPDX-License-Identifier: MIT
// Per-endpoint counts the doctor needs from the full dump, in bounded memory.
//
// PressureTally rides along the census dump (one pass; header-level records are enough: it only
// reads state, addresses and ports) and keeps three tables:
//   TIME-WAIT per remote addr:port              (time-wait-pressure: who causes it)
//   connections per (local addr, remote addr:port) whose local port is ephemeral
//                                               (ephemeral-port-pressure: the 4-tuple space)
//   CLOSE-WAIT per local port (servers) or per remote addr:port when the local port is
//   ephemeral (client pools)                    (close-wait-leak)
//
// Each table is a Misra-Gries heavy-hitter summary with kSlots counters in a fixed open-addressing
// array (allocated once, ~100 KiB per table; never grows with the socket table). While a table
// has seen at most kSlots distinct keys, its counts are exact. Beyond that, any key holding more
// than N/(kSlots+1) of the N sockets fed to the table is guaranteed to be kept, and every count is
// low by at most error_bound() (<= N/(kSlots+1): 195 for 200k sockets). The doctor's thresholds
// are thousands, so the bound does not change a verdict; it is reported with the evidence.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "model/dump.hpp"

namespace tcpscope::doctor {

struct EndpointKey {
  uint8_t family = 0;                // AF_INET / AF_INET6
  uint8_t by_remote = 0;             // close-wait: 1 when keyed by remote endpoint (client side)
  uint16_t port = 0;                 // remote port (or local port for by-local-port keys)
  std::array<uint8_t, 16> local{};   // zero when not part of the key
  std::array<uint8_t, 16> remote{};  // zero when not part of the key
  bool operator==(const EndpointKey&) const = default;
};

struct EndpointCount {
  EndpointKey key;
  uint64_t count = 0;
};

class HeavyHitters {
 public:
  static constexpr uint32_t kSlots = 1024;  // counters kept
  HeavyHitters();
  void add(const EndpointKey& k);
  void clear();
  // Drops every key of this family (an interrupted dump of that family is re-run).
  void forget_family(uint8_t family);
  // The `n` largest, largest first.
  std::vector<EndpointCount> top(size_t n) const;
  uint64_t error_bound() const { return decrements_; }
  uint64_t fed() const { return fed_; }

 private:
  static constexpr uint32_t kTable = kSlots * 2;  // power of two, load <= 1/2
  struct Slot {
    EndpointKey key;
    uint64_t count = 0;  // 0 = empty
  };
  uint32_t find_slot(const EndpointKey& k) const;
  void decrement_all();

  std::vector<Slot> slots_;
  std::vector<Slot> spare_;  // rebuild target, allocated once
  uint32_t used_ = 0;
  uint64_t decrements_ = 0;
  uint64_t fed_ = 0;
};

class PressureTally final : public model::SocketVisitor {
 public:
  // `ephemeral_first..last`: net.ipv4.ip_local_port_range of the namespace being dumped.
  PressureTally(uint16_t ephemeral_first, uint16_t ephemeral_last)
      : eph_first_(ephemeral_first), eph_last_(ephemeral_last) {}
  void on_socket(const model::SocketRecord& r) override;
  bool on_restart(const model::DumpRequest& req) override;

  const HeavyHitters& time_wait() const { return tw_; }
  const HeavyHitters& destinations() const { return dest_; }
  const HeavyHitters& close_wait() const { return cw_; }
  uint64_t error_bound() const;

 private:
  bool ephemeral(uint16_t port) const { return port >= eph_first_ && port <= eph_last_; }
  uint16_t eph_first_;
  uint16_t eph_last_;
  HeavyHitters tw_;
  HeavyHitters dest_;
  HeavyHitters cw_;
};

}  // namespace tcpscope::doctor
