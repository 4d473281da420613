// SPDX-License-Identifier: MIT
#include "agent/metric_catalog.hpp"

#include <array>
#include <cctype>
#include <cstdlib>

namespace tcpscope::agent {

namespace {

using model::MetricType;
constexpr MetricType G = MetricType::kGauge;
constexpr MetricType C = MetricType::kCounter;
constexpr MetricType H = MetricType::kHistogram;

constexpr MetricInfo kCatalog[] = {
    {Metric::kSockets, "tcpscope_sockets", G,
     "Sockets per protocol and state, IPv4 and IPv6 (last full collection)."},
    {Metric::kTcpInUse, "tcpscope_tcp_sockets_in_use", G,
     "TCP sockets of the namespace but TIME-WAIT and request sockets, IPv4 and IPv6 "
     "(/proc/net/sockstat{,6} inuse, read every tick whatever the hash)."},
    {Metric::kTcpTimeWait, "tcpscope_tcp_time_wait_sockets", G,
     "TIME-WAIT sockets of the namespace (/proc/net/sockstat tw, read every tick)."},
    {Metric::kCensusAge, "tcpscope_census_age_seconds", G,
     "Time since the last census walk of the namespace (the socket states, SYN-RECV, orphans "
     "and the doctor's tallies); before the first, since the namespace was followed."},
    {Metric::kListeners, "tcpscope_listeners", G, "TCP listening sockets in the namespace."},
    {Metric::kListenersDropped, "tcpscope_listeners_dropped", G,
     "Listeners not exported because of --max-listeners."},
    {Metric::kAcceptQueue, "tcpscope_listener_accept_queue", G,
     "Completed handshakes waiting for accept()."},
    {Metric::kAcceptQueueLimit, "tcpscope_listener_accept_queue_limit", G,
     "Accept queue limit: min(listen() backlog, net.core.somaxconn); full at limit + 1."},
    {Metric::kAcceptQueueFill, "tcpscope_listener_accept_queue_fill_ratio", G,
     "Accept queue length over its limit (above 1 when full)."},
    {Metric::kAcceptQueuePeak, "tcpscope_listener_accept_queue_peak", G,
     "Largest accept queue seen by any collection since the last full one."},
    {Metric::kListenerSynRecv, "tcpscope_listener_syn_recv", G,
     "SYN-RECV request sockets (half-open handshakes) of the listener (last full collection)."},
    {Metric::kListenerDrops, "tcpscope_listener_drops_total", C,
     "Connections the listener dropped (SK_MEMINFO_DROPS: its share of ListenDrops)."},
    {Metric::kOrphans, "tcpscope_tcp_orphans", G,
     "Orphaned TCP sockets in the namespace (FIN-WAIT-1, CLOSING, LAST-ACK without a process)."},
    {Metric::kTcpMemory, "tcpscope_tcp_memory_bytes", G,
     "TCP buffer memory in use, host-wide (/proc/net/sockstat mem times the page size)."},
    {Metric::kTcpMemLimit, "tcpscope_tcp_mem_limit_bytes", G,
     "net.ipv4.tcp_mem thresholds in bytes (global)."},
    {Metric::kSysctl, "tcpscope_sysctl", G, "TCP tunables the doctor uses, by sysctl name."},
    {Metric::kDoctorFinding, "tcpscope_doctor_finding", G,
     "Doctor check result: 0 ok, 1 warning, 2 critical (tcpscope doctor explains each)."},
    {Metric::kClosedConnections, "tcpscope_closed_connections_total", C,
     "TCP connections closed (sockets the kernel freed), by direction and port: the listener's "
     "for inbound, the remote one for outbound, \"other\" beyond [closes] max_ports."},
    {Metric::kClosedWithRetrans, "tcpscope_closed_connections_with_retransmissions_total", C,
     "Closed TCP connections that retransmitted at least one segment."},
    {Metric::kClosedRetransSegments, "tcpscope_closed_connection_retransmitted_segments_total", C,
     "Segments the closed TCP connections retransmitted (tcpi_total_retrans)."},
    {Metric::kClosedRtt, "tcpscope_closed_connection_rtt_seconds", H,
     "Smoothed RTT of closed TCP connections at close (tcpi_rtt; connections never measured "
     "left out)."},
    {Metric::kClosedBytes, "tcpscope_closed_connection_bytes", H,
     "Bytes a closed TCP connection carried, by way: sent (data sent once) or received."},
    {Metric::kCloseOverflows, "tcpscope_close_event_overflows_total", C,
     "Times the kernel dropped close events for the agent (ENOBUFS: its receive buffer was "
     "full)."},
    {Metric::kCollectionDuration, "tcpscope_agent_collection_duration_seconds", G,
     "Wall time of the last collection of the namespace."},
    {Metric::kSocketsSeen, "tcpscope_agent_sockets_seen", G,
     "Sockets in the last full dump of the namespace."},
    {Metric::kCollections, "tcpscope_agent_collections_total", C,
     "Collections of the namespace, by kind."},
    {Metric::kErrors, "tcpscope_agent_errors_total", C, "Errors, by kind."},
    {Metric::kDumpDuplicates, "tcpscope_agent_dump_duplicates_total", C,
     "Repeated sockets dropped from dumps (socket churn between dump chunks)."},
    {Metric::kDumpRestarts, "tcpscope_agent_dump_restarts_total", C,
     "Dumps re-run after the kernel flagged them interrupted."},
    {Metric::kStatsdPackets, "tcpscope_agent_statsd_packets_total", C,
     "statsd datagrams, sent or dropped."},
    {Metric::kHttpRequests, "tcpscope_agent_http_requests_total", C,
     "HTTP requests to the metrics endpoint, by status code."},
    {Metric::kTicksSkipped, "tcpscope_agent_ticks_skipped_total", C,
     "Ticks skipped because a collection overran the next one."},
    {Metric::kNamespaces, "tcpscope_agent_namespaces", G, "Network namespaces followed."},
    {Metric::kCensusMaxAge, "tcpscope_agent_census_max_age_seconds", G,
     "The bound on the age of every census (census.max_age)."},
    {Metric::kCensusCpu, "tcpscope_agent_census_cpu_seconds_total", C,
     "CPU time of the census walks of namespaces on the host's established hash (the walks "
     "census.cpu budgets)."},
    {Metric::kResidentMemory, "tcpscope_agent_resident_memory_bytes", G,
     "Resident memory of the agent."},
    {Metric::kCpuSeconds, "tcpscope_agent_cpu_seconds_total", C,
     "User and system CPU time of the agent."},
    {Metric::kBuildInfo, "tcpscope_build_info", G,
     "The agent's version and the compiler that built it (the value is always 1)."},
};
static_assert(std::size(kCatalog) == static_cast<size_t>(Metric::kCount));

constexpr std::string_view kDefaultCounters[] = {
    "TcpExtListenOverflows",
    "TcpExtListenDrops",
    "TcpExtSyncookiesSent",
    "TcpExtSyncookiesRecv",
    "TcpExtSyncookiesFailed",
    "TcpExtTCPSynRetrans",
    "TcpExtTCPTimeouts",
    "TcpExtPruneCalled",
    "TcpExtTW",
    "TcpExtTCPTimeWaitOverflow",
    "TcpExtTCPReqQFullDrop",
    "TcpExtTCPReqQFullDoCookies",
    "TcpExtTCPAbortOnMemory",
    "TcpExtTCPAbortOnTimeout",
    "TcpExtTCPBacklogDrop",
    "TcpExtTCPMemoryPressures",
    "TcpRetransSegs",
    "TcpOutSegs",
    "TcpAttemptFails",
    "TcpEstabResets",
    "TcpActiveOpens",
    "TcpPassiveOpens",
    "TcpInErrs",
    "TcpOutRsts",
    "TcpCurrEstab",
};

// nstat joins the file's section name and the field; longest first so "TcpExt" wins over "Tcp".
constexpr std::string_view kGroups[] = {"MPTcpExt", "UdpLite6", "UdpLite", "IcmpMsg", "TcpExt",
                                        "IpExt",    "Icmp6",    "Udp6",    "Icmp",    "Tcp",
                                        "Udp",      "Ip6",      "Ip"};

bool upper(char c) { return c >= 'A' && c <= 'Z'; }
bool lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

std::span<const MetricInfo> metric_catalog() { return kCatalog; }

std::span<const std::string_view> default_counters() { return kDefaultCounters; }

NsLabels ns_labels(const model::NetnsNames& n) {
  return {model::MetricLabel{"netns", n.netns}, model::MetricLabel{"container", n.container},
          model::MetricLabel{"pod", n.pod}, model::MetricLabel{"k8s_namespace", n.k8s_namespace}};
}

Labels::Labels(const NsLabels& ns, std::initializer_list<model::MetricLabel> more) {
  for (const auto& l : ns) a_[n_++] = l;
  // At most 4: the widest family has 3 labels of its own (a histogram adds `le` elsewhere).
  if (more.size() > a_.size() - n_) std::abort();
  for (const auto& l : more) a_[n_++] = l;
}

#define TCPSCOPE_STR2(x) #x
#define TCPSCOPE_STR(x) TCPSCOPE_STR2(x)
BuildInfo build_info() {
#if defined(__clang__)
  constexpr std::string_view kCompiler = "clang " TCPSCOPE_STR(__clang_major__) "." TCPSCOPE_STR(
      __clang_minor__) "." TCPSCOPE_STR(__clang_patchlevel__);
#elif defined(__GNUC__)
  constexpr std::string_view kCompiler = "gcc " __VERSION__;
#else
  constexpr std::string_view kCompiler = "unknown";
#endif
  return {TCPSCOPE_VERSION, kCompiler};
}

void add_build_info(model::MetricSet& set) {
  const MetricInfo& m = kCatalog[static_cast<size_t>(Metric::kBuildInfo)];
  const BuildInfo b = build_info();
  set.add(set.family(m.name, m.help, m.type), {{"version", b.version}, {"compiler", b.compiler}},
          1);
}

MetricIds::MetricIds(model::MetricSet& set) {
  for (const auto& m : kCatalog)
    ids_[static_cast<size_t>(m.id)] = set.family(m.name, m.help, m.type);
  // A port's close counters appear at its first close, counted from zero.
  for (Metric m :
       {Metric::kClosedConnections, Metric::kClosedWithRetrans, Metric::kClosedRetransSegments}) {
    set.set_from_zero((*this)[m]);
  }
}

std::string counter_metric_name(std::string_view nstat_name, bool gauge) {
  std::string out = "tcpscope_";
  std::string_view rest = nstat_name;
  for (auto g : kGroups) {
    if (rest.starts_with(g) && rest.size() > g.size()) {
      for (char c : g)
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      out.push_back('_');
      rest.remove_prefix(g.size());
      break;
    }
  }
  // CamelCase to snake_case, keeping acronyms together: "TCPReqQFullDoCookies" ->
  // "tcp_req_q_full_do_cookies". A word starts at an upper-case letter after a lower-case letter
  // or digit, or at the last upper-case letter of a run when a lower-case letter follows.
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (i > 0 && upper(c)) {
      const char prev = rest[i - 1];
      const bool next_lower = i + 1 < rest.size() && rest[i + 1] >= 'a' && rest[i + 1] <= 'z';
      if (lower_or_digit(prev) || (upper(prev) && next_lower)) out.push_back('_');
    }
    const bool ok = upper(c) || lower_or_digit(c) || c == '_';
    out.push_back(ok ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : '_');
  }
  if (!gauge) out += "_total";
  return out;
}

}  // namespace tcpscope::agent
