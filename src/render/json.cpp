#include "render/json.hpp"

#include <fmt/compile.h>

#include <array>
#include <cstring>
#include <type_traits>

#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/append.hpp"
#include "render/details.hpp"
#include "render/tcpi_fields.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using detail::put_int;
using detail::TcpiField;
using model::SocketRecord;

constexpr uint8_t kAfInet = 2;
constexpr uint8_t kAfInet6 = 10;

// Writes the members of one JSON object, with the commas between them. Each member is laid
// out with a single resize of the buffer: JSON is mostly keys, and per-character appends were
// the main cost.
class Object {
 public:
  explicit Object(fmt::memory_buffer& out) : out_(out) { put(out_, '{'); }
  void close() { put(out_, '}'); }

  void key(std::string_view k) { begin_member(k, 0); }
  template <typename Int>
  void num(std::string_view k, Int v) {
    const auto u = static_cast<uint64_t>(v);
    static_assert(std::is_unsigned_v<Int>, "JSON numbers here are unsigned");
    const int digits = detail::count_digits(u);
    char* end = begin_member(k, static_cast<size_t>(digits)) + digits;
    detail::write_digits(end, u, digits);
  }
  void boolean(std::string_view k, bool v) {
    const std::string_view text = v ? "true" : "false";
    std::memcpy(begin_member(k, text.size()), text.data(), text.size());
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  // Shortest round-trip text; only ever called with finite values.
  void real(std::string_view k, double v) {
    key(k);
    fmt::format_to(fmt::appender(out_), FMT_COMPILE("{}"), v);
  }
  Object object(std::string_view k) {
    key(k);
    return Object(out_);
  }
  fmt::memory_buffer& out() { return out_; }

 private:
  // Appends [,]"k": and room for `value_len` more bytes; returns where the value goes.
  char* begin_member(std::string_view k, size_t value_len) {
    const size_t size = out_.size();
    const size_t comma = first_ ? 0 : 1;
    out_.resize(size + comma + k.size() + 3 + value_len);
    char* p = out_.data() + size;
    if (!first_) *p++ = ',';
    first_ = false;
    *p++ = '"';
    std::memcpy(p, k.data(), k.size());  // keys are ASCII identifiers: nothing to escape
    p += k.size();
    *p++ = '"';
    *p++ = ':';
    return p;
  }

  fmt::memory_buffer& out_;
  bool first_ = true;
};

std::string_view family_name(uint8_t family) {
  switch (family) {
    case kAfInet:
      return "ipv4";
    case kAfInet6:
      return "ipv6";
    default:
      return "unknown";
  }
}

std::string_view ca_state_name(uint8_t s) {
  static constexpr std::array<std::string_view, 5> kNames = {"open", "disorder", "cwr", "recovery",
                                                             "loss"};
  return s < kNames.size() ? kNames[s] : "unknown";
}

void address(Object& o, std::string_view k, const SocketRecord& rec,
             const std::array<uint8_t, 16>& a) {
  o.key(k);
  put(o.out(), '"');
  append_plain_address(o.out(), rec.family, a);  // hex digits, dots and colons only
  put(o.out(), '"');
}

// Numeric tcp_info fields, in struct order, with unit-bearing names where the unit is not
// obvious. The byte fields before rto (state, options, ...) are written by hand.
#define F TCPSCOPE_TCPI_FIELD
constexpr TcpiField kTcpiFields[] = {
    F("retransmits", retransmits),
    F("probes", probes),
    F("backoff", backoff),
    F("rto_us", rto),
    F("ato_us", ato),
    F("snd_mss", snd_mss),
    F("rcv_mss", rcv_mss),
    F("unacked", unacked),
    F("sacked", sacked),
    F("lost", lost),
    F("retrans", retrans),
    F("fackets", fackets),
    F("last_data_sent_ms", last_data_sent),
    F("last_ack_sent_ms", last_ack_sent),
    F("last_data_recv_ms", last_data_recv),
    F("last_ack_recv_ms", last_ack_recv),
    F("pmtu", pmtu),
    F("rcv_ssthresh", rcv_ssthresh),
    F("rtt_us", rtt),
    F("rttvar_us", rttvar),
    F("snd_ssthresh", snd_ssthresh),
    F("snd_cwnd", snd_cwnd),
    F("advmss", advmss),
    F("reordering", reordering),
    F("rcv_rtt_us", rcv_rtt),
    F("rcv_space", rcv_space),
    F("total_retrans", total_retrans),
    F("pacing_rate_bytes_per_sec", pacing_rate),
    F("max_pacing_rate_bytes_per_sec", max_pacing_rate),
    F("bytes_acked", bytes_acked),
    F("bytes_received", bytes_received),
    F("segs_out", segs_out),
    F("segs_in", segs_in),
    F("notsent_bytes", notsent_bytes),
    F("min_rtt_us", min_rtt),
    F("data_segs_in", data_segs_in),
    F("data_segs_out", data_segs_out),
    F("delivery_rate_bytes_per_sec", delivery_rate),
    F("busy_time_us", busy_time),
    F("rwnd_limited_us", rwnd_limited),
    F("sndbuf_limited_us", sndbuf_limited),
    F("delivered", delivered),
    F("delivered_ce", delivered_ce),
    F("bytes_sent", bytes_sent),
    F("bytes_retrans", bytes_retrans),
    F("dsack_dups", dsack_dups),
    F("reord_seen", reord_seen),
    F("rcv_ooopack", rcv_ooopack),
    F("snd_wnd", snd_wnd),
    F("rcv_wnd", rcv_wnd),
    F("rehash", rehash),
    F("total_rto", total_rto),
    F("total_rto_recoveries", total_rto_recoveries),
    F("total_rto_time_ms", total_rto_time),
    F("received_ce", received_ce),
    F("delivered_e1_bytes", delivered_e1_bytes),
    F("delivered_e0_bytes", delivered_e0_bytes),
    F("delivered_ce_bytes", delivered_ce_bytes),
    F("received_e1_bytes", received_e1_bytes),
    F("received_e0_bytes", received_e0_bytes),
    F("received_ce_bytes", received_ce_bytes),
    // Bytes 276-279 (accecn_fail_mode/accecn_opt_seen in 6.18, a different bitfield in 7.0)
    // are left out until the layout can be told apart.
};
constexpr TcpiField kTcpiState = F("state", state);
constexpr TcpiField kTcpiCaState = F("ca_state", ca_state);
constexpr TcpiField kTcpiOptions = F("options", options);
constexpr TcpiField kTcpiWscale = F("wscale", wscale);
constexpr TcpiField kTcpiFlags = F("flags", flags);
#undef F

void tcp_info(Object& parent, const SocketRecord& rec) {
  const model::TcpInfo& t = rec.tcp_info;
  Object o = parent.object("tcp_info");
  if (detail::tcpi_present(rec, kTcpiState)) o.str("state", model::state_key(t.state));
  if (detail::tcpi_present(rec, kTcpiCaState)) o.str("ca_state", ca_state_name(t.ca_state));
  if (detail::tcpi_present(rec, kTcpiOptions)) {
    Object f = o.object("options");
    f.boolean("timestamps", (t.options & model::kTcpiOptTimestamps) != 0);
    f.boolean("sack", (t.options & model::kTcpiOptSack) != 0);
    f.boolean("wscale", (t.options & model::kTcpiOptWscale) != 0);
    f.boolean("ecn", (t.options & model::kTcpiOptEcn) != 0);
    f.boolean("ecn_seen", (t.options & model::kTcpiOptEcnSeen) != 0);
    f.boolean("syn_data", (t.options & model::kTcpiOptSynData) != 0);
    f.boolean("usec_ts", (t.options & model::kTcpiOptUsecTs) != 0);
    f.boolean("tfo_child", (t.options & model::kTcpiOptTfoChild) != 0);
    f.close();
  }
  if (detail::tcpi_present(rec, kTcpiWscale)) {
    o.num("snd_wscale", t.snd_wscale());
    o.num("rcv_wscale", t.rcv_wscale());
  }
  if (detail::tcpi_present(rec, kTcpiFlags)) {
    o.boolean("delivery_rate_app_limited", t.delivery_rate_app_limited());
    o.num("fastopen_client_fail", t.fastopen_client_fail());
  }
  for (const TcpiField& f : kTcpiFields) {
    if (detail::tcpi_present(rec, f)) o.num(f.key, detail::tcpi_read(t, f));
  }
  o.close();
}

// Writes the JSON escape of an ASCII byte that cannot appear raw in a string.
void put_escaped_control(fmt::memory_buffer& out, unsigned char c) {
  switch (c) {
    case '"':
      put(out, "\\\"");
      return;
    case '\\':
      put(out, "\\\\");
      return;
    case '\b':
      put(out, "\\b");
      return;
    case '\f':
      put(out, "\\f");
      return;
    case '\n':
      put(out, "\\n");
      return;
    case '\r':
      put(out, "\\r");
      return;
    case '\t':
      put(out, "\\t");
      return;
    default:
      fmt::format_to(fmt::appender(out), FMT_COMPILE("\\u{:04x}"), c);
  }
}

// Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
  }
  return n;
}

}  // namespace

