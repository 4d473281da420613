// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "diag/bytecode.hpp"
#include "diag/filter.hpp"
#include "filter_test_util.hpp"

namespace tcpscope {
namespace {

using diag::CompileOptions;
using diag::Program;
using diag::ProgramKind;

// Expected programs, written out instruction by instruction.
class Bytes {
 public:
  Bytes& op(uint8_t code, uint8_t yes, uint16_t no) {
    b_.push_back(code);
    b_.push_back(yes);
    raw(no);
    return *this;
  }
  Bytes& cond(uint8_t family, uint8_t plen, int32_t port, std::initializer_list<uint8_t> addr) {
    b_.push_back(family);
    b_.push_back(plen);
    b_.push_back(0);
    b_.push_back(0);
    raw(port);
    b_.insert(b_.end(), addr);
    return *this;
  }
  template <typename T>
  Bytes& raw(T v) {
    uint8_t p[sizeof v];
    std::memcpy(p, &v, sizeof v);
    b_.insert(b_.end(), p, p + sizeof v);
    return *this;
  }
  std::vector<std::byte> bytes() const {
    std::vector<std::byte> out(b_.size());
    std::memcpy(out.data(), b_.data(), b_.size());
    return out;
  }

 private:
  std::vector<uint8_t> b_;
};

constexpr std::initializer_list<uint8_t> kZero4 = {0, 0, 0, 0};
constexpr std::initializer_list<uint8_t> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                       0, 0, 0, 0, 0, 0, 0, 1};

testing::FakeResolver g_resolver;

diag::Expr parse(const std::string& text) {
  diag::ParseOptions o;
  o.resolver = &g_resolver;
  const std::vector<std::string> words = {text};
  auto f = diag::parse_filter(diag::FilterInput{words, {}, {}}, o);
  EXPECT_TRUE(f) << f.error().message();
  return f ? f->expr : diag::Expr{};
}

Program compile(const std::string& text, uint8_t family = AF_INET,
                const CompileOptions& options = {}) {
  return diag::compile_filter(parse(text), family, options);
}

std::string dis(const Program& p) { return diag::disassemble(p.bytecode); }

// Decoded programs captured from ss 6.1: the same bytes.
TEST(FilterBytecode, MatchesSsProgramsByteForByte) {
  struct Case {
    const char* expr;
    uint8_t family;
    Bytes want;
  };
  const Case cases[] = {
      {"dport = :5555", AF_INET, Bytes().op(8, 16, 20).cond(0, 0, 5555, kZero4)},
      {"( dport = :22 or sport = :22 )", AF_INET,
       Bytes()
           .op(8, 16, 20)
           .cond(0, 0, 22, kZero4)
           .op(1, 4, 20)
           .op(7, 16, 20)
           .cond(0, 0, 22, kZero4)},
      {"src 127.0.0.0/8 and not dport = :22", AF_INET,
       Bytes()
           .op(7, 16, 40)
           .cond(2, 8, -1, {127, 0, 0, 0})
           .op(8, 16, 20)
           .cond(0, 0, 22, kZero4)
           .op(1, 4, 8)},
      {"dport > :1000 and sport <= :2000", AF_INET,
       Bytes().op(5, 8, 12).op(0, 0, 1000).op(1, 4, 16).op(3, 8, 12).op(0, 0, 2000)},
      {"autobound", AF_INET, Bytes().op(6, 4, 8)},
      {"fwmark = 0x42/0xff", AF_INET, Bytes().op(10, 12, 16).raw(0x42u).raw(0xffu)},
      {"dst [::1]:5556", AF_INET6, Bytes().op(8, 28, 32).cond(10, 128, 5556, kLoopback6)},
      {"cgroup /", AF_INET, Bytes().op(13, 12, 16).raw(uint64_t{1})},
      {"dst 127.0.0/24", AF_INET, Bytes().op(8, 16, 20).cond(2, 24, -1, {127, 0, 0, 0})},
      {"dport = 22", AF_INET6, Bytes().op(8, 16, 20).cond(0, 0, 22, kZero4)},
  };
  for (const auto& c : cases) {
    const Program p = compile(c.expr, c.family);
    ASSERT_EQ(p.kind, ProgramKind::kBytecode) << c.expr;
    EXPECT_TRUE(p.exact) << c.expr;
    EXPECT_EQ(p.bytecode, c.want.bytes()) << c.expr << "\n" << dis(p);
    EXPECT_TRUE(diag::audit_bytecode(p.bytecode)) << c.expr;
  }
}

TEST(FilterBytecode, Disassembles) {
  EXPECT_EQ(dis(compile("src 127.0.0.0/8 and not dport = :22")),
            "@0 S_COND yes=16 no=40 {fam 2, plen 8, port -1, 127.0.0.0}\n"
            "@16 D_COND yes=16 no=20 {fam 0, plen 0, port 22}\n"
            "@32 JMP yes=4 no=8\n");
  EXPECT_EQ(dis(compile("dport > :1000")), "@0 D_LE yes=8 no=12 [port 1000]\n@8 JMP yes=4 no=8\n");
  EXPECT_EQ(dis(compile("dev lo and fwmark 1/3 and cgroup /system.slice")),
            "@0 DEV_COND yes=8 no=36 {ifindex 1}\n"
            "@8 MARK_COND yes=12 no=28 {mark 0x1, mask 0x3}\n"
            "@20 CGROUP_COND yes=12 no=16 {id 42}\n");
  const std::byte junk[] = {std::byte{99}, std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};
  EXPECT_EQ(diag::disassemble(junk), "@0 ? yes=0 no=0\n@0 ?\n");
}

// ss sends no program when `dev` appears anywhere; tcpscope compiles DEV_COND (kernel >= 4.8).
TEST(FilterBytecode, CompilesDev) {
  const Program p = compile("dev lo or dport = :22");
  ASSERT_EQ(p.kind, ProgramKind::kBytecode);
  EXPECT_EQ(p.bytecode,
            Bytes().op(9, 8, 12).raw(1u).op(1, 4, 20).op(8, 16, 20).cond(0, 0, 22, kZero4).bytes());
}

// ss fills every entry of a multi-address name with the first address (§4.6.1).
TEST(FilterBytecode, CompilesEveryAddressOfAHostName) {
  const Program p6 = compile("dst sstwo", AF_INET6);
  ASSERT_EQ(p6.kind, ProgramKind::kBytecode);
  EXPECT_EQ(p6.bytecode, Bytes()
                             .op(8, 16, 20)
                             .cond(2, 32, -1, {127, 0, 0, 1})
                             .op(1, 4, 32)
                             .op(8, 28, 32)
                             .cond(10, 128, -1, kLoopback6)
                             .bytes())
      << dis(p6);
  // In the IPv4 dump the IPv6 address cannot match and is left out.
  const Program p4 = compile("dst sstwo", AF_INET);
  EXPECT_EQ(p4.bytecode, Bytes().op(8, 16, 20).cond(2, 32, -1, {127, 0, 0, 1}).bytes());
  // Two IPv4 addresses with a port; under NOT, inside an AND (relocation of both entries).
  const Program p = compile("not dst twin:80 and autobound", AF_INET);
  EXPECT_EQ(dis(p),
            "@0 D_COND yes=16 no=20 {fam 2, plen 32, port 80, 192.0.2.1}\n"
            "@16 JMP yes=4 no=20\n"
            "@20 D_COND yes=16 no=20 {fam 2, plen 32, port 80, 192.0.2.2}\n"
            "@36 JMP yes=4 no=12\n"
            "@40 AUTO yes=4 no=8\n");
}

TEST(FilterBytecode, FoldsWhatTheFamilyDecides) {
  EXPECT_EQ(compile("").kind, ProgramKind::kMatchAll);
  EXPECT_EQ(compile("dst *").kind, ProgramKind::kMatchAll);
  EXPECT_EQ(compile("dport = *").kind, ProgramKind::kMatchAll);
  EXPECT_EQ(compile("not dst *").kind, ProgramKind::kMatchNone);
  EXPECT_EQ(compile("dst [::1]", AF_INET).kind, ProgramKind::kMatchNone);
  EXPECT_EQ(compile("dst [::1] or autobound", AF_INET).bytecode,
            compile("autobound", AF_INET).bytecode);
  // inet: conditions match only AF_INET sockets, so never in the AF_INET6 dump (where a plain
  // IPv4 condition would also match v4-mapped addresses).
  EXPECT_EQ(compile("src inet:127.0.0.1", AF_INET6).kind, ProgramKind::kMatchNone);
  EXPECT_EQ(compile("src inet:127.0.0.1", AF_INET).bytecode,
            compile("src 127.0.0.1", AF_INET).bytecode);
  EXPECT_EQ(compile("src 127.0.0.1", AF_INET6).kind, ProgramKind::kBytecode);
  EXPECT_EQ(compile("src inet6:[::1]", AF_INET).kind, ProgramKind::kMatchNone);
  EXPECT_EQ(compile("src inet:*", AF_INET).kind, ProgramKind::kMatchAll);
  EXPECT_EQ(compile("src inet:*", AF_INET6).kind, ProgramKind::kMatchNone);
  EXPECT_EQ(compile("src inet:* or dport = :22", AF_INET6).bytecode,
            compile("dport = :22", AF_INET6).bytecode);
  // An AF_INET prefix of length 0 matches every IPv4 socket, but in the IPv6 dump only the
  // v4-mapped ones.
  EXPECT_EQ(compile("dst 0.0.0.0/0", AF_INET).kind, ProgramKind::kMatchAll);
  EXPECT_EQ(compile("dst 0.0.0.0/0", AF_INET6).kind, ProgramKind::kBytecode);
}

TEST(FilterBytecode, LeavesDisallowedConditionsToUserSpace) {
  CompileOptions no_mark;
  no_mark.mark = false;
  Program p = compile("fwmark 1 or dport = :22", AF_INET, no_mark);
  EXPECT_EQ(p.kind, ProgramKind::kMatchAll);
  EXPECT_FALSE(p.exact);
  p = compile("fwmark 1 and dport = :22", AF_INET, no_mark);
  EXPECT_EQ(p.bytecode, compile("dport = :22").bytecode);
  EXPECT_FALSE(p.exact);
  // Under NOT the unknown condition is taken as false, so NOT makes it true: still a superset.
  p = compile("not fwmark 1 and dport = :22", AF_INET, no_mark);
  EXPECT_EQ(p.bytecode, compile("dport = :22").bytecode);
  EXPECT_FALSE(p.exact);
  CompileOptions none;
  none.mark = none.cgroup = none.dev = false;
  p = compile("dev lo and cgroup / and autobound", AF_INET, none);
  EXPECT_EQ(p.bytecode, compile("autobound").bytecode);
  EXPECT_FALSE(p.exact);
  p = compile("dport = :22", AF_INET, none);
  EXPECT_TRUE(p.exact);
}

TEST(FilterBytecode, TooLongForOneAttributeFallsBackToUserSpace) {
  diag::Expr e;
  diag::HostCond c;
  c.port = 1;
  uint32_t acc = e.add_host(diag::FilterOp::kDst, {&c, 1});
  for (int i = 0; i < 4000; ++i) {
    c.port = 2 + i;
    acc = e.add_or(acc, e.add_host(diag::FilterOp::kDst, {&c, 1}));
  }
  const Program p = diag::compile_filter(e, AF_INET);
  EXPECT_EQ(p.kind, ProgramKind::kMatchAll);
  EXPECT_FALSE(p.exact);

  // Just under the limit still compiles, and the far jumps still pass the audit.
  diag::Expr small;
  c.port = 1;
  acc = small.add_host(diag::FilterOp::kDst, {&c, 1});
  for (int i = 0; i < 3000; ++i) {
    c.port = 2 + i;
    acc = small.add_or(acc, small.add_host(diag::FilterOp::kDst, {&c, 1}));
  }
  const Program q = diag::compile_filter(small, AF_INET);
  ASSERT_EQ(q.kind, ProgramKind::kBytecode);
  EXPECT_EQ(q.bytecode.size(), 3001u * 16 + 3000u * 4);
  EXPECT_TRUE(diag::audit_bytecode(q.bytecode));
}

Status audit(const Bytes& b, bool cap = true) { return diag::audit_bytecode(b.bytes(), cap); }

// The kernel's audit rules, and hand-built patterns the kernel accepts.
TEST(FilterAudit, AcceptsKernelVerifiedPatterns) {
  // sport == 8080
  EXPECT_TRUE(audit(Bytes().op(11, 8, 12).op(0, 0, 8080)));
  // 8080 <= sport <= 8080
  EXPECT_TRUE(audit(Bytes().op(2, 8, 20).op(0, 0, 8080).op(3, 8, 12).op(0, 0, 8080)));
  // not (sport == 8080)
  EXPECT_TRUE(audit(Bytes().op(11, 8, 12).op(0, 0, 8080).op(1, 4, 8)));
  // sport == 8080 or dport == 8080
  EXPECT_TRUE(
      audit(Bytes().op(11, 8, 12).op(0, 0, 8080).op(1, 4, 12).op(12, 8, 12).op(0, 0, 8080)));
  // dport >= 1 and src 127.0.0.1/32
  EXPECT_TRUE(
      audit(Bytes().op(4, 8, 28).op(0, 0, 1).op(7, 16, 20).cond(2, 32, -1, {127, 0, 0, 1})));
  // DEV_COND 0, CGROUP_COND 1, NOP with any `no`
  EXPECT_TRUE(audit(Bytes().op(9, 8, 12).raw(0u)));
  EXPECT_TRUE(audit(Bytes().op(13, 12, 16).raw(uint64_t{1})));
  EXPECT_TRUE(audit(Bytes().op(0, 4, 3).op(6, 4, 8)));
}

TEST(FilterAudit, RefusesWhatTheKernelRefuses) {
  auto einval = [](const Status& s) { return !s && s.error().err() == EINVAL; };
  EXPECT_TRUE(einval(diag::audit_bytecode({})));                              // empty
  EXPECT_TRUE(einval(audit(Bytes().op(99, 4, 8))));                           // unknown code
  EXPECT_TRUE(einval(audit(Bytes().op(6, 6, 8).raw(uint16_t{0}))));           // yes not x4
  EXPECT_TRUE(einval(audit(Bytes().op(6, 4, 10).op(6, 4, 8))));               // no not x4
  EXPECT_TRUE(einval(audit(Bytes().op(6, 4, 16))));                           // no beyond end + 4
  EXPECT_TRUE(einval(audit(Bytes().op(6, 8, 12))));                           // yes beyond the end
  EXPECT_TRUE(einval(audit(Bytes().op(6, 0, 8))));                            // yes < length
  EXPECT_TRUE(einval(audit(Bytes().op(11, 4, 8))));                           // S_EQ without port
  EXPECT_TRUE(einval(audit(Bytes().op(11, 8, 4).op(0, 0, 1))));               // no < length
  EXPECT_TRUE(einval(audit(Bytes().op(7, 16, 20).cond(3, 0, -1, kZero4))));   // family 3
  EXPECT_TRUE(einval(audit(Bytes().op(7, 16, 20).cond(2, 33, -1, kZero4))));  // prefix 33
  EXPECT_TRUE(einval(audit(Bytes().op(7, 12, 16).cond(0, 1, -1, {}))));       // AF_UNSPEC /1
  EXPECT_TRUE(einval(audit(Bytes().op(7, 16, 20).cond(10, 128, -1, kZero4))));  // short v6
  // A `no` into the middle of a hostcond (not an instruction boundary).
  EXPECT_TRUE(einval(audit(Bytes().op(6, 4, 12).op(7, 16, 20).cond(2, 32, -1, kZero4))));
  // An OR that jumps on `yes` hides the skipped instruction from the boundary check.
  EXPECT_TRUE(einval(audit(Bytes().op(6, 8, 4).op(6, 4, 8).op(6, 4, 8))));
  // Lengths that do not add up.
  EXPECT_TRUE(einval(audit(Bytes().op(6, 4, 8).raw(uint16_t{0}))));
  // MARK_COND without CAP_NET_ADMIN: EPERM, before its own operand is looked at.
  const Status perm = audit(Bytes().op(10, 12, 16).raw(0u).raw(0u), false);
  ASSERT_FALSE(perm);
  EXPECT_EQ(perm.error().err(), EPERM);
  EXPECT_TRUE(audit(Bytes().op(10, 12, 16).raw(0u).raw(0u), true));
}

}  // namespace
}  // namespace tcpscope
