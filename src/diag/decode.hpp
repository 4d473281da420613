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

// `protocol` is the dump's protocol (the message does not carry it); `mptcp`: the dump asked
// for IPPROTO_MPTCP (INET_DIAG_INFO is then a struct mptcp_info).
Status decode_inet_diag(const nlmsghdr& msg, uint8_t protocol, model::DecodeLevel level,
                        model::SocketRecord& out, bool mptcp = false);

// struct unix_diag_msg + UNIX_DIAG_* attributes. The name goes into the record's fixed buffer
// (cut at 108 bytes), a listener's pending connections stay in the message (rec.icons).
Status decode_unix_diag(const nlmsghdr& msg, model::SocketRecord& out);

// struct vsock_diag_msg (no attributes).
Status decode_vsock_diag(const nlmsghdr& msg, model::SocketRecord& out);

// struct packet_diag_msg + PACKET_DIAG_* attributes.
Status decode_packet_diag(const nlmsghdr& msg, model::SocketRecord& out);

// The decoder for the family the request asked for.
Status decode_message(const nlmsghdr& msg, const model::DumpRequest& req, model::SocketRecord& out);

}  // namespace tcpscope::diag
