// SPDX-License-Identifier: MIT
// Building SOCK_DIAG_BY_FAMILY dump requests (struct inet_diag_req_v2 + attributes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "model/dump.hpp"

namespace tcpscope::diag {

// Writes the request for `req` into `out` (cleared first; capacity reused) and returns its
// bytes. The message layout:
//
//   0               4       6       8               12              16
//   +---------------+-------+-------+---------------+---------------+
//   | nlmsg_len     | type  | flags | seq           | pid (0)       |  nlmsghdr
//   +---+---+---+---+-------+-------+---------------+---------------+
//   |fam|pro|ext|pad| idiag_states  | id: sport,dport (0 = any) ... |  inet_diag_req_v2
//   +---+---+---+---+---------------+-------------------------------+  (56 bytes)
//   | ... id: src[16], dst[16], if, cookie[2] (all ignored by dumps) |
//   +---------------+-------------------------------------------------+
//   | nla_len|type=1| bytecode program (optional)                  |  INET_DIAG_REQ_BYTECODE
//   +---------------+-------------------------------------------------+
//
// 1. type = SOCK_DIAG_BY_FAMILY (20), flags = NLM_F_REQUEST | NLM_F_DUMP.
// 2. idiag_states: bit n = TCP state n; the kernel adds bit 12 (request sockets) to bit 3.
// 3. idiag_ext: bit A-1 asks for attribute A (model::kExt*).
// 4. The bytecode attribute is omitted when the program is empty.
// 5. MPTCP (req.mptcp): protocol byte 6 and INET_DIAG_REQ_PROTOCOL (type 3, u32) = 262.
//
// AF_UNIX and AF_PACKET requests are unix_diag_req (24 bytes) / packet_diag_req (20) instead:
//
//   +---+---+-------+---------------+---------------+---------------+-------------------+
//   |fam|pro|  pad  | states / ino  | ino / show    | show / cookie | cookie            |
//   +---+---+-------+---------------+---------------+---------------+-------------------+
//   unix:   family 1, protocol 0, udiag_states = req.states, udiag_ino 0 (all),
//           udiag_show = req.show (kUnixShow*), cookie 0.
//   packet: family 17, protocol 0, pdiag_ino 0, pdiag_show = req.show (kPacketShow*).
std::span<const std::byte> build_dump_request(const model::DumpRequest& req, uint32_t seq,
                                              std::vector<std::byte>& out);

// Writes a SOCK_DESTROY request for one socket of a dump into `out` and returns its bytes:
// nlmsghdr (type SOCK_DESTROY = 21, flags NLM_F_REQUEST | NLM_F_ACK) + inet_diag_req_v2 with the
// socket's family, the dump's protocol (TCP's byte for MPTCP: the kernel finds the subflow),
// and the whole id as the dump reported it: ports (network order), addresses, interface and
// cookie. A /proc record has no cookie, and an MPTCP socket's is not its subflow's:
// INET_DIAG_NOCOOKIE then (the kernel destroys the TCP subflow of that 4-tuple). For raw sockets
// the pad byte carries the socket's IP protocol (struct inet_diag_req_raw).
std::span<const std::byte> build_destroy_request(const model::SocketRecord& rec, uint32_t seq,
                                                 std::vector<std::byte>& out);

}  // namespace tcpscope::diag
