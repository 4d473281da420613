// SPDX-License-Identifier: MIT
#include "diag/dump.hpp"

#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <algorithm>
#include <string>

#include "diag/decode.hpp"
#include "diag/request.hpp"
#include "netlink/message.hpp"

namespace tcpscope::diag {

namespace {
size_t slot_of(uint64_t c, size_t slots) {
  c ^= c >> 33;
  c *= 0xff51afd7ed558ccdULL;
  c ^= c >> 33;
  return static_cast<size_t>(c) & (slots - 1);
}

std::string request_name(const model::DumpRequest& r) {
  switch (r.family) {
    case 1:
      return "AF_UNIX";
    case 17:
      return "AF_PACKET";
    default:
      break;
  }
  std::string s = r.family == 2 ? "AF_INET " : r.family == 10 ? "AF_INET6 " : "AF_? ";
  if (r.mptcp) return s + "MPTCP";
  switch (r.protocol) {
    case 6:
      return s + "TCP";
    case 17:
      return s + "UDP";
    case 255:
      return s + "RAW";
    case 132:
      return s + "SCTP";
    default:
      return s + "protocol " + std::to_string(r.protocol);
  }
}
}  // namespace

RepeatFilter::RepeatFilter() : prev_(kSlots, 0), cur_(kSlots, 0) {
  prev_used_.reserve(kSlots);
  cur_used_.reserve(kSlots);
}

bool RepeatFilter::contains(const std::vector<uint64_t>& t, uint64_t c) {
  for (size_t i = slot_of(c, kSlots);; i = (i + 1) & (kSlots - 1)) {
    if (t[i] == c) return true;
    if (t[i] == 0) return false;
  }
}

void RepeatFilter::insert(std::vector<uint64_t>& t, std::vector<uint32_t>& used, uint64_t c) {
  // A table more than half full would make probing slow; a datagram never holds that many
  // records (at most ~340 in 32 KiB), so stop remembering rather than loop.
  if (used.size() >= kSlots / 2) return;
  for (size_t i = slot_of(c, kSlots);; i = (i + 1) & (kSlots - 1)) {
    if (t[i] == c) return;
    if (t[i] == 0) {
      t[i] = c;
      used.push_back(static_cast<uint32_t>(i));
      return;
    }
  }
}

void RepeatFilter::next_datagram() {
  for (uint32_t i : prev_used_) prev_[i] = 0;
  prev_used_.clear();
  prev_.swap(cur_);
  prev_used_.swap(cur_used_);
}

void RepeatFilter::reset() {
  next_datagram();
  next_datagram();
}

bool RepeatFilter::seen_before(uint64_t cookie) {
  if (cookie == 0) return false;  // no identity: cannot tell
  bool seen = contains(prev_, cookie);
  insert(cur_, cur_used_, cookie);
  return seen;
}

DiagDumper::DiagDumper(netlink::NetlinkSocket sock, std::chrono::milliseconds timeout)
    : sock_(std::move(sock)), timeout_(timeout) {
  request_.reserve(256);
}

Result<DiagDumper> DiagDumper::open(std::chrono::milliseconds timeout) {
  return DiagDumper(TCPSCOPE_TRY_CTX(netlink::NetlinkSocket::open(NETLINK_SOCK_DIAG, timeout),
                                     "open NETLINK_SOCK_DIAG"),
                    timeout);
}

Result<model::DumpStats> DiagDumper::dump(const model::DumpRequest& req,
                                          model::SocketVisitor& visitor, DumpRecorder* recorder) {
  model::DumpStats total;
  for (int attempt = 0;; ++attempt) {
    auto stats = dump_once(req, visitor, recorder);
    if (!stats) {
      // The rest of a failed dump may still be queued, and the kernel refuses a new dump on a
      // socket whose dump is unfinished (EBUSY): start over on a fresh socket.
      if (auto fresh = netlink::NetlinkSocket::open(NETLINK_SOCK_DIAG, timeout_)) {
        sock_ = std::move(*fresh);
      }
      return fail(std::move(stats.error()).context("dump " + request_name(req)));
    }
    total.messages += stats->messages;
    total.datagrams += stats->datagrams;
    total.duplicates += stats->duplicates;
    if (!stats->interrupted) return total;
    if (attempt >= kMaxRestarts || !visitor.on_restart(req)) {
      total.interrupted = true;
      return total;
    }
    ++total.restarts;
  }
}

Result<model::DumpStats> DiagDumper::dump_once(const model::DumpRequest& req,
                                               model::SocketVisitor& visitor,
                                               DumpRecorder* recorder) {
  const uint32_t seq = sock_.next_seq();
  auto msg = build_dump_request(req, seq, request_);
  TCPSCOPE_TRY(sock_.send(msg));

  model::DumpStats stats;
  repeats_.reset();
  const netlink::WalkExpect expect{sock_.port_id(), seq, true};
  for (;;) {
    const auto datagram = TCPSCOPE_TRY(sock_.receive());
    ++stats.datagrams;
    if (recorder != nullptr) recorder->on_datagram(req, datagram);
    repeats_.next_datagram();
    const auto walked =
        TCPSCOPE_TRY(netlink::walk_datagram(datagram, expect, [&](const nlmsghdr& h) -> Status {
          if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY) return {};
          if (auto st = decode_message(h, req, record_); !st) return st;
          if (repeats_.seen_before(record_.cookie)) {
            ++stats.duplicates;
            return {};
          }
          ++stats.messages;
          visitor.on_socket(record_);
          return {};
        }));
    if (walked.dump_interrupted) stats.interrupted = true;
    if (walked.end == netlink::WalkEnd::kDone) return stats;
  }
}

}  // namespace tcpscope::diag
