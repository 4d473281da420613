// SPDX-License-Identifier: MIT
#include "agent/sinks.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace tcpscope::agent {

namespace {

constexpr int64_t kResolveBackoffFirstNs = 1'000'000'000;
constexpr int64_t kResolveBackoffMaxNs = 60'000'000'000;

int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

StatsdSink::StatsdSink(Endpoint to, uint32_t mtu, render::StatsdStyle style)
    : to_(std::move(to)), mtu_(mtu), style_(std::move(style)) {}

StatsdSink::StatsdSink(Writer writer, uint32_t mtu, render::StatsdStyle style)
    : writer_(std::move(writer)), mtu_(mtu), style_(std::move(style)) {}

Status StatsdSink::connect_socket() {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(to_.port);
  const int rc = ::getaddrinfo(to_.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) {
    ++resolve_failures_;
    resolve_backoff_ns_ = resolve_backoff_ns_ == 0
                              ? kResolveBackoffFirstNs
                              : std::min(resolve_backoff_ns_ * 2, kResolveBackoffMaxNs);
    next_resolve_ns_ = now_ns() + resolve_backoff_ns_;
    return fail(Error(ErrorKind::kRuntime, "statsd: cannot resolve " + format_endpoint(to_) +
                                               " (DNS: " + ::gai_strerror(rc) +
                                               "); retrying, datagrams are dropped meanwhile"));
  }
  resolve_backoff_ns_ = 0;
  Status st = fail(Error(ErrorKind::kRuntime, "statsd: no address for " + format_endpoint(to_)));
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
      st = fail(Error::from_errno("statsd: socket", errno));
      continue;
    }
    UniqueFd owned = UniqueFd::adopt(fd);
    // Connected: the kernel reports an unreachable port (ICMP) on a later send as ECONNREFUSED.
    if (::connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
      st = fail(Error::from_errno("statsd: connect " + format_endpoint(to_), errno));
      continue;
    }
    fd_ = std::move(owned);
    st = {};
    break;
  }
  ::freeaddrinfo(res);
  return st;
}

bool StatsdSink::send_udp(std::string_view datagram) {
  if (!fd_) {
    // One lookup per emit() at most, and none during the backoff: a DNS timeout must not
    // stall every datagram of a tick.
    if (resolved_this_emit_ || now_ns() < next_resolve_ns_) return false;
    resolved_this_emit_ = true;
    if (auto st = connect_socket(); !st) {
      ++errors_;
      log_.log(LogLevel::kWarn, st.error().what());
      return false;
    }
  }
  const ssize_t n =
      ::send(fd_.get(), datagram.data(), datagram.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n == static_cast<ssize_t>(datagram.size())) return true;
  const int e = n < 0 ? errno : EMSGSIZE;
  ++errors_;
  log_.log(LogLevel::kWarn, "statsd: send to " + format_endpoint(to_) + ": " + std::strerror(e) +
                                " (datagrams are dropped until it answers)");
  return false;
}

void StatsdSink::flush() {
  if (datagram_.empty()) return;
  const bool ok = writer_ ? writer_(datagram_) : send_udp(datagram_);
  ++(ok ? sent_ : dropped_);
  datagram_.clear();
}

void StatsdSink::add_line(std::string_view line) {
  if (line.size() > mtu_) {
    ++too_long_;
    log_.log(LogLevel::kWarn, "statsd: a line longer than --statsd-mtu was dropped: " +
                                  std::string(line.substr(0, 80)));
    return;
  }
  const size_t need = datagram_.empty() ? line.size() : datagram_.size() + 1 + line.size();
  if (need > mtu_) flush();
  if (!datagram_.empty()) datagram_.push_back('\n');
  datagram_.append(line);
}

void StatsdSink::emit(const model::MetricSet& set, bool send, std::span<const StatsdTimer> timers) {
  ++generation_;
  resolved_this_emit_ = false;
  for (const StatsdTimer& t : send ? timers : std::span<const StatsdTimer>{}) {
    key_.clear();
    render::append_statsd_key(key_, t.name, t.labels, style_);
    for (const double v : t.values) {
      line_.clear();
      render::append_statsd_line(line_, key_, v, "ms", t.rate);
      add_line(line_);
    }
  }
  for (const auto& s : set.samples()) {
    const auto& f = set.families()[s.family];
    if (!send && f.type == model::MetricType::kGauge) continue;
    if (s.part == model::SamplePart::kBucket) continue;  // statsd has no buckets
    key_.clear();
    render::append_statsd_key(key_, set, s, style_);
    line_.clear();
    if (f.type == model::MetricType::kGauge) {
      render::append_statsd_line(line_, key_, s.value, 'g');
      add_line(line_);
      continue;
    }
    auto it = baselines_.find(std::string_view(key_));
    if (it == baselines_.end()) {
      // The first sight is a baseline only; but a series that counts from zero and appeared
      // after this sink's first tick has its whole value to send.
      const bool fresh = f.from_zero && generation_ > 1;
      baselines_.emplace(key_, Baseline{s.scope, fresh ? 0.0 : s.value, generation_});
      if (!fresh) continue;
      it = baselines_.find(std::string_view(key_));
    }
    Baseline& b = it->second;
    b.seen = generation_;
    if (b.scope != s.scope) {  // a new namespace under the same name: start over
      b.scope = s.scope;
      b.value = s.value;
      continue;
    }
    // A counter that went backwards was reset: everything it counted since is new.
    const double delta = s.value >= b.value ? s.value - b.value : s.value;
    b.value = s.value;
    if (!send) continue;
    render::append_statsd_line(line_, key_, delta, 'c');
    add_line(line_);
  }
  if (send) flush();
  // Forget names that were not in this tick (a namespace or listener gone): bounded memory.
  std::erase_if(baselines_, [&](const auto& kv) { return kv.second.seen != generation_; });
}

Result<JsonlSink> JsonlSink::open(const std::string& path) {
  if (path == "-") return JsonlSink(path, UniqueFd());
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return fail(Error::from_errno("jsonl: open " + path, errno));
  return JsonlSink(path, UniqueFd::adopt(fd));
}

Status JsonlSink::emit(const model::MetricSet& set, std::string_view kind, int64_t unix_ms) {
  buf_.clear();
  render::append_metrics_jsonl(buf_, set, kind, unix_ms);
  const int fd = fd_ ? fd_.get() : STDOUT_FILENO;
  const char* p = buf_.data();
  size_t left = buf_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : EIO;
      ++errors_;
      const std::string where = "jsonl: write " + (path_ == "-" ? "to standard output" : path_);
      if (e == EPIPE || e == EBADF || e == EINVAL) {
        return fail(
            Error(ErrorKind::kRuntime,
                  where + ": " + std::strerror(e) +
                      (e == EPIPE ? " (the reader has gone; no further line can be read)" : "")));
      }
      log_->log(LogLevel::kWarn, where + ": " + std::strerror(e));
      return {};
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace tcpscope::agent
