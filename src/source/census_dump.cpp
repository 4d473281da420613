// SPDX-License-Identifier: MIT
#include "source/census_dump.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

namespace tcpscope::source {

namespace {

Status run(CensusRunner& runner, const model::DumpRequest& req, model::SocketVisitor& visitor,
           model::DumpStats& totals) {
  const model::DumpStats r = TCPSCOPE_TRY(runner.run(req, visitor));
  totals.messages += r.messages;
  totals.datagrams += r.datagrams;
  totals.duplicates += r.duplicates;
  totals.restarts += r.restarts;
  totals.interrupted = totals.interrupted || r.interrupted;
  return {};
}

class PlainRunner final : public CensusRunner {
 public:
  explicit PlainRunner(SocketSource& src) : src_(src) {}
  Result<model::DumpStats> run(const model::DumpRequest& req,
                               model::SocketVisitor& visitor) override {
    return src_.dump(req, visitor);
  }

 private:
  SocketSource& src_;
};

}  // namespace

Status take_census(CensusRunner& runner, model::SocketVisitor& visitor, model::DumpStats& totals,
                   CensusDumps which) {
  using model::TcpState;
  const model::StateMask only = runner.states();
  const model::DecodeLevel level =
      runner.full_decode() ? model::DecodeLevel::kFull : model::DecodeLevel::kHeader;
  const model::StateMask listen_bit = model::state_bit(TcpState::kListen);
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    if (!which.listeners || (only & listen_bit) == 0) break;
    model::DumpRequest listen;
    listen.family = family;
    listen.protocol = IPPROTO_TCP;
    listen.states = listen_bit;
    listen.ext = model::kExtSkMeminfo;
    listen.level = model::DecodeLevel::kFull;
    if (auto st = run(runner, listen, visitor, totals); !st) return st;
  }
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    model::DumpRequest rest;
    rest.family = family;
    rest.protocol = IPPROTO_TCP;
    rest.states = only & model::kMaskAll & ~listen_bit & ~model::state_bit(TcpState::kClose);
    rest.level = level;
    if (!which.tcp_rest || rest.states == 0) break;
    if (auto st = run(runner, rest, visitor, totals); !st) return st;
  }
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    model::DumpRequest udp;
    udp.family = family;
    udp.protocol = IPPROTO_UDP;
    udp.states = only & model::kMaskAll;
    udp.level = level;
    if (!which.udp || udp.states == 0) break;
    if (auto st = run(runner, udp, visitor, totals); !st) return st;
  }
  return {};
}

Status take_census(SocketSource& src, model::SocketVisitor& visitor, model::DumpStats& totals,
                   CensusDumps which) {
  PlainRunner runner(src);
  return take_census(runner, visitor, totals, which);
}

}  // namespace tcpscope::source
