// SPDX-License-Identifier: MIT
// `tcpscope watch` (and `sockets -E`): every socket the kernel frees, as it happens, from the
// sock_diag destroy multicast (source/destroy_events.hpp): text as `ss -E` prints it, JSON Lines
// or CSV with the final tcp_info, or a summary per interval (--summary).
//
// One subscription per namespace, opened inside it (a netlink socket stays bound to the
// namespace it was created in); with --netns all, every namespace of the host (bind mounts and
// the namespaces of processes: source/netns_finder.hpp), named as operators know it, and new
// ones within a second. Each namespace's listeners are dumped
// once a second (the listening hash only: cheap) to tell inbound closes from outbound ones.
// The filter is evaluated in user space: the kernel does not filter multicast.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.hpp"
#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "cli/commands.hpp"
#include "model/close_account.hpp"
#include "procfs/counter_sampler.hpp"
#include "render/socket_output.hpp"
#include "render/watch.hpp"
#include "source/destroy_events.hpp"
#include "source/filtering.hpp"
#include "source/name_cache.hpp"
#include "source/netns_finder.hpp"

namespace tcpscope::cli {

namespace {

volatile sig_atomic_t g_stop = 0;
extern "C" void on_watch_stop(int) { g_stop = 1; }

constexpr int64_t kListenerRefreshNs = 1'000'000'000;
constexpr int64_t kListenerRecheckNs = 10'000'000;
constexpr std::string_view kOwnLabel = "host";

int64_t realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::optional<uint64_t> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) < 0) return std::nullopt;
  return (static_cast<uint64_t>(st.st_dev) << 32) ^ st.st_ino;
}

// One namespace watched: its subscription, a netlink source for its listener dumps (created in
// it, so it dumps it), what it has seen.
struct Target {
  std::string label;        // "" = ours (single-namespace mode)
  model::NetnsNames names;  // --netns all: the label, container and pod
  uint64_t identity = 0;
  std::unique_ptr<source::DestroySubscription> sub;
  std::unique_ptr<source::SocketSource> src;
  model::ListenerSet listeners;
  model::CloseSummary summary{64};
  std::unique_ptr<render::SocketPrinter> printer;  // text output
  uint64_t lost_in_interval = 0;
  bool listeners_ok = false;
  int64_t listeners_at = 0;        // monotonic ns of the last listener dump
  int32_t nsid = source::kNoNsid;  // served by the host-wide subscription under this id
};

struct Stats {
  uint64_t events = 0;
  uint64_t tcp = 0;
  uint64_t udp = 0;
  uint64_t shown = 0;
  uint64_t filtered = 0;
  uint64_t overflows = 0;
};

class Watcher final : public source::DestroySink {
 public:
  Watcher(const WatchOptions& o, source::ActiveFilter& filter, source::NameCache& names)
      : o_(o), filter_(filter), names_(names) {}

  // --netns all, privileged: one subscription in our namespace that also hears every namespace
  // with an id (NETLINK_LISTEN_ALL_NSID). False when the kernel refuses it (no privilege).
  bool open_host_wide();
  Status add_target(model::NetnsNames names, const std::string& path, int origin);
  // Adds the namespaces of the host that are not watched yet.
  void discover(int origin);
  int run();
  void on_event(const source::DestroyEvent& e) override;
  void on_lost(int64_t time_ns) override;

 private:
  Status open_here(Target& t, bool subscribe);
  void refresh_listeners(Target& t);
  Target* route(int32_t nsid);
  bool flush();
  void print_summaries(int64_t now, double seconds);
  bool all_mode() const { return o_.all_namespaces; }

  const WatchOptions& o_;
  source::ActiveFilter& filter_;
  source::NameCache& names_;
  std::vector<std::unique_ptr<Target>> targets_;
  Target* current_ = nullptr;
  std::unique_ptr<source::DestroySubscription> host_wide_;
  bool routing_ = false;   // draining host_wide_: each event goes to its namespace's target
  uint64_t unrouted_ = 0;  // events of namespaces with an id but no name we know
  source::NamespaceFinder finder_{source::finder_options_from_env()};
  fmt::memory_buffer out_;
  Stats stats_;
  bool write_failed_ = false;
  bool csv_header_done_ = false;
};

