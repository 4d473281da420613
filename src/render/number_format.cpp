#include "render/number_format.hpp"

#include <fmt/compile.h>

#include <cmath>
#include <cstdint>

#include "render/append.hpp"

namespace tcpscope::render::detail {

namespace {

constexpr double kPow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
// 10^-i as the nearest doubles of 1.0 / 10^i (what the division would give), without dividing.
constexpr double kNegPow10[] = {1.0 / 1e0, 1.0 / 1e1, 1.0 / 1e2, 1.0 / 1e3, 1.0 / 1e4};
constexpr uint64_t kIntPow10[] = {1,      10,      100,      1000,      10000,
                                  100000, 1000000, 10000000, 100000000, 1000000000};
// Distance from a .5 tie below which the fast path does not trust its rounding. t = v * 10^d
// is one rounded multiplication, off by at most half an ulp of t; for t < 1e9 that is < 6e-8,
// so outside this margin the rounded t and the exact product round the same way.
constexpr double kTieMargin = 1e-7;

// Rounds t >= 0 to the nearest integer; false if t is too close to a tie to be sure.
bool round_sure(double t, uint64_t& q) {
  const double fl = std::floor(t);
  const double frac = t - fl;
  if (std::fabs(frac - 0.5) < kTieMargin) return false;
  q = static_cast<uint64_t>(fl) + (frac > 0.5 ? 1 : 0);
  return true;
}

// Writes q / 10^decimals with `decimals` fraction digits; with `strip`, trailing fraction
// zeros (and a bare point) are dropped, as %g does.
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
    default:
      return q / 1000000000;
  }
}

void put_scaled(fmt::memory_buffer& out, uint64_t q, int decimals, bool strip) {
  const uint64_t div = kIntPow10[decimals];
  const uint64_t whole = div_pow10(q, decimals);
  uint64_t frac = q - whole * div;
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
  const int whole_digits = count_digits(whole);
  const size_t size = out.size();
  const size_t len = static_cast<size_t>(whole_digits + (digits > 0 ? digits + 1 : 0));
  out.resize(size + len);
  char* p = out.data() + size;
  write_digits(p + whole_digits, whole, whole_digits);
  if (digits > 0) {
    p[whole_digits] = '.';
    write_digits(p + len, frac, digits);
  }
}

}  // namespace

void put_g(fmt::memory_buffer& out, double v, int precision) {
  if (v == 0) {
    put(out, '0');
    return;
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
      if (round_sure(t, q) && q >= kIntPow10[precision - 1] && q < kIntPow10[precision]) {
        put_scaled(out, q, decimals, true);
        return;
      }
    }
  }
  fmt::format_to(fmt::appender(out), FMT_COMPILE("{:.{}g}"), v, precision);
}

void put_fixed0(fmt::memory_buffer& out, double v) {
  // nearbyint rounds exactly (ties to even, as printf does in the default rounding mode).
  if (v >= 0 && v < 9.2e18) {
    put_int(out, static_cast<uint64_t>(std::nearbyint(v)));
    return;
  }
  fmt::format_to(fmt::appender(out), FMT_COMPILE("{:.0f}"), v);
}

void put_fixed1(fmt::memory_buffer& out, double v) {
  uint64_t q;
  if (v >= 0 && v < 1e6 && round_sure(v * 10, q)) {
    put_scaled(out, q, 1, false);
    return;
  }
  fmt::format_to(fmt::appender(out), FMT_COMPILE("{:.1f}"), v);
}

}  // namespace tcpscope::render::detail
