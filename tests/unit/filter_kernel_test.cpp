// SPDX-License-Identifier: MIT
// Generated programs against the running kernel: its audit accepts every one, and on a set of
// real sockets (v4, v6, v4-mapped, a mark, a bound device) the sockets it returns are exactly
// those matches() accepts. Needs NETLINK_SOCK_DIAG (skipped without it); mark programs need
// CAP_NET_ADMIN (without it the kernel must answer EPERM).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "diag/bytecode.hpp"
#include "diag/dump.hpp"
#include "diag/filter.hpp"
#include "filter_test_util.hpp"

namespace tcpscope {
namespace {

using diag::Program;
using diag::ProgramKind;

class Fds {
 public:
  ~Fds() {
    for (int fd : fds_) ::close(fd);
  }
  int add(int fd) {
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }

 private:
  std::vector<int> fds_;
};

uint16_t local_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

int listener(Fds& fds, int family, const char* addr, bool v6only) {
  const int fd = fds.add(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd < 0) return -1;
  int one = v6only ? 1 : 0;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &a->sin_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    inet_pton(AF_INET6, addr, &a->sin6_addr);
    len = sizeof *a;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 16) != 0) return -1;
  return fd;
}

// Connects a new socket to `addr`:`port`, after `prepare` (marks, device binding).
template <typename Prepare>
bool connect_to(Fds& fds, int family, const char* addr, uint16_t port, Prepare prepare) {
  const int fd = fds.add(socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd < 0) return false;
  prepare(fd);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    inet_pton(AF_INET, addr, &a->sin_addr);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(port);
    inet_pton(AF_INET6, addr, &a->sin6_addr);
    len = sizeof *a;
  }
  return connect(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0;
}

// Collects the records of our own sockets: one of our listener ports, and held by a descriptor.
// The inode test keeps out TIME-WAIT and FIN-WAIT-2 leftovers of earlier runs (inode 0) whose
// peer port happens to equal one of this run's ephemeral listener ports.
class Collect final : public model::SocketVisitor {
 public:
  explicit Collect(const std::set<uint16_t>& ports) : ports_(ports) {}
  void on_socket(const model::SocketRecord& r) override {
    if (r.inode == 0) return;
    if (ports_.count(r.sport) != 0 || ports_.count(r.dport) != 0) records.push_back(r);
  }
  std::set<uint64_t> cookies() const {
    std::set<uint64_t> c;
    for (const auto& r : records) c.insert(r.cookie);
    return c;
  }
  std::vector<model::SocketRecord> records;

 private:
  const std::set<uint16_t>& ports_;
};

bool have_cap_net_admin(diag::DiagDumper& d) {
  // Ask the kernel: a MARK_COND program is refused with EPERM without the capability.
  diag::Expr e;
  diag::FilterNode n;
  n.op = diag::FilterOp::kMark;
  e.add(n);
  const Program p = diag::compile_filter(e, AF_INET);
  model::DumpRequest req;
  req.family = AF_INET;
  req.protocol = IPPROTO_TCP;
  req.states = 1u << 10;
  req.bytecode = p.bytecode;
  std::set<uint16_t> none;
  Collect c(none);
  return static_cast<bool>(d.dump(req, c));
}

