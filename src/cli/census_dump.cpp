#include "cli/census_dump.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace tcpscope::cli {

namespace {

Status run(source::SocketSource& src, ActiveFilter* filter, const model::DumpRequest& req,
           model::SocketVisitor& visitor, uint64_t& duplicates) {
  auto r = filter ? filter->dump(src, req, visitor) : src.dump(req, visitor);
  if (!r) return fail(std::move(r.error()));
  duplicates += r->duplicates;
  return {};
}

}  // namespace

Status take_census(source::SocketSource& src, ActiveFilter* filter, model::SocketVisitor& visitor,
                   uint64_t& duplicates, CensusDumps which) {
  using model::TcpState;
  const model::StateMask only =
      filter ? filter->states().value_or(model::kMaskAll) : model::kMaskAll;
  const bool expr = filter && filter->has_expression();
  const model::StateMask listen_bit = model::state_bit(TcpState::kListen);
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    if (!which.listeners || (only & listen_bit) == 0) break;
    model::DumpRequest listen;
    listen.family = family;
    listen.protocol = IPPROTO_TCP;
    listen.states = listen_bit;
    listen.ext = model::kExtSkMeminfo;
    listen.level = model::DecodeLevel::kFull;
    if (auto st = run(src, filter, listen, visitor, duplicates); !st) return st;
  }
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    model::DumpRequest rest;
    rest.family = family;
    rest.protocol = IPPROTO_TCP;
    rest.states = only & model::kMaskAll & ~listen_bit & ~model::state_bit(TcpState::kClose);
    // The expression may look at marks and cgroups: decode attributes then.
    rest.level = expr ? model::DecodeLevel::kFull : model::DecodeLevel::kHeader;
    if (!which.tcp_rest || rest.states == 0) break;
    if (auto st = run(src, filter, rest, visitor, duplicates); !st) return st;
  }
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    model::DumpRequest udp;
    udp.family = family;
    udp.protocol = IPPROTO_UDP;
    udp.states = only & model::kMaskAll;
    udp.level = expr ? model::DecodeLevel::kFull : model::DecodeLevel::kHeader;
    if (!which.udp || udp.states == 0) break;
    if (auto st = run(src, filter, udp, visitor, duplicates); !st) return st;
  }
  return {};
}

}  // namespace tcpscope::cli