source::SubscriptionOptions subscription_options(const WatchOptions& o) {
  source::SubscriptionOptions so;
  so.tcp = o.tcp;
  so.udp = o.udp;
  so.family = o.family;
  if (o.receive_buffer > 0) so.receive_buffer = o.receive_buffer;
  return so;
}

bool Watcher::open_host_wide() {
  source::SubscriptionOptions so = subscription_options(o_);
  so.all_namespaces = true;
  auto sub = source::DestroySubscription::open(so);
  if (!sub) return false;
  host_wide_ = std::move(*sub);
  return true;
}

Status Watcher::open_here(Target& t, bool subscribe) {
  if (subscribe) t.sub = TCPSCOPE_TRY(source::DestroySubscription::open(subscription_options(o_)));
  source::SourceOptions src;
  src.kind = source::SourceKind::kNetlink;
  t.src = TCPSCOPE_TRY(source::open_source(src));
  return {};
}

Status Watcher::add_target(model::NetnsNames names, const std::string& path, int origin) {
  auto t = std::make_unique<Target>();
  t->label = names.netns;
  t->names = std::move(names);
  if (path.empty()) {
    // Our own namespace: the host-wide subscription hears it too (its events carry no id).
    t->identity = identity_of("/proc/self/ns/net").value_or(0);
    TCPSCOPE_TRY(open_here(*t, host_wide_ == nullptr));
  } else {
    const auto id = identity_of(path);
    if (!id) return fail(Error::from_errno("network namespace " + path, errno));
    t->identity = *id;
    for (const auto& have : targets_) {
      if (have->identity == t->identity) return {};  // the same namespace under two names
    }
    // A namespace with an id in ours is heard by the host-wide subscription; one without gets
    // a subscription of its own, opened inside it.
    if (host_wide_) {
      UniqueFd fd = UniqueFd::adopt(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd) {
        if (auto nsid = source::netns_id_of(fd.get()); nsid && *nsid >= 0) t->nsid = *nsid;
      }
    }
    TCPSCOPE_TRY(in_netns(path, origin, [&] { return open_here(*t, t->nsid < 0); }));
  }
  if (o_.format == "table" && o_.summary_ns == 0) {
    render::SocketOutput out;
    out.format = render::SocketFormat::kTable;
    out.layout.show_netid = o_.tcp && o_.udp;
    out.layout.header = !o_.no_header;
    out.numeric = o_.numeric;
    out.details.numeric = o_.numeric;
    out.details.info = o_.info;
    out.details.extended = o_.extended;
    out.details.options = o_.extended;
    out.details.oneline = o_.oneline;
    t->printer = render::make_socket_printer(out, stdout, {&names_, nullptr, nullptr});
  }
  refresh_listeners(*t);
  targets_.push_back(std::move(t));
  return {};
}

void Watcher::refresh_listeners(Target& t) {
  if (!t.src) {
    t.listeners.clear();
    return;
  }
  const bool ok = source::dump_listeners(*t.src, o_.tcp, o_.udp, t.listeners);
  t.listeners_at = procfs::monotonic_ns();
  if (!ok && t.listeners_ok) {
    std::fprintf(stderr, "tcpscope: warning: %s: listener dump failed; directions may be wrong\n",
                 t.label.empty() ? "watch" : t.label.c_str());
  }
  t.listeners_ok = ok;
}

Target* Watcher::route(int32_t nsid) {
  // No id: our own namespace.
  for (const auto& t : targets_) {
    if (nsid < 0 ? t->sub == nullptr && t->nsid < 0 : t->nsid == nsid) return t.get();
  }
  return nullptr;
}

