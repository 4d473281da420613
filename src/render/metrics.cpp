// SPDX-License-Identifier: MIT
#include "render/metrics.hpp"

#include <cmath>
#include <ctime>
#include <iterator>

#include "render/json.hpp"

namespace tcpscope::render {

namespace {

using model::MetricSet;
using model::MetricType;

void put(fmt::memory_buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }

// Prometheus label values escape backslash, double quote and newline; HELP text escapes
// backslash and newline.
void put_escaped(fmt::memory_buffer& out, std::string_view s, bool quote) {
  // Runs without a character to escape go in one append (most values have none).
  const std::string_view special = quote ? std::string_view("\\\n\"") : std::string_view("\\\n");
  while (!s.empty()) {
    const size_t at = s.find_first_of(special);
    put(out, s.substr(0, at));
    if (at == std::string_view::npos) return;
    const char c = s[at];
    put(out, c == '\\' ? std::string_view("\\\\") : c == '\n' ? "\\n" : "\\\"");
    s.remove_prefix(at + 1);
  }
}

// statsd has no escaping: characters that separate path elements, values, types or tags become
// '_' in Graphite paths; in DogStatsD tags only ',', '|', '#' and ':' in names are a problem
// (values may hold ':', as "listener:127.0.0.1:80" is read up to the first ':').
bool graphite_unsafe(char c) {
  switch (c) {
    case '.':
    case ':':
    case '/':
    case '[':
    case ']':
    case '*':
    case '%':
    case ' ':
    case '|':
    case '#':
    case ',':
    case '@':
    case '\n':
    case '\t':
      return true;
    default:
      return false;
  }
}

void put_graphite(std::string& out, std::string_view s) {
  for (char c : s) out.push_back(graphite_unsafe(c) ? '_' : c);
}

void put_tag_value(std::string& out, std::string_view s) {
  for (char c : s) {
    out.push_back(c == ',' || c == '|' || c == '#' || c == '\n' || c == ' ' ? '_' : c);
  }
}

// "tcpscope_tcpext_listen_overflows_total" -> "tcpext_listen_overflows".
std::string_view short_name(std::string_view family, MetricType type) {
  if (family.starts_with("tcpscope_")) family.remove_prefix(9);
  if (type == MetricType::kCounter && family.ends_with("_total")) {
    family.remove_suffix(6);
  }
  return family;
}

std::string_view type_word(MetricType t) {
  switch (t) {
    case MetricType::kGauge:
      return " gauge\n";
    case MetricType::kCounter:
      return " counter\n";
    case MetricType::kHistogram:
      return " histogram\n";
  }
  return " untyped\n";
}

// The labels of a sample, or a plain list, read the same way by the statsd key builder.
struct SampleLabels {
  const MetricSet& set;
  const MetricSet::Sample& s;
  uint32_t size() const { return s.label_count; }
  std::string_view name(uint32_t i) const { return set.label_name(s, i); }
  std::string_view value(uint32_t i) const { return set.label_value(s, i); }
};
struct ListLabels {
  std::span<const model::MetricLabel> l;
  uint32_t size() const { return static_cast<uint32_t>(l.size()); }
  std::string_view name(uint32_t i) const { return l[i].name; }
  std::string_view value(uint32_t i) const { return l[i].value; }
};

// The labels that name a sample's namespace besides `netns` (the agent's container, pod and
// k8s_namespace): not path elements in Graphite (the netns element names the namespace, and paths
// keep their shape), and left out of DogStatsD tags when empty.
bool names_namespace(std::string_view label) {
  return label == "container" || label == "pod" || label == "k8s_namespace";
}

template <typename Labels>
void statsd_key(std::string& out, std::string_view name, std::string_view suffix,
                const Labels& labels, const StatsdStyle& style) {
  if (style.tags) {
    put_graphite(out, style.prefix);
    if (!style.prefix.empty()) out.push_back('.');
    put_graphite(out, name);
    put_graphite(out, suffix);
    bool first = true;
    for (uint32_t i = 0; i < labels.size(); ++i) {
      if (names_namespace(labels.name(i)) && labels.value(i).empty()) continue;
      out.push_back(first ? '|' : ',');
      if (first) out.push_back('#');
      first = false;
      put_tag_value(out, labels.name(i));
      out.push_back(':');
      put_tag_value(out, labels.value(i));
    }
    return;
  }
  put_graphite(out, style.prefix);
  // The namespace comes first, then the name, then the other label values in order.
  for (uint32_t i = 0; i < labels.size(); ++i) {
    if (labels.name(i) == "netns") {
      if (!out.empty()) out.push_back('.');
      put_graphite(out, labels.value(i));
    }
  }
  if (!out.empty()) out.push_back('.');
  put_graphite(out, name);
  put_graphite(out, suffix);
  for (uint32_t i = 0; i < labels.size(); ++i) {
    if (labels.name(i) == "netns" || names_namespace(labels.name(i))) continue;
    out.push_back('.');
    put_graphite(out, labels.value(i));
  }
}

}  // namespace

void append_metric_value(fmt::memory_buffer& out, double v) {
  if (std::isnan(v)) {
    put(out, "NaN");
  } else if (std::isinf(v)) {
    put(out, v > 0 ? "+Inf" : "-Inf");
  } else if (v == std::trunc(v) && std::fabs(v) < 9.2e18) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<int64_t>(v));
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

void append_prometheus(fmt::memory_buffer& out, const MetricSet& set) {
  const auto order = set.grouped();
  const auto samples = set.samples();
  const auto families = set.families();
  uint32_t current = UINT32_MAX;
  for (uint32_t idx : order) {
    const auto& s = samples[idx];
    const auto& f = families[s.family];
    if (s.family != current) {
      current = s.family;
      put(out, "# HELP ");
      put(out, f.name);
      out.push_back(' ');
      put_escaped(out, f.help, false);
      put(out, "\n# TYPE ");
      put(out, f.name);
      put(out, type_word(f.type));
    }
    put(out, f.name);
    put(out, model::sample_suffix(s.part));
    if (s.label_count > 0) {
      out.push_back('{');
      for (uint32_t i = 0; i < s.label_count; ++i) {
        if (i > 0) out.push_back(',');
        put(out, set.label_name(s, i));
        put(out, "=\"");
        put_escaped(out, set.label_value(s, i), true);
        out.push_back('"');
      }
      out.push_back('}');
    }
    out.push_back(' ');
    append_metric_value(out, s.value);
    out.push_back('\n');
  }
}

void append_statsd_key(std::string& out, const MetricSet& set, const MetricSet::Sample& s,
                       const StatsdStyle& style) {
  const auto& f = set.families()[s.family];
  statsd_key(out, short_name(f.name, f.type), model::sample_suffix(s.part), SampleLabels{set, s},
             style);
}

void append_statsd_key(std::string& out, std::string_view name,
                       std::span<const model::MetricLabel> labels, const StatsdStyle& style) {
  statsd_key(out, name, "", ListLabels{labels}, style);
}

void append_statsd_line(std::string& out, std::string_view key, double value, char type) {
  append_statsd_line(out, key, value, std::string_view(&type, 1), 1.0);
}

void append_statsd_line(std::string& out, std::string_view key, double value, std::string_view type,
                        double rate) {
  const size_t bar = key.find('|');
  out.append(key.substr(0, bar));
  out.push_back(':');
  fmt::memory_buffer v;
  append_metric_value(v, value);
  out.append(v.data(), v.size());
  out.push_back('|');
  out.append(type);
  if (rate < 1.0) {
    v.clear();
    append_metric_value(v, rate);
    out.append("|@");
    out.append(v.data(), v.size());
  }
  if (bar != std::string_view::npos) out.append(key.substr(bar));
}

void append_metrics_jsonl(fmt::memory_buffer& out, const MetricSet& set, std::string_view kind,
                          int64_t unix_ms) {
  const time_t secs = static_cast<time_t>(unix_ms / 1000);
  tm t{};
  ::gmtime_r(&secs, &t);
  fmt::format_to(
      std::back_inserter(out),
      "{{\"time\": \"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\", \"kind\": ", t.tm_year + 1900,
      t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, unix_ms % 1000);
  append_json_string(out, kind);
  put(out, ", \"samples\": [");
  bool first = true;
  for (const auto& s : set.samples()) {
    put(out, first ? "{\"metric\": " : ", {\"metric\": ");
    first = false;
    append_json_string(out, set.families()[s.family].name);
    if (const std::string_view suffix = model::sample_suffix(s.part); !suffix.empty()) {
      out.resize(out.size() - 1);  // the suffix goes inside the quotes (it needs no escape)
      put(out, suffix);
      out.push_back('"');
    }
    for (uint32_t i = 0; i < s.label_count; ++i) {
      put(out, ", ");
      append_json_string(out, set.label_name(s, i));
      put(out, ": ");
      append_json_string(out, set.label_value(s, i));
    }
    put(out, ", \"value\": ");
    const double v = s.value;
    if (std::isfinite(v)) {
      append_metric_value(out, v);
    } else {
      put(out, "null");
    }
    out.push_back('}');
  }
  put(out, "]}\n");
}

}  // namespace tcpscope::render
