// SPDX-License-Identifier: MIT
#include "top/collector.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "doctor/rules.hpp"
#include "doctor/snapshot_build.hpp"
#include "procfs/host_state.hpp"
#include "source/census_dump.hpp"
#include "source/process_map.hpp"

namespace tcpscope::top {

namespace {

using model::TcpState;

// Three visitors fed by one dump.
class Tee3 final : public model::SocketVisitor {
 public:
  Tee3(model::SocketVisitor& a, model::SocketVisitor& b, model::SocketVisitor& c)
      : a_(a), b_(b), c_(c) {}
  void on_socket(const model::SocketRecord& r) override {
    a_.on_socket(r);
    b_.on_socket(r);
    c_.on_socket(r);
  }
  bool on_restart(const model::DumpRequest& req) override {
    const bool ra = a_.on_restart(req);
    const bool rb = b_.on_restart(req);
    const bool rc = c_.on_restart(req);
    return ra && rb && rc;
  }

 private:
  model::SocketVisitor& a_;
  model::SocketVisitor& b_;
  model::SocketVisitor& c_;
};

int64_t wall_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Collector::Collector(CollectorOptions o)
    : o_(std::move(o)),
      names_(source::NameCache::Options{o_.source.proc_root, {}}),
      sampler_(o_.source.proc_root) {}

Collector::~Collector() {
  if (walker_.joinable()) {
    walker_.request_stop();
    walker_.join();
  }
}

Result<std::unique_ptr<Collector>> Collector::open(CollectorOptions o) {
  std::unique_ptr<Collector> c(new Collector(std::move(o)));
  c->replay_ = c->o_.source.kind == source::SourceKind::kReplay;
  c->start_ns_ = procfs::monotonic_ns();
  c->ephemeral_ = c->names_.ephemeral_range();
  auto src = source::open_source(c->o_.source);
  if (!src) return fail(std::move(src.error()));
  c->src_ = std::move(*src);
  if (c->replay_) {
    const auto* recorded = c->src_->recorded_host();
    c->names_.use_recorded_ifnames(recorded != nullptr ? recorded->ifnames
                                                       : std::map<uint32_t, std::string>{});
  }
  if (!c->o_.filter.empty() || !c->o_.filter_file.empty()) {
    source::FilterArgs args{&c->o_.filter, c->o_.filter_file, c->o_.family, true, false};
    auto f = source::ActiveFilter::make(args, c->o_.source, c->ephemeral_);
    if (!f) return fail(std::move(f.error()));
    std::string text;
    for (const auto& w : c->o_.filter) text += (text.empty() ? "" : " ") + w;
    if (!c->o_.filter_file.empty()) text += (text.empty() ? "-F " : " -F ") + c->o_.filter_file;
    c->filter_ = FilterChoice{std::move(text), std::move(*f)};
  } else if (c->o_.family != 0) {
    // -4 / -6 alone: an empty expression still narrows the dumps to one family.
    static const std::vector<std::string> kNone;
    source::FilterArgs args{&kNone, "", c->o_.family, true, false};
    auto f = source::ActiveFilter::make(args, c->o_.source, c->ephemeral_);
    if (!f) return fail(std::move(f.error()));
    c->filter_ = FilterChoice{"", std::move(*f)};
  }
  return c;
}

Result<FilterChoice> Collector::parse_filter(const std::string& text) const {
  if (text.find_first_not_of(" \t") == std::string::npos && o_.family == 0) {
    return FilterChoice{};
  }
  const std::vector<std::string> words{text};
  source::FilterArgs args{&words, "", o_.family, true, false};
  auto f = source::ActiveFilter::make(args, o_.source, ephemeral_);
  if (!f) return fail(std::move(f.error()));
  return FilterChoice{text, std::move(*f)};
}

double Collector::now_s() const {
  if (replay_) return static_cast<double>(refreshes_) * o_.replay_step_s;
  return static_cast<double>(procfs::monotonic_ns() - start_ns_) / 1e9;
}

Result<std::shared_ptr<const model::ProcessTable>> Collector::walk_processes() const {
  auto map = TCPSCOPE_TRY(source::ProcessMap::scan(o_.source.proc_root));
  auto table = std::make_shared<model::ProcessTable>();
  for (const model::SocketOwner& e : map.entries()) table->add(e.inode, e.pid, map.name(e));
  table->finish();
  return std::shared_ptr<const model::ProcessTable>(std::move(table));
}

Status Collector::read_processes(double now_s) {
  if (!o_.processes || replay_) return {};
  if (!walker_.joinable()) {
    // The first walk in line, so the first refresh names its processes; the next ones on a
    // thread of its own: a walk can cost more than a dump, and a refresh must not wait for it.
    processes_ = TCPSCOPE_TRY(walk_processes());
    walked_at_ = now_s;
    walker_ = std::jthread([this](const std::stop_token& stop) {
      for (;;) {
        {
          std::unique_lock lock(walked_mu_);
          if (!walk_cv_.wait(lock, stop, [this] { return walk_wanted_; })) return;
          walk_wanted_ = false;
        }
        auto t = walk_processes();
        std::lock_guard lock(walked_mu_);
        if (t) walked_ = std::move(*t);  // a failed walk keeps the last table
      }
    });
    return {};
  }
  std::lock_guard lock(walked_mu_);
  if (walked_) processes_ = std::move(walked_);
  return {};
}

void Collector::ask_for_walk(double now_s) {
  // Asked after a refresh is published, at most every process_interval_s: the walk then runs
  // between refreshes (its memory never adds to a refresh's), and a screen left alone with a
  // long interval stays idle.
  if (!walker_.joinable() || now_s - walked_at_ < o_.process_interval_s) return;
  walked_at_ = now_s;
  {
    std::lock_guard lock(walked_mu_);
    walk_wanted_ = true;
  }
  walk_cv_.notify_one();
}

Status Collector::dump_tables(model::TopSnapshot& s, model::Census& census,
                              doctor::PressureTally& tally, model::ConnTableBuilder& builder) {
  model::DumpStats totals;
  // Listeners: the listening hash only, with SKMEMINFO (their drop counters).
  TCPSCOPE_TRY(source::take_census(*src_, census, totals, {true, false, false}));
  const model::StateMask rest =
      model::kMaskAll & ~model::state_bit(TcpState::kListen) & ~model::state_bit(TcpState::kClose);
  const model::StateMask shown =
      rest & states_ &
      (filter_.filter && filter_.filter->states() ? *filter_.filter->states() : model::kMaskAll);
  const bool narrowed = filter_.filter.has_value() || shown != rest;
  if (narrowed) {
    // The census and the doctor need every socket, at header level (cheap) ...
    model::TeeVisitor tee(census, tally);
    TCPSCOPE_TRY(source::take_census(*src_, tee, totals, {false, true, false}));
  }
  for (const uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    if (o_.family != 0 && family != o_.family) continue;
    model::DumpRequest req;
    req.family = family;
    req.protocol = IPPROTO_TCP;
    req.ext = model::kExtInfo;
    req.level = model::DecodeLevel::kFull;
    builder.begin_dump();
    if (narrowed) {
      // ... and the connections only what the filter and the states let through.
      req.states = shown;
      if (shown == 0) continue;
      if (filter_.filter) {
        TCPSCOPE_TRY(filter_.filter->dump(*src_, req, builder));
      } else {
        TCPSCOPE_TRY(src_->dump(req, builder));
      }
    } else {
      req.states = rest;
      Tee3 tee(census, tally, builder);
      TCPSCOPE_TRY(src_->dump(req, tee));
    }
  }
  (void)s;
  return {};
}

Status Collector::collect(model::TopSnapshot& s) {
  const double now = now_s();
  s.taken_s = now;
  s.wall_ms = replay_ ? 0 : wall_ms_now();
  s.netns = o_.netns;
  s.netns_names = o_.netns_names;
  s.filter = filter_.text;
  s.states = states_;

  model::HostState host;
  if (replay_) {
    const auto* recorded = src_->recorded_host();
    if (recorded != nullptr) host = recorded->host;
  } else {
    host = TCPSCOPE_TRY(procfs::read_host_state(o_.source.proc_root));
    TCPSCOPE_TRY(sampler_.sample());
  }
  if (host.has_sockstat) s.sockstat = host.sockstat;
  s.tunables = host.tunables;
  TCPSCOPE_TRY(read_processes(now));
  s.processes = processes_;

  // Device names are looked up afresh each refresh (an index may be reused).
  if (!replay_) names_ = source::NameCache(source::NameCache::Options{o_.source.proc_root, {}});
  model::Census census(&names_);
  doctor::PressureTally tally = doctor::pressure_tally(s.tunables);
  model::ConnTableBuilder builder(last_good_ ? last_good_->conns : nullptr, processes_, now);
  TCPSCOPE_TRY(dump_tables(s, census, tally, builder));
  census.sort_listeners();
  s.conns = builder.finish();
  s.source = std::string(src_->name());
  s.tcp = census.tcp();
  s.orphans_in_netns = census.orphans();

  const model::TopSnapshot* prev = last_good_.get();
  s.seconds = prev != nullptr ? now - prev->taken_s : 0;
  if (prev != nullptr) {
    s.has_change = true;
    for (size_t i = 0; i < s.tcp.size(); ++i) {
      s.tcp_change[i] =
          static_cast<int64_t>(s.tcp[i].total()) - static_cast<int64_t>(prev->tcp[i].total());
    }
  }

  // Listeners, with their drops per second since the previous refresh (same socket cookie).
  for (const model::ListenerInfo& l : census.listeners()) {
    model::TopListener t;
    t.info = l;
    if (processes_) t.owner = processes_->find(l.inode);
    if (prev != nullptr && s.seconds > 0 && l.has_drops) {
      for (const model::TopListener& p : prev->listeners) {
        if (p.info.cookie == l.cookie && p.info.has_drops) {
          t.has_drop_rate = true;
          t.drops_per_second =
              l.drops >= p.info.drops ? static_cast<double>(l.drops - p.info.drops) / s.seconds : 0;
          break;
        }
      }
    }
    s.listeners.push_back(t);
  }

  // Counters: rates over the refresh, and their recent history.
  const model::CounterSnapshot& cur = sampler_.current();
  for (size_t i = 0; i < model::kTopCounterCount; ++i) {
    model::TopCounter& c = s.counters[i];
    if (prev != nullptr) c.history = prev->counters[i].history;
    if (replay_) continue;
    const auto now_v = cur.value_of(model::kTopCounters[i].name);
    c.present = now_v.has_value();
    if (!c.present || !sampler_.has_deltas()) continue;
    const auto before = sampler_.previous().value_of(model::kTopCounters[i].name);
    const double secs = static_cast<double>(cur.taken_ns() - sampler_.previous().taken_ns()) / 1e9;
    if (!before || secs <= 0) continue;
    c.delta = *now_v >= *before ? *now_v - *before : 0;
    c.rate = static_cast<double>(c.delta) / secs;
    c.has_rate = true;
    c.history.push_back(static_cast<float>(c.rate));
    if (c.history.size() > model::kTopHistory) c.history.erase(c.history.begin());
  }

  // The doctor, over the window since the previous refresh. A replay has levels but no
  // counters: the rules that need counters see none.
  if (prev != nullptr && (replay_ || has_doctor_counters_)) {
    static const model::CounterSnapshot kNoCounters;
    const model::CounterSnapshot& before = replay_ ? kNoCounters : doctor_counters_;
    const model::CounterSnapshot& now_counters = replay_ ? kNoCounters : cur;
    const double seconds =
        replay_ ? s.seconds
                : static_cast<double>(cur.taken_ns() - doctor_counters_.taken_ns()) / 1e9;
    std::vector<model::ListenerInfo> baseline;
    baseline.reserve(prev->listeners.size());
    for (const auto& l : prev->listeners) baseline.push_back(l.info);
    const doctor::Snapshot ds = doctor::build_snapshot({.census = census,
                                                        .tally = tally,
                                                        .baseline = baseline,
                                                        .previous = before,
                                                        .current = now_counters,
                                                        .seconds = seconds,
                                                        .since_boot = false,
                                                        .tunables = s.tunables,
                                                        .sockstat = s.sockstat});
    s.doctor = doctor::diagnose(ds, o_.thresholds);
    s.has_doctor = true;
  }
  if (!replay_) {
    doctor_counters_ = cur;
    has_doctor_counters_ = true;
  }
  return {};
}

std::shared_ptr<const model::TopSnapshot> Collector::refresh() {
  if (pending_filter_) {
    filter_ = std::move(*pending_filter_);
    pending_filter_.reset();
  }
  ++refreshes_;
  auto s = std::make_shared<model::TopSnapshot>();
  s->refresh = refreshes_;
  if (auto st = collect(*s); !st) {
    last_error_ = st.error();
    // A fresh socket next time: a netlink socket that failed mid-dump may hold a stale reply.
    if (!replay_) {
      auto src = source::open_source(o_.source);
      if (src) src_ = std::move(*src);
    }
    auto keep =
        std::make_shared<model::TopSnapshot>(last_good_ ? *last_good_ : model::TopSnapshot{});
    keep->status = st.error().what();
    keep->refresh = refreshes_;
    return keep;
  }
  last_error_.reset();
  last_good_ = s;
  ask_for_walk(s->taken_s);
  return s;
}

Runner::Runner(Collector& c, double interval_s) : c_(c), interval_s_(interval_s) {
  if (::pipe2(notify_, O_CLOEXEC | O_NONBLOCK) != 0) notify_[0] = notify_[1] = -1;
}

Runner::~Runner() {
  stop();
  for (int fd : notify_) {
    if (fd >= 0) ::close(fd);
  }
}

void Runner::start() {
  thread_ = std::thread([this] { loop(); });
}

void Runner::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const model::TopSnapshot> Runner::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

void Runner::drain() const {
  char buf[64];
  while (notify_[0] >= 0 && ::read(notify_[0], buf, sizeof buf) > 0) {
  }
}

void Runner::set_interval(double seconds) {
  {
    std::lock_guard lock(mu_);
    interval_s_ = seconds;
  }
  cv_.notify_all();
}

double Runner::interval() const {
  std::lock_guard lock(mu_);
  return interval_s_;
}

void Runner::set_paused(bool paused) {
  {
    std::lock_guard lock(mu_);
    paused_ = paused;
  }
  cv_.notify_all();
}

void Runner::set_filter(FilterChoice f) {
  {
    std::lock_guard lock(mu_);
    filter_ = std::move(f);
    wake_ = true;
  }
  cv_.notify_all();
}

void Runner::set_states(model::StateMask m) {
  {
    std::lock_guard lock(mu_);
    states_ = m;
    wake_ = true;
  }
  cv_.notify_all();
}

void Runner::refresh_now() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void Runner::loop() {
  // The next refresh is due an interval after the last one started; computed while waiting, so
  // a new interval applies at once (after the last start, or now if that has passed).
  std::optional<std::chrono::steady_clock::time_point> last_start;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stop_) return;
        if (wake_) break;
        const auto due =
            last_start
                ? *last_start + std::chrono::microseconds(static_cast<int64_t>(interval_s_ * 1e6))
                : std::chrono::steady_clock::now();
        if (!paused_ && std::chrono::steady_clock::now() >= due) break;
        if (paused_) {
          cv_.wait(lock);
        } else {
          cv_.wait_until(lock, due);
        }
      }
      wake_ = false;
      if (filter_) {
        c_.set_filter(std::move(*filter_));
        filter_.reset();
      }
      if (states_) {
        c_.set_states(*states_);
        states_.reset();
      }
    }
    last_start = std::chrono::steady_clock::now();
    busy_ = true;
    auto snap = c_.refresh();
    busy_ = false;
    {
      std::lock_guard lock(mu_);
      latest_ = std::move(snap);
    }
    ++generation_;
    if (notify_[1] >= 0) {
      const char one = 1;
      (void)!::write(notify_[1], &one, 1);
    }
  }
}

}  // namespace tcpscope::top
