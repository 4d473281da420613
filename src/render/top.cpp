// SPDX-License-Identifier: MIT
#include "render/top.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cmath>

#include "render/address.hpp"
#include "render/append.hpp"
#include "render/doctor_report.hpp"
#include "render/json_writer.hpp"
#include "render/number_format.hpp"

namespace tcpscope::render {

using detail::kMaxGLen;
using detail::put;
using detail::put_fixed0;
using detail::put_fixed1;
using detail::put_g;
using detail::put_int;
using detail::put_n;
using detail::put_uint;
using detail::write_usec_as_ms;

namespace {

using model::ConnColumn;

void append_scaled(fmt::memory_buffer& out, double v, double base) {
  static constexpr char kUnits[] = {'K', 'M', 'G', 'T', 'P'};
  if (!std::isfinite(v) || v < 0) {
    put(out, '-');
    return;
  }
  if (v < base) {
    if (v > 0 && v < 10 && v != std::floor(v)) {
      put_fixed1(out, v);
    } else {
      put_fixed0(out, v);
    }
    return;
  }
  size_t u = 0;
  v /= base;
  while (v >= base && u + 1 < std::size(kUnits)) {
    v /= base;
    ++u;
  }
  if (v < 10) {
    put_fixed1(out, v);
  } else {
    put_fixed0(out, v);
  }
  put(out, kUnits[u]);
}

void append_endpoint_text(fmt::memory_buffer& out, const model::Address& a, uint16_t port,
                          const TopTextOptions& o) {
  if (a.family == AF_INET6) put(out, '[');
  append_plain_address(out, a.family, a.bytes);
  if (a.family == AF_INET6) put(out, ']');
  put(out, ':');
  if (o.services && o.names != nullptr && port != 0) {
    if (const std::string_view name = o.names->service(port, IPPROTO_TCP); !name.empty()) {
      put(out, name);
      return;
    }
  }
  put_uint(out, port);
}

void append_rtt(fmt::memory_buffer& out, uint32_t usec) {
  char buf[kMaxGLen];
  put_n(out, buf, static_cast<size_t>(write_usec_as_ms(buf, usec) - buf));
}

void pad_to(fmt::memory_buffer& out, size_t start, size_t width, bool right) {
  const size_t len = out.size() - start;
  if (len >= width) return;
  const size_t fill = width - len;
  if (right) {
    out.resize(out.size() + fill);
    std::memmove(out.data() + start + fill, out.data() + start, len);
    std::fill_n(out.data() + start, fill, ' ');
  } else {
    for (size_t i = 0; i < fill; ++i) out.push_back(' ');
  }
}

constexpr size_t kNumberWidth = 8;

std::string_view states_text(model::StateMask m) {
  return m == model::kMaskAll ? "all" : "selected";
}

}  // namespace

void append_byte_rate(fmt::memory_buffer& out, double v) { append_scaled(out, v, 1024); }
void append_count_rate(fmt::memory_buffer& out, double v) { append_scaled(out, v, 1000); }

void append_age(fmt::memory_buffer& out, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  const auto s = static_cast<uint64_t>(seconds);
  if (s < 60) {
    fmt::format_to(std::back_inserter(out), "{}s", s);
  } else if (s < 3600) {
    fmt::format_to(std::back_inserter(out), "{}m{:02}s", s / 60, s % 60);
  } else if (s < 86400) {
    fmt::format_to(std::back_inserter(out), "{}h{:02}m", s / 3600, s / 60 % 60);
  } else {
    fmt::format_to(std::back_inserter(out), "{}d{:02}h", s / 86400, s / 3600 % 24);
  }
}

void append_conn_cell(fmt::memory_buffer& out, const model::TopSnapshot& s, const model::ConnRow& r,
                      ConnColumn c, const TopTextOptions& o) {
  const model::ConnTable& t = *s.conns;
  switch (c) {
    case ConnColumn::kLocal:
      append_endpoint_text(out, t.addresses[r.local], r.sport, o);
      return;
    case ConnColumn::kPeer:
      append_endpoint_text(out, t.addresses[r.remote], r.dport, o);
      return;
    case ConnColumn::kState:
      put(out, model::ss_state_name(r.state));
      return;
    case ConnColumn::kProcess: {
      const std::string_view name = t.process_name(r);
      if (name.empty()) {
        put(out, '-');
      } else {
        put(out, name);
        put(out, '/');
        put_int(out, t.process_pid(r));
      }
      return;
    }
    case ConnColumn::kRx:
      return r.has_rates() ? append_byte_rate(out, r.rx_rate) : put(out, '-');
    case ConnColumn::kTx:
      return r.has_rates() ? append_byte_rate(out, r.tx_rate) : put(out, '-');
    case ConnColumn::kRetransRate:
      return r.has_rates() ? append_count_rate(out, r.retrans_rate) : put(out, '-');
    case ConnColumn::kRetrans:
      return r.has_info() ? put_uint(out, r.retrans_total) : put(out, '-');
    case ConnColumn::kRtt:
      return r.has_info() ? append_rtt(out, r.rtt_us) : put(out, '-');
    case ConnColumn::kCwnd:
      return r.has_info() ? put_uint(out, r.cwnd) : put(out, '-');
    case ConnColumn::kRecvQ:
      return put_uint(out, r.rqueue);
    case ConnColumn::kSendQ:
      return put_uint(out, r.wqueue);
    case ConnColumn::kAge:
      return append_age(out, t.taken_s - r.first_seen_ds / 10.0);
    case ConnColumn::kCount:
      break;
  }
}

void append_group_cell(fmt::memory_buffer& out, const model::TopSnapshot& s,
                       const model::ConnGroup& g, ConnColumn c, const TopTextOptions& o) {
  const model::ConnTable& t = *s.conns;
  const model::ConnRow& r = t.rows[g.first];
  switch (c) {
    case ConnColumn::kLocal:
      put_uint(out, g.count);
      put(out, g.count == 1 ? " connection" : " connections");
      return;
    case ConnColumn::kPeer:
      if (o.view.group == model::GroupBy::kRemoteHost) {
        const model::Address& a = t.addresses[r.remote];
        append_plain_address(out, a.family, a.bytes);
      } else if (o.view.group == model::GroupBy::kRemotePort) {
        put(out, "*:");
        if (o.services && o.names != nullptr) {
          if (const auto n = o.names->service(r.dport, IPPROTO_TCP); !n.empty()) {
            put(out, n);
            return;
          }
        }
        put_uint(out, r.dport);
      } else {
        put(out, '*');
      }
      return;
    case ConnColumn::kState:
      put(out, '*');
      return;
    case ConnColumn::kProcess:
      return o.view.group == model::GroupBy::kProcess ? append_conn_cell(out, s, r, c, o)
                                                      : put(out, '*');
    case ConnColumn::kRx:
      return g.rated > 0 ? append_byte_rate(out, g.rx_rate) : put(out, '-');
    case ConnColumn::kTx:
      return g.rated > 0 ? append_byte_rate(out, g.tx_rate) : put(out, '-');
    case ConnColumn::kRetransRate:
      return g.rated > 0 ? append_count_rate(out, g.retrans_rate) : put(out, '-');
    case ConnColumn::kRetrans:
      return put_uint(out, g.retrans);
    case ConnColumn::kRtt:
      return g.rtt_count > 0 ? append_rtt(out, g.rtt_us_mean()) : put(out, '-');
    case ConnColumn::kCwnd:
      return put_uint(out, g.cwnd_sum);
    case ConnColumn::kRecvQ:
      return put_uint(out, g.rqueue);
    case ConnColumn::kSendQ:
      return put_uint(out, g.wqueue);
    case ConnColumn::kAge:
      return append_age(out, t.taken_s - g.oldest_ds / 10.0);
    case ConnColumn::kCount:
      break;
  }
}

void append_listener_cell(fmt::memory_buffer& out, const model::TopSnapshot& s,
                          const model::TopListener& l, ListenerColumn c) {
  switch (c) {
    case ListenerColumn::kLocal:
      return append_listener_name(out, l.info);
    case ListenerColumn::kProcess: {
      const std::string_view name = s.process_name(l.owner);
      if (name.empty()) return put(out, '-');
      put(out, name);
      put(out, '/');
      put_int(out, s.processes->processes()[l.owner].pid);
      return;
    }
    case ListenerColumn::kQueue:
      return put_uint(out, l.info.accept_queue);
    case ListenerColumn::kLimit:
      return put_uint(out, l.info.accept_queue_limit);
    case ListenerColumn::kFill:
      return put_fixed0(out, l.info.fill_percent());
    case ListenerColumn::kSynRecv:
      return put_uint(out, l.info.syn_recv());
    case ListenerColumn::kDrops:
      return l.has_drop_rate ? append_count_rate(out, l.drops_per_second) : put(out, '-');
  }
}

void append_top_title(fmt::memory_buffer& out, const model::TopSnapshot& s, double interval_s,
                      bool paused) {
  put(out, "tcpscope top");
  if (s.wall_ms > 0) {
    const time_t secs = static_cast<time_t>(s.wall_ms / 1000);
    tm local{};
    localtime_r(&secs, &local);
    fmt::format_to(std::back_inserter(out), " - {:02}:{:02}:{:02}", local.tm_hour, local.tm_min,
                   local.tm_sec);
  }
  put(out, "  netns ");
  put(out, s.netns.empty() ? std::string_view("-") : std::string_view(s.netns));
  if (!s.netns_names.empty()) {
    put(out, " (");
    put(out, s.netns_names);
    put(out, ")");
  }
  put(out, "  every ");
  put_g(out, interval_s);
  put(out, "s  refresh ");
  put_uint(out, s.refresh);
  if (!s.source.empty() && s.source != "netlink") {
    put(out, "  source ");
    put(out, s.source);
  }
  if (!s.filter.empty()) {
    put(out, "  filter: ");
    put(out, s.filter);
  }
  if (paused) put(out, "  [paused]");
}

void append_top_states(fmt::memory_buffer& out, const model::TopSnapshot& s) {
  uint64_t total = 0;
  for (const auto& c : s.tcp) total += c.total();
  put(out, "TCP ");
  put_uint(out, total);
  put(out, ":");
  for (size_t i = 1; i < s.tcp.size(); ++i) {
    const std::string_view name = model::ss_state_name(static_cast<uint8_t>(i));
    if (name.empty() || name == "UNKNOWN" || name == "UNCONN" || name == "CLOSE") continue;
    const uint64_t n = s.tcp[i].total();
    const int64_t d = s.has_change ? s.tcp_change[i] : 0;
    if (n == 0 && d == 0) continue;
    put(out, ' ');
    put(out, name);
    put(out, ' ');
    put_uint(out, n);
    if (d != 0) fmt::format_to(std::back_inserter(out), " ({:+})", d);
  }
}

void append_top_limits(fmt::memory_buffer& out, const model::TopSnapshot& s) {
  auto pair = [&](std::string_view label, std::optional<uint64_t> v, std::optional<int64_t> lim) {
    put(out, label);
    put(out, ' ');
    if (v) {
      put_uint(out, *v);
    } else {
      put(out, '?');
    }
    put(out, '/');
    if (lim) {
      put_int(out, *lim);
    } else {
      put(out, '?');
    }
    if (v && lim && *lim > 0) {
      put(out, " (");
      put_fixed1(out, 100.0 * static_cast<double>(*v) / static_cast<double>(*lim));
      put(out, "%)");
    }
  };
  const auto& ss = s.sockstat;
  pair("TIME-WAIT", ss ? std::optional<uint64_t>(ss->tcp_tw) : std::nullopt,
       s.tunables.tcp_max_tw_buckets);
  put(out, "  ");
  pair("orphans", ss ? std::optional<uint64_t>(ss->tcp_orphan) : std::nullopt,
       s.tunables.tcp_max_orphans);
  put(out, "  ");
  pair("memory pages", ss ? std::optional<uint64_t>(ss->tcp_mem) : std::nullopt,
       s.tunables.tcp_mem ? std::optional<int64_t>((*s.tunables.tcp_mem)[2]) : std::nullopt);
  if (s.tunables.tcp_mem) {
    put(out, " pressure at ");
    put_int(out, (*s.tunables.tcp_mem)[1]);
  }
}

void append_top_counter(fmt::memory_buffer& out, const model::TopSnapshot& s, size_t i) {
  put(out, model::kTopCounters[i].label);
  put(out, ' ');
  const model::TopCounter& c = s.counters[i];
  if (c.has_rate) {
    append_count_rate(out, c.rate);
  } else {
    put(out, '-');
  }
}

void append_top_doctor(fmt::memory_buffer& out, const model::TopSnapshot& s) {
  put(out, "doctor: ");
  if (!s.has_doctor) {
    put(out, "waiting for a second refresh");
    return;
  }
  put(out, model::doctor::severity_name(s.doctor.worst()));
  for (const auto& f : s.doctor.findings) {
    put(out, ' ');
    put(out, model::doctor::check_key(f.id));
  }
}

namespace {

template <typename Cell>
void append_rows(fmt::memory_buffer& out, size_t n, std::span<const bool> numeric,
                 std::span<const std::string_view> headers, Cell&& cell) {
  // Widths: every cell's length (two passes over a reused buffer).
  const size_t cols = headers.size();
  std::vector<size_t> width(cols);
  for (size_t c = 0; c < cols; ++c)
    width[c] = std::max(headers[c].size(), numeric[c] ? kNumberWidth : 0);
  fmt::memory_buffer cellbuf;
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < cols; ++c) {
      cellbuf.clear();
      cell(cellbuf, i, c);
      width[c] = std::max(width[c], cellbuf.size());
    }
  }
  auto line = [&](auto&& one) {
    for (size_t c = 0; c < cols; ++c) {
      if (c > 0) put(out, ' ');
      const size_t start = out.size();
      one(c);
      if (c + 1 < cols || numeric[c]) pad_to(out, start, width[c], numeric[c]);
    }
    while (out.size() > 0 && out.data()[out.size() - 1] == ' ') out.resize(out.size() - 1);
    put(out, '\n');
  };
  line([&](size_t c) { put(out, headers[c]); });
  for (size_t i = 0; i < n; ++i) line([&](size_t c) { cell(out, i, c); });
}

}  // namespace

