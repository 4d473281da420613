// SPDX-License-Identifier: MIT
// `tcpscope sockets`: the socket table, with ss's flags, as a table, JSON or CSV.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include "cli/commands.hpp"
#include "diag/dump.hpp"
#include "diag/filter.hpp"
#include "render/address.hpp"
#include "render/socket_output.hpp"
#include "source/filtering.hpp"
#include "source/host_resolver.hpp"
#include "source/killer.hpp"
#include "source/name_cache.hpp"
#include "source/process_map.hpp"

namespace tcpscope::cli {

namespace {

using model::Table;

// The tables a flag adds, in command-line order: ss's rules live in model::TableSelection.
void add_table_flag(CLI::App& sub, const std::string& names, const std::string& help,
                    SocketsOptions& o, Table t, bool* also = nullptr) {
  sub.add_flag_function(
         names,
         [&o, t, also](int64_t) {
           o.tables.add_table(t);
           if (also != nullptr) *also = true;
         },
         help)
      ->trigger_on_parse();
}

void add_family_flag(CLI::App& sub, const std::string& names, const std::string& help,
                     SocketsOptions& o, model::Family f, uint8_t af, bool* also = nullptr) {
  sub.add_flag_function(
         names,
         [&o, f, af, also](int64_t) {
           o.tables.add_family(f);
           o.preferred_family = af;
           if (also != nullptr) *also = true;
         },
         help)
      ->trigger_on_parse();
}

// Drops what a dump returned but the selection did not ask for: unix and packet dumps return
// every socket type, raw_diag and the packet dump ignore the state mask.
class Select final : public model::SocketVisitor {
 public:
  Select(const model::Selection& sel, model::SocketVisitor& next) : sel_(sel), next_(next) {}
  void on_socket(const model::SocketRecord& r) override {
    if (!sel_.has(model::table_of(r))) return;
    if (((sel_.states >> r.state) & 1u) == 0) return;
    next_.on_socket(r);
  }
  bool on_restart(const model::DumpRequest& req) override { return next_.on_restart(req); }

 private:
  const model::Selection& sel_;
  model::SocketVisitor& next_;
};

// -K: the matching sockets are collected during the dumps and destroyed after them (destroying
// during a dump would shift the kernel's resume point and skip sockets), then printed, as ss
// prints what it destroyed. A socket already gone (ENOENT) is neither printed nor a failure.
class KillRun final : public model::SocketVisitor {
 public:
  explicit KillRun(bool dry_run) : dry_run_(dry_run) {}
  void on_socket(const model::SocketRecord& r) override { found_.push_back(r); }

  // Returns the exit status: 1 if any socket could not be destroyed.
  int finish(model::SocketVisitor& printer) {
    if (dry_run_) {
      for (const auto& r : found_) printer.on_socket(r);
      return 0;
    }
    auto killer = source::SocketKiller::open();
    if (!killer) return report(killer.error());
    size_t failed = 0;
    fmt::memory_buffer who;
    for (size_t i = 0; i < found_.size(); ++i) {
      const model::SocketRecord& r = found_[i];
      auto st = killer->destroy(r);
      if (st) {
        printer.on_socket(r);
        continue;
      }
      // ENOENT for a socket the dump just showed: it closed meanwhile, nothing left to destroy.
      // A record read from /proc (raw sockets without raw_diag) gets ENOENT because the kernel
      // has no diag handler to destroy it with: that is a refusal.
      const bool from_proc = r.origin == model::Origin::kProc;
      if (st.error().err() == ENOENT && !from_proc) continue;
      ++failed;
      who.clear();
      render::append_socket_name(who, r);
      const std::string why = st.error().err() == ENOENT
                                  ? "the kernel has no diag handler to destroy it with"
                                  : std::strerror(st.error().err());
      std::fprintf(stderr, "tcpscope: cannot destroy %.*s: %s\n", static_cast<int>(who.size()),
                   who.data(), why.c_str());
      if (st.error().err() == EPERM) {  // every other socket would say the same
        failed += found_.size() - i - 1;
        break;
      }
    }
    if (failed > 0) {
      std::fprintf(stderr, "tcpscope: %zu socket%s not destroyed\n", failed,
                   failed == 1 ? " was" : "s were");
    }
    return failed > 0 ? 1 : 0;
  }

