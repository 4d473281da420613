// SPDX-License-Identifier: MIT
#include "render/doctor_report.hpp"

#include <cmath>
#include <iterator>

#include "render/append.hpp"
#include "render/json_writer.hpp"
#include "render/netns_report.hpp"

namespace tcpscope::render {

namespace {

using model::doctor::check_key;
using model::doctor::EndpointEvidence;
using model::doctor::exit_status;
using model::doctor::Finding;
using model::doctor::ListenerEvidence;
using model::doctor::Report;
using model::doctor::Severity;
using model::doctor::severity_name;

constexpr std::string_view kRed = "\x1b[1;31m";
constexpr std::string_view kYellow = "\x1b[1;33m";
constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kDim = "\x1b[2m";
constexpr std::string_view kReset = "\x1b[0m";

std::string_view status_word(int code) {
  switch (code) {
    case 0:
      return "OK";
    case 1:
      return "WARNING";
    case 2:
      return "CRITICAL";
  }
  return "UNKNOWN";
}

void text_finding(fmt::memory_buffer& b, const Finding& f, const DoctorFormatOptions& o,
                  bool note) {
  auto out = std::back_inserter(b);
  std::string_view color = f.severity == Severity::kCritical  ? kRed
                           : f.severity == Severity::kWarning ? kYellow
                                                              : kDim;
  std::string_view label = note                                ? "NOTE"
                           : f.severity == Severity::kCritical ? "CRITICAL"
                                                               : "WARNING";
  fmt::format_to(out, "{}{}{} {}: {}\n", o.color ? color : "", label, o.color ? kReset : "",
                 check_key(f.id), f.title);
  for (const auto& e : f.evidence) fmt::format_to(out, "    {}\n", e);
  bool first = true;
  std::string_view rest = f.explanation;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    fmt::format_to(out, "  {} {}\n", first ? "why:" : "    ", rest.substr(0, nl));
    first = false;
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  first = true;
  rest = f.fix;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    fmt::format_to(out, "  {} {}\n", first ? "fix:" : "    ", rest.substr(0, nl));
    first = false;
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }
  b.push_back('\n');
}

// JSON. Every value goes through a JsonWriter (and so through the one escaper). A finding is
// the one container JsonWriter has no layout for: its first members share the line of its '{',
// and from "evidence" on each member starts a line of its own, aligned under the first; its
// braces and member separators are written here.
enum class Wrap : uint8_t { kFirst, kSameLine, kNewLine };

JsonWriter& member(fmt::memory_buffer& b, JsonWriter& w, std::string_view key, Wrap wrap) {
  switch (wrap) {
    case Wrap::kFirst:
      break;
    case Wrap::kSameLine:
      detail::put(b, ", ");
      break;
    case Wrap::kNewLine:
      detail::put(b, ",\n     ");
      break;
  }
  append_json_string(b, key);
  detail::put(b, ": ");
  return w;
}

// A whole number as an integer, anything else with three decimals (null if not finite).
void number(JsonWriter& w, double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    w.value(static_cast<int64_t>(v));
  } else {
    w.fixed(v, 3);
  }
}

void json_listener(JsonWriter& w, const ListenerEvidence& l) {
  w.begin_object(Layout::kInline);
  w.key("address").string(l.address);
  w.key("port").value(uint32_t{l.port});
  // Only for a listener bound to a device: reports without one keep their shape.
  if (!l.interface.empty()) w.key("interface").string(l.interface);
  w.key("accept_queue").value(l.accept_queue);
  w.key("accept_queue_limit").value(l.accept_queue_limit);
  w.key("fill_percent").fixed(l.fill_percent, 1);
  w.key("syn_recv").value(l.syn_recv);
  w.key("drops_in_window").optional(l.drops_in_window);
  w.key("capped_by");
  w.string_or_null(l.capped_by);
  w.end_object();
}

void json_endpoint(JsonWriter& w, const EndpointEvidence& e) {
  w.begin_object(Layout::kInline);
  w.key("local");
  w.string_or_null(e.local);
  w.key("remote");
  w.string_or_null(e.remote);
  w.key("count").value(e.count);
  w.key("limit");
  if (e.limit) {
    w.value(e.limit);
  } else {
    w.null();
  }
  w.end_object();
}

// `outer` is the writer of the array the finding is an element of.
void json_finding(fmt::memory_buffer& b, JsonWriter& outer, const Finding& f) {
  outer.raw("{");
  JsonWriter w(b);  // one value at a time: the finding's own punctuation is member()'s
  member(b, w, "id", Wrap::kFirst).string(check_key(f.id));
  member(b, w, "severity", Wrap::kSameLine).string(severity_name(f.severity));
  member(b, w, "title", Wrap::kSameLine).string(f.title);
  member(b, w, "evidence", Wrap::kNewLine).begin_array(Layout::kInline);
  for (const auto& e : f.evidence) w.string(e);
  w.end_array();
  member(b, w, "explanation", Wrap::kNewLine).string(f.explanation);
  member(b, w, "fix", Wrap::kNewLine).string(f.fix);
  member(b, w, "metrics", Wrap::kNewLine).begin_array(Layout::kInline);
  for (const auto& m : f.metrics) {
    w.begin_object(Layout::kInline);
    w.key("name").string(m.name);
    w.key("value");
    number(w, m.value);
    w.key("unit").string(m.unit);
    w.end_object();
  }
  w.end_array();
  member(b, w, "listeners", Wrap::kNewLine).begin_array(Layout::kInline);
  for (const auto& l : f.listeners) json_listener(w, l);
  w.end_array();
  member(b, w, "endpoints", Wrap::kNewLine).begin_array(Layout::kInline);
  for (const auto& e : f.endpoints) json_endpoint(w, e);
  w.end_array();
  b.push_back('}');
}

}  // namespace

