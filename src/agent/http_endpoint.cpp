// SPDX-License-Identifier: MIT
#include "agent/http_endpoint.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/log.hpp"
#include "base/file.hpp"

namespace tcpscope::agent {

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr size_t kMaxThreads = 16;
constexpr auto kIdleExit = std::chrono::seconds(30);
constexpr int kBacklogFallback = 4096;  // the kernel's default somaxconn since 5.4

// The listen() backlog: the namespace's net.core.somaxconn, the most the kernel grants. The
// library's own (5, compiled into Debian's libcpp-httplib) makes a burst of scrapers and
// health checkers see refused or retried SYNs while the workers are busy.
int listen_backlog() {
  std::string text;
  int value = 0;
  if (read_file("/proc/sys/net/core/somaxconn", text)) {
    const char* end = text.data() + text.size();
    if (std::from_chars(text.data(), end, value).ec == std::errc{} && value > 0) return value;
  }
  return kBacklogFallback;
}

// The library's stock pool has a fixed size and an unbounded queue. This one starts one thread
// and adds one (up to kMaxThreads) whenever a connection arrives and no thread is idle, so a
// scrape waits behind at most a few stuck clients; extra threads leave after kIdleExit.
//
// Every thread is joined, never detached: one that leaves records its id and the next
// enqueue() (or shutdown()) joins it, so the pool outlives all of them (a detached thread
// could still be touching the pool's condition variable while shutdown() returns).
class ElasticPool final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    reap_locked();
    jobs_.push_back(std::move(fn));
    if (idle_ == 0 && threads_.size() < kMaxThreads) {
      threads_.emplace_back([this] { work(); });
    } else {
      cond_.notify_one();
    }
  }

  void shutdown() override {
    std::vector<std::thread> threads;
    {
      std::unique_lock lock(mutex_);
      stop_ = true;
      cond_.notify_all();
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      const bool woke = cond_.wait_for(lock, kIdleExit, [&] { return stop_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty() && (stop_ || (!woke && threads_.size() - left_.size() > 1))) break;
      if (jobs_.empty()) continue;
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
    left_.push_back(std::this_thread::get_id());
  }

  // Joins the threads that left (they no longer touch the pool once their id is recorded and
  // the lock released; join waits for the rest of their exit).
  void reap_locked() {
    for (const auto id : left_) {
      auto it = std::find_if(threads_.begin(), threads_.end(),
                             [&](const std::thread& t) { return t.get_id() == id; });
      if (it != threads_.end()) {
        it->join();
        threads_.erase(it);
      }
    }
    left_.clear();
  }

  std::mutex mutex_;
  std::condition_variable cond_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> left_;
  size_t idle_ = 0;
  bool stop_ = false;
};

}  // namespace

struct MetricsEndpoint::Impl {
  Endpoint at;
  uint16_t port = 0;
  httplib::Server server;
  std::thread thread;
  std::mutex mutex;
  std::shared_ptr<const std::string> body;  // null until the first tick is rendered
  std::string retry_after;                  // seconds, for the 503 before that
  int sock = -1;                            // the listening socket (the library owns it)
  HttpStats stats;
  RateLimited bad_requests;

