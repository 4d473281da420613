// SPDX-License-Identifier: MIT
// The expression tree: building, evaluating (with the kernel's semantics), printing.
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "diag/filter.hpp"

namespace tcpscope::diag {

namespace {

using model::SocketRecord;
using model::TcpState;

// The first `bits` bits of a and b are equal (the kernel's bitstring_match).
bool prefix_equal(const uint8_t* a, const uint8_t* b, unsigned bits) {
  const unsigned bytes = bits / 8;
  if (bytes != 0 && std::memcmp(a, b, bytes) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff00u >> rest);
  return ((a[bytes] ^ b[bytes]) & mask) == 0;
}

bool is_v4_mapped(const std::array<uint8_t, 16>& a) {
  for (int i = 0; i < 10; ++i) {
    if (a[i] != 0) return false;
  }
  return a[10] == 0xff && a[11] == 0xff;
}

// inet_diag_bc_run's S_COND/D_COND, plus the family_only flag of inet:/inet6: operands.
bool host_matches(const HostCond& c, uint8_t family, const std::array<uint8_t, 16>& addr,
                  uint16_t port) {
  if (c.family == AF_UNIX) return false;  // a name pattern: unix sockets only
  if (c.port != -1 && c.port != port) return false;
  if (c.family_only && family != c.family) return false;
  if (c.family != AF_UNSPEC && c.family != family) {
    // An AF_INET condition also matches an AF_INET6 socket with a v4-mapped address.
    return family == AF_INET6 && c.family == AF_INET && is_v4_mapped(addr) &&
           prefix_equal(addr.data() + 12, c.addr.data(), c.prefix_len);
  }
  if (c.prefix_len == 0) return true;
  return prefix_equal(addr.data(), c.addr.data(), c.prefix_len);
}

// ss's view of a unix socket's name: its printed text, "" when unnamed.
bool unix_name_matches(const Expr& e, const HostCond& c, const SocketRecord& r, bool local) {
  // fnmatch needs C strings: the name as printed (at most 108 bytes) in a stack buffer.
  std::array<char, model::kUnixNameMax + 1> name{};
  size_t n = 0;
  const std::string_view raw = r.unix_name();
  if (local && r.has(model::kAttrUnixName) && !raw.empty()) {
    const std::string_view text = raw[0] != '\0' ? raw.substr(0, raw.find('\0')) : raw;
    for (char ch : text) name[n++] = ch == '\0' ? '@' : ch;
  }
  name[n] = '\0';
  return fnmatch(e.patterns[c.pattern].c_str(), name.data(), FNM_CASEFOLD) == 0;
}

// A src/dst condition on a unix socket: patterns match names, ports match inodes.
bool unix_host_matches(const Expr& e, const HostCond& c, const SocketRecord& r, bool local) {
  if (c.family == AF_UNIX) return unix_name_matches(e, c, r, local);
  const uint32_t inode = local ? r.inode : r.peer_inode;
  if (c.port != -1 && c.port != inode) return false;
  return c.family == AF_UNSPEC && !c.family_only;
}

// The "port" ss compares for a socket of another family: a unix socket's inode (its peer's for
// the remote side), a packet socket's interface, a vsock socket's port.
uint32_t local_port(const SocketRecord& r) {
  if (r.family == AF_UNIX) return r.inode;
  if (r.family == AF_PACKET) return r.ifindex;
  if (r.family == AF_VSOCK) return r.vsock_src_port;
  return r.sport;
}
uint32_t remote_port(const SocketRecord& r) {
  if (r.family == AF_UNIX) return r.peer_inode;
  if (r.family == AF_PACKET) return 0;
  if (r.family == AF_VSOCK) return r.vsock_dst_port;
  return r.dport;
}

bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

bool autobound(const SocketRecord& r, const MatchContext& ctx) {
  if (r.family == AF_UNIX) {
    // Unnamed, or an autobind name: '@' and five hex digits (the kernel's "\0%05x").
    const std::string_view n = r.unix_name();
    if (!r.has(model::kAttrUnixName) || n.empty()) return true;
    if (n.size() != 6 || n[0] != '\0') return false;
    for (size_t i = 1; i < 6; ++i) {
      if (!is_hex_lower(n[i])) return false;
    }
    return true;
  }
  if (r.family == AF_PACKET) return r.ifindex == 0 && r.raw_protocol == 0;
  // TIME-WAIT mini-sockets (timer 3, state FIN-WAIT-2 or TIME-WAIT) and request sockets have
  // no user locks: the kernel always counts them as autobound.
  if (r.timer == 3 || r.state == static_cast<uint8_t>(TcpState::kTimeWait) ||
      r.state == static_cast<uint8_t>(TcpState::kSynRecv)) {
    return true;
  }
  return r.sport >= ctx.ephemeral_lo && r.sport <= ctx.ephemeral_hi;
}

bool eval(const Expr& e, uint32_t i, const SocketRecord& r, const MatchContext& ctx) {
  const FilterNode& n = e.nodes[i];
  switch (n.op) {
    case FilterOp::kAnd:
      return eval(e, n.lhs, r, ctx) && eval(e, n.rhs, r, ctx);
    case FilterOp::kOr:
      return eval(e, n.lhs, r, ctx) || eval(e, n.rhs, r, ctx);
    case FilterOp::kNot:
      return !eval(e, n.lhs, r, ctx);
    case FilterOp::kSrc:
    case FilterOp::kDst: {
      const bool src = n.op == FilterOp::kSrc;
      for (uint32_t k = n.first; k < n.first + n.count; ++k) {
        if (r.family == AF_UNIX) {
          if (unix_host_matches(e, e.conds[k], r, src)) return true;
        } else if (r.family == AF_PACKET || r.family == AF_VSOCK) {
          // Packet and vsock sockets: only port (interface, vsock port) conditions can hold.
          const HostCond& c = e.conds[k];
          if (c.family == AF_UNSPEC && !c.family_only &&
              (c.port == -1 || c.port == (src ? local_port(r) : remote_port(r)))) {
            return true;
          }
        } else if (host_matches(e.conds[k], r.family, src ? r.src : r.dst,
                                src ? r.sport : r.dport)) {
          return true;
        }
      }
      return false;
    }
    case FilterOp::kSportGe:
      return local_port(r) >= n.port;
    case FilterOp::kSportLe:
      return local_port(r) <= n.port;
    case FilterOp::kDportGe:
      return remote_port(r) >= n.port;
    case FilterOp::kDportLe:
      return remote_port(r) <= n.port;
    case FilterOp::kDev:
      return r.ifindex == n.value;
    case FilterOp::kMark:
      return (r.mark & n.mask) == n.value;
    case FilterOp::kCgroup:
      return r.cgroup_id == n.cgroup_id;
    case FilterOp::kAutobound:
      return autobound(r, ctx);
  }
  std::abort();  // unreachable: every FilterOp is handled above
}

void append_cond(std::string& out, const Expr& e, const HostCond& c) {
  if (c.family == AF_UNIX) {
    out += "unix:" + e.patterns[c.pattern];
    return;
  }
  if (c.family_only) out += c.family == AF_INET6 ? "inet6:" : "inet:";
  char buf[INET6_ADDRSTRLEN + 8];
  if (c.family == AF_INET && c.prefix_len != 0) {
    inet_ntop(AF_INET, c.addr.data(), buf, sizeof buf);
    out += buf;
    out += '/' + std::to_string(c.prefix_len);
  } else if (c.family == AF_INET6 && c.prefix_len != 0) {
    inet_ntop(AF_INET6, c.addr.data(), buf, sizeof buf);
    out += '[';
    out += buf;
    out += "]/" + std::to_string(c.prefix_len);
  } else {
    out += '*';
  }
  if (c.port != -1) out += ':' + std::to_string(c.port);
}

void append_node(std::string& out, const Expr& e, uint32_t i) {
  const FilterNode& n = e.nodes[i];
  const auto binary = [&](const char* name) {
    out += '(';
    out += name;
    out += ' ';
    append_node(out, e, n.lhs);
    out += ' ';
    append_node(out, e, n.rhs);
    out += ')';
  };
  switch (n.op) {
    case FilterOp::kAnd:
      return binary("and");
    case FilterOp::kOr:
      return binary("or");
    case FilterOp::kNot:
      out += "(not ";
      append_node(out, e, n.lhs);
      out += ')';
      return;
    case FilterOp::kSrc:
    case FilterOp::kDst:
      out += n.op == FilterOp::kSrc ? "(src " : "(dst ";
      for (uint32_t k = n.first; k < n.first + n.count; ++k) {
        if (k != n.first) out += '|';
        append_cond(out, e, e.conds[k]);
      }
      out += ')';
      return;
    case FilterOp::kSportGe:
      out += "(sport >= " + std::to_string(n.port) + ')';
      return;
    case FilterOp::kSportLe:
      out += "(sport <= " + std::to_string(n.port) + ')';
      return;
    case FilterOp::kDportGe:
      out += "(dport >= " + std::to_string(n.port) + ')';
      return;
    case FilterOp::kDportLe:
      out += "(dport <= " + std::to_string(n.port) + ')';
      return;
    case FilterOp::kDev:
      out += "(dev " + std::to_string(n.value) + ')';
      return;
    case FilterOp::kMark: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "(fwmark 0x%x/0x%x)", n.value, n.mask);
      out += buf;
      return;
    }
    case FilterOp::kCgroup:
      out += "(cgroup " + std::to_string(n.cgroup_id) + ')';
      return;
    case FilterOp::kAutobound:
      out += "autobound";
      return;
  }
}

}  // namespace

