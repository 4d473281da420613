// SPDX-License-Identifier: MIT
// DiagDumper: runs sock_diag dumps over one NetlinkSocket and streams decoded sockets to a
// visitor.
//
// Dump consistency. The kernel keeps no snapshot: it resumes each chunk at (hash bucket, number
// of sockets already passed in it), so under churn a dump can miss sockets or repeat one, and it
// never sets NLM_F_DUMP_INTR for inet_diag. A repeat can only come from the bucket where a
// chunk resumed, i.e. a socket at the end of datagram N reappearing at the start of datagram
// N+1. The dumper therefore remembers the cookies of the previous datagram only (a fixed table,
// a few KiB, whatever the table size) and drops a record whose (family, cookie) it saw there,
// counting it in DumpStats::duplicates. Misses cannot be detected; counts from a dump are a
// sample, and rates come from the kernel's counters instead. NLM_F_DUMP_INTR, should a kernel
// ever set it, restarts the dump (at most kMaxRestarts times) when the visitor can take back
// what it saw.
#pragma once

#include <chrono>
#include <cstddef>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "model/dump.hpp"
#include "netlink/netlink_socket.hpp"

namespace tcpscope::diag {

// Receives every datagram of a dump, verbatim (for --record).
class DumpRecorder {
 public:
  virtual ~DumpRecorder() = default;
  virtual void on_datagram(const model::DumpRequest& req, std::span<const std::byte> bytes) = 0;
};

// Remembers the cookies of the previous and current datagram (see the header comment).
class RepeatFilter {
 public:
  RepeatFilter();
  void next_datagram();  // current becomes previous
  // True if `cookie` was in the previous datagram; records it in the current one either way.
  bool seen_before(uint64_t cookie);
  void reset();

 private:
  static constexpr size_t kSlots = 2048;  // > 2x the records a 32 KiB datagram can hold
  std::vector<uint64_t> prev_;
  std::vector<uint64_t> cur_;
  std::vector<uint32_t> prev_used_;  // slots filled in prev_, cleared without a full sweep
  std::vector<uint32_t> cur_used_;
  static bool contains(const std::vector<uint64_t>& t, uint64_t c);
  static void insert(std::vector<uint64_t>& t, std::vector<uint32_t>& used, uint64_t c);
};

class DiagDumper {
 public:
  static constexpr int kMaxRestarts = 3;

  static Result<DiagDumper> open(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  Result<model::DumpStats> dump(const model::DumpRequest& req, model::SocketVisitor& visitor,
                                DumpRecorder* recorder = nullptr);

 private:
  DiagDumper(netlink::NetlinkSocket sock, std::chrono::milliseconds timeout);
  Result<model::DumpStats> dump_once(const model::DumpRequest& req, model::SocketVisitor& visitor,
                                     DumpRecorder* recorder);

  netlink::NetlinkSocket sock_;
  std::chrono::milliseconds timeout_;
  std::vector<std::byte> request_;
  RepeatFilter repeats_;
  model::SocketRecord record_;
};

}  // namespace tcpscope::diag