  std::shared_ptr<const std::string> current() {
    std::lock_guard lock(mutex);
    return body;
  }
};

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(const Endpoint& at,
                                                                int64_t interval_ns) {
  auto impl = std::make_unique<Impl>();
  impl->at = at;
  impl->retry_after =
      std::to_string(std::max<int64_t>(1, (interval_ns + 999'999'999) / 1'000'000'000));
  Impl* p = impl.get();
  auto& srv = impl->server;
  srv.new_task_queue = [] { return new ElasticPool(); };
  srv.set_read_timeout(2, 0);
  srv.set_write_timeout(5, 0);
  srv.set_keep_alive_timeout(2);
  srv.set_keep_alive_max_count(100);
  srv.set_payload_max_length(4096);
  // Without it a keep-alive client's second request waits for a delayed ACK (~40 ms).
  srv.set_tcp_nodelay(true);
  auto serve = [p](const httplib::Request&, httplib::Response& res) {
    const auto body = p->current();
    if (!body) {  // an empty 200 would read as "no metrics" to a scraper
      res.status = 503;
      res.set_header("Retry-After", p->retry_after);
      res.set_content("no collection finished yet\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_content(*body, kContentType);
  };
  srv.Get("/metrics", serve);
  srv.Get("/", serve);
  auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
  };
  for (const char* path : {"/metrics", "/"}) {
    srv.Post(path, not_allowed);
    srv.Put(path, not_allowed);
    srv.Delete(path, not_allowed);
    srv.Patch(path, not_allowed);
    srv.Options(path, not_allowed);
  }
  srv.set_logger([p](const httplib::Request& req, const httplib::Response& res) {
    const int code = res.status >= 0 && res.status < 600 ? res.status : 0;
    p->stats.by_code[static_cast<size_t>(code)].fetch_add(1, std::memory_order_relaxed);
    if (res.status >= 400 && res.status != 503) {  // 503: expected until the first tick
      p->bad_requests.log(LogLevel::kWarn, "http: " + std::to_string(res.status) + " for \"" +
                                               req.method.substr(0, 16) + " " +
                                               req.path.substr(0, 64) + "\" from " +
                                               req.remote_addr);
    }
  });
  srv.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                               const std::exception_ptr&) { res.status = 500; });
  // The library binds and listens in one call with its fixed backlog and SO_REUSEPORT (which
  // would let a second agent share the port silently). The socket-options hook sees the socket
  // before bind: keep only SO_REUSEADDR (a restart must not wait for TIME-WAIT) and remember the
  // fd, so that listen() can be called again on it with our backlog (Linux then only updates
  // the backlog of the listening socket).
  srv.set_socket_options([p](socket_t s) {
    p->sock = s;
    int yes = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  errno = 0;
  const int port = at.port;
  if (!srv.bind_to_port(at.host, port)) {
    const int e = errno;
    const std::string where = "prometheus: cannot listen on " + format_endpoint(at);
    // Name what the bind needs, not only the errno's text.
    std::string why;
    if (e == EACCES && port < 1024) why = " (a port below 1024 needs root or CAP_NET_BIND_SERVICE)";
    if (e == EADDRINUSE) why = " (another socket has the port; ss -tlnp shows which)";
    if (e == EADDRNOTAVAIL) why = " (no interface has this address)";
    if (e == 0) {
      return fail(Error(ErrorKind::kRuntime, where + ": the address does not resolve"));
    }
    if (!why.empty()) {
      return fail(Error(e == EACCES ? ErrorKind::kPermission : ErrorKind::kRuntime,
                        where + ": " + std::strerror(e) + why));
    }
    return fail(Error::from_errno(where, e));
  }
  const int sock = p->sock;
  if (sock < 0 || ::listen(sock, listen_backlog()) < 0) {
    const int e = sock < 0 ? EBADF : errno;
    return fail(Error::from_errno("prometheus: listen backlog on " + format_endpoint(at), e));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  impl->port = at.port;
  if (::getsockname(sock, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
    if (bound.ss_family == AF_INET) {
      impl->port = ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    } else if (bound.ss_family == AF_INET6) {
      impl->port = ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
    }
  }
  impl->thread = std::thread([p] { p->server.listen_after_bind(); });
  // stop() only stops a server that is running: wait for it (bounded) so the destructor
  // cannot miss it and wait forever for the thread.
  for (int i = 0; i < 2000 && !srv.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::unique_ptr<MetricsEndpoint>(new MetricsEndpoint(std::move(impl)));
}

MetricsEndpoint::MetricsEndpoint(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsEndpoint::~MetricsEndpoint() {
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void MetricsEndpoint::publish(std::shared_ptr<const std::string> body) {
  std::lock_guard lock(impl_->mutex);
  impl_->body = std::move(body);
}

const HttpStats& MetricsEndpoint::stats() const { return impl_->stats; }
const Endpoint& MetricsEndpoint::address() const { return impl_->at; }
uint16_t MetricsEndpoint::port() const { return impl_->port; }

}  // namespace tcpscope::agent
