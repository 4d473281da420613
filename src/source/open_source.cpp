// SPDX-License-Identifier: MIT
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "source/netlink_source.hpp"
#include "source/proc_source.hpp"
#include "source/replay_source.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::source {

namespace {

// Netlink first; /proc for any dump that sock_diag cannot serve (no permission, no diag
// handler for the protocol, no sock_diag at all).
class AutoSource final : public SocketSource {
 public:
  AutoSource(std::unique_ptr<NetlinkSource> netlink, std::string proc_root)
      : netlink_(std::move(netlink)), proc_(std::move(proc_root)) {}

  Result<model::DumpStats> dump(const model::DumpRequest& req,
                                model::SocketVisitor& visitor) override {
    if (netlink_) {
      auto r = netlink_->dump(req, visitor);
      if (r || !falls_back(r.error()) || !has_proc_file(req)) {
        used_ = "netlink";
        return r;
      }
      // Raw sockets have /proc files with all raw_diag would say (but the cookie), and most
      // kernels build no raw_diag: read them as ss does, without a word.
      if (req.protocol != IPPROTO_RAW || r.error().err() != ENOENT) notice(r.error());
    }
    used_ = "proc";
    return proc_.dump(req, visitor);
  }
  std::string_view name() const override { return used_; }

  // One line per run, however many dumps fall back (a missing udp_diag module refuses every
  // UDP dump).
  void notice(const Error& e) {
    if (noticed_) return;
    noticed_ = true;
    std::fprintf(stderr, "tcpscope: sock_diag refused (%s); reading /proc instead\n",
                 e.what().c_str());
  }

 private:
  // /proc/net has files for TCP, UDP and raw only (unix and packet are not read from /proc).
  static bool has_proc_file(const model::DumpRequest& req) {
    return (req.family == AF_INET || req.family == AF_INET6) && !req.mptcp &&
           (req.protocol == IPPROTO_TCP || req.protocol == IPPROTO_UDP ||
            req.protocol == IPPROTO_RAW);
  }
  static bool falls_back(const Error& e) {
    return e.kind() == ErrorKind::kPermission || e.kind() == ErrorKind::kUnsupported;
  }
  std::unique_ptr<NetlinkSource> netlink_;
  ProcSource proc_;
  std::string_view used_ = "netlink";
  bool noticed_ = false;
};

}  // namespace

Result<std::unique_ptr<SocketSource>> open_source(const SourceOptions& options) {
  switch (options.kind) {
    case SourceKind::kProc:
      return std::make_unique<ProcSource>(options.proc_root);
    case SourceKind::kReplay: {
      auto r = ReplaySource::open(options.replay_file);
      if (!r) return fail(std::move(r.error()));
      return std::unique_ptr<SocketSource>(std::move(*r));
    }
    case SourceKind::kNetlink: {
      auto r = NetlinkSource::open(options.record_file, options.proc_root);
      if (!r) return fail(std::move(r.error()));
      return std::unique_ptr<SocketSource>(std::move(*r));
    }
    case SourceKind::kAuto: {
      auto r = NetlinkSource::open(options.record_file, options.proc_root);
      if (!r) {
        const auto kind = r.error().kind();
        if (kind != ErrorKind::kPermission && kind != ErrorKind::kUnsupported) {
          return fail(std::move(r.error()));
        }
        // /proc cannot be recorded: a --record without sock_diag would write nothing.
        if (!options.record_file.empty()) {
          return fail(std::move(r.error()).context("--record needs sock_diag"));
        }
        auto a = std::make_unique<AutoSource>(nullptr, options.proc_root);
        a->notice(r.error());
        return std::unique_ptr<SocketSource>(std::move(a));
      }
      return std::unique_ptr<SocketSource>(
          std::make_unique<AutoSource>(std::move(*r), options.proc_root));
    }
  }
  return fail(Error::usage("unknown source"));
}

}  // namespace tcpscope::source
