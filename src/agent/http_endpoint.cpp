#include "agent/http_endpoint.hpp"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "agent/log.hpp"

namespace tcpscope::agent {

namespace {

constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr size_t kMaxThreads = 16;
constexpr auto kIdleExit = std::chrono::seconds(30);

// The library's stock pool has a fixed size and an unbounded queue. This one starts one thread
// and adds one (up to kMaxThreads) whenever a connection arrives and no thread is idle, so a
// scrape waits behind at most a few stuck clients; extra threads leave after kIdleExit.
class ElasticPool final : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    jobs_.push_back(std::move(fn));
    if (idle_ == 0 && live_ < kMaxThreads) {
      ++live_;
      std::thread([this] { work(); }).detach();
    } else {
      cond_.notify_one();
    }
  }

  void shutdown() override {
    std::unique_lock lock(mutex_);
    stop_ = true;
    cond_.notify_all();
    exited_.wait(lock, [&] { return live_ == 0; });
  }

 private:
  void work() {
    std::unique_lock lock(mutex_);
    for (;;) {
      ++idle_;
      const bool woke = cond_.wait_for(lock, kIdleExit, [&] { return stop_ || !jobs_.empty(); });
      --idle_;
      if (jobs_.empty() && (stop_ || (!woke && live_ > 1))) break;
      if (jobs_.empty()) continue;
      auto fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
    --live_;
    // Notifies only after this thread is done with the pool (shutdown() may destroy it next).
    std::notify_all_at_thread_exit(exited_, std::move(lock));
  }

  std::mutex mutex_;
  std::condition_variable cond_;
  std::condition_variable exited_;
  std::deque<std::function<void()>> jobs_;
  size_t live_ = 0;
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
  std::shared_ptr<const std::string> body = std::make_shared<const std::string>();
  HttpStats stats;
  RateLimited bad_requests;

  std::shared_ptr<const std::string> current() {
    std::lock_guard lock(mutex);
    return body;
  }
};

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::start(const Endpoint& at) {
  auto impl = std::make_unique<Impl>();
  impl->at = at;
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
    if (res.status >= 400) {
      p->bad_requests.log(LogLevel::kWarn, "http: " + std::to_string(res.status) + " for \"" +
                                               req.method.substr(0, 16) + " " +
                                               req.path.substr(0, 64) + "\" from " +
                                               req.remote_addr);
    }
  });
  srv.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                               std::exception_ptr) { res.status = 500; });
  errno = 0;
  const int port = at.port;
  if (!srv.bind_to_port(at.host, port)) {
    const int e = errno;
    return fail(Error::from_errno("prometheus: cannot listen on " + format_endpoint(at), e));
  }
  impl->port = at.port;
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
