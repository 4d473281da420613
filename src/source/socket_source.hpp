// SPDX-License-Identifier: MIT
// SocketSource: where socket records come from. Three implementations:
//   NetlinkSource  live sock_diag dumps (the normal case);
//   ProcSource     /proc/net/{tcp,tcp6,udp,udp6} (fallback when sock_diag is unavailable, or
//                  --source proc); fills only what /proc has;
//   ReplaySource   a file written by --record (fixtures), through the same decoder.
// Every source applies the request's state mask itself when the kernel could not.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "model/dump.hpp"
#include "source/host_record.hpp"

namespace tcpscope::source {

class SocketSource {
 public:
  virtual ~SocketSource() = default;
  virtual Result<model::DumpStats> dump(const model::DumpRequest& req,
                                        model::SocketVisitor& visitor) = 0;
  // "netlink", "proc" or "replay"; the source actually used for the last dump.
  virtual std::string_view name() const = 0;
  // A replay: what the record says of its host (nullptr when the record has no host data,
  // which every host number then is unknown). Live sources: nullptr.
  virtual const RecordedHost* recorded_host() const { return nullptr; }
};

enum class SourceKind { kAuto, kNetlink, kProc, kReplay };

struct SourceOptions {
  SourceKind kind = SourceKind::kAuto;
  std::string proc_root = "/proc";  // like iproute2's PROC_ROOT
  std::string replay_file;          // for kReplay
  std::string record_file;          // netlink only: write every datagram here
};

// kAuto: netlink, falling back to /proc per dump when sock_diag is unavailable (EPERM,
// EPROTONOSUPPORT, a protocol without a diag handler).
Result<std::unique_ptr<SocketSource>> open_source(const SourceOptions& options);

}  // namespace tcpscope::source
