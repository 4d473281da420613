// SPDX-License-Identifier: MIT
#include "netlink/message.hpp"

#include <libmnl/libmnl.h>

#include <cstring>
#include <string>

namespace tcpscope::netlink {

Result<const nlmsghdr*> next_header(std::span<const std::byte> datagram, size_t offset) {
  size_t remaining = datagram.size() - offset;
  if (remaining < sizeof(nlmsghdr)) {
    return fail(Error::malformed("truncated netlink message: " + std::to_string(remaining) +
                                 " bytes left at offset " + std::to_string(offset) +
                                 ", a header needs " + std::to_string(sizeof(nlmsghdr))));
  }
  // Netlink datagrams are 4-byte aligned; the buffer is 8-aligned.
  const auto* h = reinterpret_cast<const nlmsghdr*>(datagram.data() + offset);
  // Compared as sizes: mnl_nlmsg_ok() compares through int, so a length >= 2^31 would pass.
  if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > remaining) {
    return fail(Error::malformed("bad netlink message length " + std::to_string(h->nlmsg_len) +
                                 " at offset " + std::to_string(offset) + " (" +
                                 std::to_string(remaining) + " bytes left)"));
  }
  return h;
}

Status done_status(const nlmsghdr& h) {
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(int))) return {};  // old kernels: no payload
  int code = 0;
  std::memcpy(&code, mnl_nlmsg_get_payload(&h), sizeof code);
  if (code < 0) return fail(Error::from_errno("dump ended with an error", -code));
  return {};
}

Status error_status(const nlmsghdr& h) {
  if (h.nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
    return fail(Error::malformed("truncated NLMSG_ERROR message (" + std::to_string(h.nlmsg_len) +
                                 " bytes)"));
  }
  nlmsgerr e{};
  std::memcpy(&e, mnl_nlmsg_get_payload(&h), sizeof e);
  if (e.error == 0) return {};
  return fail(Error::from_errno("kernel answered", -e.error));
}

}  // namespace tcpscope::netlink
