#include "source/replay_source.hpp"

#include <linux/sock_diag.h>

#include <cstring>
#include <string>

#include "base/file.hpp"
#include "diag/decode.hpp"
#include "netlink/message.hpp"

namespace tcpscope::source {

Result<std::unique_ptr<ReplaySource>> ReplaySource::open(const std::string& path) {
  std::string content;
  if (auto st = read_file(path.c_str(), content); !st) return fail(std::move(st.error()));
  std::vector<std::byte> bytes(content.size());
  std::memcpy(bytes.data(), content.data(), content.size());
  auto src = from_bytes(std::move(bytes));
  if (!src) return fail(std::move(src.error()).context(path));
  return src;
}

Result<std::unique_ptr<ReplaySource>> ReplaySource::from_bytes(std::vector<std::byte> bytes) {
  std::unique_ptr<ReplaySource> src(new ReplaySource(std::move(bytes)));
  auto split = split_record_file(src->bytes_);
  if (!split) return fail(std::move(split.error()));
  src->datagrams_ = std::move(*split);
  return src;
}

Result<model::DumpStats> ReplaySource::dump(const model::DumpRequest& req,
                                            model::SocketVisitor& visitor) {
  model::DumpStats stats;
  const netlink::WalkExpect expect{0, 0, false};
  for (const auto& d : datagrams_) {
    if (d.protocol != req.protocol) continue;
    if (d.family != 0 && d.family != req.family) continue;
    ++stats.datagrams;
    auto walked = netlink::walk_datagram(d.bytes, expect, [&](const nlmsghdr& h) -> Status {
      if (h.nlmsg_type != SOCK_DIAG_BY_FAMILY) return {};
      if (auto st = diag::decode_inet_diag(h, req.protocol, req.level, record_); !st) return st;
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
    if (!walked) return fail(std::move(walked.error()));
    if (walked->dump_interrupted) stats.interrupted = true;
    // ss -D files hold both families' dumps; keep walking past NLMSG_DONE.
  }
  return stats;
}

}  // namespace tcpscope::source
