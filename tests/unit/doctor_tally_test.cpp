// SPDX-License-Identifier: MIT
// PressureTally and its bounded heavy-hitter tables; threshold flags and config files.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "doctor/tally.hpp"
#include "doctor/thresholds.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::doctor {
namespace {

model::SocketRecord rec(model::TcpState st, const char* src, uint16_t sport, const char* dst,
                        uint16_t dport) {
  model::SocketRecord r;
  r.family = AF_INET;
  r.protocol = IPPROTO_TCP;
  r.state = static_cast<uint8_t>(st);
  ::inet_pton(AF_INET, src, r.src.data());
  ::inet_pton(AF_INET, dst, r.dst.data());
  r.sport = sport;
  r.dport = dport;
  return r;
}

TEST(DoctorTally, CountsTimeWaitDestinationsAndCloseWait) {
  PressureTally t(40000, 40099);
  using model::TcpState;
  for (uint16_t p = 40000; p < 40010; ++p) {
    t.on_socket(rec(TcpState::kTimeWait, "127.0.0.1", p, "10.0.0.5", 443));
    t.on_socket(rec(TcpState::kEstablished, "127.0.0.1", p, "10.0.0.6", 80));
    // Server side of a connection: local port 8080 is not ephemeral.
    t.on_socket(rec(TcpState::kCloseWait, "127.0.0.1", 8080, "127.0.0.1", p));
  }
  t.on_socket(rec(TcpState::kCloseWait, "127.0.0.1", 40050, "10.0.0.7", 5432));
  const auto tw = t.time_wait().top(5);
  ASSERT_EQ(tw.size(), 1u);
  EXPECT_EQ(tw[0].count, 10u);
  EXPECT_EQ(tw[0].key.port, 443);
  const auto dest = t.destinations().top(5);
  ASSERT_EQ(dest.size(), 3u);  // :443 (TIME-WAIT holds a port too), :80, and :5432
  EXPECT_EQ(dest[0].count, 10u);
  EXPECT_EQ(dest[1].count, 10u);
  const auto cw = t.close_wait().top(5);
  ASSERT_EQ(cw.size(), 2u);
  EXPECT_EQ(cw[0].count, 10u);
  EXPECT_EQ(cw[0].key.port, 8080);
  EXPECT_EQ(cw[0].key.by_remote, 0);
  EXPECT_EQ(cw[1].key.by_remote, 1);
  EXPECT_EQ(cw[1].key.port, 5432);
  EXPECT_EQ(t.error_bound(), 0u);
}

TEST(DoctorTally, HeavyHitterSurvivesManyDistinctKeysWithinTheBound) {
  HeavyHitters h;
  EndpointKey hot;
  hot.family = AF_INET;
  hot.port = 443;
  uint64_t n = 0;
  for (uint32_t i = 0; i < 50000; ++i) {
    EndpointKey k;
    k.family = AF_INET;
    k.port = static_cast<uint16_t>(i);
    k.remote[0] = static_cast<uint8_t>(i >> 16);
    k.remote[1] = static_cast<uint8_t>(i >> 8);
    k.remote[2] = static_cast<uint8_t>(i);
    k.remote[3] = 1;
    h.add(k);
    ++n;
    if (i % 5 == 0) {
      h.add(hot);
      ++n;
    }
  }
  const auto top = h.top(1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].key, hot);
  EXPECT_LE(h.error_bound(), n / (HeavyHitters::kSlots + 1));
  EXPECT_GE(top[0].count + h.error_bound(), 10000u);
  EXPECT_LE(top[0].count, 10000u);
}

TEST(DoctorTally, RestartForgetsOneFamily) {
  PressureTally t(1, 65535);
  t.on_socket(rec(model::TcpState::kTimeWait, "127.0.0.1", 5000, "10.0.0.5", 443));
  model::DumpRequest req;
  req.family = AF_INET;
  EXPECT_TRUE(t.on_restart(req));
  EXPECT_TRUE(t.time_wait().top(5).empty());
}

TEST(DoctorThresholds, FlagsAndConfig) {
  Thresholds t;
  ASSERT_TRUE(set_threshold(t, "accept-queue-fill=90"));
  EXPECT_EQ(t.accept_queue_fill, 90);
  ASSERT_TRUE(set_threshold(t, "close_wait_count = 5"));
  EXPECT_EQ(t.close_wait_count, 5);
  EXPECT_FALSE(set_threshold(t, "no-such=1"));
  EXPECT_FALSE(set_threshold(t, "accept-queue-fill=-1"));
  EXPECT_FALSE(set_threshold(t, "accept-queue-fill=12x"));
  EXPECT_FALSE(set_threshold(t, "accept-queue-fill"));
  ASSERT_TRUE(parse_threshold_config(t,
                                     "# comment\n\ntime-wait-fill = 50  # inline\n"
                                     "retrans_ratio=1.5\n",
                                     "f.conf"));
  EXPECT_EQ(t.time_wait_fill, 50);
  EXPECT_EQ(t.retrans_ratio, 1.5);
  auto bad = parse_threshold_config(t, "a = 1\n", "f.conf");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("f.conf:1"), std::string::npos);
  EXPECT_FALSE(parse_threshold_config(t, "time-wait-fill 50\n", "f.conf"));
}

}  // namespace
}  // namespace tcpscope::doctor
