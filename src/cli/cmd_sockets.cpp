// SPDX-License-Identifier: MIT
// `tcpscope sockets`: the socket table, with ss's flags, as a table, JSON or CSV.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <bit>
#include <cstdio>
#include <map>
#include <optional>

#include "cli/commands.hpp"
#include "render/socket_output.hpp"
#include "source/filtering.hpp"
#include "source/host_resolver.hpp"
#include "source/name_cache.hpp"
#include "source/process_map.hpp"

namespace tcpscope::cli {

void add_sockets_command(CLI::App& app, SocketsOptions& o) {
  auto* sub = app.add_subcommand("sockets", "the socket table, with ss's flags");
  sub->add_flag("-t,--tcp", o.tcp, "TCP sockets");
  sub->add_flag("-u,--udp", o.udp, "UDP sockets");
  sub->add_flag("-4,--ipv4", o.v4, "IPv4 only");
  sub->add_flag("-6,--ipv6", o.v6, "IPv6 only");
  sub->add_flag("-l,--listening", o.listening, "listening (and unconnected UDP) sockets");
  sub->add_flag("-a,--all", o.all, "sockets in every state");
  sub->add_flag("-n,--numeric", o.numeric, "numeric ports");
  sub->add_flag("-r,--resolve", o.resolve, "resolve host names");
  sub->add_flag("-i,--info", o.info, "TCP internals (tcp_info)");
  sub->add_flag("-m,--memory", o.memory, "socket memory");
  sub->add_flag("-e,--extended", o.extended, "uid, inode, cookie, mark, cgroup, v6only");
  sub->add_flag("-o,--options", o.options, "timers");
  sub->add_flag("-p,--processes", o.processes, "processes holding each socket");
  sub->add_flag("-H,--no-header", o.no_header, "no header line");
  sub->add_flag("-O,--oneline", o.oneline, "one line per socket");
  sub->add_flag("--tos", o.tos, "TOS, traffic class and class id");
  sub->add_flag("--cgroup", o.cgroup, "cgroup path");
  sub->add_flag("--inet-sockopt", o.inet_sockopt, "inet socket options");
  sub->add_option("--format", o.format, "table, json or csv")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  sub->add_flag("--json", o.json, "same as --format json");
  sub->add_flag("-E,--events", o.events,
                "do not dump: print sockets as the kernel frees them (as `tcpscope watch`)");
  add_source_flags(*sub, o.source);
  sub->add_option("-F,--filter", o.filter_file, "read the filter expression from FILE (- = stdin)");
  // The expression is taken from the leftover words as they are (main.cpp lets them through):
  // a CLI11 positional would read "[::1]" as a list and strip its brackets.
  sub->footer("FILTER: [state NAME | exclude NAME]... [EXPRESSION], in ss's syntax");
  o.extras = &app;
}

int run_sockets(const GlobalOptions& global, SocketsOptions& o) {
  if (o.json) o.format = "json";
  if (o.events) {
    // ss -E: the same flags, the destroy events instead of a dump.
    if (o.listening || o.all || o.processes || o.memory || o.resolve || o.tos || o.cgroup ||
        o.inet_sockopt || !o.source.replay.empty() || !o.source.record.empty() ||
        o.source.source != "auto") {
      return report(Error::usage(
          "-E shows freed sockets as the kernel reports them: -l, -a, -p, -m, -r, --tos, "
          "--cgroup, --inet-sockopt and the source flags do not apply"));
    }
    WatchOptions w;
    w.want_tcp = o.tcp;
    w.want_udp = o.udp;
    w.v4 = o.v4;
    w.v6 = o.v6;
    w.numeric = o.numeric;
    w.info = o.info;
    w.extended = o.extended || o.options;
    w.no_header = o.no_header;
    w.oneline = o.oneline;
    w.format = o.format;
    w.filter_file = o.filter_file;
    w.extras = o.extras;
    return run_watch(global, w);
  }
  const bool want_tcp = o.tcp || !o.udp;
  const bool want_udp = o.udp || !o.tcp;
  const bool want_v4 = o.v4 || !o.v6;
  const bool want_v6 = o.v6 || !o.v4;

  auto so = o.source.resolve();
  if (!so) return report(so.error());
  source::NameCache names(source::NameCache::Options{so->proc_root, {}});

  auto words = filter_words(o.extras);
  if (!words) return report(words.error());
  o.filter = std::move(*words);
  const uint8_t only_family = want_v4 && !want_v6 ? AF_INET : want_v6 && !want_v4 ? AF_INET6 : 0;
  auto filter = source::ActiveFilter::make(
      source::FilterArgs{&o.filter, o.filter_file, only_family, want_tcp, want_udp}, *so,
      names.ephemeral_range());
  if (!filter) return report(filter.error());

  model::StateMask mask = model::kMaskDefault;
  if (o.all || o.listening) {
    mask = o.last_state_flag == 'l' ? model::kMaskListening : model::kMaskAll;
  }
  if (filter->states()) mask = *filter->states();

  auto src = source::open_source(*so);
  if (!src) return report(src.error());
  if (so->kind == source::SourceKind::kReplay) {
    // The recording host's interface names, or none: never this host's for its indexes.
    const auto* recorded = (*src)->recorded_host();
    names.use_recorded_ifnames(recorded != nullptr ? recorded->ifnames
                                                   : std::map<uint32_t, std::string>{});
  }

  std::optional<source::ProcessMap> procs;
  if (o.processes) {
    auto m = source::ProcessMap::scan(so->proc_root);
    if (!m) return report(m.error());
    procs = std::move(*m);
  }

  render::SocketOutput out;
  out.format = o.format == "json"  ? render::SocketFormat::kJson
               : o.format == "csv" ? render::SocketFormat::kCsv
                                   : render::SocketFormat::kTable;
  out.layout.show_netid = want_tcp && want_udp;
  out.layout.show_state = std::popcount(mask) != 1;
  out.layout.header = !o.no_header;
  out.layout.process_header = o.processes;
  out.header = !o.no_header;
  out.numeric = o.numeric;
  render::DetailOptions& d = out.details;
  d.numeric = o.numeric;
  d.options = o.options || o.extended;
  d.extended = o.extended;
  d.memory = o.memory;
  d.info = o.info;
  d.oneline = o.oneline;
  d.tos = o.tos;
  d.cgroup = o.cgroup;
  d.inet_sockopt = o.inet_sockopt;
  source::HostResolver resolver;
  auto printer = render::make_socket_printer(
      out, stdout, {&names, procs ? &*procs : nullptr, o.resolve ? &resolver : nullptr});

  model::DumpRequest req;
  req.states = mask;
  // A plain table shows no attribute but IPv6's v6only (`*` versus `[::]`), so its IPv4 rows
  // skip the attribute walk; details, JSON and CSV decode everything.
  const bool plain_table = o.format == "table" && !o.info && !o.memory && !o.extended &&
                           !o.options && !o.tos && !o.cgroup && !o.inet_sockopt;
  if (o.info) req.ext |= model::kExtInfo | model::kExtVegas | model::kExtCong;
  if (o.memory) req.ext |= model::kExtMeminfo | model::kExtSkMeminfo;
  if (o.tos) req.ext |= model::kExtTos | model::kExtTclass;
  // ss order: UDP before TCP, IPv4 before IPv6.
  for (uint8_t proto : {uint8_t{IPPROTO_UDP}, uint8_t{IPPROTO_TCP}}) {
    if (proto == IPPROTO_UDP ? !want_udp : !want_tcp) continue;
    for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
      if (family == AF_INET ? !want_v4 : !want_v6) continue;
      req.family = family;
      req.protocol = proto;
      // TCP sockets in CLOSE are never hashed, so bit 7 can only cost a walk of the whole
      // established hash (this is why `ss -tln` walks every socket): ask only for the rest.
      req.states = proto == IPPROTO_TCP ? mask & ~model::state_bit(model::TcpState::kClose) : mask;
      if (req.states == 0) continue;
      req.level = plain_table && family == AF_INET ? model::DecodeLevel::kHeader
                                                   : model::DecodeLevel::kFull;
      auto r = filter->dump(**src, req, *printer);
      if (!r) {
        printer->finish();
        return report(r.error());
      }
      if (r->interrupted) {
        std::fprintf(stderr, "tcpscope: warning: dump was interrupted and may be inconsistent\n");
      }
    }
  }
  if (filter->unchecked_proc_records() > 0) {
    std::fprintf(stderr,
                 "tcpscope: warning: %llu sockets came from /proc, which has no marks, cgroups "
                 "or bound devices: those conditions could not be checked\n",
                 static_cast<unsigned long long>(filter->unchecked_proc_records()));
  }
  return printer->finish() ? 0 : 1;
}

}  // namespace tcpscope::cli
