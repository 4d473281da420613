// SPDX-License-Identifier: MIT
// The catalog of tcp_info fields: the one place that says, for every field of struct tcp_info,
// its name in JSON and CSV, its unit, the kernel that brought it, whether /proc/net/tcp carries
// it, and how ss's -i line prints it. The -i text, the JSON, the CSV and the live views all
// render from this table; adding a field is one line here.
//
// Order: the table is in ss's -i order (ss 6.1 tcp_show_info), so the text renderer walks it as
// it is. JSON lists its numbers in struct order (kTcpiJsonNumbers), CSV its columns by `csv` rank
// (kTcpiCsvOrder); both orders are derived from the table at compile time.
//
// Common mistake: reading a field without tcpi_present(). A field the kernel did not send (an
// older kernel's shorter struct) or that /proc does not carry is absent, not 0.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "model/socket_record.hpp"
#include "model/tcp_info.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

enum class TcpiUnit : uint8_t {
  kCount,        // events or a number of packets/segments
  kBytes,        // bytes
  kUsec,         // microseconds
  kMsec,         // milliseconds
  kBytesPerSec,  // bytes per second
  kEnum,         // a state or an enumeration
  kBits,         // flag bits
};

// How ss's -i line shows a field.
enum class TcpiText : uint8_t {
  kNone,    // not on the -i line
  kUint,    // " label:value"
  kInt,     // " label:value" from a C int, as ss prints it (values >= 2^31 come out negative)
  kMs,      // " label:" and the microsecond value as milliseconds (%g of usec / 1000)
  kCustom,  // at this position the renderer prints it with its own code (composites)
};

enum class TcpiJson : uint8_t {
  kNumber,  // "key": value
  kCustom,  // the renderer writes it (a name or an object), before the numbers
};

// Where /proc/net/tcp{,6} carries the field (the /proc source fills exactly these).
enum class TcpiProc : uint8_t { kNo, kYes, kListenOnly };

struct TcpiField {
  std::string_view key;  // JSON key and CSV column ("rtt_us")
  uint16_t offset;
  uint8_t size;  // 1, 2, 4 or 8
  TcpiUnit unit;
  std::string_view since;  // the kernel that added it ("" for the original 2.6 struct)
  TcpiProc proc;
  TcpiJson json;
  TcpiText text;
  std::string_view label;  // ss's text label, with the leading space (" mss:")
  // The value ss does not print besides 0 (rto's initial 3 s, an "infinite" min_rtt); with
  // `hide_from`, every value from it on (ssthresh's initial 0x7fffffff). 0: none.
  uint64_t hide;
  bool hide_from;
  bool show_zero;  // 0 is printed too (reordering)
  bool newer_ss;   // printed only by ss >= 6.2 (DetailOptions::newer_ss)
  uint8_t csv;     // CSV column rank (1 = first tcp_info column); 0: not a CSV column
  std::string_view meaning;
};

// clang-format off
#define TCPSCOPE_TCPI(member, key, unit, since, proc, json, text, label, hide, hide_from, show_zero, newer_ss, csv, meaning) \
  TcpiField{key, static_cast<uint16_t>(offsetof(TcpInfo, member)),                                \
            static_cast<uint8_t>(sizeof(TcpInfo::member)), TcpiUnit::unit, since, TcpiProc::proc, \
            TcpiJson::json, TcpiText::text, label, hide, hide_from, show_zero, newer_ss, csv, meaning}
