// `tcpscope sysctl`: the TCP and socket tunables (model/tunable_catalog.hpp) with their values
// in this network namespace, kernel defaults, scope and a one-line meaning; text or JSON.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/host_state.hpp"
#include "model/counters.hpp"
#include "model/tunable_catalog.hpp"
#include "procfs/tunable_values.hpp"
#include "render/json.hpp"

namespace tcpscope::cli {

namespace {

using model::TunableInfo;
using procfs::TunableValue;

constexpr std::string_view kNotInKernel = "not present in this kernel";

std::string default_text(const TunableInfo& t) {
  if (!t.has_default) return "computed";
  std::string s;
  for (uint8_t i = 0; i < t.count; ++i) {
    if (i) s.push_back(' ');
    s.append(std::to_string(t.default_values[i]));
  }
  return s;
}

// nullopt when the default is not a fixed value (or the value is missing).
std::optional<bool> is_default(const TunableInfo& t, const TunableValue& v) {
  if (!t.has_default || !v.present || t.count == 0) return std::nullopt;
  for (uint8_t i = 0; i < t.count; ++i) {
    if (v.ints[i] != t.default_values[i]) return false;
  }
  return true;
}

std::string_view unavailable_reason(const TunableInfo& t) {
  return t.scope == model::TunableScope::kGlobal ? model::kGlobalUnavailable : kNotInKernel;
}

void json_value(fmt::memory_buffer& b, const TunableInfo& t, const TunableValue& v) {
  auto o = std::back_inserter(b);
  if (!v.present) {
    fmt::format_to(o, "null");
  } else if (t.count == 0) {
    render::append_json_string(b, v.text);
  } else if (t.count == 1) {
    fmt::format_to(o, "{}", v.ints[0]);
  } else {
    fmt::format_to(o, "[");
    for (uint8_t i = 0; i < t.count; ++i) fmt::format_to(o, "{}{}", i ? ", " : "", v.ints[i]);
    fmt::format_to(o, "]");
  }
}

void json_default(fmt::memory_buffer& b, const TunableInfo& t) {
  auto o = std::back_inserter(b);
  if (!t.has_default) {
    fmt::format_to(o, "null");
  } else if (t.count == 1) {
    fmt::format_to(o, "{}", t.default_values[0]);
  } else {
    fmt::format_to(o, "[");
    for (uint8_t i = 0; i < t.count; ++i) {
      fmt::format_to(o, "{}{}", i ? ", " : "", t.default_values[i]);
    }
    fmt::format_to(o, "]");
  }
}

void json_string_or_null(fmt::memory_buffer& b, std::string_view s) {
  if (s.empty()) {
    fmt::format_to(std::back_inserter(b), "null");
  } else {
    render::append_json_string(b, s);
  }
}

void render_json(const GlobalOptions& g, const std::vector<const TunableInfo*>& shown,
                 const std::vector<const TunableValue*>& values, fmt::memory_buffer& b) {
  auto o = std::back_inserter(b);
  fmt::format_to(o, "{{\n  \"netns\": ");
  json_string_or_null(b, g.netns);
  fmt::format_to(o, ",\n  \"tunables\": [");
  for (size_t i = 0; i < shown.size(); ++i) {
    const TunableInfo& t = *shown[i];
    const TunableValue& v = *values[i];
    fmt::format_to(o, "{}\n    {{\"name\": \"{}\", \"value\": ", i ? "," : "", t.name);
    json_value(b, t, v);
    fmt::format_to(o, ", \"default\": ");
    json_default(b, t);
    fmt::format_to(o, ", \"default_note\": ");
    json_string_or_null(b, t.default_note);
    fmt::format_to(o, ", \"is_default\": ");
    const auto d = is_default(t, v);
    fmt::format_to(o, "{}", d ? (*d ? "true" : "false") : "null");
    fmt::format_to(o, ", \"scope\": \"{}\", \"available\": {}, \"unavailable_reason\": ",
                   model::scope_name(t.scope), v.present);
    json_string_or_null(b, v.present ? std::string_view() : unavailable_reason(t));
    fmt::format_to(o, ", \"meaning\": ");
    render::append_json_string(b, t.meaning);
    b.push_back('}');
  }
  fmt::format_to(o, "{}]\n}}\n", shown.empty() ? "" : "\n  ");
}

void render_text(const std::vector<const TunableInfo*>& shown,
                 const std::vector<const TunableValue*>& values, fmt::memory_buffer& b) {
  auto o = std::back_inserter(b);
  fmt::format_to(o, "{:<34} {:<24} {:<22} {:<6}  {}\n", "Name", "Value", "Default", "Scope",
                 "Meaning");
  bool any_changed = false;
  bool any_global_missing = false;
  bool any_missing = false;
  std::vector<const TunableInfo*> computed;
  for (size_t i = 0; i < shown.size(); ++i) {
    const TunableInfo& t = *shown[i];
    const TunableValue& v = *values[i];
    std::string value = v.present ? procfs::format_tunable(t, v) : "n/a";
    if (is_default(t, v) == false) {
      value.append(" *");
      any_changed = true;
    }
    if (!v.present) {
      value.append(t.scope == model::TunableScope::kGlobal ? " (1)" : " (2)");
      (t.scope == model::TunableScope::kGlobal ? any_global_missing : any_missing) = true;
    }
    if (!t.has_default) computed.push_back(&t);
    fmt::format_to(o, "{:<34} {:<24} {:<22} {:<6}  {}\n", t.name, value, default_text(t),
                   model::scope_name(t.scope), t.meaning);
  }
  if (any_changed || any_global_missing || any_missing) fmt::format_to(o, "\n");
  if (any_changed) fmt::format_to(o, "* differs from the kernel default\n");
  if (any_global_missing) fmt::format_to(o, "(1) n/a: {}\n", model::kGlobalUnavailable);
  if (any_missing) fmt::format_to(o, "(2) n/a: {}\n", kNotInKernel);
  if (!computed.empty()) {
    fmt::format_to(o, "\nDefaults the kernel computes (at boot, from memory or build options):\n");
    for (const TunableInfo* t : computed) {
      fmt::format_to(o, "  {:<32} {}\n", t->name, t->default_note);
    }
  }
}

}  // namespace

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
  std::vector<TunableValue> values;
  std::string buffer;
  if (auto st = procfs::read_tunable_values(opts.proc_root, catalog, values, buffer); !st) {
    return report(st.error());
  }
  // A pattern matches the full name or the part after the last dot.
  const model::CounterPatterns patterns(opts.patterns);
  std::vector<const TunableInfo*> shown;
  std::vector<const TunableValue*> shown_values;
  for (size_t i = 0; i < catalog.size(); ++i) {
    const std::string_view name = catalog[i].name;
    if (!patterns.matches(name) && !patterns.matches(name.substr(name.rfind('.') + 1))) continue;
    shown.push_back(&catalog[i]);
    shown_values.push_back(&values[i]);
  }
  fmt::memory_buffer b;
  if (opts.json) {
    render_json(global, shown, shown_values, b);
  } else {
    render_text(shown, shown_values, b);
  }
  if (std::fwrite(b.data(), 1, b.size(), stdout) != b.size()) return 1;
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace tcpscope::cli
