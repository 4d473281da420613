// SPDX-License-Identifier: MIT
#include "model/tunable_catalog.hpp"

namespace tcpscope::model {

namespace {

constexpr TunableScope N = TunableScope::kNetns;
constexpr TunableScope G = TunableScope::kGlobal;

constexpr TunableInfo fixed(std::string_view name, TunableScope scope, int64_t v,
                            std::string_view meaning, std::string_view note = {}) {
  return {name, 1, scope, true, {v, 0, 0}, note, meaning};
}

constexpr TunableInfo fixed3(std::string_view name, TunableScope scope, uint8_t count,
                             std::array<int64_t, 3> v, std::string_view meaning,
                             std::string_view note = {}) {
  return {name, count, scope, true, v, note, meaning};
}

constexpr TunableInfo computed(std::string_view name, TunableScope scope, uint8_t count,
                               std::string_view how, std::string_view meaning) {
  return {name, count, scope, false, {}, how, meaning};
}

// Order: listen path, handshake, retransmission, memory, TIME-WAIT and ports, keepalive, misc.
constexpr TunableInfo kCatalog[] = {
    fixed("net.core.somaxconn", N, 4096,
          "upper limit of a listen() backlog: larger backlogs are cut to it at listen() time",
          "4096 since Linux 5.4, 128 before"),
    computed("net.ipv4.tcp_max_syn_backlog", N, 1, "max(128, established-hash buckets / 128)",
             "with tcp_syncookies=0 only: once fewer than a quarter of this many request slots "
             "remain, SYNs from unproven peers are dropped"),
    fixed("net.ipv4.tcp_syncookies", N, 1,
          "SYN cookies: 0 never, 1 when a listener's SYN queue (backlog + 1) is full, 2 always"),
    fixed("net.ipv4.tcp_abort_on_overflow", N, 0,
          "1: reset a handshake whose final ACK finds the accept queue full; 0: ignore that ACK "
          "and resend the SYN-ACK"),
    fixed("net.ipv4.tcp_synack_retries", N, 5,
          "SYN-ACK retransmissions before a half-open connection is dropped (5: about 63 s)"),
    fixed("net.ipv4.tcp_syn_retries", N, 6,
          "SYN retransmissions before connect() fails with ETIMEDOUT (6: about 127 s)"),
    fixed("net.ipv4.tcp_retries2", N, 15,
          "data retransmissions before an established connection is aborted (15: about 15 "
          "minutes at the minimum RTO)"),
    fixed("net.ipv4.tcp_orphan_retries", N, 0,
          "retransmissions before an orphan (closed by its application) is aborted; 0 means 8"),
    computed("net.ipv4.tcp_max_orphans", G, 1, "established-hash buckets / 2, set at boot",
             "host-wide limit of orphaned sockets; beyond it closes reset the connection "
             "(TCPAbortOnMemory)"),
    computed("net.ipv4.tcp_mem", G, 3, "computed at boot from memory size",
             "host-wide TCP buffer memory in pages: low, pressure, high (compare with sockstat "
             "TCP mem)"),
    fixed3("net.ipv4.tcp_rmem", N, 3, {4096, 131072, 6291456},
           "receive buffer per socket in bytes: min, default, max of auto-tuning (SO_RCVBUF "
           "overrides)",
           "a new namespace copies the initial namespace's values"),
    fixed3("net.ipv4.tcp_wmem", N, 3, {4096, 16384, 4194304},
           "send buffer per socket in bytes: min, default, max of auto-tuning (SO_SNDBUF "
           "overrides)",
           "a new namespace copies the initial namespace's values"),
    fixed("net.core.netdev_max_backlog", G, 1000,
          "packets queued per CPU between the drivers and the protocol stack before drops"),
    computed("net.ipv4.tcp_max_tw_buckets", N, 1, "established-hash buckets / 2",
             "TIME-WAIT sockets allowed in this namespace; beyond it connections close without "
             "TIME-WAIT (TCPTimeWaitOverflow)"),
    fixed("net.ipv4.tcp_fin_timeout", N, 60,
          "seconds an orphaned connection may stay in FIN-WAIT-2 (not the TIME-WAIT length, "
          "which is fixed at 60 s)"),
    fixed("net.ipv4.tcp_tw_reuse", N, 2,
          "reuse a TIME-WAIT 4-tuple for a new outgoing connection when timestamps make it safe: "
          "0 off, 1 on, 2 loopback only"),
    fixed("net.ipv4.tcp_timestamps", N, 1,
          "TCP timestamps: 0 off, 1 on with a random offset per connection, 2 on without; "
          "tcp_tw_reuse needs them"),
    fixed3("net.ipv4.ip_local_port_range", N, 2, {32768, 60999, 0},
           "ephemeral ports for connect() without bind(): first and last; bounds the "
           "connections to one destination address and port"),
    fixed("net.ipv4.tcp_keepalive_time", N, 7200,
          "seconds of idleness before the first keepalive probe (sockets with SO_KEEPALIVE)"),
    fixed("net.ipv4.tcp_keepalive_intvl", N, 75, "seconds between keepalive probes"),
    fixed("net.ipv4.tcp_keepalive_probes", N, 9,
          "unanswered keepalive probes before the connection is dropped"),
    {"net.ipv4.tcp_congestion_control",
     0,
     N,
     false,
     {},
     "chosen when the kernel is built (CONFIG_DEFAULT_TCP_CONG, usually cubic)",
     "congestion control of new connections"},
    fixed("net.ipv4.tcp_child_ehash_entries", N, 0,
          "size of a private established hash for namespaces created from this one; 0 shares "
          "the host's (Linux 6.1+)"),
};

}  // namespace

std::span<const TunableInfo> tunable_catalog() { return kCatalog; }

const TunableInfo* find_tunable(std::string_view name) {
  for (const TunableInfo& t : kCatalog) {
    if (t.name == name) return &t;
  }
  for (const TunableInfo& t : kCatalog) {
    const std::string_view last = t.name.substr(t.name.rfind('.') + 1);
    if (last == name) return &t;
  }
  return nullptr;
}

std::string_view scope_name(TunableScope s) {
  return s == TunableScope::kGlobal ? "global" : "netns";
}

std::string format_tunable(const TunableInfo& info, const TunableValue& value) {
  if (!value.present) return {};
  if (info.count == 0) return value.text;
  std::string s;
  for (uint8_t i = 0; i < info.count; ++i) {
    if (i) s.push_back(' ');
    s.append(std::to_string(value.ints[i]));
  }
  return s;
}

std::optional<bool> is_default(const TunableInfo& info, const TunableValue& value) {
  if (!info.has_default || !value.present || info.count == 0) return std::nullopt;
  for (uint8_t i = 0; i < info.count; ++i) {
    if (value.ints[i] != info.default_values[i]) return false;
  }
  return true;
}

}  // namespace tcpscope::model