inline constexpr TcpiField kTcpiFields[] = {
  //            member           key                              unit          since   /proc        json     text     label             hide        from   zero   newer  csv  meaning
  TCPSCOPE_TCPI(options,         "options",                       kBits,        "",     kNo,         kCustom, kCustom, "",               0,          false, false, false, 0,  "negotiated options: timestamps, SACK, window scaling, ECN, TFO"),
  TCPSCOPE_TCPI(wscale,          "wscale",                        kCount,       "",     kNo,         kCustom, kCustom, " wscale:",       0,          false, false, false, 0,  "send and receive window scale"),
  TCPSCOPE_TCPI(rto,             "rto_us",                        kUsec,        "",     kYes,        kNumber, kMs,     " rto:",          3000000,    false, false, false, 1,  "retransmission timeout"),
  TCPSCOPE_TCPI(backoff,         "backoff",                       kCount,       "",     kNo,         kNumber, kUint,   " backoff:",      0,          false, false, false, 0,  "exponential backoff of the RTO"),
  TCPSCOPE_TCPI(rtt,             "rtt_us",                        kUsec,        "",     kNo,         kNumber, kCustom, " rtt:",          0,          false, false, false, 2,  "smoothed round-trip time"),
  TCPSCOPE_TCPI(rttvar,          "rttvar_us",                     kUsec,        "",     kNo,         kNumber, kNone,   "",               0,          false, false, false, 3,  "round-trip time variance (printed with rtt)"),
  TCPSCOPE_TCPI(ato,             "ato_us",                        kUsec,        "",     kYes,        kNumber, kMs,     " ato:",          0,          false, false, false, 0,  "delayed-ACK timeout"),
  TCPSCOPE_TCPI(snd_mss,         "snd_mss",                       kBytes,       "",     kNo,         kNumber, kInt,    " mss:",          0,          false, false, false, 5,  "sender maximum segment size"),
  TCPSCOPE_TCPI(pmtu,            "pmtu",                          kBytes,       "",     kNo,         kNumber, kUint,   " pmtu:",         0,          false, false, false, 0,  "path MTU"),
  TCPSCOPE_TCPI(rcv_mss,         "rcv_mss",                       kBytes,       "",     kNo,         kNumber, kInt,    " rcvmss:",       0,          false, false, false, 6,  "estimated peer MSS"),
  TCPSCOPE_TCPI(advmss,          "advmss",                        kBytes,       "",     kNo,         kNumber, kInt,    " advmss:",       0,          false, false, false, 0,  "advertised MSS"),
  TCPSCOPE_TCPI(snd_cwnd,        "snd_cwnd",                      kCount,       "",     kYes,        kNumber, kUint,   " cwnd:",         0,          false, false, false, 7,  "congestion window, in segments"),
  TCPSCOPE_TCPI(snd_ssthresh,    "snd_ssthresh",                  kCount,       "",     kYes,        kNumber, kInt,    " ssthresh:",     0xFFFF,     true,  false, false, 8,  "slow-start threshold, in segments"),
  TCPSCOPE_TCPI(bytes_sent,      "bytes_sent",                    kBytes,       "4.19", kNo,         kNumber, kUint,   " bytes_sent:",   0,          false, false, false, 13, "bytes sent, retransmissions included"),
  TCPSCOPE_TCPI(bytes_retrans,   "bytes_retrans",                 kBytes,       "4.19", kNo,         kNumber, kUint,   " bytes_retrans:", 0,         false, false, false, 14, "bytes retransmitted"),
  TCPSCOPE_TCPI(bytes_acked,     "bytes_acked",                   kBytes,       "4.1",  kNo,         kNumber, kUint,   " bytes_acked:",  0,          false, false, false, 15, "bytes acknowledged by the peer"),
  TCPSCOPE_TCPI(bytes_received,  "bytes_received",                kBytes,       "4.1",  kNo,         kNumber, kUint,   " bytes_received:", 0,        false, false, false, 16, "bytes received in order"),
  TCPSCOPE_TCPI(segs_out,        "segs_out",                      kCount,       "4.2",  kNo,         kNumber, kUint,   " segs_out:",     0,          false, false, false, 17, "segments sent"),
  TCPSCOPE_TCPI(segs_in,         "segs_in",                       kCount,       "4.2",  kNo,         kNumber, kUint,   " segs_in:",      0,          false, false, false, 18, "segments received"),
  TCPSCOPE_TCPI(data_segs_out,   "data_segs_out",                 kCount,       "4.6",  kNo,         kNumber, kUint,   " data_segs_out:", 0,         false, false, false, 19, "segments sent with data"),
  TCPSCOPE_TCPI(data_segs_in,    "data_segs_in",                  kCount,       "4.6",  kNo,         kNumber, kUint,   " data_segs_in:", 0,          false, false, false, 20, "segments received with data"),
  // The congestion-control extras (dctcp, bbr) and the send rate come before lastsnd.
  TCPSCOPE_TCPI(last_data_sent,  "last_data_sent_ms",             kMsec,        "",     kNo,         kNumber, kCustom, " lastsnd:",      0,          false, false, false, 27, "time since data was last sent"),
  TCPSCOPE_TCPI(last_data_recv,  "last_data_recv_ms",             kMsec,        "",     kNo,         kNumber, kUint,   " lastrcv:",      0,          false, false, false, 28, "time since data was last received"),
  TCPSCOPE_TCPI(last_ack_recv,   "last_ack_recv_ms",              kMsec,        "",     kNo,         kNumber, kUint,   " lastack:",      0,          false, false, false, 29, "time since an ACK was last received"),
  TCPSCOPE_TCPI(pacing_rate,     "pacing_rate_bytes_per_sec",     kBytesPerSec, "3.15", kNo,         kNumber, kCustom, " pacing_rate ",  0,          false, false, false, 22, "pacing rate (~0: unlimited)"),
  TCPSCOPE_TCPI(max_pacing_rate, "max_pacing_rate_bytes_per_sec", kBytesPerSec, "3.15", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "SO_MAX_PACING_RATE (printed with pacing_rate)"),
  TCPSCOPE_TCPI(delivery_rate,   "delivery_rate_bytes_per_sec",   kBytesPerSec, "4.9",  kNo,         kNumber, kCustom, " delivery_rate ", 0,         false, false, false, 23, "most recent delivery rate"),
  TCPSCOPE_TCPI(delivered,       "delivered",                     kCount,       "4.18", kNo,         kNumber, kUint,   " delivered:",    0,          false, false, false, 21, "segments delivered, retransmissions included"),
  TCPSCOPE_TCPI(delivered_ce,    "delivered_ce",                  kCount,       "4.18", kNo,         kNumber, kUint,   " delivered_ce:", 0,          false, false, false, 0,  "segments delivered with an ECN CE mark"),
  TCPSCOPE_TCPI(flags,           "flags",                         kBits,        "4.9",  kNo,         kCustom, kCustom, " app_limited",   0,          false, false, false, 0,  "delivery rate application-limited; TFO client failure"),
  TCPSCOPE_TCPI(busy_time,       "busy_time_us",                  kUsec,        "4.10", kNo,         kNumber, kCustom, " busy:",         0,          false, false, false, 24, "time with data outstanding"),
  TCPSCOPE_TCPI(rwnd_limited,    "rwnd_limited_us",               kUsec,        "4.10", kNo,         kNumber, kNone,   "",               0,          false, false, false, 25, "time limited by the receive window (printed with busy)"),
  TCPSCOPE_TCPI(sndbuf_limited,  "sndbuf_limited_us",             kUsec,        "4.10", kNo,         kNumber, kNone,   "",               0,          false, false, false, 26, "time limited by the send buffer (printed with busy)"),
  TCPSCOPE_TCPI(unacked,         "unacked",                       kCount,       "",     kListenOnly, kNumber, kUint,   " unacked:",      0,          false, false, false, 9,  "segments in flight; LISTEN: the accept-queue length"),
  TCPSCOPE_TCPI(retrans,         "retrans",                       kCount,       "",     kNo,         kNumber, kCustom, " retrans:",      0,          false, false, false, 11, "segments being retransmitted (printed with total_retrans)"),
  TCPSCOPE_TCPI(total_retrans,   "total_retrans",                 kCount,       "",     kNo,         kNumber, kNone,   "",               0,          false, false, false, 12, "retransmissions over the connection's life"),
  TCPSCOPE_TCPI(lost,            "lost",                          kCount,       "",     kNo,         kNumber, kUint,   " lost:",         0,          false, false, false, 10, "segments presumed lost"),
  TCPSCOPE_TCPI(sacked,          "sacked",                        kCount,       "",     kNo,         kNumber, kCustom, " sacked:",       0,          false, false, false, 0,  "segments SACKed; LISTEN: the accept-queue limit"),
  TCPSCOPE_TCPI(dsack_dups,      "dsack_dups",                    kCount,       "4.19", kNo,         kNumber, kUint,   " dsack_dups:",   0,          false, false, false, 0,  "duplicate segments reported by D-SACK"),
  TCPSCOPE_TCPI(fackets,         "fackets",                       kCount,       "",     kNo,         kNumber, kUint,   " fackets:",      0,          false, false, false, 0,  "forward-acknowledged segments (always 0 since 4.15)"),
  TCPSCOPE_TCPI(reordering,      "reordering",                    kCount,       "",     kNo,         kNumber, kInt,    " reordering:",   3,          false, true,  false, 31, "reordering degree (3 is the initial value)"),
  TCPSCOPE_TCPI(reord_seen,      "reord_seen",                    kCount,       "4.19", kNo,         kNumber, kInt,    " reord_seen:",   0,          false, false, false, 0,  "reordering events seen"),
  TCPSCOPE_TCPI(rcv_rtt,         "rcv_rtt_us",                    kUsec,        "",     kNo,         kNumber, kMs,     " rcv_rtt:",      0,          false, false, false, 0,  "receiver-side RTT estimate"),
  TCPSCOPE_TCPI(rcv_space,       "rcv_space",                     kBytes,       "",     kNo,         kNumber, kInt,    " rcv_space:",    0,          false, false, false, 32, "receive-buffer autotuning space"),
  TCPSCOPE_TCPI(rcv_ssthresh,    "rcv_ssthresh",                  kBytes,       "",     kNo,         kNumber, kUint,   " rcv_ssthresh:", 0,          false, false, false, 0,  "receive window clamp during slow start"),
  TCPSCOPE_TCPI(notsent_bytes,   "notsent_bytes",                 kBytes,       "4.6",  kNo,         kNumber, kUint,   " notsent:",      0,          false, false, false, 30, "bytes queued and not yet sent"),
  TCPSCOPE_TCPI(min_rtt,         "min_rtt_us",                    kUsec,        "4.6",  kNo,         kNumber, kMs,     " minrtt:",       0xFFFFFFFF, false, false, false, 4,  "minimum RTT seen (~0: none yet)"),
  TCPSCOPE_TCPI(rcv_ooopack,     "rcv_ooopack",                   kCount,       "5.4",  kNo,         kNumber, kUint,   " rcv_ooopack:",  0,          false, false, false, 0,  "out-of-order packets received"),
  TCPSCOPE_TCPI(snd_wnd,         "snd_wnd",                       kBytes,       "5.4",  kNo,         kNumber, kUint,   " snd_wnd:",      0,          false, false, false, 33, "peer's advertised receive window"),
  TCPSCOPE_TCPI(rcv_wnd,         "rcv_wnd",                       kBytes,       "6.2",  kNo,         kNumber, kUint,   " rcv_wnd:",      0,          false, false, true,  34, "our advertised receive window"),
  TCPSCOPE_TCPI(rehash,          "rehash",                        kCount,       "6.2",  kNo,         kNumber, kUint,   " rehash:",       0,          false, false, true,  0,  "path rehashes after timeouts"),
  // Not on ss's -i line.
  TCPSCOPE_TCPI(state,           "state",                         kEnum,        "",     kYes,        kCustom, kNone,   "",               0,          false, false, false, 0,  "TCP state"),
  TCPSCOPE_TCPI(ca_state,        "ca_state",                      kEnum,        "",     kNo,         kCustom, kNone,   "",               0,          false, false, false, 0,  "congestion-avoidance state"),
  TCPSCOPE_TCPI(retransmits,     "retransmits",                   kCount,       "",     kYes,        kNumber, kNone,   "",               0,          false, false, false, 0,  "RTO retransmissions of the head segment in a row"),
  TCPSCOPE_TCPI(probes,          "probes",                        kCount,       "",     kYes,        kNumber, kNone,   "",               0,          false, false, false, 0,  "zero-window or keepalive probes unanswered"),
  TCPSCOPE_TCPI(last_ack_sent,   "last_ack_sent_ms",              kMsec,        "",     kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "never set by the kernel"),
  TCPSCOPE_TCPI(total_rto,       "total_rto",                     kCount,       "6.7",  kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "RTO timeouts"),
  TCPSCOPE_TCPI(total_rto_recoveries, "total_rto_recoveries",     kCount,       "6.7",  kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "RTO recovery episodes"),
  TCPSCOPE_TCPI(total_rto_time,  "total_rto_time_ms",             kMsec,        "6.7",  kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "time spent in RTO recovery"),
  TCPSCOPE_TCPI(received_ce,     "received_ce",                   kCount,       "6.18", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "packets received with CE (AccECN)"),
  TCPSCOPE_TCPI(delivered_e1_bytes, "delivered_e1_bytes",         kBytes,       "6.18", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "bytes delivered with ECT(1) (AccECN)"),
  TCPSCOPE_TCPI(delivered_e0_bytes, "delivered_e0_bytes",         kBytes,       "6.18", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "bytes delivered with ECT(0) (AccECN)"),
  TCPSCOPE_TCPI(delivered_ce_bytes, "delivered_ce_bytes",         kBytes,       "6.18", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "bytes delivered with CE (AccECN)"),
  TCPSCOPE_TCPI(received_e1_bytes, "received_e1_bytes",           kBytes,       "6.18", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "bytes received with ECT(1) (AccECN)"),
  TCPSCOPE_TCPI(received_e0_bytes, "received_e0_bytes",           kBytes,       "6.18", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "bytes received with ECT(0) (AccECN)"),
  TCPSCOPE_TCPI(received_ce_bytes, "received_ce_bytes",           kBytes,       "6.18", kNo,         kNumber, kNone,   "",               0,          false, false, false, 0,  "bytes received with CE (AccECN)"),
  // Bytes 276-279 (accecn_fail_mode/accecn_opt_seen in 6.18, a different bitfield in 7.0) are
  // left out until the layout can be told apart.
};
#undef TCPSCOPE_TCPI
// clang-format on

