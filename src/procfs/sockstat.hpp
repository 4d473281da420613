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

#include "base/result.hpp"

namespace tcpscope::procfs {

struct SockStat {
  uint64_t sockets_used = 0;
  uint64_t tcp_inuse = 0;
  uint64_t tcp_orphan = 0;  // host-wide
  uint64_t tcp_tw = 0;
  uint64_t tcp_alloc = 0;  // host-wide
  uint64_t tcp_mem = 0;    // host-wide, pages
  uint64_t udp_inuse = 0;
  uint64_t udp_mem = 0;  // host-wide, pages
  uint64_t udplite_inuse = 0;
  uint64_t raw_inuse = 0;
  uint64_t frag_inuse = 0;
  uint64_t frag_memory = 0;  // bytes
  uint64_t tcp6_inuse = 0;
  uint64_t udp6_inuse = 0;
  uint64_t udplite6_inuse = 0;
  uint64_t raw6_inuse = 0;
  uint64_t frag6_inuse = 0;
  uint64_t frag6_memory = 0;  // bytes
  bool has_ipv6 = false;      // a *6 line was seen (sockstat6 exists only with IPv6)
};

// Parses sockstat or sockstat6 content into `out`, setting only the keys it finds (so both files
// can be parsed into one struct). Unknown sections and unknown keys are skipped; a known key
// whose value is not a decimal number, or a key without a value, is a kMalformed error naming
// the line. Negative values (the kernel prints these with %d) read as 0.
Status parse_sockstat(std::string_view content, SockStat& out);

// Reads <proc_root>/net/sockstat and, when it exists, <proc_root>/net/sockstat6. `buffer` is
// reused for the reads. Errors name the file.
Result<SockStat> read_sockstat(std::string_view proc_root, std::string& buffer);

}  // namespace tcpscope::procfs
