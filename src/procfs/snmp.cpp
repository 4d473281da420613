// SPDX-License-Identifier: MIT
#include "procfs/snmp.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include "base/file.hpp"
#include "procfs/text.hpp"

namespace tcpscope::procfs {

namespace {

Error bad_line(std::string_view what, std::string_view line) {
  std::string m("malformed counter line: ");
  m.append(what).append(": ").append(quote(line));
  return Error::malformed(std::move(m));
}

// Unsigned decimal; "-N" wraps to 2^64 - N as strtoull does (nstat reads values that way).
std::optional<uint64_t> parse_value(std::string_view tok) {
  if (!tok.empty() && tok.front() == '-') {
    auto v = parse_u64(tok.substr(1));
    if (!v) return std::nullopt;
    return uint64_t{0} - *v;
  }
  return parse_u64(tok);
}

// The prefix of a table line ("TcpExt" of "TcpExt: ..."), empty when the first token is not
// "<non-empty>:".
std::string_view line_prefix(std::string_view first_token) {
  if (first_token.size() < 2 || first_token.back() != ':') return {};
  return first_token.substr(0, first_token.size() - 1);
}

size_t count_tokens(std::string_view rest) {
  size_t n = 0;
  while (!next_token(rest).empty()) ++n;
  return n;
}

// Pairs one header line with its value line by position.
Status parse_pair(std::string_view header, std::string_view values, CounterFn fn) {
  std::string_view names = header;
  const std::string_view prefix = line_prefix(next_token(names));
  if (prefix.empty()) return fail(bad_line("expected \"Prefix:\" first", header));
  std::string_view vals = values;
  const std::string_view vprefix = line_prefix(next_token(vals));
  if (vprefix != prefix) {
    return fail(
        bad_line("value line does not follow its header \"" + std::string(prefix) + ":\"", values));
  }
  std::array<char, kMaxCounterName> buf;
  std::memcpy(buf.data(), prefix.data(), std::min(prefix.size(), buf.size()));
  for (;;) {
    const std::string_view name = next_token(names);
    const std::string_view value = next_token(vals);
    if (name.empty() != value.empty()) {
      return fail(bad_line(std::to_string(count_tokens(header) - 1) + " names but " +
                               std::to_string(count_tokens(values) - 1) + " values",
                           values));
    }
    if (name.empty()) return {};
    if (prefix.size() + name.size() > buf.size()) {
      return fail(bad_line("counter name too long", header));
    }
    auto v = parse_value(value);
    if (!v) return fail(bad_line("bad value for " + std::string(name), values));
    std::memcpy(buf.data() + prefix.size(), name.data(), name.size());
    fn(std::string_view(buf.data(), prefix.size() + name.size()), *v);
  }
}

}  // namespace

Status parse_snmp_table(std::string_view content, CounterFn fn) {
  std::string_view line;
  while (next_line(content, line)) {
    if (trim(line).empty()) continue;
    std::string_view values;
    if (!next_line(content, values)) return fail(bad_line("header without a value line", line));
    if (auto st = parse_pair(line, values, fn); !st) return st;
  }
  return {};
}

Status parse_snmp_list(std::string_view content, CounterFn fn) {
  std::string_view line;
  while (next_line(content, line)) {
    std::string_view rest = line;
    const std::string_view name = next_token(rest);
    if (name.empty()) continue;
    const std::string_view value = next_token(rest);
    if (value.empty()) return fail(bad_line("name without a value", line));
    if (!next_token(rest).empty()) return fail(bad_line("more than a name and a value", line));
    auto v = parse_value(value);
    if (!v) return fail(bad_line("bad value", line));
    fn(name, *v);
  }
  return {};
}

Result<std::optional<uint64_t>> find_counter(std::string_view table_content,
                                             std::string_view name) {
  std::optional<uint64_t> found;
  auto st = parse_snmp_table(table_content, [&](std::string_view n, uint64_t v) {
    if (!found && n == name) found = v;
  });
  if (!st) return fail(std::move(st.error()));
  return found;
}

Status read_counters(std::string_view proc_root, std::string& buffer, CounterFn fn) {
  struct File {
    const char* name;
    bool list;
  };
  static constexpr File kFiles[] = {{"snmp", false}, {"snmp6", true}, {"netstat", false}};
  std::string path;
  int found = 0;
  for (const File& f : kFiles) {
    path.assign(proc_root).append("/net/").append(f.name);
    if (auto st = read_file(path.c_str(), buffer); !st) {
      if (st.error().err() == ENOENT) continue;
      return st;
    }
    ++found;
    auto st = f.list ? parse_snmp_list(buffer, fn) : parse_snmp_table(buffer, fn);
    if (!st) return fail(std::move(st.error()).context(path));
  }
  // A kernel without IPv6 lacks snmp6, but none of the three means a wrong proc root.
  if (found == 0) {
    return fail(Error(ErrorKind::kRuntime,
                      "no counters under " + std::string(proc_root) +
                          "/net (snmp, snmp6, netstat): not a proc root?",
                      ENOENT));
  }
  return {};
}

}  // namespace tcpscope::procfs
