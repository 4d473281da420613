// SPDX-License-Identifier: MIT
// NetlinkSource: live sock_diag dumps; optionally records every datagram (--record).
#pragma once

#include <cstdio>
#include <memory>
#include <optional>

#include "diag/dump.hpp"
#include "source/record_file.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::source {

class NetlinkSource final : public SocketSource {
 public:
  // With a record file, the host data of `proc_root` (host_record.hpp) is written first.
  static Result<std::unique_ptr<NetlinkSource>> open(const std::string& record_file,
                                                     const std::string& proc_root = "/proc");
  Result<model::DumpStats> dump(const model::DumpRequest& req,
                                model::SocketVisitor& visitor) override;
  std::string_view name() const override { return "netlink"; }

 private:
  NetlinkSource(diag::DiagDumper dumper, std::unique_ptr<RecordWriter> writer)
      : dumper_(std::move(dumper)), writer_(std::move(writer)) {}
  diag::DiagDumper dumper_;
  std::unique_ptr<RecordWriter> writer_;
};

}  // namespace tcpscope::source
