// SPDX-License-Identifier: MIT
// Shared by the filter tests: a deterministic resolver, a kernel-semantics interpreter of
// INET_DIAG_REQ_BYTECODE, and random expressions and socket records.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "diag/bytecode.hpp"
#include "diag/filter.hpp"
#include "model/socket_record.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::testing {

// Fixed answers: no DNS, no /etc/services, no interfaces, no cgroup2 mount involved.
class FakeResolver final : public diag::FilterResolver {
 public:
  std::vector<Address> host(std::string_view name, uint8_t family) override {
    std::vector<Address> out;
    auto add4 = [&](const char* a) {
      if (family != AF_UNSPEC && family != AF_INET) return;
      Address r{AF_INET, {}};
      inet_pton(AF_INET, a, r.bytes.data());
      out.push_back(r);
    };
    auto add6 = [&](const char* a) {
      if (family != AF_UNSPEC && family != AF_INET6) return;
      Address r{AF_INET6, {}};
      inet_pton(AF_INET6, a, r.bytes.data());
      out.push_back(r);
    };
    if (name == "localhost" || name == "sstwo") {
      add4("127.0.0.1");
      add4("127.0.0.1");  // glibc returns duplicates; they are dropped
      add6("::1");
    } else if (name == "twin") {
      add4("192.0.2.1");
      add4("192.0.2.2");
    } else if (name == "six") {
      add6("2001:db8::6");
    }
    return out;
  }
  std::optional<uint16_t> service(std::string_view name, std::string_view proto) override {
    if (name == "ssh") return 22;
    if (name == "http") return 80;
    if (name == "amb") return proto == "tcp" ? 100 : 200;
    if (name == "tcponly" && proto == "tcp") return 300;
    return std::nullopt;
  }
  std::optional<uint32_t> ifindex(std::string_view name) override {
    if (name == "lo") return 1;
    if (name == "eth0") return 2;
    return std::nullopt;
  }
  Result<uint64_t> cgroup_id(std::string_view path) override {
    if (path == "/") return 1;
    if (path == "/system.slice") return 42;
    return fail(Error::from_errno(std::string(path), ENOENT));
  }
};

// The kernel's view of one socket (struct inet_diag_entry).
struct Entry {
  uint8_t family = AF_INET;
  std::array<uint8_t, 16> saddr{};
  std::array<uint8_t, 16> daddr{};
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint32_t ifindex = 0;
  uint32_t mark = 0;
  uint64_t cgroup_id = 0;
  bool autobound = false;  // !(userlocks & SOCK_BINDPORT_LOCK)
};

inline bool bitstring_match(const uint8_t* a, const uint8_t* b, int bits) {
  const int words = bits / 32;
  if (words > 0 && std::memcmp(a, b, static_cast<size_t>(words) * 4) != 0) return false;
  const int rest = bits % 32;
  if (rest == 0) return true;
  uint32_t w1, w2;
  std::memcpy(&w1, a + words * 4, 4);
  std::memcpy(&w2, b + words * 4, 4);
  const uint32_t mask = htonl(0xffffffffu << (32 - rest));
  return ((w1 ^ w2) & mask) == 0;
}

