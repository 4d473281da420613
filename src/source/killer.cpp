// SPDX-License-Identifier: MIT
#include "source/killer.hpp"

#include <linux/netlink.h>

#include "diag/request.hpp"
#include "netlink/message.hpp"

namespace tcpscope::source {

Result<SocketKiller> SocketKiller::open() {
  auto sock =
      TCPSCOPE_TRY_CTX(netlink::NetlinkSocket::open(NETLINK_SOCK_DIAG, std::chrono::seconds(5)),
                       "open NETLINK_SOCK_DIAG");
  return SocketKiller(std::move(sock));
}

Status SocketKiller::destroy(const model::SocketRecord& rec) {
  const uint32_t seq = sock_.next_seq();
  TCPSCOPE_TRY(sock_.send(diag::build_destroy_request(rec, seq, request_)));
  const netlink::WalkExpect expect{sock_.port_id(), seq, true};
  for (;;) {
    const auto datagram = TCPSCOPE_TRY(sock_.receive());
    const auto walked = TCPSCOPE_TRY(
        netlink::walk_datagram(datagram, expect, [](const nlmsghdr&) -> Status { return {}; }));
    if (walked.end == netlink::WalkEnd::kDone) return {};  // the ack, error 0
  }
}

}  // namespace tcpscope::source
