// SPDX-License-Identifier: MIT
// `tcpscope doctor`: name what is wrong with the TCP stack, with the evidence and the fix.
//
// Sampling: read counters, tunables, sockstat and the listeners (cheap), wait --window, read
// counters, tunables and sockstat again, then one full census (listeners + every TCP state at
// header level) with the PressureTally riding along. Rates come from the two counter reads,
// levels from the second read. The rules are pure (doctor/rules.hpp).
//
// Exit status follows the monitoring-plugin convention: 0 ok, 1 warning, 2 critical, 3 could
// not check (bad flags and unreadable state included). --netns all reports on every namespace
// of the host (source/netns_finder.hpp), each entered in turn and left again: the first reads of
// all, one window, then the second reads, walking the namespaces on the host's established hash
// only within --walk-budget (source/walk_budget.hpp); it exits with the worst: critical > warning
// > could not check > ok.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "cli/commands.hpp"
#include "doctor/rules.hpp"
#include "doctor/snapshot_build.hpp"
#include "doctor/tally.hpp"
#include "doctor/thresholds.hpp"
#include "model/census.hpp"
#include "procfs/counter_sampler.hpp"
#include "procfs/host_state.hpp"
#include "procfs/sysctl.hpp"
#include "render/doctor_report.hpp"
#include "source/census_dump.hpp"
#include "source/name_cache.hpp"
#include "source/netns_finder.hpp"
#include "source/walk_budget.hpp"

