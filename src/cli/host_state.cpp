#include "cli/host_state.hpp"

#include <string>

#include "base/file.hpp"
#include "procfs/snmp.hpp"

namespace tcpscope::cli {

Result<HostState> read_host_state(const std::string& proc_root) {
  HostState h;
  std::string buffer;
  if (auto s = procfs::read_sockstat(proc_root, buffer)) {
    h.sockstat = *s;
    h.has_sockstat = true;
  } else {
    return fail(std::move(s.error()));
  }
  auto t = procfs::read_tunables(proc_root);
  if (!t) return fail(std::move(t.error()));
  h.tunables = *t;
  const std::string snmp = proc_root + "/net/snmp";
  if (read_file(snmp.c_str(), buffer)) {
    auto v = procfs::find_counter(buffer, "TcpCurrEstab");
    if (!v) return fail(std::move(v.error()).context(snmp));
    h.curr_estab = *v;
  }
  return h;
}

void append_sockstat_json(fmt::memory_buffer& b, const HostState& h) {
  const auto& s = h.sockstat;
  if (!h.has_sockstat) {
    fmt::format_to(std::back_inserter(b), "null");
    return;
  }
  fmt::format_to(std::back_inserter(b),
                 "{{\"sockets_used\": {}, \"tcp_inuse\": {}, \"tcp_orphan\": {}, \"tcp_tw\": {}, "
                 "\"tcp_alloc\": {}, \"tcp_mem\": {}, \"udp_inuse\": {}, \"udp_mem\": {}, "
                 "\"udplite_inuse\": {}, \"raw_inuse\": {}, \"frag_inuse\": {}, "
                 "\"frag_memory\": {}, \"tcp6_inuse\": {}, \"udp6_inuse\": {}, "
                 "\"udplite6_inuse\": {}, \"raw6_inuse\": {}, \"frag6_inuse\": {}, "
                 "\"frag6_memory\": {}}}",
                 s.sockets_used, s.tcp_inuse, s.tcp_orphan, s.tcp_tw, s.tcp_alloc, s.tcp_mem,
                 s.udp_inuse, s.udp_mem, s.udplite_inuse, s.raw_inuse, s.frag_inuse, s.frag_memory,
                 s.tcp6_inuse, s.udp6_inuse, s.udplite6_inuse, s.raw6_inuse, s.frag6_inuse,
                 s.frag6_memory);
}

namespace {
struct SsSummary {
  uint64_t total, tcp_total, estab, orphaned, timewait;
  int64_t closed;
};
// ss 6.1: "TCP: alloc+tw (estab CurrEstab, closed alloc-(inuse4+inuse6-tw), orphaned, timewait)"
SsSummary ss_numbers(const HostState& h) {
  const auto& s = h.sockstat;
  SsSummary r{};
  r.total = s.sockets_used;
  r.tcp_total = s.tcp_alloc + s.tcp_tw;
  r.estab = h.curr_estab.value_or(0);
  r.closed = static_cast<int64_t>(s.tcp_alloc) -
             (static_cast<int64_t>(s.tcp_inuse + s.tcp6_inuse) - static_cast<int64_t>(s.tcp_tw));
  r.orphaned = s.tcp_orphan;
  r.timewait = s.tcp_tw;
  return r;
}
}  // namespace

void append_ss_summary_json(fmt::memory_buffer& b, const HostState& h) {
  const auto n = ss_numbers(h);
  fmt::format_to(std::back_inserter(b),
                 "{{\"total\": {}, \"tcp_total\": {}, \"estab\": {}, \"closed\": {}, "
                 "\"orphaned\": {}, \"timewait\": {}}}",
                 n.total, n.tcp_total, n.estab, n.closed, n.orphaned, n.timewait);
}

void append_ss_summary_text(fmt::memory_buffer& b, const HostState& h) {
  const auto& s = h.sockstat;
  const auto n = ss_numbers(h);
  auto o = std::back_inserter(b);
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

}  // namespace tcpscope::cli
