// printf-exact number formats for the ss detail column (internal to src/render/).
//
// ss prints tcp_info with printf's %g, %.3g, %.0f and %.1f. fmt produces the same text, but its
// fixed-precision path falls back to big-integer arithmetic (Dragon4) that cost ~1 µs per
// number, more than the rest of a socket's line. These functions take a fast path that rounds
// with one double multiplication and checks that the value is not within 1e-7 of a rounding
// tie; only then is the rounding decision certain to equal printf's, else (and for exponent
// forms, huge or negative values) they fall back to fmt. Tested against snprintf on millions
// of values.
#pragma once

#include <fmt/format.h>

namespace tcpscope::render::detail {

// printf("%.*g", precision, v), precision 1..9.
void put_g(fmt::memory_buffer& out, double v, int precision = 6);
// printf("%.0f", v).
void put_fixed0(fmt::memory_buffer& out, double v);
// printf("%.1f", v).
void put_fixed1(fmt::memory_buffer& out, double v);

}  // namespace tcpscope::render::detail
