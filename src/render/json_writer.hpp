// SPDX-License-Identifier: MIT
// The one JSON writer: every JSON document tcpscope prints (summary, sysctl, counters, the
// doctor, the agent's JSON lines) is streamed through a JsonWriter into a fmt::memory_buffer,
// and every string goes through one escaper, append_json_string(). No DOM is built.
//
//   fmt::memory_buffer b;
//   render::JsonWriter w(b, 2);                    // block containers indent by 2 per level
//   w.begin_object(render::Layout::kBlock);
//   w.key("netns").null();
//   w.key("total").begin_object(render::Layout::kInline);
//   w.key("ipv4").value(7u);
//   w.end_object();
//   w.end_object();                                // {\n  "netns": null,\n  "total": {"ipv4":
//   7}\n}
//
// Each container picks its own layout, so a document can be indented at the top and inline
// further down (as ss and nstat print theirs). Common mistake: writing a member without key()
// inside an object, or a key() inside an array; both break the invariant and abort.
//
// The sockets' own JSON (render/json.cpp) writes its compact objects with a specialised writer
// (one resize per member, it runs per socket) over the same escaper.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tcpscope::render {

// Appends `s` as a JSON string literal: quotes, `"` `\` and control characters escaped, valid
// UTF-8 passed through, each byte of an invalid UTF-8 sequence replaced by \ufffd (interface
// names, cgroup paths and file contents are arbitrary bytes).
void append_json_string(fmt::memory_buffer& out, std::string_view s);

enum class Layout : uint8_t {
  kCompact,  // {"a":1,"b":2}
  kInline,   // {"a": 1, "b": 2}
  kBlock,    // one member per line, indented by the writer's width per nesting level
};

class JsonWriter {
 public:
  // `indent`: spaces per nesting level for kBlock containers.
  explicit JsonWriter(fmt::memory_buffer& out, int indent = 2) : out_(out), indent_(indent) {}

  JsonWriter& begin_object(Layout layout);
  JsonWriter& end_object();
  JsonWriter& begin_array(Layout layout);
  JsonWriter& end_array();

  // The next member's key, inside an object.
  JsonWriter& key(std::string_view k);

  JsonWriter& string(std::string_view v);
  JsonWriter& value(uint64_t v);
  JsonWriter& value(int64_t v);
  JsonWriter& value(uint32_t v) { return value(uint64_t{v}); }
  JsonWriter& value(int v) { return value(int64_t{v}); }
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // A string, or null when it is empty (a namespace's label: null for tcpscope's own).
  JsonWriter& string_or_null(std::string_view v) { return v.empty() ? null() : string(v); }
  // A fixed-point number with `decimals` digits after the point ("%.1f"); null when not finite.
  JsonWriter& fixed(double v, int decimals);
  template <typename T>
  JsonWriter& optional(const std::optional<T>& v) {
    return v ? value(*v) : null();
  }
  // Text that is already a JSON value (a number formatted by the caller).
  JsonWriter& raw(std::string_view text);

  fmt::memory_buffer& buffer() { return out_; }
  bool done() const { return stack_.empty(); }

 private:
  struct Frame {
    Layout layout;
    bool object;
    bool empty = true;
  };
  void before_value();  // the separator and indentation before a value or a key
  void value_start();   // before_value() for a value, which inside an object must follow a key
  void newline(size_t depth);
  JsonWriter& open(char c, Layout layout, bool object);
  JsonWriter& close(char c, bool object);

  fmt::memory_buffer& out_;
  int indent_;
  std::vector<Frame> stack_;
  bool after_key_ = false;
};

// `json` (a complete document, as JsonWriter writes it) without the whitespace between tokens:
// one line, for JSON Lines. Strings are copied as they are (a newline in one is escaped).
void append_compact_json(fmt::memory_buffer& out, std::string_view json);

}  // namespace tcpscope::render
