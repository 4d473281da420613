// SPDX-License-Identifier: MIT
#include "render/other_sockets.hpp"

#include <fmt/compile.h>

#include <array>

#include "render/address.hpp"
#include "render/append.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using detail::put_int;
using model::SocketRecord;

constexpr uint16_t kEthPAll = 3;

// iproute2's names of Ethernet protocols (lib/ll_proto.c), by value.
struct LinkName {
  uint16_t id;
  std::string_view name;
};
constexpr std::array<LinkName, 45> kLinkNames = {{
    {0x0060, "loop"},      {0x0200, "pup"},     {0x0201, "pupat"},     {0x0800, "ip"},
    {0x0805, "x25"},       {0x0806, "arp"},     {0x08FF, "bpq"},       {0x0a00, "ieeepup"},
    {0x0a01, "ieeepupat"}, {0x6000, "dec"},     {0x6001, "dna_dl"},    {0x6002, "dna_rc"},
    {0x6003, "dna_rt"},    {0x6004, "lat"},     {0x6005, "diag"},      {0x6006, "cust"},
    {0x6007, "sca"},       {0x8035, "rarp"},    {0x809B, "atalk"},     {0x80F3, "aarp"},
    {0x8137, "ipx"},       {0x86DD, "ipv6"},    {0x8863, "ppp_disc"},  {0x8864, "ppp_ses"},
    {0x884c, "atmmpoa"},   {0x8884, "atmfate"}, {0x0001, "802_3"},     {0x0002, "ax25"},
    {0x0003, "all"},       {0x0004, "802_2"},   {0x0005, "snap"},      {0x0006, "ddcmp"},
    {0x0007, "wan_ppp"},   {0x0008, "ppp_mp"},  {0x0009, "localtalk"}, {0x0010, "ppptalk"},
    {0x0011, "tr_802_2"},  {0x0015, "mobitex"}, {0x0016, "control"},   {0x0017, "irda"},
    {0x0018, "econet"},    {0x88CA, "tipc"},    {0x88A2, "aoe"},       {0x000C, "can"},
    {0x8100, "802.1Q"},
}};

void shutdown_mark(fmt::memory_buffer& out, uint8_t mask) {
  put(out, ' ');
  put(out, (mask & 1) != 0 ? '-' : '<');
  put(out, '-');
  put(out, (mask & 2) != 0 ? '-' : '>');
}

void ring(fmt::memory_buffer& out, const model::PacketRing& r) {
  put(out, "blk_size:");
  put_int(out, static_cast<int32_t>(r.block_size));
  put(out, ",blk_nr:");
  put_int(out, static_cast<int32_t>(r.block_nr));
  put(out, ",frm_size:");
  put_int(out, static_cast<int32_t>(r.frame_size));
  put(out, ",frm_nr:");
  put_int(out, static_cast<int32_t>(r.frame_nr));
  put(out, ",tmo:");
  put_int(out, static_cast<int32_t>(r.retire_tmo));
  fmt::format_to(fmt::appender(out), FMT_COMPILE(",features:0x{:x}"), r.features);
}

}  // namespace

void append_unix_name(fmt::memory_buffer& out, const SocketRecord& rec) {
  const std::string_view n = rec.unix_name();
  if (!rec.has(model::kAttrUnixName) || n.empty()) {
    put(out, '*');
    return;
  }
  if (n[0] != '\0') {
    put(out, n.substr(0, n.find('\0')));  // a path: up to its terminator
    return;
  }
  for (char c : n) put(out, c == '\0' ? '@' : c);  // abstract: every NUL shows as '@'
}

void append_vsock_id(fmt::memory_buffer& out, uint32_t id) {
  if (id == 0xffffffffu) {
    put(out, '*');
  } else {
    put_int(out, id);
  }
}

void append_unix_local_address(fmt::memory_buffer& out, const SocketRecord& rec) {
  append_unix_name(out, rec);
  put(out, ' ');  // ss's delimiter between a unix name and its inode
}

void append_link_protocol(fmt::memory_buffer& out, uint16_t protocol, bool numeric) {
  if (!numeric) {
    for (const auto& l : kLinkNames) {
      if (l.id == protocol) {
        put(out, l.name);
        return;
      }
    }
  }
  put(out, '[');
  put_int(out, protocol);
  put(out, ']');
}

void append_packet_local_address(fmt::memory_buffer& out, const SocketRecord& rec, bool numeric) {
  if (rec.raw_protocol == kEthPAll) {
    put(out, '*');
  } else {
    append_link_protocol(out, rec.raw_protocol, numeric);
  }
  put(out, ':');
}

void append_packet_interface(fmt::memory_buffer& out, const SocketRecord& rec,
                             model::NameLookup* names) {
  if (rec.ifindex == 0) {
    put(out, '*');
    return;
  }
  append_ifname(out, rec.ifindex, names);
}