namespace tcpscope::cli {

namespace {

constexpr int kUnknown = 3;

int could_not_check(const Error& e) {
  std::fprintf(stderr, "tcpscope: error: %s\n", e.what().c_str());
  if (e.kind() == ErrorKind::kPermission && ::geteuid() != 0) {
    std::fprintf(stderr, "hint: run as root\n");
  }
  return kUnknown;
}

void sleep_until(int64_t deadline_ns) {
  timespec ts{static_cast<time_t>(deadline_ns / 1000000000),
              static_cast<long>(deadline_ns % 1000000000)};
  while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

struct Config {
  doctor::Thresholds thresholds;
  int64_t window_ns = 0;
  int64_t interval_ns = 0;  // 0: one report
  int64_t count = 0;        // reports in watch mode; 0: until interrupted
  bool color = false;
};

// The host's established hash as `all` (probed) shows it, with the host's
// tcp_child_ehash_entries (read here: call it in the host's namespace); sockstat's host-wide
// alloc is added by the host's second read.
model::SharedHash shared_hash(const std::vector<source::NamespaceInfo>& all) {
  model::SharedHash h = source::shared_hash_of(all, 0);
  std::string buffer;
  if (auto v = procfs::read_sysctl_int("/proc", "net/ipv4/tcp_child_ehash_entries", buffer);
      v && *v) {
    h.child_ehash_entries = **v;
  }
  return h;
}

class Doctor {
 public:
  Doctor(const DoctorOptions& o, const Config& c) : o_(o), c_(c), sampler_(o.proc_root) {}

  // One namespace, the one tcpscope is in: a report per window (or per interval).
  int run(const std::string& netns) {
    if (auto st = first_read(); !st) return could_not_check(st.error());
    const std::optional<model::SharedHash> shared = host_view();
    const int64_t step = c_.interval_ns ? c_.interval_ns : c_.window_ns;
    int64_t deadline = procfs::monotonic_ns();
    int status = 0;
    for (int64_t n = 1;; ++n) {
      deadline += step;
      sleep_until(deadline);
      auto r = second_read(true, {}, shared);
      if (!r) return could_not_check(r.error());
      const render::DoctorFormatOptions fo{c_.color, netns, o_.since_boot};
      if (!print(*r, fo)) return could_not_check(Error(ErrorKind::kRuntime, "write the report"));
      status = doctor::exit_status(*r);
      if (c_.interval_ns == 0 || (c_.count > 0 && n >= c_.count)) break;
      // Watch mode: this read is the next window's baseline.
      baseline_ = census_.listeners();
      host1_ = host2_;
      // After a stall (a stopped process), restart the cadence from now.
      deadline = std::max(deadline, procfs::monotonic_ns() - step);
    }
    return status;
  }

  // The first read: sockstat, tunables, counters, the listeners (the listening hash only).
  Status first_read() {
    if (!src_) TCPSCOPE_TRY(open_source());
    auto h = procfs::read_host_state(o_.proc_root);
    if (!h) return fail(std::move(h.error()));
    host1_ = *h;
    if (auto st = sampler_.sample(); !st) return st;
    model::Census listeners(&names_);
    model::DumpStats totals;
    if (auto st = source::take_census(*src_, listeners, totals, {true, false, false}); !st) {
      return st;
    }
    baseline_ = listeners.listeners();
    return {};
  }

  // The second read and the report. `walk`: also walk every TCP state (else `not_walked` says
  // why not, and the checks only a walk judges are skipped). `shared`: the host's established
  // hash as a run over every namespace saw it (the host's report only).
  Result<doctor::Report> second_read(bool walk, const std::string& not_walked,
                                     std::optional<model::SharedHash> shared) {
    if (!src_) TCPSCOPE_TRY(open_source());
    if (auto st = sampler_.sample(); !st) return fail(std::move(st.error()));
    auto h = procfs::read_host_state(o_.proc_root);
    if (!h) return fail(std::move(h.error()));
    host2_ = *h;
    census_ = model::Census(&names_);
    doctor::PressureTally tally = doctor::pressure_tally(host2_.tunables);
    model::TeeVisitor tee(census_, tally);
    model::DumpStats totals;
    const double cpu0 = procfs::thread_cpu_seconds();
    if (auto st = source::take_census(*src_, tee, totals, {true, walk, false}); !st) {
      return fail(std::move(st.error()));
    }
    walk_cpu_s_ = walk ? procfs::thread_cpu_seconds() - cpu0 : 0;
    census_.sort_listeners();

    std::optional<model::SockStat> sockstat;
    if (host2_.has_sockstat) sockstat = host2_.sockstat;
    doctor::Snapshot s = doctor::build_snapshot({.census = census_,
                                                 .tally = tally,
                                                 .baseline = baseline_,
                                                 .previous = sampler_.previous(),
                                                 .current = sampler_.current(),
                                                 .seconds = sampler_.deltas().elapsed_seconds(),
                                                 .since_boot = o_.since_boot,
                                                 .tunables = host2_.tunables,
                                                 .sockstat = sockstat});
    s.census_walked = walk;
    s.not_walked = not_walked;
    if (shared) {
      if (host2_.has_sockstat) shared->sockets += host2_.sockstat.tcp_alloc;
      if (shared->walk_seconds == 0) shared->walk_seconds = walk_cpu_s_;
      s.shared_hash = shared;
    }
    return doctor::diagnose(s, c_.thresholds);
  }

  bool print(const doctor::Report& r, const render::DoctorFormatOptions& fo) const {
    fmt::memory_buffer out;
    if (o_.json && c_.interval_ns != 0) {
      render::doctor_json_line(out, r, fo);  // watch mode: JSON Lines, as counters
    } else if (o_.json) {
      render::doctor_json(out, r, fo);
    } else {
      render::doctor_text(out, r, fo);
    }
    return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() && std::fflush(stdout) == 0;
  }

  // The sockets this namespace holds by its first read (sockstat: in use and TIME-WAIT).
  uint64_t sockets() const {
    const auto& ss = host1_.sockstat;
    return ss.tcp_inuse + ss.tcp6_inuse + ss.tcp_tw;
  }
  double walk_cpu_s() const { return walk_cpu_s_; }
  // Between the reads of a run over every namespace: one socket less per namespace.
  void release_source() { src_.reset(); }

 private:
  Status open_source() {
    source::SourceOptions so;
    so.proc_root = o_.proc_root;
    auto src = source::open_source(so);
    if (!src) return fail(std::move(src.error()));
    src_ = std::move(*src);
    return {};
  }

  // The host's established hash, when tcpscope runs in the host's namespace and may enter the
  // others (every namespace's hash and TIME-WAIT, read from inside each): the note
  // shared-socket-hash. Its sockets gain sockstat's host-wide alloc at the second read.
  std::optional<model::SharedHash> host_view() const {
    if (o_.proc_root != "/proc" || ::geteuid() != 0) return std::nullopt;
    auto all = source::find_and_probe();
    if (!all) return std::nullopt;
    if (all->empty() || !(*all)[0].hash || (*all)[0].hash->kind != model::HashKind::kHost) {
      return std::nullopt;
    }
    return shared_hash(*all);
  }

  const DoctorOptions& o_;
  const Config& c_;
  procfs::CounterSampler sampler_;
  std::unique_ptr<source::SocketSource> src_;
  model::HostState host1_;
  model::HostState host2_;
  source::NameCache names_;  // the namespace's device names, for listeners bound to one
  model::Census census_;
  std::vector<model::ListenerInfo> baseline_;
  double walk_cpu_s_ = 0;
};

Result<Config> configure(const DoctorOptions& o) {
  Config c;
  if (!o.config.empty()) {
    std::string content;
    if (auto st = read_file(o.config.c_str(), content, kConfigFileLimit); !st) {
      return fail(std::move(st.error()).context("--config"));
    }
    if (auto st = check_text(content, o.config); !st) return fail(std::move(st.error()));
    if (auto st = doctor::parse_threshold_config(c.thresholds, content, o.config); !st) {
      return fail(std::move(st.error()));
    }
  }
  for (const auto& a : o.thresholds) {
    if (auto st = doctor::set_threshold(c.thresholds, a); !st) return fail(std::move(st.error()));
  }
  auto w = duration_flag("--window", o.window);
  if (!w) return fail(std::move(w.error()));
  c.window_ns = *w;
  if (o.count) {
    auto n = count_flag(*o.count);
    if (!n) return fail(std::move(n.error()));
    c.count = *n;
  }
  if (!o.interval.empty()) {
    auto i = duration_flag("--interval", o.interval);
    if (!i) return fail(std::move(i.error()));
    c.interval_ns = *i;
  } else if (o.count) {
    return fail(Error::usage("--count needs --interval"));
  }
  if (o.color == "always") {
    c.color = true;
  } else if (o.color == "auto") {
    const char* no_color = std::getenv("NO_COLOR");
    c.color = ::isatty(STDOUT_FILENO) == 1 && (no_color == nullptr || *no_color == '\0');
  }
  return c;
}

// Worst of several reports: critical > warning > could not check > ok.
int rank(int status) {
  switch (status) {
    case 2:
      return 3;
    case 1:
      return 2;
    case kUnknown:
      return 1;
  }
  return 0;
}

// What a report of --netns all says about where its numbers came from.
model::CensusSource census_source(const source::NamespaceInfo& n, bool walked, double cpu_s,
                                  std::string not_walked) {
  model::CensusSource c;
  c.hash = n.hash.value_or(model::EstablishedHash{});
  c.walked = walked;
  c.walk_cpu_seconds = cpu_s;
  c.not_walked = std::move(not_walked);
  return c;
}

// Every namespace once: the first reads of all, one window, then the second reads, the walks of
// the host's established hash within --walk-budget (the namespaces holding the most sockets
// first), and the reports in label order (the own namespace, "host", first).
int run_all(const DoctorOptions& o, const Config& c) {
  if (c.interval_ns != 0) {
    return could_not_check(Error::usage("--interval does not combine with --netns all"));
  }
  auto budget_s = walk_budget_flag(o.walk_budget);
  if (!budget_s) return could_not_check(budget_s.error());
  auto found = source::find_and_probe();
  if (!found) return could_not_check(found.error());
  std::vector<source::NamespaceInfo>& all = *found;
  raise_open_file_limit();  // a few counter files of each namespace stay open between the reads
  UniqueFd origin = UniqueFd::adopt(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!origin) return could_not_check(Error::from_errno("open /proc/self/ns/net", errno));

  const size_t n = all.size();
  std::vector<std::unique_ptr<Doctor>> docs;
  std::vector<std::optional<Error>> errors(n);
  for (size_t i = 0; i < n; ++i) {
    docs.push_back(std::make_unique<Doctor>(o, c));
    Status st = in_netns(all[i].path, origin.get(), [&] { return docs[i]->first_read(); });
    if (!st) errors[i] = std::move(st.error());
    docs[i]->release_source();
  }
  sleep_until(procfs::monotonic_ns() + c.window_ns);

  std::vector<model::EstablishedHash> hashes;
  std::vector<uint64_t> sockets;
  for (size_t i = 0; i < n; ++i) {
    hashes.push_back(all[i].hash.value_or(model::EstablishedHash{}));
    sockets.push_back(errors[i] ? 0 : docs[i]->sockets());
  }
  std::optional<model::SharedHash> shared;
  if (all[0].hash && all[0].hash->kind == model::HashKind::kHost) shared = shared_hash(all);
  source::WalkBudget budget(*budget_s);
  std::vector<std::optional<doctor::Report>> reports(n);
  std::vector<model::CensusSource> sources(n);
  for (const size_t i : source::walk_order(hashes, sockets)) {
    if (errors[i]) continue;
    const bool walk = budget.allow(hashes[i]);
    const std::string why = walk ? std::string() : budget.why_not(hashes[i]);
    std::optional<model::SharedHash> mine;
    if (i == 0 && shared) {
      mine = shared;
      mine->walk_seconds = budget.cheapest_walk_s();
    }
    Status st = in_netns(all[i].path, origin.get(), [&]() -> Status {
      auto r = docs[i]->second_read(walk, why, mine);
      if (!r) return fail(std::move(r.error()));
      reports[i] = std::move(*r);
      return {};
    });
    docs[i]->release_source();
    if (!st) {
      errors[i] = std::move(st.error());
      continue;
    }
    if (walk) budget.spend(hashes[i], docs[i]->walk_cpu_s());
    sources[i] = census_source(all[i], walk, docs[i]->walk_cpu_s(), why);
  }

  int worst = 0;
  fmt::memory_buffer out;
  auto put = [&](std::string_view t) { out.append(t.data(), t.data() + t.size()); };
  if (o.json) put("[\n");
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) put(o.json ? ",\n" : "\n");
    const model::NetnsNames names = all[i].names();
    int rc = kUnknown;
    if (errors[i]) {
      std::fprintf(stderr, "tcpscope: error: netns %s: %s\n", names.netns.c_str(),
                   errors[i]->what().c_str());
      render::doctor_unknown(out, names, errors[i]->what(), o.json);
    } else {
      const render::DoctorFormatOptions fo{.color = c.color,
                                           .netns = names.netns,
                                           .since_boot = o.since_boot,
                                           .names = &names,
                                           .census = &sources[i]};
      if (o.json) {
        render::doctor_json(out, *reports[i], fo);
        if (out.size() > 0 && out[out.size() - 1] == '\n') out.resize(out.size() - 1);
      } else {
        render::doctor_text(out, *reports[i], fo);
      }
      rc = doctor::exit_status(*reports[i]);
    }
    if (rank(rc) > rank(worst)) worst = rc;
  }
  if (o.json) put("\n]\n");
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return could_not_check(Error(ErrorKind::kRuntime, "write the report"));
  }
  return worst;
}

}  // namespace

