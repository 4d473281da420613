// SPDX-License-Identifier: MIT
// NetlinkSocket: a netlink socket that owns its fd, port id, sequence counter and one receive
// buffer that is reused for every read and never shrinks.
//
// Reads time out (SO_RCVTIMEO), so a kernel that stops answering is an error, never a hang.
// A datagram larger than the buffer is reported as an error (MSG_TRUNC), never half-read.
// Common mistake: shrinking the buffer below 32 KiB on a socket that has used a larger one;
// the kernel sizes dump chunks from the largest read it has seen and would truncate.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace tcpscope::netlink {

// The kernel never builds a dump chunk larger than 32 KiB minus skb overhead.
inline constexpr size_t kRecvBufferFloor = 32 * 1024;

class NetlinkSocket {
 public:
  static Result<NetlinkSocket> open(int protocol, std::chrono::milliseconds timeout);

  uint32_t port_id() const { return port_id_; }
  uint32_t next_seq() { return ++seq_; }

  // Sends one complete netlink message to the kernel.
  Status send(std::span<const std::byte> message);
  // Receives one datagram into the internal buffer; the span is valid until the next call.
  Result<std::span<const std::byte>> receive();

 private:
  NetlinkSocket(UniqueFd fd, uint32_t port_id, uint32_t seq);

  UniqueFd fd_;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
  std::unique_ptr<std::byte[]> buffer_;  // kRecvBufferFloor bytes, 8-aligned
};

}  // namespace tcpscope::netlink
