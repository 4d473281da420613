// SPDX-License-Identifier: MIT
// Small append helpers shared by the renderers (internal to src/render/).
//
// They write straight into the caller's fmt::memory_buffer: no std::string, no locale, no
// allocation beyond the buffer's own growth. They are inline and avoid libc memcpy calls of
// unknown length (a socket's line is dozens of tiny appends; fmt's generic buffer::append and a
// memmove per call were measured to cost more than the formatting itself): literals are copied
// with a constant length, integers are written in place.
//
// Hot writers that emit many fields per socket (the -i line, address tokens) use a Cursor
// instead: room for a bounded amount of text is reserved once and fields are written through a
// raw pointer, with no size bookkeeping per field. Common mistake: writing more than the room
// a Cursor was opened with; every cursor write below states its maximum length.
#pragma once

#include <fmt/format.h>

#include <bit>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace tcpscope::render::detail {

inline void put_n(fmt::memory_buffer& out, const char* s, size_t n) {
  if (n == 0) return;  // s may then be null (an empty string_view): memcpy must not see it
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

inline constexpr uint64_t kPow10U64[20] = {1ULL,
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

// Longest decimal text of a uint64_t (and of an int64_t with its sign).
inline constexpr size_t kMaxUintLen = 20;

inline int count_digits(uint64_t v) {
  // floor(log10) from the bit length (1233/4096 ~ log10(2)), corrected by one comparison.
  const int bits = 64 - std::countl_zero(v | 1);
  const int t = (bits * 1233) >> 12;
  return t - ((v | 1) < kPow10U64[t] ? 1 : 0) + 1;
}

inline constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes the two low decimal digits of w ending at `end`; returns the new end.
inline char* write_pair(char* end, uint32_t w) {
  end -= 2;
  std::memcpy(end, &kDigitPairs[(w % 100) * 2], 2);
  return end;
}

// Writes the `n` decimal digits of v (v < 10^n; leading zeros are written) ending at `end`,
// going backwards, two digits per step.
inline void write_digits(char* end, uint64_t v, int n) {
  // A 64-bit division by a constant is a 128-bit multiplication; split off eight digits at a
  // time so that the pair steps run in 32-bit arithmetic (rates and byte counters are long).
  while (n > 8) {
    auto low = static_cast<uint32_t>(v % 100000000);
    v /= 100000000;
    for (int i = 0; i < 4; ++i) {
      end = write_pair(end, low);
      low /= 100;
    }
    n -= 8;
  }
  // Unrolled by digit count: no loop counter per pair.
  auto w = static_cast<uint32_t>(v);
  switch (n) {
    case 8:
      end = write_pair(end, w);
      w /= 100;
      [[fallthrough]];
    case 6:
      end = write_pair(end, w);
      w /= 100;
      [[fallthrough]];
    case 4:
      end = write_pair(end, w);
      w /= 100;
      [[fallthrough]];
    case 2:
      write_pair(end, w);
      return;
    case 7:
      end = write_pair(end, w);
      w /= 100;
      [[fallthrough]];
    case 5:
      end = write_pair(end, w);
      w /= 100;
      [[fallthrough]];
    case 3:
      end = write_pair(end, w);
      w /= 100;
      [[fallthrough]];
    case 1:
      end[-1] = static_cast<char>('0' + w);
      return;
    default:
      return;
  }
}

// Writes v at p (at most kMaxUintLen bytes) and returns the end.
inline char* write_uint(char* p, uint64_t v) {
  // Most tcp_info values (windows, segment sizes, counts) are short: skip the digit count.
  if (v < 100) {
    if (v < 10) {
      *p = static_cast<char>('0' + v);
      return p + 1;
    }
    std::memcpy(p, &kDigitPairs[v * 2], 2);
    return p + 2;
  }
  const int n = count_digits(v);
  write_digits(p + n, v, n);
  return p + n;
}

// Signed values print as printf's %d/%ld: a minus sign, then the magnitude.
template <typename Int>
inline char* write_int(char* p, Int v) {
  if constexpr (std::is_signed_v<Int>) {
    if (v < 0) {
      *p++ = '-';
      return write_uint(p,
                        static_cast<uint64_t>(0) - static_cast<uint64_t>(static_cast<int64_t>(v)));
    }
  }
  return write_uint(p, static_cast<uint64_t>(v));
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

// A write position in room reserved at the end of a buffer. The buffer's size covers the room
// while the cursor is open; close() (or the destructor) cuts it back to what was written.
// Output of unbounded length goes through via_buffer(), which closes, lets a buffer-based
// writer append, and opens new room.
class Cursor {
 public:
  Cursor(fmt::memory_buffer& out, size_t room) : out_(out), room_(room) { open(room); }
  ~Cursor() { close(); }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  // A literal: the constant length makes the copy a few moves.
  template <size_t N>
  void lit(const char (&s)[N]) {
    std::memcpy(p, s, N - 1);
    p += N - 1;
  }
  void ch(char c) { *p++ = c; }
  // A string of at most `max` bytes (a constant); copying `max` bytes from `src` must be safe.
  // Short names (congestion control) are copied with one fixed-size move that the compiler
  // inlines; the tail past s.size() is overwritten by what follows or cut off by close().
  template <size_t Max>
  void padded_copy(const char* src, size_t len) {
    assert(len <= Max);
    std::memcpy(p, src, Max);
    p += len;
  }
  void str(std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  template <typename Int>
  void num(Int v) {
    p = write_int(p, v);
  }
  // " name:value" for an integer field.
  template <size_t N, typename Int>
  void item(const char (&name)[N], Int v) {
    lit(name);
    num(v);
  }

  // Runs append(buffer) on the buffer itself, then opens as much room as before.
  template <typename F>
  void via_buffer(F&& append) {
    close();
    append(out_);
    open(room_);
  }

  void close() {
    assert(p <= end_ && "a cursor write overran its reserved room");
    out_.resize(static_cast<size_t>(p - out_.data()));
    end_ = p;
  }

  char* p = nullptr;  // where the next byte goes

 private:
  void open(size_t room) {
    const size_t size = out_.size();
    out_.resize(size + room);
    p = out_.data() + size;
    end_ = p + room;
  }

  fmt::memory_buffer& out_;
  size_t room_;
  char* end_ = nullptr;
};

}  // namespace tcpscope::render::detail
