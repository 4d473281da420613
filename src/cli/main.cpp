// SPDX-License-Identifier: MIT
// tcpscope: see the TCP stack of a Linux host. Parses the command line and dispatches.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "base/netns.hpp"
#include "cli/commands.hpp"
#include "cli/generate.hpp"
#include "render/cli_messages.hpp"

namespace {

// ss lets the last of -a / -l win; CLI11 does not keep flag order, so look at argv.
char last_state_flag(int argc, char** argv) {
  char last = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a(argv[i]);
    if (a == "--") break;
    if (a == "--all") last = 'a';
    if (a == "--listening") last = 'l';
    if (a.size() < 2 || a[0] != '-' || a[1] == '-') continue;
    for (char c : a.substr(1)) {
      if (c == 'a' || c == 'l') last = c;
    }
  }
  return last;
}

// The first word that is not an option (or the value of --netns), if any.
std::string_view first_command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a(argv[i]);
    if (a == "-N" || a == "--netns") {
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') continue;
    return a;
  }
  return {};
}

// `tcpscope [--netns X] agent ARGS...` runs tcpscope-agent from the same directory with every
// other argument, in order (its --netns takes the same values and more).
int exec_agent(int argc, char** argv) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string dir = n > 0 ? std::string(self, static_cast<size_t>(n)) : std::string(argv[0]);
  dir = dir.substr(0, dir.find_last_of('/') + 1);
  const std::string agent = dir + "tcpscope-agent";
  std::vector<char*> args;
  args.push_back(const_cast<char*>("tcpscope-agent"));
  int word = 1;  // the command word, found as first_command_word() finds it
  for (; word < argc; ++word) {
    const std::string_view a(argv[word]);
    if (a == "-N" || a == "--netns") {
      ++word;
    } else if (a.empty() || a[0] != '-') {
      break;
    }
  }
  for (int i = 1; i < argc; ++i) {
    if (i != word) args.push_back(argv[i]);
  }
  args.push_back(nullptr);
  ::execv(agent.c_str(), args.data());
  std::fprintf(stderr, "tcpscope: error: cannot run %s: %s\n", agent.c_str(), std::strerror(errno));
  return 1;
}

// Prints a usage error in the project's style; returns the exit status for `command` (doctor: 3,
// "could not check", the monitoring-plugin convention; else 2).
int usage_error(std::string_view command, const tcpscope::render::CliMessage& m) {
  fmt::memory_buffer out;
  tcpscope::render::append_cli_message(out, "tcpscope", m);
  std::fwrite(out.data(), 1, out.size(), stderr);
  return command == "doctor" ? 3 : 2;
}

}  // namespace

