// SPDX-License-Identifier: MIT
// Man pages in roff, written from the CLI11 app and the page's prose (see generate.hpp).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "cli/generate.hpp"

namespace tcpscope::cli {

namespace {

template <typename... T>
void put(fmt::memory_buffer& out, fmt::format_string<T...> f, T&&... args) {
  fmt::format_to(std::back_inserter(out), f, std::forward<T>(args)...);
}

// Text for roff: a backslash is \e; `code` also turns '-' into \- (a minus sign, which man
// renders as the ASCII hyphen that options are typed with).
std::string escape(std::string_view s, bool code) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-' && code) {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

// A line of output text: roff takes a leading '.' or '\'' as a request.
std::string line_start(std::string s) {
  if (!s.empty() && (s[0] == '.' || s[0] == '\'')) s.insert(0, "\\&");
  return s;
}

bool word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// Inline Markdown: `code` bold, **bold**, *emphasis* italic.
std::string inline_text(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '`') {
      const size_t end = s.find('`', i + 1);
      if (end != std::string_view::npos) {
        out += "\\fB" + escape(s.substr(i + 1, end - i - 1), true) + "\\fR";
        i = end + 1;
        continue;
      }
    }
    if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
      const size_t end = s.find("**", i + 2);
      if (end != std::string_view::npos) {
        out += "\\fB" + escape(s.substr(i + 2, end - i - 2), false) + "\\fR";
        i = end + 2;
        continue;
      }
    }
    if (c == '*' && (i == 0 || !word_char(s[i - 1])) && i + 1 < s.size() && s[i + 1] != ' ' &&
        s[i + 1] != '*') {
      const size_t end = s.find('*', i + 1);
      if (end != std::string_view::npos && s[end - 1] != ' ' &&
          (end + 1 == s.size() || !word_char(s[end + 1]))) {
        out += "\\fI" + escape(s.substr(i + 1, end - i - 1), false) + "\\fR";
        i = end + 1;
        continue;
      }
    }
    out += escape(s.substr(i, 1), false);
    ++i;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The name of an option's value in the page (CLI11 says only TEXT).
std::string metavar(const CLI::Option& o) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"config", "FILE"},
      {"replay", "FILE"},
      {"record", "FILE"},
      {"filter", "FILE"},
      {"jsonl", "FILE"},
      {"proc-root", "DIR"},
      {"interval", "DURATION"},
      {"listener-interval", "DURATION"},
      {"window", "DURATION"},
      {"count", "N"},
      {"rows", "N"},
      {"iterations", "N"},
      {"max-listeners", "N"},
      {"statsd-mtu", "BYTES"},
      {"threshold", "NAME=VALUE"},
      {"statsd", "HOST:PORT"},
      {"prometheus", "[ADDR:]PORT"},
      {"explain", "COUNTER"},
      {"netns", "NAME"},
      {"delay", "SECONDS"},
      {"prefix", "PREFIX"},
      {"log-level", "LEVEL"},
      {"sort", "COLUMN"},
      {"counters", "PATTERN"},
      {"completion", "SHELL"},
      {"manpage", "PAGE"},
  };
  const std::string name = o.get_lnames().empty() ? o.get_name() : o.get_lnames().front();
  for (const auto& [n, v] : kNames) {
    if (n == name) return std::string(v);
  }
  return upper(name);
}

// Markdown blocks to roff.
class Blocks {
 public:
  explicit Blocks(fmt::memory_buffer& out) : out_(out) {}

