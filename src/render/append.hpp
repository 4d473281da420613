// Small append helpers shared by the renderers (internal to src/render/).
//
// They write straight into the caller's fmt::memory_buffer: no std::string, no locale, no
// allocation beyond the buffer's own growth. fmt::format_int is the fastest integer path fmt
// has; floating-point formats go through fmt::format_to with compiled format strings.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace tcpscope::render::detail {

inline void put(fmt::memory_buffer& out, std::string_view s) {
  out.append(s.data(), s.data() + s.size());
}

inline void put(fmt::memory_buffer& out, char c) { out.push_back(c); }

template <typename Int>
inline void put_int(fmt::memory_buffer& out, Int v) {
  const fmt::format_int f(v);
  out.append(f.data(), f.data() + f.size());
}

}  // namespace tcpscope::render::detail