static int run_main(int argc, char** argv) {
  using namespace tcpscope;
  CLI::App app{"tcpscope: the TCP stack of a Linux host, the way an on-call engineer needs it"};
  app.require_subcommand(1);
  app.fallthrough();
  // Words no option takes end up here: the filter expression of sockets and summary, passed on
  // exactly as given (see cli::filter_words).
  app.allow_extras();
  cli::GlobalOptions global;
  auto* netns_flag = app.add_option(
      "-N,--netns", global.netns,
      "network namespace: a name under /var/run/netns or a path like /proc/PID/ns/net");
  app.set_version_flag("--version", TCPSCOPE_VERSION, "print the version and exit");

  // Only the command being run is registered (each costs start-up time; `counters` is meant to
  // cost no more than nstat); all of them when there is none, for --help.
  const std::string_view word = first_command_word(argc, argv);
  if (word == "agent") return exec_agent(argc, argv);
  // The hidden `completion` and `manpage` (cmd_generate.cpp) walk every command.
  const bool generate = word == "completion" || word == "manpage";
  static constexpr std::string_view kCommands[] = {"sockets", "summary", "counters", "sysctl",
                                                   "doctor",  "top",     "watch"};
  if (!word.empty() && !generate && std::ranges::find(kCommands, word) == std::end(kCommands)) {
    std::fprintf(stderr,
                 "tcpscope: error: unknown command \"%.*s\" (commands: sockets, summary, "
                 "counters, sysctl, doctor, top, watch, agent)\n",
                 static_cast<int>(word.size()), word.data());
    return 2;
  }
  auto wanted = [&](std::string_view name) { return word.empty() || generate || word == name; };
  cli::SocketsOptions sockets;
  cli::SummaryOptions summary;
  cli::CountersOptions counters;
  cli::SysctlOptions sysctl;
  cli::DoctorOptions doctor;
  cli::TopOptions top;
  cli::WatchOptions watch;
  if (wanted("sockets")) cli::add_sockets_command(app, sockets);
  if (wanted("summary")) cli::add_summary_command(app, summary);
  if (wanted("counters")) cli::add_counters_command(app, counters);
  if (wanted("sysctl")) cli::add_sysctl_command(app, sysctl);
  if (wanted("doctor")) cli::add_doctor_command(app, doctor);
  if (wanted("top")) cli::add_top_command(app, top);
  if (wanted("watch")) cli::add_watch_command(app, watch);
  if (word.empty() || generate) {  // in --help; the command itself is tcpscope-agent (exec_agent)
    app.add_subcommand("agent", "the daemon: TCP health to statsd, Prometheus and JSON lines");
  }
  cli::GenerateOptions gen;
  if (generate) cli::add_generate_commands(app, gen);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion&) {
    fmt::memory_buffer out;
    render::append_version(out, "tcpscope", TCPSCOPE_VERSION);
    return cli::write_stdout(out);
  } catch (const CLI::ParseError& e) {
    return usage_error(word, render::parse_error(word, e.what()));
  }
  if (netns_flag->count() > 0 && global.netns.empty()) {
    return usage_error(word, {"--netns: an empty namespace name (a name under /var/run/netns "
                              "or a path such as /proc/PID/ns/net)",
                              ""});
  }
  // An option no command takes: ss's and nstat's habits get a hint (`sockets -s`).
  for (const std::string& w : app.remaining(true)) {
    if (w.size() > 1 && w[0] == '-') return usage_error(word, render::unknown_option(word, w));
  }

  // doctor, summary and watch take "all" (every namespace) and enter each themselves.
  const bool netns_all =
      global.netns == "all" && (word == "doctor" || word == "watch" || word == "summary");
  if (!global.netns.empty() && word != "doctor" && !netns_all) {
    if (auto st = enter_netns(global.netns); !st) return cli::report(st.error());
    // Every later failure happened inside that namespace: say so.
    cli::set_error_context("netns " + global.netns);
  }

  auto* sub = app.get_subcommands().front();
  const std::string name = sub->get_name();
  if (generate) return cli::run_generate(app, gen, name);
  if (name == "sockets") {
    sockets.last_state_flag = last_state_flag(argc, argv);
    return cli::run_sockets(global, sockets);
  }
  if (name == "summary") return cli::run_summary(global, summary);
  if (name == "top") return cli::run_top(global, top);
  if (name == "watch") return cli::run_watch(global, watch);
  if (!app.remaining().empty()) {
    return usage_error(name, render::parse_error(name, "The following argument was not expected: " +
                                                           app.remaining().front()));
  }
  if (name == "counters") return cli::run_counters(global, counters);
  if (name == "sysctl") return cli::run_sysctl(global, sysctl);
  if (name == "doctor") return cli::run_doctor(global, doctor);
  return 2;
}

// Exceptions stop here: CLI11 and the standard library may throw (std::bad_alloc, a
// std::length_error); that is one line and exit 1, never an abort.
int main(int argc, char** argv) {
  try {
    return run_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", "tcpscope", e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: error: unexpected exception\n", "tcpscope");
  }
  return 1;
}
