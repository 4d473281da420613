// SPDX-License-Identifier: MIT
// Decoding one sock_diag reply message (struct inet_diag_msg + attributes) into a SocketRecord.
//
// Pure: no I/O, no allocation. Live dumps, replayed files, fixtures and fuzzers all come here.
// Every length is checked against the message; unknown attributes are skipped; attributes
// shorter or longer than our structs are zero-extended or cut (tcp_info_len / skmem_count keep
// what the kernel sent).
#pragma once

#include <linux/netlink.h>

#include <cstdint>

#include "base/result.hpp"
#include "model/dump.hpp"
#include "model/socket_record.hpp"

namespace tcpscope::diag {

// `protocol` is the dump's protocol (the message does not carry it).
Status decode_inet_diag(const nlmsghdr& msg, uint8_t protocol, model::DecodeLevel level,
                        model::SocketRecord& out);

}  // namespace tcpscope::diag
