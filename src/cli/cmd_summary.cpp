// `tcpscope summary`: what `ss -s` shows, plus the census of the socket dump: every state by
// family, each listener's accept queue and SYN-RECV requests, TIME-WAIT against
// tcp_max_tw_buckets, orphans against tcp_max_orphans, TCP memory against tcp_mem.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

#include "cli/commands.hpp"
#include "cli/filtering.hpp"
#include "cli/host_state.hpp"
#include "model/census.hpp"
#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/json.hpp"
#include "source/name_cache.hpp"

namespace tcpscope::cli {

namespace {

using model::Census;
using model::TcpState;

template <typename T>
void json_opt(fmt::memory_buffer& b, const std::optional<T>& v) {
  if (v) {
    fmt::format_to(std::back_inserter(b), "{}", *v);
  } else {
    fmt::format_to(std::back_inserter(b), "null");
  }
}

constexpr TcpState kTcpStates[] = {
    TcpState::kEstablished, TcpState::kSynSent,  TcpState::kSynRecv, TcpState::kFinWait1,
    TcpState::kFinWait2,    TcpState::kTimeWait, TcpState::kClose,   TcpState::kCloseWait,
    TcpState::kLastAck,     TcpState::kListen,   TcpState::kClosing};

void render_json(const Census& c, const HostState& h, const GlobalOptions& g,
                 std::string_view source_name, FILE* out) {
  fmt::memory_buffer b;
  auto o = std::back_inserter(b);
  fmt::format_to(o, "{{\n  \"netns\": ");
  if (g.netns.empty()) {
    fmt::format_to(o, "null");
  } else {
    render::append_json_string(b, g.netns);
  }
  fmt::format_to(o, ",\n  \"source\": \"{}\",\n  \"tcp\": {{\n    \"states\": {{", source_name);
  bool first = true;
  for (TcpState s : kTcpStates) {
    const auto& n = c.tcp()[static_cast<int>(s)];
    fmt::format_to(o, "{}\n      \"{}\": {{\"ipv4\": {}, \"ipv6\": {}}}", first ? "" : ",",
                   model::state_key(static_cast<uint8_t>(s)), n.v4, n.v6);
    first = false;
  }
  const auto tt = c.tcp_total();
  fmt::format_to(o, "\n    }},\n    \"total\": {{\"ipv4\": {}, \"ipv6\": {}}},\n", tt.v4, tt.v6);
  fmt::format_to(o, "    \"syn_recv_unattributed\": {},\n    \"duplicates_dropped\": {}\n  }},\n",
                 c.syn_recv_unattributed(), h.duplicates);
  const auto& ue = c.udp()[static_cast<int>(TcpState::kEstablished)];
  const auto& uc = c.udp()[static_cast<int>(TcpState::kClose)];
  const auto ut = c.udp_total();
  fmt::format_to(o,
                 "  \"udp\": {{\n    \"states\": {{\n      \"established\": {{\"ipv4\": {}, "
                 "\"ipv6\": {}}},\n      \"close\": {{\"ipv4\": {}, \"ipv6\": {}}}\n    }},\n"
                 "    \"total\": {{\"ipv4\": {}, \"ipv6\": {}}}\n  }},\n",
                 ue.v4, ue.v6, uc.v4, uc.v6, ut.v4, ut.v6);
  fmt::format_to(o, "  \"listeners\": [");
  first = true;
  for (const auto& l : c.listeners()) {
    fmt::format_to(o, "{}\n    {{\"family\": \"{}\", \"local_address\": \"", first ? "" : ",",
                   l.family == AF_INET6 ? "ipv6" : "ipv4");
    render::append_plain_address(b, l.family, l.addr);
    fmt::format_to(o, "\", \"local_port\": {}, \"v6only\": ", l.port);
    if (l.v6only == 2) {
      fmt::format_to(o, "null");
    } else {
      fmt::format_to(o, "{}", l.v6only == 1);
    }
    fmt::format_to(o,
                   ", \"accept_queue\": {}, \"accept_queue_limit\": {}, "
                   "\"accept_queue_fill_percent\": {:.1f}, \"accept_queue_full\": {}, "
                   "\"syn_recv\": {}, \"drops\": ",
                   l.accept_queue, l.accept_queue_limit, l.fill_percent(), l.accept_queue_full(),
                   l.syn_recv());
    if (l.has_drops) {
      fmt::format_to(o, "{}", l.drops);
    } else {
      fmt::format_to(o, "null");
    }
    fmt::format_to(o, ", \"inode\": {}}}", l.inode);
    first = false;
  }
  fmt::format_to(o, "{}],\n", first ? "" : "\n  ");
  fmt::format_to(o, "  \"time_wait\": {{\"count\": {}, \"max_tw_buckets\": ",
                 c.tcp()[static_cast<int>(TcpState::kTimeWait)].total());
  json_opt(b, h.tunables.tcp_max_tw_buckets);
  fmt::format_to(o, "}},\n  \"orphans\": {{\"count\": ");
  json_opt(b, h.orphans_hostwide());
  fmt::format_to(o, ", \"in_this_netns\": {}, \"max_orphans\": ", c.orphans());
  json_opt(b, h.tunables.tcp_max_orphans);
  fmt::format_to(o, "}},\n  \"memory\": {{\"pages\": ");
  json_opt(b, h.tcp_mem_pages());
  fmt::format_to(o, ", \"tcp_mem\": ");
  if (h.tunables.tcp_mem) {
    const auto& m = *h.tunables.tcp_mem;
    fmt::format_to(o, "[{}, {}, {}]", m[0], m[1], m[2]);
  } else {
    fmt::format_to(o, "null");
  }
  fmt::format_to(o, "}},\n  \"sockstat\": ");
  append_sockstat_json(b, h);
  fmt::format_to(o, ",\n  \"ss_summary\": ");
  append_ss_summary_json(b, h);
  fmt::format_to(o, "\n}}\n");
  std::fwrite(b.data(), 1, b.size(), out);
}

std::string percent(uint64_t n, std::optional<uint64_t> of) {
  if (!of || *of == 0) return "";
  return fmt::format(" ({:.1f}%)", 100.0 * static_cast<double>(n) / static_cast<double>(*of));
}

void render_text(const Census& c, const HostState& h, FILE* out) {
  fmt::memory_buffer b;
  auto o = std::back_inserter(b);
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
      if (l.family == AF_INET6) fmt::format_to(std::back_inserter(addr), "[");
      render::append_plain_address(addr, l.family, l.addr);
      fmt::format_to(std::back_inserter(addr), "{}:{}", l.family == AF_INET6 ? "]" : "", l.port);
      fmt::format_to(o, "  {:>40} {:>7} {:>7} {:>6.0f}% {:>9} {:>8}{}\n",
                     std::string_view(addr.data(), addr.size()), l.accept_queue,
                     l.accept_queue_limit, l.fill_percent(), l.syn_recv(),
                     l.has_drops ? fmt::format("{}", l.drops) : std::string("-"),
                     l.accept_queue_full() ? "  FULL" : "");
    }
  }
  const uint64_t tw = c.tcp()[static_cast<int>(TcpState::kTimeWait)].total();
  fmt::format_to(o, "\nTIME-WAIT: {}", tw);
  if (h.tunables.tcp_max_tw_buckets) {
    fmt::format_to(o, " of net.ipv4.tcp_max_tw_buckets {}{}", *h.tunables.tcp_max_tw_buckets,
                   percent(tw, h.tunables.tcp_max_tw_buckets));
  }
  fmt::format_to(o, "\nOrphans: {} in this namespace", c.orphans());
  if (auto n = h.orphans_hostwide()) fmt::format_to(o, "; {} host-wide", *n);
  if (h.tunables.tcp_max_orphans) {
    fmt::format_to(o, " of net.ipv4.tcp_max_orphans {}{}", *h.tunables.tcp_max_orphans,
                   percent(h.orphans_hostwide().value_or(0), h.tunables.tcp_max_orphans));
  }
  fmt::format_to(o, "\nTCP memory: ");
  if (auto p = h.tcp_mem_pages()) {
    fmt::format_to(o, "{} pages host-wide", *p);
    if (h.tunables.tcp_mem) {
      const auto& m = *h.tunables.tcp_mem;
      fmt::format_to(o, "; net.ipv4.tcp_mem {} {} {} (pressure at {}{})", m[0], m[1], m[2], m[1],
                     percent(*p, m[1]));
    }
  } else {
    fmt::format_to(o, "unknown");
  }
  fmt::format_to(o,
                 "\nNote: sockstat's alloc, orphan and mem are machine-wide, not per network "
                 "namespace.\n");
  std::fwrite(b.data(), 1, b.size(), out);
}

}  // namespace