// net/ipv4/inet_diag.c: inet_diag_bc_run, written again from its description.
inline bool kernel_run(std::span<const std::byte> prog, const Entry& e) {
  const auto* bc = reinterpret_cast<const uint8_t*>(prog.data());
  long len = static_cast<long>(prog.size());
  while (len > 0) {
    const uint8_t code = bc[0];
    const uint8_t op_yes = bc[1];
    uint16_t op_no;
    std::memcpy(&op_no, bc + 2, 2);
    bool yes = true;
    // Port comparisons keep their port in a second op's `no` (read only for them: the
    // audit guarantees it is there).
    const auto port_operand = [bc] {
      uint16_t v;
      std::memcpy(&v, bc + 6, 2);
      return v;
    };
    switch (code) {
      case diag::kBcNop:
        break;
      case diag::kBcJmp:
        yes = false;
        break;
      case diag::kBcSEq:
        yes = e.sport == port_operand();
        break;
      case diag::kBcSGe:
        yes = e.sport >= port_operand();
        break;
      case diag::kBcSLe:
        yes = e.sport <= port_operand();
        break;
      case diag::kBcDEq:
        yes = e.dport == port_operand();
        break;
      case diag::kBcDGe:
        yes = e.dport >= port_operand();
        break;
      case diag::kBcDLe:
        yes = e.dport <= port_operand();
        break;
      case diag::kBcAuto:
        yes = e.autobound;
        break;
      case diag::kBcSCond:
      case diag::kBcDCond: {
        const uint8_t family = bc[4];
        const uint8_t plen = bc[5];
        int32_t port;
        std::memcpy(&port, bc + 8, 4);
        const uint8_t* caddr = bc + 12;
        const bool src = code == diag::kBcSCond;
        if (port != -1 && port != (src ? e.sport : e.dport)) {
          yes = false;
          break;
        }
        const uint8_t* addr = src ? e.saddr.data() : e.daddr.data();
        if (family != AF_UNSPEC && family != e.family) {
          if (e.family == AF_INET6 && family == AF_INET) {
            static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (std::memcmp(addr, kMapped, 12) == 0 && bitstring_match(addr + 12, caddr, plen)) {
              break;
            }
          }
          yes = false;
          break;
        }
        if (plen == 0) break;
        if (bitstring_match(addr, caddr, plen)) break;
        yes = false;
        break;
      }
      case diag::kBcDevCond: {
        uint32_t ifindex;
        std::memcpy(&ifindex, bc + 4, 4);
        yes = ifindex == e.ifindex;
        break;
      }
      case diag::kBcMarkCond: {
        uint32_t mark, mask;
        std::memcpy(&mark, bc + 4, 4);
        std::memcpy(&mask, bc + 8, 4);
        yes = (e.mark & mask) == mark;
        break;
      }
      case diag::kBcCgroupCond: {
        uint64_t id;
        std::memcpy(&id, bc + 4, 8);
        yes = id == e.cgroup_id;
        break;
      }
      default:
        return false;  // the audit would have refused it
    }
    const int step = yes ? op_yes : op_no;
    len -= step;
    bc += step;
  }
  return len == 0;
}

// The user-space autobound rule (diag/filter.hpp, MatchContext).
inline bool user_autobound(const model::SocketRecord& r, const diag::MatchContext& ctx) {
  return r.timer == 3 || r.state == 6 || r.state == 3 ||
         (r.sport >= ctx.ephemeral_lo && r.sport <= ctx.ephemeral_hi);
}

inline Entry entry_of(const model::SocketRecord& r, const diag::MatchContext& ctx) {
  Entry e;
  e.family = r.family;
  e.saddr = r.src;
  e.daddr = r.dst;
  e.sport = r.sport;
  e.dport = r.dport;
  e.ifindex = r.ifindex;
  e.mark = r.mark;
  e.cgroup_id = r.cgroup_id;
  e.autobound = user_autobound(r, ctx);
  return e;
}

// Random expressions and records over small pools of values, so that conditions match often.
class Random {
 public:
  explicit Random(uint32_t seed) : rng_(seed) {}

