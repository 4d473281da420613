// SPDX-License-Identifier: MIT
// A set of metric samples: what the agent collects in one tick, handed to every sink (Prometheus
// text, statsd lines, JSON lines). Plain data, no I/O.
//
// Families are named the Prometheus way ("tcpscope_sockets", counters end in "_total"); each
// sample is a family, labels and a value. Families are kept across clear() (in order of first
// use) and render nothing when they have no sample; samples and labels live in flat vectors and
// one string pool whose capacity is kept, so a steady agent refills the set without allocating.
//
// `scope` identifies what a sample's counters belong to (a network namespace's inode; 0 for
// the agent itself): a sink that turns counters into deltas starts a new baseline when the scope
// of a name changes (a namespace deleted and created again under the same name).
//
// Common mistake: keeping a string_view from label_name()/label_value() across add(); the pool
// may move.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tcpscope::model {

enum class MetricType : uint8_t { kGauge, kCounter };

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
};

struct MetricLabel {
  std::string_view name;
  std::string_view value;
};

class MetricSet {
 public:
  struct Sample {
    uint32_t family = 0;
    uint32_t first_label = 0;
    uint32_t label_count = 0;
    uint64_t scope = 0;
    double value = 0;
  };

  // The index of the family called `name`, added on first use. A family keeps the help and type
  // of its first use.
  uint32_t family(std::string_view name, std::string_view help, MetricType type);
  // Appends a sample. Label names must be valid Prometheus label names; values are any bytes.
  void add(uint32_t family, std::span<const MetricLabel> labels, double value, uint64_t scope = 0);
  void add(uint32_t family, std::initializer_list<MetricLabel> labels, double value,
           uint64_t scope = 0) {
    add(family, std::span<const MetricLabel>(labels.begin(), labels.size()), value, scope);
  }
  // Forgets every sample; families stay.
  void clear();

  std::span<const MetricFamily> families() const { return families_; }
  std::span<const Sample> samples() const { return samples_; }
  std::string_view label_name(const Sample& s, uint32_t i) const;
  std::string_view label_value(const Sample& s, uint32_t i) const;
  // Sample indices grouped by family (families in order, samples in insertion order within one).
  std::span<const uint32_t> grouped() const;

 private:
  struct LabelRef {
    uint32_t name_off, name_len, value_off, value_len;
  };
  std::vector<MetricFamily> families_;
  std::vector<Sample> samples_;
  std::vector<LabelRef> labels_;
  std::string pool_;
  mutable std::vector<uint32_t> order_;
  mutable std::vector<uint32_t> counts_;
};

}  // namespace tcpscope::model
