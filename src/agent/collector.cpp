// SPDX-License-Identifier: MIT
#include "agent/collector.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "doctor/rules.hpp"
#include "doctor/snapshot_build.hpp"
#include "doctor/tally.hpp"
#include "source/census_dump.hpp"

namespace tcpscope::agent {

namespace {

using model::TcpState;

// The TCP states a full dump reports (CLOSE is not asked for; request sockets come as SYN-RECV).
constexpr TcpState kTcpStates[] = {TcpState::kEstablished, TcpState::kSynSent,  TcpState::kSynRecv,
                                   TcpState::kFinWait1,    TcpState::kFinWait2, TcpState::kTimeWait,
                                   TcpState::kCloseWait,   TcpState::kLastAck,  TcpState::kListen,
                                   TcpState::kClosing};

struct SysctlField {
  std::string_view name;
  std::optional<int64_t> procfs::Tunables::*field;
};
constexpr SysctlField kSysctls[] = {
    {"net.core.somaxconn", &procfs::Tunables::somaxconn},
    {"net.ipv4.tcp_max_syn_backlog", &procfs::Tunables::tcp_max_syn_backlog},
    {"net.ipv4.tcp_syncookies", &procfs::Tunables::tcp_syncookies},
    {"net.ipv4.tcp_max_tw_buckets", &procfs::Tunables::tcp_max_tw_buckets},
    {"net.ipv4.tcp_max_orphans", &procfs::Tunables::tcp_max_orphans},
    {"net.ipv4.tcp_fin_timeout", &procfs::Tunables::tcp_fin_timeout},
    {"net.ipv4.tcp_tw_reuse", &procfs::Tunables::tcp_tw_reuse},
    {"net.ipv4.tcp_synack_retries", &procfs::Tunables::tcp_synack_retries},
    {"net.ipv4.tcp_syn_retries", &procfs::Tunables::tcp_syn_retries},
    {"net.ipv4.tcp_abort_on_overflow", &procfs::Tunables::tcp_abort_on_overflow},
    {"net.ipv4.tcp_orphan_retries", &procfs::Tunables::tcp_orphan_retries},
    {"net.ipv4.tcp_retries2", &procfs::Tunables::tcp_retries2},
};

std::string_view error_kind_name(NsError e) {
  switch (e) {
    case NsError::kDump:
      return "dump";
    case NsError::kNetns:
      return "netns";
    case NsError::kCounters:
      return "counters";
    case NsError::kTunables:
      return "tunables";
    case NsError::kCloses:
      return "closes";
    case NsError::kCount:
      break;
  }
  return "?";
}

// "127.0.0.1:8080", "[::1]:8080", "*:22" for a dual-stack wildcard; a listener bound to a
// device names it before the port, as ss does: "0.0.0.0%eth0:8080", "*%eth1:22".
std::string listener_label(const model::ListenerInfo& l) {
  const bool dual = l.family == AF_INET6 && l.wildcard() && l.v6only == 0;
  std::string s = dual ? std::string("*") : doctor::format_endpoint(l.family, l.addr, -1);
  if (!dual && l.family == AF_INET6) s = fmt::format("[{}]", s);
  if (l.ifindex != 0) fmt::format_to(std::back_inserter(s), "%{}", l.interface());
  fmt::format_to(std::back_inserter(s), ":{}", l.port);
  return s;
}

// The tunables of a namespace are read again at least this often (and with each census walk).
constexpr int64_t kTunablesMaxAgeNs = 60'000'000'000;

// The close-event buffer warning, once per agent (collectors live on the main thread only).
bool g_buffer_warned = false;

uint64_t lookup(const std::vector<std::pair<uint64_t, uint64_t>>& sorted, uint64_t key,
                uint64_t fallback) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), std::make_pair(key, uint64_t{0}));
  return it != sorted.end() && it->first == key ? it->second : fallback;
}

}  // namespace

std::string_view tick_kind_name(TickKind k) { return k == TickKind::kFull ? "full" : "listener"; }

Result<std::unique_ptr<NamespaceCollector>> NamespaceCollector::open(model::NetnsNames names,
                                                                     std::string path,
                                                                     int origin_fd,
                                                                     int64_t now_ns) {
  const std::string file = path.empty() ? "/proc/self/ns/net" : path;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno("open network namespace " + file, errno));
  UniqueFd ns = UniqueFd::adopt(fd);
  struct stat st {};
  if (::fstat(ns.get(), &st) < 0) return fail(Error::from_errno("stat " + file, errno));
  const uint64_t identity = (static_cast<uint64_t>(st.st_dev) << 32) ^ st.st_ino;
  return std::unique_ptr<NamespaceCollector>(new NamespaceCollector(
      std::move(names), std::move(path), std::move(ns), identity, origin_fd, now_ns));
}

