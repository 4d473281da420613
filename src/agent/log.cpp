// SPDX-License-Identifier: MIT
#include "agent/log.hpp"

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <string>

#include "procfs/counter_sampler.hpp"

namespace tcpscope::agent {

namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view s) {
  if (s == "debug") return LogLevel::kDebug;
  if (s == "info") return LogLevel::kInfo;
  if (s == "warn" || s == "warning") return LogLevel::kWarn;
  if (s == "error") return LogLevel::kError;
  return std::nullopt;
}

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void set_log_level(LogLevel l) { g_level.store(static_cast<int>(l)); }

bool log_enabled(LogLevel l) { return static_cast<int>(l) >= g_level.load(); }

void log(LogLevel l, std::string_view message) {
  if (!log_enabled(l)) return;
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char stamp[32];
  const size_t n = ::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &t);
  std::string line(stamp, n);
  line += log_level_name(l);
  line += ": ";
  line += message;
  line += '\n';
  // One write: lines from the HTTP threads never interleave with the collector's.
  const ssize_t w = ::write(STDERR_FILENO, line.data(), line.size());
  (void)w;  // nowhere left to report a failed log write
}

void RateLimited::log(LogLevel l, std::string_view message) {
  const int64_t now = procfs::monotonic_ns();
  uint64_t suppressed = 0;
  {
    std::lock_guard lock(mutex_);
    if (now - last_ns_ < period_ns_) {
      ++suppressed_;
      return;
    }
    last_ns_ = now;
    suppressed = suppressed_;
    suppressed_ = 0;
  }
  if (suppressed == 0) {
    agent::log(l, message);
  } else {
    agent::log(l, std::string(message) + " (" + std::to_string(suppressed) +
                      " more since the last report)");
  }
}

}  // namespace tcpscope::agent
