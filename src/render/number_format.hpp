// SPDX-License-Identifier: MIT
// printf-exact number formats for the ss detail column (internal to src/render/).
//
// ss prints tcp_info with printf's %g, %.3g, %.0f and %.1f. fmt produces the same text, but its
// fixed-precision path falls back to big-integer arithmetic (Dragon4) that cost ~1 µs per
// number, more than the rest of a socket's line. These functions take a fast path that rounds
// with one double multiplication and checks that the value is not within 1e-7 of a rounding
// tie; only then is the rounding decision certain to equal printf's, else (and for exponent
// forms, huge or negative values) they fall back to fmt. Tested against snprintf on millions
// of values.
//
// Most of ss's doubles are an integer divided by a constant (usec / 1000, gain / 256, bits/s /
// 1e9). write_g_scaled formats those from the integer itself, without dividing; the rounding
// it does on the exact decimal value equals printf's on the double unless the decimal value is
// a tie, and then it defers to the double path.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>

#include "render/append.hpp"

namespace tcpscope::render::detail {

// Longest text of write_g (precision <= 17: sign, 17 digits, point, "e-308").
inline constexpr size_t kMaxGLen = 32;

// printf("%.*g", precision, v), precision 1..17 (the fast path covers 1..9).
void put_g(fmt::memory_buffer& out, double v, int precision = 6);
// The same at a raw position with at least kMaxGLen bytes of room; returns the end.
char* write_g(char* p, double v, int precision = 6);

// printf("%.*g", precision, d) where d is the double nearest to n / 10^scale, as the caller's
// `static_cast<double>(n) / 1e<scale>` computes it (n < 2^53, scale <= 19, precision 1..9).
// At least kMaxGLen bytes of room; returns the end.
char* write_g_scaled(char* p, uint64_t n, int scale, int precision = 6);

// printf("%g", usec / 1000.0): ss's milliseconds from a microsecond count (rto, rtt, ato...).
// At least kMaxGLen bytes of room; returns the end.
char* write_usec_as_ms(char* p, uint32_t usec);

// printf("%.0f", v).
void put_fixed0(fmt::memory_buffer& out, double v);
// The same at a cursor: in place when the value has at most kMaxUintLen digits, else through
// the cursor's buffer.
void write_fixed0(Cursor& c, double v);
// printf("%.1f", v).
void put_fixed1(fmt::memory_buffer& out, double v);

}  // namespace tcpscope::render::detail
