// SPDX-License-Identifier: MIT
// Fuzz target: a datagram of the sock_diag destroy groups (source/destroy_events.hpp), as
// `watch` decodes it, then each event through what `watch` does with it: the direction, the
// accounts of --summary, and its JSON line.
#include <netinet/in.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "model/close_account.hpp"
#include "render/watch.hpp"
#include "source/destroy_events.hpp"

namespace {

struct Sink final : tcpscope::source::DestroySink {
  tcpscope::model::ListenerSet listeners;
  tcpscope::model::CloseSummary summary{4};
  fmt::memory_buffer out;
  void on_event(const tcpscope::source::DestroyEvent& e) override {
    const auto d = listeners.direction(*e.rec);
    summary.add(*e.rec, d);
    out.clear();
    tcpscope::render::append_event_json(out, *e.rec, e.time_ns, "ns", d, nullptr);
    if (out.size() < 2 || out.data()[out.size() - 1] != '\n') std::abort();
  }
  void on_lost(int64_t) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the group (TCP/UDP, v4/v6); the rest is the datagram, aligned.
  const uint32_t groups = 1U << (data[0] % 4);
  std::vector<uint64_t> aligned((size - 1 + 7) / 8 + 1);
  std::memcpy(aligned.data(), data + 1, size - 1);
  tcpscope::model::SocketRecord rec;
  Sink sink;
  tcpscope::model::SocketRecord l;
  l.family = AF_INET;
  l.protocol = IPPROTO_TCP;
  l.state = 10;
  l.sport = 80;
  sink.listeners.add(l);
  sink.listeners.finish();
  (void)tcpscope::source::decode_destroy_datagram(
      reinterpret_cast<const std::byte*>(aligned.data()), size - 1, groups, -1, 1, rec, sink);
  std::vector<tcpscope::model::CloseSummary::Row> rows;
  tcpscope::model::CloseAccount other;
  sink.summary.top(2, rows, other);
  return 0;
}
