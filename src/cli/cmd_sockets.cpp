// `tcpscope sockets`: the socket table, with ss's flags, as a table, JSON or CSV.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/filtering.hpp"
#include "cli/printers.hpp"
#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/details.hpp"
#include "render/table.hpp"
#include "source/host_resolver.hpp"
#include "source/name_cache.hpp"
#include "source/process_map.hpp"

namespace tcpscope::cli {

namespace {

using model::SocketRecord;

void append_text(fmt::memory_buffer& b, std::string_view s) {
  const size_t n = b.size();
  b.resize(n + s.size());
  std::memcpy(b.data() + n, s.data(), s.size());
}

void append_int(fmt::memory_buffer& b, int32_t v) {
  const fmt::format_int f(v);
  append_text(b, std::string_view(f.data(), f.size()));
}

class TablePrinter final : public Printer {
 public:
  TablePrinter(const SocketsOptions& o, render::TableLayout layout, model::NameLookup* names,
               const source::ProcessMap* procs)
      : table_(stdout, layout), names_(names), procs_(procs) {
    details_.numeric = o.numeric;
    details_.options = o.options || o.extended;
    details_.extended = o.extended;
    details_.memory = o.memory;
    details_.info = o.info;
    details_.oneline = o.oneline;
    details_.tos = o.tos;
    details_.cgroup = o.cgroup;
    details_.inet_sockopt = o.inet_sockopt;
    details_.names = names;
    numeric_ = o.numeric;
    resolve_ = o.resolve;
  }

  void on_socket(const SocketRecord& r) override {
    auto& t = table_.text();
    table_.begin_row();
    append_text(t, r.protocol == IPPROTO_UDP ? std::string_view("udp") : std::string_view("tcp"));
    table_.end_cell(render::kColNetid);
    append_text(t, model::ss_state_name(r.state));
    table_.end_cell(render::kColState);
    append_int(t, static_cast<int32_t>(r.rqueue));  // ss prints queues with %d
    table_.end_cell(render::kColRecvQ);
    append_int(t, static_cast<int32_t>(r.wqueue));
    table_.end_cell(render::kColSendQ);
    append_address(t, r, render::Side::kLocal);
    table_.end_cell(render::kColLocalAddr);
    render::append_port_token(t, r, render::Side::kLocal, numeric_, names_);
    table_.end_cell(render::kColLocalPort);
    append_address(t, r, render::Side::kPeer);
    table_.end_cell(render::kColPeerAddr);
    render::append_port_token(t, r, render::Side::kPeer, numeric_, names_);
    table_.end_cell(render::kColPeerPort);
    if (procs_ != nullptr && r.inode != 0) append_users(t, r.inode);
    render::append_details(t, r, details_);
    table_.end_details();
    table_.end_row();
  }
  bool finish() override { return table_.flush(); }

 private:
  // With -r, a host name replaces the address (ss prints "name:" without brackets).
  void append_address(fmt::memory_buffer& t, const SocketRecord& r, render::Side side) {
    if (resolve_) {
      std::string_view host =
          resolver_.name(r.family, side == render::Side::kLocal ? r.src : r.dst);
      if (!host.empty()) {
        t.append(host);
        t.push_back(':');
        return;
      }
    }
    render::append_address_token(t, r, side, names_);
  }

  void append_users(fmt::memory_buffer& t, uint32_t inode) {
    auto owners = procs_->owners(inode);
    if (owners.empty()) return;
    auto out = std::back_inserter(t);
    fmt::format_to(out, " users:(");
    bool first = true;
    for (const auto& o : owners) {
      fmt::format_to(out, "{}(\"{}\",pid={},fd={})", first ? "" : ",", procs_->name(o), o.pid,
                     o.fd);
      first = false;
    }
    t.push_back(')');
  }

  render::TableWriter table_;
  model::NameLookup* names_;
  const source::ProcessMap* procs_;
  render::DetailOptions details_;
  bool numeric_ = false;
  bool resolve_ = false;
  source::HostResolver resolver_;
};

}  // namespace

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
  add_source_flags(*sub, o.source);
  sub->add_option("-F,--filter", o.filter_file, "read the filter expression from FILE (- = stdin)");
  // The expression is taken from the leftover words as they are (main.cpp lets them through):
  // a CLI11 positional would read "[::1]" as a list and strip its brackets.
  sub->footer("FILTER: [state NAME | exclude NAME]... [EXPRESSION], in ss's syntax");
  o.extras = &app;
}

int run_sockets(const GlobalOptions& /*global*/, SocketsOptions& o) {
  if (o.json) o.format = "json";
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
  auto filter =
      ActiveFilter::make(FilterArgs{&o.filter, o.filter_file, only_family, want_tcp, want_udp}, *so,
                         names.ephemeral_range());
  if (!filter) return report(filter.error());

  model::StateMask mask = model::kMaskDefault;
  if (o.all || o.listening) {
    mask = o.last_state_flag == 'l' ? model::kMaskListening : model::kMaskAll;
  }
  if (filter->states()) mask = *filter->states();

  auto src = source::open_source(*so);
  if (!src) return report(src.error());

  std::optional<source::ProcessMap> procs;
  if (o.processes) {
    auto m = source::ProcessMap::scan(so->proc_root);
    if (!m) return report(m.error());
    procs = std::move(*m);
  }

  std::unique_ptr<Printer> printer;
  if (o.format == "table") {
    render::TableLayout layout;
    layout.show_netid = want_tcp && want_udp;
    layout.show_state = std::popcount(mask) != 1;
    layout.header = !o.no_header;
    layout.process_header = o.processes;
    printer = std::make_unique<TablePrinter>(o, layout, &names, procs ? &*procs : nullptr);
  } else if (o.format == "json") {
    printer = make_json_printer(o, &names, procs ? &*procs : nullptr);
  } else {
    printer = make_csv_printer(o, &names, procs ? &*procs : nullptr);
  }

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
