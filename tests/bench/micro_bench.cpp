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
// Run: build/release/tests/bench/micro_bench [--benchmark_filter=Decode]
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "diag/decode.hpp"
#include "model/socket_record.hpp"
#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/details.hpp"
#include "render/json.hpp"
#include "render/table.hpp"
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

}  // namespace

BENCHMARK_MAIN();
