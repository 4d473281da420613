// SPDX-License-Identifier: MIT
// `tcpscope top`: the live view. Interactive on a terminal (top/screen.hpp); batch mode (-b, or
// whenever stdout is not a terminal) prints every refresh as plain text, or as JSON Lines with
// --json. The refreshes come from top::Collector; batch mode runs it on this thread.
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "base/duration.hpp"
#include "cli/commands.hpp"
#include "model/conn_view.hpp"
#include "render/top.hpp"
#include "source/name_cache.hpp"
#include "source/netns_finder.hpp"
#include "top/collector.hpp"
#include "top/screen.hpp"

namespace tcpscope::cli {

namespace {

volatile sig_atomic_t g_stop = 0;
extern "C" void on_top_stop(int) { g_stop = 1; }

// -d: seconds as top(1) takes them ("2", "0.5"), or a duration with its unit ("500ms").
Result<double> delay_flag(const std::string& text) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec == std::errc{} && p == end) {
    if (!std::isfinite(v) || v < 0.1 || v > 86400) {
      return fail(Error::usage("-d: \"" + text.substr(0, 40) +
                               "\" is not a delay from 0.1 to 86400 seconds (e.g. 2, 0.5)"));
    }
    return v;
  }
  const int64_t ns = TCPSCOPE_TRY(duration_flag("-d", text, 100'000'000));
  return static_cast<double>(ns) / 1e9;
}

void sleep_for(double seconds) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
  while (g_stop == 0 && std::chrono::steady_clock::now() < until) {
    const auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(100)));
  }
}

}  // namespace