NamespaceCollector::NamespaceCollector(model::NetnsNames names, std::string path, UniqueFd ns,
                                       uint64_t identity, int origin_fd, int64_t now_ns)
    : names_(std::move(names)),
      labels_(ns_labels(names_)),
      path_(std::move(path)),
      ns_(std::move(ns)),
      identity_(identity),
      origin_fd_(origin_fd),
      since_ns_(now_ns) {}

void NamespaceCollector::set_names(model::NetnsNames names) {
  names_ = std::move(names);
  labels_ = ns_labels(names_);
}

template <typename F>
Status NamespaceCollector::inside(F&& f) {
  const bool elsewhere = !path_.empty();
  if (elsewhere && ::setns(ns_.get(), CLONE_NEWNET) < 0) {
    count_error(NsError::kNetns);
    return fail(Error::from_errno("enter network namespace " + path_, errno));
  }
  Status st = f();
  if (elsewhere && ::setns(origin_fd_, CLONE_NEWNET) < 0) {
    // Collecting on in the wrong namespace would label one namespace's numbers with another's
    // name: stop instead.
    log(LogLevel::kError, "cannot return to the agent's own network namespace; exiting");
    std::abort();
  }
  return st;
}

Status NamespaceCollector::collect(TickKind kind, bool census, const AgentConfig& cfg,
                                   int64_t now_ns) {
  const int64_t start = procfs::monotonic_ns();
  bool entered = false;
  walked_ = false;
  Status st = inside([&] {
    entered = true;
    return collect_inside(kind, census, cfg);
  });
  if (!entered) {
    healthy_ = false;
    return st;
  }
  if (walked_) census_ns_ = now_ns;
  const auto k = static_cast<size_t>(kind);
  duration_s_[k] = static_cast<double>(procfs::monotonic_ns() - start) / 1e9;
  ++collections_[k];
  healthy_ = st.has_value();
  return st;
}

void NamespaceCollector::start(const AgentConfig& cfg) {
  if (auto st = inside([&] {
        if (!hash_) {
          if (auto h = procfs::read_established_hash("/proc", buffer_)) hash_ = *h;
        }
        sync_closes(cfg);
        return Status{};
      });
      !st) {
    close_log_.log(LogLevel::kWarn, "closes " + label() + ": " + st.error().what());
  }
}

CensusCandidate NamespaceCollector::candidate() const {
  return CensusCandidate{walks_host_hash(), census_ns_, since_ns_, walk_cpu_s_};
}

void NamespaceCollector::sync_closes(const AgentConfig& cfg) {
  const CloseLimits limits{cfg.closes.max_ports,
                           cfg.statsd ? cfg.closes.statsd_rtt_max_per_interval : 0};
  if (!cfg.closes.enabled) {
    close_sub_.reset();
    close_src_.reset();
    closes_.reset();
    return;
  }
  if (!closes_) {
    closes_ = std::make_unique<CloseAccounting>(limits);
    closes_->set_listeners(latest_listeners_);
    closes_->set_recheck([this](model::ListenerSet& set) {
      // Through a netlink socket of the namespace: no setns. A failed dump keeps the set.
      if (close_src_ && source::dump_listeners(*close_src_, true, false, recheck_set_)) {
        std::swap(set, recheck_set_);
      }
    });
  } else {
    closes_->set_limits(limits);
  }
  if (close_sub_) return;
  source::SubscriptionOptions so;  // TCP, both families, this namespace
  so.receive_buffer = static_cast<int>(cfg.closes.receive_buffer);
  auto sub = source::DestroySubscription::open(so);
  if (!sub) {
    count_error(NsError::kCloses);
    close_log_.log(LogLevel::kWarn, "closes " + label() + ": " + sub.error().what());
    return;
  }
  source::SourceOptions src;
  src.kind = source::SourceKind::kNetlink;
  if (auto s = source::open_source(src)) {
    close_src_ = std::move(*s);
  } else {
    close_log_.log(LogLevel::kWarn,
                   "closes " + label() + ": listener rechecks: " + s.error().what());
  }
  close_sub_ = std::move(*sub);
  // The kernel grants twice what it was asked for; less means SO_RCVBUFFORCE was refused (no
  // CAP_NET_ADMIN) and net.core.rmem_max capped it. Said once: every namespace is alike.
  const int64_t granted = close_sub_->receive_buffer();
  if (granted < 2 * cfg.closes.receive_buffer && !g_buffer_warned) {
    g_buffer_warned = true;
    log(LogLevel::kWarn,
        fmt::format("closes {}: a receive buffer of {} bytes for the {} asked (without "
                    "CAP_NET_ADMIN net.core.rmem_max caps it); a burst of closes beyond it loses "
                    "events, counted in tcpscope_close_event_overflows_total",
                    label(), granted / 2, cfg.closes.receive_buffer));
  }
}

