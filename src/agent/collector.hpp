// SPDX-License-Identifier: MIT
// One network namespace, collected tick after tick.
//
// A collector owns an fd of its namespace file (so the namespace stays valid while a collection
// runs even if `ip netns del` removes its name), its netlink source and counter files (opened
// inside the namespace on first use, kept open), and what the last collections saw. collect()
// enters the namespace (setns on the calling thread), reads, and returns to the agent's own
// namespace before it returns, whatever happened; emit() writes the namespace's samples.
//
//   every tick:        listeners (the listening hash only), counters, sockstat;
//   full tick:         + the listeners' drop counters, then the doctor's rules over the window
//                      since the previous full tick; the tunables at the first collection, with
//                      each census walk and at least once a minute;
//   census (a full tick the agent's CensusPlanner picks; every full tick for a namespace with a
//                      hash of its own): + every other TCP state and UDP at header level, with
//                      the doctor's tallies riding along. Between two walks the doctor judges
//                      with the last walk's states and tallies (carry_walk) and fresh counters,
//                      listeners and sockstat.
//
// The walk of a namespace that shares the host's established hash costs the same whatever the
// namespace holds (model/netns.hpp): the agent's planner decides when, within its CPU budget;
// walk_cpu_s() tells it what the last one cost.
//
// With [closes] enabled, the collector also holds a subscription to the namespace's destroy
// events, opened inside it (a netlink socket stays bound to the namespace it was created in):
// the agent's loop waits on close_fd() and calls drain_closes(), which needs no setns. The
// listeners each tick reads tell inbound closes from outbound ones; a closed socket whose local
// port no known listener has makes a listener recheck (at most one per 100 ms) through a
// netlink socket of the namespace.
//
// Allocation: the census, tally and samples are refilled in place; a steady namespace with a
// steady set of listeners allocates nothing per socket and little per tick.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "agent/census_plan.hpp"
#include "agent/closes.hpp"
#include "agent/config.hpp"
#include "agent/log.hpp"
#include "agent/metric_catalog.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "doctor/snapshot.hpp"
#include "model/census.hpp"
#include "model/counters.hpp"
#include "model/doctor_report.hpp"
#include "model/metric_set.hpp"
#include "model/netns.hpp"
#include "procfs/counter_sampler.hpp"
#include "procfs/sockstat.hpp"
#include "procfs/sysctl.hpp"
#include "source/destroy_events.hpp"
#include "source/name_cache.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::agent {

enum class TickKind : uint8_t { kFull = 0, kListener = 1 };
std::string_view tick_kind_name(TickKind k);

enum class NsError : uint8_t { kDump, kNetns, kCounters, kTunables, kCloses, kCount };

class NamespaceCollector {
 public:
  // `path` empty: the agent's own namespace. `origin`: an fd of the agent's own namespace, to
  // return to after collecting elsewhere (not owned; kept open by the agent). `now_ns`: when
  // the agent begins to follow it (the age of its census counts from there until the first).
  static Result<std::unique_ptr<NamespaceCollector>> open(model::NetnsNames names, std::string path,
                                                          int origin_fd, int64_t now_ns);

  const std::string& label() const { return names_.netns; }
  const model::NetnsNames& names() const { return names_; }
  // New names for the same namespace (a container renamed, a member pid gone).
  void set_names(model::NetnsNames names);
  const std::string& path() const { return path_; }
  // The namespace's identity (device and inode of its nsfs file).
  uint64_t identity() const { return identity_; }

  // Enters the namespace once, at once: reads which established hash it has and, with
  // [closes] enabled, subscribes to its close events (a failure is counted and logged, and each
  // collection tries again).
  void start(const AgentConfig& cfg);

  // What the planner needs to decide on its census.
  CensusCandidate candidate() const;
  // CPU time of the last census walk; true when this tick's collection walked.
  double walk_cpu_s() const { return walk_cpu_s_; }
  bool walked() const { return walked_; }
  bool walks_host_hash() const { return !hash_ || hash_->walks_host_hash(); }

  // Collects (`census`: also walk every state); on error the namespace's samples are left out
  // of emit() until a collection works.
  Status collect(TickKind kind, bool census, const AgentConfig& cfg, int64_t now_ns);
  void emit(const AgentConfig& cfg, const MetricIds& ids, int64_t now_ns, model::MetricSet& out);

  // True after the first successful collection (listeners, counters, sockstat).
  bool has_data() const { return healthy_; }
  bool has_census() const { return has_census_; }

  // Closed connections ([closes]). A collection with [closes] disabled drops the subscription
  // and the accounts.
  // The subscription's fd, -1 without one.
  int close_fd() const { return close_sub_ ? close_sub_->fd() : -1; }
  // Accounts every event queued now.
  void drain_closes();
  // This interval's RTT timers for statsd; then start_close_interval() for the next one.
  void close_timers(std::vector<StatsdTimer>& out);
  void start_close_interval();

