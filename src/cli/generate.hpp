// SPDX-License-Identifier: MIT
// Shell completion and man pages, generated from a program's CLI11 definitions, so that neither
// can drift from what the program accepts: `tcpscope completion bash|zsh` and
// `tcpscope-agent --completion bash|zsh` print the scripts; the build writes the man pages with
// `tcpscope manpage PAGE` and `tcpscope-agent --manpage PAGE` (man/CMakeLists.txt), each from the
// app's options plus the page's own prose in man/PAGE.SECTION.md.
//
//   CompletionSpec spec{"tcpscope", lists, values, operands, delegates};
//   append_completion(out, "bash", app, spec);
//
// Common mistake: describing an option's value in the spec by a short name ("-N"): values are
// looked up by long name ("--netns"), optionally qualified by the command ("doctor:--netns").
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace CLI {
class App;
}

namespace tcpscope::cli {

// A named list of words the shell offers, each with a description (zsh shows it; may be empty).
struct WordList {
  std::string name;
  std::vector<std::pair<std::string, std::string>> words;
};

struct CompletionSpec {
  std::string program;  // "tcpscope"; the shell function is _tcpscope (`-` becomes `_`)
  std::vector<WordList> lists;
  // What the value of an option is, by long name ("--format") or "command:--name": space-separated
  // sources, each a list's name or "@file", "@dir", "@netns" (the names under /var/run/netns).
  // An option that is not listed and has no set of values (CLI11's IsMember) gets nothing.
  std::vector<std::pair<std::string, std::string>> values;
  // The words of a command that are not options, by command name ("" for the program itself):
  // a list's name, or "@filter" (ss's filter language: the "states" list after `state` and
  // `exclude`, else the "filter" list and those two words).
  std::vector<std::pair<std::string, std::string>> operands;
  // A command that is another program (`tcpscope agent` runs tcpscope-agent): its completion.
  std::vector<std::pair<std::string, std::string>> delegates;
};

// `shell` is "bash" or "zsh"; anything else is a usage error.
Status append_completion(fmt::memory_buffer& out, std::string_view shell, const CLI::App& app,
                         const CompletionSpec& spec);

// A section the program makes from data of its own (the agent's config keys): `.TP` entries.
struct ManSection {
  std::string title;
  std::string intro;                                         // prose before the entries (Markdown)
  std::vector<std::pair<std::string, std::string>> entries;  // term (roff), text (inline)
};

struct ManPage {
  std::string name;  // "tcpscope-sockets"
  int section = 8;
  std::string summary;    // NAME's line after the dash; default: the app's description
  std::string synopsis;   // the command line up to the command: "tcpscope [-N NAME] sockets"
  std::string operands;   // after the options: "[FILTER]"; default: the app's positionals
  std::string version;    // "tcpscope 0.1.0", in the page footer
  std::string date;       // "2026-12-04", in the page footer; may be empty
  std::string text;       // man/PAGE.SECTION.md: DESCRIPTION, then `## OTHER SECTIONS`
  bool options = true;    // an OPTIONS section from the app
  bool commands = false;  // a COMMANDS section from the app's subcommands, with their pages
  std::vector<ManSection> extra;  // after OPTIONS
};

// The page in roff (man(7)). `text` is a small Markdown: paragraphs, `## SECTION`, `### Sub`,
// ``` fenced examples, `* ` bullets, definition lists (a term line, then `: definition`),
// `code`, *emphasis* and **bold**.
void append_manpage(fmt::memory_buffer& out, const CLI::App& app, const ManPage& page);

// Markdown (the subset above) to roff, for prose outside a whole page.
void append_roff_text(fmt::memory_buffer& out, std::string_view markdown);

// A page of `version` ("tcpscope 0.1.0") whose text is standard input (piped in by the build),
// dated by SOURCE_DATE_EPOCH when it is set (dpkg sets it to the changelog's date), so that a
// build of the same sources writes the same pages.
Result<ManPage> man_page_from_stdin(std::string version);

// tcpscope's hidden commands (cmd_generate.cpp): `completion SHELL`, `manpage PAGE`.
struct GenerateOptions {
  std::string shell;
  std::string page;  // "tcpscope" or a command's name
};
void add_generate_commands(CLI::App& app, GenerateOptions& o);
// `app` holds every command; `command` is "completion" or "manpage". Returns the exit status.
int run_generate(CLI::App& app, const GenerateOptions& o, std::string_view command);

// tcpscope-agent's hidden `--completion SHELL` and `--manpage tcpscope-agent|tcpscope-agent.toml`
// (agent_generate.cpp, linked into the agent only).
int run_agent_generate(CLI::App& app, std::string_view shell, std::string_view page);

}  // namespace tcpscope::cli