void append_unix_details(fmt::memory_buffer& out, const SocketRecord& rec,
                         const DetailOptions& opts) {
  if (opts.memory) append_memory(out, rec);
  if (!opts.extended) return;
  if (rec.has(model::kAttrShutdown)) shutdown_mark(out, rec.shutdown);
  if (rec.has(model::kAttrUnixVfs)) {
    // ss splits the kernel's internal dev_t (major << 20 | minor) with glibc's major() and
    // minor(), which expect the user-space encoding; print what it prints.
    const uint32_t d = rec.vfs_dev;
    put(out, " ino:");
    put_int(out, rec.vfs_inode);
    put(out, " dev:");
    put_int(out, (d >> 8) & 0xfff);
    put(out, '/');
    put_int(out, (d & 0xff) | ((d >> 12) & ~uint32_t{0xff}));
  }
  if (rec.has(model::kAttrUnixIcons)) {
    put(out, " peers:");
    for (uint32_t i = 0; i < rec.icons_count; ++i) {
      put(out, ' ');
      put_int(out, rec.icon(i));
    }
  }
}

void append_packet_details(fmt::memory_buffer& out, const SocketRecord& rec,
                           const DetailOptions& opts) {
  if (opts.extended) {
    if (rec.uid != 0) {
      put(out, " uid:");
      put_int(out, rec.uid);
    }
    put(out, " ino:");
    put_int(out, rec.inode);
    fmt::format_to(fmt::appender(out), FMT_COMPILE(" sk:{:x}"), rec.cookie);
    const std::string_view sep = opts.oneline ? " " : "\n\t";
    if (rec.has(model::kAttrPacketInfo)) {
      const auto& p = rec.packet;
      put(out, sep);
      put(out, "ver:");
      put_int(out, static_cast<int32_t>(p.version));
      put(out, " cpy_thresh:");
      put_int(out, static_cast<int32_t>(p.copy_thresh));
      put(out, " flags( ");
      if ((p.flags & 0x1) != 0) put(out, "running");
      if ((p.flags & 0x2) != 0) put(out, " auxdata");
      if ((p.flags & 0x4) != 0) put(out, " origdev");
      if ((p.flags & 0x8) != 0) put(out, " vnethdr");
      if ((p.flags & 0x10) != 0) put(out, " loss");
      if (p.flags == 0) put(out, '0');
      put(out, " )");
    }
    if (rec.has(model::kAttrPacketRxRing)) {
      put(out, sep);
      put(out, "ring_rx(");
      ring(out, rec.rx_ring);
      put(out, ')');
    }
    if (rec.has(model::kAttrPacketTxRing)) {
      put(out, sep);
      put(out, "ring_tx(");
      ring(out, rec.tx_ring);
      put(out, ')');
    }
    if (rec.has(model::kAttrPacketFanout)) {
      static constexpr std::array<std::string_view, 6> kTypes = {"hash", "lb",     "cpu",
                                                                 "roll", "random", "qm"};
      const uint32_t type = (rec.fanout >> 16) & 0xffff;
      put(out, sep);
      put(out, "fanout(id:");
      put_int(out, rec.fanout & 0xffff);
      put(out, ",type:");
      if (type < kTypes.size()) {
        put(out, kTypes[type]);
      } else {
        fmt::format_to(fmt::appender(out), FMT_COMPILE("0x{:x}"), type);
      }
      put(out, ')');
    }
  }
  if (opts.memory) append_memory(out, rec);
}

void append_mptcp_info(fmt::memory_buffer& out, const SocketRecord& rec) {
  if (!rec.has(model::kAttrMptcpInfo)) return;
  const model::MptcpInfo& m = rec.mptcp_info;
  const auto u = [&out](std::string_view name, uint64_t v) {
    if (v == 0) return;
    put(out, name);
    detail::put_uint(out, v);
  };
  u(" subflows:", m.subflows);
  u(" add_addr_signal:", m.add_addr_signal);
  u(" add_addr_accepted:", m.add_addr_accepted);
  u(" subflows_max:", m.subflows_max);
  u(" add_addr_signal_max:", m.add_addr_signal_max);
  u(" add_addr_accepted_max:", m.add_addr_accepted_max);
  if ((m.flags & 1) != 0) put(out, " fallback");
  if ((m.flags & 2) != 0) put(out, " remote_key");
  if (m.token != 0) fmt::format_to(fmt::appender(out), FMT_COMPILE(" token:{:x}"), m.token);
  u(" write_seq:", m.write_seq);
  u(" snd_una:", m.snd_una);
  u(" rcv_nxt:", m.rcv_nxt);
  u(" local_addr_used:", m.local_addr_used);
  u(" local_addr_max:", m.local_addr_max);
  u(" csum_enabled:", m.csum_enabled);
  u(" retransmits:", m.retransmits);
  u(" bytes_retrans:", m.bytes_retrans);
  u(" bytes_sent:", m.bytes_sent);
  u(" bytes_received:", m.bytes_received);
  u(" bytes_acked:", m.bytes_acked);
  u(" subflows_total:", m.subflows_total);
  u(" endp_laminar_max:", m.endp_laminar_max);
  u(" last_data_sent:", m.last_data_sent);
  u(" last_data_recv:", m.last_data_recv);
  u(" last_ack_recv:", m.last_ack_recv);
}

}  // namespace tcpscope::render
