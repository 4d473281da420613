// SPDX-License-Identifier: MIT
// What `tcpscope doctor` reports, as plain data: the checks it runs (one table: typed id, the
// id as printed, a human name, the family of rules it belongs to), and a report's findings,
// notes, passed and skipped checks. src/doctor computes a Report; src/render writes it
// (text and JSON) and the agent turns it into one gauge per check.
//
// A check id is printed only through check_key(); the strings live in kCheckTable alone.
// Common mistake: iterating kCheckTable for "every check": it also holds the notes' ids;
// check_ids() lists the checks.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tcpscope::model::doctor {

// Every check, in report order, then the notes (settings that change behaviour; never a
// status).
enum class CheckId : uint8_t {
  kAcceptQueueOverflow,
  kAcceptQueueSaturated,
  kSynCookies,
  kSynQueueDrops,
  kTimeWaitOverflow,
  kTimeWaitPressure,
  kEphemeralPortPressure,
  kOrphans,
  kTcpMemoryPressure,
  kCloseWaitLeak,
  kRetransmissions,
  kSynRetransmits,
  kTimeouts,
  kBacklogDrops,
  kNoteAbortOnOverflow,
  kNoteSyncookies,
  kNoteSharedSocketHash,
};

// The rules' families (one source file each under src/doctor/).
enum class CheckFamily : uint8_t {
  kQueues,           // accept and SYN queues
  kConnections,      // TIME-WAIT, ephemeral ports, CLOSE-WAIT
  kMemory,           // TCP memory and orphans
  kRetransmissions,  // retransmissions, timeouts, backlog drops
  kNote,             // settings: notes, not checks
};

// "queues", "connections", "memory", "retransmissions", "note".
std::string_view family_name(CheckFamily f);

struct CheckInfo {
  CheckId id;
  std::string_view key;   // "accept-queue-overflow": JSON, text, the agent's `check` label
  std::string_view name;  // "Accept queue overflow"
  CheckFamily family;
};

// Indexed by CheckId.
inline constexpr CheckInfo kCheckTable[] = {
    {CheckId::kAcceptQueueOverflow, "accept-queue-overflow", "Accept queue overflow",
     CheckFamily::kQueues},
    {CheckId::kAcceptQueueSaturated, "accept-queue-saturated", "Accept queue saturated",
     CheckFamily::kQueues},
    {CheckId::kSynCookies, "syn-cookies", "SYN cookies sent", CheckFamily::kQueues},
    {CheckId::kSynQueueDrops, "syn-queue-drops", "SYN queue drops", CheckFamily::kQueues},
    {CheckId::kTimeWaitOverflow, "time-wait-overflow", "TIME-WAIT table overflow",
     CheckFamily::kConnections},
    {CheckId::kTimeWaitPressure, "time-wait-pressure", "TIME-WAIT table pressure",
     CheckFamily::kConnections},
    {CheckId::kEphemeralPortPressure, "ephemeral-port-pressure", "Ephemeral port pressure",
     CheckFamily::kConnections},
    {CheckId::kOrphans, "orphans", "Orphaned sockets", CheckFamily::kMemory},
    {CheckId::kTcpMemoryPressure, "tcp-memory-pressure", "TCP memory pressure",
     CheckFamily::kMemory},
    {CheckId::kCloseWaitLeak, "close-wait-leak", "CLOSE-WAIT leak", CheckFamily::kConnections},
    {CheckId::kRetransmissions, "retransmissions", "Retransmissions",
     CheckFamily::kRetransmissions},
    {CheckId::kSynRetransmits, "syn-retransmits", "SYN retransmissions",
     CheckFamily::kRetransmissions},
    {CheckId::kTimeouts, "timeouts", "Retransmission timeouts", CheckFamily::kRetransmissions},
    {CheckId::kBacklogDrops, "backlog-drops", "Socket backlog drops",
     CheckFamily::kRetransmissions},
    {CheckId::kNoteAbortOnOverflow, "tcp_abort_on_overflow", "Resets on a full accept queue",
     CheckFamily::kNote},
    {CheckId::kNoteSyncookies, "tcp_syncookies", "SYN cookies setting", CheckFamily::kNote},
    {CheckId::kNoteSharedSocketHash, "shared-socket-hash",
     "Namespaces sharing the host's established hash", CheckFamily::kNote},
};

constexpr const CheckInfo& check_info(CheckId id) { return kCheckTable[static_cast<size_t>(id)]; }
constexpr std::string_view check_key(CheckId id) { return check_info(id).key; }

// Every check the doctor runs, in report order (the notes left out).
std::span<const CheckId> check_ids();

enum class Severity : uint8_t { kOk = 0, kWarning = 1, kCritical = 2 };
std::string_view severity_name(Severity s);  // "ok", "warning", "critical"

struct Metric {
  std::string name;  // a counter ("TcpExtListenOverflows"), a level or a ratio
  double value = 0;
  std::string unit;  // "in window", "since boot", "%", "" (a count)
};

struct ListenerEvidence {
  std::string address;  // "127.0.0.1:8080", "[::]:443", "0.0.0.0%eth0:80" (bound to a device)
  uint16_t port = 0;
  std::string interface;  // the device it is bound to (SO_BINDTODEVICE), "" for none
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
  CheckId id = CheckId::kAcceptQueueOverflow;
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
  CheckId id = CheckId::kAcceptQueueOverflow;
  std::string reason;
};

// Listeners listed in every report, whatever fired (the fullest queues first).
inline constexpr size_t kReportListeners = 20;

struct Report {
  std::vector<Finding> findings;  // worst first, then in check order
  std::vector<Finding> notes;     // severity ok
  std::vector<CheckId> passed;
  std::vector<Skipped> skipped;
  // Every listener's queue, fullest first (then the larger queue, then the port); at most
  // kReportListeners of `listeners_total`.
  std::vector<ListenerEvidence> listeners;
  size_t listeners_total = 0;
  double window_seconds = 0;
  Severity worst() const;
};

// The exit status of a report (the monitoring-plugin convention): 0 ok, 1 warning, 2 critical
// (3, could not check, is the caller's).
int exit_status(const Report& r);

}  // namespace tcpscope::model::doctor
