// SPDX-License-Identifier: MIT
#include "model/close_account.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "model/tcp_state.hpp"

namespace tcpscope::model {
namespace {

SocketRecord sock(uint8_t family, uint8_t protocol, std::array<uint8_t, 16> src, uint16_t sport,
                  uint16_t dport = 0, TcpState st = TcpState::kClose) {
  SocketRecord r;
  r.family = family;
  r.protocol = protocol;
  r.state = static_cast<uint8_t>(st);
  r.src = src;
  r.sport = sport;
  r.dport = dport;
  return r;
}

constexpr std::array<uint8_t, 16> kLo4{127, 0, 0, 1};
constexpr std::array<uint8_t, 16> kLo4b{127, 0, 0, 2};
constexpr std::array<uint8_t, 16> kAny{};
constexpr std::array<uint8_t, 16> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 9};
constexpr std::array<uint8_t, 16> kLo6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

TEST(ListenerSet, DirectionFollowsExactWildcardAndDualStackListeners) {
  ListenerSet s;
  s.add(sock(AF_INET, IPPROTO_TCP, kLo4, 80, 0, TcpState::kListen));
  SocketRecord dual = sock(AF_INET6, IPPROTO_TCP, kAny, 443, 0, TcpState::kListen);
  dual.set(kAttrSkV6Only);
  dual.v6only = 0;
  s.add(dual);
  SocketRecord only6 = sock(AF_INET6, IPPROTO_TCP, kAny, 8443, 0, TcpState::kListen);
  only6.set(kAttrSkV6Only);
  only6.v6only = 1;
  s.add(only6);
  s.add(sock(AF_INET, IPPROTO_TCP, kAny, 25, 0, TcpState::kEstablished));  // not a listener
  s.add(sock(AF_INET, IPPROTO_UDP, kAny, 53));                             // a UDP server
  s.add(sock(AF_INET, IPPROTO_UDP, kAny, 5000, 6000));                     // connected UDP
  s.finish();
  EXPECT_EQ(s.size(), 4U);
  auto dir = [&](SocketRecord r) { return s.direction(r); };
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_TCP, kLo4, 80, 5555)), Direction::kInbound);
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_TCP, kLo4b, 80, 5555)), Direction::kOutbound);  // other addr
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_TCP, kLo4, 5555, 80)), Direction::kOutbound);
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_TCP, kLo4b, 443, 1)), Direction::kInbound);  // dual-stack
  EXPECT_EQ(dir(sock(AF_INET6, IPPROTO_TCP, kMapped, 443, 1)), Direction::kInbound);
  EXPECT_EQ(dir(sock(AF_INET6, IPPROTO_TCP, kLo6, 8443, 1)), Direction::kInbound);
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_TCP, kLo4, 8443, 1)), Direction::kOutbound);  // v6only
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_TCP, kLo4, 25, 1)), Direction::kOutbound);
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_UDP, kLo4, 53, 1)), Direction::kInbound);
  EXPECT_EQ(dir(sock(AF_INET, IPPROTO_TCP, kLo4, 53, 1)), Direction::kOutbound);  // protocol
  // A mapped IPv4 address on an IPv4 listener's port.
  EXPECT_EQ(dir(sock(AF_INET6, IPPROTO_TCP,
                     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1}, 80, 1)),
            Direction::kInbound);
}

TEST(ListenerSet, KnowsTheListenersThemselvesByCookie) {
  ListenerSet s;
  SocketRecord l = sock(AF_INET, IPPROTO_TCP, kLo4, 80, 0, TcpState::kListen);
  l.cookie = 77;
  s.add(l);
  s.finish();
  EXPECT_TRUE(s.is_listener(77));
  EXPECT_FALSE(s.is_listener(78));
}

SocketRecord closed(uint16_t sport, uint16_t dport, uint32_t rtt_us, uint32_t retrans,
                    uint64_t sent, uint64_t received) {
  SocketRecord r = sock(AF_INET, IPPROTO_TCP, kLo4, sport, dport);
  r.set(kAttrInfo);
  r.tcp_info_len = static_cast<uint16_t>(sizeof(TcpInfo));
  r.tcp_info.rtt = rtt_us;
  r.tcp_info.total_retrans = retrans;
  r.tcp_info.bytes_sent = sent + 100;
  r.tcp_info.bytes_retrans = 100;
  r.tcp_info.bytes_acked = sent + 2;
  r.tcp_info.bytes_received = received;
  return r;
}

TEST(CloseAccount, SumsBytesRetransmissionsAndRttPercentiles) {
  CloseAccount a;
  for (uint32_t i = 1; i <= 100; ++i) a.add(closed(1, 80, i * 100, i % 10 == 0 ? 2 : 0, 1000, 10));
  EXPECT_EQ(a.closed, 100U);
  EXPECT_EQ(a.bytes_sent, 100'000U);  // bytes_sent - bytes_retrans: data sent once
  EXPECT_EQ(a.bytes_received, 1000U);
  EXPECT_EQ(a.with_retrans, 10U);
  EXPECT_EQ(a.retrans_segments, 20U);
  // Percentiles within a bucket (2^(1/4), 19 %) above the true value.
  for (auto [p, want] :
       {std::pair{50.0, 5000.0}, std::pair{90.0, 9000.0}, std::pair{99.0, 9900.0}}) {
    const auto got = a.rtt_percentile_us(p);
    ASSERT_TRUE(got);
    EXPECT_GE(*got, want * 0.999) << p;
    EXPECT_LE(*got, want * 1.19) << p;
  }
  CloseAccount empty;
  EXPECT_FALSE(empty.rtt_percentile_us(50));
  empty.add(closed(1, 80, 0, 0, 0, 0));  // no RTT sample (never measured)
  EXPECT_FALSE(empty.rtt_percentile_us(50));
  EXPECT_EQ(rtt_bucket(0), 0U);
  EXPECT_EQ(rtt_bucket(UINT32_MAX), kRttBuckets - 1);
}

TEST(CloseSummary, FoldsPortsBeyondItsBoundAndKeepsTheLargest) {
  CloseSummary s(3);
  for (int i = 0; i < 5; ++i) s.add(closed(80, 1000 + i, 10, 0, 1, 1), Direction::kInbound);
  for (int i = 0; i < 3; ++i) s.add(closed(5000 + i, 5432, 10, 0, 1, 1), Direction::kOutbound);
  s.add(closed(6000, 6379, 10, 0, 1, 1), Direction::kOutbound);
  s.add(closed(6001, 11211, 10, 0, 1, 1), Direction::kOutbound);
  s.add(closed(6002, 9999, 10, 0, 1, 1), Direction::kOutbound);  // a 4th port: folded
  EXPECT_EQ(s.total(), 11U);
  std::vector<CloseSummary::Row> rows;
  CloseAccount other;
  s.top(2, rows, other);
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_EQ(rows[0].key.port, 80);
  EXPECT_EQ(rows[0].key.direction, Direction::kInbound);
  EXPECT_EQ(rows[0].account.closed, 5U);
  EXPECT_EQ(rows[1].key.port, 5432);
  EXPECT_EQ(other.closed, 3U);  // 6379 (beyond the top 2), and 11211 and 9999 folded
  s.clear();
  s.top(2, rows, other);
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(other.closed, 0U);
}

}  // namespace
}  // namespace tcpscope::model
