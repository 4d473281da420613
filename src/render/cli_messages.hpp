// SPDX-License-Identifier: MIT
// The command line's own messages: the parser's wordings rewritten into the project's one-line
// style, hints for habits carried over from ss and nstat, and the version line.
//
//   auto m = render::parse_error("sockets", e.what());   // a CLI11 ParseError's text
//   fmt::memory_buffer out; render::append_cli_message(out, "tcpscope", m);
//
// Values a user typed are echoed through excerpt(): at most 40 characters, control bytes
// escaped, so a 300-digit number or binary garbage never fills the terminal.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace tcpscope::render {

struct CliMessage {
  std::string error;  // without the "tcpscope: error: " prefix
  std::string hint;   // "" when there is none
};

// `value` as shown in a message: quoted, control characters escaped, cut after 40 characters.
std::string excerpt(std::string_view value);

// The parser's message `what` (the text of a CLI11 ParseError) for `command` ("" at top level).
CliMessage parse_error(std::string_view command, std::string_view what);

// An option `command` does not know (`-s`, `--kill`); with a hint where the user's habit is
// clear (ss -s -> tcpscope summary, ss -K, ss -x, nstat -d).
CliMessage unknown_option(std::string_view command, std::string_view option);

// "<program>: error: <error>\n" and "hint: <hint>\n" when there is one.
void append_cli_message(fmt::memory_buffer& out, std::string_view program, const CliMessage& m);

// "tcpscope 0.1.0\n"
void append_version(fmt::memory_buffer& out, std::string_view program, std::string_view version);

}  // namespace tcpscope::render
