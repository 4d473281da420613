// SPDX-License-Identifier: MIT
// ss's number formats (rates, times, gains) against printf, which ss uses.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "render/details.hpp"
#include "unit/render_details_util.hpp"
#include "unit/render_test_util.hpp"

namespace tcpscope::render {
namespace {

using namespace testing_details;  // NOLINT(google-build-using-namespace)

// ---------------------------------------------------------------------------------------------
// Number formats: fmt must produce what printf does.

TEST(RenderFormat, RateUnits) {
  EXPECT_EQ(rate(0, false), "0");
  EXPECT_EQ(rate(999, false), "999");
  EXPECT_EQ(rate(1000, false), "1k");
  EXPECT_EQ(rate(123456, false), "123k");
  EXPECT_EQ(rate(1e6, false), "1M");
  EXPECT_EQ(rate(59.6e9, false), "59.6G");
  EXPECT_EQ(rate(1.7e11, false), "170G");
  EXPECT_EQ(rate(2.5e12, false), "2.5T");
  EXPECT_EQ(rate(999999, false), "1e+03k");  // printf("%.3gk", 999.999) is "1e+03k" too
  EXPECT_EQ(rate(91437176470.588, true), "91437176471");
}

// What ss prints for a rate of bits/s: "%.0f" with -n, else "%.3g" and a unit (or "%g").
std::string printf_rate(double bps, bool numeric) {
  char want[512];
  if (numeric) {
    std::snprintf(want, sizeof want, "%.0f", bps);
    return want;
  }
  const char* unit = bps >= 1e12  ? "T"
                     : bps >= 1e9 ? "G"
                     : bps >= 1e6 ? "M"
                     : bps >= 1e3 ? "k"
                                  : "";
  const double scaled = bps >= 1e12  ? bps / 1e12
                        : bps >= 1e9 ? bps / 1e9
                        : bps >= 1e6 ? bps / 1e6
                        : bps >= 1e3 ? bps / 1e3
                                     : bps;
  std::snprintf(want, sizeof want, *unit != '\0' ? "%.3g%s" : "%g%s", scaled, unit);
  return want;
}

TEST(RenderFormat, MatchesPrintfOnManyValues) {
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const double us = static_cast<double>(x % 100000000) / 1000;
    const double bps = static_cast<double>(x >> (x % 40)) * 8.0;
    char want[128];
    fmt::memory_buffer b;
    std::snprintf(want, sizeof want, "%g", us);
    b.clear();
    fmt::format_to(fmt::appender(b), "{:g}", us);
    ASSERT_EQ(fmt::to_string(b), want);
    ASSERT_EQ(rate(bps, true), printf_rate(bps, true));
    ASSERT_EQ(rate(bps, false), printf_rate(bps, false));
    const double pct = 100.0 * static_cast<double>(x % 1000003) / 1000003.0;
    std::snprintf(want, sizeof want, "%.1f", pct);
    b.clear();
    fmt::format_to(fmt::appender(b), "{:.1f}", pct);
    ASSERT_EQ(fmt::to_string(b), want);
  }
}

TEST(RenderFormat, KernelRatesAndTimesMatchPrintf) {
  // Byte rates are formatted from the integer (rate * 8 without a double below 2^47 bytes/s),
  // times from the microsecond count and gains from the fixed-point value: all must still read
  // as ss's printf of the doubles.
  uint64_t x = 0xd1b54a32d192ed03ULL;
  for (int i = 0; i < 40000; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    SocketRecord r = estab();
    set_info(r);
    auto& t = r.tcp_info;
    t.reordering = 3;
    t.delivery_rate = (x >> (x % 64)) | 1;  // every magnitude, past 2^47 too
    t.min_rtt = static_cast<uint32_t>(x >> (x % 32)) | 1;
    if (t.min_rtt == ~uint32_t{0}) t.min_rtt = 1;
    r.set(model::kAttrBbrInfo);
    const uint64_t bw = x >> ((x >> 8) % 64);
    r.bbr = {static_cast<uint32_t>(bw), static_cast<uint32_t>(bw >> 32),
             static_cast<uint32_t>(x >> 20), static_cast<uint32_t>(x >> 3) | 1,
             static_cast<uint32_t>(x >> 40) | 1};
    for (bool numeric : {true, false}) {
      char want[1024];
      std::snprintf(want, sizeof want,
                    " bbr:(bw:%sbps,mrtt:%g,pacing_gain:%g,cwnd_gain:%g) delivery_rate %sbps "
                    "minrtt:%g",
                    printf_rate(static_cast<double>(bw) * 8.0, numeric).c_str(),
                    static_cast<double>(r.bbr.min_rtt) / 1000.0,
                    static_cast<double>(r.bbr.pacing_gain) / 256.0,
                    static_cast<double>(r.bbr.cwnd_gain) / 256.0,
                    printf_rate(static_cast<double>(t.delivery_rate) * 8., numeric).c_str(),
                    static_cast<double>(t.min_rtt) / 1000);
      ASSERT_EQ(info(r, info_opts(numeric)), want) << x;
    }
  }
}

}  // namespace
}  // namespace tcpscope::render
