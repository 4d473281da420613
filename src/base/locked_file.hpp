// SPDX-License-Identifier: MIT
// A private state file held for one read-modify-write (nstat's history file discipline):
// opened O_RDWR | O_CREAT | O_NOFOLLOW with mode 0600, locked with
// flock(LOCK_EX) until the object dies, and refused when it is not a plain file of ours with one
// link (so a planted symlink or hard link in /tmp cannot redirect our writes).
//
// replace() never writes into the file in place: it writes a temporary file in the same
// directory (mode 0600, ours), fsyncs it, locks it, and renames it over the path, so a crash,
// a full disk or a failed run leaves either the old content or the new, never a cut one.
// open() therefore checks, once it holds the lock, that the path still names the inode it
// locked (a concurrent run may have renamed a new file over it meanwhile) and opens again if not.
//
// Common mistake: reading, closing and reopening to write. Keep the LockedFile for the whole
// run, or a concurrent run can interleave and steal the baseline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace tcpscope {

class LockedFile {
 public:
  // Creates the file if needed. Errors: the open/flock errno, or kRuntime when the file has
  // another owner, more than one link, or is not a regular file.
  static Result<LockedFile> open(const std::string& path);

  // The whole content, from offset 0; a file longer than `limit` bytes is an error.
  Status read_all(std::string& out, size_t limit) const;
  // Replaces the content with `content` atomically (see above). On failure the file is as it
  // was and the temporary file is removed.
  Status replace(std::string_view content);

  int64_t mtime_s() const { return mtime_s_; }
  const std::string& path() const { return path_; }

 private:
  LockedFile(UniqueFd fd, std::string path, int64_t mtime_s)
      : fd_(std::move(fd)), path_(std::move(path)), mtime_s_(mtime_s) {}

  UniqueFd fd_;  // closing it releases the lock
  std::string path_;
  int64_t mtime_s_ = 0;
};

}  // namespace tcpscope
