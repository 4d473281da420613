// SPDX-License-Identifier: MIT
// For random expression trees and random socket records, the compiled program run by an
// interpreter with the kernel's semantics (filter_test_util.hpp) and matches() agree, and every
// program passes the kernel's audit.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "diag/bytecode.hpp"
#include "diag/filter.hpp"
#include "filter_test_util.hpp"

namespace tcpscope {
namespace {

using diag::Program;
using diag::ProgramKind;

bool run(const Program& p, const model::SocketRecord& r, const diag::MatchContext& ctx) {
  switch (p.kind) {
    case ProgramKind::kMatchAll:
      return true;
    case ProgramKind::kMatchNone:
      return false;
    case ProgramKind::kBytecode:
      return testing::kernel_run(p.bytecode, testing::entry_of(r, ctx));
  }
  return false;
}

TEST(FilterProperty, KernelInterpreterAgreesWithTheTree) {
  testing::Random rnd(0x5eed1234);
  diag::MatchContext ctx;
  ctx.ephemeral_lo = 32768;
  ctx.ephemeral_hi = 60999;
  int matched = 0, rejected = 0, programs = 0, relaxed_programs = 0;
  for (int i = 0; i < 6000; ++i) {
    const diag::Expr e = rnd.expr(static_cast<int>(rnd.below(6)));
    diag::CompileOptions relax;
    relax.mark = rnd.coin();
    relax.cgroup = rnd.coin();
    relax.dev = rnd.coin();
    for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
      const Program p = diag::compile_filter(e, family);
      ASSERT_TRUE(p.exact);
      if (p.kind == ProgramKind::kBytecode) {
        ++programs;
        ASSERT_TRUE(diag::audit_bytecode(p.bytecode)) << diag::to_string(e);
      }
      const Program q = diag::compile_filter(e, family, relax);
      if (q.kind == ProgramKind::kBytecode) {
        ++relaxed_programs;
        ASSERT_TRUE(diag::audit_bytecode(q.bytecode, relax.mark)) << diag::to_string(e);
      }
      for (int k = 0; k < 8; ++k) {
        const model::SocketRecord r = rnd.record(family);
        const bool want = diag::matches(e, r, ctx);
        (want ? matched : rejected)++;
        ASSERT_EQ(run(p, r, ctx), want) << diag::to_string(e) << "\n"
                                        << diag::disassemble(p.bytecode) << "family " << int{family}
                                        << " sport " << r.sport << " dport " << r.dport;
        // A program with parts left to user space accepts a superset.
        const bool got = run(q, r, ctx);
        if (q.exact) {
          ASSERT_EQ(got, want) << diag::to_string(e);
        } else if (want) {
          ASSERT_TRUE(got) << diag::to_string(e) << "\n" << diag::disassemble(q.bytecode);
        }
      }
    }
  }
  // The pools are small enough that both outcomes are common.
  EXPECT_GT(matched, 15000);
  EXPECT_GT(rejected, 15000);
  EXPECT_GT(programs, 8000);
  EXPECT_GT(relaxed_programs, 4000);
}

}  // namespace
}  // namespace tcpscope
