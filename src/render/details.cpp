#include "render/details.hpp"

#include <fmt/compile.h>

#include <array>

#include "model/tcp_info.hpp"
#include "model/tcp_state.hpp"
#include "render/append.hpp"
#include "render/number_format.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using detail::put_fixed0;
using detail::put_fixed1;
using detail::put_g;
using detail::put_int;
using model::SocketRecord;
using model::TcpInfo;

constexpr uint8_t kAfInet6 = 10;
constexpr uint8_t kProtoUdp = 17;

// printf's %#x: "0" for zero (not "0x0"), else "0x" + lower-case hex.
void put_alt_hex(fmt::memory_buffer& out, uint32_t v) {
  if (v == 0) {
    put(out, '0');
  } else {
    fmt::format_to(fmt::appender(out), FMT_COMPILE("{:#x}"), v);
  }
}

// " name:value" for an integer field; `name` is a literal, so its copy inlines.
template <size_t N, typename Int>
void item(fmt::memory_buffer& out, const char (&name)[N], Int v) {
  put(out, name);
  put_int(out, v);
}

// ss prints these tcp_info fields with %d from an int, so values >= 2^31 print negative.
int32_t as_int(uint32_t v) { return static_cast<int32_t>(v); }

// The cgroup path as ss prints it: the resolved path, else "unreachable:<hex id>".
void put_cgroup(fmt::memory_buffer& out, uint64_t id, model::NameLookup* names) {
  const std::string_view path = names != nullptr ? names->cgroup_path(id) : "";
  if (!path.empty()) {
    put(out, path);
  } else {
    fmt::format_to(fmt::appender(out), FMT_COMPILE("unreachable:{:x}"), id);
  }
}

#define HAS(field) TCPSCOPE_TCPI_HAS(len, field)

// /proc/net/tcp carries only rto, ato, snd_cwnd and snd_ssthresh (the source converts jiffies
// to microseconds so that units match netlink). Printed in ss's order and with its conditions,
// in milliseconds like netlink records (ss's /proc path prints seconds; see
// docs/ss-differences.md).
void append_proc_tcp_info(fmt::memory_buffer& out, const SocketRecord& rec) {
  const TcpInfo& t = rec.tcp_info;
  const uint16_t len = rec.tcp_info_len;
  if (HAS(rto) && t.rto != 0 && t.rto != 3000000) {
    put(out, " rto:");
    put_g(out, static_cast<double>(t.rto) / 1000);
  }
  if (HAS(ato) && t.ato != 0) {
    put(out, " ato:");
    put_g(out, static_cast<double>(t.ato) / 1000);
  }
  if (HAS(snd_cwnd) && t.snd_cwnd != 0) item(out, " cwnd:", t.snd_cwnd);
  if (HAS(snd_ssthresh) && t.snd_ssthresh < 0xFFFF && t.snd_ssthresh != 0)
    item(out, " ssthresh:", as_int(t.snd_ssthresh));
}

}  // namespace

std::string_view timer_name(uint8_t timer) {
  static constexpr std::array<std::string_view, 6> kNames = {"off",      "on",      "keepalive",
                                                             "timewait", "persist", "unknown"};
  return kNames[timer < 5 ? timer : 5];
}

void append_timer_expiry(fmt::memory_buffer& out, uint32_t ms) {
  uint32_t secs = ms / 1000;
  const uint32_t minutes = secs / 60;
  secs %= 60;
  uint32_t msecs = ms % 1000;
  if (minutes != 0) {
    msecs = 0;
    put_int(out, minutes);
    put(out, "min");
    if (minutes > 9) secs = 0;
  }
  if (secs != 0) {
    if (secs > 9) msecs = 0;
    put_int(out, secs);
    put(out, msecs != 0 ? "." : "sec");
  }
  if (msecs != 0) {
    // ss 6.1 always says "ms" here, so 9373 ms read "9.373ms"; ss >= 6.11 says "sec" after
    // whole seconds. Like both, a lone millisecond count keeps three digits ("005ms").
    const char digits[3] = {static_cast<char>('0' + msecs / 100),
                            static_cast<char>('0' + msecs / 10 % 10),
                            static_cast<char>('0' + msecs % 10)};
    detail::put_n(out, digits, 3);
    put(out, secs != 0 ? "sec" : "ms");
  }
}

