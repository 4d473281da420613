// SPDX-License-Identifier: MIT
// The agent's log: one line per event on stderr, "2026-11-29T12:00:00Z warn: statsd: ...".
//
// Faults that can repeat every tick (statsd unreachable, a namespace gone, abusive HTTP
// clients) go through a RateLimited gate: the first occurrence is logged, then at most one line
// per minute per gate, saying how many were suppressed. The self-metrics count every one.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

namespace tcpscope::agent {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };

std::optional<LogLevel> parse_log_level(std::string_view s);
std::string_view log_level_name(LogLevel l);

void set_log_level(LogLevel l);
bool log_enabled(LogLevel l);
// Thread-safe; one write(2) per line.
void log(LogLevel l, std::string_view message);

class RateLimited {
 public:
  explicit RateLimited(int64_t period_ns = 60'000'000'000) : period_ns_(period_ns) {}
  // Logs `message` now, or counts it as suppressed. Thread-safe.
  void log(LogLevel l, std::string_view message);

 private:
  std::mutex mutex_;
  int64_t period_ns_;
  int64_t last_ns_ = INT64_MIN / 2;
  uint64_t suppressed_ = 0;
};

}  // namespace tcpscope::agent
