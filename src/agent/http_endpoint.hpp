// SPDX-License-Identifier: MIT
// The Prometheus endpoint: GET /metrics (and /) serves the text rendered at the end of the last
// tick; a scrape never triggers a collection. The HTTP library (cpp-httplib) runs its own
// threads; only this file's .cpp includes it.
//
// Before the first tick is rendered it answers 503 (Retry-After) rather than an empty 200.
//
// Limits: a request line and headers of at most 8 KiB (the library's), no body, a 2 s read and
// 5 s write timeout, a 2 s keep-alive timeout and at most 100 requests per connection. Worker
// threads start at one and grow to 16 only while connections wait (a flood of idle clients is
// served 16 at a time, each cut after the timeouts); idle extra threads exit after 30 s.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "agent/config.hpp"
#include "base/result.hpp"

namespace tcpscope::agent {

struct HttpStats {
  std::array<std::atomic<uint64_t>, 600> by_code{};  // requests answered, by status code
};

class MetricsEndpoint {
 public:
  // Binds now (an error if the address is taken or not local) with the namespace's somaxconn
  // as the listen backlog, then serves on its own threads. Until the first publish() a GET
  // answers 503 with Retry-After: the interval in whole seconds (rounded up, at least 1).
  static Result<std::unique_ptr<MetricsEndpoint>> start(const Endpoint& at, int64_t interval_ns);
  ~MetricsEndpoint();

  // Replaces the text served (thread-safe; readers keep the copy they started with).
  void publish(std::shared_ptr<const std::string> body);
  const HttpStats& stats() const;
  const Endpoint& address() const;
  // The port actually bound (differs from the requested one when that was 0).
  uint16_t port() const;

  struct Impl;

 private:
  explicit MetricsEndpoint(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tcpscope::agent
