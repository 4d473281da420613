// SPDX-License-Identifier: MIT
// Micro-benchmarks (Google Benchmark): decode and render throughput on recorded kernel messages.
//
// Input: the recorded dumps in tests/fixtures/nl (real 6.18 replies, see its README), whose
// socket messages are repeated into a large buffer so one iteration handles kCopies messages
// the way a 200k-socket dump would (a contiguous run of messages, fresh cache lines). These
// isolate the user-space per-socket cost that bench/run measures end to end:
//   BM_Decode/header   counting path (`summary`): inet_diag_msg only, no attribute walk
//   BM_Decode/full     `sockets -tani...`: every attribute, tcp_info copied
//   BM_RenderTable/*   one ss-layout row per record (the row code of cli/cmd_sockets.cpp,
//                      repeated here because cli/ is not a library) into /dev/null
//   BM_RenderJson      one JSON object per record
//   BM_AgentCloseAccounting/*  the agent's per-event path for a closed connection
//                      (agent::CloseAccounting::on_event: listener check by cookie, direction,
//                      the port's counters, byte and RTT histograms, the statsd RTT reservoir
//                      past its limit) on pre-decoded records with tcp_info
//   BM_AgentCloseDecodeAndAccount  the same from the raw destroy datagrams of the fuzz corpus
//                      (decode included, recvmmsg not)
// Run: build/release/tests/bench/micro_bench [--benchmark_filter=Decode]
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fmt/format.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "agent/closes.hpp"
#include "base/file.hpp"
#include "diag/decode.hpp"
#include "model/census.hpp"
#include "model/socket_record.hpp"
#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/details.hpp"
#include "render/json.hpp"
#include "render/table.hpp"
#include "source/destroy_events.hpp"
#include "source/record_file.hpp"

namespace {

using namespace tcpscope;

constexpr size_t kCopies = 8192;  // messages per iteration

struct Corpus {
  std::vector<std::byte> bytes;  // socket messages back to back (4-byte aligned)
  std::vector<uint32_t> offsets;
  std::vector<uint8_t> protocols;
  size_t size_bytes = 0;
};

// Loads the socket messages (TCP only, so every row is comparable to the macro benchmark) of a
// recorded file and repeats them until there are kCopies of them.
const Corpus& corpus(const char* name) {
  static std::vector<std::pair<std::string, Corpus>> cache;
  for (auto& [n, c] : cache)
    if (n == name) return c;
  std::string file;
  std::string path = std::string(TCPSCOPE_FIXTURES) + "/nl/" + name;
  if (auto st = read_file(path.c_str(), file); !st) {
    fprintf(stderr, "micro_bench: %s: %s\n", path.c_str(), st.error().what().c_str());
    std::abort();
  }
  auto split = source::split_record_file(
      std::span(reinterpret_cast<const std::byte*>(file.data()), file.size()));
  if (!split) {
    fprintf(stderr, "micro_bench: %s: %s\n", path.c_str(), split.error().what().c_str());
    std::abort();
  }
  std::vector<std::vector<std::byte>> msgs;
  for (const auto& d : *split) {
    if (d.protocol != IPPROTO_TCP && d.protocol != 0) continue;
    size_t left = d.bytes.size();
    const std::byte* p = d.bytes.data();
    while (left >= sizeof(nlmsghdr)) {
      nlmsghdr h;
      std::memcpy(&h, p, sizeof h);
      if (h.nlmsg_len < sizeof h || h.nlmsg_len > left) break;
      if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) msgs.emplace_back(p, p + h.nlmsg_len);
      size_t step = NLMSG_ALIGN(h.nlmsg_len);
      if (step >= left) break;
      p += step;
      left -= step;
    }
  }
  if (msgs.empty()) {
    fprintf(stderr, "micro_bench: %s has no TCP socket messages\n", path.c_str());
    std::abort();
  }
  Corpus c;
  for (size_t i = 0; i < kCopies; ++i) {
    const auto& m = msgs[i % msgs.size()];
    c.offsets.push_back(static_cast<uint32_t>(c.bytes.size()));
    c.protocols.push_back(IPPROTO_TCP);
    c.bytes.insert(c.bytes.end(), m.begin(), m.end());
    while (c.bytes.size() % 4) c.bytes.push_back(std::byte{0});
  }
  c.size_bytes = c.bytes.size();
  cache.emplace_back(name, std::move(c));
  return cache.back().second;
}

