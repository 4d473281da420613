// SPDX-License-Identifier: MIT
#include "base/duration.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace tcpscope {

std::optional<int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  const std::string copy(text);  // strtod needs a terminator
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(copy.c_str(), &end);
  if (errno != 0 || end == copy.c_str() || !std::isfinite(v) || v <= 0) return std::nullopt;
  const std::string_view unit(end);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  if (unit == "ms") scale = 1e6;
  if (unit == "m" || unit == "min") scale = 60e9;
  if (unit == "h") scale = 3600e9;
  if (scale == 0) return std::nullopt;
  const double ns = v * scale;
  if (ns < 1e6 || ns > 86400e9) return std::nullopt;
  return static_cast<int64_t>(ns);
}

Result<int64_t> duration_flag(std::string_view name, std::string_view text, int64_t min_ns) {
  if (auto d = parse_duration(text); d && *d >= min_ns) return *d;
  std::string shown;
  for (const char c : text.substr(0, 40)) {
    const auto u = static_cast<unsigned char>(c);
    shown += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > 40) shown += "...";
  const std::string min = min_ns >= 1'000'000'000 ? std::to_string(min_ns / 1'000'000'000) + "s"
                                                  : std::to_string(min_ns / 1'000'000) + "ms";
  return fail(Error::usage(std::string(name) + ": \"" + shown + "\" is not a duration from " + min +
                           " to 24h (e.g. 1s, 500ms, 2m)"));
}

std::optional<int64_t> parse_count(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || v < 1 || v > kMaxCount) return std::nullopt;
  return v;
}

Result<int64_t> count_flag(std::string_view text) {
  if (auto n = parse_count(text)) return *n;
  return fail(
      Error::usage("--count must be a whole number from 1 to 1000000000 (without "
                   "--count it runs until interrupted)"));
}

}  // namespace tcpscope
