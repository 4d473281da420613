// SPDX-License-Identifier: MIT
#include "render/details.hpp"

#include <fmt/compile.h>

#include <array>
#include <cstring>
#include <tuple>
#include <utility>

#include "model/tcp_info.hpp"
#include "model/tcp_info_fields.hpp"
#include "model/tcp_state.hpp"
#include "render/append.hpp"
#include "render/number_format.hpp"
#include "render/other_sockets.hpp"

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

// The tcp_info items of the -i line, in the catalog's order (ss's). The catalog is a constant,
// so each item is expanded at compile time: its offset, label and hiding rule are constants and
// the line is written as straight-line code, with no table walk per socket.
struct InfoLine {
  const SocketRecord& rec;
  const DetailOptions& opts;
  bool proc;  // a /proc record: only the fields /proc carries
};

template <size_t I>
constexpr const model::TcpiField& field() {
  return model::kTcpiFields[I];
}

template <size_t I>
inline bool present(const InfoLine& x) {
  constexpr const model::TcpiField& f = field<I>();
  if (!model::tcp_info_has(x.rec.tcp_info_len, f.offset, f.size)) return false;
  if constexpr (f.proc == model::TcpiProc::kYes) {
    return true;
  } else if constexpr (f.proc == model::TcpiProc::kListenOnly) {
    return !x.proc || x.rec.state == static_cast<uint8_t>(model::TcpState::kListen);
  } else {
    return !x.proc;
  }
}

#define TCPI_AT(member) TCPSCOPE_TCPI_INDEX(member)
#define TCPI_PRESENT(member) present<TCPI_AT(member)>(x)

template <size_t I>
inline auto value(const TcpInfo& t) {
  constexpr const model::TcpiField& f = field<I>();
  const auto* base = reinterpret_cast<const unsigned char*>(&t) + f.offset;
  if constexpr (f.size == 1) {
    return *base;
  } else if constexpr (f.size == 2) {
    uint16_t v;
    std::memcpy(&v, base, sizeof v);
    return v;
  } else if constexpr (f.size == 4) {
    uint32_t v;
    std::memcpy(&v, base, sizeof v);
    return v;
  } else {
    uint64_t v;
    std::memcpy(&v, base, sizeof v);
    return v;
  }
}

