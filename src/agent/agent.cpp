// SPDX-License-Identifier: MIT
#include "agent/agent.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/collector.hpp"
#include "agent/http_endpoint.hpp"
#include "agent/log.hpp"
#include "agent/metric_catalog.hpp"
#include "agent/schedule.hpp"
#include "agent/sinks.hpp"
#include "base/file.hpp"
#include "base/unique_fd.hpp"
#include "procfs/counter_sampler.hpp"
#include "render/metrics.hpp"

namespace tcpscope::agent {

namespace {

constexpr std::string_view kOwnLabel = "host";

struct Target {
  std::string label;
  std::string path;  // "" = the agent's own namespace
};

void list_dir(const char* dir, std::string_view label_prefix, std::vector<Target>& out) {
  DIR* d = ::opendir(dir);
  if (d == nullptr) return;  // absent is normal (no named namespaces, no docker)
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    out.push_back({std::string(label_prefix) + e->d_name, std::string(dir) + "/" + e->d_name});
  }
  ::closedir(d);
}

std::vector<Target> resolve_targets(const std::vector<std::string>& spec) {
  std::vector<Target> out;
  if (spec.empty()) {
    out.push_back({std::string(kOwnLabel), ""});
    return out;
  }
  for (const auto& s : spec) {
    if (s == "all") {
      out.push_back({std::string(kOwnLabel), ""});
      list_dir("/var/run/netns", "", out);
      list_dir("/var/run/docker/netns", "docker/", out);
    } else if (s == kOwnLabel) {
      out.push_back({std::string(kOwnLabel), ""});
    } else if (s.find('/') != std::string::npos) {
      out.push_back({s, s});
    } else {
      out.push_back({s, "/var/run/netns/" + s});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Target& a, const Target& b) { return a.label < b.label; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Target& a, const Target& b) { return a.label == b.label; }),
            out.end());
  return out;
}

std::optional<uint64_t> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.empty() ? "/proc/self/ns/net" : path.c_str(), &st) < 0) return std::nullopt;
  return (static_cast<uint64_t>(st.st_dev) << 32) ^ st.st_ino;
}

int64_t unix_ms_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

std::string describe(const AgentConfig& c) {
  auto secs = [](int64_t ns) { return fmt::format("{:g}s", static_cast<double>(ns) / 1e9); };
  std::string netns = c.netns.empty() ? std::string(kOwnLabel) : "";
  for (const auto& n : c.netns) netns += (netns.empty() ? "" : ",") + n;
  return fmt::format(
      "interval {}, listener interval {}, netns {}, statsd {}, prometheus {}, jsonl {}, closes {}",
      secs(c.interval_ns), secs(c.listener_interval_ns), netns,
      c.statsd ? format_endpoint(*c.statsd) : "off",
      c.prometheus ? format_endpoint(*c.prometheus) : "off", c.jsonl.empty() ? "off" : c.jsonl,
      c.closes.enabled ? "on" : "off");
}

class Agent {
 public:
  Agent(const AgentFlags& flags, AgentConfig cfg, RunOptions opts)
      : flags_(flags), cfg_(std::move(cfg)), opts_(opts), ids_(set_) {}

  Status start() {
    const int own = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (own < 0) return fail(Error::from_errno("open /proc/self/ns/net", errno));
    origin_ = UniqueFd::adopt(own);
    if (cfg_.prometheus) {
      auto ep = MetricsEndpoint::start(*cfg_.prometheus, cfg_.interval_ns);
      if (!ep) return fail(std::move(ep.error()));
      http_ = std::move(*ep);
    }
    if (auto st = open_jsonl(); !st) return st;
    open_statsd();
    sfd_ = make_signalfd();
    if (!sfd_) return fail(Error::from_errno("signalfd", errno));
    return {};
  }

