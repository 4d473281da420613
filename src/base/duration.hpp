// Durations as users type them: "1", "1s", "500ms", "1.5s", "2m", "1h".
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tcpscope {

// Nanoseconds; nullopt when malformed, not positive, below 1 ms or above 24 h.
std::optional<int64_t> parse_duration(std::string_view text);

}  // namespace tcpscope
