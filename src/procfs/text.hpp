// SPDX-License-Identifier: MIT
// Small text helpers shared by the /proc parsers: line and token splitting over string_view and
// whole-token number parsing with std::from_chars. Nothing here allocates except quote(), which
// is for error messages only.
//
// Common mistake: parsing a prefix of a token ("12abc" as 12). Every parse_* here requires the
// whole token to be consumed and returns nullopt otherwise.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace tcpscope::procfs {

// Takes the next line (without its '\n') off the front of `rest`; false when `rest` is empty.
inline bool next_line(std::string_view& rest, std::string_view& line) {
  if (rest.empty()) return false;
  const size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) {
    line = rest;
    rest = {};
  } else {
    line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
  }
  return true;
}

constexpr bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v'; }

// Takes the next run of non-blank characters off the front of `rest`; empty when none is left.
inline std::string_view next_token(std::string_view& rest) {
  size_t b = 0;
  while (b < rest.size() && is_blank(rest[b])) ++b;
  size_t e = b;
  while (e < rest.size() && !is_blank(rest[e])) ++e;
  std::string_view tok = rest.substr(b, e - b);
  rest.remove_prefix(e);
  return tok;
}

// Unsigned number in `base` (10 or 16), the whole token, no sign, no "0x".
inline std::optional<uint64_t> parse_u64(std::string_view tok, int base = 10) {
  if (tok.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v, base);
  if (ec != std::errc() || end != tok.data() + tok.size()) return std::nullopt;
  return v;
}

inline std::optional<uint32_t> parse_u32(std::string_view tok, int base = 10) {
  auto v = parse_u64(tok, base);
  if (!v || *v > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

// Signed decimal ("-1", "42"), the whole token.
inline std::optional<int64_t> parse_i64(std::string_view tok) {
  if (tok.empty()) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v, 10);
  if (ec != std::errc() || end != tok.data() + tok.size()) return std::nullopt;
  return v;
}

// `s` in double quotes for an error message, cut to `max` bytes, non-printable bytes as '?'.
inline std::string quote(std::string_view s, size_t max = 160) {
  std::string out;
  const bool cut = s.size() > max;
  if (cut) s = s.substr(0, max);
  out.reserve(s.size() + 6);
  out.push_back('"');
  for (char c : s) out.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  out.push_back('"');
  if (cut) out.append("...");
  return out;
}

}  // namespace tcpscope::procfs