  void write(std::string_view markdown) {
    const auto lines = lines_of(markdown);
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string_view raw = lines[i];
      const std::string_view line = trim(raw);
      if (line.starts_with("```")) {
        put(out_, ".PP\n.RS 4\n.nf\n");
        for (++i; i < lines.size() && !trim(lines[i]).starts_with("```"); ++i) {
          put(out_, "{}\n", line_start(escape(lines[i], true)));
        }
        put(out_, ".fi\n.RE\n");
        paragraph_ = false;
        continue;
      }
      if (line.empty()) {
        paragraph_ = false;
        continue;
      }
      if (line.starts_with("### ")) {
        put(out_, ".SS {}\n", inline_text(line.substr(4)));
        paragraph_ = false;
        continue;
      }
      if (line.starts_with("## ")) {
        put(out_, ".SH {}\n", upper(inline_text(line.substr(3))));
        paragraph_ = false;
        continue;
      }
      if (line.starts_with("* ") || line.starts_with("- ")) {
        put(out_, ".IP \\(bu 2\n{}\n", line_start(inline_text(line.substr(2))));
        i = continuation(lines, i);
        paragraph_ = true;
        continue;
      }
      if (i + 1 < lines.size() && trim(lines[i + 1]).starts_with(": ")) {
        put(out_, ".TP\n{}\n", line_start(inline_text(line)));
        ++i;
        put(out_, "{}\n", line_start(inline_text(trim(trim(lines[i]).substr(1)))));
        i = continuation(lines, i);
        paragraph_ = true;
        continue;
      }
      if (!paragraph_) put(out_, ".PP\n");
      paragraph_ = true;
      put(out_, "{}\n", line_start(inline_text(line)));
    }
  }

 private:
  // Indented lines after a bullet or a definition belong to it.
  size_t continuation(const std::vector<std::string_view>& lines, size_t i) {
    while (i + 1 < lines.size() && lines[i + 1].starts_with("  ") && !trim(lines[i + 1]).empty()) {
      ++i;
      put(out_, "{}\n", line_start(inline_text(trim(lines[i]))));
    }
    return i;
  }

  fmt::memory_buffer& out_;
  bool paragraph_ = false;
};

// A synopsis word: `-x`/`--long` bold, NAMES italic, command words bold, [ ] | ... plain.
std::string synopsis(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '[' || c == ']' || c == '|' || c == ' ' || c == '.') {
      out += c;
      ++i;
      continue;
    }
    size_t end = i;
    while (end < s.size() && s[end] != ' ' && s[end] != '[' && s[end] != ']' && s[end] != '|' &&
           !(s[end] == '.' && end + 1 < s.size() && s[end + 1] == '.')) {
      ++end;
    }
    const std::string_view w = s.substr(i, end - i);
    const bool is_upper = std::ranges::all_of(w, [](char ch) {
      return (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '=' || ch == ':' || ch == '-';
    });
    out += (is_upper && w[0] != '-' ? "\\fI" : "\\fB") + escape(w, true) + "\\fR";
    i = end;
  }
  return out;
}

// A description as a sentence: CLI11's are written for --help, lower case without a full stop.
std::string sentence(std::string text) {
  if (!text.empty() && text.back() != '.') text += '.';
  return text;
}

void options_section(fmt::memory_buffer& out, const CLI::App& app) {
  put(out, ".SH OPTIONS\n");
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    if (!o->nonpositional()) continue;
    std::string term;
    auto add_name = [&](const std::string& n) {
      term += (term.empty() ? "" : ", ") + std::string("\\fB") + escape(n, true) + "\\fR";
    };
    for (const auto& s : o->get_snames()) add_name("-" + s);
    for (const auto& l : o->get_lnames()) add_name("--" + l);
    if (o->get_expected_max() != 0) {  // not a flag
      const std::string type = o->get_type_name();
      const size_t open = type.find('{');
      if (open != std::string::npos) {
        std::string set = type.substr(open + 1, type.find('}') - open - 1);
        std::string v;
        for (char c : set)
          v += c == ',' ? std::string("\\fR|\\fB") : escape(std::string(1, c), true);
        term += " \\fB" + v + "\\fR";
      } else {
        term += " \\fI" + escape(metavar(*o), true) + "\\fR";
      }
      const bool says_so = o->get_description().find("repeatable") != std::string::npos;
      if (o->get_expected_max() > 1 && !says_so) term += " (repeatable)";
    }
    put(out, ".TP\n{}\n", term);
    put(out, "{}\n", line_start(inline_text(sentence(o->get_description()))));
    if (!o->get_envname().empty()) {
      put(out, "The environment variable \\fB{}\\fR sets it too.\n",
          escape(o->get_envname(), true));
    }
  }
  for (const CLI::Option* o : app.get_options()) {
    if (o->nonpositional() || o->get_group().empty()) continue;
    put(out, ".TP\n\\fI{}\\fR{}\n", upper(o->get_name(true)),
        o->get_expected_max() > 1 ? "..." : "");
    put(out, "{}\n", line_start(inline_text(sentence(o->get_description()))));
  }
}

}  // namespace

