// SPDX-License-Identifier: MIT
// What the unix, packet, vsock and MPTCP fuzz targets share: decode every message of the input as a
// datagram, then as a recorded file, and render each record in every format.
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "diag/decode.hpp"
#include "netlink/message.hpp"
#include "render/csv.hpp"
#include "render/details.hpp"
#include "render/json.hpp"
#include "render/other_sockets.hpp"
#include "source/replay_source.hpp"

namespace tcpscope::fuzz {

inline void render_all(const model::SocketRecord& r) {
  fmt::memory_buffer b;
  render::DetailOptions d;
  d.extended = d.memory = d.info = d.options = true;
  render::append_json(b, r, nullptr);
  render::append_csv_row(b, r, nullptr);
  render::append_details(b, r, d);
  render::append_unix_details(b, r, d);
  render::append_packet_details(b, r, d);
  render::append_unix_name(b, r);
  render::append_vsock_id(b, r.vsock_src_port);
}

class RenderSink final : public model::SocketVisitor {
 public:
  void on_socket(const model::SocketRecord& r) override { render_all(r); }
};

inline int decode_family(const uint8_t* data, size_t size, const model::DumpRequest& req) {
  // The datagram buffer is 8-aligned in production; copy to get the same alignment.
  std::vector<std::byte> bytes(size);
  if (size != 0) std::memcpy(bytes.data(), data, size);
  model::SocketRecord rec;
  (void)netlink::walk_datagram(bytes, {0, 0, false}, [&](const nlmsghdr& h) -> Status {
    auto st = diag::decode_message(h, req, rec);
    if (st) render_all(rec);
    return st;
  });
  if (auto replay = source::ReplaySource::from_bytes(bytes)) {
    RenderSink sink;
    (void)(*replay)->dump(req, sink);
  }
  return 0;
}

}  // namespace tcpscope::fuzz
