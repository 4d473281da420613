// SPDX-License-Identifier: MIT
// /proc/net/sockstat and /proc/net/sockstat6.
//
//   sockets: used 26
//   TCP: inuse 16 orphan 0 tw 1 alloc 67 mem 1157
//   UDP: inuse 3 mem 0
//   UDPLITE: inuse 0
//   RAW: inuse 0
//   FRAG: inuse 0 memory 0
// and sockstat6: TCP6/UDP6/UDPLITE6/RAW6 inuse, FRAG6 inuse/memory.
//
// Scope matters when reading these: inuse, tw and the *6 lines are per network namespace, but
// TCP orphan, alloc and mem and UDP mem are host-wide. `mem` values are pages (compare with
// tcp_mem / udp_mem), FRAG memory is bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/reread_file.hpp"
#include "base/result.hpp"
#include "model/host.hpp"

namespace tcpscope::procfs {

using SockStat = model::SockStat;

// Parses sockstat or sockstat6 content into `out`, setting only the keys it finds (so both files
// can be parsed into one struct). Unknown sections and unknown keys are skipped; a known key
// whose value is not a decimal number, or a key without a value, is a kMalformed error naming
// the line. Negative values (the kernel prints these with %d) read as 0.
Status parse_sockstat(std::string_view content, SockStat& out);

// Reads <proc_root>/net/sockstat and, when it exists, <proc_root>/net/sockstat6. `buffer` is
// reused for the reads. Errors name the file.
Result<SockStat> read_sockstat(std::string_view proc_root, std::string& buffer);

// The same, the two files kept open (base/reread_file.hpp): they keep reading the network
// namespace they were opened in, one pread each per read (the agent reads every namespace's
// sockstat on every tick).
class SockStatReader {
 public:
  explicit SockStatReader(std::string proc_root) : proc_root_(std::move(proc_root)) {}
  Result<SockStat> read(std::string& buffer);

 private:
  std::string proc_root_;
  bool opened_ = false;
  RereadFile v4_;
  RereadFile v6_;  // not open without IPv6
};

}  // namespace tcpscope::procfs
