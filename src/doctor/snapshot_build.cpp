#include "doctor/snapshot_build.hpp"

namespace tcpscope::doctor {

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