 private:
  NamespaceCollector(model::NetnsNames names, std::string path, UniqueFd ns, uint64_t identity,
                     int origin_fd, int64_t now_ns);
  Status collect_inside(TickKind kind, bool census, const AgentConfig& cfg);
  // Runs `f` inside the namespace (setns there and back when it is not the agent's own).
  template <typename F>
  Status inside(F&& f);
  void sync_closes(const AgentConfig& cfg);  // called inside the namespace
  Status read_listeners(TickKind kind, bool census, const AgentConfig& cfg);
  void run_doctor(const doctor::Snapshot& s, const AgentConfig& cfg);
  void build_rows(TickKind kind);
  void count_error(NsError e) { ++errors_[static_cast<size_t>(e)]; }

  struct ListenerRow {
    std::string label;
    uint64_t cookie = 0;
    uint16_t port = 0;
    uint64_t queue = 0;
    uint64_t limit = 0;
    uint64_t peak = 0;
    uint64_t syn_recv = 0;
    uint64_t drops = 0;
    bool has_drops = false;
  };

  model::NetnsNames names_;
  NsLabels labels_;  // views into names_
  std::string path_;
  UniqueFd ns_;
  uint64_t identity_ = 0;
  int origin_fd_ = -1;
  std::optional<model::EstablishedHash> hash_;  // read once: a namespace never changes hash

  std::unique_ptr<source::SocketSource> src_;
  // Counters: made inside the namespace at the first collection (its files stay open and keep
  // reading it); snmp6 only when --counters may ask for its counters.
  std::unique_ptr<procfs::CounterSampler> sampler_;
  bool sampler_snmp6_ = false;
  std::string buffer_;
  procfs::Tunables tunables_;
  bool has_tunables_ = false;
  int64_t tunables_ns_ = 0;  // monotonic time of the last reading
  std::optional<procfs::SockStat> sockstat_;
  procfs::SockStatReader sockstat_reader_{"/proc"};  // opened inside at the first collection

  source::NameCache ifnames_;  // device names of this namespace, renewed each tick
  model::Census census_;       // the last census walk
  bool has_census_ = false;
  bool healthy_ = false;
  bool walked_ = false;
  int64_t since_ns_ = 0;    // when the agent began to follow it
  int64_t census_ns_ = -1;  // monotonic time of the last walk
  double walk_cpu_s_ = -1;  // CPU time of the last walk, -1 before the first
  doctor::Snapshot walk_;   // the doctor's view of the last walk (states, tallies, SYN-RECV)
  std::vector<model::ListenerInfo> latest_listeners_;
  std::vector<ListenerRow> rows_;                     // newest listener reading, merged by label
  std::vector<std::pair<uint64_t, uint64_t>> peaks_;  // cookie -> largest queue since full
  std::vector<std::pair<uint64_t, uint64_t>> peaks_next_;
  std::vector<std::pair<uint64_t, uint64_t>> syn_recv_;  // cookie -> SYN-RECV (last full)

  // The doctor's window: counters and listeners at the previous full tick.
  model::CounterSnapshot doctor_counters_;
  std::vector<model::ListenerInfo> doctor_listeners_;
  bool has_doctor_baseline_ = false;
  std::vector<std::pair<model::doctor::CheckId, int>> findings_;  // check -> severity

  // Counter name -> family index in the set it was emitted to (-1: not exported).
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, int64_t, NameHash, std::equal_to<>> counter_families_;
  // The exported counters of the snapshot layout last seen (its size in
  // counters_layout_size_): index in the snapshot, family, and the name (a key of
  // counter_families_, whose nodes stay put).
  struct ExportedCounter {
    size_t index;
    uint32_t family;
    const std::string* name;
  };
  std::vector<ExportedCounter> exported_counters_;
  size_t counters_layout_size_ = SIZE_MAX;
  const model::MetricSet* families_of_ = nullptr;
  std::vector<std::string> counter_patterns_;
  model::CounterPatterns counter_matcher_;

  std::array<double, 2> duration_s_{};
  std::array<uint64_t, 2> collections_{};
  std::array<uint64_t, static_cast<size_t>(NsError::kCount)> errors_{};
  std::unique_ptr<source::DestroySubscription> close_sub_;
  std::unique_ptr<source::SocketSource> close_src_;  // for listener rechecks
  std::unique_ptr<CloseAccounting> closes_;
  model::ListenerSet recheck_set_;
  RateLimited close_log_;

  uint64_t sockets_seen_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t restarts_ = 0;
};

}  // namespace tcpscope::agent