void Watcher::on_event(const source::DestroyEvent& e) {
  if (routing_) {
    current_ = route(e.nsid);
    if (current_ == nullptr) {
      // A namespace with an id that is not under /var/run/netns or docker's (or one that got
      // its id after it was given a subscription of its own, which hears it already).
      ++unrouted_;
      return;
    }
  }
  const model::SocketRecord& r = *e.rec;
  ++stats_.events;
  ++(r.protocol == IPPROTO_UDP ? stats_.udp : stats_.tcp);
  if (!filter_.matches(r)) {
    ++stats_.filtered;
    return;
  }
  ++stats_.shown;
  Target& t = *current_;
  model::Direction d = t.listeners.direction(r);
  // A listener newer than the last dump would make its connections look outbound: look again
  // (the listening hash only: cheap), at most every 10 ms.
  if (d == model::Direction::kOutbound) {
    const int64_t now = procfs::monotonic_ns();
    if (now - t.listeners_at >= kListenerRecheckNs) {
      refresh_listeners(t);
      d = t.listeners.direction(r);
    }
  }
  if (o_.summary_ns > 0) {
    // Connections only: a listener's own close is no connection closed.
    if (!t.listeners.is_listener(r.cookie)) t.summary.add(r, d);
    return;
  }
  if (o_.format == "json") {
    render::append_event_json(out_, r, e.time_ns, t.label, d, &names_,
                              all_mode() ? &t.names : nullptr);
  } else if (o_.format == "csv") {
    if (!csv_header_done_ && !o_.no_header) render::append_event_csv_header(out_);
    csv_header_done_ = true;
    render::append_event_csv(out_, r, e.time_ns, t.label, d, &names_);
  } else {
    t.printer->on_socket(r);
  }
}

void Watcher::on_lost(int64_t time_ns) {
  ++stats_.overflows;
  // The host-wide subscription's losses may be any namespace's it hears: reported under "all".
  std::string label = "all";
  if (routing_) {
    for (auto& t : targets_) t->lost_in_interval += t->sub ? 0 : 1;
  } else {
    ++current_->lost_in_interval;
    label = current_->label;
  }
  std::fprintf(stderr,
               "tcpscope: watch%s%s: the kernel dropped events (receive buffer full); %llu "
               "overflow%s so far\n",
               label.empty() ? "" : " ", label.c_str(),
               static_cast<unsigned long long>(stats_.overflows), stats_.overflows == 1 ? "" : "s");
  if (o_.format == "json" && o_.summary_ns == 0) {
    render::append_lost_json(out_, time_ns, label, stats_.overflows);
  }
}

bool Watcher::flush() {
  for (auto& t : targets_) {
    if (t->printer && !t->printer->finish()) write_failed_ = true;
  }
  if (out_.size() > 0) {
    if (std::fwrite(out_.data(), 1, out_.size(), stdout) != out_.size()) write_failed_ = true;
    out_.clear();
  }
  if (std::fflush(stdout) != 0) write_failed_ = true;
  return !write_failed_;
}

void Watcher::print_summaries(int64_t now, double seconds) {
  std::vector<model::CloseSummary::Row> rows;
  model::CloseAccount other;
  for (auto& t : targets_) {
    t->summary.top(o_.summary_top, rows, other);
    render::SummaryInterval s{now,  seconds, t->label,           all_mode() ? &t->names : nullptr,
                              rows, &other,  t->lost_in_interval};
    if (o_.format == "json") {
      render::append_summary_json(out_, s);
    } else {
      render::append_summary_text(out_, s);
      out_.push_back('\n');
    }
    t->summary.clear();
    t->lost_in_interval = 0;
  }
}

void Watcher::discover(int origin) {
  auto found = finder_.find();
  if (!found) {
    std::fprintf(stderr, "tcpscope: warning: finding network namespaces: %s\n",
                 found.error().what().c_str());
    return;
  }
  for (const source::NamespaceInfo& n : *found) {
    if (n.own) continue;  // watched from the start, as "host"
    bool have = false;
    for (const auto& t : targets_) have = have || t->identity == n.identity;
    if (have) continue;
    if (auto st = add_target(n.names(), n.path, origin); !st) {
      // A namespace held only by a process that has just exited is gone, not a problem.
      if (!n.netns.empty()) {
        std::fprintf(stderr, "tcpscope: warning: netns %s: %s\n", n.label().c_str(),
                     st.error().what().c_str());
      }
    }
  }
}

