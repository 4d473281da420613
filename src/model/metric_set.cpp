// SPDX-License-Identifier: MIT
#include "model/metric_set.hpp"

namespace tcpscope::model {

uint32_t MetricSet::family(std::string_view name, std::string_view help, MetricType type) {
  for (uint32_t i = 0; i < families_.size(); ++i) {
    if (families_[i].name == name) return i;
  }
  families_.push_back(MetricFamily{std::string(name), std::string(help), type});
  return static_cast<uint32_t>(families_.size() - 1);
}

std::string_view sample_suffix(SamplePart p) {
  switch (p) {
    case SamplePart::kValue:
      return "";
    case SamplePart::kBucket:
      return "_bucket";
    case SamplePart::kSum:
      return "_sum";
    case SamplePart::kCount:
      return "_count";
  }
  return "";
}

void MetricSet::add(uint32_t family, std::span<const MetricLabel> labels, double value,
                    uint64_t scope) {
  add_part(family, SamplePart::kValue, labels, value, scope);
}

void MetricSet::add_part(uint32_t family, SamplePart part, std::span<const MetricLabel> labels,
                         double value, uint64_t scope) {
  Sample s;
  s.part = part;
  s.family = family;
  s.first_label = static_cast<uint32_t>(labels_.size());
  s.label_count = static_cast<uint32_t>(labels.size());
  s.scope = scope;
  s.value = value;
  for (const auto& l : labels) {
    LabelRef r;
    r.name_off = static_cast<uint32_t>(pool_.size());
    r.name_len = static_cast<uint32_t>(l.name.size());
    pool_.append(l.name);
    r.value_off = static_cast<uint32_t>(pool_.size());
    r.value_len = static_cast<uint32_t>(l.value.size());
    pool_.append(l.value);
    labels_.push_back(r);
  }
  samples_.push_back(s);
}

void MetricSet::clear() {
  samples_.clear();
  labels_.clear();
  pool_.clear();
}

std::string_view MetricSet::label_name(const Sample& s, uint32_t i) const {
  const LabelRef& r = labels_[s.first_label + i];
  return {pool_.data() + r.name_off, r.name_len};
}

std::string_view MetricSet::label_value(const Sample& s, uint32_t i) const {
  const LabelRef& r = labels_[s.first_label + i];
  return {pool_.data() + r.value_off, r.value_len};
}

std::span<const uint32_t> MetricSet::grouped() const {
  // A counting sort by family: stable, linear, and the two vectors keep their capacity.
  counts_.assign(families_.size() + 1, 0);
  for (const auto& s : samples_) ++counts_[s.family + 1];
  for (size_t i = 1; i < counts_.size(); ++i) counts_[i] += counts_[i - 1];
  order_.resize(samples_.size());
  for (uint32_t i = 0; i < samples_.size(); ++i) order_[counts_[samples_[i].family]++] = i;
  return order_;
}

}  // namespace tcpscope::model
