// SPDX-License-Identifier: MIT
// Fuzz target: the agent's TOML configuration and endpoint parsers over arbitrary content, and
// the metric renderers over arbitrary label values (a label value must never break a line or a
// JSON object).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "agent/config.hpp"
#include "model/metric_set.hpp"
#include "render/metrics.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpscope;
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  agent::AgentConfig c;
  (void)agent::parse_config_toml(content, "fuzz.toml", c);
  (void)agent::parse_endpoint(content, "127.0.0.1");

  model::MetricSet set;
  const uint32_t f = set.family("tcpscope_x", content, model::MetricType::kGauge);
  set.add(f, {{"netns", content}}, 1);
  fmt::memory_buffer prom;
  render::append_prometheus(prom, set);
  size_t lines = 0;
  for (char ch : std::string_view(prom.data(), prom.size())) lines += ch == '\n';
  if (lines != 3) std::abort();  // HELP, TYPE, the sample: escaping keeps each on one line
  std::string key;
  render::append_statsd_key(key, set, set.samples()[0], {"p", false});
  if (key.find_first_of(":|\n") != std::string::npos) std::abort();
  fmt::memory_buffer json;
  render::append_metrics_jsonl(json, set, "full", 0);
  for (size_t i = 0; i + 1 < json.size(); ++i) {
    if (json.data()[i] == '\n') std::abort();
  }
  return 0;
}
