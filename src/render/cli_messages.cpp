// SPDX-License-Identifier: MIT
#include "render/cli_messages.hpp"

#include <array>
#include <utility>

namespace tcpscope::render {

namespace {

constexpr size_t kExcerptMax = 40;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// "a b c" for CLI11's "{a,b,c}".
std::string member_list(std::string_view braced) {
  if (braced.size() >= 2 && braced.front() == '{' && braced.back() == '}') {
    braced = braced.substr(1, braced.size() - 2);
  }
  std::string out;
  for (char c : braced) out += c == ',' ? std::string(", ") : std::string(1, c);
  return out;
}

// "see tcpscope COMMAND --help"
std::string see_help(std::string_view command) {
  return command.empty() ? "see tcpscope --help" : fmt::format("see tcpscope {} --help", command);
}

struct Habit {
  std::string_view commands;  // space-separated commands where it applies
  std::string_view options;   // space-separated spellings
  std::string_view hint;
};

constexpr std::array kHabits{
    Habit{"sockets summary", "-s --summary", "`tcpscope summary` prints what ss -s prints"},
    Habit{"summary", "-K --kill", "`tcpscope sockets -K FILTER` destroys sockets"},
    Habit{"summary",
          "-x --unix -0 --packet -w --raw -S --sctp -d --dccp -M --mptcp --vsock --tipc --xdp "
          "-f --family -A --query --socket",
          "summary counts unix, packet, raw and MPTCP sockets itself; `tcpscope sockets -x` (-0, "
          "-w, -M, -A ...) lists them"},
    Habit{"sockets", "-d --dccp", "DCCP is gone from current kernels; tcpscope has no -d"},
    Habit{"sockets summary", "-D --diag", "use --record FILE to save the raw dump (as ss -D does)"},
    Habit{"sockets summary", "-E --events", "tcpscope has no event mode; `ss -E` follows closes"},
    Habit{"counters", "-d --scan -t",
          "no daemon mode: `tcpscope counters --interval 1s` prints the changes live"},
};

bool has_word(std::string_view list, std::string_view word) {
  while (!list.empty()) {
    const size_t sp = list.find(' ');
    if (list.substr(0, sp) == word) return true;
    if (sp == std::string_view::npos) break;
    list.remove_prefix(sp + 1);
  }
  return false;
}

// Cuts every word longer than the excerpt limit (a 300-digit number in a parser message).
std::string bound_words(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    const std::string_view w = text.substr(i, j - i);
    if (w.size() > kExcerptMax) {
      out += excerpt(w);
    } else {
      for (char c : w) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? '?' : c;
      }
    }
    if (j < text.size()) out += ' ';
    i = j + 1;
  }
  return out;
}

}  // namespace

std::string excerpt(std::string_view value) {
  std::string out = "\"";
  size_t shown = 0;
  for (char c : value) {
    if (shown == kExcerptMax) break;
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
    ++shown;
  }
  out += '"';
  if (value.size() > kExcerptMax) {
    out += fmt::format("... ({} characters)", value.size());
  }
  return out;
}

CliMessage unknown_option(std::string_view command, std::string_view option) {
  // "--kill=1" and "-K" are looked up without the value.
  const std::string_view bare = option.substr(0, option.find('='));
  for (const Habit& h : kHabits) {
    if (has_word(h.commands, command) && has_word(h.options, bare)) {
      return {fmt::format("unknown option {}", excerpt(option)), std::string(h.hint)};
    }
  }
  return {fmt::format("unknown option {} ({})", excerpt(option), see_help(command)), ""};
}

CliMessage parse_error(std::string_view command, std::string_view what) {
  // "The following argument(s) was/were not expected: A B"
  for (std::string_view p : {"The following argument was not expected: ",
                             "The following arguments were not expected: "}) {
    if (starts_with(what, p)) {
      std::string_view first = what.substr(p.size());
      first = first.substr(0, first.find(' '));
      if (first.size() > 1 && first[0] == '-') return unknown_option(command, first);
      return {fmt::format("unexpected argument {} ({})", excerpt(first), see_help(command)), ""};
    }
  }
  if (what == "A subcommand is required") {
    return {"a command is required: sockets, summary, counters, sysctl, doctor or agent",
            "see tcpscope --help"};
  }
  // "Could not convert: --count = abc"
  if (constexpr std::string_view p = "Could not convert: "; starts_with(what, p)) {
    const std::string_view rest = what.substr(p.size());
    const size_t eq = rest.find(" = ");
    if (eq != std::string_view::npos) {
      return {fmt::format("{}: {} is not a valid value", rest.substr(0, eq),
                          excerpt(rest.substr(eq + 3))),
              ""};
    }
  }
  const size_t colon = what.find(": ");
  if (colon != std::string_view::npos) {
    const std::string_view name = what.substr(0, colon);
    const std::string_view rest = what.substr(colon + 2);
    // "--count: At Most 1 required but received 2": the option was repeated.
    if (starts_with(rest, "At Most 1 required but received ")) {
      return {fmt::format("{} given more than once (it takes one value)", name), ""};
    }
    // "--netns: 1 required TEXT missing"
    if (rest.find(" required ") != std::string_view::npos && rest.ends_with(" missing")) {
      return {fmt::format("{} needs a value", name), ""};
    }
    if (rest == "too many inputs for a flag") return {fmt::format("{} takes no value", name), ""};
    // "--count: Value 0 not in range 2.22507e-308 to 1.79769e+308"
    if (starts_with(rest, "Value ")) {
      const std::string_view v = rest.substr(6);
      const size_t nr = v.find(" not in range ");
      if (nr != std::string_view::npos) {
        const std::string_view range = v.substr(nr + 14);
        if (starts_with(range, "2.22507e-308")) {
          return {fmt::format("{}: {} is not a positive number", name, excerpt(v.substr(0, nr))),
                  ""};
        }
        return {fmt::format("{}: {} is out of range ({})", name, excerpt(v.substr(0, nr)),
                            bound_words(range)),
                ""};
      }
      const size_t cc = v.find(" could not be converted");
      if (cc != std::string_view::npos) {
        return {fmt::format("{}: {} is not a valid value", name, excerpt(v.substr(0, cc))), ""};
      }
    }
    // IsMember: "--format: xml not in {table,json,csv}"
    const size_t not_in = rest.rfind(" not in {");
    if (not_in != std::string_view::npos && rest.ends_with("}")) {
      return {fmt::format("{}: {} is not one of {}", name, excerpt(rest.substr(0, not_in)),
                          member_list(rest.substr(not_in + 8))),
              ""};
    }
  }
  // Anything else: CLI11's sentence, lower-cased at the start and with long words cut.
  std::string text = bound_words(what);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z' && !(text.size() > 1 && text[1] == ' ')) {
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  }
  return {fmt::format("{} ({})", text, see_help(command)), ""};
}

void append_cli_message(fmt::memory_buffer& out, std::string_view program, const CliMessage& m) {
  fmt::format_to(std::back_inserter(out), "{}: error: {}\n", program, m.error);
  if (!m.hint.empty()) fmt::format_to(std::back_inserter(out), "hint: {}\n", m.hint);
}

void append_version(fmt::memory_buffer& out, std::string_view program, std::string_view version) {
  fmt::format_to(std::back_inserter(out), "{} {}\n", program, version);
}

}  // namespace tcpscope::render
