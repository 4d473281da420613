// SPDX-License-Identifier: MIT
#include "render/sysctl.hpp"

#include <string>
#include <vector>

#include "render/json_writer.hpp"

namespace tcpscope::render {

namespace {

using model::TunableInfo;
using model::TunableValue;

constexpr std::string_view kNotInKernel = "not present in this kernel";

std::string default_text(const TunableInfo& t) {
  if (!t.has_default) return "computed";
  std::string s;
  for (uint8_t i = 0; i < t.count; ++i) {
    if (i) s.push_back(' ');
    s.append(std::to_string(t.default_values[i]));
  }
  return s;
}

std::string_view unavailable_reason(const TunableInfo& t) {
  return t.scope == model::TunableScope::kGlobal ? model::kGlobalUnavailable : kNotInKernel;
}

void numbers(JsonWriter& w, const int64_t* v, uint8_t count) {
  if (count == 1) {
    w.value(v[0]);
    return;
  }
  w.begin_array(Layout::kInline);
  for (uint8_t i = 0; i < count; ++i) w.value(v[i]);
  w.end_array();
}

}  // namespace

void append_sysctl_json(fmt::memory_buffer& b, std::span<const TunableRow> rows,
                        std::string_view netns) {
  JsonWriter w(b, 2);
  w.begin_object(Layout::kBlock);
  w.key("netns");
  w.string_or_null(netns);
  w.key("tunables").begin_array(Layout::kBlock);
  for (const TunableRow& r : rows) {
    const TunableInfo& t = *r.info;
    const TunableValue& v = *r.value;
    w.begin_object(Layout::kInline);
    w.key("name").string(t.name);
    w.key("value");
    if (!v.present) {
      w.null();
    } else if (t.count == 0) {
      w.string(v.text);
    } else {
      numbers(w, v.ints.data(), t.count);
    }
    w.key("default");
    if (t.has_default) {
      numbers(w, t.default_values.data(), t.count);
    } else {
      w.null();
    }
    w.key("default_note");
    w.string_or_null(t.default_note);
    const auto d = model::is_default(t, v);
    w.key("is_default");
    if (d) {
      w.boolean(*d);
    } else {
      w.null();
    }
    w.key("scope").string(model::scope_name(t.scope));
    w.key("available").boolean(v.present);
    w.key("unavailable_reason");
    w.string_or_null(v.present ? std::string_view() : unavailable_reason(t));
    w.key("meaning").string(t.meaning);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  b.push_back('\n');
}

void append_sysctl_text(fmt::memory_buffer& b, std::span<const TunableRow> rows) {
  auto o = fmt::appender(b);
  fmt::format_to(o, "{:<34} {:<24} {:<22} {:<6}  {}\n", "Name", "Value", "Default", "Scope",
                 "Meaning");
  bool any_changed = false;
  bool any_global_missing = false;
  bool any_missing = false;
  std::vector<const TunableInfo*> computed;
  for (const TunableRow& r : rows) {
    const TunableInfo& t = *r.info;
    const TunableValue& v = *r.value;
    std::string value = v.present ? model::format_tunable(t, v) : "n/a";
    if (model::is_default(t, v) == false) {
      value.append(" *");
      any_changed = true;
    }
    if (!v.present) {
      value.append(t.scope == model::TunableScope::kGlobal ? " (1)" : " (2)");
      (t.scope == model::TunableScope::kGlobal ? any_global_missing : any_missing) = true;
    }
    if (!t.has_default) computed.push_back(&t);
    fmt::format_to(o, "{:<34} {:<24} {:<22} {:<6}  {}\n", t.name, value, default_text(t),
                   model::scope_name(t.scope), t.meaning);
  }
  if (any_changed || any_global_missing || any_missing) fmt::format_to(o, "\n");
  if (any_changed) fmt::format_to(o, "* differs from the kernel default\n");
  if (any_global_missing) fmt::format_to(o, "(1) n/a: {}\n", model::kGlobalUnavailable);
  if (any_missing) fmt::format_to(o, "(2) n/a: {}\n", kNotInKernel);
  if (!computed.empty()) {
    fmt::format_to(o, "\nDefaults the kernel computes (at boot, from memory or build options):\n");
    for (const TunableInfo* t : computed) {
      fmt::format_to(o, "  {:<32} {}\n", t->name, t->default_note);
    }
  }
}

}  // namespace tcpscope::render
