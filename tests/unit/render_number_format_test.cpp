// The fast printf-equivalent number formats must print exactly what printf does.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "render/append.hpp"
#include "render/number_format.hpp"

namespace tcpscope::render::detail {
namespace {

std::string g(double v, int precision = 6) {
  fmt::memory_buffer b;
  put_g(b, v, precision);
  return fmt::to_string(b);
}

std::string printf_g(double v, int precision = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

std::string fixed0(double v) {
  fmt::memory_buffer b;
  put_fixed0(b, v);
  return fmt::to_string(b);
}

std::string fixed1(double v) {
  fmt::memory_buffer b;
  put_fixed1(b, v);
  return fmt::to_string(b);
}

std::string printf_f(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

uint64_t next(uint64_t& x) {
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return x;
}

TEST(RenderNumberFormat, KnownValues) {
  EXPECT_EQ(g(0), "0");
  EXPECT_EQ(g(0.034), "0.034");
  EXPECT_EQ(g(204), "204");
  EXPECT_EQ(g(1234.567), "1234.57");
  EXPECT_EQ(g(999999.4), "999999");
  EXPECT_EQ(g(999999.5), "1e+06");
  EXPECT_EQ(g(4294967.295), "4.29497e+06");
  EXPECT_EQ(g(0.0001), "0.0001");
  EXPECT_EQ(g(0.00001), "1e-05");
  EXPECT_EQ(g(739 / 256.0), "2.88672");
  EXPECT_EQ(g(130 / 256.0), "0.507812");  // exact tie: round half to even
  EXPECT_EQ(g(999.6, 3), "1e+03");
  EXPECT_EQ(g(59.64, 3), "59.6");
  EXPECT_EQ(fixed0(0.5), "0");
  EXPECT_EQ(fixed0(1.5), "2");
  EXPECT_EQ(fixed0(2.5), "2");
  EXPECT_EQ(fixed0(91437176470.588), "91437176471");
  EXPECT_EQ(fixed1(0.25), "0.2");  // exact binary tie
  EXPECT_EQ(fixed1(0.35), printf_f("%.1f", 0.35));
  EXPECT_EQ(fixed1(100), "100.0");
}

TEST(RenderNumberFormat, MicrosecondsAsMillisecondsMatchPrintf) {
  // Every value up to 1.05 s (past the point where rounding starts), then a sample of the whole u32
  // range (ss: %g of usec / 1000).
  for (uint32_t us = 0; us <= 1050000; ++us) {
    const double v = static_cast<double>(us) / 1000;
    ASSERT_EQ(g(v), printf_g(v)) << us;
  }
  uint64_t x = 0x2545F4914F6CDD1DULL;
  for (int i = 0; i < 300000; ++i) {
    const auto us = static_cast<uint32_t>(next(x));
    const double v = static_cast<double>(us) / 1000;
    ASSERT_EQ(g(v), printf_g(v)) << us;
  }
}

TEST(RenderNumberFormat, GainsMatchPrintf) {
  for (uint32_t k = 0; k < 200000; ++k) {
    const double v = static_cast<double>(k) / 256.0;
    ASSERT_EQ(g(v), printf_g(v)) << k;
  }
}

TEST(RenderNumberFormat, RatesMatchPrintf) {
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 60000; ++i) {
    const uint64_t r = next(x);
    // Integer rates (bytes/s * 8) of every magnitude, and non-integer ones like ss's send rate.
    const double bps = static_cast<double>(r >> (r % 60)) * 8.0;
    const double send = static_cast<double>((r >> 40) + 1) * static_cast<double>(r % 65536 + 1) *
                        8000000. / static_cast<double>((r >> 20) % 1000000 + 1);
    for (double v : {bps, send, bps / 1e3, bps / 1e6, bps / 1e9, bps / 1e12, send / 1e9}) {
      ASSERT_EQ(g(v, 3), printf_g(v, 3)) << v;
      ASSERT_EQ(fixed0(v), printf_f("%.0f", v)) << v;
    }
    const double pct =
        100.0 * static_cast<double>(r % 1000000) / static_cast<double>(r % 1000000 + (r >> 44) + 1);
    ASSERT_EQ(fixed1(pct), printf_f("%.1f", pct)) << pct;
  }
  // Exact halves for %.0f and %.1f.
  for (int i = 0; i < 100000; ++i) {
    const double half = i + 0.5;
    ASSERT_EQ(fixed0(half), printf_f("%.0f", half));
    const double q = i / 4.0;
    ASSERT_EQ(fixed1(q), printf_f("%.1f", q));
  }
}

TEST(RenderNumberFormat, PutIntWritesInPlace) {
  fmt::memory_buffer b;
  put_int(b, uint64_t{0});
  put(b, ' ');
  put_int(b, uint64_t{18446744073709551615ULL});
  put(b, ' ');
  put_int(b, int32_t{-2147483647 - 1});
  put(b, ' ');
  put_int(b, uint8_t{9});
  put(b, ' ');
  put_int(b, uint32_t{10});
  EXPECT_EQ(fmt::to_string(b), "0 18446744073709551615 -2147483648 9 10");
}

}  // namespace
}  // namespace tcpscope::render::detail
