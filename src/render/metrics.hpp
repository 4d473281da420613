// SPDX-License-Identifier: MIT
// Rendering a model::MetricSet for the agent's sinks:
//   Prometheus text exposition format 0.0.4 (HELP and TYPE once per family, escaped labels);
//   statsd lines, as Graphite paths or with DogStatsD tags (docs/agent.md, "statsd");
// histograms as their buckets, sum and count (Prometheus, JSON lines) or sum and count (statsd);
//   one JSON-lines object per tick.
// Pure: buffers in, text out. Values that are whole numbers print without a fraction or exponent
// (statsd servers differ on what else they parse); others print in the shortest form that
// reads back exactly.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "model/metric_set.hpp"

namespace tcpscope::render {

void append_metric_value(fmt::memory_buffer& out, double v);

// Appends the whole set in the text format.
void append_prometheus(fmt::memory_buffer& out, const model::MetricSet& set);

struct StatsdStyle {
  std::string prefix = "tcpscope";
  bool tags = false;  // DogStatsD "#k:v" tags instead of label values in the path
};

// The name under which a sample goes to statsd, with its tags when style.tags (everything but
// the value and type), e.g. "tcpscope.host.sockets.tcp.established" or
// "tcpscope.sockets|#netns:host,protocol:tcp,state:established" (the part after '|' is moved
// behind the type by append_statsd_line). Also the key a sink keeps counter baselines under.
// A histogram's sum and count go as NAME_sum and NAME_count (its buckets are not sent). The
// labels `container`, `pod` and `k8s_namespace` name the namespace with `netns`: no Graphite path
// holds them, and DogStatsD tags leave them out when empty.
void append_statsd_key(std::string& out, const model::MetricSet& set,
                       const model::MetricSet::Sample& s, const StatsdStyle& style);
// The same for a name (without the "tcpscope_" prefix) and labels that are not in a set (the
// statsd timers).
void append_statsd_key(std::string& out, std::string_view name,
                       std::span<const model::MetricLabel> labels, const StatsdStyle& style);
// One line "NAME:VALUE|TYPE[|#TAGS]" (no newline) from a key made by append_statsd_key.
void append_statsd_line(std::string& out, std::string_view key, double value, char type);
// "NAME:VALUE|TYPE[|@RATE][|#TAGS]": a rate below 1 says the value is one of a sample that
// stands for 1/RATE times as many (statsd scales counts and timer counts by it).
void append_statsd_line(std::string& out, std::string_view key, double value, std::string_view type,
                        double rate);

// One JSON object on one line (with the newline): {"time": ..., "kind": ..., "samples": [...]}.
void append_metrics_jsonl(fmt::memory_buffer& out, const model::MetricSet& set,
                          std::string_view kind, int64_t unix_ms);

}  // namespace tcpscope::render
