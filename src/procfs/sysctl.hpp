// TCP-related tunables from <proc_root>/sys/net/....
//
// Every field is optional: a sysctl that does not exist reads as nullopt, not as an error.
// That is the normal case for the global ones (tcp_mem, tcp_max_orphans) inside a child network
// namespace, and for sysctls newer or older than the running kernel. All the others are per
// network namespace: read them from the namespace being diagnosed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tcpscope::procfs {

struct Tunables {
  std::optional<int64_t> somaxconn;               // net.core.somaxconn
  std::optional<int64_t> tcp_max_syn_backlog;     // net.ipv4.*
  std::optional<int64_t> tcp_syncookies;          // 0 never, 1 when the SYN queue is full, 2 always
  std::optional<int64_t> tcp_max_tw_buckets;      //
  std::optional<int64_t> tcp_max_orphans;         // global: init namespace only
  std::optional<std::array<int64_t, 3>> tcp_mem;  // global: low, pressure, high (pages)
  std::optional<std::array<int64_t, 2>> ip_local_port_range;  // first, last
  std::optional<int64_t> tcp_fin_timeout;                     // seconds
  std::optional<int64_t> tcp_tw_reuse;                        // 0 off, 1 on, 2 loopback only
  std::optional<int64_t> tcp_synack_retries;
  std::optional<int64_t> tcp_syn_retries;
  std::optional<int64_t> tcp_abort_on_overflow;
  std::optional<int64_t> tcp_orphan_retries;  // 0 means 8
  std::optional<int64_t> tcp_retries2;
};

// Content of a one-number sysctl file ("4096\n"). Surrounding whitespace is allowed; anything
// else (no number, two numbers, trailing text) is a kMalformed error quoting the content.
Result<int64_t> parse_sysctl_int(std::string_view content);

// Content of a file with exactly out.size() whitespace-separated numbers ("287898\t383867\t...").
Status parse_sysctl_ints(std::string_view content, std::span<int64_t> out);

// Reads <proc_root>/sys/<name>, e.g. name "net/core/somaxconn"; nullopt when the file does not
// exist. `buffer` is reused. Errors name the file.
Result<std::optional<int64_t>> read_sysctl_int(std::string_view proc_root, std::string_view name,
                                               std::string& buffer);

// Reads every field of Tunables. Missing files give nullopt; unreadable or malformed files are
// errors naming the file.
Result<Tunables> read_tunables(std::string_view proc_root);

}  // namespace tcpscope::procfs