void append_rate(fmt::memory_buffer& out, double bps, bool numeric) {
  if (numeric) {
    put_fixed0(out, bps);
  } else if (bps >= 1e12) {
    put_g(out, bps / 1e12, 3);
    put(out, 'T');
  } else if (bps >= 1e9) {
    put_g(out, bps / 1e9, 3);
    put(out, 'G');
  } else if (bps >= 1e6) {
    put_g(out, bps / 1e6, 3);
    put(out, 'M');
  } else if (bps >= 1e3) {
    put_g(out, bps / 1e3, 3);
    put(out, 'k');
  } else {
    put_g(out, bps);
  }
}

void append_timer(fmt::memory_buffer& out, const SocketRecord& rec) {
  if (rec.timer == 0) return;
  put(out, " timer:(");
  put(out, timer_name(rec.timer));
  put(out, ',');
  append_timer_expiry(out, rec.expires_ms);
  put(out, ',');
  put_int(out, rec.retrans);
  put(out, ')');
}

void append_extended(fmt::memory_buffer& out, const SocketRecord& rec, model::NameLookup* names) {
  if (rec.uid != 0) item(out, " uid:", rec.uid);
  item(out, " ino:", rec.inode);
  fmt::format_to(fmt::appender(out), FMT_COMPILE(" sk:{:x}"), rec.cookie);
  if (rec.has(model::kAttrMark) && rec.mark != 0)
    fmt::format_to(fmt::appender(out), FMT_COMPILE(" fwmark:0x{:x}"), rec.mark);
  if (rec.has(model::kAttrCgroupId) && rec.cgroup_id != 0) {
    put(out, " cgroup:");
    put_cgroup(out, rec.cgroup_id, names);
  }
  if (rec.family == kAfInet6 && rec.has(model::kAttrSkV6Only)) item(out, " v6only:", rec.v6only);
  if (rec.has(model::kAttrShutdown)) {
    put(out, ' ');
    put(out, (rec.shutdown & 1) != 0 ? '-' : '<');
    put(out, '-');
    put(out, (rec.shutdown & 2) != 0 ? '-' : '>');
  }
}

void append_memory(fmt::memory_buffer& out, const SocketRecord& rec) {
  if (rec.has(model::kAttrSkMeminfo)) {
    const auto& m = rec.skmem;
    item(out, " skmem:(r", m[model::kSkMemRmemAlloc]);
    item(out, ",rb", m[model::kSkMemRcvBuf]);
    item(out, ",t", m[model::kSkMemWmemAlloc]);
    item(out, ",tb", m[model::kSkMemSndBuf]);
    item(out, ",f", m[model::kSkMemFwdAlloc]);
    item(out, ",w", m[model::kSkMemWmemQueued]);
    item(out, ",o", m[model::kSkMemOptMem]);
    // The array has grown over time (backlog 3.6, drops 4.7): print what the kernel sent.
    if (rec.skmem_count > model::kSkMemBacklog) item(out, ",bl", m[model::kSkMemBacklog]);
    if (rec.skmem_count > model::kSkMemDrops) item(out, ",d", m[model::kSkMemDrops]);
    put(out, ')');
  } else if (rec.has(model::kAttrMeminfo)) {
    const auto& m = rec.meminfo;
    item(out, " mem:(r", m.rmem);
    item(out, ",w", m.wmem);
    item(out, ",f", m.fmem);
    item(out, ",t", m.tmem);
    put(out, ')');
  }
}