void add_top_command(CLI::App& app, TopOptions& opts) {
  auto* sub = app.add_subcommand(
      "top", "the live view: listeners, counter rates, connections and the doctor on one screen");
  sub->add_option("-d,--delay,--interval", opts.delay,
                  "seconds between refreshes (default 2; 0.5 allowed; or 500ms, 1m)");
  sub->add_flag("-b,--batch", opts.batch, "plain text, a refresh after another (no terminal UI)");
  sub->add_option("-n,--iterations,--count", opts.iterations, "stop after N refreshes (N >= 1)");
  sub->add_flag("--json", opts.json,
                "one JSON object per refresh (JSON Lines; schema: docs/top.md)");
  sub->add_option("--color", opts.color, "auto (a terminal without NO_COLOR), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));
  sub->add_option("--sort", opts.sort, "the connections' sort column (rx, tx, retrans_rate, ...)");
  sub->add_flag("--ascending", opts.ascending, "sort smallest first");
  sub->add_option("--group", opts.group, "group connections: none, process, host, port")
      ->check(CLI::IsMember({"none", "process", "host", "port"}));
  sub->add_option("--rows", opts.rows, "batch and JSON: at most N connection rows (default all)");
  sub->add_flag("-4,--ipv4", opts.v4, "IPv4 connections only");
  sub->add_flag("-6,--ipv6", opts.v6, "IPv6 connections only");
  sub->add_flag("--services", opts.services, "port numbers as service names (key n)");
  sub->add_flag("--no-processes", opts.no_processes, "do not walk processes (no Process column)");
  sub->add_option("-F,--filter", opts.filter_file, "read the filter expression from FILE");
  add_source_flags(*sub, opts.source);
  sub->footer(
      "A filter expression (ss's language, compiled to kernel bytecode) may follow the options: "
      "tcpscope top dport = :443. Keys: h in the screen.");
  opts.extras = &app;
}

int run_top(const GlobalOptions& global, const TopOptions& opts) {
  auto so = opts.source.resolve();
  if (!so) return report(so.error());
  const auto delay_or = delay_flag(opts.delay);
  if (!delay_or) return report(delay_or.error());
  const double delay = *delay_or;
  int64_t iterations = 0;
  if (opts.iterations) {
    const auto n = count_flag(*opts.iterations);
    if (!n) return report(n.error());
    iterations = *n;
  }
  if (!so->record_file.empty() && iterations != 1) {
    return report(Error::usage("--record writes one refresh: use it with -n 1"));
  }
  if (opts.v4 && opts.v6) return report(Error::usage("-4 and -6 exclude each other"));
  model::ViewOptions view;
  if (!opts.sort.empty()) {
    view.sort = model::column_from_key(opts.sort);
    if (view.sort == model::ConnColumn::kCount) {
      std::string names;
      for (const auto& c : model::kConnColumns)
        names += (names.empty() ? "" : ", ") + std::string(c.key);
      return report(Error::usage("--sort: \"" + opts.sort.substr(0, 40) + "\" is not a column (" +
                                 names + ")"));
    }
    view.descending = model::column_info(view.sort).numeric;
  }
  if (opts.ascending) view.descending = false;
  view.group = model::group_from_name(opts.group);
  size_t rows = SIZE_MAX;
  if (opts.rows) {
    const auto n = count_flag(*opts.rows);
    if (!n) return report(n.error());
    rows = static_cast<size_t>(*n);
  }

  auto words = filter_words(opts.extras);
  if (!words) return report(words.error());
  // A refresh allocates a connection table and frees the one before (tens of MiB on a large
  // host): with a fixed mmap threshold they are mapped and given back whole, instead of glibc
  // raising its threshold after the first free and keeping the freed pages in its heap.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  top::CollectorOptions co;
  co.source = *so;
  co.netns = global.netns;
  if (!global.netns.empty() && co.source.kind != source::SourceKind::kReplay) {
    // main entered it: name the namespace we are in by its container and pod.
    if (const auto n = source::describe_current(source::finder_options_from_env())) {
      co.netns_names = model::names_beyond(n->names(), global.netns);
    }
  }
  co.filter = *words;
  co.filter_file = opts.filter_file;
  co.family = opts.v4 ? AF_INET : (opts.v6 ? AF_INET6 : 0);
  co.processes = !opts.no_processes;
  co.replay_step_s = delay;
  auto collector = top::Collector::open(co);
  if (!collector) return report(collector.error());

  const bool tty = ::isatty(STDOUT_FILENO) == 1 && ::isatty(STDIN_FILENO) == 1;
  const bool batch = opts.batch || opts.json || !tty;
  if (!batch) {
    top::ScreenOptions sc;
    sc.interval_s = delay;
    const char* no_color = std::getenv("NO_COLOR");
    sc.color = opts.color == "always" ||
               (opts.color == "auto" && (no_color == nullptr || *no_color == '\0'));
    sc.view = view;
    sc.services = opts.services;
    return top::run_screen(**collector, sc);
  }

  struct sigaction sa {};
  sa.sa_handler = on_top_stop;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM}) ::sigaction(sig, &sa, nullptr);
  source::NameCache names(source::NameCache::Options{so->proc_root, {}});
  render::TopTextOptions text;
  text.view = view;
  text.interval_s = delay;
  text.services = opts.services;
  text.names = &names;
  text.max_rows = rows;
  int status = 0;
  for (int64_t i = 0; g_stop == 0 && (iterations == 0 || i < iterations); ++i) {
    if (i > 0 && so->kind != source::SourceKind::kReplay) sleep_for(delay);
    if (g_stop != 0) break;
    auto snap = (*collector)->refresh();
    fmt::memory_buffer out;
    if (opts.json) {
      render::append_top_json(out, *snap, text);
    } else {
      if (i > 0) out.push_back('\n');
      render::append_top_batch(out, *snap, text);
    }
    if (write_stdout(out) != 0) return 1;
    // A refresh that failed is printed with its status (the last good data); batch mode then
    // exits non-zero at the end, so a script notices.
    if (!snap->status.empty()) status = 1;
  }
  return status;
}

}  // namespace tcpscope::cli
