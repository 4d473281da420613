// SPDX-License-Identifier: MIT
#include "render/summary.hpp"

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/json_writer.hpp"

namespace tcpscope::render {

namespace {

using model::Census;
using model::HostState;
using model::TcpState;

constexpr TcpState kTcpStates[] = {
    TcpState::kEstablished, TcpState::kSynSent,  TcpState::kSynRecv, TcpState::kFinWait1,
    TcpState::kFinWait2,    TcpState::kTimeWait, TcpState::kClose,   TcpState::kCloseWait,
    TcpState::kLastAck,     TcpState::kListen,   TcpState::kClosing};

void family_counts(JsonWriter& w, std::string_view key, const model::FamilyCounts& n) {
  w.key(key).begin_object(Layout::kInline);
  w.key("ipv4").value(n.v4).key("ipv6").value(n.v6);
  w.end_object();
}

void sockstat_json(JsonWriter& w, const HostState& h) {
  if (!h.has_sockstat) {
    w.null();
    return;
  }
  const auto& s = h.sockstat;
  w.begin_object(Layout::kInline);
  w.key("sockets_used").value(s.sockets_used);
  w.key("tcp_inuse").value(s.tcp_inuse);
  w.key("tcp_orphan").value(s.tcp_orphan);
  w.key("tcp_tw").value(s.tcp_tw);
  w.key("tcp_alloc").value(s.tcp_alloc);
  w.key("tcp_mem").value(s.tcp_mem);
  w.key("udp_inuse").value(s.udp_inuse);
  w.key("udp_mem").value(s.udp_mem);
  w.key("udplite_inuse").value(s.udplite_inuse);
  w.key("raw_inuse").value(s.raw_inuse);
  w.key("frag_inuse").value(s.frag_inuse);
  w.key("frag_memory").value(s.frag_memory);
  w.key("tcp6_inuse").value(s.tcp6_inuse);
  w.key("udp6_inuse").value(s.udp6_inuse);
  w.key("udplite6_inuse").value(s.udplite6_inuse);
  w.key("raw6_inuse").value(s.raw6_inuse);
  w.key("frag6_inuse").value(s.frag6_inuse);
  w.key("frag6_memory").value(s.frag6_memory);
  w.end_object();
}

void ss_summary_json(JsonWriter& w, const HostState& h) {
  const model::SsSummary n = model::ss_summary(h);
  w.begin_object(Layout::kInline);
  w.key("total").value(n.total);
  w.key("tcp_total").value(n.tcp_total);
  w.key("estab").value(n.estab);
  w.key("closed").value(n.closed);
  w.key("orphaned").value(n.orphaned);
  w.key("timewait").value(n.timewait);
  w.end_object();
}

void listener_json(JsonWriter& w, const model::ListenerInfo& l) {
  fmt::memory_buffer addr;
  append_plain_address(addr, l.family, l.addr);
  w.begin_object(Layout::kInline);
  w.key("family").string(l.family == AF_INET6 ? "ipv6" : "ipv4");
  w.key("local_address").string(std::string_view(addr.data(), addr.size()));
  w.key("local_port").value(uint64_t{l.port});
  // Only for a listener bound to a device (SO_BINDTODEVICE), so that the output of hosts
  // without one keeps its shape.
  if (l.ifindex != 0) {
    w.key("ifindex").value(l.ifindex);
    w.key("interface").string(l.interface());
  }
  w.key("v6only");
  if (l.v6only == 2) {
    w.null();
  } else {
    w.boolean(l.v6only == 1);
  }
  w.key("accept_queue").value(l.accept_queue);
  w.key("accept_queue_limit").value(l.accept_queue_limit);
  w.key("accept_queue_fill_percent").fixed(l.fill_percent(), 1);
  w.key("accept_queue_full").boolean(l.accept_queue_full());
  w.key("syn_recv").value(l.syn_recv());
  w.key("drops");
  if (l.has_drops) {
    w.value(l.drops);
  } else {
    w.null();
  }
  w.key("inode").value(l.inode);
  w.end_object();
}

// How a number the host state lacks is shown.
std::string_view unknown(const HostState& h) {
  return h.origin == model::HostOrigin::kLive ? "unknown" : "unknown (not in the record)";
}

std::string_view origin_key(model::HostOrigin o) {
  switch (o) {
    case model::HostOrigin::kLive:
      return "live";
    case model::HostOrigin::kRecord:
      return "record";
    case model::HostOrigin::kNotRecorded:
      return "unknown";
  }
  return "live";
}

std::string percent(uint64_t n, std::optional<uint64_t> of) {
  if (!of || *of == 0) return "";
  return fmt::format(" ({:.1f}%)", 100.0 * static_cast<double>(n) / static_cast<double>(*of));
}

}  // namespace

void append_ss_summary_text(fmt::memory_buffer& b, const HostState& h) {
  const auto& s = h.sockstat;
  auto o = fmt::appender(b);
  if (!h.has_sockstat) {
    // A replay of a record without host data: ss's numbers come from sockstat, unknown here.
    fmt::format_to(o, "Total: {}\n", unknown(h));
    fmt::format_to(o, "TCP:   {}\n", unknown(h));
    return;
  }
  const model::SsSummary n = model::ss_summary(h);
  fmt::format_to(o, "Total: {}\n", n.total);
  fmt::format_to(o, "TCP:   {} (estab {}, closed {}, orphaned {}, timewait {})\n\n", n.tcp_total,
                 n.estab, n.closed, n.orphaned, n.timewait);
  fmt::format_to(o, "Transport Total     IP        IPv6\n");
  auto row = [&](std::string_view name, uint64_t v4, uint64_t v6) {
    fmt::format_to(o, "{}\t  {:<9} {:<9} {:<9}\n", name, v4 + v6, v4, v6);
  };
  row("RAW", s.raw_inuse, s.raw6_inuse);
  row("UDP", s.udp_inuse, s.udp6_inuse);
  row("TCP", s.tcp_inuse, s.tcp6_inuse);
  row("INET", s.raw_inuse + s.udp_inuse + s.tcp_inuse, s.raw6_inuse + s.udp6_inuse + s.tcp6_inuse);
  row("FRAG", s.frag_inuse, s.frag6_inuse);
}

namespace {

// The tables summary counts beyond TCP and UDP, in ss's order.
constexpr std::array<model::Table, 7> kOtherTables = {
    model::Table::kUnixStream, model::Table::kUnixDgram,   model::Table::kUnixSeqpacket,
    model::Table::kPacketRaw,  model::Table::kPacketDgram, model::Table::kRaw,
    model::Table::kMptcp};

std::string_view other_netid(model::Table t) {
  switch (t) {
    case model::Table::kUnixStream:
      return "u_str";
    case model::Table::kUnixDgram:
      return "u_dgr";
    case model::Table::kUnixSeqpacket:
      return "u_seq";
    case model::Table::kPacketRaw:
      return "p_raw";
    case model::Table::kPacketDgram:
      return "p_dgr";
    case model::Table::kRaw:
      return "raw";
    default:
      return "mptcp";
  }
}

struct OtherCounts {
  uint64_t total, estab, listen, unconn;
};
OtherCounts other_counts(const model::TableCensus& o, model::Table t) {
  OtherCounts n{o.total(t), o.in(t, TcpState::kEstablished), o.in(t, TcpState::kListen),
                o.in(t, TcpState::kClose)};
  return n;
}

void others_text(fmt::memory_buffer& b, const model::TableCensus& o) {
  auto out = fmt::appender(b);
  fmt::format_to(out, "\nOther sockets (this network namespace, from the socket dumps)\n");
  fmt::format_to(out, "  {:<8} {:>10} {:>10} {:>10} {:>10} {:>10}\n", "Netid", "Total", "ESTAB",
                 "LISTEN", "UNCONN", "other");
  for (model::Table t : kOtherTables) {
    if ((o.dumped & model::table_bit(t)) == 0) continue;
    const OtherCounts n = other_counts(o, t);
    fmt::format_to(out, "  {:<8} {:>10} {:>10} {:>10} {:>10} {:>10}\n", other_netid(t), n.total,
                   n.estab, n.listen, n.unconn, n.total - n.estab - n.listen - n.unconn);
  }
}

void others_json(JsonWriter& w, const model::TableCensus& o) {
  w.key("other_sockets").begin_object(Layout::kBlock);
  for (model::Table t : kOtherTables) {
    if ((o.dumped & model::table_bit(t)) == 0) continue;
    const OtherCounts n = other_counts(o, t);
    w.key(other_netid(t)).begin_object(Layout::kInline);
    w.key("total").value(static_cast<int64_t>(n.total));
    w.key("established").value(static_cast<int64_t>(n.estab));
    w.key("listen").value(static_cast<int64_t>(n.listen));
    w.key("close").value(static_cast<int64_t>(n.unconn));
    w.end_object();
  }
  w.end_object();
}

}  // namespace

void append_summary_json(fmt::memory_buffer& b, const Census& c, const HostState& h,
                         std::string_view netns, std::string_view source,
                         const model::TableCensus* others) {
  JsonWriter w(b, 2);
  w.begin_object(Layout::kBlock);
  w.key("netns");
  if (netns.empty()) {
    w.null();
  } else {
    w.string(netns);
  }
  w.key("source").string(source);
  w.key("host_data").string(origin_key(h.origin));

  w.key("tcp").begin_object(Layout::kBlock);
  w.key("states").begin_object(Layout::kBlock);
  for (TcpState s : kTcpStates) {
    family_counts(w, model::state_key(static_cast<uint8_t>(s)), c.tcp()[static_cast<int>(s)]);
  }
  w.end_object();
  family_counts(w, "total", c.tcp_total());
  w.key("syn_recv_unattributed").value(c.syn_recv_unattributed());
  w.key("duplicates_dropped").value(h.duplicates);
  w.end_object();

  w.key("udp").begin_object(Layout::kBlock);
  w.key("states").begin_object(Layout::kBlock);
  family_counts(w, "established", c.udp()[static_cast<int>(TcpState::kEstablished)]);
  family_counts(w, "close", c.udp()[static_cast<int>(TcpState::kClose)]);
  w.end_object();
  family_counts(w, "total", c.udp_total());
  w.end_object();

  w.key("listeners").begin_array(Layout::kBlock);
  for (const auto& l : c.listeners()) listener_json(w, l);
  w.end_array();

  const auto& t = h.tunables;
  w.key("time_wait").begin_object(Layout::kInline);
  w.key("count").value(c.tcp()[static_cast<int>(TcpState::kTimeWait)].total());
  w.key("max_tw_buckets").optional(t.tcp_max_tw_buckets);
  w.end_object();
  w.key("orphans").begin_object(Layout::kInline);
  w.key("count").optional(h.orphans_hostwide());
  w.key("in_this_netns").value(c.orphans());
  w.key("max_orphans").optional(t.tcp_max_orphans);
  w.end_object();
  w.key("memory").begin_object(Layout::kInline);
  w.key("pages").optional(h.tcp_mem_pages());
  w.key("tcp_mem");
  if (t.tcp_mem) {
    w.begin_array(Layout::kInline);
    for (int64_t v : *t.tcp_mem) w.value(v);
    w.end_array();
  } else {
    w.null();
  }
  w.end_object();
  w.key("sockstat");
  sockstat_json(w, h);
  w.key("ss_summary");
  if (h.has_sockstat) {
    ss_summary_json(w, h);
  } else {
    w.null();
  }
  if (others != nullptr) others_json(w, *others);
  w.end_object();
  b.push_back('\n');
}

void append_summary_text(fmt::memory_buffer& b, const Census& c, const HostState& h,
                         const model::TableCensus* others) {
  auto o = fmt::appender(b);
  append_ss_summary_text(b, h);

  fmt::format_to(o, "\nTCP sockets by state (this network namespace, from the socket dump)\n");
  fmt::format_to(o, "  {:<12} {:>10} {:>10} {:>10}\n", "State", "IPv4", "IPv6", "Total");
  for (TcpState s : kTcpStates) {
    const auto& n = c.tcp()[static_cast<int>(s)];
    fmt::format_to(o, "  {:<12} {:>10} {:>10} {:>10}\n",
                   model::ss_state_name(static_cast<uint8_t>(s)), n.v4, n.v6, n.total());
  }
  const auto tt = c.tcp_total();
  fmt::format_to(o, "  {:<12} {:>10} {:>10} {:>10}\n", "all", tt.v4, tt.v6, tt.total());

  fmt::format_to(o, "\nListeners: {} (accept queue = handshakes completed, not yet accept()ed)\n",
                 c.listeners().size());
  if (!c.listeners().empty()) {
    fmt::format_to(o, "  {:>40} {:>7} {:>7} {:>7} {:>9} {:>8}\n", "Local Address:Port", "Queue",
                   "Limit", "Fill", "SYN-RECV", "Drops");
    fmt::memory_buffer addr;
    for (const auto& l : c.listeners()) {
      addr.clear();
      append_listener_name(addr, l);
      fmt::format_to(o, "  {:>40} {:>7} {:>7} {:>6.0f}% {:>9} {:>8}{}\n",
                     std::string_view(addr.data(), addr.size()), l.accept_queue,
                     l.accept_queue_limit, l.fill_percent(), l.syn_recv(),
                     l.has_drops ? fmt::format("{}", l.drops) : std::string("-"),
                     l.accept_queue_full() ? "  FULL" : "");
    }
  }
  const uint64_t tw = c.tcp()[static_cast<int>(TcpState::kTimeWait)].total();
  const auto& t = h.tunables;
  fmt::format_to(o, "\nTIME-WAIT: {}", tw);
  const bool not_recorded = h.origin == model::HostOrigin::kNotRecorded;
  if (t.tcp_max_tw_buckets) {
    fmt::format_to(o, " of net.ipv4.tcp_max_tw_buckets {}{}", *t.tcp_max_tw_buckets,
                   percent(tw, t.tcp_max_tw_buckets));
  } else if (not_recorded) {
    fmt::format_to(o, " of net.ipv4.tcp_max_tw_buckets {}", unknown(h));
  }
  fmt::format_to(o, "\nOrphans: {} in this namespace", c.orphans());
  if (auto n = h.orphans_hostwide()) {
    fmt::format_to(o, "; {} host-wide", *n);
  } else if (not_recorded) {
    fmt::format_to(o, "; host-wide {}", unknown(h));
  }
  if (t.tcp_max_orphans) {
    fmt::format_to(o, " of net.ipv4.tcp_max_orphans {}{}", *t.tcp_max_orphans,
                   percent(h.orphans_hostwide().value_or(0), t.tcp_max_orphans));
  }
  fmt::format_to(o, "\nTCP memory: ");
  if (auto p = h.tcp_mem_pages()) {
    fmt::format_to(o, "{} pages host-wide", *p);
    if (t.tcp_mem) {
      const auto& m = *t.tcp_mem;
      fmt::format_to(o, "; net.ipv4.tcp_mem {} {} {} (pressure at {}{})", m[0], m[1], m[2], m[1],
                     percent(*p, m[1]));
    }
  } else {
    fmt::format_to(o, "{}", unknown(h));
  }
  fmt::format_to(o,
                 "\nNote: sockstat's alloc, orphan and mem are machine-wide, not per network "
                 "namespace.\n");
  if (others != nullptr) others_text(b, *others);
}

}  // namespace tcpscope::render
