#include "base/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace tcpscope {

Result<UniqueFd> open_cloexec(const char* path, int flags) {
  int fd = ::open(path, flags | O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno(std::string("open ") + path, errno));
  return UniqueFd::adopt(fd);
}

Status read_file_at(int dirfd, const char* path, std::string& buffer) {
  int fd = ::openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno(std::string("open ") + path, errno));
  UniqueFd owner = UniqueFd::adopt(fd);
  buffer.clear();
  size_t used = 0;
  if (buffer.capacity() < 4096) buffer.reserve(4096);
  for (;;) {
    if (buffer.capacity() - used < 2048) buffer.reserve(buffer.capacity() * 2);
    buffer.resize(buffer.capacity());
    ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      buffer.resize(used);
      return fail(Error::from_errno(std::string("read ") + path, e));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  buffer.resize(used);
  return {};
}

Status read_file(const char* path, std::string& buffer) {
  return read_file_at(AT_FDCWD, path, buffer);
}

std::string_view trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace tcpscope
