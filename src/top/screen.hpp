// SPDX-License-Identifier: MIT
// The interactive screen of `tcpscope top` (ncurses): header, listeners and connections, keys
// as top/htop users expect them. The collector runs on its own thread (top::Runner); the screen
// only draws published snapshots, so a key is answered while a large table is being read.
#pragma once

#include <string>

#include "model/conn_view.hpp"
#include "top/collector.hpp"

namespace tcpscope::top {

struct ScreenOptions {
  double interval_s = 2;
  bool color = true;  // the caller decided (--color, NO_COLOR); the terminal may still have none
  model::ViewOptions view;
  bool services = false;
};

// Runs until `q`, SIGINT, SIGTERM or SIGHUP; the terminal is restored on every way out.
// Returns the exit status.
int run_screen(Collector& collector, const ScreenOptions& options);

}  // namespace tcpscope::top
