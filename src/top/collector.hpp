// SPDX-License-Identifier: MIT
// The collector of `tcpscope top`: one refresh = counters, sockstat and tunables, the listeners
// (with their drop counters), one TCP dump with tcp_info for the connections and the census,
// and the doctor's rules over the window since the previous refresh. Published as an immutable
// model::TopSnapshot.
//
// Cost: without a filter, one dump (INET_DIAG_INFO, every state but LISTEN) feeds the census,
// the doctor's tallies and the connection table in one pass; the listeners come from the
// listening hash (cheap). With a filter (or a state selection), the census still needs every
// socket: a header-level dump for it, and the filtered dump with tcp_info for the connections.
// The process walk (which can cost more than a dump on a busy host) runs in line on the first
// refresh, then on a thread of its own, asked for after a refresh at most every
// `process_interval_s`; each refresh takes the newest table, and a connection keeps its owner
// in between.
//
// A Runner drives a Collector from its own thread, at an interval, and hands the newest
// snapshot to the screen; a refresh that fails keeps the last good data and says why.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "doctor/tally.hpp"
#include "doctor/thresholds.hpp"
#include "model/census.hpp"
#include "model/conn_table.hpp"
#include "model/counters.hpp"
#include "model/top_snapshot.hpp"
#include "procfs/counter_sampler.hpp"
#include "source/filtering.hpp"
#include "source/name_cache.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::top {

struct CollectorOptions {
  source::SourceOptions source;
  std::string netns;                // the label shown ("" = our own namespace)
  std::string netns_names;          // its container and pod, "" when none are known
  std::vector<std::string> filter;  // the initial filter expression's words
  std::string filter_file;          // -F FILE
  uint8_t family = 0;               // -4 / -6: AF_INET / AF_INET6, 0 both
  doctor::Thresholds thresholds;
  bool processes = true;
  double process_interval_s = 10;
  // A replay's clock: each refresh is this much later than the one before (live: the real
  // monotonic clock). Makes batch output of a replay reproducible.
  double replay_step_s = 2;
};

// A parsed filter ready to hand to the collector (parsing happens where the user typed it, so a
// bad one is reported there and the one in force stays).
struct FilterChoice {
  std::string text;  // as typed, "" for none
  std::optional<source::ActiveFilter> filter;
};

class Collector {
 public:
  static Result<std::unique_ptr<Collector>> open(CollectorOptions o);
  ~Collector();

  // Parses a filter expression typed by the user ("" clears it). Safe from any thread.
  Result<FilterChoice> parse_filter(const std::string& text) const;
  // The states the connections pane shows (the dump is narrowed to them).
  void set_states(model::StateMask m) { states_ = m; }
  void set_filter(FilterChoice f) { pending_filter_ = std::move(f); }

  // One refresh now. On failure the returned snapshot is the last good one with `status` set
  // (before any good one: an empty snapshot with `status`).
  std::shared_ptr<const model::TopSnapshot> refresh();
  // The error of the last refresh, if it failed.
  const std::optional<Error>& last_error() const { return last_error_; }

 private:
  explicit Collector(CollectorOptions o);
  Status collect(model::TopSnapshot& s);
  Status read_processes(double now_s);
  void ask_for_walk(double now_s);
  Result<std::shared_ptr<const model::ProcessTable>> walk_processes() const;
  Status dump_tables(model::TopSnapshot& s, model::Census& census, doctor::PressureTally& tally,
                     model::ConnTableBuilder& builder);
  double now_s() const;

  CollectorOptions o_;
  bool replay_ = false;
  std::unique_ptr<source::SocketSource> src_;
  source::NameCache names_;
  procfs::CounterSampler sampler_;
  std::string buffer_;
  std::pair<uint16_t, uint16_t> ephemeral_{32768, 60999};
  int64_t start_ns_ = 0;

  FilterChoice filter_;
  std::optional<FilterChoice> pending_filter_;
  model::StateMask states_ = model::kMaskAll;

  uint64_t refreshes_ = 0;
  std::shared_ptr<const model::TopSnapshot> last_good_;
  std::shared_ptr<const model::ProcessTable> processes_;
  // The process walker (after the first walk): asked for after a refresh, its newest table is
  // taken at the next refresh.
  std::mutex walked_mu_;
  std::condition_variable_any walk_cv_;
  bool walk_wanted_ = false;
  double walked_at_ = 0;
  std::shared_ptr<const model::ProcessTable> walked_;
  std::jthread walker_;
  model::CounterSnapshot doctor_counters_;  // the counters at the previous refresh
  bool has_doctor_counters_ = false;
  std::optional<Error> last_error_;
};

// Runs a Collector on its own thread: a refresh every interval, or at once when asked.
class Runner {
 public:
  explicit Runner(Collector& c, double interval_s);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  void start();
  void stop();
  // The newest snapshot (null before the first refresh ends).
  std::shared_ptr<const model::TopSnapshot> latest() const;
  uint64_t generation() const { return generation_.load(); }
  // A file descriptor that becomes readable when a new snapshot is published (poll it next to
  // the terminal); drain() empties it.
  int notify_fd() const { return notify_[0]; }
  void drain() const;
  // Changes take effect at once: the next refresh starts now.
  void set_interval(double seconds);
  double interval() const;
  void set_paused(bool paused);
  void set_filter(FilterChoice f);
  void set_states(model::StateMask m);
  void refresh_now();
  bool busy() const { return busy_.load(); }

 private:
  void loop();

  Collector& c_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  double interval_s_;
  bool paused_ = false;
  bool stop_ = false;
  bool wake_ = false;
  std::optional<FilterChoice> filter_;
  std::optional<model::StateMask> states_;
  std::shared_ptr<const model::TopSnapshot> latest_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> busy_{false};
  int notify_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace tcpscope::top
