// SPDX-License-Identifier: MIT
#include "source/filtering.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

#include "diag/bytecode.hpp"

namespace tcpscope::source {

Result<ActiveFilter> ActiveFilter::make(const FilterArgs& args, const SourceOptions& src,
                                        std::pair<uint16_t, uint16_t> ephemeral) {
  ActiveFilter f;
  std::string file_text;
  if (!args.file.empty()) {
    auto text = diag::read_filter_file(args.file);
    if (!text) return fail(std::move(text.error()));
    file_text = std::move(*text);
  }
  static const std::vector<std::string> kNoWords;
  diag::FilterInput input{*(args.words ? args.words : &kNoWords), file_text, args.file};
  diag::ParseOptions po;
  po.family = args.family;
  po.tcp = args.tcp;
  po.udp = args.udp;
  po.unix_ports = args.unix_ports;
  auto parsed = diag::parse_filter(input, po);
  if (!parsed) return fail(std::move(parsed.error()));
  f.filter_ = std::move(*parsed);
  f.ctx_ = diag::MatchContext{ephemeral.first, ephemeral.second};
  f.live_ = src.kind == SourceKind::kAuto || src.kind == SourceKind::kNetlink;
  if (f.filter_.needs_netlink() && src.kind == SourceKind::kProc) {
    return fail(
        Error::usage("fwmark, cgroup and dev filters need the netlink source: /proc "
                     "does not show marks, cgroups or bound devices"));
  }
  if (f.filter_.needs_cap_net_admin() && f.live_ && !diag::has_cap_net_admin()) {
    return fail(Error(ErrorKind::kPermission,
                      "fwmark filters need CAP_NET_ADMIN (the kernel shows marks only to it)",
                      EPERM));
  }
  return f;
}

Result<model::DumpStats> ActiveFilter::dump(SocketSource& src, model::DumpRequest req,
                                            model::SocketVisitor& visitor) {
  if (filter_.expr.empty()) return src.dump(req, visitor);
  if (req.family != AF_INET && req.family != AF_INET6) {
    // unix_diag and packet_diag take no bytecode: every record is checked here.
    diag::FilteringVisitor all(filter_.expr, ctx_, false, visitor);
    return src.dump(req, all);
  }
  diag::Program program = diag::compile_filter(filter_.expr, req.family);
  if (program.kind == diag::ProgramKind::kMatchNone) return model::DumpStats{};
  if (program.kind == diag::ProgramKind::kBytecode) req.bytecode = program.bytecode;
  diag::FilteringVisitor fv(filter_.expr, ctx_, program.exact && live_, visitor);
  auto r = src.dump(req, fv);
  if (!r && r.error().err() == EINVAL && !req.bytecode.empty()) {
    std::fprintf(stderr,
                 "tcpscope: warning: the kernel refused the filter program (%s); filtering in "
                 "user space\n",
                 r.error().what().c_str());
    req.bytecode = {};
    diag::FilteringVisitor slow(filter_.expr, ctx_, false, visitor);
    r = src.dump(req, slow);
    proc_records_ += slow.proc_records();
    return r;
  }
  if (filter_.needs_netlink()) proc_records_ += fv.proc_records();
  return r;
}

bool ActiveFilter::matches(const model::SocketRecord& r) const {
  return filter_.expr.empty() || diag::matches(filter_.expr, r, ctx_);
}

}  // namespace tcpscope::source