void NamespaceCollector::drain_closes() {
  if (!close_sub_ || !closes_) return;
  if (auto got = close_sub_->drain(*closes_); !got) {
    count_error(NsError::kCloses);
    close_log_.log(LogLevel::kWarn, "closes " + label() + ": " + got.error().what() +
                                        " (subscribing again at the next tick)");
    close_sub_.reset();
  }
}

void NamespaceCollector::close_timers(std::vector<StatsdTimer>& out) {
  if (closes_) closes_->statsd_timers(labels_, out);
}

void NamespaceCollector::start_close_interval() {
  if (closes_) closes_->start_interval();
}

Status NamespaceCollector::collect_inside(TickKind kind, bool census, const AgentConfig& cfg) {
  sync_closes(cfg);
  if (!hash_) {
    if (auto h = procfs::read_established_hash("/proc", buffer_)) hash_ = *h;
  }
  if (!src_) {
    source::SourceOptions so;  // netlink, falling back to /proc
    auto s = source::open_source(so);
    if (!s) {
      count_error(NsError::kDump);
      return fail(std::move(s.error()));
    }
    src_ = std::move(*s);
  }
  const bool snmp6 = !cfg.counters.empty();
  if (!sampler_ || sampler_snmp6_ != snmp6) {
    sampler_ = std::make_unique<procfs::CounterSampler>(
        "/proc", procfs::SamplerOptions{.snmp6 = snmp6, .deltas = false});
    sampler_snmp6_ = snmp6;
  }
  if (auto st = sampler_->sample(); !st) {
    count_error(NsError::kCounters);
    return st;
  }
  // The tunables change when someone changes them, and reading them costs a dozen files: read
  // at the first collection, with each census walk, and at least once a minute on full ticks;
  // the ticks between export the last reading.
  const int64_t now = procfs::monotonic_ns();
  if (!has_tunables_ ||
      (kind == TickKind::kFull && (census || now - tunables_ns_ >= kTunablesMaxAgeNs))) {
    if (auto t = procfs::read_tunables("/proc")) {
      tunables_ = *t;
      has_tunables_ = true;
      tunables_ns_ = now;
    } else {
      count_error(NsError::kTunables);
      return fail(std::move(t.error()));
    }
  }
  if (auto s = sockstat_reader_.read(buffer_)) {
    sockstat_ = *s;
  } else {
    sockstat_.reset();
  }
  if (auto st = read_listeners(kind, census, cfg); !st) {
    count_error(NsError::kDump);
    src_.reset();  // a fresh socket next time
    return st;
  }
  return {};
}

