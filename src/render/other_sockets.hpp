// SPDX-License-Identifier: MIT
// ss's text for the sockets that are not TCP or UDP: unix (u_str, u_dgr, u_seq), packet (p_raw,
// p_dgr) rows and their details, and the MPTCP info of `-i`. Appends to the caller's buffer;
// no allocation, no I/O (interface names come from a model::NameLookup).
//
// A unix row reads "u_str ESTAB 0 0 /run/x.sock 4242 * 4243": the local "address" is the name
// (a path, "@name" for an abstract name with every NUL as '@', "*" when unbound) followed by a
// space, the "port" its inode; the peer is "*" with the peer's inode (0 when none). A packet
// row reads "p_raw UNCONN 0 0 ip:eth0 *": the protocol ("*" for all, "[N]" numerically) and the
// bound interface ("*" for any); the peer is "*" with an empty port.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

#include "model/names.hpp"
#include "model/socket_record.hpp"
#include "render/details.hpp"

namespace tcpscope::render {

inline constexpr uint8_t kAfUnix = 1;
inline constexpr uint8_t kAfPacket = 17;
inline constexpr uint8_t kAfVsock = 40;

// A vsock context id or port as ss prints it: the number, "*" for 0xffffffff (any).
void append_vsock_id(fmt::memory_buffer& out, uint32_t id);

// The unix name as ss prints it, without the trailing space: "/run/x.sock", "@abstract", "*".
void append_unix_name(fmt::memory_buffer& out, const model::SocketRecord& rec);
// The four address/port cells of a unix or packet row, each through `cell(out)` between them:
// fn(0) after the local address, fn(1) after the local port, fn(2), fn(3).
void append_unix_local_address(fmt::memory_buffer& out, const model::SocketRecord& rec);
void append_packet_local_address(fmt::memory_buffer& out, const model::SocketRecord& rec,
                                 bool numeric);
void append_packet_interface(fmt::memory_buffer& out, const model::SocketRecord& rec,
                             model::NameLookup* names);
// An Ethernet protocol as ss names it: "ip", "ipv6", "arp", "all", ...; "[N]" when `numeric`
// or unnamed.
void append_link_protocol(fmt::memory_buffer& out, uint16_t protocol, bool numeric);

// The details after a unix row's users list: -m " skmem:(...)", then -e " <->",
// " ino:N dev:MAJ/MIN" (the bound file), " peers: I I ..." (a listener's pending connections).
void append_unix_details(fmt::memory_buffer& out, const model::SocketRecord& rec,
                         const DetailOptions& opts);
// The details after a packet row's users list: -e " uid:U ino:N sk:C" and the
// "\n\tver:V cpy_thresh:T flags( ... )" line with its rings and fanout, then -m " skmem:(...)".
void append_packet_details(fmt::memory_buffer& out, const model::SocketRecord& rec,
                           const DetailOptions& opts);
// MPTCP's -i items: " subflows:1 ... token:1a2b ... bytes_acked:N ...".
void append_mptcp_info(fmt::memory_buffer& out, const model::SocketRecord& rec);

}  // namespace tcpscope::render
