// SPDX-License-Identifier: MIT
// The subcommands. Each registers its options on the CLI11 app and runs after parsing.
// CLI11 stays inside src/cli (it is heavy to compile).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.hpp"
#include "model/tables.hpp"
#include "source/socket_source.hpp"

namespace CLI {
class App;
}

namespace tcpscope::cli {

struct GlobalOptions {
  std::string netns;
};

// Shared by commands that read the socket table.
struct SourceFlags {
  std::string source = "auto";
  std::string replay;
  std::string record;
  std::string proc_root = "/proc";
  Result<source::SourceOptions> resolve() const;
};
void add_source_flags(CLI::App& app, SourceFlags& flags);

struct SocketsOptions {
  bool tcp = false, udp = false, v4 = false, v6 = false;
  bool listening = false, all = false;
  char last_state_flag = 0;  // 'a' or 'l', whichever came last on the command line
  bool numeric = false, resolve = false, info = false, memory = false, extended = false;
  bool options = false, processes = false, no_header = false, oneline = false;
  bool tos = false, cgroup = false, inet_sockopt = false;
  bool events = false;                 // -E: destroy events (run_watch)
  bool kill = false, dry_run = false;  // -K, --dry-run
  model::TableSelection tables;        // -t -u -w -x -0 -M -S -A -f ... in command-line order
  uint8_t preferred_family = 0;        // the last -4/-6/-x/-f: unprefixed filter addresses
  std::string format = "table";
  bool json = false;
  SourceFlags source;
  std::vector<std::string> filter;
  std::string filter_file;
  CLI::App* extras = nullptr;  // where the filter words are collected
};

struct SummaryOptions {
  bool json = false;
  std::string walk_budget = "1s";  // --netns all (cmd_summary_all.cpp)
  SourceFlags source;
  std::vector<std::string> filter;
  std::string filter_file;
  CLI::App* extras = nullptr;
};

// `counters` (cmd_counters.cpp): nstat's flags, plus live rates and explanations.
struct CountersOptions {
  bool absolute = false, zeros = false, no_update = false, reset = false, no_output = false;
  bool json = false, pretty = false;
  std::string interval;              // DURATION: live mode
  std::optional<std::string> count;  // N ticks in live mode (count_flag); unset: until interrupted
  std::string explain;
  std::string proc_root = "/proc";
  std::vector<std::string> patterns;
};

// `sysctl` (cmd_sysctl.cpp): the tunables with value, default, scope and meaning.
struct SysctlOptions {
  bool json = false;
  std::string proc_root = "/proc";
  std::vector<std::string> patterns;
};

// `doctor` (cmd_doctor.cpp): findings with evidence and the fix; monitoring-plugin exit codes.
struct DoctorOptions {
  bool json = false;
  std::string window = "2s";
  std::string interval;  // DURATION: watch mode (the window is then the interval)
  std::optional<std::string>
      count;  // N reports in watch mode (count_flag); unset: until interrupted
  bool since_boot = false;
  std::vector<std::string> thresholds;  // NAME=VALUE
  std::string config;
  bool list_thresholds = false;
  std::string color = "auto";
  std::string proc_root = "/proc";
  std::string walk_budget = "1s";  // --netns all: CPU for walks of the host's hash
};

// `top` (cmd_top.cpp): the live view, interactive or batch.
struct TopOptions {
  std::string delay = "2";
  bool batch = false;
  std::optional<std::string> iterations;
  bool json = false;
  std::string color = "auto";
  std::string sort;
  bool ascending = false;
  std::string group = "none";
  std::optional<std::string> rows;
  bool v4 = false, v6 = false, services = false, no_processes = false;
  std::string filter_file;
  SourceFlags source;
  CLI::App* extras = nullptr;
};

// `watch` (cmd_watch.cpp), and `sockets -E`: destroy events.
struct WatchOptions {
  bool want_tcp = false, want_udp = false, v4 = false, v6 = false;
  bool numeric = false, info = false, extended = false, no_header = false, oneline = false;
  bool json = false, stats = false;
  std::string format = "table";
  std::string summary;  // DURATION
  std::optional<std::string> top;
  std::optional<std::string> count;
  std::string receive_buffer_text;
  std::vector<std::string> filter;
  std::string filter_file;
  CLI::App* extras = nullptr;
  // Resolved by run_watch.
  bool tcp = true, udp = false, all_namespaces = false;
  uint8_t family = 0;
  int64_t summary_ns = 0;
  size_t summary_top = 20;
  int64_t max_events = 0;
  int receive_buffer = 0;
};

void add_sockets_command(CLI::App& app, SocketsOptions& opts);
void add_summary_command(CLI::App& app, SummaryOptions& opts);
void add_counters_command(CLI::App& app, CountersOptions& opts);
void add_sysctl_command(CLI::App& app, SysctlOptions& opts);
void add_doctor_command(CLI::App& app, DoctorOptions& opts);
void add_top_command(CLI::App& app, TopOptions& opts);
void add_watch_command(CLI::App& app, WatchOptions& opts);

// Return the process exit status.
int run_sockets(const GlobalOptions& global, SocketsOptions& opts);
int run_summary(const GlobalOptions& global, const SummaryOptions& opts);
// With global.netns "all": every namespace in one table (cmd_summary_all.cpp).
int run_summary_all(const GlobalOptions& global, const SummaryOptions& opts);
int run_counters(const GlobalOptions& global, const CountersOptions& opts);
int run_sysctl(const GlobalOptions& global, const SysctlOptions& opts);
// Enters global.netns itself ("all": one report per namespace under /var/run/netns).
int run_doctor(const GlobalOptions& global, const DoctorOptions& opts);
int run_top(const GlobalOptions& global, const TopOptions& opts);
// With global.netns "all": every namespace (main does not enter it).
int run_watch(const GlobalOptions& global, WatchOptions& opts);

// --walk-budget: seconds of CPU for walks of namespaces on the host's established hash in a run
// over every namespace ("0": none; else a duration).
Result<double> walk_budget_flag(std::string_view text);

// Writes `out` to stdout and flushes; 0, or 1 after reporting a failed write ("No space left on
// device", a closed pipe).
int write_stdout(const fmt::memory_buffer& out);

// What the whole run is doing ("netns web-1"); report() puts it before every message.
void set_error_context(std::string context);

// "tcpscope: error: <what>" (+ "hint: ..." where useful) on stderr; returns the exit status.
int report(const Error& e);

// The filter words left over after option parsing, exactly as given. Fails on a word that looks
// like an option (an unknown flag): filter words never start with '-'.
Result<std::vector<std::string>> filter_words(CLI::App* app);

}  // namespace tcpscope::cli
