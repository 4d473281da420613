// SPDX-License-Identifier: MIT
#include "source/proc_source.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "base/file.hpp"
#include "procfs/proc_net.hpp"
#include "procfs/text.hpp"

namespace tcpscope::source {

namespace {

const char* proc_net_file(uint8_t family, uint8_t protocol) {
  if (protocol == IPPROTO_TCP) {
    if (family == AF_INET) return "tcp";
    if (family == AF_INET6) return "tcp6";
  } else if (protocol == IPPROTO_UDP) {
    if (family == AF_INET) return "udp";
    if (family == AF_INET6) return "udp6";
  } else if (protocol == IPPROTO_RAW) {
    if (family == AF_INET) return "raw";
    if (family == AF_INET6) return "raw6";
  }
  return nullptr;
}

// The mask as /proc rows need it. Request sockets are state 12 (NEW_SYN_RECV) in the kernel but
// both inet_diag and /proc report them as 3 (SYN_RECV); inet_diag lets either bit select them,
// so bit 12 must select /proc's st=03 rows as well.
model::StateMask proc_mask(model::StateMask states) {
  if (states & model::state_bit(model::TcpState::kNewSynRecv)) {
    states |= model::state_bit(model::TcpState::kSynRecv);
  }
  return states;
}

}  // namespace

// DumpStats: `messages` counts the records handed to the visitor (rows the state mask
// dropped are not counted, as the kernel's filter would not have sent them); `datagrams`,
// `duplicates` and `restarts` stay 0: the file is read in one go and has no sequence.
Result<model::DumpStats> ProcSource::dump(const model::DumpRequest& req,
                                          model::SocketVisitor& visitor) {
  const char* file = req.mptcp ? nullptr : proc_net_file(req.family, req.protocol);
  if (file == nullptr) {
    return fail(Error(ErrorKind::kUnsupported, "no /proc fallback for family " +
                                                   std::to_string(req.family) + " protocol " +
                                                   std::to_string(req.protocol)));
  }
  path_.assign(proc_root_).append("/net/").append(file);
  if (auto st = read_file(path_.c_str(), buffer_); !st) return fail(std::move(st.error()));

  const model::StateMask mask = proc_mask(req.states);
  model::DumpStats stats;
  std::string_view rest = buffer_;
  std::string_view line;
  size_t lineno = 0;
  while (procfs::next_line(rest, line)) {
    ++lineno;
    auto parsed = procfs::parse_proc_net_line(line, req.family, req.protocol, record_);
    if (!parsed) {
      return fail(std::move(parsed.error()).context(path_ + ":" + std::to_string(lineno)));
    }
    if (!*parsed) continue;
    if ((mask & model::state_bit(static_cast<model::TcpState>(record_.state))) == 0) continue;
    visitor.on_socket(record_);
    ++stats.messages;
  }
  return stats;
}

}  // namespace tcpscope::source