 private:
  bool dry_run_;
  std::vector<model::SocketRecord> found_;
};

// The dumps of a selection, in ss's order (packet, unix, raw, udp, tcp, dccp, sctp, vsock, tipc,
// xdp, mptcp), each through the filter and the Select check.
struct DumpPlan {
  DumpPlan(source::ActiveFilter& f, source::SocketSource& s, const model::Selection& se,
           model::SocketVisitor& out)
      : filter(f), src(s), sel(se), sink(out) {}
  source::ActiveFilter& filter;
  source::SocketSource& src;
  const model::Selection& sel;
  model::SocketVisitor& sink;
  bool plain_table = false;
  uint8_t ext = 0;
  uint32_t unix_show = 0;

  // 0, or the exit status of a failed dump (reported).
  int run() {
    Select select(sel, sink);
    const auto any = [&](model::TableMask m) { return (sel.tables & m) != 0; };
    const bool v4 = (sel.families & model::kFamInet) != 0;
    const bool v6 = (sel.families & model::kFamInet6) != 0;
    if (any(table_bit(Table::kNetlink)) && (sel.families & model::kFamNetlink) != 0) {
      missing("netlink", "tcpscope does not show netlink sockets");
    }
    if (any(model::kPacketTables) && (sel.families & model::kFamPacket) != 0 &&
        (sel.states & model::state_bit(model::TcpState::kClose)) != 0) {
      model::DumpRequest req;
      req.family = AF_PACKET;
      req.states = sel.states;  // packet_diag has no mask: for replays and the Select check
      req.show = model::kPacketShowInfo | model::kPacketShowMeminfo | model::kPacketShowFilter |
                 model::kPacketShowRingCfg | model::kPacketShowFanout;
      if (int st = one(req, select, "packet", "packet_diag"); st != 0) return st;
    }
    if (any(model::kUnixTables) && (sel.families & model::kFamUnix) != 0) {
      model::DumpRequest req;
      req.family = AF_UNIX;
      req.states = sel.states;
      req.show = unix_show;
      if (int st = one(req, select, "unix", "unix_diag"); st != 0) return st;
    }
    struct Inet {
      Table table;
      uint8_t protocol;
      bool mptcp;
      const char* name;
      const char* handler;
    };
    static constexpr Inet kInet[] = {
        {Table::kRaw, IPPROTO_RAW, false, "raw", "raw_diag"},
        {Table::kUdp, IPPROTO_UDP, false, "udp", "udp_diag"},
        {Table::kTcp, IPPROTO_TCP, false, "tcp", "tcp_diag"},
        {Table::kDccp, IPPROTO_DCCP, false, "dccp", "dccp_diag"},
        {Table::kSctp, IPPROTO_SCTP, false, "sctp", "sctp_diag"},
    };
    for (const Inet& t : kInet) {
      if (!sel.has(t.table)) continue;
      if (int st = inet(t.protocol, t.mptcp, v4, v6, select, t.name, t.handler); st != 0) {
        return st;
      }
    }
    if (any(table_bit(Table::kVsockStream) | table_bit(Table::kVsockDgram)) &&
        (sel.families & model::kFamVsock) != 0) {
      model::DumpRequest req;
      req.family = AF_VSOCK;
      req.states = sel.states;
      if (int st = one(req, select, "vsock", "vsock_diag"); st != 0) return st;
    }
    if (any(table_bit(Table::kTipc)) && (sel.families & model::kFamTipc) != 0) {
      missing("tipc", access("/sys/module/tipc", F_OK) == 0
                          ? "tcpscope does not show TIPC sockets (ss reads them over generic "
                            "netlink)"
                          : "this kernel has no TIPC (module tipc not loaded)");
    }
    if (any(table_bit(Table::kXdp)) && (sel.families & model::kFamXdp) != 0) {
      other_family(AF_XDP, "xdp", "xdp_diag");
    }
    if (sel.has(Table::kMptcp)) {
      if (int st = inet(IPPROTO_TCP, true, v4, v6, select, "mptcp", "mptcp_diag"); st != 0) {
        return st;
      }
    }
    return 0;
  }

 private:
  static void missing(const char* table, std::string_view why) {
    std::fprintf(stderr, "tcpscope: %s: %.*s\n", table, static_cast<int>(why.size()), why.data());
  }

