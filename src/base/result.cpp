// SPDX-License-Identifier: MIT
#include "base/result.hpp"

#include <cerrno>
#include <cstring>

namespace tcpscope {

Error Error::from_errno(std::string message, int err) {
  ErrorKind kind = ErrorKind::kRuntime;
  if (err == EPERM || err == EACCES) kind = ErrorKind::kPermission;
  if (err == EPROTONOSUPPORT || err == ENOENT || err == EOPNOTSUPP || err == EAFNOSUPPORT) {
    kind = ErrorKind::kUnsupported;
  }
  if (err == EAGAIN || err == ETIMEDOUT) kind = ErrorKind::kTimeout;
  return {kind, std::move(message), err};
}

Error& Error::context(std::string_view what) & {
  std::string m;
  m.reserve(what.size() + 2 + message_.size());
  m.append(what).append(": ").append(message_);
  message_ = std::move(m);
  return *this;
}

Error&& Error::context(std::string_view what) && { return std::move(context(what)); }

std::string Error::what() const {
  if (errno_ == 0) return message_;
  return message_ + ": " + std::strerror(errno_);
}

}  // namespace tcpscope
