// SPDX-License-Identifier: MIT
// A set of metric samples: what the agent collects in one tick, handed to every sink (Prometheus
// text, statsd lines, JSON lines). Plain data, no I/O.
//
// Families are named the Prometheus way ("tcpscope_sockets", counters end in "_total"); each
// sample is a family, labels and a value. A histogram's samples are its parts, each with the
// family's labels: one per bucket (with a last label `le`, the bucket's upper bound, cumulative
// counts, ending with le="+Inf"), then its sum and its count; the renderers append "_bucket",
// "_sum" and "_count" to the family name. Families are kept across clear() (in order of first
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

enum class MetricType : uint8_t { kGauge, kCounter, kHistogram };

// Which sample of a family: the value of a gauge or counter, or a part of a histogram.
enum class SamplePart : uint8_t { kValue, kBucket, kSum, kCount };
// "", "_bucket", "_sum", "_count": what the part adds to the family's name.
std::string_view sample_suffix(SamplePart p);

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  // A counter whose series start at zero within the agent's life (a series appears at its first
  // count): its first value is all change, not an unknown history.
  bool from_zero = false;
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
    SamplePart part = SamplePart::kValue;
  };

  // The index of the family called `name`, added on first use. A family keeps the help and type
  // of its first use.
  uint32_t family(std::string_view name, std::string_view help, MetricType type);
  void set_from_zero(uint32_t family) { families_[family].from_zero = true; }
  // Appends a sample. Label names must be valid Prometheus label names; values are any bytes.
  void add(uint32_t family, std::span<const MetricLabel> labels, double value, uint64_t scope = 0);
  void add(uint32_t family, std::initializer_list<MetricLabel> labels, double value,
           uint64_t scope = 0) {
    add(family, std::span<const MetricLabel>(labels.begin(), labels.size()), value, scope);
  }
  // Appends one part of a histogram (a bucket's labels end with `le`).
  void add_part(uint32_t family, SamplePart part, std::span<const MetricLabel> labels, double value,
                uint64_t scope = 0);
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
