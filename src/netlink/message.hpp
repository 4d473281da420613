// SPDX-License-Identifier: MIT
// Walking the netlink messages of one datagram: a pure function over a byte buffer.
//
// The walk checks every header against the bytes that remain (a truncated or lying header is
// an error naming what was wrong, never a read past the buffer), skips messages that are not
// for this request (wrong port id or sequence: the tail of an older, abandoned dump), and turns
// NLMSG_ERROR / NLMSG_DONE into results.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/result.hpp"

namespace tcpscope::netlink {

struct WalkExpect {
  uint32_t port_id = 0;  // 0: accept any (replayed dumps)
  uint32_t seq = 0;      // checked only when check_seq
  bool check_seq = true;
};

enum class WalkEnd : uint8_t { kMore, kDone };

struct WalkResult {
  WalkEnd end = WalkEnd::kMore;
  bool dump_interrupted = false;  // some message had NLM_F_DUMP_INTR
  uint32_t messages = 0;          // data messages handed to the callback
};

// Calls on_message(const nlmsghdr&) for each data message. Stops at NLMSG_DONE (kDone, or an
// error when its payload carries a negative errno) and at NLMSG_ERROR (an error, or kDone for
// an ack with error 0).
template <typename F>
Result<WalkResult> walk_datagram(std::span<const std::byte> datagram, const WalkExpect& expect,
                                 F&& on_message);

// Non-template core: validates one header at `offset`. Returns the header or an error.
Result<const nlmsghdr*> next_header(std::span<const std::byte> datagram, size_t offset);
// Decodes the payload of NLMSG_DONE / NLMSG_ERROR into a status.
Status done_status(const nlmsghdr& h);
Status error_status(const nlmsghdr& h);

template <typename F>
Result<WalkResult> walk_datagram(std::span<const std::byte> datagram, const WalkExpect& expect,
                                 F&& on_message) {
  WalkResult result;
  size_t offset = 0;
  while (offset < datagram.size()) {
    auto h = next_header(datagram, offset);
    if (!h) return fail(std::move(h.error()));
    const nlmsghdr& msg = **h;
    offset += NLMSG_ALIGN(msg.nlmsg_len);
    if (expect.port_id != 0 && msg.nlmsg_pid != expect.port_id) continue;
    if (expect.check_seq && msg.nlmsg_seq != expect.seq) continue;
    if (msg.nlmsg_flags & NLM_F_DUMP_INTR) result.dump_interrupted = true;
    if (msg.nlmsg_type == NLMSG_DONE) {
      auto st = done_status(msg);
      if (!st) return fail(std::move(st.error()));
      result.end = WalkEnd::kDone;
      return result;
    }
    if (msg.nlmsg_type == NLMSG_ERROR) {
      auto st = error_status(msg);
      if (!st) return fail(std::move(st.error()));
      result.end = WalkEnd::kDone;
      return result;
    }
    if (msg.nlmsg_type == NLMSG_NOOP || msg.nlmsg_type == NLMSG_OVERRUN) continue;
    ++result.messages;
    auto st = on_message(msg);
    if (!st) return fail(std::move(st.error()));
  }
  return result;
}

}  // namespace tcpscope::netlink
