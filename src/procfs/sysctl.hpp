// SPDX-License-Identifier: MIT
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
#include "model/host.hpp"
#include "model/netns.hpp"

namespace tcpscope::procfs {

using Tunables = model::Tunables;

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

// Which established hash the namespace <proc_root> belongs to (model/netns.hpp):
// net.ipv4.tcp_ehash_entries (Linux 6.1+; negative in a namespace that shares the host's), and
// whether the global net.ipv4.tcp_max_orphans exists (only in the initial namespace). Without
// tcp_ehash_entries (an older kernel) every namespace but the initial one shares the host's.
Result<model::EstablishedHash> read_established_hash(std::string_view proc_root,
                                                     std::string& buffer);

}  // namespace tcpscope::procfs