void append_tcp_info(fmt::memory_buffer& out, const SocketRecord& rec, const DetailOptions& opts) {
  if (!rec.has(model::kAttrInfo)) return;
  if (rec.origin == model::Origin::kProc) {
    append_proc_tcp_info(out, rec);
    return;
  }
  const TcpInfo& t = rec.tcp_info;
  const uint16_t len = rec.tcp_info_len;
  const bool show_options = opts.options || opts.extended;

  // 1-5: option flags, only with -o/-e (ss 6.1 tcp_show_info).
  if (show_options && HAS(options)) {
    if ((t.options & model::kTcpiOptTimestamps) != 0) put(out, " ts");
    if (opts.newer_ss && (t.options & model::kTcpiOptUsecTs) != 0) put(out, " usec_ts");
    if ((t.options & model::kTcpiOptSack) != 0) put(out, " sack");
    if ((t.options & model::kTcpiOptEcn) != 0) put(out, " ecn");
    if ((t.options & model::kTcpiOptEcnSeen) != 0) put(out, " ecnseen");
    if ((t.options & model::kTcpiOptSynData) != 0) put(out, " fastopen");
  }
  // 6: congestion control name.
  if (rec.has(model::kAttrCong) && rec.cong_len != 0) {
    put(out, ' ');
    put(out, rec.cong_name());
  }
  // 7: wscale, whenever negotiated (independent of -o).
  if (HAS(options) && HAS(wscale) && (t.options & model::kTcpiOptWscale) != 0) {
    item(out, " wscale:", t.snd_wscale());
    item(out, ",", t.rcv_wscale());
  }
  // 8-11: rto (3 s, the initial value, is hidden), backoff, rtt/rttvar, ato; all in ms.
  if (HAS(rto) && t.rto != 0 && t.rto != 3000000) {
    put(out, " rto:");
    put_g(out, static_cast<double>(t.rto) / 1000);
  }
  if (HAS(backoff) && t.backoff != 0) item(out, " backoff:", t.backoff);
  if (HAS(rttvar) && t.rtt != 0) {
    put(out, " rtt:");
    put_g(out, static_cast<double>(t.rtt) / 1000);
    put(out, '/');
    put_g(out, static_cast<double>(t.rttvar) / 1000);
  }
  if (HAS(ato) && t.ato != 0) {
    put(out, " ato:");
    put_g(out, static_cast<double>(t.ato) / 1000);
  }
  // 13-18: segment sizes and windows.
  if (HAS(snd_mss) && t.snd_mss != 0) item(out, " mss:", as_int(t.snd_mss));
  if (HAS(pmtu) && t.pmtu != 0) item(out, " pmtu:", t.pmtu);
  if (HAS(rcv_mss) && t.rcv_mss != 0) item(out, " rcvmss:", as_int(t.rcv_mss));
  if (HAS(advmss) && t.advmss != 0) item(out, " advmss:", as_int(t.advmss));
  if (HAS(snd_cwnd) && t.snd_cwnd != 0) item(out, " cwnd:", t.snd_cwnd);
  // The initial "infinite" ssthresh (0x7fffffff) is hidden.
  if (HAS(snd_ssthresh) && t.snd_ssthresh < 0xFFFF && t.snd_ssthresh != 0)
    item(out, " ssthresh:", as_int(t.snd_ssthresh));
  // 19-23: byte and segment counters.
  if (HAS(bytes_sent) && t.bytes_sent != 0) item(out, " bytes_sent:", t.bytes_sent);
  if (HAS(bytes_retrans) && t.bytes_retrans != 0) item(out, " bytes_retrans:", t.bytes_retrans);
  if (HAS(bytes_acked) && t.bytes_acked != 0) item(out, " bytes_acked:", t.bytes_acked);
  if (HAS(bytes_received) && t.bytes_received != 0) item(out, " bytes_received:", t.bytes_received);
  if (HAS(segs_out) && t.segs_out != 0) item(out, " segs_out:", t.segs_out);
  if (HAS(segs_in) && t.segs_in != 0) item(out, " segs_in:", t.segs_in);
  if (HAS(data_segs_out) && t.data_segs_out != 0) item(out, " data_segs_out:", t.data_segs_out);
  if (HAS(data_segs_in) && t.data_segs_in != 0) item(out, " data_segs_in:", t.data_segs_in);
  // 24-25: congestion-control extras.
  if (rec.has(model::kAttrDctcpInfo)) {
    const auto& d = rec.dctcp;
    if (d.enabled != 0) {
      fmt::format_to(fmt::appender(out),
                     FMT_COMPILE(" dctcp:(ce_state:{},alpha:{},ab_ecn:{},ab_tot:{})"), d.ce_state,
                     d.alpha, d.ab_ecn, d.ab_tot);
    } else {
      put(out, " dctcp:fallback_mode");
    }
  }
  if (rec.has(model::kAttrBbrInfo)) {
    const auto& b = rec.bbr;
    const uint64_t bw = (uint64_t{b.bw_hi} << 32) | b.bw_lo;
    put(out, " bbr:(bw:");
    append_rate(out, static_cast<double>(bw) * 8.0, opts.numeric);
    put(out, "bps,mrtt:");
    put_g(out, static_cast<double>(b.min_rtt) / 1000.0);
    if (b.pacing_gain != 0) {
      put(out, ",pacing_gain:");
      put_g(out, static_cast<double>(b.pacing_gain) / 256.0);
    }
    if (b.cwnd_gain != 0) {
      put(out, ",cwnd_gain:");
      put_g(out, static_cast<double>(b.cwnd_gain) / 256.0);
    }
    put(out, ')');
  }
  // 26: the cwnd-limited send rate; Vegas' own RTT estimate wins when it has one.
  double rtt = HAS(rtt) ? static_cast<double>(t.rtt) : 0.0;
  if (rec.has(model::kAttrVegasInfo) && rec.vegas.enabled != 0 && rec.vegas.rtt != 0 &&
      rec.vegas.rtt != 0x7fffffff) {
    rtt = static_cast<double>(rec.vegas.rtt);
  }
  if (rtt > 0 && HAS(snd_mss) && t.snd_mss != 0 && HAS(snd_cwnd) && t.snd_cwnd != 0) {
    put(out, " send ");
    append_rate(out,
                static_cast<double>(t.snd_cwnd) * static_cast<double>(t.snd_mss) * 8000000. / rtt,
                opts.numeric);
    put(out, "bps");
  }
  // 27: ms since the last data sent / data received / ack received.
  if (HAS(last_data_sent) && t.last_data_sent != 0) item(out, " lastsnd:", t.last_data_sent);
  if (HAS(last_data_recv) && t.last_data_recv != 0) item(out, " lastrcv:", t.last_data_recv);
  if (HAS(last_ack_recv) && t.last_ack_recv != 0) item(out, " lastack:", t.last_ack_recv);
  // 28-31: rates (bytes/s in tcp_info, bits/s printed); ~0 means unlimited and is hidden.
  if (HAS(pacing_rate) && t.pacing_rate != 0 && t.pacing_rate != ~uint64_t{0}) {
    put(out, " pacing_rate ");
    append_rate(out, static_cast<double>(t.pacing_rate) * 8., opts.numeric);
    put(out, "bps");
    if (HAS(max_pacing_rate) && t.max_pacing_rate != 0 && t.max_pacing_rate != ~uint64_t{0}) {
      put(out, '/');
      append_rate(out, static_cast<double>(t.max_pacing_rate) * 8., opts.numeric);
      put(out, "bps");
    }
  }
  if (HAS(delivery_rate) && t.delivery_rate != 0) {
    put(out, " delivery_rate ");
    append_rate(out, static_cast<double>(t.delivery_rate) * 8., opts.numeric);
    put(out, "bps");
  }
  if (HAS(delivered) && t.delivered != 0) item(out, " delivered:", t.delivered);
  if (HAS(delivered_ce) && t.delivered_ce != 0) item(out, " delivered_ce:", t.delivered_ce);
  if (HAS(flags) && t.delivery_rate_app_limited()) put(out, " app_limited");
  // 32: time busy sending, and the shares limited by the peer's window / our send buffer.
  if (HAS(busy_time) && t.busy_time != 0) {
    item(out, " busy:", t.busy_time / 1000);
    put(out, "ms");
    if (HAS(rwnd_limited) && t.rwnd_limited != 0) {
      item(out, " rwnd_limited:", t.rwnd_limited / 1000);
      put(out, "ms(");
      put_fixed1(out,
                 100.0 * static_cast<double>(t.rwnd_limited) / static_cast<double>(t.busy_time));
      put(out, "%)");
    }
    if (HAS(sndbuf_limited) && t.sndbuf_limited != 0) {
      item(out, " sndbuf_limited:", t.sndbuf_limited / 1000);
      put(out, "ms(");
      put_fixed1(out,
                 100.0 * static_cast<double>(t.sndbuf_limited) / static_cast<double>(t.busy_time));
      put(out, "%)");
    }
  }
  // 33-40: loss and reordering state. For LISTEN, unacked is the accept-queue length and
  // sacked the backlog limit, so sacked is hidden there.
  if (HAS(unacked) && t.unacked != 0) item(out, " unacked:", t.unacked);
  if (HAS(retrans) && HAS(total_retrans) && (t.retrans != 0 || t.total_retrans != 0)) {
    item(out, " retrans:", t.retrans);
    item(out, "/", t.total_retrans);
  }
  if (HAS(lost) && t.lost != 0) item(out, " lost:", t.lost);
  if (HAS(sacked) && t.sacked != 0 && rec.state != static_cast<uint8_t>(model::TcpState::kListen))
    item(out, " sacked:", t.sacked);
  if (HAS(dsack_dups) && t.dsack_dups != 0) item(out, " dsack_dups:", t.dsack_dups);
  if (HAS(fackets) && t.fackets != 0) item(out, " fackets:", t.fackets);
  if (HAS(reordering) && t.reordering != 3) item(out, " reordering:", as_int(t.reordering));
  if (HAS(reord_seen) && t.reord_seen != 0) item(out, " reord_seen:", as_int(t.reord_seen));
  // 41-47: receiver side.
  if (HAS(rcv_rtt) && t.rcv_rtt != 0) {
    put(out, " rcv_rtt:");
    put_g(out, static_cast<double>(t.rcv_rtt) / 1000);
  }
  if (HAS(rcv_space) && t.rcv_space != 0) item(out, " rcv_space:", as_int(t.rcv_space));
  if (HAS(rcv_ssthresh) && t.rcv_ssthresh != 0) item(out, " rcv_ssthresh:", t.rcv_ssthresh);
  if (HAS(notsent_bytes) && t.notsent_bytes != 0) item(out, " notsent:", t.notsent_bytes);
  if (HAS(min_rtt) && t.min_rtt != 0 && t.min_rtt != ~uint32_t{0}) {
    put(out, " minrtt:");
    put_g(out, static_cast<double>(t.min_rtt) / 1000);
  }
  if (HAS(rcv_ooopack) && t.rcv_ooopack != 0) item(out, " rcv_ooopack:", t.rcv_ooopack);
  if (HAS(snd_wnd) && t.snd_wnd != 0) item(out, " snd_wnd:", t.snd_wnd);
  if (opts.newer_ss) {
    if (HAS(rcv_wnd) && t.rcv_wnd != 0) item(out, " rcv_wnd:", t.rcv_wnd);
    if (HAS(rehash) && t.rehash != 0) item(out, " rehash:", t.rehash);
  }
}

