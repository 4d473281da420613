// SPDX-License-Identifier: MIT
// `tcpscope counters`: the kernel's counters with nstat's flags, names, history file and output
// (model/nstat.hpp), plus a live mode with per-second rates (--interval) and built-in
// explanations (--explain, model/counter_catalog.hpp).
//
// History file: $TCPSCOPE_HISTORY, else $XDG_RUNTIME_DIR/tcpscope.history when that directory
// is private to the caller, else /tmp/.tcpscope.u<uid> (nstat's /tmp/.nstat.u<uid> pattern).
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "base/file.hpp"
#include "base/locked_file.hpp"
#include "cli/commands.hpp"
#include "model/counter_catalog.hpp"
#include "model/counters.hpp"
#include "model/nstat.hpp"
#include "model/tunable_catalog.hpp"
#include "procfs/counter_sampler.hpp"
#include "procfs/tunable_values.hpp"
#include "render/counters.hpp"

namespace tcpscope::cli {

namespace {

namespace nstat = model::nstat;

std::string history_path() {
  if (const char* e = std::getenv("TCPSCOPE_HISTORY"); e != nullptr && *e != '\0') return e;
  if (const char* x = std::getenv("XDG_RUNTIME_DIR"); x != nullptr && x[0] == '/') {
    // Only a directory that is ours and closed to others (a sudo'ed root may inherit a user's).
    struct stat st {};
    if (::stat(x, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() &&
        (st.st_mode & 077) == 0) {
      return std::string(x) + "/tcpscope.history";
    }
  }
  return "/tmp/.tcpscope.u" + std::to_string(::getuid());
}

// The inode of the network namespace the counters come from; 0 when unknown (a proc root
// without self/, such as a fixture directory).
uint64_t netns_inode(const std::string& proc_root) {
  struct stat st {};
  if (::stat((proc_root + "/self/ns/net").c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

int64_t clock_seconds(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec);
}

// --- one-shot: nstat ---------------------------------------------------------------------

int run_once(const CountersOptions& opts, const model::CounterPatterns& patterns) {
  const std::string source = nstat::source_line(netns_inode(opts.proc_root));
  // nstat leaves the history alone only when it neither reads (-a) nor writes (-s) it.
  const bool use_history = !(opts.absolute && opts.no_update);
  std::optional<LockedFile> file;
  nstat::History history;
  bool have_history = false;
  if (use_history) {
    const std::string path = history_path();
    auto f = LockedFile::open(path);
    if (!f) {
      const int rc = report(f.error().context("history file"));
      std::fprintf(stderr,
                   "hint: set TCPSCOPE_HISTORY to a file of your own, or use -a -s (no history)\n");
      return rc;
    }
    file.emplace(std::move(*f));
    // The history is only read here; it is replaced (or, for -r -s, removed) at the end, once
    // the counters have been read, so a failed run leaves it as it was.
    std::string content;
    if (opts.reset) {
      // -r: start a new history; the old one is discarded at the end.
    } else if (!opts.absolute &&
               nstat::history_aged_out(file->mtime_s(), clock_seconds(CLOCK_REALTIME),
                                       clock_seconds(CLOCK_BOOTTIME))) {
      std::fprintf(stderr,
                   "tcpscope: history is aged out (written before the last boot), "
                   "resetting\n");
    } else if (auto st = file->read_all(content, kHistoryFileLimit); !st) {
      const int rc = report(st.error().context("history file"));
      std::fprintf(stderr, "hint: remove it, or run with -r to start a new history\n");
      return rc;
    } else if (auto text = check_text(content, path); !text) {
      const int rc = report(text.error().context("history file"));
      std::fprintf(stderr, "hint: remove it, or run with -r to start a new history\n");
      return rc;
    }
    if (auto st = nstat::parse_history(content, history); !st) {
      const int rc = report(st.error().context(path));
      std::fprintf(stderr, "hint: remove it, or run with -r to start a new history\n");
      return rc;
    }
    have_history = !history.counters.empty();
    if (have_history && nstat::history_stale(history.source, source)) {
      std::fprintf(stderr,
                   "tcpscope: history is stale (taken from \"%s\", now reading \"%s\"), "
                   "ignoring it\n",
                   history.source.c_str(), source.c_str());
      have_history = false;
    }
  }

  std::string buffer;
  model::CounterSnapshot current;
  if (auto st =
          procfs::read_counter_snapshot(opts.proc_root, buffer, current, procfs::monotonic_ns());
      !st) {
    return report(st.error());
  }

  int rc = 0;
  if (!opts.no_output) {
    std::vector<nstat::Row> rows;
    nstat::select_rows(current, have_history ? &history.counters : nullptr,
                       {opts.absolute, opts.zeros}, patterns, rows);
    fmt::memory_buffer out;
    if (opts.json) {
      render::append_nstat_json(out, nstat::kSource, current, rows, opts.pretty);
    } else {
      render::append_nstat_text(out, nstat::kSource, current, rows);
    }
    rc = write_stdout(out);
  }
  if (file && opts.no_update && opts.reset) {
    if (::unlink(file->path().c_str()) != 0 && errno != ENOENT) {
      return report(Error::from_errno("remove history file " + file->path(), errno));
    }
  } else if (file && !opts.no_update) {
    model::CounterSnapshot next;
    nstat::next_history(current, have_history ? &history.counters : nullptr, opts.zeros, patterns,
                        next);
    fmt::memory_buffer content;
    render::append_nstat_history(content, source, next);
    if (auto st = file->replace(std::string_view(content.data(), content.size())); !st) {
      return report(st.error());
    }
  }
  return rc;
}

// --- live: --interval ----------------------------------------------------------------------

std::string tick_header(double seconds) {
  char when[32] = "";
  const time_t now = ::time(nullptr);
  struct tm tm {};
  if (::localtime_r(&now, &tm) != nullptr) std::strftime(when, sizeof when, "%FT%T", &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %s +%.3fs", std::string(nstat::kSource).c_str(), when,
                seconds);
  return buf;
}

int run_interval(const CountersOptions& opts, const model::CounterPatterns& patterns,
                 int64_t interval_ns, int64_t count) {
  procfs::CounterSampler sampler(opts.proc_root);
  if (auto st = sampler.sample(); !st) return report(st.error());
  int64_t deadline = procfs::monotonic_ns() + interval_ns;
  std::vector<nstat::Row> rows;
  fmt::memory_buffer out;
  for (int64_t tick = 0; count == 0 || tick < count; ++tick) {
    const timespec ts{static_cast<time_t>(deadline / 1'000'000'000),
                      static_cast<long>(deadline % 1'000'000'000)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    if (auto st = sampler.sample(); !st) return report(st.error());
    // Fixed cadence; after a stall (a stopped process, a suspended VM) start again from now
    // instead of firing the missed ticks back to back.
    deadline += interval_ns;
    const int64_t now = procfs::monotonic_ns();
    if (deadline < now) deadline = now + interval_ns;

    const model::CounterDeltas& d = sampler.deltas();
    nstat::select_interval_rows(sampler.current(), d, {opts.absolute, opts.zeros}, patterns, rows);
    out.clear();
    if (opts.json) {
      render::append_nstat_interval_json(out, nstat::kSource, sampler.current(), rows,
                                         d.elapsed_seconds(), opts.pretty);
    } else {
      render::append_nstat_text(out, tick_header(d.elapsed_seconds()), sampler.current(), rows);
    }
    if (write_stdout(out) != 0) return 1;
  }
  return 0;
}

// --- --explain -----------------------------------------------------------------------------

int run_explain(const CountersOptions& opts) {
  const model::CounterInfo* info = model::find_counter_info(opts.explain);
  std::string buffer;
  model::CounterSnapshot current;
  const bool have_values =
      procfs::read_counter_snapshot(opts.proc_root, buffer, current, procfs::monotonic_ns())
          .has_value();
  std::optional<size_t> index;
  if (have_values) {
    if (info != nullptr) {
      index = current.find(info->name);
    } else {
      // Not in the catalog: a counter of this kernel, named in full (any case)?
      for (size_t i = 0; i < current.size() && !index; ++i) {
        const std::string_view n = current.name(i);
        if (n.size() == opts.explain.size() &&
            std::equal(n.begin(), n.end(), opts.explain.begin(), [](char a, char b) {
              return std::tolower(static_cast<unsigned char>(a)) ==
                     std::tolower(static_cast<unsigned char>(b));
            })) {
          index = i;
        }
      }
    }
  }
  if (info == nullptr && !index) {
    std::fprintf(stderr, "tcpscope: error: no counter called \"%s\"\n", opts.explain.c_str());
    std::fprintf(stderr,
                 "hint: use nstat's names (TcpExtListenOverflows) or the part after the section "
                 "(ListenOverflows); `tcpscope counters -az` lists this kernel's counters\n");
    return 2;
  }

  std::vector<model::TunableInfo> related;
  if (info != nullptr) {
    for (std::string_view t : info->sysctls) {
      if (t.empty()) continue;
      if (const model::TunableInfo* found = model::find_tunable(t)) related.push_back(*found);
    }
  }
  std::vector<model::TunableValue> values;
  if (!procfs::read_tunable_values(opts.proc_root, related, values, buffer)) values.clear();
  fmt::memory_buffer out;
  render::append_counter_explanation(
      out, {info != nullptr ? info->name : current.name(*index), info,
            index ? std::optional<uint64_t>(current.value(*index)) : std::nullopt, have_values,
            related, values});
  return write_stdout(out);
}

}  // namespace

void add_counters_command(CLI::App& app, CountersOptions& opts) {
  auto* sub = app.add_subcommand(
      "counters", "kernel TCP/IP counters as nstat shows them, with live rates and explanations");
  sub->add_flag("-a,--ignore,--absolute", opts.absolute,
                "absolute values, not deltas against the history");
  sub->add_flag("-z,--zeros", opts.zeros, "also counters that are zero");
  sub->add_flag("-s,--noupdate", opts.no_update, "do not update the history file");
  sub->add_flag("-r,--reset", opts.reset, "reset the history file first");
  sub->add_flag("-n,--nooutput", opts.no_output, "print nothing, only update the history file");
  sub->add_flag("-j,--json", opts.json, "JSON output, {\"kernel\": {...}} as nstat -j");
  sub->add_flag("-p,--pretty", opts.pretty, "indented JSON (with --json)");
  sub->add_option("--interval", opts.interval,
                  "print per-second rates every DURATION (1s, 500ms, 2m) until interrupted");
  sub->add_option("--count", opts.count, "with --interval: stop after N intervals (N >= 1)");
  sub->add_option("--explain", opts.explain,
                  "what a counter means, what increments it, related settings "
                  "(ListenOverflows or TcpExtListenOverflows)");
  sub->add_option("--proc-root", opts.proc_root, "read /proc from this directory")
      ->envname("PROC_ROOT");
  sub->add_option("patterns", opts.patterns,
                  "shell patterns on counter names, case-insensitive (nstat's)");
}

int run_counters(const GlobalOptions& /*global*/, const CountersOptions& opts) {
  if (!opts.explain.empty()) return run_explain(opts);
  const model::CounterPatterns patterns(opts.patterns);
  int64_t count = 0;  // until interrupted
  if (opts.count) {
    auto n = count_flag(*opts.count);
    if (!n) return report(n.error());
    if (opts.interval.empty()) return report(Error::usage("--count needs --interval"));
    count = *n;
  }
  if (opts.interval.empty()) return run_once(opts, patterns);
  auto ns = duration_flag("--interval", opts.interval);
  if (!ns) return report(ns.error());
  if (opts.no_output || opts.reset) {
    return report(Error::usage("--interval does not use the history file: drop -n and -r"));
  }
  return run_interval(opts, patterns, *ns, count);
}

}  // namespace tcpscope::cli
