#include "render/details.hpp"

#include <fmt/compile.h>

#include <array>
#include <tuple>

#include "model/tcp_info.hpp"
#include "model/tcp_state.hpp"
#include "render/append.hpp"
#include "render/number_format.hpp"

namespace tcpscope::render {

namespace {

using detail::Cursor;
using detail::put;
using detail::put_fixed1;
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

// Room for the whole -i text of one socket: every item's longest form (integers of 20 digits,
// %g of 32 bytes, rates of 33) adds up to under 2 KiB. Items of unbounded length (%.0f of huge
// doubles, %.1f, dctcp's fmt line) go through Cursor::via_buffer.
constexpr size_t kTcpInfoRoom = 4096;
// Longest rate text written in place: a %g of 32 bytes and a unit letter, or a %.0f integer.
constexpr size_t kMaxRateLen = detail::kMaxGLen + 1;

// A microsecond count as ss prints it in milliseconds: %g of usec / 1000.
void write_ms(Cursor& c, uint32_t usec) { c.p = detail::write_usec_as_ms(c.p, usec); }

// ss's rate text (without "bps") of a double bits/s: "%.0f" with numeric, else "%.3g" + k/M/G/T.
void write_rate(Cursor& c, double bps, bool numeric) {
  if (numeric) {
    detail::write_fixed0(c, bps);
  } else if (bps >= 1e12) {
    c.p = detail::write_g(c.p, bps / 1e12, 3);
    c.ch('T');
  } else if (bps >= 1e9) {
    c.p = detail::write_g(c.p, bps / 1e9, 3);
    c.ch('G');
  } else if (bps >= 1e6) {
    c.p = detail::write_g(c.p, bps / 1e6, 3);
    c.ch('M');
  } else if (bps >= 1e3) {
    c.p = detail::write_g(c.p, bps / 1e3, 3);
    c.ch('k');
  } else {
    c.p = detail::write_g(c.p, bps);
  }
}

// The same for a kernel rate in bytes/s, which ss turns into bits/s as `rate * 8.` in double.
// Below 2^47 bytes/s that double is the exact integer rate * 8, so the text comes from the
// integer: digits for %.0f, and %.3g of rate * 8 / 10^(3k) without any division.
void write_byte_rate(Cursor& c, uint64_t bytes_per_sec, bool numeric) {
  if (bytes_per_sec >= (uint64_t{1} << 47)) {
    write_rate(c, static_cast<double>(bytes_per_sec) * 8., numeric);
    return;
  }
  const uint64_t bps = bytes_per_sec * 8;
  if (numeric) {
    c.num(bps);
  } else if (bps >= 1000000000000) {
    c.p = detail::write_g_scaled(c.p, bps, 12, 3);
    c.ch('T');
  } else if (bps >= 1000000000) {
    c.p = detail::write_g_scaled(c.p, bps, 9, 3);
    c.ch('G');
  } else if (bps >= 1000000) {
    c.p = detail::write_g_scaled(c.p, bps, 6, 3);
    c.ch('M');
  } else if (bps >= 1000) {
    c.p = detail::write_g_scaled(c.p, bps, 3, 3);
    c.ch('k');
  } else {
    c.num(bps);  // %g of an integer below 1000
  }
}

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
  Cursor c(out, kTcpInfoRoom);
  if (HAS(rto) && t.rto != 0 && t.rto != 3000000) {
    c.lit(" rto:");
    write_ms(c, t.rto);
  }
  if (HAS(ato) && t.ato != 0) {
    c.lit(" ato:");
    write_ms(c, t.ato);
  }
  if (HAS(snd_cwnd) && t.snd_cwnd != 0) c.item(" cwnd:", t.snd_cwnd);
  if (HAS(snd_ssthresh) && t.snd_ssthresh < 0xFFFF && t.snd_ssthresh != 0)
    c.item(" ssthresh:", as_int(t.snd_ssthresh));
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
  Cursor c(out, kMaxRateLen);
  write_rate(c, bps, numeric);
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
  // At most nine items of a name and a 10-digit number.
  Cursor c(out, 160);
  if (rec.has(model::kAttrSkMeminfo)) {
    const auto& m = rec.skmem;
    c.item(" skmem:(r", m[model::kSkMemRmemAlloc]);
    c.item(",rb", m[model::kSkMemRcvBuf]);
    c.item(",t", m[model::kSkMemWmemAlloc]);
    c.item(",tb", m[model::kSkMemSndBuf]);
    c.item(",f", m[model::kSkMemFwdAlloc]);
    c.item(",w", m[model::kSkMemWmemQueued]);
    c.item(",o", m[model::kSkMemOptMem]);
    // The array has grown over time (backlog 3.6, drops 4.7): print what the kernel sent.
    if (rec.skmem_count > model::kSkMemBacklog) c.item(",bl", m[model::kSkMemBacklog]);
    if (rec.skmem_count > model::kSkMemDrops) c.item(",d", m[model::kSkMemDrops]);
    c.ch(')');
  } else if (rec.has(model::kAttrMeminfo)) {
    const auto& m = rec.meminfo;
    c.item(" mem:(r", m.rmem);
    c.item(",w", m.wmem);
    c.item(",f", m.fmem);
    c.item(",t", m.tmem);
    c.ch(')');
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
  const bool numeric = opts.numeric;
  // One reservation for the whole line; items are then written through a raw pointer.
  Cursor c(out, kTcpInfoRoom);

  // 1-5: option flags, only with -o/-e (ss 6.1 tcp_show_info).
  if (show_options && HAS(options)) {
    if ((t.options & model::kTcpiOptTimestamps) != 0) c.lit(" ts");
    if (opts.newer_ss && (t.options & model::kTcpiOptUsecTs) != 0) c.lit(" usec_ts");
    if ((t.options & model::kTcpiOptSack) != 0) c.lit(" sack");
    if ((t.options & model::kTcpiOptEcn) != 0) c.lit(" ecn");
    if ((t.options & model::kTcpiOptEcnSeen) != 0) c.lit(" ecnseen");
    if ((t.options & model::kTcpiOptSynData) != 0) c.lit(" fastopen");
  }
  // 6: congestion control name.
  if (rec.has(model::kAttrCong) && rec.cong_len != 0) {
    c.ch(' ');
    c.padded_copy<std::tuple_size_v<decltype(rec.cong)>>(rec.cong.data(), rec.cong_len);
  }
  // 7: wscale, whenever negotiated (independent of -o).
  if (HAS(options) && HAS(wscale) && (t.options & model::kTcpiOptWscale) != 0) {
    c.item(" wscale:", t.snd_wscale());
    c.item(",", t.rcv_wscale());
  }
  // 8-11: rto (3 s, the initial value, is hidden), backoff, rtt/rttvar, ato; all in ms.
  if (HAS(rto) && t.rto != 0 && t.rto != 3000000) {
    c.lit(" rto:");
    write_ms(c, t.rto);
  }
  if (HAS(backoff) && t.backoff != 0) c.item(" backoff:", t.backoff);
  if (HAS(rttvar) && t.rtt != 0) {
    c.lit(" rtt:");
    write_ms(c, t.rtt);
    c.ch('/');
    write_ms(c, t.rttvar);
  }
  if (HAS(ato) && t.ato != 0) {
    c.lit(" ato:");
    write_ms(c, t.ato);
  }
  // 13-18: segment sizes and windows.
  if (HAS(snd_mss) && t.snd_mss != 0) c.item(" mss:", as_int(t.snd_mss));
  if (HAS(pmtu) && t.pmtu != 0) c.item(" pmtu:", t.pmtu);
  if (HAS(rcv_mss) && t.rcv_mss != 0) c.item(" rcvmss:", as_int(t.rcv_mss));
  if (HAS(advmss) && t.advmss != 0) c.item(" advmss:", as_int(t.advmss));
  if (HAS(snd_cwnd) && t.snd_cwnd != 0) c.item(" cwnd:", t.snd_cwnd);
  // The initial "infinite" ssthresh (0x7fffffff) is hidden.
  if (HAS(snd_ssthresh) && t.snd_ssthresh < 0xFFFF && t.snd_ssthresh != 0)
    c.item(" ssthresh:", as_int(t.snd_ssthresh));
  // 19-23: byte and segment counters.
  if (HAS(bytes_sent) && t.bytes_sent != 0) c.item(" bytes_sent:", t.bytes_sent);
  if (HAS(bytes_retrans) && t.bytes_retrans != 0) c.item(" bytes_retrans:", t.bytes_retrans);
  if (HAS(bytes_acked) && t.bytes_acked != 0) c.item(" bytes_acked:", t.bytes_acked);
  if (HAS(bytes_received) && t.bytes_received != 0) c.item(" bytes_received:", t.bytes_received);
  if (HAS(segs_out) && t.segs_out != 0) c.item(" segs_out:", t.segs_out);
  if (HAS(segs_in) && t.segs_in != 0) c.item(" segs_in:", t.segs_in);
  if (HAS(data_segs_out) && t.data_segs_out != 0) c.item(" data_segs_out:", t.data_segs_out);
  if (HAS(data_segs_in) && t.data_segs_in != 0) c.item(" data_segs_in:", t.data_segs_in);
  // 24-25: congestion-control extras.
  if (rec.has(model::kAttrDctcpInfo)) {
    const auto& d = rec.dctcp;
    if (d.enabled != 0) {
      c.via_buffer([&d](fmt::memory_buffer& buf) {
        fmt::format_to(fmt::appender(buf),
                       FMT_COMPILE(" dctcp:(ce_state:{},alpha:{},ab_ecn:{},ab_tot:{})"), d.ce_state,
                       d.alpha, d.ab_ecn, d.ab_tot);
      });
    } else {
      c.lit(" dctcp:fallback_mode");
    }
  }
  if (rec.has(model::kAttrBbrInfo)) {
    const auto& b = rec.bbr;
    const uint64_t bw = (uint64_t{b.bw_hi} << 32) | b.bw_lo;
    c.lit(" bbr:(bw:");
    write_byte_rate(c, bw, numeric);
    c.lit("bps,mrtt:");
    write_ms(c, b.min_rtt);
    // Gains are fixed point with 8 fraction bits: gain / 256 is exactly gain * 390625 / 10^8.
    if (b.pacing_gain != 0) {
      c.lit(",pacing_gain:");
      c.p = detail::write_g_scaled(c.p, uint64_t{b.pacing_gain} * 390625, 8);
    }
    if (b.cwnd_gain != 0) {
      c.lit(",cwnd_gain:");
      c.p = detail::write_g_scaled(c.p, uint64_t{b.cwnd_gain} * 390625, 8);
    }
    c.ch(')');
  }
  // 26: the cwnd-limited send rate; Vegas' own RTT estimate wins when it has one.
  double rtt = HAS(rtt) ? static_cast<double>(t.rtt) : 0.0;
  if (rec.has(model::kAttrVegasInfo) && rec.vegas.enabled != 0 && rec.vegas.rtt != 0 &&
      rec.vegas.rtt != 0x7fffffff) {
    rtt = static_cast<double>(rec.vegas.rtt);
  }
  if (rtt > 0 && HAS(snd_mss) && t.snd_mss != 0 && HAS(snd_cwnd) && t.snd_cwnd != 0) {
    c.lit(" send ");
    write_rate(c, static_cast<double>(t.snd_cwnd) * static_cast<double>(t.snd_mss) * 8000000. / rtt,
               numeric);
    c.lit("bps");
  }
  // 27: ms since the last data sent / data received / ack received.
  if (HAS(last_data_sent) && t.last_data_sent != 0) c.item(" lastsnd:", t.last_data_sent);
  if (HAS(last_data_recv) && t.last_data_recv != 0) c.item(" lastrcv:", t.last_data_recv);
  if (HAS(last_ack_recv) && t.last_ack_recv != 0) c.item(" lastack:", t.last_ack_recv);
  // 28-31: rates (bytes/s in tcp_info, bits/s printed); ~0 means unlimited and is hidden.
  if (HAS(pacing_rate) && t.pacing_rate != 0 && t.pacing_rate != ~uint64_t{0}) {
    c.lit(" pacing_rate ");
    write_byte_rate(c, t.pacing_rate, numeric);
    c.lit("bps");
    if (HAS(max_pacing_rate) && t.max_pacing_rate != 0 && t.max_pacing_rate != ~uint64_t{0}) {
      c.ch('/');
      write_byte_rate(c, t.max_pacing_rate, numeric);
      c.lit("bps");
    }
  }
  if (HAS(delivery_rate) && t.delivery_rate != 0) {
    c.lit(" delivery_rate ");
    write_byte_rate(c, t.delivery_rate, numeric);
    c.lit("bps");
  }
  if (HAS(delivered) && t.delivered != 0) c.item(" delivered:", t.delivered);
  if (HAS(delivered_ce) && t.delivered_ce != 0) c.item(" delivered_ce:", t.delivered_ce);
  if (HAS(flags) && t.delivery_rate_app_limited()) c.lit(" app_limited");
  // 32: time busy sending, and the shares limited by the peer's window / our send buffer.
  if (HAS(busy_time) && t.busy_time != 0) {
    c.item(" busy:", t.busy_time / 1000);
    c.lit("ms");
    if (HAS(rwnd_limited) && t.rwnd_limited != 0) {
      c.item(" rwnd_limited:", t.rwnd_limited / 1000);
      c.lit("ms(");
      c.via_buffer([&t](fmt::memory_buffer& buf) {
        put_fixed1(buf,
                   100.0 * static_cast<double>(t.rwnd_limited) / static_cast<double>(t.busy_time));
      });
      c.lit("%)");
    }
    if (HAS(sndbuf_limited) && t.sndbuf_limited != 0) {
      c.item(" sndbuf_limited:", t.sndbuf_limited / 1000);
      c.lit("ms(");
      c.via_buffer([&t](fmt::memory_buffer& buf) {
        put_fixed1(
            buf, 100.0 * static_cast<double>(t.sndbuf_limited) / static_cast<double>(t.busy_time));
      });
      c.lit("%)");
    }
  }
  // 33-40: loss and reordering state. For LISTEN, unacked is the accept-queue length and
  // sacked the backlog limit, so sacked is hidden there.
  if (HAS(unacked) && t.unacked != 0) c.item(" unacked:", t.unacked);
  if (HAS(retrans) && HAS(total_retrans) && (t.retrans != 0 || t.total_retrans != 0)) {
    c.item(" retrans:", t.retrans);
    c.item("/", t.total_retrans);
  }
  if (HAS(lost) && t.lost != 0) c.item(" lost:", t.lost);
  if (HAS(sacked) && t.sacked != 0 && rec.state != static_cast<uint8_t>(model::TcpState::kListen))
    c.item(" sacked:", t.sacked);
  if (HAS(dsack_dups) && t.dsack_dups != 0) c.item(" dsack_dups:", t.dsack_dups);
  if (HAS(fackets) && t.fackets != 0) c.item(" fackets:", t.fackets);
  if (HAS(reordering) && t.reordering != 3) c.item(" reordering:", as_int(t.reordering));
  if (HAS(reord_seen) && t.reord_seen != 0) c.item(" reord_seen:", as_int(t.reord_seen));
  // 41-47: receiver side.
  if (HAS(rcv_rtt) && t.rcv_rtt != 0) {
    c.lit(" rcv_rtt:");
    write_ms(c, t.rcv_rtt);
  }
  if (HAS(rcv_space) && t.rcv_space != 0) c.item(" rcv_space:", as_int(t.rcv_space));
  if (HAS(rcv_ssthresh) && t.rcv_ssthresh != 0) c.item(" rcv_ssthresh:", t.rcv_ssthresh);
  if (HAS(notsent_bytes) && t.notsent_bytes != 0) c.item(" notsent:", t.notsent_bytes);
  if (HAS(min_rtt) && t.min_rtt != 0 && t.min_rtt != ~uint32_t{0}) {
    c.lit(" minrtt:");
    write_ms(c, t.min_rtt);
  }
  if (HAS(rcv_ooopack) && t.rcv_ooopack != 0) c.item(" rcv_ooopack:", t.rcv_ooopack);
  if (HAS(snd_wnd) && t.snd_wnd != 0) c.item(" snd_wnd:", t.snd_wnd);
  if (opts.newer_ss) {
    if (HAS(rcv_wnd) && t.rcv_wnd != 0) c.item(" rcv_wnd:", t.rcv_wnd);
    if (HAS(rehash) && t.rehash != 0) c.item(" rehash:", t.rehash);
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