inline constexpr size_t kTcpiFieldCount = std::size(kTcpiFields);

// The table checks itself: one entry per offset and per key, CSV ranks 1..n each used once,
// every field inside the struct, labels only on text items.
constexpr bool tcpi_catalog_valid() {
  size_t csv = 0;
  for (size_t i = 0; i < kTcpiFieldCount; ++i) {
    const TcpiField& f = kTcpiFields[i];
    if (f.offset + f.size > sizeof(TcpInfo) || f.key.empty()) return false;
    const bool simple = f.text != TcpiText::kNone && f.text != TcpiText::kCustom;
    if ((f.text == TcpiText::kNone && !f.label.empty()) || (simple && f.label.empty())) {
      return false;
    }
    if (f.csv != 0) ++csv;
    for (size_t j = i + 1; j < kTcpiFieldCount; ++j) {
      const TcpiField& g = kTcpiFields[j];
      if (f.offset == g.offset || f.key == g.key || (f.csv != 0 && f.csv == g.csv)) return false;
    }
  }
  for (const TcpiField& f : kTcpiFields) {
    if (f.csv > csv) return false;
  }
  return true;
}
static_assert(tcpi_catalog_valid(), "the tcp_info catalog has a duplicate or a bad entry");

// The field at `offset`; a constant expression, so renderers can name fields by member.
constexpr size_t tcpi_index(size_t offset) {
  for (size_t i = 0; i < kTcpiFieldCount; ++i) {
    if (kTcpiFields[i].offset == offset) return i;
  }
  return kTcpiFieldCount;
}
#define TCPSCOPE_TCPI_INDEX(member) \
  ::tcpscope::model::tcpi_index(offsetof(::tcpscope::model::TcpInfo, member))

