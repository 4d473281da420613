// SPDX-License-Identifier: MIT
// SocketKiller: destroys sockets with SOCK_DESTROY (what `ss -K` does), one request and one
// acknowledgement per socket, on a netlink socket of its own (never the one a dump is using).
//
// Needs CAP_NET_ADMIN (in the user namespace owning the network namespace) and a kernel built
// with CONFIG_INET_DIAG_DESTROY; TCP, UDP and (with raw_diag) raw sockets have a destroy hook.
// The kernel resets a TCP connection (its peer sees an RST), stops a listener, and frees a
// TIME-WAIT or SYN-RECV entry.
#pragma once

#include <cstddef>
#include <vector>

#include "base/result.hpp"
#include "model/socket_record.hpp"
#include "netlink/netlink_socket.hpp"

namespace tcpscope::source {

class SocketKiller {
 public:
  static Result<SocketKiller> open();
  // Destroys the socket `rec` describes (a record from a dump: its whole id, cookie included).
  // The kernel's refusal is the error: ENOENT (already gone, or the cookie no longer matches),
  // EOPNOTSUPP (no destroy for that protocol, or no CONFIG_INET_DIAG_DESTROY), EPERM.
  Status destroy(const model::SocketRecord& rec);

 private:
  explicit SocketKiller(netlink::NetlinkSocket sock) : sock_(std::move(sock)) {}
  netlink::NetlinkSocket sock_;
  std::vector<std::byte> request_;
};

}  // namespace tcpscope::source
