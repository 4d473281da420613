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
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "agent/census_plan.hpp"
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
#include "source/netns_finder.hpp"

namespace tcpscope::agent {

namespace {

constexpr std::string_view kOwnLabel = "host";
// The host's namespaces are found again on every full tick, and on listener ticks when the last
// scan is this old (a scan walks every process of /proc: about 7 us each).
constexpr int64_t kRescanNs = 10'000'000'000;

struct Target {
  model::NetnsNames names;
  std::string path;  // "" = the agent's own namespace
  uint64_t identity = 0;
  bool found = false;  // from --netns all: one that vanished is no error
};

std::optional<uint64_t> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.empty() ? "/proc/self/ns/net" : path.c_str(), &st) < 0) return std::nullopt;
  return (static_cast<uint64_t>(st.st_dev) << 32) ^ st.st_ino;
}

model::NetnsNames own_names() {
  model::NetnsNames n;
  n.netns = std::string(kOwnLabel);
  n.description = n.netns;
  return n;
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
      : flags_(flags),
        cfg_(std::move(cfg)),
        opts_(opts),
        ids_(set_),
        planner_(cfg_.census.cpu, cfg_.census.max_age_ns, cfg_.interval_ns, monotonic_ns()),
        finder_(source::finder_options_from_env()) {}

  Status start() {
    raise_open_file_limit();  // --netns all: a few files and sockets per namespace
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
    planner_.configure(cfg_.census.cpu, cfg_.census.max_age_ns, cfg_.interval_ns);
    bound_warned_ = false;
    set_log_level(cfg_.log_level);
    if (statsd_changed) open_statsd();
    if (auto st = open_jsonl(); !st) {  // reopened in any case: log rotation
      ++jsonl_errors_;
      log(LogLevel::kError, "reload: " + st.error().what());
    }
    log(LogLevel::kInfo, "reloaded: " + describe(cfg_));
    return rearm;
  }

  // The namespaces to follow now: the agent's own, each one named in the configuration, and
  // with `all` every one the finder sees (named by it; the others get their container and pod
  // names from it too, by identity).
  std::vector<Target> resolve_targets(int64_t now, bool full) {
    std::vector<Target> out;
    const auto& spec = cfg_.netns;
    if (spec.empty()) {
      out.push_back({own_names(), "", identity_of("").value_or(0), false});
      return out;
    }
    if (full || now - scanned_ns_ >= kRescanNs || scanned_ns_ == 0) {
      if (auto all = finder_.find()) {
        found_ = std::move(*all);
      } else {
        netns_log_.log(LogLevel::kWarn, "finding network namespaces: " + all.error().what());
      }
      scanned_ns_ = now;
    }
    auto names_of = [&](uint64_t identity, model::NetnsNames n) {
      for (const auto& f : found_) {
        if (f.identity != identity || f.own) continue;
        model::NetnsNames k = f.names();
        const std::string extras = model::names_beyond(k, n.netns);
        k.netns = std::move(n.netns);
        k.description = k.netns + (extras.empty() ? "" : " (" + extras + ")");
        return k;
      }
      n.description = n.netns;
      return n;
    };
    for (const auto& s : spec) {
      if (s == "all") {
        for (const auto& f : found_) {
          out.push_back({f.own ? own_names() : f.names(), f.own ? "" : f.path, f.identity, true});
        }
      } else if (s == kOwnLabel) {
        out.push_back({own_names(), "", identity_of("").value_or(0), false});
      } else {
        const std::string path = s.find('/') != std::string::npos ? s : "/var/run/netns/" + s;
        model::NetnsNames n;
        n.netns = s;
        const auto id = identity_of(path);
        if (!id) {
          // Gone (or not there yet): a namespace named explicitly is an error worth counting.
          ++netns_errors_;
          std::string why = "network namespace " + s;
          why.append(" (").append(path).append("): ").append(std::strerror(errno));
          netns_log_.log(LogLevel::kWarn, why);
          continue;
        }
        out.push_back({names_of(*id, std::move(n)), path, *id, false});
      }
    }
    // One collector per namespace: the first name given wins.
    std::vector<Target> unique;
    std::unordered_set<uint64_t> identities;
    std::unordered_set<std::string> labels;
    for (auto& t : out) {
      if (identities.contains(t.identity) || labels.contains(t.names.netns)) continue;
      identities.insert(t.identity);
      labels.insert(t.names.netns);
      unique.push_back(std::move(t));
    }
    std::sort(unique.begin(), unique.end(),
              [](const Target& a, const Target& b) { return a.names.netns < b.names.netns; });
    return unique;
  }

  void sync_namespaces(int64_t now, bool full) {
    const auto targets = resolve_targets(now, full);
    std::vector<std::unique_ptr<NamespaceCollector>> next;
    std::unordered_map<uint64_t, size_t> by_identity;
    for (size_t i = 0; i < collectors_.size(); ++i) by_identity[collectors_[i]->identity()] = i;
    for (const auto& t : targets) {
      const auto found = by_identity.find(t.identity);
      auto it = found == by_identity.end() || !collectors_[found->second]
                    ? collectors_.end()
                    : collectors_.begin() + static_cast<std::ptrdiff_t>(found->second);
      if (it != collectors_.end()) {
        if ((*it)->names().netns != t.names.netns ||
            (*it)->names().description != t.names.description) {
          log(LogLevel::kInfo,
              "network namespace " + (*it)->label() + " is now " + t.names.description);
          (*it)->set_names(t.names);
        }
        next.push_back(std::move(*it));
        continue;
      }
      auto c = NamespaceCollector::open(t.names, t.path, origin_.get(), now);
      if (!c || (*c)->identity() != t.identity) {
        // A namespace held only by a process that has exited since it was found is no error.
        if (!t.found) {
          ++netns_errors_;
          netns_log_.log(LogLevel::kWarn,
                         c ? "network namespace " + t.path + " was replaced" : c.error().what());
        }
        continue;
      }
      log(LogLevel::kInfo, "following network namespace " + t.names.description +
                               (t.path.empty() ? "" : " (" + t.path + ")"));
      (*c)->start(cfg_);  // its hash, and close events from now on
      next.push_back(std::move(*c));
    }
    for (const auto& c : collectors_) {
      if (c) log(LogLevel::kInfo, "no longer following network namespace " + c->label());
    }
    collectors_ = std::move(next);
  }

  // Said once (again after a reload): the bound forces walks the budget would not pay for, so
  // the census costs more than census.cpu and grows with the namespaces.
  void warn_if_bound_wins() {
    if (planner_.forced() == 0 || bound_warned_) return;
    bound_warned_ = true;
    size_t shared = 0;
    for (const auto& c : candidates_) shared += c.walks_host_hash ? 1 : 0;
    log(LogLevel::kWarn,
        fmt::format("census: {} namespaces walk the host's established hash, more than "
                    "census.cpu ({:g} of a core) can walk within census.max_age ({:g}s); walking "
                    "each once per max_age (more CPU). Give them a hash of their own "
                    "(net.ipv4.tcp_child_ehash_entries, docs/doctor.md#shared-socket-hash) or "
                    "raise census.cpu",
                    shared, cfg_.census.cpu, static_cast<double>(cfg_.census.max_age_ns) / 1e9));
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
    const int64_t now = monotonic_ns();
    sync_namespaces(now, kind == TickKind::kFull);
    // Closes so far go with the listeners of the previous reading (and a recheck).
    for (auto& c : collectors_) c->drain_closes();
    // Which namespaces walk every state this tick: the planner's choice, on full ticks only.
    census_.assign(collectors_.size(), false);
    if (kind == TickKind::kFull) {
      candidates_.clear();
      for (const auto& c : collectors_) candidates_.push_back(c->candidate());
      planner_.plan(now, candidates_, chosen_);
      for (const size_t i : chosen_) census_[i] = true;
      warn_if_bound_wins();
    }
    bool ok = !collectors_.empty();
    for (size_t i = 0; i < collectors_.size(); ++i) {
      auto& c = collectors_[i];
      if (auto st = c->collect(kind, census_[i], cfg_, now); !st) {
        ok = false;
        collect_log_.log(LogLevel::kWarn, "collect " + c->label() + ": " + st.error().what());
      }
      if (c->walked() && c->walks_host_hash()) planner_.spent(c->walk_cpu_s());
    }
    watch_close_fds();
    set_.clear();
    timers_.clear();
    const int64_t emitted_at = monotonic_ns();
    for (auto& c : collectors_) {
      c->drain_closes();
      c->emit(cfg_, ids_, emitted_at, set_);
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
    set_.add(ids_[Metric::kCensusMaxAge], {}, static_cast<double>(cfg_.census.max_age_ns) / 1e9);
    set_.add(ids_[Metric::kCensusCpu], {}, planner_.spent_total_s());
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
  CensusPlanner planner_;
  std::vector<CensusCandidate> candidates_;
  std::vector<size_t> chosen_;
  std::vector<bool> census_;  // per collector: walks this tick
  bool bound_warned_ = false;
  source::NamespaceFinder finder_;
  std::vector<source::NamespaceInfo> found_;  // the finder's last scan
  int64_t scanned_ns_ = 0;
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
