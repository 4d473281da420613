// SPDX-License-Identifier: MIT
// `tcpscope summary`: what `ss -s` shows, plus the census of the socket dump: every state by
// family, each listener's accept queue and SYN-RECV requests, TIME-WAIT against
// tcp_max_tw_buckets, orphans against tcp_max_orphans, TCP memory against tcp_mem.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <map>

#include "cli/commands.hpp"
#include "model/census.hpp"
#include "model/tables.hpp"
#include "procfs/host_state.hpp"
#include "render/summary.hpp"
#include "source/census_dump.hpp"
#include "source/filtering.hpp"
#include "source/name_cache.hpp"

namespace tcpscope::cli {

void add_summary_command(CLI::App& app, SummaryOptions& opts) {
  auto* sub = app.add_subcommand("summary", "socket census: states, listeners, limits (ss -s+)");
  sub->add_flag("--json", opts.json, "JSON output");
  add_source_flags(*sub, opts.source);
  sub->add_option("-F,--filter", opts.filter_file, "read the filter expression from FILE");
  sub->add_option("--walk-budget", opts.walk_budget,
                  "--netns all: CPU for walks of namespaces on the host's hash (1s; 0: none)");
  sub->footer("FILTER: count only matching sockets (ss filter syntax)");
  opts.extras = &app;  // the filter words, raw (see cmd_sockets.cpp)
}

namespace {

class TableCounter final : public model::SocketVisitor {
 public:
  explicit TableCounter(model::TableCensus& c) : c_(c) {}
  void on_socket(const model::SocketRecord& r) override { c_.add(r); }

 private:
  model::TableCensus& c_;
};

// Unix, packet, raw and MPTCP sockets in every state; a table whose diag handler the kernel
// lacks is left out of the count (and of the output).
void count_other_tables(source::ActiveFilter& filter, source::SocketSource& src,
                        model::TableCensus& out) {
  TableCounter counter(out);
  const auto run = [&](model::DumpRequest req, model::TableMask tables) {
    req.states = model::kMaskAll;
    req.level = model::DecodeLevel::kHeader;
    if (filter.dump(src, req, counter)) out.dumped |= tables;
  };
  model::DumpRequest unix_req;
  unix_req.family = AF_UNIX;
  unix_req.show = model::kUnixShowName | model::kUnixShowPeer;
  run(unix_req, model::kUnixTables);
  model::DumpRequest packet;
  packet.family = AF_PACKET;
  run(packet, model::kPacketTables);
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    model::DumpRequest raw;
    raw.family = family;
    raw.protocol = IPPROTO_RAW;
    run(raw, model::table_bit(model::Table::kRaw));
    model::DumpRequest mptcp;
    mptcp.family = family;
    mptcp.protocol = IPPROTO_TCP;
    mptcp.mptcp = true;
    run(mptcp, model::table_bit(model::Table::kMptcp));
  }
}

}  // namespace

int run_summary(const GlobalOptions& global, const SummaryOptions& opts) {
  if (global.netns == "all") return run_summary_all(global, opts);
  auto so = opts.source.resolve();
  if (!so) return report(so.error());
  const bool replay = so->kind == source::SourceKind::kReplay;
  // Read sockstat before our own netlink socket exists, so "sockets: used" does not count it.
  // A replay never shows this host's numbers: the record's, or unknown.
  Result<model::HostState> host = model::HostState{};
  if (!replay) host = procfs::read_host_state(so->proc_root);
  if (!host) return report(host.error());
  source::NameCache names(source::NameCache::Options{so->proc_root, {}});
  auto words = filter_words(opts.extras);
  if (!words) return report(words.error());
  auto filter = source::ActiveFilter::make(
      source::FilterArgs{&*words, opts.filter_file, 0, true, true}, *so, names.ephemeral_range());
  if (!filter) return report(filter.error());
  auto src = source::open_source(*so);
  if (!src) return report(src.error());
  if (replay) {
    const auto* recorded = (*src)->recorded_host();
    if (recorded != nullptr) {
      *host = recorded->host;
      host->origin = model::HostOrigin::kRecord;
    } else {
      host->origin = model::HostOrigin::kNotRecorded;
    }
    // Listener devices are named as on the recording host, or not at all: never this host's
    // names for the recorded indexes.
    names.use_recorded_ifnames(recorded != nullptr ? recorded->ifnames
                                                   : std::map<uint32_t, std::string>{});
  }
  model::Census census(&names);
  source::FilterRunner runner(*filter, **src);
  model::DumpStats totals;
  if (auto st = source::take_census(runner, census, totals); !st) return report(st.error());
  host->duplicates += totals.duplicates;
  census.sort_listeners();
  // The other tables, counted from their own dumps (a replay holds only TCP and UDP; a filter
  // expression is about TCP and UDP sockets).
  model::TableCensus others;
  const bool count_others = !replay && !filter->has_expression();
  if (count_others) count_other_tables(*filter, **src, others);
  const model::TableCensus* shown = count_others ? &others : nullptr;
  fmt::memory_buffer b;
  if (opts.json) {
    render::append_summary_json(b, census, *host, global.netns, (*src)->name(), shown);
  } else {
    render::append_summary_text(b, census, *host, shown);
  }
  return write_stdout(b);
}

}  // namespace tcpscope::cli
