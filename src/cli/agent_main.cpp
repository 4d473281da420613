// SPDX-License-Identifier: MIT
// tcpscope-agent: the daemon (`tcpscope agent` runs this program). A separate executable because
// it links the HTTP library and its dependencies, which the short-lived commands should not load.
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "agent/agent.hpp"
#include "agent/config.hpp"
#include "base/duration.hpp"
#include "cli/generate.hpp"
#include "render/cli_messages.hpp"

namespace {

// A whole number, or nullopt with `ec` saying why (result_out_of_range: too many digits).
std::optional<int64_t> whole_number(std::string_view text, std::errc& ec) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, e] = std::from_chars(text.data(), end, v);
  ec = e != std::errc() ? e : p != end ? std::errc::invalid_argument : std::errc();
  if (ec != std::errc()) return std::nullopt;
  return v;
}

int usage_error(const tcpscope::render::CliMessage& m) {
  fmt::memory_buffer out;
  tcpscope::render::append_cli_message(out, "tcpscope", m);
  std::fwrite(out.data(), 1, out.size(), stderr);
  return 2;
}

}  // namespace

static int run_main(int argc, char** argv) {
  using namespace tcpscope;
  // Before any thread exists (the HTTP library starts some): see block_agent_signals().
  agent::block_agent_signals();

  CLI::App app{"tcpscope agent: ships TCP health to statsd, Prometheus and JSON lines"};
  app.name("tcpscope agent");
  agent::AgentFlags f;
  bool once = false;
  std::optional<std::string> count;
  app.add_option("--config", f.config_file, "TOML configuration file (SIGHUP rereads it)");
  app.add_option("--interval", f.interval, "full collection every DURATION (default 10s)");
  app.add_option("--listener-interval", f.listener_interval,
                 "listeners and counters every DURATION (divides --interval)");
  app.add_option("-N,--netns", f.netns,
                 "namespace to follow: all, host, a name under /var/run/netns or a path "
                 "(repeatable; default: the agent's own)")
      ->allow_extra_args(false);
  std::optional<std::string> max_listeners;
  std::optional<std::string> statsd_mtu;
  app.add_option("--max-listeners", max_listeners, "listeners exported per namespace (100)");
  app.add_option("--counters", f.counters, "nstat glob of further counters (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--statsd", f.statsd, "HOST:PORT (default 127.0.0.1:8125), or none");
  app.add_option("--statsd-mtu", statsd_mtu, "largest datagram in bytes (1432)");
  app.add_option("--prefix", f.prefix, "first element of every statsd name (tcpscope)");
  app.add_flag("--statsd-tags", f.statsd_tags, "DogStatsD tags instead of Graphite paths");
  app.add_option("--prometheus", f.prometheus, "serve /metrics on [ADDR:]PORT (127.0.0.1)");
  app.add_option("--jsonl", f.jsonl, "append one JSON object per tick to FILE, or - (stdout)");
  app.add_option("--threshold", f.thresholds, "doctor threshold NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--log-level", f.log_level, "debug, info, warn or error (info)");
  app.add_option("--census-cpu", f.census_cpu,
                 "share of one core for census walks of the host's hash (0.015 or 1.5%)");
  app.add_option("--census-max-age", f.census_max_age, "no census older than DURATION (1h)");
  app.add_flag("--once", once, "one interval: collect, emit once, exit");
  app.add_option("--count", count, "stop after N ticks, N >= 1 (benchmarks, tests)");
  app.set_version_flag("--version", TCPSCOPE_VERSION, "print the version and exit");
  app.footer("Metrics, config file and privileges: docs/agent.md.");
  // Hidden: the shell completion and the man pages, from this app (cli/agent_generate.cpp).
  std::string completion;
  std::string manpage;
  app.add_option("--completion", completion, "print the shell completion (bash, zsh)")->group("");
  app.add_option("--manpage", manpage, "print a man page (its prose on stdin)")->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion&) {
    fmt::memory_buffer out;
    render::append_version(out, "tcpscope-agent", TCPSCOPE_VERSION);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  } catch (const CLI::ParseError& e) {
    return usage_error(render::parse_error("agent", e.what()));
  }
  if (!completion.empty() || !manpage.empty()) {
    return cli::run_agent_generate(app, completion, manpage);
  }
  // Whole numbers are read here, not by the parser, which saturates a 300-digit number to
  // INT64_MAX and would report a value nobody typed; the ranges are load_config()'s.
  for (auto [name, text, out] : {std::tuple{"--max-listeners", &max_listeners, &f.max_listeners},
                                 std::tuple{"--statsd-mtu", &statsd_mtu, &f.statsd_mtu}}) {
    if (!*text) continue;
    std::errc ec{};
    auto v = whole_number(**text, ec);
    if (!v) {
      const bool range = ec == std::errc::result_out_of_range;
      return usage_error({fmt::format("{}: {} is {}", name, render::excerpt(**text),
                                      range ? "out of range" : "not a whole number"),
                          ""});
    }
    *out = *v;
  }
  int64_t ticks = 0;
  if (count) {
    auto n = count_flag(*count);
    if (!n) return usage_error({n.error().what(), ""});
    ticks = *n;
  }
  auto config = agent::load_config(f);
  if (!config) {
    usage_error({config.error().what(), ""});
    return 2;  // a bad flag or config file (missing or unreadable included): nothing started
  }
  return agent::run_agent(f, std::move(*config), agent::RunOptions{once, ticks});
}

// Exceptions stop here: CLI11 and the standard library may throw (std::bad_alloc, a
// std::length_error); that is one line and exit 1, never an abort.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", "tcpscope-agent", e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: error: unexpected exception\n", "tcpscope-agent");
  }
  return 1;
}