void append_json_string(fmt::memory_buffer& out, std::string_view s) {
  put(out, '"');
  size_t run = 0;  // start of the pending run of bytes copied as they are
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const size_t n = utf8_sequence_length(s, i);
      if (n != 0) {
        i += n;
        continue;
      }
    }
    put(out, s.substr(run, i - run));
    if (c >= 0x80) {
      put(out, "\\ufffd");
    } else {
      put_escaped_control(out, c);
    }
    run = ++i;
  }
  put(out, s.substr(run));
  put(out, '"');
}

void append_json(fmt::memory_buffer& out, const SocketRecord& rec, model::NameLookup* names) {
  Object o(out);
  o.str("family", family_name(rec.family));
  o.str("protocol", rec.protocol == 6 ? "tcp" : rec.protocol == 17 ? "udp" : "unknown");
  o.str("state", model::state_key(rec.state));
  address(o, "local_address", rec, rec.src);
  o.num("local_port", rec.sport);
  address(o, "peer_address", rec, rec.dst);
  o.num("peer_port", rec.dport);
  if (rec.ifindex != 0) {
    o.num("ifindex", rec.ifindex);
    const std::string_view name = names != nullptr ? names->ifname(rec.ifindex) : "";
    if (!name.empty()) o.str("ifname", name);
  }
  o.num("recv_q", rec.rqueue);
  o.num("send_q", rec.wqueue);
  if (rec.timer != 0) {
    Object t = o.object("timer");
    t.str("name", timer_name(rec.timer));
    t.num("expires_ms", rec.expires_ms);
    t.num("retrans", rec.retrans);
    t.close();
  }
  o.num("uid", rec.uid);
  o.num("inode", rec.inode);
  // /proc has no cookie (its "sk" column is a kernel pointer, hidden by kptr_restrict).
  if (rec.origin == model::Origin::kNetlink) o.num("cookie", rec.cookie);
  if (rec.has(model::kAttrMark)) o.num("mark", rec.mark);
  if (rec.has(model::kAttrCgroupId)) {
    o.num("cgroup_id", rec.cgroup_id);
    const std::string_view path = names != nullptr ? names->cgroup_path(rec.cgroup_id) : "";
    if (!path.empty()) o.str("cgroup", path);
  }
  if (rec.has(model::kAttrSkV6Only)) o.boolean("v6only", rec.v6only != 0);
  if (rec.has(model::kAttrShutdown)) {
    Object s = o.object("shutdown");
    s.boolean("recv", (rec.shutdown & 1) != 0);
    s.boolean("send", (rec.shutdown & 2) != 0);
    s.close();
  }
  if (rec.has(model::kAttrTos)) o.num("tos", rec.tos);
  if (rec.has(model::kAttrTclass)) o.num("tclass", rec.tclass);
  if (rec.has(model::kAttrClassId)) o.num("class_id", rec.class_id);
  if (rec.has(model::kAttrSockOpt)) {
    static constexpr std::array<std::string_view, 11> kFlags = {
        "recverr",         "is_icsk",      "freebind",
        "hdrincl",         "mc_loop",      "transparent",
        "mc_all",          "nodefrag",     "bind_address_no_port",
        "recverr_rfc4884", "defer_connect"};
    Object s = o.object("sockopt");
    for (size_t i = 0; i < kFlags.size(); ++i) s.boolean(kFlags[i], ((rec.sockopt >> i) & 1u) != 0);
    s.close();
  }
  if (rec.has(model::kAttrMeminfo)) {
    Object m = o.object("meminfo");
    m.num("rmem", rec.meminfo.rmem);
    m.num("wmem", rec.meminfo.wmem);
    m.num("fmem", rec.meminfo.fmem);
    m.num("tmem", rec.meminfo.tmem);
    m.close();
  }
  if (rec.has(model::kAttrSkMeminfo)) {
    static constexpr std::array<std::string_view, 9> kNames = {
        "rmem_alloc",  "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc",
        "wmem_queued", "optmem", "backlog",    "drops"};
    Object m = o.object("skmem");
    const size_t n = rec.skmem_count < kNames.size() ? rec.skmem_count : kNames.size();
    for (size_t i = 0; i < n; ++i) m.num(kNames[i], rec.skmem[i]);
    m.close();
  }
  if (rec.has(model::kAttrCong)) o.str("congestion", rec.cong_name());
  if (rec.has(model::kAttrBbrInfo)) {
    Object b = o.object("bbr");
    b.num("bw_bytes_per_sec", (uint64_t{rec.bbr.bw_hi} << 32) | rec.bbr.bw_lo);
    b.num("min_rtt_us", rec.bbr.min_rtt);
    b.real("pacing_gain", static_cast<double>(rec.bbr.pacing_gain) / 256.0);
    b.real("cwnd_gain", static_cast<double>(rec.bbr.cwnd_gain) / 256.0);
    b.close();
  }
  if (rec.has(model::kAttrVegasInfo)) {
    Object v = o.object("vegas");
    v.boolean("enabled", rec.vegas.enabled != 0);
    v.num("rtt_count", rec.vegas.rttcnt);
    v.num("rtt_us", rec.vegas.rtt);
    v.num("min_rtt_us", rec.vegas.minrtt);
    v.close();
  }
  if (rec.has(model::kAttrDctcpInfo)) {
    Object d = o.object("dctcp");
    d.boolean("enabled", rec.dctcp.enabled != 0);
    d.num("ce_state", rec.dctcp.ce_state);
    d.num("alpha", rec.dctcp.alpha);
    d.num("ab_ecn", rec.dctcp.ab_ecn);
    d.num("ab_tot", rec.dctcp.ab_tot);
    d.close();
  }
  if (rec.has(model::kAttrInfo)) tcp_info(o, rec);
  o.close();
}

}  // namespace tcpscope::render
