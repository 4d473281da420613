// SPDX-License-Identifier: MIT
// Fuzzes the netlink message walk and the sock_diag decoder, as a datagram and as a recorded
// file (--replay), at both decode levels.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "diag/decode.hpp"
#include "netlink/message.hpp"
#include "source/replay_source.hpp"

namespace {
class Sink final : public tcpscope::model::SocketVisitor {
 public:
  void on_socket(const tcpscope::model::SocketRecord& r) override {
    sum_ += r.state + r.tcp_info_len + r.skmem_count + r.cong_len;
  }
  uint64_t sum_ = 0;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpscope;
  // The datagram buffer is 8-aligned in production; copy to get the same alignment.
  std::vector<std::byte> bytes(size);
  if (size != 0) std::memcpy(bytes.data(), data, size);

  model::SocketRecord rec;
  for (auto level : {model::DecodeLevel::kHeader, model::DecodeLevel::kFull}) {
    (void)netlink::walk_datagram(bytes, {0, 0, false}, [&](const nlmsghdr& h) -> Status {
      return diag::decode_inet_diag(h, IPPROTO_TCP, level, rec);
    });
  }

  auto replay = source::ReplaySource::from_bytes(bytes);
  if (replay) {
    Sink sink;
    for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
      model::DumpRequest req;
      req.family = family;
      req.protocol = IPPROTO_TCP;
      req.states = model::kMaskAll;
      (void)(*replay)->dump(req, sink);
    }
  }
  return 0;
}