  int run() {
    UniqueFd tfd = UniqueFd::adopt(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
    ep_ = UniqueFd::adopt(::epoll_create1(EPOLL_CLOEXEC));
    const UniqueFd& ep = ep_;
    if (!tfd || !ep) {
      log(LogLevel::kError, fmt::format("timerfd/epoll: {}", std::strerror(errno)));
      return 1;
    }
    for (int fd : {tfd.get(), sfd_.get()}) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      ::epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
    }
    Schedule schedule(cfg_.interval_ns, cfg_.listener_interval_ns, monotonic_ns());
    log(LogLevel::kInfo, "started: " + describe(cfg_));
    int status = 0;
    for (;;) {
      arm(tfd.get(), schedule.next_due_ns());
      epoll_event evs[16];
      const int n = ::epoll_wait(ep.get(), evs, 16, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        log(LogLevel::kError, fmt::format("epoll_wait: {}", std::strerror(errno)));
        return 1;
      }
      bool stop = false;
      bool reload = false;
      for (int i = 0; i < n; ++i) {
        if (evs[i].data.fd == sfd_.get()) {
          signalfd_siginfo si{};
          while (::read(sfd_.get(), &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGHUP) reload = true;
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) stop = true;
          }
        } else if (evs[i].data.fd == tfd.get()) {
          uint64_t expirations = 0;  // only drained: the schedule counts from the clock
          (void)!::read(tfd.get(), &expirations, sizeof expirations);
        } else {
          // A namespace's close events.
          for (auto& c : collectors_) {
            if (c->close_fd() == evs[i].data.fd) c->drain_closes();
          }
        }
      }
      if (reload && this->reload()) {
        // New intervals: start over, the first tick (full) at once.
        schedule.restart(cfg_.interval_ns, cfg_.listener_interval_ns, monotonic_ns());
      }
      if (stop) break;
      const auto tick = schedule.due(monotonic_ns());
      if (!tick) continue;
      const bool ok =
          run_tick(tick->full ? TickKind::kFull : TickKind::kListener, schedule.skipped_total());
      if (fatal_) {
        std::fprintf(stderr, "tcpscope: error: %s\n", fatal_->what().c_str());
        return 1;
      }
      if (!ok) status = opts_.count > 0 ? 1 : status;
      if (opts_.count > 0 && ++emitted_ >= opts_.count) stop = true;
      if (opts_.once && tick->full && ++full_ticks_ >= 2) {
        status = ok ? 0 : 1;
        stop = true;
      }
      if (stop) break;
    }
    log(LogLevel::kInfo, "stopping");
    return status;
  }

 private:
  static UniqueFd make_signalfd() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return UniqueFd::adopt(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  }

  static int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }

  // One shot at the absolute time `at` on CLOCK_MONOTONIC (a time already past fires at once;
  // `at` is never 0, which would disarm: it is at least the start, read from the clock).
  static void arm(int tfd, int64_t at) {
    itimerspec its{};
    its.it_value.tv_sec = static_cast<time_t>(at / 1'000'000'000);
    its.it_value.tv_nsec = static_cast<long>(at % 1'000'000'000);
    ::timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, nullptr);
  }

  Status open_jsonl() {
    jsonl_.reset();
    if (cfg_.jsonl.empty()) return {};
    auto j = JsonlSink::open(cfg_.jsonl);
    if (!j) return fail(std::move(j.error()));
    jsonl_ = std::make_unique<JsonlSink>(std::move(*j));
    return {};
  }

  void open_statsd() {
    if (statsd_) {  // its counts live on in the self-metrics, which must never go backwards
      statsd_errors_total_ += statsd_->errors() + statsd_->lines_too_long();
      statsd_sent_total_ += statsd_->packets_sent();
      statsd_dropped_total_ += statsd_->packets_dropped();
      statsd_resolve_total_ += statsd_->resolve_failures();
    }
    statsd_.reset();
    if (!cfg_.statsd) return;
    render::StatsdStyle style{cfg_.prefix, cfg_.statsd_tags};
    statsd_ = std::make_unique<StatsdSink>(*cfg_.statsd, cfg_.statsd_mtu, style);
  }

  // Returns true when the schedule must start over (the intervals changed).
  bool reload() {
    auto c = load_config(flags_);
    if (!c) {
      ++config_errors_;
      log(LogLevel::kError, "reload: " + c.error().what() + " (keeping the running configuration)");
      return false;
    }
    AgentConfig next = std::move(*c);
    const bool rearm = next.interval_ns != cfg_.interval_ns ||
                       next.listener_interval_ns != cfg_.listener_interval_ns;
    if (next.prometheus != cfg_.prometheus) {
      log(LogLevel::kWarn, "reload: a new prometheus.listen takes a restart; still serving on " +
                               (cfg_.prometheus ? format_endpoint(*cfg_.prometheus) : "nothing"));
      next.prometheus = cfg_.prometheus;
    }
    const bool statsd_changed = next.statsd != cfg_.statsd || next.statsd_mtu != cfg_.statsd_mtu ||
                                next.prefix != cfg_.prefix || next.statsd_tags != cfg_.statsd_tags;
    cfg_ = std::move(next);
    set_log_level(cfg_.log_level);
    if (statsd_changed) open_statsd();
    if (auto st = open_jsonl(); !st) {  // reopened in any case: log rotation
      ++jsonl_errors_;
      log(LogLevel::kError, "reload: " + st.error().what());
    }
    log(LogLevel::kInfo, "reloaded: " + describe(cfg_));
    return rearm;
  }

  void sync_namespaces() {
    const auto targets = resolve_targets(cfg_.netns);
    std::vector<std::unique_ptr<NamespaceCollector>> next;
    for (const auto& t : targets) {
      const auto id = identity_of(t.path);
      auto it = std::find_if(collectors_.begin(), collectors_.end(),
                             [&](const auto& c) { return c && c->label() == t.label; });
      if (!id) {
        // Gone (or not there yet): an explicitly named one is an error worth counting.
        if (t.path != "" &&
            std::find(cfg_.netns.begin(), cfg_.netns.end(), "all") == cfg_.netns.end()) {
          ++netns_errors_;
          netns_log_.log(LogLevel::kWarn, "network namespace " + t.label + " (" + t.path +
                                              "): " + std::strerror(errno));
        }
        continue;
      }
      if (it != collectors_.end() && (*it)->identity() == *id && (*it)->path() == t.path) {
        next.push_back(std::move(*it));
        continue;
      }
      auto c = NamespaceCollector::open(t.label, t.path, origin_.get());
      if (!c) {
        ++netns_errors_;
        netns_log_.log(LogLevel::kWarn, c.error().what());
        continue;
      }
      log(LogLevel::kInfo,
          "following network namespace " + t.label + (t.path.empty() ? "" : " (" + t.path + ")"));
      (*c)->open_closes(cfg_);  // events from now on
      next.push_back(std::move(*c));
    }
    for (const auto& c : collectors_) {
      if (c) log(LogLevel::kInfo, "no longer following network namespace " + c->label());
    }
    collectors_ = std::move(next);
  }

  // Keeps the epoll set equal to the collectors' close-event subscriptions (a subscription comes
  // and goes with its namespace, a reload, or a read error; a closed fd has left the set).
  void watch_close_fds() {
    std::vector<int> want;
    for (const auto& c : collectors_) {
      if (c->close_fd() >= 0) want.push_back(c->close_fd());
    }
    std::sort(want.begin(), want.end());
    for (const int fd : watched_) {
      if (!std::binary_search(want.begin(), want.end(), fd)) {
        ::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr);  // ENOENT when it was closed
      }
    }
    for (const int fd : want) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      // The same number may be a new socket (the old one closed): adding it again is right.
      if (::epoll_ctl(ep_.get(), EPOLL_CTL_ADD, fd, &ev) < 0 && errno == EEXIST) {
        ::epoll_ctl(ep_.get(), EPOLL_CTL_MOD, fd, &ev);
      }
    }
    watched_ = std::move(want);
  }

  bool run_tick(TickKind kind, uint64_t ticks_skipped) {
    sync_namespaces();
    // Closes so far go with the listeners of the previous reading (and a recheck).
    for (auto& c : collectors_) c->drain_closes();
    bool ok = !collectors_.empty();
    for (auto& c : collectors_) {
      // A namespace never collected in full gets a full collection whatever the tick.
      const TickKind k = c->has_data() ? kind : TickKind::kFull;
      if (auto st = c->collect(k, cfg_); !st) {
        ok = false;
        collect_log_.log(LogLevel::kWarn, "collect " + c->label() + ": " + st.error().what());
      }
    }
    watch_close_fds();
    set_.clear();
    timers_.clear();
    for (auto& c : collectors_) {
      c->drain_closes();
      c->emit(cfg_, ids_, set_);
      c->close_timers(timers_);
    }
    emit_self(ticks_skipped);
    if (opts_.once && full_ticks_ == 0 && kind == TickKind::kFull) {
      // --once: this first reading is only the baseline of the counters' changes.
      if (statsd_) statsd_->emit(set_, false);
      for (auto& c : collectors_) c->start_close_interval();
      return ok;
    }
    if (statsd_) statsd_->emit(set_, true, timers_);
    for (auto& c : collectors_) c->start_close_interval();
    if (jsonl_) {
      if (auto st = jsonl_->emit(set_, tick_kind_name(kind), unix_ms_now()); !st) {
        fatal_ = std::move(st.error());
        return false;
      }
    }
    if (http_) {
      prom_.clear();
      render::append_prometheus(prom_, set_);
      // tcpscope_build_info is Prometheus' convention, served there only: statsd and JSON lines
      // have no use for a constant 1 whose information is in its labels (a Graphite path would
      // make the version a path element).
      if (build_info_.samples().empty()) add_build_info(build_info_);
      render::append_prometheus(prom_, build_info_);
      http_->publish(std::make_shared<const std::string>(prom_.data(), prom_.size()));
    }
    return ok;
  }

  void emit_self(uint64_t ticks_skipped) {
    auto u = [](uint64_t v) { return static_cast<double>(v); };
    uint64_t http_errors = 0;
    if (http_) {
      const auto& by_code = http_->stats().by_code;
      for (size_t code = 0; code < by_code.size(); ++code) {
        const uint64_t n = by_code[code].load(std::memory_order_relaxed);
        if (n == 0) continue;
        if (code >= 400 || code == 0) http_errors += n;
        const std::string text = std::to_string(code);
        set_.add(ids_[Metric::kHttpRequests], {{"code", text}}, u(n));
      }
    }
    const uint64_t statsd_errors = statsd_ ? statsd_->errors() + statsd_->lines_too_long() : 0;
    set_.add(ids_[Metric::kErrors], {{"kind", "statsd"}}, u(statsd_errors_total_ + statsd_errors));
    set_.add(ids_[Metric::kErrors], {{"kind", "statsd_resolve"}},
             u(statsd_resolve_total_ + (statsd_ ? statsd_->resolve_failures() : 0)));
    set_.add(ids_[Metric::kErrors], {{"kind", "http"}}, u(http_errors));
    set_.add(ids_[Metric::kErrors], {{"kind", "jsonl"}},
             u(jsonl_errors_ + (jsonl_ ? jsonl_->errors() : 0)));
    set_.add(ids_[Metric::kErrors], {{"kind", "config"}}, u(config_errors_));
    set_.add(ids_[Metric::kErrors], {{"kind", "netns"}}, u(netns_errors_));
    if (statsd_ || statsd_sent_total_ + statsd_dropped_total_ > 0) {
      set_.add(ids_[Metric::kStatsdPackets], {{"result", "sent"}},
               u(statsd_sent_total_ + (statsd_ ? statsd_->packets_sent() : 0)));
      set_.add(ids_[Metric::kStatsdPackets], {{"result", "dropped"}},
               u(statsd_dropped_total_ + (statsd_ ? statsd_->packets_dropped() : 0)));
    }
    set_.add(ids_[Metric::kTicksSkipped], {}, u(ticks_skipped));
    set_.add(ids_[Metric::kNamespaces], {}, u(collectors_.size()));
    if (read_file("/proc/self/statm", statm_)) {
      unsigned long size = 0;
      unsigned long resident = 0;
      if (std::sscanf(statm_.c_str(), "%lu %lu", &size, &resident) == 2) {
        set_.add(ids_[Metric::kResidentMemory], {},
                 static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)));
      }
    }
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    set_.add(ids_[Metric::kCpuSeconds], {}, cpu);
  }

  const AgentFlags& flags_;
  AgentConfig cfg_;
  RunOptions opts_;
  model::MetricSet set_;
  model::MetricSet build_info_;  // tcpscope_build_info alone (Prometheus only)
  MetricIds ids_;
  UniqueFd origin_;
  UniqueFd sfd_;
  std::unique_ptr<MetricsEndpoint> http_;
  std::unique_ptr<StatsdSink> statsd_;
  std::unique_ptr<JsonlSink> jsonl_;
  std::vector<std::unique_ptr<NamespaceCollector>> collectors_;
  UniqueFd ep_;
  std::vector<int> watched_;         // close-event fds in the epoll set, sorted
  std::vector<StatsdTimer> timers_;  // this tick's, pointing into the collectors
  fmt::memory_buffer prom_;
  std::string statm_;
  uint64_t full_ticks_ = 0;
  int64_t emitted_ = 0;
  uint64_t config_errors_ = 0;
  uint64_t jsonl_errors_ = 0;
  uint64_t netns_errors_ = 0;
  uint64_t statsd_errors_total_ = 0;
  uint64_t statsd_sent_total_ = 0;
  uint64_t statsd_dropped_total_ = 0;
  uint64_t statsd_resolve_total_ = 0;
  std::optional<Error> fatal_;  // an output that can never work again: the loop ends
  RateLimited netns_log_;
  RateLimited collect_log_;
};

}  // namespace

void block_agent_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A statsd server or log reader that goes away must not kill the agent.
  ::signal(SIGPIPE, SIG_IGN);
}

int run_agent(const AgentFlags& flags, AgentConfig config, RunOptions options) {
  set_log_level(config.log_level);
  Agent agent(flags, std::move(config), options);
  if (auto st = agent.start(); !st) {
    std::fprintf(stderr, "tcpscope: error: %s\n", st.error().what().c_str());
    return 1;
  }
  return agent.run();
}

}  // namespace tcpscope::agent
