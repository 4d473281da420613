// The subcommands. Each registers its options on the CLI11 app and runs after parsing.
// CLI11 stays inside src/cli (it is heavy to compile).
#pragma once

#include <string>
#include <vector>

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
  std::string format = "table";
  bool json = false;
  SourceFlags source;
  std::vector<std::string> filter;
};

struct SummaryOptions {
  bool json = false;
  SourceFlags source;
};

void add_sockets_command(CLI::App& app, SocketsOptions& opts);
void add_summary_command(CLI::App& app, SummaryOptions& opts);

// Return the process exit status.
int run_sockets(const GlobalOptions& global, SocketsOptions& opts);
int run_summary(const GlobalOptions& global, const SummaryOptions& opts);

// "tcpscope: error: <what>" (+ "hint: ..." where useful) on stderr; returns the exit status.
int report(const Error& e);

}  // namespace tcpscope::cli
