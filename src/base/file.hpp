// Whole-file reads into a caller-owned, reused buffer (for /proc and /proc/sys files, which
// report size 0 and must be read until EOF).
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace tcpscope {

Result<UniqueFd> open_cloexec(const char* path, int flags);

// Reads the whole file at `path` into `buffer` (cleared first, capacity kept).
Status read_file(const char* path, std::string& buffer);
Status read_file_at(int dirfd, const char* path, std::string& buffer);

// Trims ASCII whitespace on both ends.
std::string_view trim(std::string_view s);

}  // namespace tcpscope