Status NamespaceCollector::read_listeners(TickKind kind, bool census, const AgentConfig& cfg) {
  model::DumpStats totals;
  // Fresh each tick: a device may have been renamed, or its index reused, since the last one.
  ifnames_ = source::NameCache{};
  if (kind != TickKind::kFull) {
    model::Census listeners(&ifnames_);
    if (auto st = source::take_census(*src_, listeners, totals, {true, false, false}); !st) {
      return st;
    }
    latest_listeners_ = listeners.listeners();
  } else {
    doctor::PressureTally tally = doctor::pressure_tally(tunables_);
    model::Census now(&ifnames_);
    if (census) {
      // Every state, the tally riding along; kept only when the whole walk worked.
      model::TeeVisitor tee(now, tally);
      const double cpu0 = procfs::thread_cpu_seconds();
      if (auto st = source::take_census(*src_, tee, totals); !st) return st;
      walk_cpu_s_ = procfs::thread_cpu_seconds() - cpu0;
      walked_ = true;
      has_census_ = true;
      sockets_seen_ = totals.messages;
      syn_recv_.clear();
      for (const auto& l : now.listeners()) syn_recv_.emplace_back(l.cookie, l.syn_recv());
      std::sort(syn_recv_.begin(), syn_recv_.end());
    } else if (auto st = source::take_census(*src_, now, totals, {true, false, false}); !st) {
      return st;
    }

    // The doctor's snapshot, over the window since the previous full tick; between walks with
    // the last walk's states and tallies.
    const auto& cur = sampler_->current();
    const model::CounterSnapshot& prev = has_doctor_baseline_ ? doctor_counters_ : cur;
    const double seconds = has_doctor_baseline_ && prev.taken_ns() > 0
                               ? static_cast<double>(cur.taken_ns() - prev.taken_ns()) / 1e9
                               : 0.0;
    doctor::Snapshot s = doctor::build_snapshot({.census = now,
                                                 .tally = tally,
                                                 .baseline = doctor_listeners_,
                                                 .previous = prev,
                                                 .current = cur,
                                                 .seconds = seconds,
                                                 .since_boot = false,
                                                 .tunables = tunables_,
                                                 .sockstat = sockstat_});
    if (walked_) {
      walk_ = s;
      census_ = std::move(now);
      doctor_listeners_ = census_.listeners();
    } else {
      if (has_census_) {
        doctor::carry_walk(s, walk_);
      } else {
        s.census_walked = false;
        s.not_walked =
            "not walked yet: this namespace shares the host's established hash and waits for its "
            "turn in the agent's census budget";
      }
      doctor_listeners_ = now.listeners();
    }
    run_doctor(s, cfg);
    doctor_counters_ = cur;
    has_doctor_baseline_ = true;
    latest_listeners_ = doctor_listeners_;
  }
  duplicates_ += totals.duplicates;
  restarts_ += totals.restarts;
  if (closes_) closes_->set_listeners(latest_listeners_);
  build_rows(kind);
  return {};
}

void NamespaceCollector::run_doctor(const doctor::Snapshot& s, const AgentConfig& cfg) {
  const doctor::Report report = doctor::diagnose(s, cfg.thresholds);
  findings_.clear();
  for (const doctor::CheckId id : doctor::check_ids()) {
    bool skipped = false;
    for (const auto& sk : report.skipped) skipped = skipped || sk.id == id;
    if (skipped) continue;
    int sev = 0;
    for (const auto& f : report.findings) {
      if (f.id == id) sev = std::max(sev, static_cast<int>(f.severity));
    }
    findings_.emplace_back(id, sev);
  }
}

void NamespaceCollector::build_rows(TickKind kind) {
  // Peaks: reset to this reading on a full tick, raised by listener ticks in between.
  peaks_next_.clear();  // the two vectors swap roles every tick, keeping their capacity
  for (const auto& l : latest_listeners_) {
    const uint64_t old = kind == TickKind::kFull ? 0 : lookup(peaks_, l.cookie, 0);
    peaks_next_.emplace_back(l.cookie, std::max<uint64_t>(old, l.accept_queue));
  }
  std::sort(peaks_next_.begin(), peaks_next_.end());
  peaks_.swap(peaks_next_);

  size_t n = 0;
  for (const auto& l : latest_listeners_) {
    if (rows_.size() <= n) rows_.emplace_back();
    ListenerRow& r = rows_[n++];
    r.label = listener_label(l);
    r.port = l.port;
    r.queue = l.accept_queue;
    r.limit = l.accept_queue_limit;
    r.peak = lookup(peaks_, l.cookie, l.accept_queue);
    r.syn_recv = lookup(syn_recv_, l.cookie, 0);
    r.has_drops = l.has_drops;
    r.drops = l.drops;
  }
  rows_.resize(n);
  // SO_REUSEPORT groups share an address and port: one series each, summed (a series may not
  // repeat its labels).
  std::sort(rows_.begin(), rows_.end(),
            [](const ListenerRow& a, const ListenerRow& b) { return a.label < b.label; });
  size_t out = 0;
  for (size_t i = 0; i < rows_.size(); ++i) {
    if (out > 0 && rows_[out - 1].label == rows_[i].label) {
      ListenerRow& m = rows_[out - 1];
      m.queue += rows_[i].queue;
      m.limit += rows_[i].limit;
      m.peak += rows_[i].peak;
      m.syn_recv += rows_[i].syn_recv;
      m.drops += rows_[i].drops;
      m.has_drops = m.has_drops || rows_[i].has_drops;
      continue;
    }
    if (out != i) std::swap(rows_[out], rows_[i]);
    ++out;
  }
  rows_.resize(out);
  // Largest queue first, then fill, then port: what --max-listeners keeps.
  std::sort(rows_.begin(), rows_.end(), [](const ListenerRow& a, const ListenerRow& b) {
    if (a.queue != b.queue) return a.queue > b.queue;
    const double fa = a.limit ? static_cast<double>(a.queue) / static_cast<double>(a.limit) : 0;
    const double fb = b.limit ? static_cast<double>(b.queue) / static_cast<double>(b.limit) : 0;
    if (fa != fb) return fa > fb;
    if (a.port != b.port) return a.port < b.port;
    return a.label < b.label;
  });
}

