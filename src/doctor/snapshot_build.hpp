// Filling the parts of a doctor::Snapshot that come from two reads a window apart: the counter
// window and the listeners' drops. Shared by `tcpscope doctor` and the agent.
#pragma once

#include <span>
#include <vector>

#include "doctor/snapshot.hpp"
#include "model/census.hpp"
#include "model/counters.hpp"

namespace tcpscope::doctor {

// The rules' counters: `current - previous` (0 for a counter that went backwards: a reset or a
// wrap), `seconds` apart; with `since_boot`, `total` holds the current values too.
void fill_counter_window(const model::CounterSnapshot& previous,
                         const model::CounterSnapshot& current, double seconds, bool since_boot,
                         CounterWindow& w);

// One ListenerSample per listener of `now`, with its drops over the window when the same socket
// (cookie) is in `baseline`.
void fill_listener_samples(std::span<const model::ListenerInfo> now,
                           std::span<const model::ListenerInfo> baseline,
                           std::vector<ListenerSample>& out);

}  // namespace tcpscope::doctor
