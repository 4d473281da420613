// Result<T> and Error: the one error type of the project.
//
// Every fallible function returns Result<T> (std::expected<T, Error>). An Error carries a kind,
// the errno where there was one, and a message that gains context at each hop:
//   return err.context("dump AF_INET6");   // "dump AF_INET6: open NETLINK_SOCK_DIAG: ..."
// Common mistake: formatting strerror() into the message by hand; pass the errno instead and
// let what() append it once.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace tcpscope {

enum class ErrorKind {
  kUsage,        // bad input from the user: exit 2
  kRuntime,      // the system said no: exit 1
  kPermission,   // missing privilege: exit 1, with a hint
  kUnsupported,  // the kernel lacks a feature (e.g. no sock_diag handler)
  kMalformed,    // data from the kernel or a file that does not parse
  kTimeout,      // a read that did not answer in time
};

class [[nodiscard]] Error {
 public:
  Error(ErrorKind kind, std::string message, int err = 0)
      : kind_(kind), errno_(err), message_(std::move(message)) {}

  static Error usage(std::string message) { return {ErrorKind::kUsage, std::move(message)}; }
  static Error malformed(std::string message) {
    return {ErrorKind::kMalformed, std::move(message)};
  }
  // Builds an error from an errno value, picking the kind from it.
  static Error from_errno(std::string message, int err);

  ErrorKind kind() const { return kind_; }
  int err() const { return errno_; }
  const std::string& message() const { return message_; }

  // Prepends "what: " to the message; returns *this for `return e.context(...)`.
  Error& context(std::string_view what) &;
  Error&& context(std::string_view what) &&;

  // The message with ": strerror(errno)" appended when there is an errno.
  std::string what() const;

 private:
  ErrorKind kind_;
  int errno_;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace tcpscope