inline constexpr size_t kTcpiJsonNumberCount = [] {
  size_t n = 0;
  for (const TcpiField& f : kTcpiFields) n += f.json == TcpiJson::kNumber ? 1 : 0;
  return n;
}();

// JSON's numbers in struct order (after the fields the renderer writes itself, which are the
// struct's first bytes). Copies, so the renderer walks one contiguous array.
inline constexpr auto kTcpiJsonNumbers = [] {
  std::array<TcpiField, kTcpiJsonNumberCount> out{};
  size_t n = 0;
  for (const TcpiField& f : kTcpiFields) {
    if (f.json == TcpiJson::kNumber) out[n++] = f;
  }
  std::sort(out.begin(), out.end(),
            [](const TcpiField& a, const TcpiField& b) { return a.offset < b.offset; });
  return out;
}();

inline constexpr size_t kTcpiCsvColumns = [] {
  size_t n = 0;
  for (const TcpiField& f : kTcpiFields) n += f.csv != 0 ? 1 : 0;
  return n;
}();

// CSV columns in rank order.
inline constexpr auto kTcpiCsvOrder = [] {
  std::array<uint8_t, kTcpiCsvColumns> order{};
  for (size_t i = 0; i < kTcpiFieldCount; ++i) {
    if (kTcpiFields[i].csv != 0) order[kTcpiFields[i].csv - 1] = static_cast<uint8_t>(i);
  }
  return order;
}();

// True when /proc/net/tcp carries `f` for a socket in `state`.
constexpr bool tcpi_proc_has(const TcpiField& f, uint8_t state) {
  return f.proc == TcpiProc::kYes ||
         (f.proc == TcpiProc::kListenOnly && state == static_cast<uint8_t>(TcpState::kListen));
}

// True when `rec` carries field `f`: the kernel sent tcp_info long enough to hold it, and for a
// /proc record, /proc has it.
constexpr bool tcpi_present(const SocketRecord& rec, const TcpiField& f) {
  if (!rec.has(kAttrInfo) || !tcp_info_has(rec.tcp_info_len, f.offset, f.size)) return false;
  return rec.origin != Origin::kProc || tcpi_proc_has(f, rec.state);
}

inline uint64_t tcpi_read(const TcpInfo& t, const TcpiField& f) {
  const auto* base = reinterpret_cast<const unsigned char*>(&t) + f.offset;
  switch (f.size) {
    case 1:
      return *base;
    case 2: {
      uint16_t v;
      std::memcpy(&v, base, sizeof v);
      return v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, base, sizeof v);
      return v;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, base, sizeof v);
      return v;
    }
  }
}

}  // namespace tcpscope::model
