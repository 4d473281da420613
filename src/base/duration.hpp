// SPDX-License-Identifier: MIT
// Durations as users type them: "1", "1s", "500ms", "1.5s", "2m", "1h".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.hpp"

namespace tcpscope {

// Nanoseconds; nullopt when malformed, not positive, below 1 ms or above 24 h.
std::optional<int64_t> parse_duration(std::string_view text);

// `--interval`, `--window` and the agent's intervals: parse_duration() at least `min_ns`, with
// the one usage message every command prints (the value echoed cut at 40 characters):
// `--interval: "0" is not a duration from 1ms to 24h (e.g. 1s, 500ms, 2m)`.
Result<int64_t> duration_flag(std::string_view name, std::string_view text,
                              int64_t min_ns = 1'000'000);

// `--count N` means the same in every command (counters, doctor, the agent): N ticks or reports,
// a whole number from 1 to kMaxCount. 0 is refused everywhere (omitting --count runs until
// interrupted), as are signs, blanks, and anything after the digits.
inline constexpr int64_t kMaxCount = 1'000'000'000;
std::optional<int64_t> parse_count(std::string_view text);
// parse_count() with the one usage message every command prints.
Result<int64_t> count_flag(std::string_view text);

}  // namespace tcpscope
