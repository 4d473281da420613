// SPDX-License-Identifier: MIT
// Result<T> and Error: the one error type of the project.
//
// Every fallible function returns Result<T> (std::expected<T, Error>). An Error carries a kind,
// the errno where there was one, and a message that gains context at each hop:
//   return err.context("dump AF_INET6");   // "dump AF_INET6: open NETLINK_SOCK_DIAG: ..."
// Common mistake: formatting strerror() into the message by hand; pass the errno instead and
// let what() append it once.
//
// TCPSCOPE_TRY(expr) and TCPSCOPE_TRY_CTX(expr, what) propagate a failure in one line:
//   auto sock = TCPSCOPE_TRY_CTX(NetlinkSocket::open(...), "open NETLINK_SOCK_DIAG");
//   TCPSCOPE_TRY_CTX(sock.send(msg), "dump IPv4 TCP");   // a Status: nothing to take
// so that a failure reads "netns web-1: dump IPv4 TCP: receive from netlink: No buffer space
// available", each layer naming what it was doing.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

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

#if defined(__cpp_lib_expected)

template <typename T>
using Result = std::expected<T, Error>;

using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(Error e) { return std::unexpected<Error>(std::move(e)); }

#else
// clang 14 (the libFuzzer build) cannot compile libstdc++'s <expected>; this stand-in has the
// part of its interface the project uses, with the same meaning.
namespace detail {

struct Failure {
  Error error;
};

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected() : v_(std::in_place_index<0>) {}
  Expected(Failure f) : v_(std::in_place_index<1>, std::move(f.error)) {}  // NOLINT
  // Constrained so that it never takes an Expected or a Failure: it cannot hide the copy and
  // move constructors.
  template <typename U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, Expected> &&
           !std::is_same_v<std::remove_cvref_t<U>, Failure>) Expected(U&& v)  // NOLINT
      : v_(std::in_place_index<0>, std::forward<U>(v)) {}                     // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  Error& error() & { return std::get<1>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

  // As std::expected: equal to a value when it holds one that compares equal.
  template <typename U>
  requires(!std::is_same_v<std::remove_cvref_t<U>, Expected>) friend bool operator==(
      const Expected& x, const U& v) {
    return x.has_value() && *x == v;
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Failure f) : e_(std::move(f.error)) {}  // NOLINT
  bool has_value() const { return !e_.has_value(); }
  explicit operator bool() const { return has_value(); }
  Error& error() & { return *e_; }
  const Error& error() const& { return *e_; }
  Error&& error() && { return std::move(*e_); }
  void operator*() const {}

 private:
  std::optional<Error> e_;
};

}  // namespace detail

template <typename T>
using Result = detail::Expected<T>;

using Status = detail::Expected<void>;

inline detail::Failure fail(Error e) { return detail::Failure{std::move(e)}; }

#endif

}  // namespace tcpscope

// Evaluates `expr` (a Result<T> or a Status). On failure, returns its error from the enclosing
// function (which returns a Result or a Status), with "what: " prepended by the _CTX form;
// otherwise the whole expression is the value (nothing for a Status). A GNU statement
// expression: g++ and clang both have it, __extension__ keeps -Wpedantic quiet.
#define TCPSCOPE_TRY_CTX(expr, what)                                           \
  __extension__({                                                              \
    auto&& tcpscope_try_ = (expr);                                             \
    if (!tcpscope_try_) {                                                      \
      return ::tcpscope::fail(std::move(tcpscope_try_).error().context(what)); \
    }                                                                          \
    *std::move(tcpscope_try_);                                                 \
  })
#define TCPSCOPE_TRY(expr)                                                         \
  __extension__({                                                                  \
    auto&& tcpscope_try_ = (expr);                                                 \
    if (!tcpscope_try_) return ::tcpscope::fail(std::move(tcpscope_try_).error()); \
    *std::move(tcpscope_try_);                                                     \
  })