// The composite items: several fields, or other attributes, printed at a field's position.
template <size_t I>
inline void custom_item(Cursor& c, const InfoLine& x) {
  constexpr const model::TcpiField& f = field<I>();
  const SocketRecord& rec = x.rec;
  const TcpInfo& t = rec.tcp_info;
  const bool numeric = x.opts.numeric;
  if constexpr (f.offset == offsetof(TcpInfo, options)) {
    // Option flags, only with -o/-e (ss 6.1 tcp_show_info); then the congestion control.
    if ((x.opts.options || x.opts.extended) && present<I>(x)) {
      if ((t.options & model::kTcpiOptTimestamps) != 0) c.lit(" ts");
      if (x.opts.newer_ss && (t.options & model::kTcpiOptUsecTs) != 0) c.lit(" usec_ts");
      if ((t.options & model::kTcpiOptSack) != 0) c.lit(" sack");
      if ((t.options & model::kTcpiOptEcn) != 0) c.lit(" ecn");
      if ((t.options & model::kTcpiOptEcnSeen) != 0) c.lit(" ecnseen");
      if ((t.options & model::kTcpiOptSynData) != 0) c.lit(" fastopen");
    }
    if (rec.has(model::kAttrCong) && rec.cong_len != 0) {
      c.ch(' ');
      c.padded_copy<std::tuple_size_v<decltype(rec.cong)>>(rec.cong.data(), rec.cong_len);
    }
  } else if constexpr (f.offset == offsetof(TcpInfo, wscale)) {
    // Whenever negotiated (independent of -o).
    if (TCPI_PRESENT(options) && present<I>(x) && (t.options & model::kTcpiOptWscale) != 0) {
      c.item(" wscale:", t.snd_wscale());
      c.item(",", t.rcv_wscale());
    }
  } else if constexpr (f.offset == offsetof(TcpInfo, rtt)) {
    if (TCPI_PRESENT(rttvar) && t.rtt != 0) {
      c.lit(" rtt:");
      write_ms(c, t.rtt);
      c.ch('/');
      write_ms(c, t.rttvar);
    }
  } else if constexpr (f.offset == offsetof(TcpInfo, last_data_sent)) {
    // Before lastsnd: the congestion-control extras, then the cwnd-limited send rate.
    if (rec.has(model::kAttrDctcpInfo)) {
      const auto& d = rec.dctcp;
      if (d.enabled != 0) {
        c.via_buffer([&d](fmt::memory_buffer& buf) {
          fmt::format_to(fmt::appender(buf),
                         FMT_COMPILE(" dctcp:(ce_state:{},alpha:{},ab_ecn:{},ab_tot:{})"),
                         d.ce_state, d.alpha, d.ab_ecn, d.ab_tot);
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
    // Vegas' own RTT estimate wins when it has one.
    double rtt = TCPI_PRESENT(rtt) ? static_cast<double>(t.rtt) : 0.0;
    if (rec.has(model::kAttrVegasInfo) && rec.vegas.enabled != 0 && rec.vegas.rtt != 0 &&
        rec.vegas.rtt != 0x7fffffff) {
      rtt = static_cast<double>(rec.vegas.rtt);
    }
    if (rtt > 0 && TCPI_PRESENT(snd_mss) && t.snd_mss != 0 && TCPI_PRESENT(snd_cwnd) &&
        t.snd_cwnd != 0) {
      c.lit(" send ");
      write_rate(c,
                 static_cast<double>(t.snd_cwnd) * static_cast<double>(t.snd_mss) * 8000000. / rtt,
                 numeric);
      c.lit("bps");
    }
    if (present<I>(x) && t.last_data_sent != 0) c.item(" lastsnd:", t.last_data_sent);
  } else if constexpr (f.offset == offsetof(TcpInfo, pacing_rate)) {
    // Bytes/s in tcp_info, bits/s printed; ~0 means unlimited and is hidden.
    if (present<I>(x) && t.pacing_rate != 0 && t.pacing_rate != ~uint64_t{0}) {
      c.lit(" pacing_rate ");
      write_byte_rate(c, t.pacing_rate, numeric);
      c.lit("bps");
      if (TCPI_PRESENT(max_pacing_rate) && t.max_pacing_rate != 0 &&
          t.max_pacing_rate != ~uint64_t{0}) {
        c.ch('/');
        write_byte_rate(c, t.max_pacing_rate, numeric);
        c.lit("bps");
      }
    }
  } else if constexpr (f.offset == offsetof(TcpInfo, delivery_rate)) {
    if (present<I>(x) && t.delivery_rate != 0) {
      c.lit(" delivery_rate ");
      write_byte_rate(c, t.delivery_rate, numeric);
      c.lit("bps");
    }
  } else if constexpr (f.offset == offsetof(TcpInfo, flags)) {
    if (present<I>(x) && t.delivery_rate_app_limited()) c.lit(" app_limited");
  } else if constexpr (f.offset == offsetof(TcpInfo, busy_time)) {
    // Time busy sending, and the shares limited by the peer's window / our send buffer.
    if (present<I>(x) && t.busy_time != 0) {
      c.item(" busy:", t.busy_time / 1000);
      c.lit("ms");
      if (TCPI_PRESENT(rwnd_limited) && t.rwnd_limited != 0) {
        c.item(" rwnd_limited:", t.rwnd_limited / 1000);
        c.lit("ms(");
        c.via_buffer([&t](fmt::memory_buffer& buf) {
          put_fixed1(
              buf, 100.0 * static_cast<double>(t.rwnd_limited) / static_cast<double>(t.busy_time));
        });
        c.lit("%)");
      }
      if (TCPI_PRESENT(sndbuf_limited) && t.sndbuf_limited != 0) {
        c.item(" sndbuf_limited:", t.sndbuf_limited / 1000);
        c.lit("ms(");
        c.via_buffer([&t](fmt::memory_buffer& buf) {
          put_fixed1(buf, 100.0 * static_cast<double>(t.sndbuf_limited) /
                              static_cast<double>(t.busy_time));
        });
        c.lit("%)");
      }
    }
  } else if constexpr (f.offset == offsetof(TcpInfo, retrans)) {
    if (present<I>(x) && TCPI_PRESENT(total_retrans) && (t.retrans != 0 || t.total_retrans != 0)) {
      c.item(" retrans:", t.retrans);
      c.item("/", t.total_retrans);
    }
  } else if constexpr (f.offset == offsetof(TcpInfo, sacked)) {
    // For LISTEN, sacked is the backlog limit, so it is hidden there.
    if (present<I>(x) && t.sacked != 0 &&
        rec.state != static_cast<uint8_t>(model::TcpState::kListen))
      c.item(" sacked:", t.sacked);
  } else {
    static_assert(f.text != model::TcpiText::kCustom, "a custom -i item without code");
  }
}

// One catalog item of the -i line.
template <size_t I>
inline void info_item(Cursor& c, const InfoLine& x) {
  constexpr const model::TcpiField& f = field<I>();
  if constexpr (f.text == model::TcpiText::kCustom) {
    custom_item<I>(c, x);
  } else if constexpr (f.text != model::TcpiText::kNone) {
    if constexpr (f.newer_ss) {
      if (!x.opts.newer_ss) return;
    }
    if (!present<I>(x)) return;
    const auto v = value<I>(x.rec.tcp_info);
    if constexpr (!f.show_zero) {
      if (v == 0) return;
    }
    if constexpr (f.hide != 0 && f.hide_from) {
      if (v >= f.hide) return;
    } else if constexpr (f.hide != 0) {
      if (v == f.hide) return;
    }
    c.str(f.label);
    if constexpr (f.text == model::TcpiText::kMs) {
      write_ms(c, static_cast<uint32_t>(v));
    } else if constexpr (f.text == model::TcpiText::kInt) {
      c.num(as_int(static_cast<uint32_t>(v)));
    } else {
      c.num(v);
    }
  }
}

template <size_t... I>
inline void info_items(Cursor& c, const InfoLine& x, std::index_sequence<I...>) {
  (info_item<I>(c, x), ...);
}

#undef TCPI_PRESENT
#undef TCPI_AT

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
  // One reservation for the whole line; items are then written through a raw pointer.
  Cursor c(out, kTcpInfoRoom);
  info_items(c, InfoLine{rec, opts, rec.origin == model::Origin::kProc},
             std::make_index_sequence<model::kTcpiFieldCount>{});
}

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
    if (opts.info && rec.mptcp) append_mptcp_info(out, rec);
  }
}

}  // namespace tcpscope::render
