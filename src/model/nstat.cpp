// SPDX-License-Identifier: MIT
#include "model/nstat.hpp"

#include <charconv>
#include <cstdio>

namespace tcpscope::model::nstat {

namespace {

std::string_view first_word(std::string_view s) { return s.substr(0, s.find(' ')); }

std::string_view trim_blank(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view next_field(std::string_view& rest) {
  size_t b = 0;
  while (b < rest.size() && (rest[b] == ' ' || rest[b] == '\t' || rest[b] == '\r')) ++b;
  size_t e = b;
  while (e < rest.size() && rest[e] != ' ' && rest[e] != '\t' && rest[e] != '\r') ++e;
  std::string_view f = rest.substr(b, e - b);
  rest.remove_prefix(e);
  return f;
}

Error bad_history_line(size_t line_no, std::string_view what) {
  std::string m = "history line ";
  m.append(std::to_string(line_no)).append(": ").append(what);
  return Error::malformed(std::move(m));
}

}  // namespace

void select_rows(const CounterSnapshot& current, const CounterSnapshot* history,
                 const Options& opts, const CounterPatterns& patterns, std::vector<Row>& rows) {
  rows.clear();
  const bool deltas = history != nullptr && !opts.absolute;
  size_t hint = 0;
  for (size_t i = 0; i < current.size(); ++i) {
    const std::string_view name = current.name(i);
    Row r;
    r.index = static_cast<uint32_t>(i);
    r.value = current.value(i);
    if (nstat_hides(name)) {
      if (patterns.names_exactly(name)) rows.push_back(r);
      continue;
    }
    if (deltas) {
      if (auto h = history->find(name, hint)) {
        hint = *h + 1;
        const uint64_t before = history->value(*h);
        if (r.value < before) {
          r.overflow = true;
          r.value = 0;
        } else {
          r.value -= before;
        }
      }
    }
    // nstat tests for zero before the pattern; the order does not change the result.
    if (!opts.zeros && r.value == 0 && !r.overflow) continue;
    if (!patterns.matches(name)) continue;
    rows.push_back(r);
  }
}

void select_interval_rows(const CounterSnapshot& current, const CounterDeltas& deltas,
                          const Options& opts, const CounterPatterns& patterns,
                          std::vector<Row>& rows) {
  rows.clear();
  for (const CounterChange& c : deltas.changes()) {
    const std::string_view name = current.name(c.index);
    Row r;
    r.index = c.index;
    r.overflow = c.reset;
    r.rate = deltas.rate(c);
    r.value = opts.absolute ? current.value(c.index) : c.delta;
    if (nstat_hides(name)) {
      if (!patterns.names_exactly(name)) continue;
      // A gauge: its level is the news, not a delta.
      r.value = current.value(c.index);
      r.rate = 0;
      r.overflow = false;
      rows.push_back(r);
      continue;
    }
    if (!opts.zeros && c.delta == 0 && !c.reset) continue;
    if (!patterns.matches(name)) continue;
    rows.push_back(r);
  }
}

void next_history(const CounterSnapshot& current, const CounterSnapshot* history, bool zeros,
                  const CounterPatterns& patterns, CounterSnapshot& out) {
  out.begin(current.taken_ns());
  size_t hint = 0;
  for (size_t i = 0; i < current.size(); ++i) {
    const std::string_view name = current.name(i);
    if (nstat_hides(name)) continue;
    uint64_t v = current.value(i);
    if (!zeros && v == 0) continue;
    if (history != nullptr && !patterns.matches(name)) {
      if (auto h = history->find(name, hint)) {
        hint = *h + 1;
        v = history->value(*h);
      }
    }
    out.add(name, v);
  }
}

Status parse_history(std::string_view content, History& out) {
  out.source.clear();
  out.counters.begin(0);
  size_t line_no = 0;
  while (!content.empty()) {
    const size_t nl = content.find('\n');
    std::string_view line = content.substr(0, nl);
    content.remove_prefix(nl == std::string_view::npos ? content.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.front() == '#') {
      out.source.assign(trim_blank(line.substr(1)));
      continue;
    }
    std::string_view rest = line;
    const std::string_view name = next_field(rest);
    if (name.empty()) continue;
    // Would read back as a source line once written at the start of a line.
    if (name.front() == '#') return fail(bad_history_line(line_no, "a name starting with '#'"));
    const std::string_view value = next_field(rest);
    if (value.empty()) return fail(bad_history_line(line_no, "a name without a value"));
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return fail(bad_history_line(line_no, "value is not a number"));
    }
    // A third field is nstat's rate column; its value does not matter for the kernel source.
    out.counters.add(name, v);
  }
  return {};
}

std::string source_line(uint64_t netns_inode) {
  if (netns_inode == 0) return std::string(kSource);
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%.*s netns=%llu", static_cast<int>(kSource.size()),
                              kSource.data(), static_cast<unsigned long long>(netns_inode));
  return std::string(buf, static_cast<size_t>(n));
}

bool history_stale(std::string_view stored, std::string_view current) {
  if (stored.empty() || stored == current) return false;
  if (first_word(stored) != first_word(current)) return true;
  // Same source; stale only when both name a namespace and they differ.
  return stored.find(" netns=") != std::string_view::npos &&
         current.find(" netns=") != std::string_view::npos;
}

bool history_aged_out(int64_t mtime_s, int64_t now_s, int64_t uptime_s) {
  return uptime_s >= 0 && now_s >= mtime_s + uptime_s;
}

}  // namespace tcpscope::model::nstat
