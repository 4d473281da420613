// SPDX-License-Identifier: MIT
#include "model/doctor_report.hpp"

#include <algorithm>
#include <array>

namespace tcpscope::model::doctor {

namespace {

constexpr size_t kCheckCount = static_cast<size_t>(std::ranges::count_if(
    kCheckTable, [](const CheckInfo& c) { return c.family != CheckFamily::kNote; }));

consteval bool table_in_id_order() {
  for (size_t i = 0; i < std::size(kCheckTable); ++i) {
    if (static_cast<size_t>(kCheckTable[i].id) != i) return false;
    if ((kCheckTable[i].family == CheckFamily::kNote) != (i >= kCheckCount)) return false;
  }
  return true;
}
static_assert(table_in_id_order(), "kCheckTable: one row per CheckId, in order, notes last");

constexpr auto kChecks = [] {
  std::array<CheckId, kCheckCount> ids{};
  for (size_t i = 0; i < kCheckCount; ++i) ids[i] = kCheckTable[i].id;
  return ids;
}();

}  // namespace

std::span<const CheckId> check_ids() { return kChecks; }

std::string_view family_name(CheckFamily f) {
  switch (f) {
    case CheckFamily::kQueues:
      return "queues";
    case CheckFamily::kConnections:
      return "connections";
    case CheckFamily::kMemory:
      return "memory";
    case CheckFamily::kRetransmissions:
      return "retransmissions";
    case CheckFamily::kNote:
      return "note";
  }
  return "unknown";
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kOk:
      return "ok";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "unknown";
}

Severity Report::worst() const {
  Severity w = Severity::kOk;
  for (const auto& f : findings) w = std::max(w, f.severity);
  return w;
}

int exit_status(const Report& r) { return static_cast<int>(r.worst()); }

}  // namespace tcpscope::model::doctor
