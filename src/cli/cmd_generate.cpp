// SPDX-License-Identifier: MIT
// `tcpscope completion bash|zsh` and `tcpscope manpage PAGE` (hidden): the shell completion and
// the man pages of tcpscope, from the same CLI11 app that parses its command line (generate.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/commands.hpp"
#include "cli/generate.hpp"
#include "diag/filter.hpp"
#include "doctor/thresholds.hpp"
#include "model/counter_catalog.hpp"
#include "model/tcp_state.hpp"
#include "model/tunable_catalog.hpp"

namespace tcpscope::cli {

namespace {

CompletionSpec tcpscope_spec() {
  CompletionSpec spec;
  spec.program = "tcpscope";
  WordList states{"states", {}};
  for (auto s : model::state_names()) states.words.emplace_back(std::string(s), "");
  WordList filter{"filter", {}};
  for (auto k : diag::filter_keywords()) filter.words.emplace_back(std::string(k), "");
  WordList counters{"counters", {}};
  for (const auto& c : model::counter_catalog()) {
    counters.words.emplace_back(std::string(c.name),
                                std::string(c.meaning.substr(0, c.meaning.find_first_of(".;"))));
  }
  WordList tunables{"tunables", {}};
  for (const auto& t : model::tunable_catalog()) {
    tunables.words.emplace_back(std::string(t.name), std::string(t.meaning));
  }
  // Each threshold with its meaning, which names the check it tunes.
  WordList thresholds{"thresholds", {}};
  for (const auto& t : doctor::threshold_catalog()) {
    thresholds.words.emplace_back(std::string(t.name) + "=", doctor::threshold_meaning(t));
  }
  spec.lists = {states, filter, counters, tunables, thresholds};
  spec.values = {
      {"--netns", "@netns"},   {"doctor:--netns", "@netns"},  {"--replay", "@file"},
      {"--record", "@file"},   {"--filter", "@file"},         {"--config", "@file"},
      {"--proc-root", "@dir"}, {"--threshold", "thresholds"}, {"--explain", "counters"},
  };
  spec.operands = {{"sockets", "@filter"}, {"summary", "@filter"},   {"top", "@filter"},
                   {"watch", "@filter"},   {"counters", "counters"}, {"sysctl", "tunables"}};
  spec.delegates = {{"agent", "tcpscope-agent"}};
  return spec;
}

}  // namespace

void add_generate_commands(CLI::App& app, GenerateOptions& o) {
  auto* completion = app.add_subcommand("completion", "print the shell completion script");
  completion->group("");
  completion->add_option("shell", o.shell, "bash or zsh")->required();
  auto* manpage = app.add_subcommand("manpage", "print a man page (its prose on stdin)");
  manpage->group("");
  manpage->add_option("page", o.page, "tcpscope or a command's name")->required();
}

int run_generate(CLI::App& app, const GenerateOptions& o, std::string_view command) {
  fmt::memory_buffer out;
  if (command == "completion") {
    if (auto st = append_completion(out, o.shell, app, tcpscope_spec()); !st) {
      return report(st.error());
    }
    return write_stdout(out);
  }
  auto read = man_page_from_stdin("tcpscope " TCPSCOPE_VERSION);
  if (!read) return report(read.error());
  ManPage& page = *read;
  if (o.page == "tcpscope") {
    page.name = "tcpscope";
    page.summary = "the TCP stack of a Linux host, the way an on-call engineer needs it";
    page.synopsis = "tcpscope";
    page.operands = "COMMAND [COMMAND-OPTIONS]";
    page.commands = true;
    append_manpage(out, app, page);
    return write_stdout(out);
  }
  CLI::App* sub = nullptr;
  try {
    sub = app.get_subcommand(o.page);
  } catch (const CLI::OptionNotFound&) {
  }
  if (sub == nullptr || sub->get_group().empty() || o.page == "agent") {
    return report(Error::usage("manpage: no page for \"" + o.page + "\""));
  }
  page.name = "tcpscope-" + o.page;
  page.synopsis = "tcpscope [-N NAME] " + o.page;
  if (o.page == "sockets" || o.page == "summary" || o.page == "top" || o.page == "watch") {
    page.operands = "[FILTER]";
  }
  append_manpage(out, *sub, page);
  return write_stdout(out);
}

}  // namespace tcpscope::cli
