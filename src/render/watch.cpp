// SPDX-License-Identifier: MIT
#include "render/watch.hpp"

#include <netinet/in.h>

#include <ctime>

#include "render/append.hpp"
#include "render/csv.hpp"
#include "render/json.hpp"
#include "render/json_writer.hpp"
#include "render/netns_report.hpp"
#include "render/number_format.hpp"
#include "render/top.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using detail::put_uint;

// Seconds since the epoch with microseconds: "1733352000.123456".
void append_time(fmt::memory_buffer& out, int64_t ns) {
  fmt::format_to(std::back_inserter(out), "{}.{:06}", ns / 1'000'000'000,
                 (ns % 1'000'000'000) / 1000);
}

void append_prefix_json(fmt::memory_buffer& out, int64_t time_ns, std::string_view netns) {
  put(out, "{\"time\":");
  append_time(out, time_ns);
  put(out, ",\"netns\":");
  if (netns.empty()) {
    put(out, "null");
  } else {
    append_json_string(out, netns);
  }
}

std::string_view protocol_name(uint8_t p) { return p == IPPROTO_UDP ? "udp" : "tcp"; }

void append_ms(fmt::memory_buffer& out, std::optional<double> us) {
  if (!us) {
    put(out, '-');
    return;
  }
  fmt::format_to(std::back_inserter(out), "{:.3f}", *us / 1000.0);
}

}  // namespace

void append_event_json(fmt::memory_buffer& out, const model::SocketRecord& rec, int64_t time_ns,
                       std::string_view netns, model::Direction d, model::NameLookup* names,
                       const model::NetnsNames* ns_names) {
  append_prefix_json(out, time_ns, netns);
  if (ns_names != nullptr && (!ns_names->container.empty() || !ns_names->pod.empty())) {
    for (auto [key, value] : {std::pair{",\"container\":", &ns_names->container},
                              std::pair{",\"pod\":", &ns_names->pod},
                              std::pair{",\"k8s_namespace\":", &ns_names->k8s_namespace}}) {
      put(out, key);
      if (value->empty()) {
        put(out, "null");
      } else {
        append_json_string(out, *value);
      }
    }
  }
  put(out, ",\"direction\":\"");
  put(out, model::direction_name(d));
  put(out, '"');
  // The socket's own object, its members after ours: {"family":...} minus the opening brace.
  const size_t start = out.size();
  append_json(out, rec, names);
  if (out.size() > start + 2) {
    out.data()[start] = ',';
  } else {
    out.resize(start);
    put(out, '}');
  }
  put(out, '\n');
}

void append_lost_json(fmt::memory_buffer& out, int64_t time_ns, std::string_view netns,
                      uint64_t overflows) {
  append_prefix_json(out, time_ns, netns);
  put(out, ",\"lost\":true,\"overflows\":");
  put_uint(out, overflows);
  put(out, "}\n");
}

void append_event_csv_header(fmt::memory_buffer& out) {
  put(out, "time,netns,direction,");
  append_csv_header(out);
}

void append_event_csv(fmt::memory_buffer& out, const model::SocketRecord& rec, int64_t time_ns,
                      std::string_view netns, model::Direction d, model::NameLookup* names) {
  append_time(out, time_ns);
  put(out, ',');
  append_csv_field(out, netns);
  put(out, ',');
  put(out, model::direction_name(d));
  put(out, ',');
  append_csv_row(out, rec, names);
}

void append_summary_text(fmt::memory_buffer& out, const SummaryInterval& s) {
  const time_t secs = static_cast<time_t>(s.end_ns / 1'000'000'000);
  tm local{};
  localtime_r(&secs, &local);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02} {:02}:{:02}:{:02}  closed in {:g}s",
                 local.tm_year + 1900, local.tm_mon + 1, local.tm_mday, local.tm_hour, local.tm_min,
                 local.tm_sec, s.seconds);
  if (!s.netns.empty()) {
    put(out, "  netns ");
    put(out, s.names != nullptr ? std::string_view(s.names->description) : s.netns);
  }
  if (s.lost > 0) fmt::format_to(std::back_inserter(out), "  LOST EVENTS ({} overflows)", s.lost);
  put(out, '\n');
  put(out, "Direction Proto Port      Closed   Sent   Recv  Retrans%  RTT p50   p90      p99 ms\n");
  auto row = [&](std::string_view dir, std::string_view proto, std::string_view port,
                 const model::CloseAccount& a) {
    fmt::memory_buffer sent;
    fmt::memory_buffer recv;
    append_byte_rate(sent, static_cast<double>(a.bytes_sent));
    append_byte_rate(recv, static_cast<double>(a.bytes_received));
    fmt::memory_buffer p50;
    fmt::memory_buffer p90;
    fmt::memory_buffer p99;
    append_ms(p50, a.rtt_percentile_us(50));
    append_ms(p90, a.rtt_percentile_us(90));
    append_ms(p99, a.rtt_percentile_us(99));
    const double share =
        a.closed > 0 ? 100.0 * static_cast<double>(a.with_retrans) / static_cast<double>(a.closed)
                     : 0;
    fmt::format_to(std::back_inserter(out),
                   "{:<9} {:<5} {:<7} {:>8} {:>6} {:>6} {:>9.1f} {:>8} {:>8} {:>8}\n", dir, proto,
                   port, a.closed, fmt::to_string(sent), fmt::to_string(recv), share,
                   fmt::to_string(p50), fmt::to_string(p90), fmt::to_string(p99));
  };
  for (const auto& r : s.rows) {
    row(model::direction_name(r.key.direction), protocol_name(r.key.protocol),
        fmt::format(":{}", r.key.port), r.account);
  }
  if (s.other != nullptr && s.other->closed > 0) row("*", "*", "other", *s.other);
  if (s.rows.empty() && (s.other == nullptr || s.other->closed == 0)) put(out, "(no closes)\n");
}