void append_roff_text(fmt::memory_buffer& out, std::string_view markdown) {
  Blocks(out).write(markdown);
}

void append_manpage(fmt::memory_buffer& out, const CLI::App& app, const ManPage& page) {
  put(out, ".\\\" Generated by the build from man/{}.{}.md and the program's command line.\n",
      page.name, page.section);
  put(out, ".TH {} {} \"{}\" \"{}\" \"{}\"\n", upper(page.name), page.section, page.date,
      page.version, page.section == 5 ? "File Formats" : "System Administration");
  put(out, ".SH NAME\n{} \\- {}\n", escape(page.name, true),
      inline_text(page.summary.empty() ? app.get_description() : page.summary));

  if (!page.synopsis.empty()) {
    put(out, ".SH SYNOPSIS\n");
    std::string operands = page.operands;
    if (operands.empty()) {
      for (const CLI::Option* o : app.get_options()) {
        if (o->nonpositional() || o->get_group().empty()) continue;
        operands += (operands.empty() ? "[" : " [") + upper(o->get_name(true)) +
                    (o->get_expected_max() > 1 ? "...]" : "]");
      }
    }
    const std::string_view options = page.options ? " [OPTIONS]" : "";
    put(out, ".nf\n{}\n.fi\n",
        synopsis(page.synopsis + std::string(options) + (operands.empty() ? "" : " " + operands)));
  }

  // DESCRIPTION: the text up to its first section; the sections after OPTIONS.
  std::string_view text = page.text;
  size_t first = text.starts_with("## ") ? 0 : text.find("\n## ");
  if (first == std::string_view::npos) first = text.size();
  put(out, ".SH DESCRIPTION\n");
  Blocks(out).write(text.substr(0, first));

  if (page.commands) {
    put(out, ".SH COMMANDS\n");
    for (const CLI::App* c :
         app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
      put(out, ".TP\n\\fB{}\\fR\n", escape(c->get_name(), true));
      std::string d = c->get_description();
      put(out, "{}: see \\fB{}\\-{}\\fR(8).\n", line_start(inline_text(d)), page.name,
          escape(c->get_name(), true));
    }
  }
  if (page.options) options_section(out, app);
  for (const auto& s : page.extra) {
    put(out, ".SH {}\n", upper(s.title));
    Blocks(out).write(s.intro);
    for (const auto& [term, body] : s.entries) {
      put(out, ".TP\n{}\n{}\n", line_start(term), line_start(inline_text(body)));
    }
  }
  if (first < text.size()) Blocks(out).write(text.substr(first));
}

Result<ManPage> man_page_from_stdin(std::string version) {
  ManPage page;
  page.version = std::move(version);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
    const auto t = static_cast<time_t>(std::strtoll(epoch, nullptr, 10));
    tm utc{};
    char day[16];
    if (::gmtime_r(&t, &utc) != nullptr && std::strftime(day, sizeof day, "%Y-%m-%d", &utc) > 0) {
      page.date = day;
    }
  }
  TCPSCOPE_TRY(read_fd(STDIN_FILENO, "standard input", page.text, kConfigFileLimit));
  return page;
}

}  // namespace tcpscope::cli