void append_top_batch(fmt::memory_buffer& out, const model::TopSnapshot& s,
                      const TopTextOptions& o) {
  append_top_title(out, s, o.interval_s, false);
  put(out, '\n');
  if (!s.status.empty()) {
    put(out, "status: ");
    put(out, s.status);
    put(out, '\n');
  }
  append_top_states(out, s);
  put(out, '\n');
  append_top_limits(out, s);
  put(out, '\n');
  put(out, "per second:");
  for (size_t i = 0; i < model::kTopCounterCount; ++i) {
    put(out, i == 0 ? " " : "  ");
    append_top_counter(out, s, i);
  }
  put(out, '\n');
  append_top_doctor(out, s);
  put(out, "\n\n");

  fmt::format_to(std::back_inserter(out), "LISTENERS {}\n", s.listeners.size());
  {
    std::array<std::string_view, std::size(kListenerColumns)> headers{};
    std::array<bool, std::size(kListenerColumns)> numeric{};
    for (size_t c = 0; c < headers.size(); ++c) {
      headers[c] = kListenerColumns[c].header;
      numeric[c] = kListenerColumns[c].numeric;
    }
    append_rows(out, s.listeners.size(), numeric, headers,
                [&](fmt::memory_buffer& b, size_t i, size_t c) {
                  append_listener_cell(b, s, s.listeners[i], kListenerColumns[c].id);
                });
  }
  put(out, '\n');

  std::array<std::string_view, model::kConnColumnCount> headers{};
  std::array<bool, model::kConnColumnCount> numeric{};
  std::array<ConnColumn, model::kConnColumnCount> order{};
  {
    // The state first, as ss prints it.
    size_t k = 0;
    order[k++] = ConnColumn::kState;
    for (const auto& c : model::kConnColumns) {
      if (c.id != ConnColumn::kState) order[k++] = c.id;
    }
    for (size_t c = 0; c < order.size(); ++c) {
      headers[c] = model::column_info(order[c]).header;
      numeric[c] = model::column_info(order[c]).numeric;
    }
  }
  const std::string_view sort_key = model::column_info(o.view.sort).key;
  if (!s.conns) {
    put(out, "CONNECTIONS 0\n");
    return;
  }
  if (o.view.group != model::GroupBy::kNone) {
    std::vector<model::ConnGroup> groups;
    model::grouped_rows(*s.conns, o.view, groups);
    const size_t n = std::min(groups.size(), o.max_rows);
    fmt::format_to(std::back_inserter(out),
                   "CONNECTIONS by {}: {} groups (sort {} {}, states {})\n",
                   model::group_name(o.view.group), groups.size(), sort_key,
                   o.view.descending ? "desc" : "asc", states_text(o.view.states));
    append_rows(out, n, numeric, headers, [&](fmt::memory_buffer& b, size_t i, size_t c) {
      append_group_cell(b, s, groups[i], order[c], o);
    });
  } else {
    // Only the rows printed are sorted (a selection when --rows cuts the table).
    std::vector<uint32_t> rows;
    std::vector<uint32_t> scratch;
    const size_t total = model::select_rows(*s.conns, o.view, 0, o.max_rows, scratch, rows);
    const size_t n = rows.size();
    fmt::format_to(std::back_inserter(out), "CONNECTIONS {} (sort {} {}, states {})\n", total,
                   sort_key, o.view.descending ? "desc" : "asc", states_text(o.view.states));
    append_rows(out, n, numeric, headers, [&](fmt::memory_buffer& b, size_t i, size_t c) {
      append_conn_cell(b, s, s.conns->rows[rows[i]], order[c], o);
    });
  }
}

