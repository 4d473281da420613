// SPDX-License-Identifier: MIT
#include "doctor/snapshot_build.hpp"

#include <algorithm>

namespace tcpscope::doctor {

namespace {

// The kernel's default net.ipv4.ip_local_port_range.
constexpr uint16_t kDefaultEphemeralFirst = 32768;
constexpr uint16_t kDefaultEphemeralLast = 60999;

// Endpoints kept per tally table; the rules list at most five of them.
constexpr size_t kTopEndpoints = 10;

uint16_t port(int64_t v) { return static_cast<uint16_t>(std::clamp<int64_t>(v, 0, 65535)); }

}  // namespace

PressureTally pressure_tally(const model::Tunables& t) {
  if (const auto& r = t.ip_local_port_range) return PressureTally(port((*r)[0]), port((*r)[1]));
  return PressureTally(kDefaultEphemeralFirst, kDefaultEphemeralLast);
}

Snapshot build_snapshot(const SnapshotReads& r) {
  Snapshot s;
  fill_listener_samples(r.census.listeners(), r.baseline, s.listeners);
  s.tcp = r.census.tcp();
  s.orphans_in_netns = r.census.orphans();
  fill_counter_window(r.previous, r.current, r.seconds, r.since_boot, s.counters);
  s.tunables = r.tunables;
  s.sockstat = r.sockstat;
  s.time_wait_by_remote = r.tally.time_wait().top(kTopEndpoints);
  s.ports_by_destination = r.tally.destinations().top(kTopEndpoints);
  s.close_wait = r.tally.close_wait().top(kTopEndpoints);
  s.tally_error_bound = r.tally.error_bound();
  return s;
}

void carry_walk(Snapshot& s, const Snapshot& walked) {
  s.tcp = walked.tcp;
  s.orphans_in_netns = walked.orphans_in_netns;
  s.time_wait_by_remote = walked.time_wait_by_remote;
  s.ports_by_destination = walked.ports_by_destination;
  s.close_wait = walked.close_wait;
  s.tally_error_bound = walked.tally_error_bound;
  s.census_walked = walked.census_walked;
  s.not_walked = walked.not_walked;
  std::vector<const model::ListenerInfo*> by_cookie;
  by_cookie.reserve(walked.listeners.size());
  for (const ListenerSample& w : walked.listeners) by_cookie.push_back(&w.info);
  auto less = [](const model::ListenerInfo* a, const model::ListenerInfo* b) {
    return a->cookie < b->cookie;
  };
  std::sort(by_cookie.begin(), by_cookie.end(), less);
  for (ListenerSample& l : s.listeners) {
    const auto it = std::lower_bound(by_cookie.begin(), by_cookie.end(), &l.info, less);
    if (it != by_cookie.end() && (*it)->cookie == l.info.cookie) {
      l.info.syn_recv_v4 = (*it)->syn_recv_v4;
      l.info.syn_recv_v6 = (*it)->syn_recv_v6;
    }
  }
}

void fill_counter_window(const model::CounterSnapshot& previous,
                         const model::CounterSnapshot& current, double seconds, bool since_boot,
                         CounterWindow& w) {
  w = CounterWindow{};
  w.seconds = seconds;
  w.has_totals = since_boot;
  size_t hint = 0;
  size_t prev_hint = 0;
  for (size_t i = 0; i < kCounterCount; ++i) {
    const auto name = counter_name(static_cast<Counter>(i));
    auto at = current.find(name, hint);
    if (!at) continue;
    hint = *at;
    const uint64_t v = current.value(*at);
    uint64_t p = 0;
    if (auto pat = previous.find(name, prev_hint)) {
      prev_hint = *pat;
      p = previous.value(*pat);
    }
    w.present[i] = true;
    w.delta[i] = v >= p ? v - p : 0;  // a reset or wrap: no bogus delta
    w.total[i] = v;
  }
}

void fill_listener_samples(std::span<const model::ListenerInfo> now,
                           std::span<const model::ListenerInfo> baseline,
                           std::vector<ListenerSample>& out) {
  out.clear();
  for (const auto& l : now) {
    ListenerSample ls{l, std::nullopt};
    for (const auto& b : baseline) {
      if (b.cookie == l.cookie && b.has_drops && l.has_drops) {
        ls.drops_in_window = l.drops >= b.drops ? l.drops - b.drops : 0;
      }
    }
    out.push_back(ls);
  }
}

}  // namespace tcpscope::doctor