void NamespaceCollector::emit(const AgentConfig& cfg, const MetricIds& ids, int64_t now_ns,
                              model::MetricSet& out) {
  const NsLabels& ns = labels_;
  const uint64_t scope = identity_;
  auto u = [](uint64_t v) { return static_cast<double>(v); };

  // Self metrics come even when the namespace could not be read: that is when they matter.
  for (TickKind k : {TickKind::kFull, TickKind::kListener}) {
    const auto i = static_cast<size_t>(k);
    if (collections_[i] == 0) continue;
    const Labels kind(ns, {{"kind", tick_kind_name(k)}});
    out.add(ids[Metric::kCollectionDuration], kind, duration_s_[i], scope);
    out.add(ids[Metric::kCollections], kind, u(collections_[i]), scope);
  }
  for (size_t i = 0; i < errors_.size(); ++i) {
    out.add(ids[Metric::kErrors], Labels(ns, {{"kind", error_kind_name(static_cast<NsError>(i))}}),
            u(errors_[i]), scope);
  }
  const Labels plain(ns);
  out.add(ids[Metric::kDumpDuplicates], plain, u(duplicates_), scope);
  out.add(ids[Metric::kDumpRestarts], plain, u(restarts_), scope);
  // The census's age, walked or not: what the bound and its alert look at.
  const int64_t basis = census_ns_ >= 0 ? census_ns_ : since_ns_;
  out.add(ids[Metric::kCensusAge], plain,
          static_cast<double>(std::max<int64_t>(0, now_ns - basis)) / 1e9, scope);
  // Closed connections are counted from events, whatever became of the last collection.
  if (closes_ && cfg.closes.enabled) closes_->emit(ids, ns, scope, out);
  if (!healthy_) return;

  // What every tick reads, whatever the hash: sockstat, listeners, counters, tunables.
  if (sockstat_) {
    out.add(ids[Metric::kTcpInUse], plain, u(sockstat_->tcp_inuse + sockstat_->tcp6_inuse), scope);
    out.add(ids[Metric::kTcpTimeWait], plain, u(sockstat_->tcp_tw), scope);
  }
  out.add(ids[Metric::kListeners], plain, u(latest_listeners_.size()), scope);
  const size_t shown = std::min<size_t>(rows_.size(), cfg.max_listeners);
  out.add(ids[Metric::kListenersDropped], plain, u(rows_.size() - shown), scope);
  for (size_t i = 0; i < shown; ++i) {
    const ListenerRow& r = rows_[i];
    const Labels labels(ns, {{"listener", r.label}});
    out.add(ids[Metric::kAcceptQueue], labels, u(r.queue), scope);
    out.add(ids[Metric::kAcceptQueueLimit], labels, u(r.limit), scope);
    out.add(ids[Metric::kAcceptQueueFill], labels,
            r.limit ? u(r.queue) / u(r.limit) : (r.queue ? 1.0 : 0.0), scope);
    out.add(ids[Metric::kAcceptQueuePeak], labels, u(r.peak), scope);
    if (has_census_) out.add(ids[Metric::kListenerSynRecv], labels, u(r.syn_recv), scope);
    if (r.has_drops) out.add(ids[Metric::kListenerDrops], labels, u(r.drops), scope);
  }
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (sockstat_) {
    out.add(ids[Metric::kTcpMemory], plain, u(sockstat_->tcp_mem) * page, scope);
  }
  if (const auto& m = tunables_.tcp_mem) {
    static constexpr std::string_view kLevels[] = {"min", "pressure", "max"};
    for (size_t i = 0; i < 3; ++i) {
      out.add(ids[Metric::kTcpMemLimit], Labels(ns, {{"level", kLevels[i]}}),
              static_cast<double>((*m)[i]) * page, scope);
    }
  }
  for (const auto& f : kSysctls) {
    if (const auto& v = tunables_.*(f.field)) {
      out.add(ids[Metric::kSysctl], Labels(ns, {{"name", f.name}}), static_cast<double>(*v), scope);
    }
  }
  if (const auto& r = tunables_.ip_local_port_range) {
    out.add(ids[Metric::kSysctl], Labels(ns, {{"name", "net.ipv4.ip_local_port_range_first"}}),
            static_cast<double>((*r)[0]), scope);
    out.add(ids[Metric::kSysctl], Labels(ns, {{"name", "net.ipv4.ip_local_port_range_last"}}),
            static_cast<double>((*r)[1]), scope);
  }
  // Which hash a walk of this namespace visits (negative: the host's, shared).
  if (hash_ && hash_->entries != 0) {
    out.add(ids[Metric::kSysctl], Labels(ns, {{"name", "net.ipv4.tcp_ehash_entries"}}),
            static_cast<double>(hash_->entries), scope);
  }

  // Kernel counters: the default set and --counters patterns. Which of the snapshot's counters
  // are exported is worked out once per layout (a kernel's files keep theirs: the same size and
  // the same names at the exported places), not by a lookup of each of ~350 names per tick.
  if (families_of_ != &out || counter_patterns_ != cfg.counters) {
    counter_families_.clear();
    families_of_ = &out;
    counter_patterns_ = cfg.counters;
    counter_matcher_ = model::CounterPatterns(cfg.counters);
    counters_layout_size_ = SIZE_MAX;
  }
  const auto& snap = sampler_->current();
  bool layout_holds = snap.size() == counters_layout_size_;
  for (size_t k = 0; layout_holds && k < exported_counters_.size(); ++k) {
    const ExportedCounter& e = exported_counters_[k];
    layout_holds = snap.name(e.index) == *e.name;
  }
  if (!layout_holds) {
    exported_counters_.clear();
    counters_layout_size_ = snap.size();
    for (size_t i = 0; i < snap.size(); ++i) {
      const std::string_view name = snap.name(i);
      auto it = counter_families_.find(name);
      if (it == counter_families_.end()) {
        bool wanted = std::ranges::find(default_counters(), name) != default_counters().end();
        if (!wanted && !cfg.counters.empty()) {
          // As nstat: the values it hides (configuration constants) only when named exactly.
          wanted = counter_matcher_.matches(name) &&
                   (!model::nstat_hides(name) || counter_matcher_.names_exactly(name));
        }
        int64_t fam = -1;
        if (wanted) {
          const bool gauge = model::counter_is_gauge(name);
          const std::string help = "Kernel counter " + std::string(name) +
                                   " (/proc/net/snmp, netstat, snmp6)" +
                                   (gauge ? ", a level." : ".");
          fam = out.family(counter_metric_name(name, gauge), help,
                           gauge ? model::MetricType::kGauge : model::MetricType::kCounter);
        }
        it = counter_families_.emplace(std::string(name), fam).first;
      }
      if (it->second >= 0) {
        exported_counters_.push_back({i, static_cast<uint32_t>(it->second), &it->first});
      }
    }
  }
  for (const ExportedCounter& e : exported_counters_) {
    out.add(e.family, plain, u(snap.value(e.index)), scope);
  }

  for (const auto& [id, sev] : findings_) {
    out.add(ids[Metric::kDoctorFinding], Labels(ns, {{"check", doctor::check_key(id)}}), sev,
            scope);
  }

  // What only a walk of the established hash gives: the last one's.
  if (!has_census_) return;
  out.add(ids[Metric::kSocketsSeen], plain, u(sockets_seen_), scope);
  for (TcpState st : kTcpStates) {
    const auto i = static_cast<size_t>(st);
    uint64_t n = census_.tcp()[i].total();
    if (st == TcpState::kSynRecv) {
      n += census_.tcp()[static_cast<size_t>(TcpState::kNewSynRecv)].total();
    }
    if (st == TcpState::kListen) n = latest_listeners_.size();
    out.add(
        ids[Metric::kSockets],
        Labels(ns, {{"protocol", "tcp"}, {"state", model::state_key(static_cast<uint8_t>(st))}}),
        u(n), scope);
  }
  out.add(ids[Metric::kSockets], Labels(ns, {{"protocol", "udp"}, {"state", "unconn"}}),
          u(census_.udp()[static_cast<size_t>(TcpState::kClose)].total()), scope);
  out.add(ids[Metric::kSockets], Labels(ns, {{"protocol", "udp"}, {"state", "estab"}}),
          u(census_.udp()[static_cast<size_t>(TcpState::kEstablished)].total()), scope);
  out.add(ids[Metric::kOrphans], plain, u(census_.orphans()), scope);
}

}  // namespace tcpscope::agent
