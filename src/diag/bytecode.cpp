// SPDX-License-Identifier: MIT
#include "diag/bytecode.hpp"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tcpscope::diag {

// Our codes are the kernel's (compared as ints: the header's enum is unnamed).
constexpr bool same(int a, int b) { return a == b; }
static_assert(same(kBcNop, INET_DIAG_BC_NOP) && same(kBcJmp, INET_DIAG_BC_JMP));
static_assert(same(kBcSGe, INET_DIAG_BC_S_GE) && same(kBcDLe, INET_DIAG_BC_D_LE));
static_assert(same(kBcAuto, INET_DIAG_BC_AUTO) && same(kBcSCond, INET_DIAG_BC_S_COND));
static_assert(same(kBcDCond, INET_DIAG_BC_D_COND) && same(kBcDevCond, INET_DIAG_BC_DEV_COND));
static_assert(same(kBcMarkCond, INET_DIAG_BC_MARK_COND) && same(kBcSEq, INET_DIAG_BC_S_EQ));
static_assert(same(kBcDEq, INET_DIAG_BC_D_EQ) && same(kBcCgroupCond, INET_DIAG_BC_CGROUP_COND));
static_assert(sizeof(inet_diag_bc_op) == 4 && sizeof(inet_diag_hostcond) == 8);

namespace {

struct Op {
  uint8_t code;
  uint8_t yes;
  uint16_t no;
};

Op read_op(std::span<const std::byte> p, size_t off) {
  Op op;
  std::memcpy(&op, p.data() + off, sizeof op);
  return op;
}

// ---------------------------------------------------------------------------------------------
// Compiler. Each sub-program accepts by running off its end and rejects by jumping 4 past it.

struct Code {
  enum Kind : uint8_t { kTrue, kFalse, kOps } kind = kTrue;
  std::vector<uint8_t> b;
};

// resize + memcpy rather than insert(): g++ 12 -O3 warns falsely (stringop-overflow) about
// inserting a few bytes at the end of an empty vector.
void append(std::vector<uint8_t>& b, const void* p, size_t n) {
  const size_t at = b.size();
  b.resize(at + n);
  std::memcpy(b.data() + at, p, n);
}

void put_op(std::vector<uint8_t>& b, uint8_t code, size_t yes, size_t no) {
  const Op op{code, static_cast<uint8_t>(yes), static_cast<uint16_t>(no)};
  append(b, &op, sizeof op);
}

template <typename T>
void put(std::vector<uint8_t>& b, const T& v) {
  append(b, &v, sizeof v);
}

uint16_t get_no(const std::vector<uint8_t>& b, size_t off) {
  uint16_t no;
  std::memcpy(&no, b.data() + off + 2, sizeof no);
  return no;
}

void set_no(std::vector<uint8_t>& b, size_t off, size_t no) {
  const auto v = static_cast<uint16_t>(no);
  std::memcpy(b.data() + off + 2, &v, sizeof v);
}

class Compiler {
 public:
  Compiler(const Expr& e, uint8_t family, const CompileOptions& opts)
      : e_(e), family_(family), opts_(opts) {}

  // `positive`: the node is under an even number of NOTs, so "true" widens the result.
  Code node(uint32_t i, bool positive) {
    const FilterNode& n = e_.nodes[i];
    switch (n.op) {
      case FilterOp::kAnd:
        return conj(node(n.lhs, positive), node(n.rhs, positive));
      case FilterOp::kOr:
        return disj(node(n.lhs, positive), node(n.rhs, positive));
      case FilterOp::kNot:
        return negate(node(n.lhs, !positive));
      case FilterOp::kSrc:
      case FilterOp::kDst:
        return host(n);
      case FilterOp::kSportGe:
        return port_cmp(kBcSGe, n.port);
      case FilterOp::kSportLe:
        return port_cmp(kBcSLe, n.port);
      case FilterOp::kDportGe:
        return port_cmp(kBcDGe, n.port);
      case FilterOp::kDportLe:
        return port_cmp(kBcDLe, n.port);
      case FilterOp::kAutobound: {
        Code c{Code::kOps, {}};
        put_op(c.b, kBcAuto, 4, 8);
        return c;
      }
      case FilterOp::kDev: {
        if (!opts_.dev) return relaxed(positive);
        Code c{Code::kOps, {}};
        put_op(c.b, kBcDevCond, 8, 12);
        put(c.b, n.value);
        return c;
      }
      case FilterOp::kMark: {
        if (!opts_.mark) return relaxed(positive);
        Code c{Code::kOps, {}};
        put_op(c.b, kBcMarkCond, 12, 16);
        put(c.b, n.value);
        put(c.b, n.mask);
        return c;
      }
      case FilterOp::kCgroup: {
        if (!opts_.cgroup) return relaxed(positive);
        Code c{Code::kOps, {}};
        put_op(c.b, kBcCgroupCond, 12, 16);
        put(c.b, n.cgroup_id);
        return c;
      }
    }
    std::abort();  // unreachable: every FilterOp is handled above
  }