const nlmsghdr& header_at(const Corpus& c, size_t i) {
  return *reinterpret_cast<const nlmsghdr*>(c.bytes.data() + c.offsets[i]);
}

std::vector<model::SocketRecord> decoded(const char* name) {
  const Corpus& c = corpus(name);
  std::vector<model::SocketRecord> out(c.offsets.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (!diag::decode_inet_diag(header_at(c, i), IPPROTO_TCP, model::DecodeLevel::kFull, out[i]))
      std::abort();
  }
  return out;
}

void BM_Decode(benchmark::State& state, const char* file, model::DecodeLevel level) {
  const Corpus& c = corpus(file);
  model::SocketRecord rec;
  uint64_t states = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < c.offsets.size(); ++i) {
      auto st = diag::decode_inet_diag(header_at(c, i), IPPROTO_TCP, level, rec);
      benchmark::DoNotOptimize(st);
      states += rec.state;
    }
  }
  benchmark::DoNotOptimize(states);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.offsets.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.size_bytes));
}
BENCHMARK_CAPTURE(BM_Decode, header, "table.nl", model::DecodeLevel::kHeader);
BENCHMARK_CAPTURE(BM_Decode, full_no_ext, "table.nl", model::DecodeLevel::kFull);
BENCHMARK_CAPTURE(BM_Decode, full_with_info, "table_full.nl", model::DecodeLevel::kFull);

// The row of cli/cmd_sockets.cpp's TablePrinter::on_socket.
void render_row(render::TableWriter& table, const model::SocketRecord& r,
                const render::DetailOptions& details) {
  auto& t = table.text();
  auto out = std::back_inserter(t);
  table.begin_row();
  t.append(std::string_view(r.protocol == IPPROTO_UDP ? "udp" : "tcp"));
  table.end_cell(render::kColNetid);
  t.append(model::ss_state_name(r.state));
  table.end_cell(render::kColState);
  fmt::format_to(out, "{}", static_cast<int32_t>(r.rqueue));
  table.end_cell(render::kColRecvQ);
  fmt::format_to(out, "{}", static_cast<int32_t>(r.wqueue));
  table.end_cell(render::kColSendQ);
  render::append_address_token(t, r, render::Side::kLocal, nullptr);
  table.end_cell(render::kColLocalAddr);
  render::append_port_token(t, r, render::Side::kLocal, true, nullptr);
  table.end_cell(render::kColLocalPort);
  render::append_address_token(t, r, render::Side::kPeer, nullptr);
  table.end_cell(render::kColPeerAddr);
  render::append_port_token(t, r, render::Side::kPeer, true, nullptr);
  table.end_cell(render::kColPeerPort);
  render::append_details(t, r, details);
  table.end_details();
  table.end_row();
}

void BM_RenderTable(benchmark::State& state, const char* file, bool info) {
  auto recs = decoded(file);
  FILE* null = fopen("/dev/null", "w");
  if (!null) std::abort();
  render::DetailOptions details;
  details.numeric = true;
  details.info = info;
  {
    render::TableWriter table(null, render::TableLayout{.show_netid = false});
    for (auto _ : state) {
      for (const auto& r : recs) render_row(table, r, details);
    }
    table.flush();
  }
  fclose(null);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * recs.size()));
}
BENCHMARK_CAPTURE(BM_RenderTable, tan, "table.nl", false);
BENCHMARK_CAPTURE(BM_RenderTable, tani, "table_full.nl", true);

