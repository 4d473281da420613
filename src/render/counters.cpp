// SPDX-License-Identifier: MIT
#include "render/counters.hpp"

#include <cstdio>
#include <string>

#include "render/append.hpp"
#include "render/json_writer.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using model::nstat::Row;

void pad_to(fmt::memory_buffer& out, size_t line_start, size_t column) {
  const size_t used = out.size() - line_start;
  if (used < column) {
    const size_t size = out.size();
    out.resize(size + column - used);
    std::fill(out.data() + size, out.data() + out.size(), ' ');
  }
}

// printf's rendering of a rate ("%6.1f", "%.2f"): nstat's own format strings.
void put_rate(fmt::memory_buffer& out, const char* format, double rate) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof buf, format, rate);
  if (n > 0) put(out, std::string_view(buf, std::min(static_cast<size_t>(n), sizeof buf - 1)));
}

// One line of nstat's text: "%-32s%-16llu" then the rate column.
void nstat_line(fmt::memory_buffer& out, std::string_view name, uint64_t value) {
  const size_t start = out.size();
  put(out, name);
  pad_to(out, start, 32);
  const size_t value_start = out.size();
  detail::put_int(out, value);
  pad_to(out, value_start, 16);
}

// Appends `text` wrapped at `width` columns, every line indented by `indent` spaces.
void append_wrapped(fmt::memory_buffer& out, std::string_view text, size_t indent, size_t width) {
  size_t col = 0;
  while (!text.empty()) {
    const size_t sp = text.find(' ');
    const std::string_view word = text.substr(0, sp);
    text.remove_prefix(sp == std::string_view::npos ? text.size() : sp + 1);
    if (word.empty()) continue;
    if (col > 0 && col + 1 + word.size() > width) {
      put(out, '\n');
      col = 0;
    }
    if (col == 0) {
      pad_to(out, out.size(), indent);
      col = indent;
    } else {
      put(out, ' ');
      ++col;
    }
    put(out, word);
    col += word.size();
  }
  if (col > 0) put(out, '\n');
}

std::string describe_default(const model::TunableInfo& t) {
  if (!t.has_default) return std::string(t.default_note);
  std::string s;
  for (uint8_t i = 0; i < t.count; ++i) {
    if (i) s.push_back(' ');
    s.append(std::to_string(t.default_values[i]));
  }
  return s;
}

}  // namespace

void append_nstat_text(fmt::memory_buffer& out, std::string_view header,
                       const model::CounterSnapshot& snap, std::span<const Row> rows) {
  put(out, '#');
  put(out, header);
  put(out, '\n');
  for (const Row& r : rows) {
    nstat_line(out, snap.name(r.index), r.value);
    put_rate(out, "%6.1f", r.rate);
    if (r.overflow) put(out, " (overflow)");
    put(out, '\n');
  }
}

void append_nstat_json(fmt::memory_buffer& out, std::string_view source,
                       const model::CounterSnapshot& snap, std::span<const Row> rows, bool pretty) {
  const Layout layout = pretty ? Layout::kBlock : Layout::kCompact;
  JsonWriter w(out, 4);
  w.begin_object(layout);
  w.key(source).begin_object(layout);
  for (const Row& r : rows) w.key(snap.name(r.index)).value(r.value);
  w.end_object();
  w.end_object();
  put(out, '\n');
}

void append_nstat_interval_json(fmt::memory_buffer& out, std::string_view source,
                                const model::CounterSnapshot& snap, std::span<const Row> rows,
                                double seconds, bool pretty) {
  const Layout layout = pretty ? Layout::kBlock : Layout::kCompact;
  fmt::memory_buffer number;
  JsonWriter w(out, 4);
  w.begin_object(layout);
  w.key(source).begin_object(layout);
  for (const Row& r : rows) w.key(snap.name(r.index)).value(r.value);
  w.end_object();
  w.key("rates").begin_object(layout);
  for (const Row& r : rows) {
    number.clear();
    put_rate(number, "%.2f", r.rate);
    w.key(snap.name(r.index)).raw(std::string_view(number.data(), number.size()));
  }
  w.end_object();
  number.clear();
  put_rate(number, "%.3f", seconds);
  w.key("seconds").raw(std::string_view(number.data(), number.size()));
  w.end_object();
  put(out, '\n');
}

void append_nstat_history(fmt::memory_buffer& out, std::string_view source,
                          const model::CounterSnapshot& counters) {
  put(out, '#');
  put(out, source);
  put(out, '\n');
  for (size_t i = 0; i < counters.size(); ++i) {
    const std::string_view name = counters.name(i);
    const size_t start = out.size();
    put(out, name);
    pad_to(out, start, 32);
    // nstat's "%-32s" glues a name of 32+ characters to its value, which then cannot be read
    // back; keep a separator (kernel names have at most 31 characters, so this changes nothing
    // for them).
    if (out.size() - start == name.size()) put(out, ' ');
    const size_t value_start = out.size();
    detail::put_int(out, counters.value(i));
    pad_to(out, value_start, 16);
    put(out, "   0.0\n");
  }
}

void append_counter_explanation(fmt::memory_buffer& out, const CounterExplanation& e) {
  auto o = fmt::appender(out);
  put(out, e.name);
  if (e.info != nullptr) fmt::format_to(o, " ({})", e.info->short_name);
  put(out, '\n');
  if (e.value) {
    fmt::format_to(o, "  value: {}", *e.value);
    put(out, e.info != nullptr && e.info->gauge
                 ? " (current level in this network namespace)\n"
                 : " (total since this network namespace was created)\n");
  } else if (e.have_values) {
    put(out, "  not present in this kernel's counter files\n");
  }
  if (e.info == nullptr) {
    put(out, "\nNo built-in explanation for this counter yet.\n");
    return;
  }
  const model::CounterInfo& info = *e.info;
  put(out, "\nWhat increments it\n");
  append_wrapped(out, info.increments, 2, 98);
  put(out, "\nWhat it means\n");
  append_wrapped(out, info.meaning, 2, 98);
  if (!info.related.empty() || !e.related.empty()) put(out, "\nRelated settings\n");
  if (!info.related.empty()) append_wrapped(out, info.related, 2, 98);
  for (size_t i = 0; i < e.related.size(); ++i) {
    const model::TunableInfo& t = e.related[i];
    fmt::format_to(o, "  {} = ", t.name);
    if (i < e.values.size() && e.values[i].present) {
      put(out, model::format_tunable(t, e.values[i]));
    } else if (t.scope == model::TunableScope::kGlobal) {
      put(out, "n/a here (global: read it in the initial network namespace)");
    } else {
      put(out, "n/a");
    }
    fmt::format_to(o, "  [default {}; {}]\n", describe_default(t), model::scope_name(t.scope));
  }
}

}  // namespace tcpscope::render
