// SPDX-License-Identifier: MIT
// The agent's main loop: one thread collects and emits on a timerfd; signals arrive on a
// signalfd (SIGHUP reloads, SIGTERM and SIGINT stop after the current tick); the Prometheus
// endpoint serves from its own threads. Everything the agent does is in docs/agent.md.
#pragma once

#include <memory>

#include "agent/config.hpp"
#include "base/result.hpp"

namespace tcpscope::agent {

struct RunOptions {
  bool once = false;  // one interval: a baseline, then one full collection emitted, then exit
  int64_t count = 0;  // stop after this many emitted ticks (0: run until a signal)
};

// Blocks the signals the loop takes from a signalfd. Call first thing in main(), before any
// thread starts (threads inherit the mask; a signal must not be delivered to one of them).
void block_agent_signals();

// Starts what can fail at start (the HTTP port, the jsonl file) and runs until a stop signal,
// or one interval with `once`. Returns the exit status.
int run_agent(const AgentFlags& flags, AgentConfig config, RunOptions options);

}  // namespace tcpscope::agent
