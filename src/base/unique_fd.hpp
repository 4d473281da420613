// SPDX-License-Identifier: MIT
// UniqueFd: a move-only owner of a file descriptor.
//
// Made only by factories that set CLOEXEC (open_cloexec, or UniqueFd::adopt right after a
// syscall that took SOCK_CLOEXEC / O_CLOEXEC). There is no implicit conversion to int: call
// get() where a syscall needs the number. Common mistake: release()-ing the fd into a syscall
// that may fail, leaking it; keep ownership and pass get().
#pragma once

#include <unistd.h>

#include <utility>

namespace tcpscope {

class UniqueFd {
 public:
  UniqueFd() = default;
  static UniqueFd adopt(int fd) { return UniqueFd(fd); }

  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  explicit operator bool() const { return valid(); }

  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  explicit UniqueFd(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace tcpscope