void BM_RenderJson(benchmark::State& state, const char* file) {
  auto recs = decoded(file);
  fmt::memory_buffer buf;
  size_t bytes = 0;
  for (auto _ : state) {
    for (const auto& r : recs) {
      render::append_json(buf, r, nullptr);
      buf.push_back('\n');
      if (buf.size() > (1u << 16)) {
        bytes += buf.size();
        buf.clear();
      }
    }
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * recs.size()));
}
BENCHMARK_CAPTURE(BM_RenderJson, full, "table_full.nl");

// The agent's accounting, set up as a collector sets it up: the table's listeners (read by a
// census, as each tick does), the default limits, a recheck installed (each outbound close
// tests whether one is due; none is: the events' time stays within the first 100 ms).
struct AgentCloses {
  agent::CloseAccounting closes{agent::CloseLimits{}};
  int rechecks = 0;
  explicit AgentCloses(const std::vector<model::SocketRecord>& table) {
    model::Census census;
    for (const auto& r : table) census.on_socket(r);
    closes.set_listeners(census.listeners());
    closes.set_recheck([this](model::ListenerSet&) { ++rechecks; });
  }
};

// `ports`: 0 keeps the recorded ports (a few listeners and their peers); N gives the closes N
// remote ports and distinct ephemeral local ports (past the 32 with series: "other").
void BM_AgentCloseAccounting(benchmark::State& state, uint16_t ports) {
  const auto table = decoded("table_full.nl");
  AgentCloses a(table);
  // The connections (the listeners' own closes take a shorter path: left out).
  std::vector<model::SocketRecord> recs;
  for (const auto& r : table) {
    if (r.state != static_cast<uint8_t>(model::TcpState::kListen)) recs.push_back(r);
  }
  if (ports > 0) {
    for (size_t i = 0; i < recs.size(); ++i) {
      recs[i].sport = static_cast<uint16_t>(32768 + i % 28000);
      recs[i].dport = static_cast<uint16_t>(1000 + (i * 7919) % ports);
    }
  }
  for (auto _ : state) {
    for (const auto& r : recs) a.closes.on_event(source::DestroyEvent{&r, source::kNoNsid, 1});
  }
  benchmark::DoNotOptimize(a.closes.overflows());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * recs.size()));
  state.counters["per_event"] = benchmark::Counter(
      static_cast<double>(recs.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_AgentCloseAccounting, recorded_ports, uint16_t{0});
BENCHMARK_CAPTURE(BM_AgentCloseAccounting, ports_100, uint16_t{100});

// Raw destroy datagrams (tests/fuzz/corpus/fuzz_destroy_events: a group byte, then the
// datagram as the kernel sent it), repeated to kCopies, decoded and accounted.
void BM_AgentCloseDecodeAndAccount(benchmark::State& state) {
  const std::string dir = std::string(TCPSCOPE_FUZZ_CORPUS) + "/fuzz_destroy_events";
  std::vector<std::pair<uint32_t, std::vector<uint64_t>>> grams;  // groups, aligned bytes
  std::vector<size_t> lens;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string file;
      if (!read_file((dir + "/" + e->d_name).c_str(), file) || file.size() < 2) continue;
      std::vector<uint64_t> aligned((file.size() + 7) / 8);
      std::memcpy(aligned.data(), file.data() + 1, file.size() - 1);
      grams.emplace_back(1U << (static_cast<uint8_t>(file[0]) % 4), std::move(aligned));
      lens.push_back(file.size() - 1);
    }
    ::closedir(d);
  }
  if (grams.empty()) {
    state.SkipWithError("no destroy datagrams in the fuzz corpus");
    return;
  }
  AgentCloses a({});
  model::SocketRecord rec;
  size_t events = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < kCopies; ++i) {
      const auto& [groups, bytes] = grams[i % grams.size()];
      events += source::decode_destroy_datagram(reinterpret_cast<const std::byte*>(bytes.data()),
                                                lens[i % grams.size()], groups, source::kNoNsid, 1,
                                                rec, a.closes);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
  state.counters["per_event"] = benchmark::Counter(
      static_cast<double>(events), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AgentCloseDecodeAndAccount);

}  // namespace

BENCHMARK_MAIN();
