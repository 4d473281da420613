// SPDX-License-Identifier: MIT
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

// The raw-pointer writers, through a buffer with the room each one documents.
std::string uint_text(uint64_t v) {
  char buf[kMaxUintLen + 1];
  return std::string(buf, write_uint(buf, v));
}

std::string usec_ms(uint32_t us) {
  char buf[kMaxGLen];
  return std::string(buf, write_usec_as_ms(buf, us));
}

std::string g_scaled(uint64_t n, int scale, int precision = 6) {
  char buf[kMaxGLen];
  return std::string(buf, write_g_scaled(buf, n, scale, precision));
}

constexpr double kPow10Test[] = {1e0, 1e1, 1e2, 1e3,  1e4,  1e5,  1e6,
                                 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13};

TEST(RenderNumberFormat, WriteUintMatchesToString) {
  // Every digit count, both sides of each power of ten, and a sample of everything else.
  for (int k = 0; k < 20; ++k) {
    const uint64_t p = kPow10U64[k];
    for (uint64_t v : {p - 1, p, p + 1, p * 5 - 1}) {
      ASSERT_EQ(uint_text(v), std::to_string(v)) << v;
    }
  }
  ASSERT_EQ(uint_text(~uint64_t{0}), "18446744073709551615");
  for (uint64_t v = 0; v < 200000; ++v) ASSERT_EQ(uint_text(v), std::to_string(v));
  uint64_t x = 0x853c49e6748fea9bULL;
  for (int i = 0; i < 300000; ++i) {
    const uint64_t r = next(x);
    const uint64_t v = r >> (r % 64);
    ASSERT_EQ(uint_text(v), std::to_string(v)) << v;
  }
  char buf[kMaxUintLen + 2];
  EXPECT_EQ(std::string(buf, write_int(buf, int32_t{-2147483647 - 1})), "-2147483648");
  EXPECT_EQ(std::string(buf, write_int(buf, int32_t{-7})), "-7");
  EXPECT_EQ(std::string(buf, write_int(buf, uint8_t{255})), "255");
}

TEST(RenderNumberFormat, UsecAsMsMatchesPrintf) {
  // Every value through 2.1 s (the exact path ends at 1 s), then a sample of the u32 range.
  for (uint32_t us = 0; us <= 2100000; ++us) {
    ASSERT_EQ(usec_ms(us), printf_g(static_cast<double>(us) / 1000)) << us;
  }
  uint64_t x = 0x2545F4914F6CDD1DULL;
  for (int i = 0; i < 300000; ++i) {
    const auto us = static_cast<uint32_t>(next(x) >> (i % 32));
    ASSERT_EQ(usec_ms(us), printf_g(static_cast<double>(us) / 1000)) << us;
  }
  EXPECT_EQ(usec_ms(4), "0.004");
  EXPECT_EQ(usec_ms(204000), "204");
  EXPECT_EQ(usec_ms(1234565), printf_g(1234.565));  // a decimal tie: the double decides
  EXPECT_EQ(usec_ms(999999500), "1e+06");
  EXPECT_EQ(usec_ms(4294967295), "4.29497e+06");
}

TEST(RenderNumberFormat, ScaledGainsMatchPrintf) {
  // ss: %g of gain / 256, written here from gain * 390625 / 10^8.
  for (uint64_t k = 0; k < 300000; ++k) {
    ASSERT_EQ(g_scaled(k * 390625, 8), printf_g(static_cast<double>(k) / 256.0)) << k;
  }
  uint64_t x = 0x1234567887654321ULL;
  for (int i = 0; i < 100000; ++i) {
    const auto k = static_cast<uint32_t>(next(x));
    ASSERT_EQ(g_scaled(uint64_t{k} * 390625, 8), printf_g(static_cast<double>(k) / 256.0)) << k;
  }
}

TEST(RenderNumberFormat, ScaledRatesMatchPrintf) {
  auto check = [](uint64_t n, int scale, int precision) {
    ASSERT_EQ(g_scaled(n, scale, precision),
              printf_g(static_cast<double>(n) / kPow10Test[scale], precision))
        << n << " / 1e" << scale << " %." << precision << "g";
  };
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t r = next(x);
    const uint64_t n = r >> (r % 64);  // every magnitude, past 2^53 too
    for (int scale : {0, 3, 6, 9, 12}) {
      check(n, scale, 3);
      check(n, scale, 6);
    }
    check(n, static_cast<int>(r % 14), static_cast<int>(r % 9) + 1);
  }
  // Decimal ties (...5 after the kept digits) and carries to the next power of ten, where the
  // integer path defers to the double.
  for (int drop = 1; drop <= 12; ++drop) {
    for (uint64_t q : {100u, 101u, 125u, 999u, 5000u, 99999u, 999999u}) {
      const uint64_t base = q * kPow10U64[drop];
      const uint64_t half = kPow10U64[drop] / 2;
      for (uint64_t n : {base + half, base + half - 1, base + half + 1, base - half, base - 1}) {
        for (int scale : {0, 3, 6, 9, 12}) {
          check(n, scale, 3);
          check(n, scale, 6);
        }
      }
    }
  }
}

TEST(RenderNumberFormat, CursorWritesInPlaceAndThroughTheBuffer) {
  fmt::memory_buffer b;
  put(b, "x=");
  {
    Cursor c(b, 32);
    c.item(" a:", uint32_t{42});
    c.via_buffer([](fmt::memory_buffer& out) { put(out, std::string(1000, 'z')); });
    c.item(" b:", int32_t{-1});
    c.lit(" end");
  }
  EXPECT_EQ(fmt::to_string(b), "x= a:42" + std::string(1000, 'z') + " b:-1 end");
  put_fixed0(b, 1e30);  // past the in-place range: through the buffer
  EXPECT_EQ(fmt::to_string(b).substr(1000 + 16), printf_f("%.0f", 1e30));
}

}  // namespace
}  // namespace tcpscope::render::detail
