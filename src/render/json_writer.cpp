// SPDX-License-Identifier: MIT
#include "render/json_writer.hpp"

#include <fmt/compile.h>

#include <cassert>
#include <cmath>
#include <cstring>

#include "render/append.hpp"

namespace tcpscope::render {

namespace {

using detail::put;

// Writes the JSON escape of an ASCII byte that cannot appear raw in a string.
void put_escaped_control(fmt::memory_buffer& out, unsigned char c) {
  switch (c) {
    case '"':
      put(out, "\\\"");
      return;
    case '\\':
      put(out, "\\\\");
      return;
    case '\b':
      put(out, "\\b");
      return;
    case '\f':
      put(out, "\\f");
      return;
    case '\n':
      put(out, "\\n");
      return;
    case '\r':
      put(out, "\\r");
      return;
    case '\t':
      put(out, "\\t");
      return;
    default:
      fmt::format_to(fmt::appender(out), FMT_COMPILE("\\u{:04x}"), c);
  }
}

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

void append_json_string(fmt::memory_buffer& out, std::string_view s) {
  put(out, '"');
  size_t run = 0;  // start of the pending run of bytes copied as they are
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = utf8_sequence_length(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
    }
    put(out, s.substr(run, i - run));
    if (c >= 0x80) {
      put(out, "\\ufffd");
    } else {
      put_escaped_control(out, c);
    }
    run = ++i;
  }
  put(out, s.substr(run));
  put(out, '"');
}

void JsonWriter::newline(size_t depth) {
  put(out_, '\n');
  const size_t size = out_.size();
  const size_t n = depth * static_cast<size_t>(indent_);
  out_.resize(size + n);
  std::memset(out_.data() + size, ' ', n);
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  Frame& f = stack_.back();
  if (!f.empty) put(out_, f.layout == Layout::kInline ? ", " : ",");
  if (f.layout == Layout::kBlock) newline(stack_.size());
  f.empty = false;
}

void JsonWriter::value_start() {
  assert((stack_.empty() || !stack_.back().object || after_key_) && "a member needs a key");
  before_value();
}

JsonWriter& JsonWriter::open(char c, Layout layout, bool object) {
  value_start();
  put(out_, c);
  stack_.push_back(Frame{layout, object});
  return *this;
}

JsonWriter& JsonWriter::close(char c, [[maybe_unused]] bool object) {
  assert(!stack_.empty() && stack_.back().object == object && !after_key_ && "unbalanced close");
  const Frame f = stack_.back();
  stack_.pop_back();
  if (f.layout == Layout::kBlock && !f.empty) newline(stack_.size());
  put(out_, c);
  return *this;
}

JsonWriter& JsonWriter::begin_object(Layout layout) { return open('{', layout, true); }
JsonWriter& JsonWriter::end_object() { return close('}', true); }
JsonWriter& JsonWriter::begin_array(Layout layout) { return open('[', layout, false); }
JsonWriter& JsonWriter::end_array() { return close(']', false); }

JsonWriter& JsonWriter::key(std::string_view k) {
  assert(!stack_.empty() && stack_.back().object && !after_key_ && "a key belongs in an object");
  before_value();
  append_json_string(out_, k);
  put(out_, stack_.back().layout == Layout::kCompact ? ":" : ": ");
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view text) {
  value_start();
  put(out_, text);
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view v) {
  value_start();
  append_json_string(out_, v);
  return *this;
}

JsonWriter& JsonWriter::value(uint64_t v) {
  value_start();
  detail::put_int(out_, v);
  return *this;
}

JsonWriter& JsonWriter::value(int64_t v) {
  value_start();
  fmt::format_to(fmt::appender(out_), FMT_COMPILE("{}"), v);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool v) { return raw(v ? "true" : "false"); }
JsonWriter& JsonWriter::null() { return raw("null"); }

JsonWriter& JsonWriter::fixed(double v, int decimals) {
  if (!std::isfinite(v)) return null();
  value_start();
  fmt::format_to(fmt::appender(out_), FMT_COMPILE("{:.{}f}"), v, decimals);
  return *this;
}

void append_compact_json(fmt::memory_buffer& out, std::string_view json) {
  bool in_string = false;
  bool escaped = false;
  for (const char c : json) {
    if (in_string) {
      out.push_back(c);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') continue;
    if (c == '"') in_string = true;
    out.push_back(c);
  }
}

}  // namespace tcpscope::render