#undef HAS

void append_details(fmt::memory_buffer& out, const SocketRecord& rec, const DetailOptions& opts) {
  // -e implies -o in ss (and so do -b and --bpf, which are the caller's business).
  if (opts.options || opts.extended) append_timer(out, rec);
  if (opts.extended) append_extended(out, rec, opts.names);
  if (opts.tos) {
    if (rec.has(model::kAttrTos)) {
      put(out, " tos:");
      put_alt_hex(out, rec.tos);
    }
    if (rec.has(model::kAttrTclass)) {
      put(out, " tclass:");
      put_alt_hex(out, rec.tclass);
    }
    if (rec.has(model::kAttrClassId)) {
      put(out, " class_id:");
      put_alt_hex(out, rec.class_id);
    }
  }
  if (opts.cgroup && rec.has(model::kAttrCgroupId)) {
    put(out, " cgroup:");
    put_cgroup(out, rec.cgroup_id, opts.names);
  }
  if (opts.inet_sockopt && rec.has(model::kAttrSockOpt)) {
    // struct inet_diag_sockopt: two bytes of 1-bit fields, first field in the lowest bit.
    static constexpr std::array<std::string_view, 11> kFlags = {
        " recverr",           " is_icsk",         " freebind",     " hdrincl",
        " mc_loop",           " transparent",     " mc_all",       " nodefrag",
        " bind_addr_no_port", " recverr_rfc4884", " defer_connect"};
    put(out, opts.oneline ? " inet-sockopt: (" : "\n\tinet-sockopt: (");
    for (size_t i = 0; i < kFlags.size(); ++i) {
      if (((rec.sockopt >> i) & 1u) != 0) put(out, kFlags[i]);
    }
    put(out, ')');
  }
  if (opts.memory || (opts.info && rec.protocol != kProtoUdp)) {
    // Printed even when nothing follows (TIME-WAIT, SYN-RECV), as ss does.
    if (!opts.oneline) put(out, "\n\t");
    if (opts.memory) append_memory(out, rec);
    if (opts.info) append_tcp_info(out, rec, opts);
  }
}

}  // namespace tcpscope::render
