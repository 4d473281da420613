// SPDX-License-Identifier: MIT
#include "render/summary_netns.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>
#include <vector>

#include "render/json_writer.hpp"
#include "render/netns_report.hpp"

namespace tcpscope::render {

namespace {

using model::NetnsSummary;
using model::TcpState;

// The walk's columns: every state a walk reports but LISTEN and TIME-WAIT (read without one).
constexpr std::array<std::pair<std::string_view, TcpState>, 8> kWalkStates = {{
    {"ESTAB", TcpState::kEstablished},
    {"SYN-SENT", TcpState::kSynSent},
    {"SYN-RECV", TcpState::kSynRecv},
    {"FIN-WAIT-1", TcpState::kFinWait1},
    {"FIN-WAIT-2", TcpState::kFinWait2},
    {"CLOSE-WAIT", TcpState::kCloseWait},
    {"LAST-ACK", TcpState::kLastAck},
    {"CLOSING", TcpState::kClosing},
}};

uint64_t tcp_count(const NetnsSummary& r, TcpState st) {
  uint64_t n = r.tcp[static_cast<size_t>(st)].total();
  if (st == TcpState::kSynRecv) n += r.tcp[static_cast<size_t>(TcpState::kNewSynRecv)].total();
  return n;
}

uint64_t udp_in_use(const model::SockStat& s) { return s.udp_inuse + s.udp6_inuse; }
uint64_t tcp_in_use(const model::SockStat& s) { return s.tcp_inuse + s.tcp6_inuse; }

}  // namespace

void append_netns_summary_text(fmt::memory_buffer& b, const model::NetnsSummaryRun& run) {
  auto out = std::back_inserter(b);
  size_t walked_host = 0;
  size_t walked_own = 0;
  size_t on_host = 0;
  for (const auto& r : run.rows) {
    const bool host_hash = r.census.hash.walks_host_hash();
    on_host += host_hash ? 1 : 0;
    if (r.census.walked) ++(host_hash ? walked_host : walked_own);
  }
  fmt::format_to(out, "namespaces: {} ({} on the host's established hash", run.rows.size(),
                 on_host);
  if (run.shared) fmt::format_to(out, " of {} buckets", run.shared->buckets);
  fmt::format_to(out, ", {} with a hash of their own)\n", run.rows.size() - on_host);
  if (run.shared) {
    fmt::format_to(out,
                   "the host's hash holds {} TCP sockets (sockstat: allocated host-wide, and every "
                   "TIME-WAIT)\n",
                   run.shared->sockets);
  }
  fmt::format_to(out,
                 "census walks: {} of {} on the host's hash ({:.1f} ms of CPU, budget {:g}s), {} "
                 "with their own hash\n",
                 walked_host, on_host, run.walk_spent_s * 1e3, run.walk_budget_s, walked_own);
  fmt::format_to(out,
                 "read in every namespace, at the same cost whatever its hash: TCP (in use), TW, "
                 "ESTAB+CW (CurrEstab), LISTEN, UDP; from a walk (\"-\": not walked): the states "
                 "after WALK and ORPHANS\n\n");

  // Cells, then widths.
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head = {"NETNS",    "HASH",   "TCP", "TW",
                                   "ESTAB+CW", "LISTEN", "UDP", "WALK"};
  for (const auto& [name, st] : kWalkStates) head.emplace_back(name);
  head.emplace_back("ORPHANS");
  head.emplace_back("NAMES");
  cells.push_back(head);
  for (const auto& r : run.rows) {
    std::vector<std::string> c = {r.names.netns,
                                  std::string(model::hash_kind_name(r.census.hash.kind))};
    if (!r.error.empty()) {
      c.push_back("error: " + r.error);
      cells.push_back(std::move(c));
      continue;
    }
    c.push_back(std::to_string(tcp_in_use(r.sockstat)));
    c.push_back(std::to_string(r.sockstat.tcp_tw));
    c.push_back(r.curr_estab ? std::to_string(*r.curr_estab) : "-");
    c.push_back(std::to_string(r.listeners));
    c.push_back(std::to_string(udp_in_use(r.sockstat)));
    c.push_back(r.census.walked ? fmt::format("{:.1f}ms", r.census.walk_cpu_seconds * 1e3) : "-");
    for (const auto& [name, st] : kWalkStates) {
      c.push_back(r.census.walked ? std::to_string(tcp_count(r, st)) : "-");
    }
    c.push_back(r.census.walked ? std::to_string(r.orphans) : "-");
    c.push_back(model::names_beyond(r.names, r.names.netns));
    cells.push_back(std::move(c));
  }
  std::vector<size_t> width(head.size(), 0);
  for (const auto& row : cells) {
    for (size_t i = 0; i + 1 < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  }
  for (const auto& row : cells) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const bool last = i + 1 == row.size();
      const bool left = i < 2 || last;  // names left, numbers right
      const size_t w = last ? 0 : width[i];
      if (!left && row[i].size() < w) line.append(w - row[i].size(), ' ');
      line += row[i];
      if (left && !last && row[i].size() < w) line.append(w - row[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    fmt::format_to(out, "{}\n", line);
  }
}

void append_netns_summary_json(fmt::memory_buffer& b, const model::NetnsSummaryRun& run) {
  JsonWriter w(b, 2);
  w.begin_object(Layout::kBlock);
  w.key("namespaces").value(uint64_t{run.rows.size()});
  w.key("host_hash");
  if (run.shared) {
    w.begin_object(Layout::kInline);
    w.key("buckets").value(run.shared->buckets);
    w.key("sockets").value(run.shared->sockets);
    w.key("namespaces_sharing").value(run.shared->namespaces);
    w.key("namespaces_own").value(run.shared->own_hash);
    w.end_object();
  } else {
    w.null();
  }
  w.key("walks").begin_object(Layout::kInline);
  w.key("budget_seconds").fixed(run.walk_budget_s, 3);
  w.key("cpu_seconds").fixed(run.walk_spent_s, 4);
  w.key("host_hash_walks").value(run.walks);
  w.end_object();
  w.key("netns").begin_array(Layout::kBlock);
  for (const auto& r : run.rows) {
    w.begin_object(Layout::kInline);
    w.key("netns").string(r.names.netns);
    json_names(w, r.names);
    json_census(w, r.census);
    w.key("error").string_or_null(r.error);
    if (r.error.empty()) {
      // What every namespace gets, whatever its hash.
      w.key("o1").begin_object(Layout::kInline);
      w.key("tcp_in_use").value(tcp_in_use(r.sockstat));
      w.key("time_wait").value(r.sockstat.tcp_tw);
      w.key("curr_estab").optional(r.curr_estab);
      w.key("listeners").value(r.listeners);
      w.key("udp_in_use").value(udp_in_use(r.sockstat));
      w.end_object();
      w.key("walk");
      if (r.census.walked) {
        w.begin_object(Layout::kInline);
        w.key("tcp").begin_object(Layout::kInline);
        for (const auto& [name, st] : kWalkStates) {
          w.key(model::state_key(static_cast<uint8_t>(st))).value(tcp_count(r, st));
        }
        w.key("time-wait").value(tcp_count(r, TcpState::kTimeWait));
        w.end_object();
        w.key("udp").begin_object(Layout::kInline);
        w.key("unconn").value(r.udp[static_cast<size_t>(TcpState::kClose)].total());
        w.key("estab").value(r.udp[static_cast<size_t>(TcpState::kEstablished)].total());
        w.end_object();
        w.key("orphans").value(r.orphans);
        w.end_object();
      } else {
        w.null();
      }
    }
    w.end_object();
  }
  w.end_array();
  w.end_object();
  b.push_back('\n');
}

}  // namespace tcpscope::render
