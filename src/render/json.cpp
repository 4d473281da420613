// SPDX-License-Identifier: MIT
#include "render/json.hpp"

#include <fmt/compile.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <type_traits>

#include "model/tables.hpp"
#include "model/tcp_info_fields.hpp"
#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/append.hpp"
#include "render/details.hpp"
#include "render/other_sockets.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
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
    case kAfUnix:
      return "unix";
    case kAfPacket:
      return "packet";
    case kAfVsock:
      return "vsock";
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

// The fields the catalog marks kCustom (the struct's first bytes), then its numbers.
void tcp_info(Object& parent, const SocketRecord& rec) {
  const model::TcpInfo& t = rec.tcp_info;
  Object o = parent.object("tcp_info");
  const auto present = [&rec](size_t index) {
    return model::tcpi_present(rec, model::kTcpiFields[index]);
  };
  if (present(TCPSCOPE_TCPI_INDEX(state))) o.str("state", model::state_key(t.state));
  if (present(TCPSCOPE_TCPI_INDEX(ca_state))) o.str("ca_state", ca_state_name(t.ca_state));
  if (present(TCPSCOPE_TCPI_INDEX(options))) {
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
  if (present(TCPSCOPE_TCPI_INDEX(wscale))) {
    o.num("snd_wscale", t.snd_wscale());
    o.num("rcv_wscale", t.rcv_wscale());
  }
  if (present(TCPSCOPE_TCPI_INDEX(flags))) {
    o.boolean("delivery_rate_app_limited", t.delivery_rate_app_limited());
    o.num("fastopen_client_fail", t.fastopen_client_fail());
  }
  for (const model::TcpiField& f : model::kTcpiJsonNumbers) {
    if (model::tcpi_present(rec, f)) o.num(f.key, model::tcpi_read(t, f));
  }
  o.close();
}

std::string_view protocol_name(const SocketRecord& rec) {
  switch (model::table_of(rec)) {
    case model::Table::kTcp:
      return "tcp";
    case model::Table::kUdp:
      return "udp";
    case model::Table::kRaw:
      return "raw";
    case model::Table::kMptcp:
      return "mptcp";
    case model::Table::kSctp:
      return "sctp";
    case model::Table::kUnixStream:
      return "stream";
    case model::Table::kUnixDgram:
      return "dgram";
    case model::Table::kUnixSeqpacket:
      return "seqpacket";
    case model::Table::kPacketRaw:
      return "raw";
    case model::Table::kPacketDgram:
    case model::Table::kVsockDgram:
      return "dgram";
    case model::Table::kVsockStream:
      return "stream";
    default:
      return "unknown";
  }
}

// "ifindex" and "ifname" of a socket bound to an interface.
void interface(Object& o, const SocketRecord& rec, model::NameLookup* names) {
  if (rec.ifindex == 0) return;
  o.num("ifindex", rec.ifindex);
  const std::string_view name = names != nullptr ? names->ifname(rec.ifindex) : "";
  if (!name.empty()) o.str("ifname", name);
}

void skmem(Object& o, const SocketRecord& rec) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "rmem_alloc",  "rcvbuf", "wmem_alloc", "sndbuf", "fwd_alloc",
      "wmem_queued", "optmem", "backlog",    "drops"};
  Object m = o.object("skmem");
  const size_t n = rec.skmem_count < kNames.size() ? rec.skmem_count : kNames.size();
  for (size_t i = 0; i < n; ++i) m.num(kNames[i], rec.skmem[i]);
  m.close();
}

void shutdown(Object& o, const SocketRecord& rec) {
  Object s = o.object("shutdown");
  s.boolean("recv", (rec.shutdown & 1) != 0);
  s.boolean("send", (rec.shutdown & 2) != 0);
  s.close();
}

// A unix socket: its name, inodes and queues (docs/json.md, "Unix sockets").
void unix_json(Object& o, const SocketRecord& rec) {
  if (rec.has(model::kAttrUnixName) && rec.name_len != 0) {
    fmt::memory_buffer name;
    append_unix_name(name, rec);
    o.str("name", {name.data(), name.size()});
    o.boolean("abstract", rec.name[0] == '\0');
  }
  o.num("inode", rec.inode);
  if (rec.has(model::kAttrUnixPeer)) o.num("peer_inode", rec.peer_inode);
  o.num("recv_q", rec.rqueue);
  o.num("send_q", rec.wqueue);
  if (rec.has(model::kAttrUid)) o.num("uid", rec.uid);
  o.num("cookie", rec.cookie);
  if (rec.has(model::kAttrUnixVfs)) {
    Object v = o.object("file");
    v.num("inode", rec.vfs_inode);
    v.num("dev", rec.vfs_dev);
    v.close();
  }
  if (rec.has(model::kAttrUnixIcons)) {
    o.key("pending");
    put(o.out(), '[');
    for (uint32_t i = 0; i < rec.icons_count; ++i) {
      if (i != 0) put(o.out(), ',');
      detail::put_int(o.out(), rec.icon(i));
    }
    put(o.out(), ']');
  }
  if (rec.has(model::kAttrShutdown)) shutdown(o, rec);
  if (rec.has(model::kAttrSkMeminfo)) skmem(o, rec);
}