TEST(FilterKernel, KernelAcceptsProgramsAndAgreesWithTheTree) {
  auto dumper = diag::DiagDumper::open();
  if (!dumper) GTEST_SKIP() << "no sock_diag: " << dumper.error().what();
  const bool admin = have_cap_net_admin(*dumper);

  Fds fds;
  const int l4 = listener(fds, AF_INET, "127.0.0.1", false);
  const int l6 = listener(fds, AF_INET6, "::", false);  // dual stack: v4-mapped children
  const int l6o = listener(fds, AF_INET6, "::1", true);
  if (l4 < 0 || l6 < 0 || l6o < 0) GTEST_SKIP() << "cannot listen on loopback";
  const uint16_t p4 = local_port(l4), p6 = local_port(l6), p6o = local_port(l6o);
  auto plain = [](int) {};
  ASSERT_TRUE(connect_to(fds, AF_INET, "127.0.0.1", p4, plain));
  ASSERT_TRUE(connect_to(fds, AF_INET, "127.0.0.1", p6, plain));
  ASSERT_TRUE(connect_to(fds, AF_INET6, "::1", p6o, plain));
  ASSERT_TRUE(connect_to(fds, AF_INET, "127.0.0.1", p4, [](int fd) {
    const uint32_t mark = 0x142;
    setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark);  // needs CAP_NET_ADMIN
    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
  }));
  for (int l : {l4, l4, l6, l6o}) fds.add(accept4(l, nullptr, nullptr, SOCK_CLOEXEC));

  const std::set<uint16_t> ports = {p4, p6, p6o};
  model::DumpRequest req;
  req.protocol = IPPROTO_TCP;
  req.states = model::kMaskAll;
  std::map<uint8_t, std::vector<model::SocketRecord>> table;
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    req.family = family;
    Collect all(ports);
    ASSERT_TRUE(dumper->dump(req, all));
    table[family] = all.records;
  }
  // 3 listeners; 4 clients and 4 accepted sockets, one pair of them AF_INET6 v4-mapped.
  ASSERT_EQ(table[AF_INET].size() + table[AF_INET6].size(), 11u);
  const auto& v4 = table[AF_INET];
  EXPECT_TRUE(std::any_of(v4.begin(), v4.end(), [](const auto& r) { return r.ifindex == 1; }));
  if (admin) {
    EXPECT_TRUE(std::any_of(v4.begin(), v4.end(), [](const auto& r) { return r.mark == 0x142; }));
  }
  const auto& v6 = table[AF_INET6];
  EXPECT_TRUE(
      std::any_of(v6.begin(), v6.end(), [](const auto& r) { return r.is_v4_mapped_src(); }));

  testing::Random rnd(0xf11e);
  rnd.allow_autobound = false;  // the kernel's rule is not user space's (diag/filter.hpp)
  std::set<uint64_t> cgroups;
  for (const auto& [family, recs] : table) {
    for (const auto& r : recs) {
      rnd.extra_ports.push_back(r.sport);
      rnd.extra_ports.push_back(r.dport);
      cgroups.insert(r.cgroup_id);
    }
  }
  rnd.extra_cgroups.assign(cgroups.begin(), cgroups.end());

  diag::MatchContext ctx;
  int sent = 0, nonempty = 0, partial = 0;
  for (int i = 0; i < 400; ++i) {
    const diag::Expr e = rnd.expr(static_cast<int>(rnd.below(5)));
    diag::CompileOptions options;
    options.mark = admin;
    for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
      std::set<uint64_t> want;
      for (const auto& r : table[family]) {
        if (diag::matches(e, r, ctx)) want.insert(r.cookie);
      }
      const Program p = diag::compile_filter(e, family, options);
      if (p.kind == ProgramKind::kMatchNone) {
        EXPECT_TRUE(want.empty()) << diag::to_string(e);
        continue;
      }
      if (p.kind == ProgramKind::kMatchAll && p.exact) {
        EXPECT_EQ(want.size(), table[family].size()) << diag::to_string(e);
        continue;
      }
      req.family = family;
      req.bytecode = p.bytecode;
      Collect got(ports);
      auto st = dumper->dump(req, got);
      ++sent;
      ASSERT_TRUE(st) << st.error().what() << "\n"
                      << diag::to_string(e) << "\n"
                      << diag::disassemble(p.bytecode);
      if (p.exact) {
        EXPECT_EQ(got.cookies(), want) << diag::to_string(e) << "\n"
                                       << diag::disassemble(p.bytecode);
      } else {
        const auto c = got.cookies();
        EXPECT_TRUE(std::includes(c.begin(), c.end(), want.begin(), want.end()))
            << diag::to_string(e);
      }
      nonempty += !want.empty();
      partial += !want.empty() && want.size() < table[family].size();
    }
  }
  req.bytecode = {};
  EXPECT_GT(sent, 300);
  EXPECT_GT(partial, 50);  // programs that keep some of our sockets and drop others

  if (!admin) {
    // Without CAP_NET_ADMIN a MARK_COND makes the whole request fail with EPERM.
    diag::Expr e;
    diag::FilterNode n;
    n.op = diag::FilterOp::kMark;
    e.add(n);
    const Program p = diag::compile_filter(e, AF_INET);
    req.family = AF_INET;
    req.bytecode = p.bytecode;
    Collect c(ports);
    auto st = dumper->dump(req, c);
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().err(), EPERM);
  }
}

}  // namespace
}  // namespace tcpscope
