// SPDX-License-Identifier: MIT
// `tcpscope sysctl`: the TCP and socket tunables (model/tunable_catalog.hpp) with their values
// in this network namespace, kernel defaults, scope and a one-line meaning; text or JSON.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "model/counters.hpp"
#include "model/tunable_catalog.hpp"
#include "procfs/tunable_values.hpp"
#include "render/sysctl.hpp"

namespace tcpscope::cli {

void add_sysctl_command(CLI::App& app, SysctlOptions& opts) {
  auto* sub = app.add_subcommand(
      "sysctl", "TCP and socket tunables: value, kernel default, scope (netns or global), meaning");
  sub->add_flag("-j,--json", opts.json, "JSON output");
  sub->add_option("--proc-root", opts.proc_root, "read /proc from this directory")
      ->envname("PROC_ROOT");
  sub->add_option("patterns", opts.patterns,
                  "shell patterns on names, case-insensitive (tcp_*, *somaxconn)");
}

int run_sysctl(const GlobalOptions& global, const SysctlOptions& opts) {
  const auto catalog = model::tunable_catalog();
  std::vector<model::TunableValue> values;
  std::string buffer;
  if (auto st = procfs::read_tunable_values(opts.proc_root, catalog, values, buffer); !st) {
    return report(st.error());
  }
  // A pattern matches the full name or the part after the last dot.
  const model::CounterPatterns patterns(opts.patterns);
  std::vector<render::TunableRow> shown;
  for (size_t i = 0; i < catalog.size(); ++i) {
    const std::string_view name = catalog[i].name;
    if (!patterns.matches(name) && !patterns.matches(name.substr(name.rfind('.') + 1))) continue;
    shown.push_back({&catalog[i], &values[i]});
  }
  fmt::memory_buffer b;
  if (opts.json) {
    render::append_sysctl_json(b, shown, global.netns);
  } else {
    render::append_sysctl_text(b, shown);
  }
  return write_stdout(b);
}

}  // namespace tcpscope::cli
