// SPDX-License-Identifier: MIT
// Every metric family the agent exports with a fixed name: name, type and help, in one table
// (docs/agent.md lists the same names; a unit test checks that the two agree). Kernel counters
// are named at run time from their nstat names (counter_metric_name).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "model/metric_set.hpp"
#include "model/netns.hpp"

namespace tcpscope::agent {

enum class Metric : uint8_t {
  kSockets,
  kTcpInUse,
  kTcpTimeWait,
  kCensusAge,
  kListeners,
  kListenersDropped,
  kAcceptQueue,
  kAcceptQueueLimit,
  kAcceptQueueFill,
  kAcceptQueuePeak,
  kListenerSynRecv,
  kListenerDrops,
  kOrphans,
  kTcpMemory,
  kTcpMemLimit,
  kSysctl,
  kDoctorFinding,
  kClosedConnections,
  kClosedWithRetrans,
  kClosedRetransSegments,
  kClosedRtt,
  kClosedBytes,
  kCloseOverflows,
  kCollectionDuration,
  kSocketsSeen,
  kCollections,
  kErrors,
  kDumpDuplicates,
  kDumpRestarts,
  kStatsdPackets,
  kHttpRequests,
  kTicksSkipped,
  kNamespaces,
  kCensusMaxAge,
  kCensusCpu,
  kResidentMemory,
  kCpuSeconds,
  kBuildInfo,
  kCount,
};

struct MetricInfo {
  Metric id;
  std::string_view name;
  model::MetricType type;
  std::string_view help;
};

std::span<const MetricInfo> metric_catalog();

// Family indices of the catalog in one MetricSet (registered once, in catalog order).
class MetricIds {
 public:
  explicit MetricIds(model::MetricSet& set);
  uint32_t operator[](Metric m) const { return ids_[static_cast<size_t>(m)]; }

 private:
  uint32_t ids_[static_cast<size_t>(Metric::kCount)];
};

// Every metric of a namespace carries its names first: netns, container, pod, k8s_namespace
// (the last three empty where they are not known), so every family of a namespace has one label
// set (docs/agent.md, "Names"). The statsd renderers leave the last three out of Graphite paths
// (the netns element names the namespace) and out of DogStatsD tags when empty.
inline constexpr size_t kNsLabels = 4;
using NsLabels = std::array<model::MetricLabel, kNsLabels>;
// Views into `n`, which must outlive them.
NsLabels ns_labels(const model::NetnsNames& n);

// A namespace's labels followed by a few more, in one fixed array (no allocation).
class Labels {
 public:
  explicit Labels(const NsLabels& ns, std::initializer_list<model::MetricLabel> more = {});
  operator std::span<const model::MetricLabel>() const {  // NOLINT(google-explicit-constructor)
    return {a_.data(), n_};
  }

 private:
  std::array<model::MetricLabel, kNsLabels + 4> a_{};
  size_t n_ = 0;
};

// "TcpExtListenOverflows" -> "tcpscope_tcpext_listen_overflows_total" (gauge: no "_total").
std::string counter_metric_name(std::string_view nstat_name, bool gauge);

// The counters exported without --counters (nstat names).
std::span<const std::string_view> default_counters();

// tcpscope_build_info's labels (Prometheus' convention: a gauge of 1 whose labels say what is
// running): the project version of CMakeLists.txt, the one place it is written, and the compiler.
struct BuildInfo {
  std::string_view version;
  std::string_view compiler;
};
BuildInfo build_info();
// Adds tcpscope_build_info{version,compiler} 1 to `set` (the catalog's family and help).
void add_build_info(model::MetricSet& set);

}  // namespace tcpscope::agent
