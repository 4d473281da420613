// Small append helpers shared by the renderers (internal to src/render/).
//
// They write straight into the caller's fmt::memory_buffer: no std::string, no locale, no
// allocation beyond the buffer's own growth. They are inline and copy with memcpy, because the
// renderers make dozens of tiny appends per socket and fmt's generic buffer::append loop (out of
// line, one libc memmove per call) was measured to cost more than the formatting itself.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <cstring>
#include <string_view>

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

template <typename Int>
inline void put_int(fmt::memory_buffer& out, Int v) {
  const fmt::format_int f(v);
  put_n(out, f.data(), f.size());
}

}  // namespace tcpscope::render::detail
