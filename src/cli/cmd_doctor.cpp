// SPDX-License-Identifier: MIT
// `tcpscope doctor`: name what is wrong with the TCP stack, with the evidence and the fix.
//
// Sampling: read counters, tunables, sockstat and the listeners (cheap), wait --window, read
// counters, tunables and sockstat again, then one full census (listeners + every TCP state at
// header level) with the PressureTally riding along. Rates come from the two counter reads,
// levels from the second read. The rules are pure (doctor/rules.hpp).
//
// Exit status follows the monitoring-plugin convention: 0 ok, 1 warning, 2 critical, 3 could
// not check (bad flags and unreadable state included). --netns all forks one child per
// namespace under /var/run/netns (setns affects the whole process; a child keeps the parent's
// namespace intact) and exits with the worst: critical > warning > could not check > ok.
#include <dirent.h>
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
#include "cli/commands.hpp"
#include "doctor/rules.hpp"
#include "doctor/snapshot_build.hpp"
#include "doctor/tally.hpp"
#include "doctor/thresholds.hpp"
#include "model/census.hpp"
#include "procfs/counter_sampler.hpp"
#include "procfs/host_state.hpp"
#include "render/doctor_report.hpp"
#include "source/census_dump.hpp"
#include "source/name_cache.hpp"

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

class Doctor {
 public:
  Doctor(const DoctorOptions& o, const Config& c, std::string netns)
      : o_(o), c_(c), netns_(std::move(netns)), sampler_(o.proc_root) {}

  int run() {
    source::SourceOptions so;
    so.proc_root = o_.proc_root;
    auto src = source::open_source(so);
    if (!src) return could_not_check(src.error());
    src_ = std::move(*src);
    if (auto st = first_read(); !st) return could_not_check(st.error());
    const int64_t step = c_.interval_ns ? c_.interval_ns : c_.window_ns;
    int64_t deadline = procfs::monotonic_ns();
    int status = 0;
    for (int64_t n = 1;; ++n) {
      deadline += step;
      sleep_until(deadline);
      auto r = second_read();
      if (!r) return could_not_check(r.error());
      status = *r;
      if (c_.interval_ns == 0 || (c_.count > 0 && n >= c_.count)) break;
      // Watch mode: this read is the next window's baseline.
      baseline_ = census_.listeners();
      host1_ = host2_;
      // After a stall (a stopped process), restart the cadence from now.
      deadline = std::max(deadline, procfs::monotonic_ns() - step);
    }
    return status;
  }

 private:
  Status first_read() {
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

  Result<int> second_read() {
    if (auto st = sampler_.sample(); !st) return fail(std::move(st.error()));
    auto h = procfs::read_host_state(o_.proc_root);
    if (!h) return fail(std::move(h.error()));
    host2_ = *h;
    census_ = model::Census(&names_);
    doctor::PressureTally tally = doctor::pressure_tally(host2_.tunables);
    model::TeeVisitor tee(census_, tally);
    model::DumpStats totals;
    if (auto st = source::take_census(*src_, tee, totals, {true, true, false}); !st) {
      return fail(std::move(st.error()));
    }
    census_.sort_listeners();

    std::optional<model::SockStat> sockstat;
    if (host2_.has_sockstat) sockstat = host2_.sockstat;
    const doctor::Snapshot s =
        doctor::build_snapshot({.census = census_,
                                .tally = tally,
                                .baseline = baseline_,
                                .previous = sampler_.previous(),
                                .current = sampler_.current(),
                                .seconds = sampler_.deltas().elapsed_seconds(),
                                .since_boot = o_.since_boot,
                                .tunables = host2_.tunables,
                                .sockstat = sockstat});
    const doctor::Report report = doctor::diagnose(s, c_.thresholds);
    fmt::memory_buffer out;
    const render::DoctorFormatOptions fo{c_.color, netns_, o_.since_boot};
    if (o_.json && c_.interval_ns != 0) {
      render::doctor_json_line(out, report, fo);  // watch mode: JSON Lines, as counters
    } else if (o_.json) {
      render::doctor_json(out, report, fo);
    } else {
      render::doctor_text(out, report, fo);
    }
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
      return fail(Error(ErrorKind::kRuntime, "write the report"));
    }
    return doctor::exit_status(report);
  }

  const DoctorOptions& o_;
  const Config& c_;
  std::string netns_;
  procfs::CounterSampler sampler_;
  std::unique_ptr<source::SocketSource> src_;
  model::HostState host1_;
  model::HostState host2_;
  source::NameCache names_;  // the namespace's device names, for listeners bound to one
  model::Census census_;
  std::vector<model::ListenerInfo> baseline_;
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

int run_all(const DoctorOptions& o, const Config& c) {
  if (c.interval_ns != 0) {
    return could_not_check(Error::usage("--interval does not combine with --netns all"));
  }
  std::vector<std::string> names;
  if (DIR* d = ::opendir("/var/run/netns")) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    return could_not_check(
        Error(ErrorKind::kRuntime, "--netns all: no network namespaces under /var/run/netns"));
  }
  int worst = 0;
  if (o.json) std::fputs("[\n", stdout);
  for (size_t i = 0; i < names.size(); ++i) {
    if (o.json && i > 0) std::fputs(",\n", stdout);
    if (!o.json && i > 0) std::fputs("\n", stdout);
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid < 0) return could_not_check(Error::from_errno("fork", errno));
    if (pid == 0) {
      int rc = 0;
      if (auto st = enter_netns(names[i]); !st) {
        rc = could_not_check(st.error());
      } else {
        rc = Doctor(o, c, names[i]).run();
      }
      std::fflush(stdout);
      std::fflush(stderr);
      ::_exit(rc);
    }
    int ws = 0;
    while (::waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    const int rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : kUnknown;
    if (rank(rc) > rank(worst)) worst = rc;
  }
  if (o.json) std::fputs("]\n", stdout);
  std::fflush(stdout);
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
  return Doctor(opts, *c, global.netns).run();
}

}  // namespace tcpscope::cli
