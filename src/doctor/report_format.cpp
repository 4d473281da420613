#include "doctor/report_format.hpp"

#include <cmath>
#include <iterator>

namespace tcpscope::doctor {

namespace {

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

void append_json_string(fmt::memory_buffer& b, std::string_view s) {
  auto o = std::back_inserter(b);
  b.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        fmt::format_to(o, "\\\"");
        break;
      case '\\':
        fmt::format_to(o, "\\\\");
        break;
      case '\n':
        fmt::format_to(o, "\\n");
        break;
      case '\t':
        fmt::format_to(o, "\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(o, "\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
        } else {
          b.push_back(c);
        }
    }
  }
  b.push_back('"');
}

void append_number(fmt::memory_buffer& b, double v) {
  if (!std::isfinite(v)) {
    fmt::format_to(std::back_inserter(b), "null");
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    fmt::format_to(std::back_inserter(b), "{}", static_cast<int64_t>(v));
  } else {
    fmt::format_to(std::back_inserter(b), "{:.3f}", v);
  }
}

void text_finding(fmt::memory_buffer& b, const Finding& f, const FormatOptions& o, bool note) {
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

void json_listener(fmt::memory_buffer& b, const ListenerEvidence& l) {
  auto o = std::back_inserter(b);
  fmt::format_to(o, "{{\"address\": ");
  append_json_string(b, l.address);
  fmt::format_to(o,
                 ", \"port\": {}, \"accept_queue\": {}, \"accept_queue_limit\": {}, "
                 "\"fill_percent\": {:.1f}, \"syn_recv\": {}, \"drops_in_window\": ",
                 l.port, l.accept_queue, l.accept_queue_limit, l.fill_percent, l.syn_recv);
  if (l.drops_in_window) {
    fmt::format_to(o, "{}", *l.drops_in_window);
  } else {
    fmt::format_to(o, "null");
  }
  fmt::format_to(o, ", \"capped_by\": ");
  if (l.capped_by.empty()) {
    fmt::format_to(o, "null");
  } else {
    append_json_string(b, l.capped_by);
  }
  fmt::format_to(o, "}}");
}

void json_finding(fmt::memory_buffer& b, const Finding& f) {
  auto o = std::back_inserter(b);
  fmt::format_to(o, "{{\"id\": ");
  append_json_string(b, check_key(f.id));
  fmt::format_to(o, ", \"severity\": \"{}\", \"title\": ", severity_name(f.severity));
  append_json_string(b, f.title);
  fmt::format_to(o, ",\n     \"evidence\": [");
  for (size_t i = 0; i < f.evidence.size(); ++i) {
    if (i) fmt::format_to(o, ", ");
    append_json_string(b, f.evidence[i]);
  }
  fmt::format_to(o, "],\n     \"explanation\": ");
  append_json_string(b, f.explanation);
  fmt::format_to(o, ",\n     \"fix\": ");
  append_json_string(b, f.fix);
  fmt::format_to(o, ",\n     \"metrics\": [");
  for (size_t i = 0; i < f.metrics.size(); ++i) {
    const auto& m = f.metrics[i];
    fmt::format_to(o, "{}{{\"name\": ", i ? ", " : "");
    append_json_string(b, m.name);
    fmt::format_to(o, ", \"value\": ");
    append_number(b, m.value);
    fmt::format_to(o, ", \"unit\": ");
    append_json_string(b, m.unit);
    fmt::format_to(o, "}}");
  }
  fmt::format_to(o, "],\n     \"listeners\": [");
  for (size_t i = 0; i < f.listeners.size(); ++i) {
    fmt::format_to(o, "{}", i ? ", " : "");
    json_listener(b, f.listeners[i]);
  }
  fmt::format_to(o, "],\n     \"endpoints\": [");
  for (size_t i = 0; i < f.endpoints.size(); ++i) {
    const auto& e = f.endpoints[i];
    fmt::format_to(o, "{}{{\"local\": ", i ? ", " : "");
    if (e.local.empty()) {
      fmt::format_to(o, "null");
    } else {
      append_json_string(b, e.local);
    }
    fmt::format_to(o, ", \"remote\": ");
    if (e.remote.empty()) {
      fmt::format_to(o, "null");
    } else {
      append_json_string(b, e.remote);
    }
    fmt::format_to(o, ", \"count\": {}, \"limit\": ", e.count);
    if (e.limit) {
      fmt::format_to(o, "{}", e.limit);
    } else {
      fmt::format_to(o, "null");
    }
    fmt::format_to(o, "}}");
  }
  fmt::format_to(o, "]}}");
}

}  // namespace

void format_text(fmt::memory_buffer& b, const Report& r, const FormatOptions& o) {
  auto out = std::back_inserter(b);
  const int code = exit_status(r);
  const std::string_view color = code == 2 ? kRed : code == 1 ? kYellow : kGreen;
  fmt::format_to(out, "tcpscope doctor{}{}: {}{}{}", o.netns.empty() ? "" : " --netns ", o.netns,
                 o.color ? color : "", status_word(code), o.color ? kReset : "");
  if (!r.findings.empty()) {
    fmt::format_to(out, " ({} finding{})", r.findings.size(), r.findings.size() == 1 ? "" : "s");
  }
  fmt::format_to(out, ", counters over {:.1f}s\n\n", r.window_seconds);
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

void format_json(fmt::memory_buffer& b, const Report& r, const FormatOptions& o) {
  auto out = std::back_inserter(b);
  const int code = exit_status(r);
  fmt::format_to(out, "{{\n  \"netns\": ");
  if (o.netns.empty()) {
    fmt::format_to(out, "null");
  } else {
    append_json_string(b, o.netns);
  }
  fmt::format_to(out,
                 ",\n  \"status\": \"{}\",\n  \"exit_code\": {},\n  \"window_seconds\": {:.3f},\n"
                 "  \"findings\": [",
                 code == 0 ? "ok" : severity_name(static_cast<Severity>(code)), code,
                 r.window_seconds);
  for (size_t i = 0; i < r.findings.size(); ++i) {
    fmt::format_to(out, "{}\n    ", i ? "," : "");
    json_finding(b, r.findings[i]);
  }
  fmt::format_to(out, "{}],\n  \"notes\": [", r.findings.empty() ? "" : "\n  ");
  for (size_t i = 0; i < r.notes.size(); ++i) {
    fmt::format_to(out, "{}\n    ", i ? "," : "");
    json_finding(b, r.notes[i]);
  }
  fmt::format_to(out, "{}],\n  \"passed\": [", r.notes.empty() ? "" : "\n  ");
  for (size_t i = 0; i < r.passed.size(); ++i) {
    fmt::format_to(out, "{}", i ? ", " : "");
    append_json_string(b, check_key(r.passed[i]));
  }
  fmt::format_to(out, "],\n  \"skipped\": [");
  for (size_t i = 0; i < r.skipped.size(); ++i) {
    fmt::format_to(out, "{}{{\"id\": ", i ? ", " : "");
    append_json_string(b, check_key(r.skipped[i].id));
    fmt::format_to(out, ", \"reason\": ");
    append_json_string(b, r.skipped[i].reason);
    fmt::format_to(out, "}}");
  }
  fmt::format_to(out, "],\n  \"listeners_total\": {},\n  \"listeners\": [", r.listeners_total);
  for (size_t i = 0; i < r.listeners.size(); ++i) {
    fmt::format_to(out, "{}\n    ", i ? "," : "");
    json_listener(b, r.listeners[i]);
  }
  fmt::format_to(out, "{}]\n}}\n", r.listeners.empty() ? "" : "\n  ");
}

}  // namespace tcpscope::doctor
