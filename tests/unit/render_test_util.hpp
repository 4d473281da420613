// SPDX-License-Identifier: MIT
// Builders of synthetic SocketRecords and a fake NameLookup for the render tests.
#pragma once

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "model/names.hpp"
#include "model/socket_record.hpp"
#include "model/tcp_info.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::testing {

inline constexpr uint8_t kAfInet = 2;
inline constexpr uint8_t kAfInet6 = 10;
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;

inline uint8_t st(model::TcpState s) { return static_cast<uint8_t>(s); }

inline std::array<uint8_t, 16> v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {a, b, c, d};
}

// An IPv6 address from 8 host-order groups.
inline std::array<uint8_t, 16> v6(std::array<uint16_t, 8> groups) {
  std::array<uint8_t, 16> r{};
  for (size_t i = 0; i < 8; ++i) {
    r[2 * i] = static_cast<uint8_t>(groups[i] >> 8);
    r[2 * i + 1] = static_cast<uint8_t>(groups[i] & 0xff);
  }
  return r;
}

inline std::array<uint8_t, 16> v4_mapped(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

inline model::SocketRecord tcp4(model::TcpState state, std::array<uint8_t, 16> src, uint16_t sport,
                                std::array<uint8_t, 16> dst, uint16_t dport) {
  model::SocketRecord r;
  r.family = kAfInet;
  r.protocol = kTcp;
  r.state = st(state);
  r.src = src;
  r.sport = sport;
  r.dst = dst;
  r.dport = dport;
  return r;
}

inline model::SocketRecord tcp6(model::TcpState state, std::array<uint8_t, 16> src, uint16_t sport,
                                std::array<uint8_t, 16> dst, uint16_t dport) {
  model::SocketRecord r = tcp4(state, src, sport, dst, dport);
  r.family = kAfInet6;
  return r;
}

inline void set_cong(model::SocketRecord& r, std::string_view name) {
  std::memcpy(r.cong.data(), name.data(), name.size());
  r.cong[name.size()] = '\0';
  r.cong_len = static_cast<uint8_t>(name.size());
  r.set(model::kAttrCong);
}

// Gives a record a tcp_info of `len` bytes (fields not set by the test are zero).
inline void set_info(model::SocketRecord& r, uint16_t len = sizeof(model::TcpInfo)) {
  r.set(model::kAttrInfo);
  r.tcp_info_len = len;
}

// The ESTAB row verified against ss 6.1 in  (a loopback bbr connection).
inline model::SocketRecord verified_estab() {
  model::SocketRecord r =
      tcp4(model::TcpState::kEstablished, v4(127, 0, 0, 1), 55038, v4(127, 0, 0, 1), 5555);
  set_info(r, 248);  // a 6.7-6.17 kernel
  set_cong(r, "bbr");
  auto& t = r.tcp_info;
  t.state = 1;
  t.options = model::kTcpiOptTimestamps | model::kTcpiOptSack | model::kTcpiOptWscale;
  t.wscale = 0xAA;  // 10,10
  t.flags = 1;      // app_limited
  t.rto = 204000;
  t.ato = 0;
  t.snd_mss = 35328;
  t.rcv_mss = 536;
  t.pmtu = 65535;
  t.rcv_ssthresh = 65495;
  t.rtt = 34;
  t.rttvar = 19;
  t.snd_ssthresh = 0x7fffffff;
  t.snd_cwnd = 11;
  t.advmss = 65483;
  t.reordering = 3;
  t.rcv_space = 65495;
  t.last_data_sent = 23796;
  t.last_data_recv = 23796;
  t.last_ack_recv = 23796;
  t.pacing_rate = 24623394779;  // 196987158232 bps
  t.max_pacing_rate = ~uint64_t{0};
  t.bytes_acked = 1001;
  t.segs_out = 3;
  t.segs_in = 2;
  t.min_rtt = 9;
  t.data_segs_out = 1;
  t.delivery_rate = 3925333333;  // 31402666664 bps
  t.delivered = 2;
  t.bytes_sent = 1000;
  t.snd_wnd = 70656;
  t.rcv_wnd = 65536;
  r.set(model::kAttrBbrInfo);
  r.bbr = {3925333099, 0, 9, 739, 739};  // bw 31402664792 bps, gains 2.88672
  return r;
}

class FakeNames final : public model::NameLookup {
 public:
  std::map<uint32_t, std::string> ifnames;
  std::map<uint64_t, std::string> cgroups;
  std::map<uint32_t, std::string> services;  // protocol << 16 | port
  int calls = 0;

  std::string_view ifname(uint32_t ifindex) override {
    ++calls;
    auto it = ifnames.find(ifindex);
    return it == ifnames.end() ? std::string_view{} : it->second;
  }
  std::string_view cgroup_path(uint64_t id) override {
    ++calls;
    auto it = cgroups.find(id);
    return it == cgroups.end() ? std::string_view{} : it->second;
  }
  std::string_view service(uint16_t port, uint8_t protocol) override {
    ++calls;
    auto it = services.find((uint32_t{protocol} << 16) | port);
    return it == services.end() ? std::string_view{} : it->second;
  }
  std::map<int32_t, model::ProcessPlace> places;
  model::ProcessPlace process_place(int32_t pid) override {
    ++calls;
    auto it = places.find(pid);
    return it == places.end() ? model::ProcessPlace{} : it->second;
  }
};

}  // namespace tcpscope::testing