void append_top_json(fmt::memory_buffer& out, const model::TopSnapshot& s,
                     const TopTextOptions& o) {
  using L = Layout;
  JsonWriter w(out);
  w.begin_object(L::kCompact);
  w.key("refresh").value(s.refresh);
  w.key("time");
  if (s.wall_ms > 0) {
    w.fixed(static_cast<double>(s.wall_ms) / 1000.0, 3);
  } else {
    w.null();
  }
  w.key("seconds").fixed(s.seconds, 3);
  w.key("netns").string_or_null(s.netns);
  w.key("source").string(s.source);
  w.key("filter").string(s.filter);
  w.key("status").string(s.status);

  // The states a TCP socket reports (request sockets count as syn-recv; CLOSE is no socket of
  // a dump of connections).
  auto reported = [](size_t i) {
    return i >= static_cast<size_t>(model::TcpState::kEstablished) &&
           i <= static_cast<size_t>(model::TcpState::kClosing) &&
           i != static_cast<size_t>(model::TcpState::kClose);
  };
  w.key("states").begin_object(L::kCompact);
  for (size_t i = 1; i < s.tcp.size(); ++i) {
    const std::string_view k = model::state_key(static_cast<uint8_t>(i));
    if (k.empty() || !reported(i)) continue;
    w.key(k).value(s.tcp[i].total());
  }
  w.end_object();
  if (s.has_change) {
    w.key("state_changes").begin_object(L::kCompact);
    for (size_t i = 1; i < s.tcp.size(); ++i) {
      const std::string_view k = model::state_key(static_cast<uint8_t>(i));
      if (k.empty() || !reported(i)) continue;
      w.key(k).value(s.tcp_change[i]);
    }
    w.end_object();
  }
  w.key("limits").begin_object(L::kCompact);
  const auto& ss = s.sockstat;
  w.key("time_wait").optional(ss ? std::optional<uint64_t>(ss->tcp_tw) : std::nullopt);
  w.key("tcp_max_tw_buckets").optional(s.tunables.tcp_max_tw_buckets);
  w.key("orphans").optional(ss ? std::optional<uint64_t>(ss->tcp_orphan) : std::nullopt);
  w.key("tcp_max_orphans").optional(s.tunables.tcp_max_orphans);
  w.key("tcp_mem_pages").optional(ss ? std::optional<uint64_t>(ss->tcp_mem) : std::nullopt);
  w.key("tcp_mem");
  if (s.tunables.tcp_mem) {
    w.begin_array(L::kCompact);
    for (int64_t v : *s.tunables.tcp_mem) w.value(v);
    w.end_array();
  } else {
    w.null();
  }
  w.end_object();

  w.key("counters").begin_object(L::kCompact);
  for (size_t i = 0; i < model::kTopCounterCount; ++i) {
    const model::TopCounter& c = s.counters[i];
    w.key(model::kTopCounters[i].name);
    if (!c.has_rate) {
      w.null();
      continue;
    }
    w.begin_object(L::kCompact).key("delta").value(c.delta).key("rate").fixed(c.rate, 3);
    w.end_object();
  }
  w.end_object();

  w.key("doctor");
  if (s.has_doctor) {
    fmt::memory_buffer d;
    doctor_json_line(d, s.doctor, DoctorFormatOptions{.netns = s.netns});
    std::string_view text(d.data(), d.size());
    while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
    w.raw(text);
  } else {
    w.null();
  }

  w.key("listeners").begin_array(L::kCompact);
  fmt::memory_buffer name;
  for (const model::TopListener& l : s.listeners) {
    name.clear();
    append_listener_name(name, l.info);
    w.begin_object(L::kCompact);
    w.key("listener").string(std::string_view(name.data(), name.size()));
    w.key("port").value(uint64_t{l.info.port});
    w.key("process").string(s.process_name(l.owner));
    w.key("pid").value(l.owner != model::ProcessTable::kNone && s.processes
                           ? int64_t{s.processes->processes()[l.owner].pid}
                           : int64_t{0});
    w.key("accept_queue").value(l.info.accept_queue);
    w.key("accept_queue_limit").value(l.info.accept_queue_limit);
    w.key("syn_recv").value(l.info.syn_recv());
    w.key("drops");
    if (l.info.has_drops) {
      w.value(l.info.drops);
    } else {
      w.null();
    }
    w.key("drops_per_second");
    if (l.has_drop_rate) {
      w.fixed(l.drops_per_second, 3);
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();

  if (s.conns && o.view.group != model::GroupBy::kNone) {
    // The grouped view: one object per group, as the screen shows it.
    std::vector<model::ConnGroup> groups;
    model::grouped_rows(*s.conns, o.view, groups);
    w.key("group_by").string(model::group_name(o.view.group));
    w.key("groups").begin_array(L::kCompact);
    fmt::memory_buffer key;
    for (size_t i = 0; i < groups.size() && i < o.max_rows; ++i) {
      const model::ConnGroup& g = groups[i];
      const model::ConnRow& r = s.conns->rows[g.first];
      w.begin_object(L::kCompact);
      switch (o.view.group) {
        case model::GroupBy::kProcess:
          w.key("process").string(s.conns->process_name(r));
          w.key("pid").value(int64_t{s.conns->process_pid(r)});
          break;
        case model::GroupBy::kRemoteHost:
          key.clear();
          append_plain_address(key, s.conns->addresses[r.remote].family,
                               s.conns->addresses[r.remote].bytes);
          w.key("peer_address").string(std::string_view(key.data(), key.size()));
          break;
        default:
          w.key("peer_port").value(uint64_t{r.dport});
          break;
      }
      w.key("connections").value(uint64_t{g.count});
      if (g.rated > 0) {
        w.key("rx_bytes_per_second").fixed(g.rx_rate, 1);
        w.key("tx_bytes_per_second").fixed(g.tx_rate, 1);
        w.key("retrans_per_second").fixed(g.retrans_rate, 3);
      }
      w.key("total_retrans").value(g.retrans);
      w.key("recv_q").value(g.rqueue);
      w.key("send_q").value(g.wqueue);
      w.key("rtt_us_mean").value(uint64_t{g.rtt_us_mean()});
      w.end_object();
    }
    w.end_array();
  }
  w.key("connections").begin_array(L::kCompact);
  if (s.conns) {
    std::vector<uint32_t> rows;
    std::vector<uint32_t> scratch;
    model::select_rows(*s.conns, o.view, 0, o.max_rows, scratch, rows);
    const model::ConnTable& t = *s.conns;
    fmt::memory_buffer addr;
    for (const uint32_t index : rows) {
      const model::ConnRow& r = t.rows[index];
      w.begin_object(L::kCompact);
      w.key("state").string(model::state_key(r.state));
      for (auto [key, id, port] :
           {std::tuple{"local", r.local, r.sport}, std::tuple{"peer", r.remote, r.dport}}) {
        addr.clear();
        append_plain_address(addr, t.addresses[id].family, t.addresses[id].bytes);
        w.key(std::string(key) + "_address").string(std::string_view(addr.data(), addr.size()));
        w.key(std::string(key) + "_port").value(uint64_t{port});
      }
      w.key("process").string(t.process_name(r));
      w.key("pid").value(int64_t{t.process_pid(r)});
      w.key("cookie").value(r.cookie);
      w.key("recv_q").value(r.rqueue);
      w.key("send_q").value(r.wqueue);
      if (r.has_info()) {
        w.key("bytes_received").value(r.bytes_received);
        w.key("bytes_acked").value(r.bytes_acked);
        w.key("total_retrans").value(r.retrans_total);
        w.key("rtt_us").value(r.rtt_us);
        w.key("snd_cwnd").value(r.cwnd);
      }
      if (r.has_rates()) {
        w.key("rx_bytes_per_second").fixed(r.rx_rate, 1);
        w.key("tx_bytes_per_second").fixed(r.tx_rate, 1);
        w.key("retrans_per_second").fixed(r.retrans_rate, 3);
      }
      w.key("age_seconds").fixed(t.taken_s - r.first_seen_ds / 10.0, 1);
      w.end_object();
    }
  }
  w.end_array();
  w.end_object();
  put(out, '\n');
}

}  // namespace tcpscope::render
