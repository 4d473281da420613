// SPDX-License-Identifier: MIT
// tcpscope-agent's hidden `--completion bash|zsh` and `--manpage PAGE`: its shell completion,
// tcpscope-agent(8) from its CLI11 app and tcpscope-agent.toml(5) from the config file's key
// catalog (agent/config.hpp), which is also what the parser accepts.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "agent/config.hpp"
#include "cli/generate.hpp"
#include "doctor/thresholds.hpp"
#include "model/counter_catalog.hpp"

namespace tcpscope::cli {

namespace {

int fail_with(const Error& e) {
  std::fprintf(stderr, "tcpscope-agent: error: %s\n", e.what().c_str());
  return e.kind() == ErrorKind::kUsage ? 2 : 1;
}

int write_out(const fmt::memory_buffer& out) {
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

CompletionSpec agent_spec() {
  CompletionSpec spec;
  spec.program = "tcpscope-agent";
  WordList counters{"counters", {}};
  for (const auto& c : model::counter_catalog())
    counters.words.emplace_back(std::string(c.name), "");
  WordList thresholds{"thresholds", {}};
  for (const auto& t : doctor::threshold_catalog()) {
    thresholds.words.emplace_back(std::string(t.name) + "=", doctor::threshold_meaning(t));
  }
  WordList netns{"namespaces",
                 {{"all", "this namespace and every named and docker one"},
                  {"host", "the agent's own namespace"}}};
  WordList levels{"levels", {{"debug", ""}, {"info", ""}, {"warn", ""}, {"error", ""}}};
  spec.lists = {counters, thresholds, netns, levels};
  spec.values = {{"--netns", "namespaces @netns"},
                 {"--config", "@file"},
                 {"--jsonl", "@file"},
                 {"--counters", "counters"},
                 {"--threshold", "thresholds"},
                 {"--log-level", "levels"},
                 {"--statsd", "none"}};
  spec.lists.push_back({"none", {{"none", "no statsd"}}});
  return spec;
}

ManSection config_keys_section() {
  ManSection s;
  s.title = "KEYS";
  s.intro =
      "A key `table.name` is `name` in the table `[table]`. Every key is optional; a flag of "
      "**tcpscope-agent**(8) overrides the key it names.";
  std::string thresholds;
  for (const auto& t : doctor::threshold_catalog()) {
    thresholds += (thresholds.empty() ? "" : ", ") + std::string("`") + std::string(t.name) + "`";
  }
  for (const auto& k : agent::config_keys()) {
    std::string term = "\\fB" + std::string(k.key) + "\\fR = \\fI" + std::string(k.type) + "\\fR";
    std::string body = std::string(k.meaning) + " Default: " + std::string(k.fallback) + ".";
    if (!k.flag.empty()) body += " Flag: `" + std::string(k.flag) + "`.";
    if (k.key == "doctor.NAME") body += " Names: " + thresholds + ".";
    s.entries.emplace_back(std::move(term), std::move(body));
  }
  return s;
}

}  // namespace

int run_agent_generate(CLI::App& app, std::string_view shell, std::string_view page_name) {
  fmt::memory_buffer out;
  if (!shell.empty()) {
    if (auto st = append_completion(out, shell, app, agent_spec()); !st)
      return fail_with(st.error());
    return write_out(out);
  }
  auto read = man_page_from_stdin("tcpscope " TCPSCOPE_VERSION);
  if (!read) return fail_with(read.error());
  ManPage& page = *read;
  if (page_name == "tcpscope-agent") {
    page.name = "tcpscope-agent";
    page.synopsis = "tcpscope-agent";
    page.summary = "the tcpscope daemon: TCP health to statsd, Prometheus and JSON lines";
  } else if (page_name == "tcpscope-agent.toml") {
    page.name = "tcpscope-agent.toml";
    page.section = 5;
    page.summary = "the configuration file of tcpscope-agent";
    page.synopsis = "/etc/tcpscope/agent.toml";
    page.options = false;
    page.extra.push_back(config_keys_section());
  } else {
    return fail_with(Error::usage("--manpage: no page \"" + std::string(page_name) + "\""));
  }
  append_manpage(out, app, page);
  return write_out(out);
}

}  // namespace tcpscope::cli
