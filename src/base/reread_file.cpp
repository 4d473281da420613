// SPDX-License-Identifier: MIT
#include "base/reread_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/file.hpp"

namespace tcpscope {

Result<RereadFile> RereadFile::open(std::string path) {
  auto fd = open_cloexec(path.c_str(), O_RDONLY);
  if (!fd) return fail(std::move(fd.error()));
  return RereadFile(std::move(*fd), std::move(path));
}

Status RereadFile::read(std::string& buffer) const {
  buffer.clear();
  if (buffer.capacity() < 4096) buffer.reserve(4096);
  size_t used = 0;
  for (;;) {
    if (buffer.capacity() - used < 2048) buffer.reserve(buffer.capacity() * 2);
    buffer.resize(buffer.capacity());
    const ssize_t n =
        ::pread(fd_.get(), buffer.data() + used, buffer.size() - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      buffer.resize(used);
      return fail(Error::from_errno("read " + path_, e));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
    // The kernel's files are far smaller; this is a --proc-root pointing at something else.
    if (used > kProcFileLimit) {
      buffer.resize(used);
      return fail(too_large(path_, kProcFileLimit));
    }
  }
  buffer.resize(used);
  return {};
}

}  // namespace tcpscope
