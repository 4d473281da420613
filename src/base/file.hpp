// SPDX-License-Identifier: MIT
// Whole-file reads into a caller-owned, reused buffer (for /proc and /proc/sys files, which
// report size 0 and must be read until EOF), each bounded by a size limit that fits the kind of
// file; and the check that a text input (a filter file, a config, a history) holds text.
//
// Common mistake: reading a user-named file without a limit of its kind. `/dev/zero` or a sparse
// 1 GiB file then grows the process until it is killed; pass one of the k*Limit constants.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace tcpscope {

// Limits by kind of file. A /proc file is the kernel's (a 200k-socket /proc/net/tcp is ~30 MiB),
// but --proc-root can point anywhere, so it is bounded too.
inline constexpr size_t kProcFileLimit = size_t{256} << 20;
inline constexpr size_t kConfigFileLimit = size_t{1} << 20;   // a config or a filter file
inline constexpr size_t kHistoryFileLimit = size_t{4} << 20;  // the counters history

Result<UniqueFd> open_cloexec(const char* path, int flags);

// Reads the whole file at `path` into `buffer` (cleared first, capacity kept). A file longer than
// `limit` bytes is an error ("PATH: larger than N bytes") and `buffer` then holds no more than
// `limit` + 1 bytes.
Status read_file(const char* path, std::string& buffer, size_t limit = kProcFileLimit);
Status read_file_at(int dirfd, const char* path, std::string& buffer,
                    size_t limit = kProcFileLimit);
// The same from an open descriptor (stdin for `-F -`), named `name` in errors.
Status read_fd(int fd, std::string_view name, std::string& buffer, size_t limit);

// The error for content past `limit` bytes, the same for every reader.
Error too_large(std::string_view name, size_t limit);

// Refuses content that is not text: a NUL byte or another control character than tab, CR and
// LF. The error names the position (line:column, 1-based, and the byte offset) and shows an
// escaped excerpt around it, never the raw bytes:
//   "filter.txt:3:7 (byte 41): not text (NUL byte) near \"dport \\x00\\x00\""
Status check_text(std::string_view content, std::string_view name);

// Up to `max` bytes of `s` with everything but printable ASCII escaped (\n, \t, \xNN), quotes
// and backslashes escaped too, so that any excerpt fits on one line of a terminal.
std::string escape_excerpt(std::string_view s, size_t max = 24);

// Trims ASCII whitespace on both ends.
std::string_view trim(std::string_view s);

// Raises the soft limit of open files to the hard one: whatever follows every network namespace
// keeps a few files and sockets of each open (counters, netlink sockets), several thousand on a
// container host, past the usual soft limit of 1024.
void raise_open_file_limit();

}  // namespace tcpscope
