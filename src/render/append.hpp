// Small append helpers shared by the renderers (internal to src/render/).
//
// They write straight into the caller's fmt::memory_buffer: no std::string, no locale, no
// allocation beyond the buffer's own growth. They are inline and avoid libc memcpy calls of
// unknown length (a socket's line is dozens of tiny appends; fmt's generic buffer::append and a
// memmove per call were measured to cost more than the formatting itself): literals are copied
// with a constant length, integers are written in place.
#pragma once

#include <fmt/format.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace tcpscope::render::detail {

inline void put_n(fmt::memory_buffer& out, const char* s, size_t n) {
  const size_t size = out.size();
  out.resize(size + n);  // grows geometrically when needed
  std::memcpy(out.data() + size, s, n);
}

inline void put(fmt::memory_buffer& out, std::string_view s) { put_n(out, s.data(), s.size()); }

// String literals: the length is a constant, so the copy inlines.
template <size_t N>
inline void put(fmt::memory_buffer& out, const char (&s)[N]) {
  put_n(out, s, N - 1);
}

inline void put(fmt::memory_buffer& out, char c) { out.push_back(c); }

inline int count_digits(uint64_t v) {
  // floor(log10) from the bit length (1233/4096 ~ log10(2)), corrected by one comparison.
  static constexpr uint64_t kPow10[20] = {1ULL,
                                          10ULL,
                                          100ULL,
                                          1000ULL,
                                          10000ULL,
                                          100000ULL,
                                          1000000ULL,
                                          10000000ULL,
                                          100000000ULL,
                                          1000000000ULL,
                                          10000000000ULL,
                                          100000000000ULL,
                                          1000000000000ULL,
                                          10000000000000ULL,
                                          100000000000000ULL,
                                          1000000000000000ULL,
                                          10000000000000000ULL,
                                          100000000000000000ULL,
                                          1000000000000000000ULL,
                                          10000000000000000000ULL};
  const int bits = 64 - std::countl_zero(v | 1);
  const int t = (bits * 1233) >> 12;
  return t - ((v | 1) < kPow10[t] ? 1 : 0) + 1;
}

// Writes the `n` low decimal digits of v ending at `end` (going backwards).
inline void write_digits(char* end, uint64_t v, int n) {
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  while (n >= 2) {
    const size_t i = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    *--end = kPairs[i + 1];
    *--end = kPairs[i];
    n -= 2;
  }
  if (n == 1) *--end = static_cast<char>('0' + v % 10);
}

inline void put_uint(fmt::memory_buffer& out, uint64_t v) {
  const int n = count_digits(v);
  const size_t size = out.size();
  out.resize(size + static_cast<size_t>(n));
  write_digits(out.data() + size + n, v, n);
}

template <typename Int>
inline void put_int(fmt::memory_buffer& out, Int v) {
  if constexpr (std::is_signed_v<Int>) {
    if (v < 0) {
      out.push_back('-');
      put_uint(out, static_cast<uint64_t>(0) - static_cast<uint64_t>(static_cast<int64_t>(v)));
      return;
    }
  }
  put_uint(out, static_cast<uint64_t>(v));
}

}  // namespace tcpscope::render::detail