int Watcher::run() {
  const int64_t start = realtime_ns();
  int64_t next_listeners = procfs::monotonic_ns() + kListenerRefreshNs;
  int64_t interval_start = procfs::monotonic_ns();
  int64_t next_summary = o_.summary_ns > 0 ? interval_start + o_.summary_ns : INT64_MAX;
  UniqueFd origin = UniqueFd::adopt(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  flush();  // the header of an empty table, at once
  std::vector<pollfd> fds;
  while (g_stop == 0) {
    fds.clear();
    std::vector<Target*> owners;
    if (host_wide_) {
      fds.push_back({host_wide_->fd(), POLLIN, 0});
      owners.push_back(nullptr);
    }
    for (const auto& t : targets_) {
      if (!t->sub) continue;
      fds.push_back({t->sub->fd(), POLLIN, 0});
      owners.push_back(t.get());
    }
    const int64_t now = procfs::monotonic_ns();
    const int64_t wait_ns = std::max<int64_t>(0, std::min(next_listeners, next_summary) - now);
    const int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait_ns / 1'000'000) + 1);
    if (n < 0 && errno != EINTR) {
      return report(Error::from_errno("wait for destroy events", errno));
    }
    for (size_t i = 0; n > 0 && i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLERR)) == 0) continue;
      current_ = owners[i];
      routing_ = owners[i] == nullptr;
      auto got = routing_ ? host_wide_->drain(*this) : current_->sub->drain(*this);
      routing_ = false;
      if (!got) return report(got.error());
      if (o_.max_events > 0 && stats_.shown >= static_cast<uint64_t>(o_.max_events)) g_stop = 1;
    }
    if (!flush()) return report(Error(ErrorKind::kRuntime, "write to stdout failed"));
    const int64_t after = procfs::monotonic_ns();
    if (after >= next_listeners) {
      for (auto& t : targets_) refresh_listeners(*t);
      if (all_mode() && origin) discover(origin.get());
      next_listeners = after + kListenerRefreshNs;
    }
    if (after >= next_summary) {
      print_summaries(realtime_ns(), static_cast<double>(after - interval_start) / 1e9);
      flush();
      interval_start = after;
      next_summary = after + o_.summary_ns;
    }
  }
  if (o_.summary_ns > 0) {
    const int64_t end = procfs::monotonic_ns();
    if (end - interval_start > 1'000'000) {
      print_summaries(realtime_ns(), static_cast<double>(end - interval_start) / 1e9);
    }
  }
  flush();
  if (o_.stats) {
    std::fprintf(
        stderr,
        "tcpscope watch: %.1f s, %llu events (tcp %llu, udp %llu), %llu shown, %llu "
        "filtered out, %llu overflows (events lost)\n",
        static_cast<double>(realtime_ns() - start) / 1e9,
        static_cast<unsigned long long>(stats_.events), static_cast<unsigned long long>(stats_.tcp),
        static_cast<unsigned long long>(stats_.udp), static_cast<unsigned long long>(stats_.shown),
        static_cast<unsigned long long>(stats_.filtered),
        static_cast<unsigned long long>(stats_.overflows));
    if (all_mode()) {
      size_t by_id = 0;
      size_t own = 0;
      for (const auto& t : targets_) {
        by_id += t->nsid >= 0 ? 1 : 0;
        own += t->sub ? 1 : 0;
      }
      std::fprintf(stderr,
                   "tcpscope watch: %zu namespaces: %s%zu heard by id, %zu with a subscription of "
                   "their own; %llu events of namespaces with an id but no name\n",
                   targets_.size(), host_wide_ ? "one host-wide subscription, " : "", by_id, own,
                   static_cast<unsigned long long>(unrouted_));
    }
  }
  return write_failed_ ? 1 : 0;
}

}  // namespace

