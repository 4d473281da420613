// SPDX-License-Identifier: MIT
// matches(): the kernel's semantics on hand-made records.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <fstream>
#include <string>
#include <vector>

#include "diag/filter.hpp"
#include "filter_test_util.hpp"

namespace tcpscope {
namespace {

using model::SocketRecord;

testing::FakeResolver g_resolver;

diag::Expr parse(const std::string& text) {
  diag::ParseOptions o;
  o.resolver = &g_resolver;
  const std::vector<std::string> words = {text};
  auto f = diag::parse_filter(diag::FilterInput{words, {}, {}}, o);
  EXPECT_TRUE(f) << text << ": " << f.error().message();
  return f ? f->expr : diag::Expr{};
}

SocketRecord v4(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  SocketRecord r;
  r.family = AF_INET;
  r.state = 1;
  inet_pton(AF_INET, src, r.src.data());
  inet_pton(AF_INET, dst, r.dst.data());
  r.sport = sport;
  r.dport = dport;
  return r;
}

SocketRecord v6(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  SocketRecord r;
  r.family = AF_INET6;
  r.state = 1;
  inet_pton(AF_INET6, src, r.src.data());
  inet_pton(AF_INET6, dst, r.dst.data());
  r.sport = sport;
  r.dport = dport;
  return r;
}

bool m(const std::string& text, const SocketRecord& r, const diag::MatchContext& ctx = {}) {
  return diag::matches(parse(text), r, ctx);
}

TEST(FilterEval, EmptyExpressionMatchesEverything) {
  EXPECT_TRUE(diag::matches(diag::Expr{}, SocketRecord{}, {}));
}

TEST(FilterEval, PortsAndRanges) {
  const auto r = v4("10.0.0.1", 22, "10.0.0.2", 40000);
  EXPECT_TRUE(m("sport = :22", r));
  EXPECT_FALSE(m("dport = :22", r));
  EXPECT_TRUE(m("dport >= 40000", r));
  EXPECT_FALSE(m("dport > 40000", r));
  EXPECT_TRUE(m("dport <= 40000", r));
  EXPECT_FALSE(m("dport < 40000", r));
  EXPECT_TRUE(m("sport != 23", r));
  EXPECT_TRUE(m("sport = *", r));
  EXPECT_TRUE(m("dst *:40000", r));
  EXPECT_FALSE(m("dst *:40001", r));
}

TEST(FilterEval, AddressesPrefixesAndV4Mapped) {
  const auto r4 = v4("127.0.0.1", 8080, "10.1.2.3", 5000);
  EXPECT_TRUE(m("src 127.0.0.0/8", r4));
  EXPECT_TRUE(m("src 127.0.0.1", r4));
  EXPECT_FALSE(m("src 127.0.0.2", r4));
  EXPECT_TRUE(m("dst 10.1.0.0/16:5000", r4));
  EXPECT_FALSE(m("dst 10.1.0.0/16:5001", r4));
  EXPECT_TRUE(m("dst 10.1.2.0/23", r4));
  EXPECT_FALSE(m("dst [::1]", r4));
  EXPECT_TRUE(m("dst 0.0.0.0/0", r4));

  // An AF_INET condition matches a v4-mapped AF_INET6 socket, also with prefix length 0.
  const auto mapped = v6("::ffff:127.0.0.1", 8080, "::ffff:10.1.2.3", 5000);
  EXPECT_TRUE(m("src 127.0.0.1", mapped));
  EXPECT_TRUE(m("src 127.0.0.0/8", mapped));
  EXPECT_TRUE(m("dst 0.0.0.0/0", mapped));
  EXPECT_TRUE(m("src [::ffff:127.0.0.1]", mapped));
  EXPECT_TRUE(m("src [::ffff:0:0/96]", mapped));
  // ... but an inet: condition only matches AF_INET sockets.
  EXPECT_FALSE(m("src inet:127.0.0.1", mapped));
  EXPECT_TRUE(m("src inet:127.0.0.1", r4));
  EXPECT_TRUE(m("src inet6:*", mapped));
  EXPECT_FALSE(m("src inet6:*", r4));

  // A native IPv6 socket never matches an IPv4 condition, not even 0.0.0.0/0.
  const auto r6 = v6("::1", 8080, "2001:db8::6", 443);
  EXPECT_FALSE(m("dst 0.0.0.0/0", r6));
  EXPECT_TRUE(m("dst [2001:db8::/32]", r6));
  EXPECT_TRUE(m("dst six", r6));
  EXPECT_TRUE(m("src [::1]:8080", r6));
  EXPECT_TRUE(m("src *", r6));
}

TEST(FilterEval, EveryAddressOfAHostNameCounts) {
  EXPECT_TRUE(m("dst sstwo", v4("1.1.1.1", 1, "127.0.0.1", 2)));
  EXPECT_TRUE(m("dst sstwo", v6("::2", 1, "::1", 2)));
  EXPECT_FALSE(m("dst sstwo", v6("::2", 1, "::3", 2)));
}

TEST(FilterEval, DevMarkCgroup) {
  auto r = v4("127.0.0.1", 1, "127.0.0.1", 2);
  r.ifindex = 1;
  r.mark = 0x142;
  r.cgroup_id = 42;
  EXPECT_TRUE(m("dev lo", r));
  EXPECT_FALSE(m("dev eth0", r));
  EXPECT_FALSE(m("dev 0", r));
  EXPECT_TRUE(m("fwmark 0x42/0xff", r));
  EXPECT_FALSE(m("fwmark 0x42", r));
  EXPECT_TRUE(m("fwmark 0x142", r));
  EXPECT_FALSE(m("fwmark 0x3/0x1", r));  // bits outside the mask never match
  EXPECT_TRUE(m("cgroup /system.slice", r));
  EXPECT_FALSE(m("cgroup /", r));
}

TEST(FilterEval, AutoboundApproximatesTheKernel) {
  diag::MatchContext ctx;
  ctx.ephemeral_lo = 32768;
  ctx.ephemeral_hi = 60999;
  auto r = v4("127.0.0.1", 40000, "127.0.0.1", 22);
  EXPECT_TRUE(m("autobound", r, ctx));
  r.sport = 22;
  EXPECT_FALSE(m("autobound", r, ctx));
  r.state = 6;  // TIME-WAIT: never port-locked
  EXPECT_TRUE(m("autobound", r, ctx));
  r.state = 5;
  r.timer = 3;  // a TIME-WAIT mini-socket in FIN-WAIT-2 substate
  EXPECT_TRUE(m("autobound", r, ctx));
  r.timer = 0;
  r.state = 3;  // request socket
  EXPECT_TRUE(m("autobound", r, ctx));
}

TEST(FilterEval, LogicFollowsTheTree) {
  const auto r = v4("127.0.0.1", 5555, "127.0.0.1", 1);
  // (A or B) and C, not A or (B and C): ss's grouping.
  EXPECT_FALSE(m("sport = :5555 or sport = :55038 and dport = :9999", r));
  EXPECT_TRUE(m("sport = :5555 or ( sport = :55038 and dport = :9999 )", r));
  EXPECT_TRUE(m("not not sport = :5555", r));
  EXPECT_FALSE(m("not ( sport = :5555 or dport = :2 )", r));
}

class Names final : public model::SocketVisitor {
 public:
  void on_socket(const SocketRecord& r) override { ports.push_back(r.sport); }
  std::vector<uint16_t> ports;
};

TEST(FilterEval, FilteringVisitorTrustsOnlyKernelFilteredNetlinkRecords) {
  const diag::Expr e = parse("sport = :22");
  auto a = v4("127.0.0.1", 22, "127.0.0.1", 1);
  auto b = v4("127.0.0.1", 23, "127.0.0.1", 1);
  Names out;
  diag::FilteringVisitor trusted(e, {}, true, out);
  trusted.on_socket(a);
  trusted.on_socket(b);  // the kernel's program let it through: shown
  b.origin = model::Origin::kProc;
  trusted.on_socket(b);  // from the /proc fallback: evaluated here, dropped
  EXPECT_EQ(out.ports, (std::vector<uint16_t>{22, 23}));
  EXPECT_EQ(trusted.proc_records(), 1u);

  Names out2;
  diag::FilteringVisitor checked(e, {}, false, out2);
  b.origin = model::Origin::kNetlink;
  checked.on_socket(a);
  checked.on_socket(b);
  EXPECT_EQ(out2.ports, (std::vector<uint16_t>{22}));
}

TEST(FilterEval, NeedsNetlinkForMarkCgroupDev) {
  diag::Filter f;
  f.expr = parse("sport = :22 or autobound");
  EXPECT_FALSE(f.needs_netlink());
  f.expr = parse("dev lo");
  EXPECT_TRUE(f.needs_netlink());
  EXPECT_FALSE(f.needs_cap_net_admin());
  f.expr = parse("not fwmark 1");
  EXPECT_TRUE(f.needs_netlink());
  EXPECT_TRUE(f.needs_cap_net_admin());
}

TEST(FilterEval, HasCapNetAdminAgreesWithProcStatus) {
  std::ifstream status("/proc/self/status");
  std::string line;
  unsigned long long eff = 0;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) == 0) eff = std::stoull(line.substr(7), nullptr, 16);
  }
  EXPECT_EQ(diag::has_cap_net_admin(), ((eff >> 12) & 1) != 0);  // CAP_NET_ADMIN = 12
}

}  // namespace
}  // namespace tcpscope