void add_doctor_command(CLI::App& app, DoctorOptions& opts) {
  auto* sub = app.add_subcommand(
      "doctor", "what is wrong with the TCP stack: findings with evidence and the fix");
  sub->add_flag("--json", opts.json, "JSON output (schema: docs/doctor.md)");
  sub->add_option("--window", opts.window, "how long to measure counter rates (default 2s)");
  sub->add_option("--interval", opts.interval, "watch mode: a report every DURATION");
  sub->add_option("--count", opts.count, "with --interval: stop after N reports (N >= 1)");
  sub->add_flag("--since-boot", opts.since_boot, "also report counter totals since boot");
  sub->add_option("--threshold", opts.thresholds, "NAME=VALUE (repeatable; --list-thresholds)")
      ->allow_extra_args(false);
  sub->add_option("--config", opts.config, "thresholds from FILE (`name = value` lines)");
  sub->add_flag("--list-thresholds", opts.list_thresholds, "print thresholds and defaults");
  sub->add_option("--color", opts.color, "auto (a TTY without NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  sub->add_option("--proc-root", opts.proc_root, "read /proc from this directory")
      ->envname("PROC_ROOT");
  sub->add_option("--walk-budget", opts.walk_budget,
                  "--netns all: CPU for walks of namespaces on the host's hash (1s; 0: none)");
  sub->footer(
      "Exit status: 0 ok, 1 warning, 2 critical, 3 could not check (monitoring-plugin "
      "convention; bad flags are 3 too).\n--netns NAME|all goes before or after the command.");
}

int run_doctor(const GlobalOptions& global, const DoctorOptions& opts) {
  auto c = configure(opts);
  if (!c) return could_not_check(c.error());
  if (opts.list_thresholds) {
    std::vector<std::string> meanings;
    std::vector<render::ThresholdRow> rows;
    for (const auto& t : doctor::threshold_catalog())
      meanings.push_back(doctor::threshold_meaning(t));
    for (size_t i = 0; i < meanings.size(); ++i) {
      const auto& t = doctor::threshold_catalog()[i];
      rows.push_back({t.name, c->thresholds.*(t.field), meanings[i]});
    }
    fmt::memory_buffer out;
    render::threshold_list(out, rows);
    return write_stdout(out) == 0 ? 0 : kUnknown;
  }
  if (global.netns == "all") return run_all(opts, *c);
  if (!global.netns.empty()) {
    if (auto st = enter_netns(global.netns); !st) return could_not_check(st.error());
  }
  return Doctor(opts, *c).run(global.netns);
}

}  // namespace tcpscope::cli