  // One dump; a kernel without the family's diag handler answers ENOENT: said in one line.
  int one(model::DumpRequest& req, model::SocketVisitor& v, const char* table,
          const char* handler) {
    req.ext = ext;
    auto r = filter.dump(src, req, v);
    if (!r) {
      if (r.error().err() == ENOENT || r.error().err() == EOPNOTSUPP) {
        ++missing_count_;
        missing(table, std::string("this kernel has no ") + handler + " (module not loaded)");
        return 0;
      }
      return report(r.error());
    }
    if (r->interrupted) {
      std::fprintf(stderr, "tcpscope: warning: dump was interrupted and may be inconsistent\n");
    }
    return 0;
  }

  int inet(uint8_t protocol, bool mptcp, bool v4, bool v6, model::SocketVisitor& v,
           const char* table, const char* handler) {
    for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
      if (family == AF_INET ? !v4 : !v6) continue;
      model::DumpRequest req;
      req.family = family;
      req.protocol = protocol;
      req.mptcp = mptcp;
      // TCP sockets in CLOSE are never hashed, so bit 7 can only cost a walk of the whole
      // established hash (this is why `ss -tln` walks every socket): ask only for the rest.
      req.states = protocol == IPPROTO_TCP && !mptcp
                       ? sel.states & ~model::state_bit(model::TcpState::kClose)
                       : sel.states;
      if (req.states == 0) continue;
      req.level = plain_table && family == AF_INET && protocol != IPPROTO_RAW && !mptcp
                      ? model::DecodeLevel::kHeader
                      : model::DecodeLevel::kFull;
      // TCP and UDP records need no Select check: the kernel applied the mask.
      model::SocketVisitor& next = protocol == IPPROTO_TCP || protocol == IPPROTO_UDP ? sink : v;
      const int before_missing = missing_count_;
      if (int st = one(req, next, table, handler); st != 0) return st;
      if (missing_count_ != before_missing) break;  // said once for both families
    }
    return 0;
  }

  // xdp: asked for over sock_diag, so that a kernel without the handler says so; a
  // kernel with it gets an honest "not shown".
  void other_family(uint8_t family, const char* table, const char* handler) {
    model::DumpRequest req;
    req.family = family;
    req.states = sel.states;
    auto dumper = diag::DiagDumper::open();
    if (!dumper) {
      missing(table, dumper.error().what());
      return;
    }
    Count count;
    auto r = dumper->dump(req, count);
    if (!r && (r.error().err() == ENOENT || r.error().err() == EOPNOTSUPP)) {
      missing(table, std::string("this kernel has no ") + handler + " (module not loaded)");
    } else {
      missing(table, "tcpscope does not show these sockets yet");
    }
  }
  struct Count final : model::SocketVisitor {
    void on_socket(const model::SocketRecord&) override {}
  };
  int missing_count_ = 0;
};

}  // namespace

