// SPDX-License-Identifier: MIT
#include "agent/closes.hpp"

#include <netinet/in.h>

#include <algorithm>

namespace tcpscope::agent {

namespace {

using model::Direction;
using model::MetricLabel;
using model::SamplePart;

constexpr std::string_view kWays[] = {"sent", "received"};

template <size_t N>
void emit_histogram(model::MetricSet& out, uint32_t family, std::span<const MetricLabel> labels,
                    const Histogram<N>& h, std::span<const std::string_view> le, double divisor,
                    uint64_t scope) {
  // The labels of the buckets: the series' own, then `le`.
  std::array<MetricLabel, kNsLabels + 3> with_le{};
  const size_t n = labels.size();
  std::copy(labels.begin(), labels.end(), with_le.begin());
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= N; ++i) {
    cumulative += h.buckets[i];
    with_le[n] = {"le", le[i]};
    out.add_part(family, SamplePart::kBucket, std::span(with_le.data(), n + 1),
                 static_cast<double>(cumulative), scope);
  }
  out.add_part(family, SamplePart::kSum, labels, static_cast<double>(h.sum) / divisor, scope);
  out.add_part(family, SamplePart::kCount, labels, static_cast<double>(h.count), scope);
}

}  // namespace

size_t bucket_index(std::span<const uint64_t> bounds, uint64_t v) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
}

double statsd_sample_rate(size_t kept, uint64_t seen) {
  if (seen == 0 || kept >= seen) return 1.0;
  return static_cast<double>(kept) / static_cast<double>(seen);
}

Reservoir::Reservoir(uint32_t capacity, uint64_t seed) : state_(seed | 1) {
  set_capacity(capacity);
}

void Reservoir::set_capacity(uint32_t capacity) {
  capacity_ = capacity;
  values_.clear();
  values_.shrink_to_fit();
  values_.reserve(capacity);  // add() never allocates
  seen_ = 0;
}

CloseAccounting::CloseAccounting(CloseLimits limits) : limits_(limits) {
  for (auto& s : sides_) s.timers.set_capacity(limits.rtt_timers);
}

void CloseAccounting::set_limits(CloseLimits limits) {
  if (limits.rtt_timers != limits_.rtt_timers) {
    for (auto& s : sides_) s.timers.set_capacity(limits.rtt_timers);
  }
  limits_ = limits;
}

void CloseAccounting::set_listeners(std::span<const model::ListenerInfo> listeners) {
  listeners_.clear();
  for (const auto& l : listeners) listeners_.add(l);
  listeners_.finish();
}

void CloseAccounting::on_event(const source::DestroyEvent& e) {
  const model::SocketRecord& r = *e.rec;
  if (r.protocol != IPPROTO_TCP) return;
  // A listener's own close is no connection closed.
  if (listeners_.is_listener(r.cookie)) return;
  Direction d = listeners_.direction(r);
  // The event's time (read once per batch) paces the rechecks: no clock read per event. A clock
  // set back makes one due at once.
  if (d == Direction::kOutbound && recheck_ &&
      (e.time_ns - recheck_at_ >= kRecheckNs || e.time_ns < recheck_at_)) {
    recheck_at_ = e.time_ns;
    ++rechecks_;
    recheck_(listeners_);
    d = listeners_.direction(r);
  }
  account(r, d);
}

void CloseAccounting::on_lost(int64_t) { ++overflows_; }

CloseAccounting::PortCounts& CloseAccounting::counts_for(Side& s, uint16_t port) {
  if (auto it = s.slot.find(port); it != s.slot.end()) return s.ports[it->second];
  if (s.ports.size() >= limits_.max_ports) {
    s.other_used = true;
    return s.other;
  }
  s.slot.emplace(port, static_cast<uint32_t>(s.ports.size()));
  s.port_text.push_back(std::to_string(port));
  return s.ports.emplace_back();
}

void CloseAccounting::account(const model::SocketRecord& r, Direction d) {
  Side& s = sides_[static_cast<size_t>(d)];
  PortCounts& c = counts_for(s, d == Direction::kInbound ? r.sport : r.dport);
  ++c.closed;
  const model::CloseFacts f = model::close_facts(r);
  if (!f.has_info) return;
  c.retrans_segments += f.retrans_segments;
  if (f.retrans_segments > 0) ++c.with_retrans;
  s.bytes[0].observe(kBytesBounds, f.bytes_sent);
  s.bytes[1].observe(kBytesBounds, f.bytes_received);
  if (f.rtt_us > 0) {
    s.rtt.observe(kRttBoundsUs, f.rtt_us);
    s.timers.add(static_cast<double>(f.rtt_us) / 1000.0);
  }
}

void CloseAccounting::emit(const MetricIds& ids, const NsLabels& ns, uint64_t scope,
                           model::MetricSet& out) const {
  auto u = [](uint64_t v) { return static_cast<double>(v); };
  for (const Direction d : {Direction::kInbound, Direction::kOutbound}) {
    const Side& s = sides_[static_cast<size_t>(d)];
    const std::string_view dir = model::direction_name(d);
    auto port_series = [&](std::string_view port, const PortCounts& c) {
      const Labels labels(ns, {{"direction", dir}, {"port", port}});
      out.add(ids[Metric::kClosedConnections], labels, u(c.closed), scope);
      out.add(ids[Metric::kClosedWithRetrans], labels, u(c.with_retrans), scope);
      out.add(ids[Metric::kClosedRetransSegments], labels, u(c.retrans_segments), scope);
    };
    for (size_t i = 0; i < s.ports.size(); ++i) port_series(s.port_text[i], s.ports[i]);
    if (s.other_used) port_series("other", s.other);
    const Labels labels(ns, {{"direction", dir}});
    emit_histogram(out, ids[Metric::kClosedRtt], labels, s.rtt, kRttLe, 1e6, scope);
    for (size_t w = 0; w < 2; ++w) {
      const Labels way(ns, {{"direction", dir}, {"way", kWays[w]}});
      emit_histogram(out, ids[Metric::kClosedBytes], way, s.bytes[w], kBytesLe, 1.0, scope);
    }
  }
  out.add(ids[Metric::kCloseOverflows], Labels(ns), u(overflows_), scope);
}

void CloseAccounting::statsd_timers(const NsLabels& ns, std::vector<StatsdTimer>& out) {
  for (const Direction d : {Direction::kInbound, Direction::kOutbound}) {
    Side& s = sides_[static_cast<size_t>(d)];
    if (s.timers.values().empty()) continue;
    for (size_t i = 0; i < kNsLabels; ++i) s.timer_labels[i] = ns[i];
    s.timer_labels[kNsLabels] = MetricLabel{"direction", direction_name(d)};
    out.push_back(
        StatsdTimer{"closed_connection_rtt", s.timer_labels, s.timers.values(), s.timers.rate()});
  }
}

void CloseAccounting::start_interval() {
  for (auto& s : sides_) s.timers.clear();
}

}  // namespace tcpscope::agent
