// SPDX-License-Identifier: MIT
// The doctor's rules: Snapshot + Thresholds -> Report. Pure (no I/O, no clock), so every
// finding and threshold edge is unit-tested on synthetic snapshots (tests/unit/doctor_*_test.cpp).
//
// Each check has an id (model::doctor::CheckId); a check that fires adds a Finding (warning or
// critical) with its evidence, a two-line explanation and the fix; a check that passes is listed in
// `passed`; a check that cannot be judged (a global sysctl unreadable inside a child namespace) is
// listed in `skipped` with the reason. Notes are settings that change behaviour, not problems.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "doctor/snapshot.hpp"
#include "doctor/thresholds.hpp"
#include "model/doctor_report.hpp"

namespace tcpscope::doctor {

// The report's types and the check-id table are plain data in model/doctor_report.hpp.
using model::doctor::check_ids;
using model::doctor::check_key;
using model::doctor::CheckId;
using model::doctor::EndpointEvidence;
using model::doctor::exit_status;
using model::doctor::Finding;
using model::doctor::kReportListeners;
using model::doctor::ListenerEvidence;
using model::doctor::Metric;
using model::doctor::Report;
using model::doctor::Severity;
using model::doctor::severity_name;
using model::doctor::Skipped;

Report diagnose(const Snapshot& s, const Thresholds& t);

// "127.0.0.1:8080" / "[::1]:8080" from raw bytes; without port when port < 0.
std::string format_endpoint(uint8_t family, const std::array<uint8_t, 16>& addr, int port);

}  // namespace tcpscope::doctor