void append_summary_json(fmt::memory_buffer& out, const SummaryInterval& s) {
  JsonWriter w(out);
  w.begin_object(Layout::kCompact);
  w.key("time");
  {
    fmt::memory_buffer t;
    append_time(t, s.end_ns);
    w.raw(std::string_view(t.data(), t.size()));
  }
  w.key("seconds").fixed(s.seconds, 3);
  w.key("netns").string_or_null(s.netns);
  if (s.names != nullptr) json_names(w, *s.names);
  w.key("lost_overflows").value(s.lost);
  auto account = [&](const model::CloseAccount& a) {
    w.key("closed").value(a.closed);
    w.key("bytes_sent").value(a.bytes_sent);
    w.key("bytes_received").value(a.bytes_received);
    w.key("closed_with_retransmissions").value(a.with_retrans);
    w.key("retransmitted_segments").value(a.retrans_segments);
    w.key("rtt_samples").value(a.rtt_samples);
    for (auto [k, p] : {std::pair{"rtt_p50_ms", 50.0}, std::pair{"rtt_p90_ms", 90.0},
                        std::pair{"rtt_p99_ms", 99.0}}) {
      w.key(k);
      if (const auto us = a.rtt_percentile_us(p)) {
        w.fixed(*us / 1000.0, 3);
      } else {
        w.null();
      }
    }
  };
  w.key("ports").begin_array(Layout::kCompact);
  for (const auto& r : s.rows) {
    w.begin_object(Layout::kCompact);
    w.key("direction").string(model::direction_name(r.key.direction));
    w.key("protocol").string(protocol_name(r.key.protocol));
    w.key("port").value(uint64_t{r.key.port});
    account(r.account);
    w.end_object();
  }
  w.end_array();
  w.key("other");
  if (s.other != nullptr && s.other->closed > 0) {
    w.begin_object(Layout::kCompact);
    account(*s.other);
    w.end_object();
  } else {
    w.null();
  }
  w.end_object();
  put(out, '\n');
}

}  // namespace tcpscope::render