  bool exact() const { return exact_; }
  bool overflow() const { return overflow_; }

 private:
  Code relaxed(bool positive) {
    exact_ = false;
    return Code{positive ? Code::kTrue : Code::kFalse, {}};
  }

  bool fits(size_t len) {
    if (len > kMaxProgramLength) overflow_ = true;
    return !overflow_;
  }

  // A then B; A's rejects (jumps to 4 past A's end) are moved to 4 past B's end.
  Code conj(Code a, Code b) {
    if (a.kind == Code::kFalse || b.kind == Code::kFalse) return Code{Code::kFalse, {}};
    if (a.kind == Code::kTrue) return b;
    if (b.kind == Code::kTrue) return a;
    if (!fits(a.b.size() + b.b.size())) return Code{};
    const size_t la = a.b.size();
    for (size_t off = 0; off < la; off += a.b[off + 1]) {
      if (get_no(a.b, off) == la - off + 4) set_no(a.b, off, get_no(a.b, off) + b.b.size());
    }
    append(a.b, b.b.data(), b.b.size());
    return a;
  }

  // A, then a JMP over B (A accepted), then B (A's rejects land on B's first instruction).
  Code disj(Code a, Code b) {
    if (a.kind == Code::kTrue || b.kind == Code::kTrue) return Code{Code::kTrue, {}};
    if (a.kind == Code::kFalse) return b;
    if (b.kind == Code::kFalse) return a;
    if (!fits(a.b.size() + 4 + b.b.size())) return Code{};
    put_op(a.b, kBcJmp, 4, b.b.size() + 4);
    append(a.b, b.b.data(), b.b.size());
    return a;
  }

  // A, then JMP yes=4 no=8: A's accept reaches the JMP, which rejects; A's rejects land on the
  // end, which accepts.
  Code negate(Code a) {
    if (a.kind == Code::kTrue) return Code{Code::kFalse, {}};
    if (a.kind == Code::kFalse) return Code{Code::kTrue, {}};
    if (!fits(a.b.size() + 4)) return Code{};
    put_op(a.b, kBcJmp, 4, 8);
    return a;
  }

  Code port_cmp(uint8_t code, uint32_t port) {
    // An inode bound beyond any port: >= is never true, <= always.
    if (port > 65535) {
      const bool ge = code == kBcSGe || code == kBcDGe;
      return Code{ge ? Code::kFalse : Code::kTrue, {}};
    }
    Code c{Code::kOps, {}};
    put_op(c.b, code, 8, 12);
    put_op(c.b, 0, 0, port);
    return c;
  }

  // Every condition of the list, each with its own family, prefix, port and address:
  //   [COND yes=L no=L+4]{cond 1} [JMP yes=4 no=to end] [COND ...]{cond 2} ... {cond n}
  // A failing condition skips its JMP to try the next; the last one's failure rejects.
  Code host(const FilterNode& n) {
    const uint8_t code = n.op == FilterOp::kSrc ? kBcSCond : kBcDCond;
    std::vector<const HostCond*> keep;
    size_t total = 0;
    for (uint32_t k = n.first; k < n.first + n.count; ++k) {
      const HostCond& c = e_.conds[k];
      // Conditions no socket of this dump can meet: an inet:/inet6: condition of the other
      // family, an IPv6 condition in an IPv4 dump.
      if (c.family_only && c.family != family_) continue;
      // Unix name patterns and inode "ports" beyond 65535 match no inet socket.
      if (c.family == AF_UNIX || c.port > 65535) continue;
      if (c.family == AF_INET6 && family_ == AF_INET) continue;
      const bool any_address = c.family == AF_UNSPEC || (c.family == family_ && c.prefix_len == 0);
      if (c.port == -1 && any_address) return Code{Code::kTrue, {}};
      total += (keep.empty() ? 0 : 4) + 12 + (c.family == AF_INET6 ? 16 : 4);
      keep.push_back(&c);
    }
    const size_t count = keep.size();
    if (count == 0) return Code{Code::kFalse, {}};
    if (!fits(total)) return Code{};
    Code out{Code::kOps, {}};
    out.b.reserve(total);
    for (size_t k = 0; k < count; ++k) {
      const HostCond& c = *keep[k];
      const size_t alen = c.family == AF_INET6 ? 16 : 4;
      const size_t len = 12 + alen;
      put_op(out.b, code, len, len + 4);
      inet_diag_hostcond hc{};
      hc.family = c.family;
      hc.prefix_len = c.prefix_len;
      hc.port = static_cast<int>(c.port);
      put(out.b, hc);
      // An AF_UNSPEC (port-only) condition carries 4 zero bytes of address, as ss's does.
      static constexpr std::array<uint8_t, 4> kNoAddress{};
      append(out.b, c.family == AF_UNSPEC ? kNoAddress.data() : c.addr.data(), alen);
      if (k + 1 < count) put_op(out.b, kBcJmp, 4, total - out.b.size());
    }
    return out;
  }

