// SPDX-License-Identifier: MIT
// The filter expression of `sockets` and `summary`: parsed once, compiled per dump to kernel
// bytecode, and checked in user space wherever the kernel could not decide.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "diag/filter.hpp"
#include "model/dump.hpp"
#include "source/census_dump.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::source {

struct FilterArgs {
  const std::vector<std::string>* words = nullptr;  // positional words
  std::string file;                                 // -F FILE ("-" = stdin), may be empty
  uint8_t family = 0;       // -4 / -6, or AF_UNIX (-x): the family of unprefixed addresses
  bool unix_ports = false;  // unix tables dumped: inode "ports"
  bool tcp = true;
  bool udp = true;
};

class ActiveFilter {
 public:
  // Parses the words and -F file; checks privilege and source against what the expression
  // needs (fwmark needs CAP_NET_ADMIN; fwmark, cgroup and dev need netlink).
  static Result<ActiveFilter> make(const FilterArgs& args, const SourceOptions& src,
                                   std::pair<uint16_t, uint16_t> ephemeral);

  const std::optional<model::StateMask>& states() const { return filter_.states; }
  bool has_expression() const { return !filter_.expr.empty(); }
  bool uses_unix() const { return filter_.uses_unix(); }

  // One dump with the expression applied: compiled into the request's bytecode, and evaluated
  // in user space for what the kernel did not decide (the /proc fallback, a replay, parts the
  // kernel cannot evaluate). A program the kernel refuses (EINVAL) is retried without bytecode.
  Result<model::DumpStats> dump(SocketSource& src, model::DumpRequest req,
                                model::SocketVisitor& visitor);
  // The expression evaluated on one record in user space (destroy events: the kernel does not
  // filter multicast). True without an expression.
  bool matches(const model::SocketRecord& r) const;
  // Records whose conditions (fwmark, cgroup, dev) /proc could not show.
  uint64_t unchecked_proc_records() const { return proc_records_; }

 private:
  diag::Filter filter_;
  diag::MatchContext ctx_;
  bool live_ = true;  // a netlink source: the kernel evaluates the bytecode
  uint64_t proc_records_ = 0;
};

// Runs the census dumps through a filter (summary).
class FilterRunner final : public CensusRunner {
 public:
  FilterRunner(ActiveFilter& filter, SocketSource& src) : filter_(filter), src_(src) {}
  Result<model::DumpStats> run(const model::DumpRequest& req,
                               model::SocketVisitor& visitor) override {
    return filter_.dump(src_, req, visitor);
  }
  model::StateMask states() const override { return filter_.states().value_or(model::kMaskAll); }
  bool full_decode() const override { return filter_.has_expression(); }

 private:
  ActiveFilter& filter_;
  SocketSource& src_;
};

}  // namespace tcpscope::source
