// SPDX-License-Identifier: MIT
#include "netlink/netlink_socket.hpp"

#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <ctime>
#include <string>

namespace tcpscope::netlink {

NetlinkSocket::NetlinkSocket(UniqueFd fd, uint32_t port_id, uint32_t seq)
    : fd_(std::move(fd)),
      port_id_(port_id),
      seq_(seq),
      buffer_(std::make_unique<std::byte[]>(kRecvBufferFloor)) {}  // new[] is 16-aligned

Result<NetlinkSocket> NetlinkSocket::open(int protocol, std::chrono::milliseconds timeout) {
  int raw = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (raw < 0) return fail(Error::from_errno("open netlink socket", errno));
  UniqueFd fd = UniqueFd::adopt(raw);

  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
    return fail(Error::from_errno("set netlink receive timeout", errno));
  }
  // Extended acks carry the kernel's reason for a rejected request; best effort.
  int one = 1;
  (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);

  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) < 0) {
    return fail(Error::from_errno("bind netlink socket", errno));
  }
  socklen_t len = sizeof local;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len) < 0) {
    return fail(Error::from_errno("getsockname on netlink socket", errno));
  }
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return NetlinkSocket(std::move(fd), local.nl_pid, static_cast<uint32_t>(now.tv_nsec));
}

Status NetlinkSocket::send(std::span<const std::byte> message) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t n = ::sendto(fd_.get(), message.data(), message.size(), 0,
                         reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
    if (n >= 0) return {};
    if (errno == EINTR) continue;
    return fail(Error::from_errno("send netlink request", errno));
  }
}

Result<std::span<const std::byte>> NetlinkSocket::receive() {
  sockaddr_nl from{};
  iovec iov{buffer_.get(), kRecvBufferFloor};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  for (;;) {
    ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return fail(
            Error(ErrorKind::kTimeout, "netlink read timed out: the kernel did not answer"));
      }
      return fail(Error::from_errno("receive from netlink", errno));
    }
    if (n == 0) return fail(Error(ErrorKind::kRuntime, "netlink socket closed (EOF)"));
    if (msg.msg_flags & MSG_TRUNC) {
      return fail(Error::malformed("netlink datagram larger than the " +
                                   std::to_string(kRecvBufferFloor) + "-byte buffer (truncated)"));
    }
    if (from.nl_pid != 0) continue;  // not from the kernel: ignore
    return std::span<const std::byte>(buffer_.get(), static_cast<size_t>(n));
  }
}

}  // namespace tcpscope::netlink
