// SPDX-License-Identifier: MIT
// Census: what `summary` (and later doctor/agent) counts from a dump, in fixed arrays.
//
// Memory does not grow with the socket table: counts are indexed by state and family; only
// listeners are kept (a host has few), and SYN-RECV request sockets are attributed to them as
// they stream past. Feed the listener dump first (state LISTEN only), then the rest.
//
// A listener's identity is (family, address, port, device): SO_BINDTODEVICE lets two sockets
// share an address and port on different devices, and ss prints them as "0.0.0.0%eth0:80" and
// "0.0.0.0%eth1:80". Give the census a NameLookup to learn the devices' names; without one (or
// for an index the lookup does not know) the name is "if<N>", as ss prints it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "model/dump.hpp"
#include "model/names.hpp"
#include "model/socket_record.hpp"

namespace tcpscope::model {

struct ListenerInfo {
  uint8_t family = 0;
  uint8_t v6only = 0;  // 1 v6only, 0 dual-stack, 2 unknown (no attribute)
  uint16_t port = 0;
  std::array<uint8_t, 16> addr{};
  uint32_t accept_queue = 0;        // completed handshakes not yet accept()ed
  uint32_t accept_queue_limit = 0;  // min(listen() backlog, somaxconn)
  uint32_t syn_recv_v4 = 0;         // request sockets attributed to this listener, by their family
  uint32_t syn_recv_v6 = 0;
  uint32_t inode = 0;
  uint32_t ifindex = 0;  // SO_BINDTODEVICE; 0 when bound to no device
  // The device's name (IFNAMSIZ is 16 with the NUL; "if4294967295" fits too); empty when
  // ifindex is 0.
  std::array<char, 16> device{};
  bool has_drops = false;
  uint32_t drops = 0;  // SK_MEMINFO_DROPS: ListenDrops attributed to this listener
  uint64_t cookie = 0;

  bool wildcard() const;
  // The accept queue holds limit + 1 connections when full (the kernel tests len > limit).
  bool accept_queue_full() const { return accept_queue > accept_queue_limit; }
  double fill_percent() const;
  uint32_t syn_recv() const { return syn_recv_v4 + syn_recv_v6; }
  // The device's name, "" for a listener bound to no device.
  std::string_view interface() const;
};

struct FamilyCounts {
  uint64_t v4 = 0;
  uint64_t v6 = 0;
  uint64_t total() const { return v4 + v6; }
};

class Census final : public SocketVisitor {
 public:
  Census() = default;
  // `names` (may be null) names the devices listeners are bound to; it must outlive the census.
  explicit Census(NameLookup* names) : names_(names) {}

  void on_socket(const SocketRecord& r) override;
  // Forgets what the interrupted dump (one family, one protocol) counted; it is re-run.
  bool on_restart(const DumpRequest& req) override;

  const std::array<FamilyCounts, kStateCount>& tcp() const { return tcp_; }
  const std::array<FamilyCounts, kStateCount>& udp() const { return udp_; }
  FamilyCounts tcp_total() const;
  FamilyCounts udp_total() const;
  const std::vector<ListenerInfo>& listeners() const { return listeners_; }
  // Orphans in this namespace: TCP sockets no process holds (inode 0) in FIN-WAIT-1, CLOSING or
  // LAST-ACK (TIME-WAIT and request sockets also have inode 0 and are not orphans).
  uint64_t orphans() const { return orphans_.total(); }
  uint64_t syn_recv_unattributed() const { return syn_recv_unattributed_.total(); }

  // Listeners sorted by accept-queue fill, fullest first.
  void sort_listeners();

 private:
  void attribute_syn_recv(const SocketRecord& r);

  std::array<FamilyCounts, kStateCount> tcp_{};
  std::array<FamilyCounts, kStateCount> udp_{};
  NameLookup* names_ = nullptr;
  std::vector<ListenerInfo> listeners_;
  FamilyCounts orphans_;
  FamilyCounts syn_recv_unattributed_;
};

}  // namespace tcpscope::model