void add_summary_command(CLI::App& app, SummaryOptions& opts) {
  auto* sub = app.add_subcommand("summary", "socket census: states, listeners, limits (ss -s+)");
  sub->add_flag("--json", opts.json, "JSON output");
  add_source_flags(*sub, opts.source);
  sub->add_option("-F,--filter", opts.filter_file, "read the filter expression from FILE");
  sub->footer("FILTER: count only matching sockets (ss filter syntax)");
  opts.extras = &app;  // the filter words, raw (see cmd_sockets.cpp)
}

int run_summary(const GlobalOptions& global, const SummaryOptions& opts) {
  auto so = opts.source.resolve();
  if (!so) return report(so.error());
  // Read sockstat before our own netlink socket exists, so "sockets: used" does not count it.
  auto host = read_host_state(so->proc_root);
  if (!host) return report(host.error());
  source::NameCache names(source::NameCache::Options{so->proc_root, {}});
  auto words = filter_words(opts.extras);
  if (!words) return report(words.error());
  auto filter = ActiveFilter::make(FilterArgs{&*words, opts.filter_file, 0, true, true}, *so,
                                   names.ephemeral_range());
  if (!filter) return report(filter.error());
  auto src = source::open_source(*so);
  if (!src) return report(src.error());
  Census census;
  FilterRunner runner(*filter, **src);
  model::DumpStats totals;
  if (auto st = source::take_census(runner, census, totals); !st) return report(st.error());
  host->duplicates += totals.duplicates;
  census.sort_listeners();
  if (opts.json) {
    render_json(census, *host, global, (*src)->name(), stdout);
  } else {
    render_text(census, *host, stdout);
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace tcpscope::cli
