// SPDX-License-Identifier: MIT
#include "source/replay_source.hpp"

#include <linux/sock_diag.h>

#include <cstring>
#include <string>

#include "diag/decode.hpp"
#include "netlink/message.hpp"

namespace tcpscope::source {

Result<std::unique_ptr<ReplaySource>> ReplaySource::open(const std::string& path) {
  auto reader = RecordReader::open(path);
  if (!reader) return fail(std::move(reader.error()));
  std::unique_ptr<ReplaySource> src(new ReplaySource(std::move(*reader)));
  TCPSCOPE_TRY(src->validate());
  return src;
}

Result<std::unique_ptr<ReplaySource>> ReplaySource::from_bytes(std::vector<std::byte> bytes) {
  std::unique_ptr<ReplaySource> src(new ReplaySource(RecordReader::from_bytes(std::move(bytes))));
  TCPSCOPE_TRY(src->validate());
  return src;
}

Status ReplaySource::validate() {
  reader_.rewind();
  RecordedDatagram d;
  for (;;) {
    const bool more = TCPSCOPE_TRY(reader_.next(d));
    if (!more) return {};
    if (d.protocol == 0 && d.ext == kHostFrameKind) {
      const std::string_view text(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size());
      if (auto st = decode_host_record(text, host_); !st) {
        return fail(std::move(st.error()).context(reader_.name()));
      }
      has_host_ = true;
    }
  }
}

Result<model::DumpStats> ReplaySource::dump(const model::DumpRequest& req,
                                            model::SocketVisitor& visitor) {
  model::DumpStats stats;
  const netlink::WalkExpect expect{0, 0, false};
  reader_.rewind();
  RecordedDatagram d;
  for (;;) {
    const bool more = TCPSCOPE_TRY(reader_.next(d));
    if (!more) break;
    if (d.protocol != frame_protocol(req)) continue;
    if (d.family != 0 && d.family != req.family) continue;
    ++stats.datagrams;
    auto walked = netlink::walk_datagram(d.bytes, expect, [&](const nlmsghdr& h) -> Status {
      if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY) return {};
      if (auto st = diag::decode_message(h, req, record_); !st) return st;
      if (record_.family != req.family) return {};
      uint8_t state = record_.state;
      if (((req.states >> state) & 1u) == 0 &&
          !(state == static_cast<uint8_t>(model::TcpState::kSynRecv) &&
            ((req.states >> 12) & 1u))) {
        return {};
      }
      ++stats.messages;
      visitor.on_socket(record_);
      return {};
    });
    if (!walked) return fail(std::move(walked.error()).context(reader_.name()));
    if (walked->dump_interrupted) stats.interrupted = true;
    // ss -D files hold both families' dumps; keep walking past NLMSG_DONE.
  }
  return stats;
}

}  // namespace tcpscope::source
