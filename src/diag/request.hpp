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
std::span<const std::byte> build_dump_request(const model::DumpRequest& req, uint32_t seq,
                                              std::vector<std::byte>& out);

}  // namespace tcpscope::diag
