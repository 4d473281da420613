// SPDX-License-Identifier: MIT
// Builders of synthetic doctor snapshots for the rule tests.
#pragma once

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "doctor/rules.hpp"

namespace tcpscope::doctor::doctor_test {

inline Snapshot healthy() {
  Snapshot s;
  s.counters.seconds = 2.0;
  s.counters.present.fill(true);
  s.tunables.somaxconn = 4096;
  s.tunables.tcp_syncookies = 1;
  s.tunables.tcp_max_syn_backlog = 2048;
  s.tunables.tcp_max_tw_buckets = 131072;
  s.tunables.tcp_max_orphans = 131072;
  s.tunables.tcp_mem = std::array<int64_t, 3>{287901, 383868, 575802};
  s.tunables.ip_local_port_range = std::array<int64_t, 2>{32768, 60999};
  s.tunables.tcp_abort_on_overflow = 0;
  s.sockstat = model::SockStat{};
  return s;
}

inline void set(Snapshot& s, Counter c, uint64_t delta) {
  s.counters.delta[static_cast<size_t>(c)] = delta;
}

// An IPv4 or, for an address with a ':', an IPv6 listener.
inline ListenerSample listener(const char* addr, uint16_t port, uint32_t queue, uint32_t limit,
                               std::optional<uint64_t> drops = 0) {
  ListenerSample l;
  l.info.family = std::strchr(addr, ':') != nullptr ? AF_INET6 : AF_INET;
  ::inet_pton(l.info.family, addr, l.info.addr.data());
  l.info.port = port;
  l.info.accept_queue = queue;
  l.info.accept_queue_limit = limit;
  l.info.has_drops = true;
  l.drops_in_window = drops;
  return l;
}

inline EndpointCount endpoint(const char* local, const char* remote, uint16_t port,
                              uint64_t count) {
  EndpointCount e;
  e.key.family = AF_INET;
  if (local) ::inet_pton(AF_INET, local, e.key.local.data());
  if (remote) ::inet_pton(AF_INET, remote, e.key.remote.data());
  e.key.port = port;
  e.count = count;
  return e;
}

inline const Finding* find(const Report& r, std::string_view id) {
  auto it = std::find_if(r.findings.begin(), r.findings.end(),
                         [&](const Finding& f) { return check_key(f.id) == id; });
  return it == r.findings.end() ? nullptr : &*it;
}

inline bool passed(const Report& r, std::string_view id) {
  return std::any_of(r.passed.begin(), r.passed.end(),
                     [&](CheckId p) { return check_key(p) == id; });
}

}  // namespace tcpscope::doctor::doctor_test