void add_watch_command(CLI::App& app, WatchOptions& o) {
  auto* sub = app.add_subcommand(
      "watch", "every socket the kernel frees, as it happens, with its final tcp_info");
  sub->add_flag("-t,--tcp", o.want_tcp, "TCP sockets");
  sub->add_flag("-u,--udp", o.want_udp, "UDP sockets");
  sub->add_flag("-4,--ipv4", o.v4, "IPv4 only");
  sub->add_flag("-6,--ipv6", o.v6, "IPv6 only");
  sub->add_flag("-n,--numeric", o.numeric, "numeric ports");
  sub->add_flag("-i,--info", o.info, "the final tcp_info (text)");
  sub->add_flag("-e,--extended", o.extended, "uid, inode, cookie (text)");
  sub->add_flag("-H,--no-header", o.no_header, "no header line");
  sub->add_flag("-O,--oneline", o.oneline, "one line per socket");
  sub->add_option("--format", o.format, "table, json (JSON Lines) or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  sub->add_flag("--json", o.json, "same as --format json");
  sub->add_option("--summary", o.summary,
                  "instead of each close: per listener and remote port, every DURATION");
  sub->add_option("--top", o.top, "--summary: ports shown per interval (default 20)");
  sub->add_flag("--stats", o.stats, "at exit: events seen, shown, filtered out, lost");
  sub->add_option("--count", o.count, "stop after N events shown");
  // Test and tuning knob: the subscription's receive buffer in bytes (default 32 MiB).
  sub->add_option("--receive-buffer", o.receive_buffer_text)->group("");
  sub->add_option("-F,--filter", o.filter_file, "read the filter expression from FILE");
  sub->footer(
      "FILTER: an ss expression, evaluated on each event (no state words: a freed socket "
      "is CLOSE). --netns all (before the command) watches every namespace.");
  o.extras = &app;
}

int run_watch(const GlobalOptions& global, WatchOptions& o) {
  if (o.json) o.format = "json";
  o.tcp = o.want_tcp || !o.want_udp;
  o.udp = o.want_udp || !o.want_tcp;
  if (o.v4 && o.v6) return report(Error::usage("-4 and -6 exclude each other"));
  o.family = o.v4 ? AF_INET : (o.v6 ? AF_INET6 : 0);
  o.all_namespaces = global.netns == "all";
  if (!o.summary.empty()) {
    auto ns = duration_flag("--summary", o.summary, 100'000'000);
    if (!ns) return report(ns.error());
    o.summary_ns = *ns;
  }
  if (o.top) {
    auto n = count_flag(*o.top);
    if (!n) return report(n.error());
    o.summary_top = static_cast<size_t>(*n);
  }
  if (o.count) {
    auto n = count_flag(*o.count);
    if (!n) return report(n.error());
    o.max_events = *n;
  }
  if (!o.receive_buffer_text.empty()) {
    auto n = parse_count(o.receive_buffer_text);
    if (!n || *n < 4096 || *n > (1LL << 30)) {
      return report(Error::usage("--receive-buffer: a number of bytes from 4096 to 1 GiB"));
    }
    o.receive_buffer = static_cast<int>(*n);
  }
  source::SourceOptions so;
  so.kind = source::SourceKind::kNetlink;
  source::NameCache names(source::NameCache::Options{so.proc_root, {}});
  if (o.extras != nullptr) {
    auto words = filter_words(o.extras);
    if (!words) return report(words.error());
    o.filter = std::move(*words);
  }
  auto filter = source::ActiveFilter::make(
      source::FilterArgs{&o.filter, o.filter_file, o.family, o.tcp, o.udp}, so,
      names.ephemeral_range());
  if (!filter) return report(filter.error());
  if (filter->states()) {
    return report(
        Error::usage("watch: state words do not apply (every freed socket reports CLOSE); use an "
                     "expression"));
  }

  struct sigaction sa {};
  sa.sa_handler = on_watch_stop;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::sigaction(sig, &sa, nullptr);

  Watcher w(o, *filter, names);
  if (o.all_namespaces) {
    UniqueFd origin = UniqueFd::adopt(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!origin) return report(Error::from_errno("open /proc/self/ns/net", errno));
    // Without the privilege (CAP_NET_BROADCAST), every namespace gets its own subscription.
    (void)w.open_host_wide();
    model::NetnsNames own;
    own.netns = own.description = std::string(kOwnLabel);
    if (auto st = w.add_target(own, "", origin.get()); !st) return report(st.error());
    w.discover(origin.get());
  } else {
    model::NetnsNames given;
    given.netns = given.description = global.netns;
    if (auto st = w.add_target(given, "", -1); !st) return report(st.error());
  }
  return w.run();
}

}  // namespace tcpscope::cli
