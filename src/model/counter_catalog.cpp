// SPDX-License-Identifier: MIT
#include "model/counter_catalog.hpp"

namespace tcpscope::model {

namespace {

constexpr std::string_view kSomaxconn = "net.core.somaxconn";
constexpr std::string_view kSyncookies = "net.ipv4.tcp_syncookies";
constexpr std::string_view kMaxSynBacklog = "net.ipv4.tcp_max_syn_backlog";
constexpr std::string_view kAbortOnOverflow = "net.ipv4.tcp_abort_on_overflow";
constexpr std::string_view kSynRetries = "net.ipv4.tcp_syn_retries";
constexpr std::string_view kSynackRetries = "net.ipv4.tcp_synack_retries";
constexpr std::string_view kRetries2 = "net.ipv4.tcp_retries2";
constexpr std::string_view kOrphanRetries = "net.ipv4.tcp_orphan_retries";
constexpr std::string_view kMaxOrphans = "net.ipv4.tcp_max_orphans";
constexpr std::string_view kTcpMem = "net.ipv4.tcp_mem";
constexpr std::string_view kRmem = "net.ipv4.tcp_rmem";
constexpr std::string_view kWmem = "net.ipv4.tcp_wmem";
constexpr std::string_view kMaxTw = "net.ipv4.tcp_max_tw_buckets";
constexpr std::string_view kFinTimeout = "net.ipv4.tcp_fin_timeout";
constexpr std::string_view kTwReuse = "net.ipv4.tcp_tw_reuse";
constexpr std::string_view kTimestamps = "net.ipv4.tcp_timestamps";
constexpr std::string_view kPortRange = "net.ipv4.ip_local_port_range";

constexpr CounterInfo kCatalog[] = {
    // --- the listen path -----------------------------------------------------------------
    {"TcpExtListenOverflows",
     "ListenOverflows",
     false,
     "A listener's accept queue was already full (a full queue holds backlog + 1 connections) "
     "when a SYN arrived, which is then dropped before any request socket exists, or when the "
     "ACK completing a handshake arrived, so the new connection could not be queued. Every one "
     "also counts in ListenDrops.",
     "The application does not accept() as fast as connections arrive, or its listen() backlog "
     "is too small for bursts. Clients see slow connects: their SYNs or final ACKs are ignored "
     "and retransmitted, and some give up.",
     "The listen() backlog of the application (cut to net.core.somaxconn at listen() time) and "
     "how fast it calls accept(). `tcpscope summary` shows every listener's queue, limit and "
     "drops. net.ipv4.tcp_abort_on_overflow=1 resets such handshakes instead of ignoring them.",
     {kSomaxconn, kAbortOnOverflow}},
    {"TcpExtListenDrops",
     "ListenDrops",
     false,
     "Every segment a listener dropped: all ListenOverflows cases, plus a full SYN queue with "
     "SYN cookies off, the tcp_max_syn_backlog rule, a SYN to a broadcast or multicast address, "
     "no route for the SYN-ACK, and a failed allocation of a request or child socket.",
     "Connection attempts lost at a listener. ListenDrops minus ListenOverflows counts the drops "
     "that were not due to a full accept queue. Each drop is also counted on the listener "
     "itself, so the guilty listener can be found.",
     "`tcpscope summary` (Drops column per listener); the listen() backlog; SYN cookies.",
     {kSomaxconn, kSyncookies, kMaxSynBacklog}},
    {"TcpExtSyncookiesSent",
     "SyncookiesSent",
     false,
     "A SYN-ACK carrying a SYN cookie was sent instead of keeping a request socket: the "
     "listener's SYN queue (backlog + 1 request sockets) was full and tcp_syncookies=1, or any "
     "SYN with tcp_syncookies=2. A retransmitted SYN that gets a cookie again counts again.",
     "A SYN flood, or a listener whose backlog is too small for a burst of connections (the "
     "kernel also logs \"Possible SYN flooding on port ...\"). Connections still complete, but a "
     "cookie carries only a few TCP options, and only when timestamps are on.",
     "The listen() backlog of the application and net.core.somaxconn; tcp_syncookies.",
     {kSyncookies, kSomaxconn}},
    {"TcpExtSyncookiesRecv",
     "SyncookiesRecv",
     false,
     "An ACK arrived at a listener, matched no request socket, and carried a valid SYN cookie: "
     "the connection was created from the cookie.",
     "Handshakes that completed through cookies. Far fewer than SyncookiesSent means most "
     "cookie SYN-ACKs were never answered, typical of a flood from spoofed addresses.",
     "tcp_syncookies; the listen() backlog.",
     {kSyncookies}},
    {"TcpExtSyncookiesFailed",
     "SyncookiesFailed",
     false,
     "An ACK arrived at a listener that sent cookies recently, matched no request socket, and "
     "did not validate as a cookie.",
     "ACKs for cookies that are too old (they are valid for a couple of minutes), or forged or "
     "scanning ACKs. The connection is not created; the sender gets a RST.",
     "tcp_syncookies.",
     {kSyncookies}},
    {"TcpExtTCPReqQFullDoCookies",
     "TCPReqQFullDoCookies",
     false,
     "The kernel chose to answer a SYN with a cookie: the listener's SYN queue held more request "
     "sockets than its backlog with tcp_syncookies=1, or always with tcp_syncookies=2 (then it "
     "counts every SYN although no queue is full).",
     "SYN-queue pressure on some listener; the cookies sent are counted in SyncookiesSent.",
     "The listen() backlog (the SYN queue limit is the same as the accept queue limit); "
     "tcp_syncookies.",
     {kSyncookies, kSomaxconn}},
    {"TcpExtTCPReqQFullDrop",
     "TCPReqQFullDrop",
     false,
     "Same decision as TCPReqQFullDoCookies with tcp_syncookies=0: the SYN was dropped (and "
     "counted in ListenDrops). Drops by the tcp_max_syn_backlog rule do not count here, only in "
     "ListenDrops.",
     "Connection attempts lost to a full SYN queue; clients retransmit their SYN after 1 s, 3 s, "
     "7 s... Enabling SYN cookies turns these into cookie handshakes.",
     "tcp_syncookies; the listen() backlog; tcp_max_syn_backlog.",
     {kSyncookies, kMaxSynBacklog, kSomaxconn}},
    {"TcpExtEmbryonicRsts",
     "EmbryonicRsts",
     false,
     "A half-open connection (a request socket in SYN-RECV) was reset: a RST or an unexpected "
     "SYN arrived for it, or tcp_abort_on_overflow=1 reset it because the accept queue was full "
     "when its final ACK came.",
     "Clients abandoning their handshake, or accept-queue overflows turned into resets (the "
     "client sees ECONNRESET).",
     "tcp_abort_on_overflow.",
     {kAbortOnOverflow}},
    // --- handshakes and connections -------------------------------------------------------
    {"TcpActiveOpens",
     "ActiveOpens",
     false,
     "connect() moved a socket from CLOSED to SYN-SENT; counted at the attempt, whether it "
     "succeeds or not. IPv4 and IPv6 connections both count in the Tcp section.",
     "Outgoing connection attempts. With AttemptFails, the share that failed.",
     "ip_local_port_range bounds the connections to one destination.",
     {kPortRange}},
    {"TcpPassiveOpens",
     "PassiveOpens",
     false,
     "A listener made a new connection: a handshake completed (from a request socket or a SYN "
     "cookie) and the kernel created the child socket. SYNs that never complete do not count. "
     "IPv4 and IPv6 both count.",
     "Incoming connections established by the kernel, whether or not the application has "
     "accept()ed them yet.",
     "",
     {}},
    {"TcpAttemptFails",
     "AttemptFails",
     false,
     "A connection in SYN-SENT or SYN-RECV was closed (a RST received, retries exhausted, an "
     "ICMP error), or a RST or SYN arrived for a request socket.",
     "Failed connection attempts in both directions: connect() to closed ports or unreachable "
     "hosts from here, handshakes aborted at local listeners.",
     "tcp_syn_retries (how long connect() keeps trying), tcp_synack_retries.",
     {kSynRetries, kSynackRetries}},
    {"TcpEstabResets",
     "EstabResets",
     false,
     "A connection in ESTABLISHED or CLOSE-WAIT went straight to CLOSED: a RST received or sent, "
     "or an abort.",
     "Connections killed instead of closed; counted on the side whose socket was reset. Look at "
     "OutRsts and the TCPAbortOn* counters for this side's reasons.",
     "",
     {}},
    {"TcpCurrEstab",
     "CurrEstab",
     true,
     "Not a counter but a level: +1 when a connection enters ESTABLISHED, -1 when it leaves "
     "ESTABLISHED or CLOSE-WAIT. nstat never shows it; `tcpscope counters TcpCurrEstab` does.",
     "Connections open now in this network namespace (IPv4 and IPv6, both ends of loopback "
     "connections).",
     "",
     {}},
    {"TcpInSegs",
     "InSegs",
     false,
     "Every TCP segment received, IPv4 and IPv6, counted before validation (segments later "
     "found bad are included).",
     "Receive volume in segments; the denominator for InErrs and InCsumErrors.",
     "",
     {}},
    {"TcpOutSegs",
     "OutSegs",
     false,
     "TCP segments sent that carry new data or only control flags (ACKs, SYNs, FINs, RSTs); "
     "retransmissions are not included (see RetransSegs).",
     "Send volume in segments; RetransSegs / OutSegs approximates the retransmission ratio.",
     "",
     {}},
    {"TcpOutRsts",
     "OutRsts",
     false,
     "A segment with the RST flag was sent: in answer to a segment for no socket (a closed "
     "port, a connection that skipped TIME-WAIT), or to abort a connection (close() with unread "
     "data, SO_LINGER with 0, tcp_abort_on_overflow, memory and timeout aborts).",
     "This host refused or killed connections. The TCPAbortOn* counters and "
     "TCPTimeWaitOverflow tell which reason dominates.",
     "",
     {kAbortOnOverflow}},
    {"TcpInErrs",
     "InErrs",
     false,
     "A received segment was in error: a bad checksum (also counted in InCsumErrors), a header "
     "length that does not fit the packet, or a segment rejected by validation on the receive "
     "path.",
     "With InCsumErrors rising too: corruption on the path or a NIC or offload problem. "
     "Otherwise mostly invalid segments from peers or middleboxes.",
     "",
     {}},
    {"TcpInCsumErrors",
     "InCsumErrors",
     false,
     "A received segment failed its TCP checksum.",
     "Corruption between the peer and here, or a NIC/driver checksum-offload bug. The segment "
     "is dropped and the sender retransmits.",
     "",
     {}},
    // --- retransmission and timeouts ------------------------------------------------------
    {"TcpRetransSegs",
     "RetransSegs",
     false,
     "A segment was sent again (each segment of a TSO burst counts), including SYN and SYN-ACK "
     "retransmissions and tail loss probes.",
     "Loss, or a peer that does not answer. RetransSegs / OutSegs over an interval is the usual "
     "retransmission ratio; TCPTimeouts and TCPSynRetrans tell the costly and the handshake "
     "parts.",
     "tcp_retries2 (how long data is retried before the connection is aborted); the congestion "
     "control algorithm.",
     {kRetries2}},
    {"TcpExtTCPSynRetrans",
     "TCPSynRetrans",
     false,
     "A SYN (connect() side) or a SYN-ACK (listener side, by its timer or on a duplicate SYN) "
     "was retransmitted.",
     "Handshakes that did not complete at the first try: loss, a peer or firewall ignoring "
     "SYNs, a server whose accept queue is full, or a dropped final ACK.",
     "tcp_syn_retries and tcp_synack_retries bound how long the handshake is retried.",
     {kSynRetries, kSynackRetries}},
    {"TcpExtTCPTimeouts",
     "TCPTimeouts",
     false,
     "The retransmission timer (RTO) expired and retransmitted, including in SYN-SENT, or the "
     "SYN-ACK timer of a request socket expired.",
     "Losses that fast retransmit could not repair (the tail or the whole window lost, or the "
     "peer unreachable). Each one stalls the connection for at least an RTO (200 ms minimum).",
     "tcp_retries2, tcp_syn_retries, tcp_synack_retries.",
     {kRetries2, kSynRetries, kSynackRetries}},
    {"TcpExtTCPLossProbes",
     "TCPLossProbes",
     false,
     "A tail loss probe was sent: the last segments in flight were not acknowledged after about "
     "two round trips, so one was sent again to provoke fast recovery instead of waiting for "
     "the RTO.",
     "Tail losses detected early; TCPLossProbeRecovery counts the probes that repaired a real "
     "loss.",
     "",
     {}},
    {"TcpExtTCPFastRetrans",
     "TCPFastRetrans",
     false,
     "A segment was retransmitted by fast recovery (duplicate ACKs, SACK or RACK showed it "
     "lost), not by the retransmission timer.",
     "Losses repaired quickly; compare with TCPTimeouts, the expensive ones.",
     "",
     {}},
    // --- receive memory and drops -----------------------------------------------------------
    {"TcpExtPruneCalled",
     "PruneCalled",
     false,
     "The receive path had to shrink a socket's receive queue (collapsing and pruning): its "
     "memory went over the receive buffer (SO_RCVBUF or tcp_rmem) or TCP was under global "
     "memory pressure.",
     "An application that reads more slowly than it receives, or receive buffers too small for "
     "the bandwidth-delay product. It precedes drops (RcvPruned, OfoPruned).",
     "SO_RCVBUF in the application (which disables auto-tuning), tcp_rmem, tcp_mem.",
     {kRmem, kTcpMem}},
    {"TcpExtRcvPruned",
     "RcvPruned",
     false,
     "Pruning (see PruneCalled) could not free enough memory, and the incoming segment was "
     "dropped.",
     "Received data thrown away for lack of receive memory; the sender retransmits it. A slow "
     "reader or host-wide memory pressure.",
     "SO_RCVBUF, tcp_rmem, tcp_mem.",
     {kRmem, kTcpMem}},
    {"TcpExtOfoPruned",
     "OfoPruned",
     false,
     "A socket's out-of-order queue was discarded to free memory.",
     "Data received out of order (after a loss) dropped again; it must be retransmitted. Same "
     "causes as PruneCalled.",
     "SO_RCVBUF, tcp_rmem, tcp_mem.",
     {kRmem, kTcpMem}},
    {"TcpExtTCPRcvQDrop",
     "TCPRcvQDrop",
     false,
     "An in-order segment was dropped because the socket could not get receive memory.",
     "The application is not reading and its receive buffer is full, or memory pressure.",
     "SO_RCVBUF, tcp_rmem, tcp_mem.",
     {kRmem, kTcpMem}},
    {"TcpExtTCPZeroWindowDrop",
     "TCPZeroWindowDrop",
     false,
     "A segment with data was dropped because this side advertised a zero receive window.",
     "The application stopped reading; the peer keeps probing the window.",
     "SO_RCVBUF, tcp_rmem.",
     {kRmem}},
    {"TcpExtTCPOFODrop",
     "TCPOFODrop",
     false,
     "An out-of-order segment was dropped because the socket could not get memory to queue it.",
     "Loss recovery made harder by receive memory limits.",
     "SO_RCVBUF, tcp_rmem, tcp_mem.",
     {kRmem, kTcpMem}},
    {"TcpExtTCPBacklogDrop",
     "TCPBacklogDrop",
     false,
     "A segment arrived while an application thread held the socket, and the socket's backlog "
     "was over its limit (about receive buffer + send buffer + 64 KiB); it was dropped.",
     "A socket receiving faster than its owner releases it: long work done with the socket "
     "locked, or small buffers. The peer retransmits.",
     "SO_RCVBUF / SO_SNDBUF, tcp_rmem, tcp_wmem.",
     {kRmem, kWmem}},
    {"TcpExtTCPMemoryPressures",
     "TCPMemoryPressures",
     false,
     "TCP entered memory pressure: total TCP buffer memory of the host crossed tcp_mem's "
     "pressure mark. Counted once per entry, by the socket that tripped it, in its namespace.",
     "A host-wide condition: while it lasts, buffers are trimmed and receive queues pruned. "
     "sockstat's TCP mem (pages) against tcp_mem shows how close the host is "
     "(`tcpscope summary`).",
     "tcp_mem (global), tcp_rmem, tcp_wmem.",
     {kTcpMem, kRmem, kWmem}},
    {"TcpExtTCPMemoryPressuresChrono",
     "TCPMemoryPressuresChrono",
     false,
     "Milliseconds spent under TCP memory pressure (see TCPMemoryPressures).",
     "How long the host was short of TCP memory.",
     "tcp_mem.",
     {kTcpMem}},
    // --- TIME-WAIT -------------------------------------------------------------------------
    {"TcpExtTW",
     "TW",
     false,
     "A TIME-WAIT mini-socket (or an orphaned FIN-WAIT-2 one) was scheduled with a timeout over "
     "4 s. Current kernels count it when the TIME-WAIT starts; older ones counted when it "
     "ended.",
     "Connections closed first by this side (that side keeps TIME-WAIT for 60 s). Its rate is "
     "the rate of such closes; `tcpscope summary` shows how many TIME-WAIT sockets exist now.",
     "tcp_max_tw_buckets caps them; tcp_fin_timeout sets the FIN-WAIT-2 part.",
     {kMaxTw, kFinTimeout}},
    {"TcpExtTWKilled",
     "TWKilled",
     false,
     "Same as TW, for a mini-socket scheduled with a timeout of 4 s or less (typically an "
     "orphaned FIN-WAIT-2 with tcp_fin_timeout set very low).",
     "Short TIME-WAIT or FIN-WAIT-2 states; usually a consequence of tuning.",
     "tcp_fin_timeout.",
     {kFinTimeout}},
    {"TcpExtTWRecycled",
     "TWRecycled",
     false,
     "connect() took over a 4-tuple still held by a TIME-WAIT socket, allowed by tcp_tw_reuse "
     "and TCP timestamps.",
     "New outgoing connections to the same destination reuse ports faster than TIME-WAIT "
     "expires: a sign of ephemeral-port pressure towards that destination.",
     "tcp_tw_reuse, tcp_timestamps, ip_local_port_range; connection pooling in the application.",
     {kTwReuse, kTimestamps, kPortRange}},
    {"TcpExtTCPTimeWaitOverflow",
     "TCPTimeWaitOverflow",
     false,
     "A closing connection could not get a TIME-WAIT mini-socket because this namespace already "
     "holds tcp_max_tw_buckets of them (or the allocation failed): it was closed without "
     "TIME-WAIT.",
     "The TIME-WAIT cap is reached. A late FIN or retransmission from the peer then finds no "
     "socket and draws a RST (OutRsts rises too).",
     "tcp_max_tw_buckets.",
     {kMaxTw}},
    // --- aborts ----------------------------------------------------------------------------
    {"TcpExtTCPAbortOnMemory",
     "TCPAbortOnMemory",
     false,
     "A connection was reset at close() or from a timer because there were too many orphaned "
     "sockets host-wide (more than tcp_max_orphans, with a penalty factor for some sockets) or "
     "TCP memory was above tcp_mem's high mark. The kernel logs \"too many orphaned sockets\" "
     "or \"out of memory -- consider tuning tcp_mem\".",
     "Data the application thought sent was thrown away and the peer got a RST. The condition "
     "is host-wide (orphans and TCP memory are global); the count lands in the namespace of the "
     "socket.",
     "tcp_max_orphans and tcp_mem (global), tcp_orphan_retries; applications that close "
     "connections with much unsent data.",
     {kMaxOrphans, kTcpMem, kOrphanRetries}},
    {"TcpExtTCPAbortOnTimeout",
     "TCPAbortOnTimeout",
     false,
     "A connection was given up after its retries ran out: SYN retries, data retransmissions "
     "(tcp_retries2), zero-window probes, or an orphan's retries (tcp_orphan_retries).",
     "Peers that vanished or became unreachable. connect() fails with ETIMEDOUT; an established "
     "socket reports ETIMEDOUT on its next call.",
     "tcp_retries2, tcp_syn_retries, tcp_orphan_retries; TCP_USER_TIMEOUT in the application.",
     {kRetries2, kSynRetries, kOrphanRetries}},
    {"TcpExtTCPAbortOnClose",
     "TCPAbortOnClose",
     false,
     "close() was called with unread data in the receive queue, so the kernel sent a RST "
     "instead of a FIN.",
     "An application closing without reading what the peer sent (an aborted request, a "
     "protocol error); the peer sees ECONNRESET.",
     "The application's close path.",
     {}},
    {"TcpExtTCPAbortOnData",
     "TCPAbortOnData",
     false,
     "Data arrived for a socket the application had already closed or shut down for reading, "
     "and was answered with a RST; or close() was called with SO_LINGER on and a zero linger "
     "time (the usual way to reset instead of closing).",
     "A peer still sending after this side closed (e.g. a server closing during an upload), or "
     "an application that deliberately resets its connections.",
     "SO_LINGER in the application.",
     {}},
    {"TcpExtTCPAbortOnLinger",
     "TCPAbortOnLinger",
     false,
     "An orphaned connection reached FIN-WAIT-2 while its TCP_LINGER2 option is negative, so it "
     "was reset instead of waiting for the peer's FIN.",
     "An application that set TCP_LINGER2 < 0 to avoid FIN-WAIT-2.",
     "TCP_LINGER2 in the application; tcp_fin_timeout.",
     {kFinTimeout}},
    {"TcpExtTCPAbortFailed",
     "TCPAbortFailed",
     false,
     "The kernel wanted to reset a connection but could not send the RST (no memory).",
     "Rare; a sign of severe memory shortage.",
     "tcp_mem.",
     {kTcpMem}},
    // --- UDP, often asked about next to TCP ------------------------------------------------
    {"UdpInErrors",
     "InErrors",
     false,
     "A UDP datagram could not be delivered for a reason other than no listening port: the "
     "socket's receive buffer was full (RcvbufErrors), a bad checksum (InCsumErrors), or a "
     "memory limit (MemErrors).",
     "Lost datagrams at the receiver; RcvbufErrors usually explains most of them.",
     "SO_RCVBUF in the application.",
     {}},
    {"UdpRcvbufErrors",
     "RcvbufErrors",
     false,
     "A UDP datagram was dropped because the socket's receive buffer was full.",
     "The application reads too slowly for its datagram rate.",
     "SO_RCVBUF in the application (capped by net.core.rmem_max).",
     {}},
    {"UdpNoPorts",
     "NoPorts",
     false,
     "A UDP datagram arrived for a port with no socket (answered with ICMP port unreachable, "
     "rate-limited).",
     "Traffic to a service that is down or was never here.",
     "",
     {}},
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::span<const CounterInfo> counter_catalog() { return kCatalog; }

const CounterInfo* find_counter_info(std::string_view name) {
  for (const CounterInfo& c : kCatalog) {
    if (iequals(c.name, name)) return &c;
  }
  for (const CounterInfo& c : kCatalog) {
    if (iequals(c.short_name, name)) return &c;
  }
  return nullptr;
}

}  // namespace tcpscope::model
