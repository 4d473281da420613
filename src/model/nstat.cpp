#include "model/nstat.hpp"

#include <charconv>
#include <cstdio>

namespace tcpscope::model::nstat {

namespace {

void append_u64(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void pad_to(std::string& out, size_t line_start, size_t column) {
  const size_t used = out.size() - line_start;
  if (used < column) out.append(column - used, ' ');
}

void append_rate(std::string& out, const char* format, double rate) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, format, rate);
  if (n > 0) out.append(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
}

// Counter names come from the kernel (letters and digits); escape anyway so the output is JSON
// whatever a file says.
void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

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

void append_text(std::string& out, std::string_view header, const CounterSnapshot& snap,
                 std::span<const Row> rows) {
  out.push_back('#');
  out.append(header);
  out.push_back('\n');
  for (const Row& r : rows) {
    const size_t start = out.size();
    out.append(snap.name(r.index));
    pad_to(out, start, 32);
    const size_t value_start = out.size();
    append_u64(out, r.value);
    pad_to(out, value_start, 16);
    append_rate(out, "%6.1f", r.rate);
    if (r.overflow) out.append(" (overflow)");
    out.push_back('\n');
  }
}

void append_json(std::string& out, std::string_view source, const CounterSnapshot& snap,
                 std::span<const Row> rows, bool pretty) {
  if (!pretty) {
    out.append("{");
    append_json_string(out, source);
    out.append(":{");
    bool first = true;
    for (const Row& r : rows) {
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, snap.name(r.index));
      out.push_back(':');
      append_u64(out, r.value);
    }
    out.append("}}\n");
    return;
  }
  // iproute2's json_writer: 4 spaces per level, "key": value, an empty object stays "{}".
  out.append("{\n    ");
  append_json_string(out, source);
  out.append(": {");
  bool first = true;
  for (const Row& r : rows) {
    out.append(first ? "\n        " : ",\n        ");
    first = false;
    append_json_string(out, snap.name(r.index));
    out.append(": ");
    append_u64(out, r.value);
  }
  out.append(first ? "}\n}\n" : "\n    }\n}\n");
}

void append_interval_json(std::string& out, std::string_view source, const CounterSnapshot& snap,
                          std::span<const Row> rows, double seconds, bool pretty) {
  const char* nl1 = pretty ? "\n    " : "";
  const char* nl2 = pretty ? "\n        " : "";
  const char* colon = pretty ? ": " : ":";
  auto object = [&](bool rates) {
    out.push_back('{');
    bool first = true;
    for (const Row& r : rows) {
      if (!first) out.push_back(',');
      first = false;
      out.append(nl2);
      append_json_string(out, snap.name(r.index));
      out.append(colon);
      if (rates) {
        append_rate(out, "%.2f", r.rate);
      } else {
        append_u64(out, r.value);
      }
    }
    if (!first) out.append(nl1);
    out.push_back('}');
  };
  out.push_back('{');
  out.append(nl1);
  append_json_string(out, source);
  out.append(colon);
  object(false);
  out.push_back(',');
  out.append(nl1);
  out.append("\"rates\"").append(colon);
  object(true);
  out.push_back(',');
  out.append(nl1);
  out.append("\"seconds\"").append(colon);
  append_rate(out, "%.3f", seconds);
  out.append(pretty ? "\n}\n" : "}\n");
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

void append_history(std::string& out, std::string_view source, const CounterSnapshot& counters) {
  out.push_back('#');
  out.append(source);
  out.push_back('\n');
  for (size_t i = 0; i < counters.size(); ++i) {
    const size_t start = out.size();
    out.append(counters.name(i));
    pad_to(out, start, 32);
    // nstat's "%-32s" glues a name of 32+ characters to its value, which then cannot be read
    // back; keep a separator (kernel names have at most 31 characters, so this changes nothing
    // for them).
    if (out.size() - start == counters.name(i).size()) out.push_back(' ');
    const size_t value_start = out.size();
    append_u64(out, counters.value(i));
    pad_to(out, value_start, 16);
    out.append("   0.0\n");
  }
}

std::string source_line(uint64_t netns_inode) {
  std::string s(kSource);
  if (netns_inode != 0) {
    s.append(" netns=");
    append_u64(s, netns_inode);
  }
  return s;
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
