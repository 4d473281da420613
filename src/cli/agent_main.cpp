// tcpscope-agent: the daemon (`tcpscope agent` runs this program). A separate executable because
// it links the HTTP library and its dependencies, which the short-lived commands should not load.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "agent/agent.hpp"
#include "agent/config.hpp"

static int run_main(int argc, char** argv) {
  using namespace tcpscope;
  // Before any thread exists (the HTTP library starts some): see block_agent_signals().
  agent::block_agent_signals();

  CLI::App app{"tcpscope agent: ships TCP health to statsd, Prometheus and JSON lines"};
  app.name("tcpscope agent");
  agent::AgentFlags f;
  bool once = false;
  int64_t count = 0;
  app.add_option("--config", f.config_file, "TOML configuration file (SIGHUP rereads it)");
  app.add_option("--interval", f.interval, "full collection every DURATION (default 10s)");
  app.add_option("--listener-interval", f.listener_interval,
                 "listeners and counters every DURATION (divides --interval)");
  app.add_option("-N,--netns", f.netns,
                 "namespace to follow: all, host, a name under /var/run/netns or a path "
                 "(repeatable; default: the agent's own)")
      ->allow_extra_args(false);
  app.add_option("--max-listeners", f.max_listeners, "listeners exported per namespace (100)");
  app.add_option("--counters", f.counters, "nstat glob of further counters (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--statsd", f.statsd, "HOST:PORT (default 127.0.0.1:8125), or none");
  app.add_option("--statsd-mtu", f.statsd_mtu, "largest datagram in bytes (1432)");
  app.add_option("--prefix", f.prefix, "first element of every statsd name (tcpscope)");
  app.add_flag("--statsd-tags", f.statsd_tags, "DogStatsD tags instead of Graphite paths");
  app.add_option("--prometheus", f.prometheus, "serve /metrics on [ADDR:]PORT (127.0.0.1)");
  app.add_option("--jsonl", f.jsonl, "append one JSON object per tick to FILE, or - (stdout)");
  app.add_option("--threshold", f.thresholds, "doctor threshold NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--log-level", f.log_level, "debug, info, warn or error (info)");
  app.add_flag("--once", once, "one interval: collect, emit once, exit");
  app.add_option("--count", count, "stop after N ticks (benchmarks, tests)")
      ->check(CLI::PositiveNumber);
  app.footer("Metrics, config file and privileges: docs/agent.md.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "tcpscope: error: %s (see tcpscope agent --help)\n", e.what());
    return 2;
  }
  auto config = agent::load_config(f);
  if (!config) {
    std::fprintf(stderr, "tcpscope: error: %s\n", config.error().what().c_str());
    return 2;  // a bad flag or config file (missing or unreadable included): nothing started
  }
  return agent::run_agent(f, std::move(*config), agent::RunOptions{once, count});
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
