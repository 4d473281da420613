// SPDX-License-Identifier: MIT
// A file kept open and read again from offset 0 on every read(): for /proc and /proc/sys files
// polled on every tick (counters, tunables), which regenerate their content on each read from the
// start. Saves the path walk and the open/close of every tick (about a third of the cost of a
// small /proc/sys file). The fd keeps the network namespace it was opened in.
//
// Common mistake: reading with read() after the first pass; the offset is at EOF then. read()
// here always uses pread(..., 0).
#pragma once

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace tcpscope {

class RereadFile {
 public:
  RereadFile() = default;
  // Opens `path` read-only; the error keeps the errno (ENOENT: no such file).
  static Result<RereadFile> open(std::string path);

  bool is_open() const { return fd_.valid(); }
  const std::string& path() const { return path_; }
  // The whole current content into `buffer` (cleared first, capacity kept).
  Status read(std::string& buffer) const;

 private:
  RereadFile(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

}  // namespace tcpscope