bool Expr::uses(FilterOp op) const {
  for (const auto& n : nodes) {
    if (n.op == op) return true;
  }
  return false;
}

uint32_t Expr::add(const FilterNode& n) {
  const auto index = static_cast<uint32_t>(nodes.size());
  const bool has_lhs = n.op == FilterOp::kAnd || n.op == FilterOp::kOr || n.op == FilterOp::kNot;
  const bool has_rhs = n.op == FilterOp::kAnd || n.op == FilterOp::kOr;
  if ((has_lhs && n.lhs >= index) || (has_rhs && n.rhs >= index)) {
    std::fprintf(stderr, "filter: a node must refer to earlier nodes only\n");
    std::abort();
  }
  nodes.push_back(n);
  root = index;
  return index;
}

uint32_t Expr::add_and(uint32_t a, uint32_t b) {
  FilterNode n;
  n.op = FilterOp::kAnd;
  n.lhs = a;
  n.rhs = b;
  return add(n);
}

uint32_t Expr::add_or(uint32_t a, uint32_t b) {
  FilterNode n;
  n.op = FilterOp::kOr;
  n.lhs = a;
  n.rhs = b;
  return add(n);
}

uint32_t Expr::add_not(uint32_t a) {
  FilterNode n;
  n.op = FilterOp::kNot;
  n.lhs = a;
  return add(n);
}

uint32_t Expr::add_host(FilterOp side, std::span<const HostCond> list) {
  FilterNode n;
  n.op = side;
  n.first = static_cast<uint32_t>(conds.size());
  n.count = static_cast<uint32_t>(list.size());
  conds.insert(conds.end(), list.begin(), list.end());
  return add(n);
}

bool matches(const Expr& expr, const SocketRecord& rec, const MatchContext& ctx) {
  return expr.empty() || eval(expr, expr.root, rec, ctx);
}

void FilteringVisitor::on_socket(const SocketRecord& rec) {
  const bool from_proc = rec.origin == model::Origin::kProc;
  proc_records_ += from_proc ? 1 : 0;
  if ((kernel_filtered_ && !from_proc) || matches(expr_, rec, ctx_)) next_.on_socket(rec);
}

std::string to_string(const Expr& expr) {
  std::string out;
  if (!expr.empty()) append_node(out, expr, expr.root);
  return out;
}

}  // namespace tcpscope::diag