void doctor_unknown(fmt::memory_buffer& b, const model::NetnsNames& names, std::string_view error,
                    bool json) {
  if (!json) {
    fmt::format_to(std::back_inserter(b), "tcpscope doctor --netns {}: UNKNOWN: {}\n",
                   names.description, error);
    return;
  }
  JsonWriter w(b, 2);
  w.begin_object(Layout::kBlock);
  w.key("netns").string(names.netns);
  json_names(w, names);
  w.key("status").string("unknown");
  w.key("exit_code").value(3);
  w.key("error").string(error);
  w.end_object();
}

void doctor_text(fmt::memory_buffer& b, const Report& r, const DoctorFormatOptions& o) {
  auto out = std::back_inserter(b);
  const int code = exit_status(r);
  const std::string_view color = code == 2 ? kRed : code == 1 ? kYellow : kGreen;
  const std::string_view shown =
      o.names != nullptr ? std::string_view(o.names->description) : o.netns;
  fmt::format_to(out, "tcpscope doctor{}{}: {}{}{}", shown.empty() ? "" : " --netns ", shown,
                 o.color ? color : "", status_word(code), o.color ? kReset : "");
  if (!r.findings.empty()) {
    fmt::format_to(out, " ({} finding{})", r.findings.size(), r.findings.size() == 1 ? "" : "s");
  }
  fmt::format_to(out, ", counters over {:.1f}s\n", r.window_seconds);
  if (o.census != nullptr) fmt::format_to(out, "{}\n", census_line(*o.census));
  b.push_back('\n');
  for (const auto& f : r.findings) text_finding(b, f, o, false);
  for (const auto& f : r.notes) text_finding(b, f, o, true);
  if (!r.passed.empty()) {
    fmt::format_to(out, "{}all clear{}: ", o.color ? kGreen : "", o.color ? kReset : "");
    for (size_t i = 0; i < r.passed.size(); ++i) {
      fmt::format_to(out, "{}{}", i ? ", " : "", check_key(r.passed[i]));
    }
    b.push_back('\n');
  }
  for (const auto& s : r.skipped) {
    fmt::format_to(out, "not checked: {}: {}\n", check_key(s.id), s.reason);
  }
}

void doctor_json(fmt::memory_buffer& b, const Report& r, const DoctorFormatOptions& o) {
  const int code = exit_status(r);
  JsonWriter w(b, 2);
  w.begin_object(Layout::kBlock);
  w.key("netns");
  w.string_or_null(o.netns);
  if (o.names != nullptr) json_names(w, *o.names);
  if (o.census != nullptr) json_census(w, *o.census);
  w.key("status").string(code == 0 ? "ok" : severity_name(static_cast<Severity>(code)));
  w.key("exit_code").value(code);
  w.key("window_seconds").fixed(r.window_seconds, 3);
  w.key("findings").begin_array(Layout::kBlock);
  for (const auto& f : r.findings) json_finding(b, w, f);
  w.end_array();
  w.key("notes").begin_array(Layout::kBlock);
  for (const auto& f : r.notes) json_finding(b, w, f);
  w.end_array();
  w.key("passed").begin_array(Layout::kInline);
  for (const auto id : r.passed) w.string(check_key(id));
  w.end_array();
  w.key("skipped").begin_array(Layout::kInline);
  for (const auto& s : r.skipped) {
    w.begin_object(Layout::kInline);
    w.key("id").string(check_key(s.id));
    w.key("reason").string(s.reason);
    w.end_object();
  }
  w.end_array();
  w.key("listeners_total").value(uint64_t{r.listeners_total});
  w.key("listeners").begin_array(Layout::kBlock);
  for (const auto& l : r.listeners) json_listener(w, l);
  w.end_array();
  w.end_object();
  b.push_back('\n');
}

void threshold_list(fmt::memory_buffer& out, std::span<const ThresholdRow> rows) {
  for (const ThresholdRow& r : rows) {
    fmt::format_to(fmt::appender(out), "{:<30} {:<8} {}\n", r.name, fmt::format("{:g}", r.value),
                   r.meaning);
  }
}

void doctor_json_line(fmt::memory_buffer& b, const Report& r, const DoctorFormatOptions& o) {
  fmt::memory_buffer pretty;
  doctor_json(pretty, r, o);
  append_compact_json(b, std::string_view(pretty.data(), pretty.size()));
  b.push_back('\n');
}

}  // namespace tcpscope::render
