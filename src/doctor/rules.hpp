// The doctor's rules: Snapshot + Thresholds -> Report. Pure (no I/O, no clock), so every
// finding and threshold edge is unit-tested on synthetic snapshots (tests/unit/doctor_*_test.cpp).
//
// Each check has an id (kCheckIds); a check that fires adds a Finding (warning or critical) with
// its evidence, a two-line explanation and the fix; a check that passes is listed in `passed`; a
// check that cannot be judged (a global sysctl unreadable inside a child namespace) is listed in
// `skipped` with the reason. Notes are settings that change behaviour, not problems.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "doctor/snapshot.hpp"
#include "doctor/thresholds.hpp"

namespace tcpscope::doctor {

enum class Severity : uint8_t { kOk = 0, kWarning = 1, kCritical = 2 };
std::string_view severity_name(Severity s);  // "ok", "warning", "critical"

struct Metric {
  std::string name;  // a counter ("TcpExtListenOverflows"), a level or a ratio
  double value = 0;
  std::string unit;  // "in window", "per second", "%", "" (a count)
};

struct ListenerEvidence {
  std::string address;  // "127.0.0.1:8080", "[::]:443"
  uint16_t port = 0;
  uint32_t accept_queue = 0;
  uint32_t accept_queue_limit = 0;
  double fill_percent = 0;
  uint32_t syn_recv = 0;
  std::optional<uint64_t> drops_in_window;
  std::string capped_by;  // "backlog", "somaxconn" or "" (unknown)
};

struct EndpointEvidence {
  std::string local;   // "" when not part of the key
  std::string remote;  // "" when not part of the key
  uint64_t count = 0;
  uint64_t limit = 0;  // 0 when there is none
};

struct Finding {
  std::string_view id;
  Severity severity = Severity::kWarning;
  std::string title;                  // one line: what is happening
  std::vector<std::string> evidence;  // human lines with the numbers
  std::string explanation;            // two lines, '\n'-separated: why it hurts
  std::string fix;                    // what to change
  std::vector<Metric> metrics;
  std::vector<ListenerEvidence> listeners;
  std::vector<EndpointEvidence> endpoints;
};

struct Skipped {
  std::string_view id;
  std::string reason;
};

// Listeners listed in every report, whatever fired (the fullest queues first).
inline constexpr size_t kReportListeners = 20;

struct Report {
  std::vector<Finding> findings;  // worst first, then in check order
  std::vector<Finding> notes;     // severity ok
  std::vector<std::string_view> passed;
  std::vector<Skipped> skipped;
  // Every listener's queue, fullest first (then the larger queue, then the port); at most
  // kReportListeners of `listeners_total`.
  std::vector<ListenerEvidence> listeners;
  size_t listeners_total = 0;
  double window_seconds = 0;
  Severity worst() const;
};

// Every check the doctor runs, in report order.
std::span<const std::string_view> check_ids();

Report diagnose(const Snapshot& s, const Thresholds& t);

// "127.0.0.1:8080" / "[::1]:8080" from raw bytes; without port when port < 0.
std::string format_endpoint(uint8_t family, const std::array<uint8_t, 16>& addr, int port);

}  // namespace tcpscope::doctor
