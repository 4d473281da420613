// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "render/top.hpp"

namespace tcpscope::render {
namespace {

template <typename F>
std::string text(F&& f) {
  fmt::memory_buffer b;
  f(b);
  return {b.data(), b.size()};
}

TEST(TopFormat, ByteRatesUsePowersOf1024) {
  auto r = [](double v) { return text([&](auto& b) { append_byte_rate(b, v); }); };
  EXPECT_EQ(r(0), "0");
  EXPECT_EQ(r(0.5), "0.5");
  EXPECT_EQ(r(950), "950");
  EXPECT_EQ(r(1024), "1.0K");
  EXPECT_EQ(r(12.5 * 1024), "12K");
  EXPECT_EQ(r(4.5 * 1024 * 1024), "4.5M");
  EXPECT_EQ(r(3.0 * 1024 * 1024 * 1024), "3.0G");
  EXPECT_EQ(r(-1), "-");
  EXPECT_EQ(r(std::numeric_limits<double>::infinity()), "-");
}

TEST(TopFormat, CountRatesUsePowersOf1000AndAgesReadAsDurations) {
  auto c = [](double v) { return text([&](auto& b) { append_count_rate(b, v); }); };
  EXPECT_EQ(c(2), "2");
  EXPECT_EQ(c(2.5), "2.5");
  EXPECT_EQ(c(1500), "1.5K");
  auto a = [](double v) { return text([&](auto& b) { append_age(b, v); }); };
  EXPECT_EQ(a(0), "0s");
  EXPECT_EQ(a(59.9), "59s");
  EXPECT_EQ(a(192), "3m12s");
  EXPECT_EQ(a(2 * 3600 + 5 * 60), "2h05m");
  EXPECT_EQ(a(3 * 86400 + 4 * 3600), "3d04h");
  EXPECT_EQ(a(-5), "0s");
}

TEST(TopFormat, HeaderLinesShowWhatIsUnknown) {
  model::TopSnapshot s;
  s.refresh = 1;
  s.tcp[static_cast<size_t>(model::TcpState::kEstablished)].v4 = 3;
  s.tcp[static_cast<size_t>(model::TcpState::kTimeWait)].v6 = 2;
  s.has_change = true;
  s.tcp_change[static_cast<size_t>(model::TcpState::kTimeWait)] = -1;
  EXPECT_EQ(text([&](auto& b) { append_top_states(b, s); }), "TCP 5: ESTAB 3 TIME-WAIT 2 (-1)");
  EXPECT_EQ(text([&](auto& b) { append_top_limits(b, s); }),
            "TIME-WAIT ?/?  orphans ?/?  memory pages ?/?");
  s.sockstat = model::SockStat{};
  s.sockstat->tcp_tw = 50;
  s.tunables.tcp_max_tw_buckets = 200;
  EXPECT_EQ(text([&](auto& b) { append_top_limits(b, s); }).substr(0, 22),
            "TIME-WAIT 50/200 (25.0");
  EXPECT_EQ(text([&](auto& b) { append_top_doctor(b, s); }),
            "doctor: waiting for a second refresh");
  EXPECT_EQ(text([&](auto& b) { append_top_counter(b, s, 0); }), "ListenOverflows -");
  s.counters[0].has_rate = true;
  s.counters[0].rate = 12;
  EXPECT_EQ(text([&](auto& b) { append_top_counter(b, s, 0); }), "ListenOverflows 12");
}

}  // namespace
}  // namespace tcpscope::render
