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

// The close-event buffer warning, once per agent (collectors live on the main thread only).
bool g_buffer_warned = false;

uint64_t lookup(const std::vector<std::pair<uint64_t, uint64_t>>& sorted, uint64_t key,
                uint64_t fallback) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), std::make_pair(key, uint64_t{0}));
  return it != sorted.end() && it->first == key ? it->second : fallback;
}

}  // namespace

std::string_view tick_kind_name(TickKind k) { return k == TickKind::kFull ? "full" : "listener"; }

Result<std::unique_ptr<NamespaceCollector>> NamespaceCollector::open(std::string label,
                                                                     std::string path,
                                                                     int origin_fd) {
  const std::string file = path.empty() ? "/proc/self/ns/net" : path;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno("open network namespace " + file, errno));
  UniqueFd ns = UniqueFd::adopt(fd);
  struct stat st {};
  if (::fstat(ns.get(), &st) < 0) return fail(Error::from_errno("stat " + file, errno));
  const uint64_t identity = (static_cast<uint64_t>(st.st_dev) << 32) ^ st.st_ino;
  return std::unique_ptr<NamespaceCollector>(new NamespaceCollector(
      std::move(label), std::move(path), std::move(ns), identity, origin_fd));
}

NamespaceCollector::NamespaceCollector(std::string label, std::string path, UniqueFd ns,
                                       uint64_t identity, int origin_fd)
    : label_(std::move(label)),
      path_(std::move(path)),
      ns_(std::move(ns)),
      identity_(identity),
      origin_fd_(origin_fd) {}

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

Status NamespaceCollector::collect(TickKind kind, const AgentConfig& cfg) {
  const int64_t start = procfs::monotonic_ns();
  bool entered = false;
  Status st = inside([&] {
    entered = true;
    return collect_inside(kind, cfg);
  });
  if (!entered) {
    healthy_ = false;
    return st;
  }
  const auto k = static_cast<size_t>(kind);
  duration_s_[k] = static_cast<double>(procfs::monotonic_ns() - start) / 1e9;
  ++collections_[k];
  healthy_ = st.has_value() && has_full_;
  return st;
}

void NamespaceCollector::open_closes(const AgentConfig& cfg) {
  if (auto st = inside([&] {
        sync_closes(cfg);
        return Status{};
      });
      !st) {
    close_log_.log(LogLevel::kWarn, "closes " + label_ + ": " + st.error().what());
  }
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
    close_log_.log(LogLevel::kWarn, "closes " + label_ + ": " + sub.error().what());
    return;
  }
  source::SourceOptions src;
  src.kind = source::SourceKind::kNetlink;
  if (auto s = source::open_source(src)) {
    close_src_ = std::move(*s);
  } else {
    close_log_.log(LogLevel::kWarn,
                   "closes " + label_ + ": listener rechecks: " + s.error().what());
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
                    label_, granted / 2, cfg.closes.receive_buffer));
  }
}

void NamespaceCollector::drain_closes() {
  if (!close_sub_ || !closes_) return;
  if (auto got = close_sub_->drain(*closes_); !got) {
    count_error(NsError::kCloses);
    close_log_.log(LogLevel::kWarn, "closes " + label_ + ": " + got.error().what() +
                                        " (subscribing again at the next tick)");
    close_sub_.reset();
  }
}

void NamespaceCollector::close_timers(std::vector<StatsdTimer>& out) {
  if (closes_) closes_->statsd_timers(label_, out);
}

void NamespaceCollector::start_close_interval() {
  if (closes_) closes_->start_interval();
}

Status NamespaceCollector::collect_inside(TickKind kind, const AgentConfig& cfg) {
  sync_closes(cfg);
  if (!src_) {
    source::SourceOptions so;  // netlink, falling back to /proc
    auto s = source::open_source(so);
    if (!s) {
      count_error(NsError::kDump);
      return fail(std::move(s.error()));
    }
    src_ = std::move(*s);
  }
  if (auto st = sampler_.sample(); !st) {
    count_error(NsError::kCounters);
    return st;
  }
  if (auto t = procfs::read_tunables("/proc")) {
    tunables_ = *t;
  } else {
    count_error(NsError::kTunables);
    return fail(std::move(t.error()));
  }
  if (auto s = procfs::read_sockstat("/proc", buffer_)) {
    sockstat_ = *s;
  } else {
    sockstat_.reset();
  }
  if (auto st = read_listeners(kind, cfg); !st) {
    count_error(NsError::kDump);
    src_.reset();  // a fresh socket next time
    return st;
  }
  return {};
}

