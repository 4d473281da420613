// SPDX-License-Identifier: MIT
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"

namespace tcpscope::cli {

void add_source_flags(CLI::App& app, SourceFlags& flags) {
  app.add_option("--source", flags.source, "where sockets come from")
      ->check(CLI::IsMember({"auto", "netlink", "proc", "replay"}));
  app.add_option("--replay", flags.replay, "read sockets from a file written by --record");
  app.add_option("--record", flags.record, "also write the raw netlink dump to FILE");
  app.add_option("--proc-root", flags.proc_root, "read /proc from this directory")
      ->envname("PROC_ROOT");
}

Result<source::SourceOptions> SourceFlags::resolve() const {
  source::SourceOptions o;
  o.proc_root = proc_root;
  o.record_file = record;
  o.replay_file = replay;
  if (source == "netlink") o.kind = source::SourceKind::kNetlink;
  if (source == "proc") o.kind = source::SourceKind::kProc;
  if (source == "replay" || (!replay.empty() && source == "auto")) {
    o.kind = source::SourceKind::kReplay;
  }
  if (o.kind == source::SourceKind::kReplay && replay.empty()) {
    return fail(Error::usage("--source replay needs --replay FILE"));
  }
  if (!record.empty() &&
      (o.kind == source::SourceKind::kProc || o.kind == source::SourceKind::kReplay)) {
    return fail(Error::usage("--record works only with the netlink source"));
  }
  return o;
}

Result<std::vector<std::string>> filter_words(CLI::App* app) {
  std::vector<std::string> words;
  if (app == nullptr) return words;
  for (const std::string& w : app->remaining()) {
    if (w.size() > 1 && w[0] == '-') {
      return fail(Error::usage("unknown option \"" + w + "\""));
    }
    words.push_back(w);
  }
  return words;
}

Result<double> walk_budget_flag(std::string_view text) {
  if (text == "0") return 0.0;
  auto ns = duration_flag("--walk-budget", text);
  if (!ns) return fail(std::move(ns.error()));
  return static_cast<double>(*ns) / 1e9;
}

namespace {
std::string g_error_context;
}  // namespace

void set_error_context(std::string context) { g_error_context = std::move(context); }

int write_stdout(const fmt::memory_buffer& out) {
  const bool written = std::fwrite(out.data(), 1, out.size(), stdout) == out.size();
  if (std::fflush(stdout) == 0 && written) return 0;
  return report(Error::from_errno("write to standard output", errno));
}

int report(const Error& e) {
  if (g_error_context.empty()) {
    std::fprintf(stderr, "tcpscope: error: %s\n", e.what().c_str());
  } else {
    std::fprintf(stderr, "tcpscope: error: %s: %s\n", g_error_context.c_str(), e.what().c_str());
  }
  switch (e.kind()) {
    case ErrorKind::kPermission:
      if (::geteuid() != 0) std::fprintf(stderr, "hint: run as root\n");
      return 1;
    case ErrorKind::kUsage:
      return 2;  // one line: the message names what was wrong
    default:
      return 1;
  }
}

}  // namespace tcpscope::cli
