// SPDX-License-Identifier: MIT
#include "render/number_format.hpp"

#include <fmt/compile.h>

#include <array>
#include <cmath>
#include <cstdint>

#include "render/append.hpp"

namespace tcpscope::render::detail {

namespace {

// All exact doubles.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,
                             1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
// 10^-i as the nearest doubles of 1.0 / 10^i (what the division would give), without dividing.
constexpr double kNegPow10[] = {1.0 / 1e0, 1.0 / 1e1, 1.0 / 1e2, 1.0 / 1e3, 1.0 / 1e4};
// Distance from a .5 tie below which the fast path does not trust its rounding. t = v * 10^d
// is one rounded multiplication, off by at most half an ulp of t; for t < 1e9 that is < 6e-8,
// so outside this margin the rounded t and the exact product round the same way.
constexpr double kTieMargin = 1e-7;
// Below this, an integer n and the double nearest to n / 10^s are so close (half an ulp,
// n * 2^-53 in units of 10^-s, under 1/8) that they round the same way at any decimal place,
// unless n / 10^s is exactly a tie.
constexpr uint64_t kExactLimit = uint64_t{1} << 50;

// The fraction part of %g for a whole number of thousandths: "." and up to three digits without
// trailing zeros, and the length (0 for 0), packed so that one 4-byte copy writes it.
struct Thousandths {
  char text[4];
  uint8_t len;
};
constexpr auto kThousandths = [] {
  std::array<Thousandths, 1000> table{};
  for (unsigned f = 1; f < 1000; ++f) {
    Thousandths& t = table[f];
    t.text[0] = '.';
    t.text[1] = static_cast<char>('0' + f / 100);
    t.text[2] = static_cast<char>('0' + f / 10 % 10);
    t.text[3] = static_cast<char>('0' + f % 10);
    t.len = f % 10 != 0 ? 4 : f % 100 != 0 ? 3 : 2;
  }
  return table;
}();

// Rounds t >= 0 to the nearest integer; false if t is too close to a tie to be sure.
bool round_sure(double t, uint64_t& q) {
  const double fl = std::floor(t);
  const double frac = t - fl;
  if (std::fabs(frac - 0.5) < kTieMargin) return false;
  q = static_cast<uint64_t>(fl) + (frac > 0.5 ? 1 : 0);
  return true;
}

// q / 10^decimals with a constant divisor per case (a multiply, not a hardware division).
uint64_t div_pow10(uint64_t q, int decimals) {
  switch (decimals) {
    case 0:
      return q;
    case 1:
      return q / 10;
    case 2:
      return q / 100;
    case 3:
      return q / 1000;
    case 4:
      return q / 10000;
    case 5:
      return q / 100000;
    case 6:
      return q / 1000000;
    case 7:
      return q / 10000000;
    case 8:
      return q / 100000000;
    case 9:
      return q / 1000000000;
    case 10:
      return q / 10000000000;
    case 11:
      return q / 100000000000;
    case 12:
      return q / 1000000000000;
    default:
      return q / kPow10U64[decimals];
  }
}

// Writes q / 10^decimals with `decimals` fraction digits; with `strip`, trailing fraction
// zeros (and a bare point) are dropped, as %g does. At most 21 bytes.
char* write_scaled(char* p, uint64_t q, int decimals, bool strip) {
  const uint64_t whole = div_pow10(q, decimals);
  uint64_t frac = q - whole * kPow10U64[decimals];
  int digits = decimals;
  if (strip) {
    if (frac == 0) {
      digits = 0;
    } else {
      while (frac % 10 == 0) {
        frac /= 10;
        --digits;
      }
    }
  }
  p = write_uint(p, whole);
  if (digits > 0) {
    *p++ = '.';
    write_digits(p + digits, frac, digits);
    p += digits;
  }
  return p;
}

}  // namespace

char* write_g(char* p, double v, int precision) {
  if (v == 0) {
    *p = '0';
    return p + 1;
  }
  // %g uses fixed notation when the decimal exponent X (after rounding) is in [-4, P).
  if (precision >= 1 && precision <= 9 && v >= 1e-4 && v < kPow10[precision]) {
    int x = precision - 1;  // exponent of the leading digit: 10^x <= v < 10^(x+1)
    while (x > -4 && v < (x >= 0 ? kPow10[x] : kNegPow10[-x])) --x;
    const int decimals = precision - 1 - x;  // 0 .. precision + 3
    if (decimals <= 9) {
      const double t = v * kPow10[decimals];
      uint64_t q;
      // q must have exactly `precision` digits: a misjudged x or a carry to the next power
      // of ten (999.96 -> 1e+03 with %.3g) goes to the slow path.
      if (round_sure(t, q) && q >= kPow10U64[precision - 1] && q < kPow10U64[precision]) {
        return write_scaled(p, q, decimals, true);
      }
    }
  }
  return fmt::format_to(p, FMT_COMPILE("{:.{}g}"), v, precision);
}

void put_g(fmt::memory_buffer& out, double v, int precision) {
  Cursor c(out, kMaxGLen);
  c.p = write_g(c.p, v, precision);
}

char* write_g_scaled(char* p, uint64_t n, int scale, int precision) {
  if (n == 0) {
    *p = '0';
    return p + 1;
  }
  if (n < kExactLimit && precision >= 1 && precision <= 9) {
    const int k = count_digits(n);
    const int x = k - 1 - scale;  // exponent of the leading digit before rounding
    if (x >= -4 && x < precision) {
      uint64_t q = n;
      int decimals = scale;
      if (k > precision) {
        // Round away the digits past `precision`. A tie is left to the double, which may lie
        // on either side of it; so is a carry to the next power of ten, which may change the
        // exponent and with it the notation (999999.5 -> "1e+06").
        const int drop = k - precision;
        const uint64_t div = kPow10U64[drop];
        q = div_pow10(n, drop);
        const uint64_t r = n - q * div;
        if (2 * r == div) return write_g(p, static_cast<double>(n) / kPow10[scale], precision);
        if (2 * r > div && ++q == kPow10U64[precision]) {
          return write_g(p, static_cast<double>(n) / kPow10[scale], precision);
        }
        decimals -= drop;  // >= 0, since x < precision
      }
      return write_scaled(p, q, decimals, true);
    }
  }
  return write_g(p, static_cast<double>(n) / kPow10[scale], precision);
}

char* write_usec_as_ms(char* p, uint32_t usec) {
  // Below a million microseconds the value has at most six significant digits, so %g prints
  // it exactly: the whole milliseconds, then the thousandths without trailing zeros (the
  // double usec / 1000.0 is off by far less than half a unit of the sixth digit).
  if (usec < 1000000) {
    p = write_uint(p, usec / 1000);
    const Thousandths& t = kThousandths[usec % 1000];
    std::memcpy(p, t.text, sizeof t.text);
    return p + t.len;
  }
  return write_g_scaled(p, usec, 3);
}

void write_fixed0(Cursor& c, double v) {
  // nearbyint rounds exactly (ties to even, as printf does in the default rounding mode).
  if (v >= 0 && v < 9.2e18) {
    c.p = write_uint(c.p, static_cast<uint64_t>(std::nearbyint(v)));
    return;
  }
  c.via_buffer([v](fmt::memory_buffer& out) {
    fmt::format_to(fmt::appender(out), FMT_COMPILE("{:.0f}"), v);
  });
}

void put_fixed0(fmt::memory_buffer& out, double v) {
  Cursor c(out, kMaxUintLen);
  write_fixed0(c, v);
}

void put_fixed1(fmt::memory_buffer& out, double v) {
  uint64_t q;
  if (v >= 0 && v < 1e6 && round_sure(v * 10, q)) {
    Cursor c(out, kMaxUintLen + 2);
    c.p = write_scaled(c.p, q, 1, false);
    return;
  }
  fmt::format_to(fmt::appender(out), FMT_COMPILE("{:.1f}"), v);
}

}  // namespace tcpscope::render::detail
