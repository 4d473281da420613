// SPDX-License-Identifier: MIT
#include "base/file.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace tcpscope {

Result<UniqueFd> open_cloexec(const char* path, int flags) {
  int fd = ::open(path, flags | O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno(std::string("open ") + path, errno));
  return UniqueFd::adopt(fd);
}

Error too_large(std::string_view name, size_t limit) {
  return Error(ErrorKind::kRuntime, std::string(name) + ": larger than " + std::to_string(limit) +
                                        " bytes, the limit for this kind of file");
}

Status read_fd(int fd, std::string_view name, std::string& buffer, size_t limit) {
  buffer.clear();
  size_t used = 0;
  if (buffer.capacity() < 4096) buffer.reserve(4096);
  for (;;) {
    // Never ask for more than limit + 1 bytes: one byte past the limit tells "too large" from
    // "exactly at the limit" without reading (or holding) the rest.
    if (buffer.capacity() - used < 2048 && buffer.capacity() <= limit) {
      buffer.reserve(std::min(buffer.capacity() * 2, limit + 1));
    }
    buffer.resize(buffer.capacity());
    const size_t want = std::min(buffer.size() - used, limit + 1 - used);
    ssize_t n = ::read(fd, buffer.data() + used, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      buffer.resize(used);
      return fail(Error::from_errno("read " + std::string(name), e));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used > limit) {
      buffer.resize(used);
      return fail(too_large(name, limit));
    }
  }
  buffer.resize(used);
  return {};
}

Status read_file_at(int dirfd, const char* path, std::string& buffer, size_t limit) {
  int fd = ::openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno(std::string("open ") + path, errno));
  UniqueFd owner = UniqueFd::adopt(fd);
  return read_fd(fd, path, buffer, limit);
}

Status read_file(const char* path, std::string& buffer, size_t limit) {
  return read_file_at(AT_FDCWD, path, buffer, limit);
}

std::string escape_excerpt(std::string_view s, size_t max) {
  std::string out;
  const size_t n = std::min(s.size(), max);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

Status check_text(std::string_view content, std::string_view name) {
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    const auto c = static_cast<unsigned char>(content[i]);
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      continue;
    }
    if (c >= 0x20 && c != 0x7f) continue;
    if (c == '\t' || c == '\r') continue;
    // Show a little of what precedes the bad byte (on its line) and what follows.
    const size_t from = std::max(line_start, i >= 8 ? i - 8 : size_t{0});
    std::string what = c == 0 ? "NUL byte" : "control byte";
    return fail(Error::malformed(std::string(name) + ":" + std::to_string(line) + ":" +
                                 std::to_string(i - line_start + 1) + " (byte " +
                                 std::to_string(i) + "): not text (" + what + ") near \"" +
                                 escape_excerpt(content.substr(from), 24) + "\""));
  }
  return {};
}

std::string_view trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

void raise_open_file_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &r);
  }
}

}  // namespace tcpscope