Status NamespaceCollector::read_listeners(TickKind kind, const AgentConfig& cfg) {
  model::DumpStats totals;
  // Fresh each tick: a device may have been renamed, or its index reused, since the last one.
  names_ = source::NameCache{};
  if (kind == TickKind::kFull) {
    census_ = model::Census(&names_);
    doctor::PressureTally tally = doctor::pressure_tally(tunables_);
    model::TeeVisitor tee(census_, tally);
    if (auto st = source::take_census(*src_, tee, totals); !st) {
      has_full_ = false;
      return st;
    }
    has_full_ = true;
    sockets_seen_ = totals.messages;
    syn_recv_.clear();
    for (const auto& l : census_.listeners()) syn_recv_.emplace_back(l.cookie, l.syn_recv());
    std::sort(syn_recv_.begin(), syn_recv_.end());

    // The doctor's snapshot, over the window since the previous full tick.
    const auto& cur = sampler_.current();
    const model::CounterSnapshot& prev = has_doctor_baseline_ ? doctor_counters_ : cur;
    const double seconds = has_doctor_baseline_ && prev.taken_ns() > 0
                               ? static_cast<double>(cur.taken_ns() - prev.taken_ns()) / 1e9
                               : 0.0;
    const doctor::Snapshot s = doctor::build_snapshot({.census = census_,
                                                       .tally = tally,
                                                       .baseline = doctor_listeners_,
                                                       .previous = prev,
                                                       .current = cur,
                                                       .seconds = seconds,
                                                       .since_boot = false,
                                                       .tunables = tunables_,
                                                       .sockstat = sockstat_});
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
    doctor_counters_ = cur;
    doctor_listeners_ = census_.listeners();
    has_doctor_baseline_ = true;
    latest_listeners_ = census_.listeners();
  } else {
    model::Census listeners(&names_);
    if (auto st = source::take_census(*src_, listeners, totals, {true, false, false}); !st) {
      return st;
    }
    latest_listeners_ = listeners.listeners();
  }
  duplicates_ += totals.duplicates;
  restarts_ += totals.restarts;
  if (closes_) closes_->set_listeners(latest_listeners_);
  build_rows(kind);
  return {};
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

void NamespaceCollector::emit(const AgentConfig& cfg, const MetricIds& ids, model::MetricSet& out) {
  const std::string_view ns = label_;
  const uint64_t scope = identity_;
  auto u = [](uint64_t v) { return static_cast<double>(v); };

  // Self metrics come even when the namespace could not be read: that is when they matter.
  for (TickKind k : {TickKind::kFull, TickKind::kListener}) {
    const auto i = static_cast<size_t>(k);
    if (collections_[i] == 0) continue;
    out.add(ids[Metric::kCollectionDuration], {{"netns", ns}, {"kind", tick_kind_name(k)}},
            duration_s_[i], scope);
    out.add(ids[Metric::kCollections], {{"netns", ns}, {"kind", tick_kind_name(k)}},
            u(collections_[i]), scope);
  }
  for (size_t i = 0; i < errors_.size(); ++i) {
    out.add(ids[Metric::kErrors],
            {{"netns", ns}, {"kind", error_kind_name(static_cast<NsError>(i))}}, u(errors_[i]),
            scope);
  }
  out.add(ids[Metric::kDumpDuplicates], {{"netns", ns}}, u(duplicates_), scope);
  out.add(ids[Metric::kDumpRestarts], {{"netns", ns}}, u(restarts_), scope);
  // Closed connections are counted from events, whatever became of the last collection.
  if (closes_ && cfg.closes.enabled) closes_->emit(ids, ns, scope, out);
  if (!has_data()) return;
  out.add(ids[Metric::kSocketsSeen], {{"netns", ns}}, u(sockets_seen_), scope);

  // Sockets per state.
  for (TcpState st : kTcpStates) {
    const auto i = static_cast<size_t>(st);
    uint64_t n = census_.tcp()[i].total();
    if (st == TcpState::kSynRecv) {
      n += census_.tcp()[static_cast<size_t>(TcpState::kNewSynRecv)].total();
    }
    if (st == TcpState::kListen) n = latest_listeners_.size();
    out.add(
        ids[Metric::kSockets],
        {{"netns", ns}, {"protocol", "tcp"}, {"state", model::state_key(static_cast<uint8_t>(st))}},
        u(n), scope);
  }
  out.add(ids[Metric::kSockets], {{"netns", ns}, {"protocol", "udp"}, {"state", "unconn"}},
          u(census_.udp()[static_cast<size_t>(TcpState::kClose)].total()), scope);
  out.add(ids[Metric::kSockets], {{"netns", ns}, {"protocol", "udp"}, {"state", "estab"}},
          u(census_.udp()[static_cast<size_t>(TcpState::kEstablished)].total()), scope);

  // Listeners.
  out.add(ids[Metric::kListeners], {{"netns", ns}}, u(latest_listeners_.size()), scope);
  const size_t shown = std::min<size_t>(rows_.size(), cfg.max_listeners);
  out.add(ids[Metric::kListenersDropped], {{"netns", ns}}, u(rows_.size() - shown), scope);
  for (size_t i = 0; i < shown; ++i) {
    const ListenerRow& r = rows_[i];
    const model::MetricLabel labels[] = {{"netns", ns}, {"listener", r.label}};
    out.add(ids[Metric::kAcceptQueue], labels, u(r.queue), scope);
    out.add(ids[Metric::kAcceptQueueLimit], labels, u(r.limit), scope);
    out.add(ids[Metric::kAcceptQueueFill], labels,
            r.limit ? u(r.queue) / u(r.limit) : (r.queue ? 1.0 : 0.0), scope);
    out.add(ids[Metric::kAcceptQueuePeak], labels, u(r.peak), scope);
    out.add(ids[Metric::kListenerSynRecv], labels, u(r.syn_recv), scope);
    if (r.has_drops) out.add(ids[Metric::kListenerDrops], labels, u(r.drops), scope);
  }

  // Limits and levels.
  out.add(ids[Metric::kOrphans], {{"netns", ns}}, u(census_.orphans()), scope);
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (sockstat_) {
    out.add(ids[Metric::kTcpMemory], {{"netns", ns}}, u(sockstat_->tcp_mem) * page, scope);
  }
  if (const auto& m = tunables_.tcp_mem) {
    static constexpr std::string_view kLevels[] = {"min", "pressure", "max"};
    for (size_t i = 0; i < 3; ++i) {
      out.add(ids[Metric::kTcpMemLimit], {{"netns", ns}, {"level", kLevels[i]}},
              static_cast<double>((*m)[i]) * page, scope);
    }
  }
  for (const auto& f : kSysctls) {
    if (const auto& v = tunables_.*(f.field)) {
      out.add(ids[Metric::kSysctl], {{"netns", ns}, {"name", f.name}}, static_cast<double>(*v),
              scope);
    }
  }
  if (const auto& r = tunables_.ip_local_port_range) {
    out.add(ids[Metric::kSysctl], {{"netns", ns}, {"name", "net.ipv4.ip_local_port_range_first"}},
            static_cast<double>((*r)[0]), scope);
    out.add(ids[Metric::kSysctl], {{"netns", ns}, {"name", "net.ipv4.ip_local_port_range_last"}},
            static_cast<double>((*r)[1]), scope);
  }

  // Kernel counters: the default set and --counters patterns.
  if (families_of_ != &out || counter_patterns_ != cfg.counters) {
    counter_families_.clear();
    families_of_ = &out;
    counter_patterns_ = cfg.counters;
    counter_matcher_ = model::CounterPatterns(cfg.counters);
  }
  const auto& snap = sampler_.current();
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
                                 " (/proc/net/snmp, netstat, snmp6)" + (gauge ? ", a level." : ".");
        fam = out.family(counter_metric_name(name, gauge), help,
                         gauge ? model::MetricType::kGauge : model::MetricType::kCounter);
      }
      it = counter_families_.emplace(std::string(name), fam).first;
    }
    if (it->second >= 0) {
      out.add(static_cast<uint32_t>(it->second), {{"netns", ns}}, u(snap.value(i)), scope);
    }
  }

  for (const auto& [id, sev] : findings_) {
    out.add(ids[Metric::kDoctorFinding], {{"netns", ns}, {"check", doctor::check_key(id)}}, sev,
            scope);
  }
}

}  // namespace tcpscope::agent