  const Expr& e_;
  uint8_t family_;
  CompileOptions opts_;
  bool exact_ = true;
  bool overflow_ = false;
};

// ---------------------------------------------------------------------------------------------
// The kernel's audit (net/ipv4/inet_diag.c, inet_diag_bc_audit and helpers).

Error audit_error(const char* what, size_t off, int err = EINVAL) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "bytecode audit: %s at offset %zu", what, off);
  return Error::from_errno(buf, err);
}

// True if `cc` bytes before the end is the start of an instruction reached by `yes` steps.
bool valid_cc(std::span<const std::byte> p, long cc) {
  long len = static_cast<long>(p.size());
  size_t off = 0;
  while (len >= 0) {
    if (cc > len) return false;
    if (cc == len) return true;
    if (len < 4) return false;
    const Op op = read_op(p, off);
    if (op.yes < 4 || (op.yes & 3) != 0) return false;
    len -= op.yes;
    off += op.yes;
  }
  return false;
}

}  // namespace

Program compile_filter(const Expr& expr, uint8_t family, const CompileOptions& options) {
  if (family != AF_INET && family != AF_INET6) {
    std::fprintf(stderr, "compile_filter: family must be AF_INET or AF_INET6\n");
    std::abort();
  }
  Program p;
  if (expr.empty()) return p;
  Compiler c(expr, family, options);
  Code code = c.node(expr.root, true);
  p.exact = c.exact();
  if (c.overflow()) {
    // Too long for one attribute: let user space do all of it.
    p.kind = ProgramKind::kMatchAll;
    p.exact = false;
    return p;
  }
  if (code.kind == Code::kTrue) return p;
  if (code.kind == Code::kFalse) {
    p.kind = ProgramKind::kMatchNone;
    return p;
  }
  p.kind = ProgramKind::kBytecode;
  p.bytecode.resize(code.b.size());
  std::memcpy(p.bytecode.data(), code.b.data(), code.b.size());
  if (auto st = audit_bytecode(p.bytecode); !st) {
    std::fprintf(stderr, "compile_filter: generated a program the kernel would refuse: %s\n%s",
                 st.error().what().c_str(), disassemble(p.bytecode).c_str());
    std::abort();
  }
  return p;
}