  uint32_t below(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
  bool coin() { return below(2) == 1; }

  std::array<uint8_t, 16> pool_address(uint8_t family) {
    static const char* const kV4[] = {"127.0.0.1",  "127.0.0.2", "10.1.2.3",
                                      "10.1.255.3", "192.0.2.1", "0.0.0.0"};
    static const char* const kV6[] = {"::1",         "fe80::1",          "2001:db8::6",
                                      "2001:db8::7", "::ffff:127.0.0.1", "::ffff:10.1.2.3",
                                      "::",          "::ffff:192.0.2.1"};
    std::array<uint8_t, 16> a{};
    if (family == AF_INET) {
      inet_pton(AF_INET, kV4[below(std::size(kV4))], a.data());
    } else {
      inet_pton(AF_INET6, kV6[below(std::size(kV6))], a.data());
    }
    return a;
  }

  uint16_t pool_port() {
    static constexpr uint16_t kPorts[] = {0,    1,     22,    80,    1000,  1023,
                                          1024, 32768, 40000, 60999, 61000, 65535};
    if (!extra_ports.empty() && coin())
      return extra_ports[below(static_cast<uint32_t>(extra_ports.size()))];
    return below(4) == 0 ? static_cast<uint16_t>(below(65536)) : kPorts[below(std::size(kPorts))];
  }

  // Values of real sockets, drawn half of the time (filter_kernel_test.cpp).
  std::vector<uint16_t> extra_ports;
  std::vector<uint64_t> extra_cgroups;
  bool allow_autobound = true;

  diag::HostCond host_cond() {
    diag::HostCond c;
    switch (below(3)) {
      case 0:  // port only
        c.family = AF_UNSPEC;
        break;
      case 1:
        c.family = AF_INET;
        c.addr = pool_address(AF_INET);
        c.prefix_len = static_cast<uint8_t>(below(4) == 0 ? below(33) : 32 - 8 * below(5));
        break;
      default:
        c.family = AF_INET6;
        c.addr = pool_address(AF_INET6);
        c.prefix_len = static_cast<uint8_t>(below(4) == 0 ? below(129) : 128 - 16 * below(9));
        break;
    }
    c.family_only = c.family != AF_UNSPEC && below(4) == 0;
    c.port = coin() ? -1 : pool_port();
    return c;
  }

  // A random tree of at most `depth` levels; returns its root.
  uint32_t node(diag::Expr& e, int depth) {
    const uint32_t pick = depth <= 0 ? 3 + below(9) : below(12);
    diag::FilterNode n;
    switch (pick) {
      case 0:
        return e.add_and(node(e, depth - 1), node(e, depth - 1));
      case 1:
        return e.add_or(node(e, depth - 1), node(e, depth - 1));
      case 2:
        return e.add_not(node(e, depth - 1));
      case 3:
      case 4: {
        std::vector<diag::HostCond> conds(1 + (below(4) == 0 ? below(3) : 0));
        for (auto& c : conds) c = host_cond();
        return e.add_host(pick == 3 ? diag::FilterOp::kSrc : diag::FilterOp::kDst, conds);
      }
      case 5:
        n.op = std::array{diag::FilterOp::kSportGe, diag::FilterOp::kSportLe,
                          diag::FilterOp::kDportGe, diag::FilterOp::kDportLe}[below(4)];
        n.port = pool_port();
        return e.add(n);
      case 6:
        n.op = diag::FilterOp::kDev;
        n.value = below(3);
        return e.add(n);
      case 7:
        n.op = diag::FilterOp::kMark;
        n.value = std::array<uint32_t, 4>{0, 0x42, 0x1, 0x142}[below(4)];
        n.mask = std::array<uint32_t, 4>{0xffffffff, 0xff, 0x1, 0xf0f}[below(4)];
        return e.add(n);
      case 8:
        n.op = diag::FilterOp::kCgroup;
        n.cgroup_id = below(3) == 0 ? 0 : 1 + below(2);
        if (!extra_cgroups.empty() && coin()) {
          n.cgroup_id = extra_cgroups[below(static_cast<uint32_t>(extra_cgroups.size()))];
        }
        return e.add(n);
      case 9:
        if (!allow_autobound) return node(e, depth);
        n.op = diag::FilterOp::kAutobound;
        return e.add(n);
      default: {
        // Port equality, as `sport = P` parses.
        diag::HostCond c;
        c.port = pool_port();
        return e.add_host(coin() ? diag::FilterOp::kSrc : diag::FilterOp::kDst, {&c, 1});
      }
    }
  }

  diag::Expr expr(int depth) {
    diag::Expr e;
    e.root = node(e, depth);
    return e;
  }

  model::SocketRecord record(uint8_t family) {
    model::SocketRecord r;
    r.family = family;
    r.src = pool_address(r.family);
    r.dst = pool_address(r.family);
    r.sport = pool_port();
    r.dport = pool_port();
    r.state = static_cast<uint8_t>(1 + below(11));
    r.timer = static_cast<uint8_t>(below(5));
    r.ifindex = below(3);
    r.mark = std::array<uint32_t, 5>{0, 0x42, 0x1, 0x142, 0xdead}[below(5)];
    r.cgroup_id = below(3);
    return r;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace tcpscope::testing
