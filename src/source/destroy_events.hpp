// SPDX-License-Identifier: MIT
// Socket destroy events: the kernel's sock_diag multicast of every TCP/UDP socket it frees, with
// the socket's addresses, cookie and (TCP) its final tcp_info. No privilege is needed; a
// subscription sees the network namespace it was opened in, or, with NETLINK_LISTEN_ALL_NSID
// (CAP_NET_BROADCAST), also every namespace that has an id in ours (the id comes with each
// event). TIME-WAIT and request sockets never report; listeners do.
//
// A subscription reads whatever is queued in large non-blocking batches (recvmmsg) into one
// reused set of buffers and decodes each event into one reused record. A reader that falls
// behind loses events: the kernel says so once with ENOBUFS, which is counted and reported to
// the sink; reading goes on.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "model/close_account.hpp"
#include "model/socket_record.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::source {

inline constexpr int32_t kNoNsid = -1;

struct DestroyEvent {
  const model::SocketRecord* rec = nullptr;  // valid during the call only
  int32_t nsid = kNoNsid;                    // with NETLINK_LISTEN_ALL_NSID: the sender's id
  int64_t time_ns = 0;                       // CLOCK_REALTIME when the batch was read
};

class DestroySink {
 public:
  virtual ~DestroySink() = default;
  virtual void on_event(const DestroyEvent& e) = 0;
  // The kernel dropped events for this subscription (its receive buffer was full).
  virtual void on_lost(int64_t time_ns) = 0;
};

struct SubscriptionOptions {
  bool tcp = true;
  bool udp = false;
  uint8_t family = 0;  // AF_INET, AF_INET6, or 0 for both
  // The receive buffer, for bursts (SO_RCVBUFFORCE with CAP_NET_ADMIN, else SO_RCVBUF, which
  // net.core.rmem_max caps). The kernel doubles it for bookkeeping.
  int receive_buffer = 32 << 20;
  bool all_namespaces = false;  // NETLINK_LISTEN_ALL_NSID
};

// Decodes one datagram of the destroy groups (`groups`: the multicast group mask the kernel
// sent it to, which says TCP or UDP) into `rec`, calling sink.on_event for each socket message;
// returns how many. Bounded by `len`; anything malformed is skipped. `data` must be 4-aligned.
size_t decode_destroy_datagram(const std::byte* data, size_t len, uint32_t groups, int32_t nsid,
                               int64_t time_ns, model::SocketRecord& rec, DestroySink& sink);

// The id the calling thread's network namespace has for the namespace of `nsfd` (an open
// namespace file), as NETLINK_LISTEN_ALL_NSID reports it; kNoNsid when it has none.
Result<int32_t> netns_id_of(int nsfd);

// Fills `out` (cleared first, finished after) with the listeners `src` dumps, i.e. those of the
// namespace its socket was opened in: TCP LISTEN sockets (`tcp`) and UDP sockets bound without
// a peer (`udp`), both families, decoded in full (v6only decides dual-stack listeners). Only
// the listening hash is walked: cheap. False when a dump failed; `out` then holds what the
// others gave.
bool dump_listeners(SocketSource& src, bool tcp, bool udp, model::ListenerSet& out);

class DestroySubscription {
 public:
  // Subscribes in the calling thread's network namespace.
  static Result<std::unique_ptr<DestroySubscription>> open(const SubscriptionOptions& o);
  ~DestroySubscription();

  int fd() const { return fd_.get(); }
  // Reads every event queued now (never blocks); returns how many were delivered.
  Result<size_t> drain(DestroySink& sink);
  uint64_t overflows() const { return overflows_; }
  uint64_t events() const { return events_; }
  // The receive buffer the kernel granted (SO_RCVBUF, doubled).
  int receive_buffer() const { return granted_; }

 private:
  DestroySubscription() = default;

  UniqueFd fd_;
  bool all_ns_ = false;
  int granted_ = 0;
  uint64_t overflows_ = 0;
  uint64_t events_ = 0;
  struct Buffers;
  std::unique_ptr<Buffers> buf_;
  model::SocketRecord rec_;
};

}  // namespace tcpscope::source