Status audit_bytecode(std::span<const std::byte> p, bool cap_net_admin) {
  if (p.size() < 4) return fail(audit_error("program shorter than one instruction", 0));
  long len = static_cast<long>(p.size());
  size_t off = 0;
  while (len > 0) {
    if (len < 4) return fail(audit_error("truncated instruction", off));
    const Op op = read_op(p, off);
    long min_len = 4;
    switch (op.code) {
      case kBcSCond:
      case kBcDCond: {
        min_len += 8;
        if (len < min_len) return fail(audit_error("truncated hostcond", off));
        const auto fam = static_cast<uint8_t>(p[off + 4]);
        const auto plen = static_cast<uint8_t>(p[off + 5]);
        long alen = 0;
        if (fam == AF_INET) {
          alen = 4;
        } else if (fam == AF_INET6) {
          alen = 16;
        } else if (fam != AF_UNSPEC) {
          return fail(audit_error("hostcond family not AF_UNSPEC/AF_INET/AF_INET6", off));
        }
        min_len += alen;
        if (len < min_len) return fail(audit_error("truncated hostcond address", off));
        if (plen > 8 * alen) return fail(audit_error("prefix longer than the address", off));
        break;
      }
      case kBcDevCond:
        min_len += 4;
        if (len < min_len) return fail(audit_error("truncated DEV_COND", off));
        break;
      case kBcSEq:
      case kBcSGe:
      case kBcSLe:
      case kBcDEq:
      case kBcDGe:
      case kBcDLe:
        min_len += 4;
        if (len < min_len) return fail(audit_error("port comparison without its port", off));
        break;
      case kBcMarkCond:
        if (!cap_net_admin) return fail(audit_error("MARK_COND needs CAP_NET_ADMIN", off, EPERM));
        min_len += 8;
        if (len < min_len) return fail(audit_error("truncated MARK_COND", off));
        break;
      case kBcCgroupCond:
        min_len += 8;
        if (len < min_len) return fail(audit_error("truncated CGROUP_COND", off));
        break;
      case kBcAuto:
      case kBcJmp:
      case kBcNop:
        break;
      default:
        return fail(audit_error("unknown code", off));
    }
    if (op.code != kBcNop) {
      if (op.no < min_len || op.no > len + 4 || (op.no & 3) != 0) {
        return fail(audit_error("bad \"no\" offset", off));
      }
      if (op.no < len && !valid_cc(p, len - op.no)) {
        return fail(audit_error("\"no\" does not land on an instruction", off));
      }
    }
    if (op.yes < min_len || op.yes > len + 4 || (op.yes & 3) != 0) {
      return fail(audit_error("bad \"yes\" offset", off));
    }
    off += op.yes;
    len -= op.yes;
  }
  if (len != 0) return fail(audit_error("instructions overrun the program", off));
  return {};
}

std::string disassemble(std::span<const std::byte> p) {
  static constexpr const char* kNames[] = {"NOP",       "JMP",  "S_GE",   "S_LE",       "D_GE",
                                           "D_LE",      "AUTO", "S_COND", "D_COND",     "DEV_COND",
                                           "MARK_COND", "S_EQ", "D_EQ",   "CGROUP_COND"};
  std::string out;
  size_t off = 0;
  char buf[160];
  while (off < p.size()) {
    if (p.size() - off < 4) break;
    const Op op = read_op(p, off);
    const char* name = op.code < std::size(kNames) ? kNames[op.code] : "?";
    std::snprintf(buf, sizeof buf, "@%zu %s yes=%u no=%u", off, name, op.yes, op.no);
    out += buf;
    const size_t rest = p.size() - off;
    switch (op.code) {
      case kBcSGe:
      case kBcSLe:
      case kBcDGe:
      case kBcDLe:
      case kBcSEq:
      case kBcDEq:
        if (rest >= 8) {
          std::snprintf(buf, sizeof buf, " [port %u]", read_op(p, off + 4).no);
          out += buf;
        }
        break;
      case kBcSCond:
      case kBcDCond:
        if (rest >= 12) {
          inet_diag_hostcond hc;
          std::memcpy(&hc, p.data() + off + 4, sizeof hc);
          std::snprintf(buf, sizeof buf, " {fam %u, plen %u, port %d", hc.family, hc.prefix_len,
                        hc.port);
          out += buf;
          const size_t alen = hc.family == AF_INET6 ? 16 : 4;
          if (hc.family != AF_UNSPEC && rest >= 12 + alen) {
            char a[INET6_ADDRSTRLEN];
            inet_ntop(hc.family == AF_INET6 ? AF_INET6 : AF_INET, p.data() + off + 12, a, sizeof a);
            out += ", ";
            out += a;
          }
          out += '}';
        }
        break;
      case kBcDevCond:
        if (rest >= 8) {
          uint32_t v;
          std::memcpy(&v, p.data() + off + 4, 4);
          std::snprintf(buf, sizeof buf, " {ifindex %u}", v);
          out += buf;
        }
        break;
      case kBcMarkCond:
        if (rest >= 12) {
          uint32_t v[2];
          std::memcpy(v, p.data() + off + 4, 8);
          std::snprintf(buf, sizeof buf, " {mark 0x%x, mask 0x%x}", v[0], v[1]);
          out += buf;
        }
        break;
      case kBcCgroupCond:
        if (rest >= 12) {
          uint64_t v;
          std::memcpy(&v, p.data() + off + 4, 8);
          std::snprintf(buf, sizeof buf, " {id %llu}", static_cast<unsigned long long>(v));
          out += buf;
        }
        break;
      default:
        break;
    }
    out += '\n';
    if (op.yes == 0) break;
    off += op.yes;
  }
  if (off < p.size()) {
    std::snprintf(buf, sizeof buf, "@%zu ?\n", off);
    out += buf;
  }
  return out;
}

}  // namespace tcpscope::diag
