// SPDX-License-Identifier: MIT
// `tcpscope --netns all summary`: every network namespace of the host in one table. Each one is
// entered in turn and left again. Every namespace gets the reads that cost the same whatever its
// established hash (sockstat, snmp's CurrEstab, the listening hash); the walk of every other
// state goes to namespaces with a hash of their own, and to those on the host's hash within
// --walk-budget, the ones holding the most sockets first (source/walk_budget.hpp). The table
// says which numbers came from which.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "cli/commands.hpp"
#include "model/census.hpp"
#include "model/netns_summary.hpp"
#include "procfs/counter_sampler.hpp"
#include "procfs/host_state.hpp"
#include "render/summary_netns.hpp"
#include "source/census_dump.hpp"
#include "source/name_cache.hpp"
#include "source/netns_finder.hpp"
#include "source/walk_budget.hpp"

namespace tcpscope::cli {

namespace {

Result<std::unique_ptr<source::SocketSource>> netlink_source() {
  source::SourceOptions so;
  so.kind = source::SourceKind::kNetlink;
  return source::open_source(so);
}

// The reads that cost the same in every namespace: sockstat, CurrEstab, the listeners.
Status read_every(model::NetnsSummary& row) {
  auto h = procfs::read_host_state("/proc");
  if (!h) return fail(std::move(h.error()));
  row.sockstat = h->sockstat;
  row.curr_estab = h->curr_estab;
  auto src = netlink_source();
  if (!src) return fail(std::move(src.error()));
  source::NameCache names;
  model::Census listeners(&names);
  model::DumpStats totals;
  TCPSCOPE_TRY(source::take_census(**src, listeners, totals, {true, false, false}));
  row.listeners = listeners.listeners().size();
  return {};
}

// The walk: every TCP state but LISTEN, and UDP.
Status walk(model::NetnsSummary& row) {
  auto src = netlink_source();
  if (!src) return fail(std::move(src.error()));
  model::Census census;
  model::DumpStats totals;
  const double cpu0 = procfs::thread_cpu_seconds();
  TCPSCOPE_TRY(source::take_census(**src, census, totals, {false, true, true}));
  row.census.walk_cpu_seconds = procfs::thread_cpu_seconds() - cpu0;
  row.census.walked = true;
  row.tcp = census.tcp();
  row.udp = census.udp();
  row.orphans = census.orphans();
  return {};
}

}  // namespace

int run_summary_all(const GlobalOptions& global, const SummaryOptions& opts) {
  (void)global;
  auto words = filter_words(opts.extras);
  if (!words) return report(words.error());
  if (!words->empty() || !opts.filter_file.empty()) {
    return report(Error::usage("summary --netns all counts every socket: no filter"));
  }
  const SourceFlags& sf = opts.source;
  if ((sf.source != "auto" && sf.source != "netlink") || !sf.replay.empty() || !sf.record.empty() ||
      sf.proc_root != "/proc") {
    return report(Error::usage(
        "summary --netns all reads the live namespaces: no --source, --replay, --record or "
        "--proc-root"));
  }
  auto budget_s = walk_budget_flag(opts.walk_budget);
  if (!budget_s) return report(budget_s.error());
  auto found = source::find_and_probe();
  if (!found) return report(found.error());
  std::vector<source::NamespaceInfo>& all = *found;
  UniqueFd origin = UniqueFd::adopt(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!origin) return report(Error::from_errno("open /proc/self/ns/net", errno));

  model::NetnsSummaryRun run;
  run.walk_budget_s = *budget_s;
  std::vector<model::EstablishedHash> hashes;
  std::vector<uint64_t> sockets;
  for (const auto& n : all) {
    model::NetnsSummary row;
    row.names = n.names();
    row.census.hash = n.hash.value_or(model::EstablishedHash{});
    if (auto st = in_netns(n.path, origin.get(), [&] { return read_every(row); }); !st) {
      row.error = st.error().what();
    }
    hashes.push_back(row.census.hash);
    const auto& ss = row.sockstat;
    sockets.push_back(ss.tcp_inuse + ss.tcp6_inuse + ss.tcp_tw);
    run.rows.push_back(std::move(row));
  }
  source::WalkBudget budget(*budget_s);
  for (const size_t i : source::walk_order(hashes, sockets)) {
    model::NetnsSummary& row = run.rows[i];
    if (!row.error.empty()) continue;
    if (!budget.allow(hashes[i])) {
      row.census.not_walked = budget.why_not(hashes[i]);
      continue;
    }
    if (auto st = in_netns(all[i].path, origin.get(), [&] { return walk(row); }); !st) {
      row.census.walked = false;
      row.census.not_walked = "the walk failed: " + st.error().what();
      continue;
    }
    budget.spend(hashes[i], row.census.walk_cpu_seconds);
  }
  run.walk_spent_s = budget.spent_s();
  run.walks = budget.walks();
  if (all[0].hash && all[0].hash->kind == model::HashKind::kHost && run.rows[0].error.empty()) {
    run.shared = source::shared_hash_of(all, run.rows[0].sockstat.tcp_alloc);
  }
  fmt::memory_buffer b;
  if (opts.json) {
    render::append_netns_summary_json(b, run);
  } else {
    render::append_netns_summary_text(b, run);
  }
  return write_stdout(b);
}

}  // namespace tcpscope::cli