void add_sockets_command(CLI::App& app, SocketsOptions& o) {
  auto* sub = app.add_subcommand("sockets", "the socket table, with ss's flags");
  add_table_flag(*sub, "-t,--tcp", "TCP sockets", o, Table::kTcp, &o.tcp);
  add_table_flag(*sub, "-u,--udp", "UDP sockets", o, Table::kUdp, &o.udp);
  add_table_flag(*sub, "-w,--raw", "raw IP sockets", o, Table::kRaw);
  add_table_flag(*sub, "-M,--mptcp", "MPTCP sockets", o, Table::kMptcp);
  add_table_flag(*sub, "-S,--sctp", "SCTP sockets (needs the sctp module)", o, Table::kSctp);
  add_family_flag(*sub, "-4,--ipv4", "IPv4 only", o, model::kFamInet, AF_INET, &o.v4);
  add_family_flag(*sub, "-6,--ipv6", "IPv6 only", o, model::kFamInet6, AF_INET6, &o.v6);
  add_family_flag(*sub, "-x,--unix", "unix sockets (stream, dgram, seqpacket)", o, model::kFamUnix,
                  AF_UNIX);
  add_family_flag(*sub, "-0,--packet", "packet sockets", o, model::kFamPacket, AF_PACKET);
  add_family_flag(*sub, "--vsock", "vsock sockets (needs vsock_diag)", o, model::kFamVsock,
                  AF_VSOCK);
  add_family_flag(*sub, "--tipc", "TIPC sockets", o, model::kFamTipc, AF_TIPC);
  add_family_flag(*sub, "--xdp", "XDP sockets (needs xdp_diag)", o, model::kFamXdp, AF_XDP);
  sub->add_option_function<std::string>(
         "-f,--family",
         [&o](const std::string& name) {
           auto f = model::TableSelection::family_named(name);
           if (!f) {
             throw CLI::ValidationError(
                 "-f", "\"" + name +
                           "\" is not a family (inet, inet6, link, unix, netlink, vsock, tipc, "
                           "xdp)");
           }
           o.tables.add_family(*f);
           o.preferred_family = *f == model::kFamInet    ? AF_INET
                                : *f == model::kFamInet6 ? AF_INET6
                                : *f == model::kFamUnix  ? AF_UNIX
                                                         : 0;
           if (*f == model::kFamInet) o.v4 = true;
           if (*f == model::kFamInet6) o.v6 = true;
         },
         "family: inet, inet6, link, unix, netlink, vsock, tipc, xdp")
      ->trigger_on_parse();
  sub->add_option_function<std::string>(
         "-A,--query,--socket",
         [&o](const std::string& list) {
           if (auto bad = o.tables.add_query(list)) {
             throw CLI::ValidationError(
                 "-A", "\"" + std::string(*bad) +
                           "\" is not a socket table (all, inet, tcp, mptcp, udp, raw, unix, "
                           "unix_stream, unix_dgram, unix_seqpacket, packet, packet_raw, "
                           "packet_dgram, netlink, dccp, sctp, vsock, vsock_stream, vsock_dgram, "
                           "tipc, xdp; !NAME removes)");
           }
         },
         "tables, comma-separated: all inet tcp mptcp udp raw unix u_str u_dgr u_seq packet "
         "p_raw p_dgr netlink sctp vsock tipc xdp; !NAME removes")
      ->trigger_on_parse();
  sub->add_flag_function(
         "-l,--listening",
         [&o](int64_t) {
           o.listening = true;
           o.tables.set_listening();
         },
         "listening (and unconnected UDP) sockets")
      ->trigger_on_parse();
  sub->add_flag_function(
         "-a,--all",
         [&o](int64_t) {
           o.all = true;
           o.tables.set_all();
         },
         "sockets in every state")
      ->trigger_on_parse();
  sub->add_flag("-n,--numeric", o.numeric, "numeric ports");
  sub->add_flag("-r,--resolve", o.resolve, "resolve host names");
  sub->add_flag("-i,--info", o.info, "TCP internals (tcp_info), MPTCP info");
  sub->add_flag("-m,--memory", o.memory, "socket memory");
  sub->add_flag("-e,--extended", o.extended, "uid, inode, cookie, mark, cgroup, v6only");
  sub->add_flag("-o,--options", o.options, "timers");
  sub->add_flag("-p,--processes", o.processes, "processes holding each socket");
  sub->add_flag("-H,--no-header", o.no_header, "no header line");
  sub->add_flag("-O,--oneline", o.oneline, "one line per socket");
  sub->add_flag("--tos", o.tos, "TOS, traffic class and class id");
  sub->add_flag("--cgroup", o.cgroup, "cgroup path");
  sub->add_flag("--inet-sockopt", o.inet_sockopt, "inet socket options");
  sub->add_flag("-K,--kill", o.kill,
                "destroy the matching TCP, UDP, raw and MPTCP sockets (SOCK_DESTROY)");
  sub->add_flag("--dry-run", o.dry_run, "with -K: list what would be destroyed, destroy nothing");
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
    if ((o.tables.resolve(std::nullopt).tables &
         ~(table_bit(Table::kTcp) | table_bit(Table::kUdp))) != 0 ||
        o.kill) {
      return report(Error::usage(
          "-E follows TCP and UDP sockets only (the kernel's destroy events); -K does not apply"));
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
  auto so = o.source.resolve();
  if (!so) return report(so.error());
  source::NameCache names(source::NameCache::Options{so->proc_root, {}});

  auto words = filter_words(o.extras);
  if (!words) return report(words.error());
  o.filter = std::move(*words);
  // The tables before the state words are known: enough for what the parser needs.
  const model::Selection pre = o.tables.resolve(std::nullopt);
  const uint8_t only_family =
      (pre.families & (model::kFamInet | model::kFamInet6)) == model::kFamInet    ? AF_INET
      : (pre.families & (model::kFamInet | model::kFamInet6)) == model::kFamInet6 ? AF_INET6
                                                                                  : 0;
  source::FilterArgs fargs{&o.filter, o.filter_file, only_family, pre.has(Table::kTcp),
                           pre.has(Table::kUdp)};
  if (o.preferred_family == AF_UNIX) fargs.family = AF_UNIX;
  fargs.unix_ports = (pre.tables & model::kUnixTables) != 0;
  auto filter = source::ActiveFilter::make(fargs, *so, names.ephemeral_range());
  if (!filter) return report(filter.error());

  model::Selection sel = o.tables.resolve(filter->states());
  if (filter->uses_unix()) {
    // A unix name in the expression: ss then shows the unix tables only.
    sel.families = model::kFamUnix;
    sel.tables &= model::kUnixTables;
    if (sel.tables == 0) sel.tables = model::kUnixTables;
  }
  if (o.kill) {
    if (const model::TableMask other =
            sel.tables & ~(table_bit(Table::kTcp) | table_bit(Table::kUdp) |
                           table_bit(Table::kRaw) | table_bit(Table::kMptcp));
        other != 0) {
      return report(Error::usage(
          "-K destroys TCP, UDP, raw and MPTCP sockets only: leave out the other tables"));
    }
    sel.tables &= table_bit(Table::kTcp) | table_bit(Table::kUdp) | table_bit(Table::kRaw) |
                  table_bit(Table::kMptcp);
    if (!filter->has_expression() && !filter->states() && !o.all && !o.listening) {
      return report(Error::usage(
          "-K without a filter or a state would destroy every matching socket of the host: "
          "give a filter expression, a state, or -a/--all to mean it"));
    }
  } else if (o.dry_run) {
    return report(Error::usage("--dry-run goes with -K"));
  }

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
  out.layout.show_netid = sel.table_count() > 1;
  out.layout.show_state = std::popcount(sel.states) != 1;
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

  std::optional<KillRun> kill;
  if (o.kill) {
    if (!o.dry_run && !diag::has_cap_net_admin()) {
      printer->finish();
      return report(Error(ErrorKind::kPermission,
                          "-K needs CAP_NET_ADMIN (the kernel refuses SOCK_DESTROY without it); "
                          "nothing was destroyed",
                          EPERM));
    }
    kill.emplace(o.dry_run);
  }
  model::SocketVisitor& sink = kill ? static_cast<model::SocketVisitor&>(*kill) : *printer;

  DumpPlan plan{*filter, **src, sel, sink};
  // A plain table shows no attribute but IPv6's v6only (`*` versus `[::]`), so its IPv4 rows
  // skip the attribute walk; details, JSON and CSV decode everything.
  plan.plain_table = o.format == "table" && !o.info && !o.memory && !o.extended && !o.options &&
                     !o.tos && !o.cgroup && !o.inet_sockopt && !o.kill;
  if (o.info) plan.ext |= model::kExtInfo | model::kExtVegas | model::kExtCong;
  if (o.memory) plan.ext |= model::kExtMeminfo | model::kExtSkMeminfo;
  if (o.tos) plan.ext |= model::kExtTos | model::kExtTclass;
  plan.unix_show = model::kUnixShowName | model::kUnixShowPeer | model::kUnixShowRqlen;
  if (o.memory) plan.unix_show |= model::kUnixShowMeminfo;
  if (o.extended) plan.unix_show |= model::kUnixShowVfs | model::kUnixShowIcons;
  if (out.format != render::SocketFormat::kTable) plan.unix_show |= model::kUnixShowUid;
  int status = plan.run();

  if (kill) {
    status = std::max(status, kill->finish(*printer));
  }
  if (filter->unchecked_proc_records() > 0) {
    std::fprintf(stderr,
                 "tcpscope: warning: %llu sockets came from /proc, which has no marks, cgroups "
                 "or bound devices: those conditions could not be checked\n",
                 static_cast<unsigned long long>(filter->unchecked_proc_records()));
  }
  const bool written = printer->finish();
  return status != 0 ? status : written ? 0 : 1;
}

}  // namespace tcpscope::cli
