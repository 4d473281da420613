// SPDX-License-Identifier: MIT
// ProcSource: socket records from /proc/net/{tcp,tcp6,udp,udp6,raw,raw6}.
//
// One dump = one whole-file read into a reused buffer, then one parse per line
// (procfs::parse_proc_net_line); the request's state mask is applied here, its bytecode is not
// (the caller filters in user space, as ss does in /proc mode). Only IPv4/IPv6 TCP, UDP and raw
// have /proc files; anything else is a kUnsupported error.
#pragma once

#include <string>

#include "source/socket_source.hpp"

namespace tcpscope::source {

class ProcSource final : public SocketSource {
 public:
  explicit ProcSource(std::string proc_root) : proc_root_(std::move(proc_root)) {}
  Result<model::DumpStats> dump(const model::DumpRequest& req,
                                model::SocketVisitor& visitor) override;
  std::string_view name() const override { return "proc"; }

 private:
  std::string proc_root_;
  std::string path_;            // <proc_root>/net/<file> of the last dump
  std::string buffer_;          // reused across dumps
  model::SocketRecord record_;  // reused across lines
};

}  // namespace tcpscope::source
