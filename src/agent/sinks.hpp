// SPDX-License-Identifier: MIT
// Where a tick's samples go: statsd (UDP lines), JSON lines (a file or stdout). The Prometheus
// endpoint is in http_endpoint.hpp. Sinks never block collection and never fail it: a problem
// is logged (rate limited) and counted, and the next tick tries again.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agent/config.hpp"
#include "agent/log.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "model/metric_set.hpp"
#include "render/metrics.hpp"

namespace tcpscope::agent {

// The values of one statsd timer for one tick (the RTTs of closed connections in a namespace and
// direction), at most a configured number of them: `values` stand for `values.size() / rate`
// measurements, so a server that scales by the rate counts them all.
struct StatsdTimer {
  std::string_view name;  // without the prefix: "closed_connection_rtt"
  std::span<const model::MetricLabel> labels;
  std::span<const double> values;  // milliseconds
  double rate = 1.0;               // below 1: sent with |@rate
};

// Statsd lines packed into datagrams of at most `mtu` bytes, never splitting a line. Gauges go
// every tick; counters as their change since the previous tick; a histogram's sum and count as
// counters; timers as given (docs/agent.md, "statsd").
class StatsdSink {
 public:
  // Sends one datagram; false when it was dropped (counted by the sink).
  using Writer = std::function<bool(std::string_view datagram)>;

  // Sends over UDP to `to`. The name is resolved at the first send; a name that does not resolve
  // (DNS down, not yet in /etc/hosts) is tried again with a backoff (1 s, doubling, at most
  // 60 s), never more than once per emit(), and each failed lookup is counted; the datagrams
  // meanwhile are dropped. Sends are non-blocking.
  StatsdSink(Endpoint to, uint32_t mtu, render::StatsdStyle style);
  // Sends through `writer` (tests).
  StatsdSink(Writer writer, uint32_t mtu, render::StatsdStyle style);

  // With `send` false only the counters' baselines are taken (--once's first reading). Timers
  // go first: a tick's lines end with the agent's own (what a reader may split ticks on).
  void emit(const model::MetricSet& set, bool send = true,
            std::span<const StatsdTimer> timers = {});

  uint64_t packets_sent() const { return sent_; }
  uint64_t packets_dropped() const { return dropped_; }
  uint64_t errors() const { return errors_; }
  uint64_t lines_too_long() const { return too_long_; }
  // Lookups of the statsd host that failed (also in errors()).
  uint64_t resolve_failures() const { return resolve_failures_; }

 private:
  void add_line(std::string_view line);
  void flush();
  bool send_udp(std::string_view datagram);
  Status connect_socket();

  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Baseline {
    uint64_t scope = 0;
    double value = 0;
    uint64_t seen = 0;  // emit() generation that last saw the name
  };

  Endpoint to_;
  UniqueFd fd_;
  Writer writer_;
  uint32_t mtu_;
  render::StatsdStyle style_;
  std::unordered_map<std::string, Baseline, NameHash, std::equal_to<>> baselines_;
  uint64_t generation_ = 0;
  std::string key_;
  std::string line_;
  std::string datagram_;
  uint64_t sent_ = 0;
  uint64_t dropped_ = 0;
  uint64_t errors_ = 0;
  uint64_t too_long_ = 0;
  uint64_t resolve_failures_ = 0;
  int64_t next_resolve_ns_ = 0;  // monotonic; no lookup before it
  int64_t resolve_backoff_ns_ = 0;
  bool resolved_this_emit_ = false;
  RateLimited log_;
};

// One JSON object per tick, appended to a file (reopened on reload, for log rotation) or
// written to stdout ("-"). Every write is checked: a failure that may pass (a full disk) is
// logged and counted; one that never will (EPIPE: the reader of the pipe is gone, EBADF) is
// returned, and the agent stops.
class JsonlSink {
 public:
  static Result<JsonlSink> open(const std::string& path);
  // An error only when the output can never work again.
  Status emit(const model::MetricSet& set, std::string_view kind, int64_t unix_ms);
  uint64_t errors() const { return errors_; }
  const std::string& path() const { return path_; }

  JsonlSink(JsonlSink&&) noexcept = default;
  JsonlSink& operator=(JsonlSink&&) noexcept = default;

 private:
  JsonlSink(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;  // invalid for stdout
  fmt::memory_buffer buf_;
  uint64_t errors_ = 0;
  std::unique_ptr<RateLimited> log_ = std::make_unique<RateLimited>();
};

}  // namespace tcpscope::agent