void packet_json(Object& o, const SocketRecord& rec, model::NameLookup* names) {
  o.num("eth_protocol", rec.raw_protocol);
  interface(o, rec, names);
  o.num("recv_q", rec.rqueue);
  if (rec.has(model::kAttrUid)) o.num("uid", rec.uid);
  o.num("inode", rec.inode);
  o.num("cookie", rec.cookie);
  if (rec.has(model::kAttrPacketInfo)) {
    Object p = o.object("packet");
    p.num("version", rec.packet.version);
    p.num("copy_thresh", rec.packet.copy_thresh);
    p.num("flags", rec.packet.flags);
    p.close();
  }
  const auto ring = [&o](std::string_view key, const model::PacketRing& r) {
    Object g = o.object(key);
    g.num("block_size", r.block_size);
    g.num("block_nr", r.block_nr);
    g.num("frame_size", r.frame_size);
    g.num("frame_nr", r.frame_nr);
    g.num("retire_tmo", r.retire_tmo);
    g.num("features", r.features);
    g.close();
  };
  if (rec.has(model::kAttrPacketRxRing)) ring("ring_rx", rec.rx_ring);
  if (rec.has(model::kAttrPacketTxRing)) ring("ring_tx", rec.tx_ring);
  if (rec.has(model::kAttrPacketFanout)) {
    Object f = o.object("fanout");
    f.num("id", rec.fanout & 0xffff);
    f.num("type", (rec.fanout >> 16) & 0xffff);
    f.close();
  }
  if (rec.has(model::kAttrPacketFilter)) o.num("bpf_filter_len", rec.filter_len);
  if (rec.has(model::kAttrSkMeminfo)) skmem(o, rec);
}

// A vsock socket: context ids and ports (4294967295 = any), inode, cookie.
void vsock_json(Object& o, const SocketRecord& rec) {
  o.num("local_cid", rec.vsock_src_cid);
  o.num("local_port", rec.vsock_src_port);
  o.num("peer_cid", rec.vsock_dst_cid);
  o.num("peer_port", rec.vsock_dst_port);
  o.num("inode", rec.inode);
  o.num("cookie", rec.cookie);
  shutdown(o, rec);
}

void mptcp_json(Object& parent, const SocketRecord& rec) {
  const model::MptcpInfo& m = rec.mptcp_info;
  Object o = parent.object("mptcp_info");
  o.num("subflows", m.subflows);
  o.num("add_addr_signal", m.add_addr_signal);
  o.num("add_addr_accepted", m.add_addr_accepted);
  o.num("subflows_max", m.subflows_max);
  o.num("add_addr_signal_max", m.add_addr_signal_max);
  o.num("add_addr_accepted_max", m.add_addr_accepted_max);
  o.boolean("fallback", (m.flags & 1) != 0);
  o.boolean("remote_key", (m.flags & 2) != 0);
  o.num("token", m.token);
  o.num("write_seq", m.write_seq);
  o.num("snd_una", m.snd_una);
  o.num("rcv_nxt", m.rcv_nxt);
  o.num("local_addr_used", m.local_addr_used);
  o.num("local_addr_max", m.local_addr_max);
  o.boolean("csum_enabled", m.csum_enabled != 0);
  // Fields of later kernels, written only when the kernel's struct reached them.
  const auto has = [&rec](size_t end) { return rec.mptcp_info_len >= end; };
  if (has(offsetof(model::MptcpInfo, bytes_retrans))) o.num("retransmits", m.retransmits);
  if (has(offsetof(model::MptcpInfo, bytes_sent))) o.num("bytes_retrans", m.bytes_retrans);
  if (has(offsetof(model::MptcpInfo, bytes_received))) o.num("bytes_sent", m.bytes_sent);
  if (has(offsetof(model::MptcpInfo, bytes_acked))) o.num("bytes_received", m.bytes_received);
  if (has(offsetof(model::MptcpInfo, subflows_total))) o.num("bytes_acked", m.bytes_acked);
  if (has(offsetof(model::MptcpInfo, endp_laminar_max))) o.num("subflows_total", m.subflows_total);
  if (has(offsetof(model::MptcpInfo, last_data_sent) + 4)) {
    o.num("last_data_sent_ms", m.last_data_sent);
  }
  if (has(offsetof(model::MptcpInfo, last_data_recv) + 4)) {
    o.num("last_data_recv_ms", m.last_data_recv);
  }
  if (has(offsetof(model::MptcpInfo, last_ack_recv) + 4))
    o.num("last_ack_recv_ms", m.last_ack_recv);
  o.close();
}

}  // namespace

void append_json(fmt::memory_buffer& out, const SocketRecord& rec, model::NameLookup* names) {
  Object o(out);
  o.str("family", family_name(rec.family));
  o.str("protocol", protocol_name(rec));
  o.str("state", model::state_key(rec.state));
  if (rec.family == kAfUnix || rec.family == kAfPacket || rec.family == kAfVsock) {
    if (rec.family == kAfUnix) {
      unix_json(o, rec);
    } else if (rec.family == kAfPacket) {
      packet_json(o, rec, names);
    } else {
      vsock_json(o, rec);
    }
    o.close();
    return;
  }
  if (model::table_of(rec) == model::Table::kRaw) o.num("ip_protocol", rec.raw_protocol);
  address(o, "local_address", rec, rec.src);
  o.num("local_port", rec.sport);
  address(o, "peer_address", rec, rec.dst);
  o.num("peer_port", rec.dport);
  interface(o, rec, names);
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
  if (rec.has(model::kAttrShutdown)) shutdown(o, rec);
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
  if (rec.has(model::kAttrSkMeminfo)) skmem(o, rec);
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
  if (rec.has(model::kAttrMptcpInfo)) mptcp_json(o, rec);
  o.close();
}

}  // namespace tcpscope::render
