// SPDX-License-Identifier: MIT
// Shell completion scripts for bash and zsh, written from the CLI11 app (see generate.hpp).
//
// bash: one function per program, `complete -F`; it finds the command (the first word that is
// neither an option nor the value of a global option), then offers the value of the option
// before the cursor, the command's options after a `-`, or its operands. It needs nothing but
// bash (bash-completion's helpers are not used), so `source <(tcpscope completion bash)` works
// anywhere. zsh: `_arguments` specs, with descriptions.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "cli/generate.hpp"

namespace tcpscope::cli {

namespace {

struct Opt {
  std::vector<std::string> names;  // "-t", "--tcp" (CLI11's order: short names first)
  std::string long_name;           // "--tcp", or the first name
  std::string description;
  bool takes_value = false;
  bool repeatable = false;
  std::vector<std::string> set;  // IsMember's values, when there are
};

// "TEXT:{table,json,csv}" -> table, json, csv.
std::vector<std::string> member_set(const std::string& type_name) {
  std::vector<std::string> out;
  const size_t open = type_name.find('{');
  const size_t close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return out;
  std::string cur;
  for (size_t i = open + 1; i < close; ++i) {
    if (type_name[i] == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(type_name[i]);
    }
  }
  out.push_back(cur);
  return out;
}

// The visible options of `app` (hidden ones are in the group "").
std::vector<Opt> options_of(const CLI::App& app) {
  std::vector<Opt> out;
  for (const CLI::Option* o : app.get_options()) {
    if (!o->nonpositional() || o->get_group().empty()) continue;
    Opt opt;
    for (const auto& s : o->get_snames()) opt.names.push_back("-" + s);
    for (const auto& l : o->get_lnames()) opt.names.push_back("--" + l);
    opt.long_name = o->get_lnames().empty() ? opt.names.front() : "--" + o->get_lnames().front();
    opt.description = o->get_description();
    opt.takes_value = o->get_expected_max() != 0;  // a flag expects 0 values
    opt.repeatable = opt.takes_value && o->get_expected_max() > 1;
    opt.set = member_set(o->get_type_name());
    out.push_back(std::move(opt));
  }
  return out;
}

std::vector<const CLI::App*> commands_of(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

const std::string* find(const std::vector<std::pair<std::string, std::string>>& v,
                        std::string_view key) {
  for (const auto& [k, val] : v) {
    if (k == key) return &val;
  }
  return nullptr;
}

// The sources of an option's value: "command:--name" first, then "--name".
std::vector<std::string> value_sources(const CompletionSpec& spec, std::string_view command,
                                       const Opt& o) {
  const std::string* v = find(spec.values, std::string(command) + ":" + o.long_name);
  if (v == nullptr) v = find(spec.values, o.long_name);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  size_t pos = 0;
  while (pos < v->size()) {
    const size_t end = std::min(v->find(' ', pos), v->size());
    if (end > pos) out.push_back(v->substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

const WordList* list(const CompletionSpec& spec, std::string_view name) {
  for (const auto& l : spec.lists) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

std::string function_name(std::string_view program) {
  std::string f = "_" + std::string(program);
  std::ranges::replace(f, '-', '_');
  return f;
}

std::string joined_words(const WordList* l) {
  std::string out;
  if (l == nullptr) return out;
  for (const auto& [w, d] : l->words) {
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

// What both shells' writers hold: the output, the app, the spec, the function's name.
class Script {
 public:
  Script(fmt::memory_buffer& out, const CLI::App& app, const CompletionSpec& spec)
      : out_(out), app_(app), spec_(spec), fn_(function_name(spec.program)) {}

 protected:
  template <typename... T>
  void put(fmt::format_string<T...> f, T&&... args) {
    fmt::format_to(std::back_inserter(out_), f, std::forward<T>(args)...);
  }
  // The command that prints the script, for its first line.
  std::string generator(std::string_view shell) const {
    return spec_.program == "tcpscope" ? "tcpscope completion " + std::string(shell)
                                       : spec_.program + " --completion " + std::string(shell);
  }

  fmt::memory_buffer& out_;
  const CLI::App& app_;
  const CompletionSpec& spec_;
  std::string fn_;
};

// ---------------------------------------------------------------------------------------------
// bash

class Bash : Script {
 public:
  using Script::Script;

  void write() {
    put("# bash completion for {0}; generated from its command line by `{1}`.\n", spec_.program,
        generator("bash"));
    put("{0}_netns() {{\n  local d\n  for d in /var/run/netns/*; do\n"
        "    [[ -e $d ]] && printf '%s\\n' \"${{d##*/}}\"\n  done\n}}\n\n",
        fn_);
    put("{0}() {{\n", fn_);
    put("  local cur=${{COMP_WORDS[COMP_CWORD]}} prev='' cmd='' i w words=''\n");
    put("  ((COMP_CWORD > 0)) && prev=${{COMP_WORDS[COMP_CWORD - 1]}}\n");
    // `--format=js`: bash splits at '=' (COMP_WORDBREAKS), the option is two words back.
    put("  if [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
        "    prev=${{COMP_WORDS[COMP_CWORD - 2]}}\n  fi\n");
    const auto global = options_of(app_);
    const auto commands = commands_of(app_);
    if (!commands.empty()) {
      put("  for ((i = 1; i < COMP_CWORD; i++)); do\n    w=${{COMP_WORDS[i]}}\n    case $w in\n");
      const std::string with_value = value_pattern(global);
      if (!with_value.empty()) put("      {}) ((i++)) ;;\n", with_value);
      put("      -*) ;;\n      *)\n        cmd=$w\n        break\n        ;;\n    esac\n  done\n");
    }
    put("  case $cmd in\n");
    write_command("", app_, {}, commands);
    for (const CLI::App* c : commands) {
      const std::string* d = find(spec_.delegates, c->get_name());
      if (d != nullptr) {
        write_delegate(c->get_name(), *d);
      } else {
        write_command(c->get_name(), *c, global, {});
      }
    }
    put("  esac\n");
    put("  COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n}}\n");
    put("complete -F {0} {1}\n", fn_, spec_.program);
  }

 private:
  static std::string value_pattern(const std::vector<Opt>& opts) {
    std::string p;
    for (const auto& o : opts) {
      if (!o.takes_value) continue;
      for (const auto& n : o.names) p += (p.empty() ? "" : "|") + n;
    }
    return p;
  }

  // The case branch of one command: the value after an option, its options, its operands.
  // `inherited` are the program's options, which every command takes too (CLI11 fallthrough).
  void write_command(const std::string& name, const CLI::App& app,
                     const std::vector<Opt>& inherited, const std::vector<const CLI::App*>& subs) {
    std::vector<Opt> opts = options_of(app);
    for (const auto& o : inherited) {  // --help is the command's own
      const bool own = std::ranges::any_of(opts, [&](const Opt& mine) {
        return std::ranges::find_first_of(mine.names, o.names) != mine.names.end();
      });
      if (!own) opts.push_back(o);
    }
    put("    {})\n", name.empty() ? "''" : name);
    put("      case $prev in\n");
    std::string free_text;  // options whose value the shell cannot guess
    for (const auto& o : opts) {
      if (!o.takes_value) continue;
      std::string pattern;
      for (const auto& n : o.names) pattern += (pattern.empty() ? "" : "|") + n;
      if (o.set.empty() && value_sources(spec_, name, o).empty()) {
        free_text += (free_text.empty() ? "" : "|") + pattern;
        continue;
      }
      put("        {})\n", pattern);
      write_value(name, o);
      put("          return\n          ;;\n");
    }
    if (!free_text.empty()) put("        {})\n          return\n          ;;\n", free_text);
    put("      esac\n");
    std::string flags;
    for (const auto& o : opts) {
      for (const auto& n : o.names) flags += (flags.empty() ? "" : " ") + n;
    }
    put("      if [[ $cur == -* ]]; then\n        words='{}'\n", flags);
    if (!subs.empty()) {
      std::string names;
      for (const CLI::App* s : subs) names += (names.empty() ? "" : " ") + s->get_name();
      put("      else\n        words='{}'\n", names);
    } else if (const std::string* operand = find(spec_.operands, name)) {
      put("      else\n");
      if (*operand == "@filter") {
        put("        case $prev in\n          state | exclude | excl) words='{}' ;;\n"
            "          *) words='{} state exclude' ;;\n        esac\n",
            joined_words(list(spec_, "states")), joined_words(list(spec_, "filter")));
      } else {
        put("        words='{}'\n", joined_words(list(spec_, *operand)));
      }
    }
    put("      fi\n      ;;\n");
  }

  void write_value(const std::string& command, const Opt& o) {
    std::string words;
    std::string compgen;
    bool nospace = false;
    for (const auto& w : o.set) words += (words.empty() ? "" : " ") + w;
    for (const auto& src : value_sources(spec_, command, o)) {
      if (src == "@file") {
        compgen = "-f";
      } else if (src == "@dir") {
        compgen = "-d";
      } else if (src == "@netns") {
        words += (words.empty() ? "" : " ") + std::string("$(") + fn_ + "_netns)";
      } else if (const WordList* l = list(spec_, src)) {
        const std::string w = joined_words(l);
        words += (words.empty() ? "" : " ") + w;
        nospace = nospace || w.find('=') != std::string::npos;
      }
    }
    if (!compgen.empty()) {
      put("          compopt -o filenames 2>/dev/null\n");
      put("          COMPREPLY=($(compgen {} -- \"$cur\"))\n", compgen);
    } else if (!words.empty()) {
      // NAME= words (thresholds): the value follows without a space.
      if (nospace) put("          compopt -o nospace 2>/dev/null\n");
      put("          COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))\n", words);
    }
  }

  void write_delegate(const std::string& name, const std::string& program) {
    const std::string f = function_name(program);
    put("    {})\n", name);
    put("      # {0} runs {1}: its own completion (loaded by bash-completion when installed).\n",
        name, program);
    put("      if ! declare -F {0} >/dev/null && declare -F __load_completion >/dev/null; then\n"
        "        __load_completion {1}\n      fi\n",
        f, program);
    put("      declare -F {0} >/dev/null && {0}\n      return\n      ;;\n", f);
  }
};

// ---------------------------------------------------------------------------------------------
// zsh

// Text inside '...' of a zsh word, and inside an _arguments description [...].
std::string zquote(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else if (c == '[' || c == ']' || c == ':' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

class Zsh : Script {
 public:
  using Script::Script;

  void write() {
    put("#compdef {}\n", spec_.program);
    put("# zsh completion for {0}; generated from its command line by `{1}`.\n\n", spec_.program,
        generator("zsh"));
    put("{0}_netns() {{\n  local -a ns\n  ns=(/var/run/netns/*(N:t))\n"
        "  _describe -t netns 'network namespace' ns \"$@\"\n}}\n\n",
        fn_);
    for (const auto& l : spec_.lists) {
      put("{0}_list_{1}() {{\n  local -a w\n  w=(\n", fn_, ident(l.name));
      for (const auto& [w, d] : l.words) {
        put("    '{}{}{}'\n", zword(w), d.empty() ? "" : ":", zquote_plain(d));
      }
      put("  )\n  _describe -t {0} '{1}' w{2}\n}}\n\n", ident(l.name), zquote_plain(l.name),
          l.name == "thresholds" ? " -S ''" : "");
    }
    put("{0}_filter() {{\n  case $words[CURRENT-1] in\n    (state|exclude|excl) {0}_list_states "
        ";;\n"
        "    (*)\n      local -a w=(state exclude)\n      _describe -t keywords 'filter keyword' "
        "w\n"
        "      {0}_list_filter\n      ;;\n  esac\n}}\n\n",
        fn_);

    const auto global = options_of(app_);
    const auto commands = commands_of(app_);
    put("{}() {{\n", fn_);
    put("  local curcontext=$curcontext state state_descr line ret=1\n  local -A opt_args\n");
    put("  local -a global=(\n");
    for (const auto& o : global) put("    {}\n", spec(o, ""));
    put("  )\n");
    if (commands.empty()) {
      put("  _arguments -s -S $global{} && ret=0\n", operand_spec(""));
      put("  return ret\n}}\n\n{} \"$@\"\n", fn_);
      return;
    }
    put("  _arguments -C -s -S $global ': :->command' '*:: :->argument' && ret=0\n");
    put("  case $state in\n    (command)\n      local -a commands=(\n");
    for (const CLI::App* c : commands) {
      put("        '{}:{}'\n", c->get_name(), zquote_plain(c->get_description()));
    }
    put("      )\n      _describe -t commands '{} command' commands && ret=0\n      ;;\n",
        spec_.program);
    put("    (argument)\n      curcontext=${{curcontext%:*:*}}:{}-$words[1]:\n", spec_.program);
    put("      case $words[1] in\n");
    for (const CLI::App* c : commands) {
      const std::string name = c->get_name();
      put("        ({})\n", name);
      if (const std::string* d = find(spec_.delegates, name)) {
        const std::string f = function_name(*d);
        put("          if (( $+functions[{0}] )); then\n            {0} && ret=0\n"
            "          else\n            autoload -Uz +X _{1} 2>/dev/null && _{1} && ret=0\n"
            "          fi\n          ;;\n",
            f, *d);
        continue;
      }
      put("          _arguments -s -S $global \\\n");
      for (const auto& o : options_of(*c)) {
        const bool in_global = std::ranges::any_of(global, [&](const Opt& g) {
          return std::ranges::find_first_of(g.names, o.names) != g.names.end();
        });
        if (!in_global) put("            {} \\\n", spec(o, name));
      }
      put("            {} && ret=0\n          ;;\n", operand_spec(name));
    }
    put("      esac\n      ;;\n  esac\n  return ret\n}}\n\n");
    put("{} \"$@\"\n", fn_);
  }

 private:
  static std::string ident(std::string_view s) {
    std::string out(s);
    std::ranges::replace(out, '-', '_');
    return out;
  }
  // A word in '...' before its description: ':' would end it.
  static std::string zword(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == ':') out += '\\';
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    return out;
  }
  // A description in '...' where only the quote matters.
  static std::string zquote_plain(std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    return out;
  }

  // One _arguments spec: '(-t --tcp)'{-t,--tcp}'[TCP sockets]', with ':message:action' when
  // the option takes a value.
  std::string spec(const Opt& o, const std::string& command) {
    std::string names;
    for (const auto& n : o.names) {
      std::string form = n;
      if (o.takes_value) form += n.starts_with("--") ? "=" : "+";
      names += (names.empty() ? "" : ",") + form;
    }
    std::string exclusion;
    if (o.repeatable) {
      exclusion = "*";
    } else if (o.names.size() > 1) {
      exclusion = "(";
      for (const auto& n : o.names) exclusion += (exclusion.size() > 1 ? " " : "") + n;
      exclusion += ")";
    }
    std::string s =
        o.names.size() > 1 ? "'" + exclusion + "'{" + names + "}'" : "'" + exclusion + names;
    s += "[" + zquote(o.description) + "]";
    if (o.takes_value) {
      std::string message = o.long_name.substr(o.long_name.find_first_not_of('-'));
      s += ":" + message + ":" + action(o, command);
    }
    return s + "'";
  }

  std::string action(const Opt& o, const std::string& command) {
    if (!o.set.empty()) {
      std::string a = "(";
      for (const auto& w : o.set) a += (a.size() > 1 ? " " : "") + w;
      return a + ")";
    }
    std::string a;
    for (const auto& src : value_sources(spec_, command, o)) {
      std::string one;
      if (src == "@file") {
        one = "_files";
      } else if (src == "@dir") {
        one = "_files -/";
      } else if (src == "@netns") {
        one = fn_ + "_netns";
      } else if (list(spec_, src) != nullptr) {
        one = fn_ + "_list_" + ident(src);
      }
      if (one.empty()) continue;
      a += a.empty() ? one : "; " + one;
    }
    if (a.find(';') != std::string::npos) a = "{" + a + "}";
    return a.empty() ? " " : a;
  }

  std::string operand_spec(const std::string& command) {
    const std::string* operand = find(spec_.operands, command);
    if (operand == nullptr) return "";
    if (*operand == "@filter") return " '*:filter:" + fn_ + "_filter'";
    return " '*:" + ident(*operand) + ":" + fn_ + "_list_" + ident(*operand) + "'";
  }
};

}  // namespace

Status append_completion(fmt::memory_buffer& out, std::string_view shell, const CLI::App& app,
                         const CompletionSpec& spec) {
  if (shell == "bash") {
    Bash(out, app, spec).write();
  } else if (shell == "zsh") {
    Zsh(out, app, spec).write();
  } else {
    return fail(Error::usage("completion: \"" + std::string(shell) + "\" is not bash or zsh"));
  }
  return {};
}

}  // namespace tcpscope::cli
