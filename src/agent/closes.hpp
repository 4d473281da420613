// SPDX-License-Identifier: MIT
// Connections closed in one network namespace, from the kernel's destroy events
// (source/destroy_events.hpp), summed since the agent began to follow the namespace: per
// direction and port (the listener's port for inbound, the remote one for outbound) the
// connections closed, those that retransmitted and the segments they retransmitted; per
// direction, histograms of the RTT and of the bytes each way; the times the kernel dropped
// events. For statsd, the RTTs of the current interval, in a bounded reservoir.
//
//   CloseAccounting closes(limits);
//   closes.set_listeners(census.listeners());   // each tick: the listeners the collector read
//   subscription.drain(closes);                 // on_event() per closed socket
//   closes.emit(ids, "host", scope, set);       // cumulative values, every tick
//   closes.start_interval();                    // after statsd took this interval's timers
//
// Memory is bounded: per direction at most `max_ports` ports get series of their own, in the
// order they are first seen, and keep them; the others are summed under port="other". The
// reservoir holds at most `rtt_timers` values per direction.
//
// on_event() is the per-event path the agent's budget is about (bench/RESULTS.md, "agent close
// accounting"): no allocation once a port has its series, no system call (a listener recheck
// aside, at most one per kRecheckNs).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/metric_catalog.hpp"
#include "agent/sinks.hpp"
#include "model/census.hpp"
#include "model/close_account.hpp"
#include "model/metric_set.hpp"
#include "source/destroy_events.hpp"

namespace tcpscope::agent {

// Histogram buckets, the upper bounds (inclusive) in the unit measured (microseconds, bytes)
// and as Prometheus `le` values (in seconds for the RTT), "+Inf" last. docs/agent.md lists them.
inline constexpr std::array<uint64_t, 15> kRttBoundsUs = {
    50,     100,    250,     500,     1'000,   2'500,     5'000,    10'000,
    25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000};
inline constexpr std::array<std::string_view, 16> kRttLe = {
    "5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
    "0.025", "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "+Inf"};
inline constexpr std::array<uint64_t, 13> kBytesBounds = {
    0,       256,     1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18,
    1 << 20, 1 << 22, 1 << 24, 1 << 26, 1 << 28, 1 << 30};
inline constexpr std::array<std::string_view, 14> kBytesLe = {
    "0",       "256",     "1024",     "4096",     "16384",     "65536",      "262144",
    "1048576", "4194304", "16777216", "67108864", "268435456", "1073741824", "+Inf"};

// The bucket of `v`: the first bound >= v, or bounds.size() (the +Inf bucket).
size_t bucket_index(std::span<const uint64_t> bounds, uint64_t v);

template <size_t N>
struct Histogram {
  std::array<uint64_t, N + 1> buckets{};  // per bucket, not cumulative; [N]: above the last bound
  uint64_t count = 0;
  uint64_t sum = 0;  // in the unit of the bounds

  void observe(const std::array<uint64_t, N>& bounds, uint64_t v) {
    ++buckets[bucket_index(bounds, v)];
    ++count;
    sum += v;
  }
};

// statsd's sample rate for `kept` values standing for `seen`: kept / seen, 1 when all were kept.
double statsd_sample_rate(size_t kept, uint64_t seen);

// A uniform sample of at most `capacity` of the values added since clear() (reservoir
// sampling: the i-th value replaces a kept one with probability capacity / i).
class Reservoir {
 public:
  explicit Reservoir(uint32_t capacity = 0, uint64_t seed = 0x9e3779b97f4a7c15ULL);
  void set_capacity(uint32_t capacity);  // clears
  void add(double v) {
    ++seen_;
    if (values_.size() < capacity_) {
      values_.push_back(v);
    } else if (capacity_ > 0) {
      const uint64_t j = next() % seen_;
      if (j < capacity_) values_[j] = v;
    }
  }
  void clear() {
    values_.clear();
    seen_ = 0;
  }
  std::span<const double> values() const { return values_; }
  uint64_t seen() const { return seen_; }
  double rate() const { return statsd_sample_rate(values_.size(), seen_); }

 private:
  uint64_t next() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dULL;
  }
  std::vector<double> values_;
  uint32_t capacity_ = 0;
  uint64_t seen_ = 0;
  uint64_t state_;
};

struct CloseLimits {
  uint32_t max_ports = 32;     // per direction
  uint32_t rtt_timers = 1000;  // per direction and interval; 0: none kept
};

class CloseAccounting final : public source::DestroySink {
 public:
  // A listener dump of the namespace, into the set given (a netlink socket opened in it).
  using Recheck = std::function<void(model::ListenerSet&)>;
  // At most one recheck per this much time (of the events' clock).
  static constexpr int64_t kRecheckNs = 100'000'000;

  explicit CloseAccounting(CloseLimits limits = {});

  // New limits: ports that have a series keep it; the reservoirs start over.
  void set_limits(CloseLimits limits);
  // The namespace's listeners, as the collector read them this tick.
  void set_listeners(std::span<const model::ListenerInfo> listeners);
  // How to look again when a closed socket's local port is not a known listener's: a listener
  // newer than the last reading would make its connections look outbound.
  void set_recheck(Recheck r) { recheck_ = std::move(r); }

  void on_event(const source::DestroyEvent& e) override;
  void on_lost(int64_t time_ns) override;
  // One closed connection, its direction known.
  void account(const model::SocketRecord& r, model::Direction d);

  // The cumulative samples of the namespace labelled `ns`.
  void emit(const MetricIds& ids, const NsLabels& ns, uint64_t scope, model::MetricSet& out) const;
  // This interval's RTT timers (one per direction with values), labelled for `ns`, whose values
  // must outlive the timers' use.
  void statsd_timers(const NsLabels& ns, std::vector<StatsdTimer>& out);
  void start_interval();

  uint64_t overflows() const { return overflows_; }
  uint64_t rechecks() const { return rechecks_; }

 private:
  struct PortCounts {
    uint64_t closed = 0;
    uint64_t with_retrans = 0;
    uint64_t retrans_segments = 0;
  };
  struct Side {
    std::unordered_map<uint16_t, uint32_t> slot;  // port -> index in ports
    std::vector<PortCounts> ports;                // first seen first
    std::vector<std::string> port_text;
    PortCounts other;
    bool other_used = false;
    Histogram<kRttBoundsUs.size()> rtt;                   // microseconds
    std::array<Histogram<kBytesBounds.size()>, 2> bytes;  // sent, received
    Reservoir timers;                                     // milliseconds
    std::array<model::MetricLabel, kNsLabels + 1> timer_labels;
  };
  PortCounts& counts_for(Side& s, uint16_t port);

  CloseLimits limits_;
  model::ListenerSet listeners_;
  Recheck recheck_;
  int64_t recheck_at_ = 0;     // the event time of the last recheck
  std::array<Side, 2> sides_;  // by Direction
  uint64_t overflows_ = 0;
  uint64_t rechecks_ = 0;
};

}  // namespace tcpscope::agent
