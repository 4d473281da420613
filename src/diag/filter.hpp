// SPDX-License-Identifier: MIT
// Socket filter expressions in ss's language: parsing, the expression tree, and its user-space
// evaluation.
//
//   auto f = parse_filter({words, file_text, file_name}, options);  // state words + expression
//   Program p = compile_filter(f->expr, AF_INET);                  // diag/bytecode.hpp
//   req.bytecode = p.bytecode;                                     // unless kMatchNone: skip
//   FilteringVisitor v(f->expr, ctx, p.exact && live_netlink, printer);
//   source.dump(req, v);
//
// The tree is flat (nodes refer to each other by index) and evaluating it never allocates, so
// it can run on every record of a 200k-socket table. matches() has the kernel's semantics
// exactly (host-order ports, AF_INET conditions matching v4-mapped AF_INET6 sockets, prefix 0
// and port -1 meaning any), except `autobound`, which user space can only approximate (see
// MatchContext). Common mistake: evaluating in user space the records of a dump that already
// ran an exact program: the kernel's verdict is the better one (autobound, TIME-WAIT marks),
// and re-checking can only remove rows the kernel rightly kept.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/dump.hpp"
#include "model/socket_record.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::diag {

enum class FilterOp : uint8_t {
  kAnd,  // lhs and rhs
  kOr,   // lhs or rhs
  kNot,  // not lhs
  kSrc,  // local side matches any of conds[first, first + count)
  kDst,  // remote side matches any of conds[first, first + count)
  kSportGe,
  kSportLe,
  kDportGe,
  kDportLe,
  kDev,        // bound interface (idiag_if) == value; 0 = not bound
  kMark,       // (mark & mask) == value
  kCgroup,     // cgroup v2 id == cgroup_id
  kAutobound,  // local port not explicitly bound
};

// One address/port condition, as the kernel's struct inet_diag_hostcond plus a family flag.
// Invariant: an AF_UNSPEC condition has prefix_len 0 (it tests the port only). An AF_UNIX
// condition is a shell pattern (Expr::patterns[pattern]) matched, as ss does, with
// fnmatch(FNM_CASEFOLD) against a unix socket's name as printed ("" when unnamed); it never
// matches another family's socket. On a unix socket, port conditions compare inodes (the
// socket's for sport/src, its peer's for dport/dst), and address conditions never match.
struct HostCond {
  uint8_t family = 0;              // AF_UNSPEC (any address), AF_INET, AF_INET6 or AF_UNIX
  uint8_t prefix_len = 0;          // leading bits of addr that must match; 0 = any address
  bool family_only = false;        // from an inet:/inet6: prefix: sockets of exactly `family`
  int64_t port = -1;               // -1 = any port; above 65535 only for unix inodes
  std::array<uint8_t, 16> addr{};  // network order; IPv4 in the first 4 bytes
  uint32_t pattern = 0;            // AF_UNIX: index into Expr::patterns
};

struct FilterNode {
  FilterOp op = FilterOp::kAutobound;
  uint32_t port = 0;           // k{S,D}port{Ge,Le}
  uint32_t lhs = 0;            // kAnd, kOr, kNot
  uint32_t rhs = 0;            // kAnd, kOr
  uint32_t first = 0;          // kSrc, kDst: index into Expr::conds
  uint32_t count = 0;          // kSrc, kDst: number of conditions (>= 1)
  uint32_t value = 0;          // kDev: ifindex; kMark: mark
  uint32_t mask = 0xffffffff;  // kMark
  uint64_t cgroup_id = 0;      // kCgroup
};

inline constexpr uint32_t kNoNode = 0xffffffff;

// The expression tree. Children always have smaller indexes than their parent.
struct Expr {
  std::vector<FilterNode> nodes;
  std::vector<HostCond> conds;
  std::vector<std::string> patterns;  // AF_UNIX conditions' patterns
  uint32_t root = kNoNode;            // kNoNode: no expression, every socket matches

  bool empty() const { return root == kNoNode; }
  bool uses(FilterOp op) const;
  // Appends a node and makes it the root (so the last node added is the root).
  uint32_t add(const FilterNode& n);
  uint32_t add_and(uint32_t a, uint32_t b);
  uint32_t add_or(uint32_t a, uint32_t b);
  uint32_t add_not(uint32_t a);
  uint32_t add_host(FilterOp side, std::span<const HostCond> conds);
};

// What user space needs to approximate the kernel's `autobound`. The kernel tests "the socket
// did not bind its port explicitly" (no SOCK_BINDPORT_LOCK), which a dump does not report, so
// for records not filtered by the kernel, as ss does, a full socket counts as autobound when its
// local port lies in ip_local_port_range. TIME-WAIT (timer 3 or state TIME-WAIT) and SYN-RECV
// (request) sockets are always autobound, as in the kernel.
struct MatchContext {
  uint16_t ephemeral_lo = 32768;  // net.ipv4.ip_local_port_range (the kernel's default)
  uint16_t ephemeral_hi = 60999;
};

// True if `rec` matches `expr` (always true for an empty expression). Never allocates.
bool matches(const Expr& expr, const model::SocketRecord& rec, const MatchContext& ctx);

// The canonical text of a tree, for tests and --debug output:
// (and (or (dst 127.0.0.1/32) (sport>= 1024)) (not autobound)).
std::string to_string(const Expr& expr);

// Name lookups the parser needs; the system's by default, a fake in tests and fuzzers.
class FilterResolver {
 public:
  struct Address {
    uint8_t family;  // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes;
  };
  virtual ~FilterResolver() = default;
  // Every address of a host name (family AF_UNSPEC: IPv4 first, then IPv6); empty if none.
  virtual std::vector<Address> host(std::string_view name, uint8_t family) = 0;
  // Port of a service name for "tcp" or "udp" (getservbyname), nullopt if unknown.
  virtual std::optional<uint16_t> service(std::string_view name, std::string_view proto) = 0;
  // Interface index of a name, nullopt if there is no such interface.
  virtual std::optional<uint32_t> ifindex(std::string_view name) = 0;
  // The cgroup v2 id of a path relative to the cgroup2 mount ("/", "/system.slice").
  virtual Result<uint64_t> cgroup_id(std::string_view path) = 0;
  // Why the last host() found nothing, when the lookup itself failed ("Name or service not
  // known", "Temporary failure in name resolution"); "" when unknown.
  virtual std::string host_error() const { return {}; }
};

// The resolver backed by the system: getaddrinfo, getservbyname_r, if_nametoindex, and
// name_to_handle_at on the cgroup2 mount (found in /proc/self/mounts).
FilterResolver& system_resolver();

struct ParseOptions {
  // The family of addresses without a prefix: -4/-6 (AF_INET/AF_INET6), or AF_UNIX when the
  // last family flag was -x / -f unix (an address is then a name pattern, as in ss).
  uint8_t family = 0;
  bool unix_ports = false;  // unix tables are dumped: ports may be inodes (up to 2^32 - 1)
  bool tcp = true;          // tables dumped: service names are looked up for these protocols
  bool udp = true;
  FilterResolver* resolver = nullptr;  // nullptr: system_resolver()
};

struct FilterInput {
  std::span<const std::string> args;  // positional words, state words first
  std::string_view file;              // content of a -F file, read after the words
  std::string_view file_name;         // for messages about the file's lines
};

struct Filter {
  // From leading `state NAME` / `exclude NAME` words: nullopt when there were none (the
  // command's default, -a or -l decide). May be 0 (`state established exclude established`):
  // then nothing matches, and no dump is needed.
  std::optional<model::StateMask> states;
  Expr expr;

  // fwmark conditions need the MARK attribute and MARK_COND, both CAP_NET_ADMIN only.
  bool needs_cap_net_admin() const { return expr.uses(FilterOp::kMark); }
  // /proc/net/* has no mark, cgroup or bound device: on /proc records (Origin::kProc) these
  // conditions would test zeros.
  // A unix: condition (or an address under -x): ss then shows the unix tables only.
  bool uses_unix() const {
    for (const auto& c : expr.conds) {
      if (c.family == 1) return true;  // AF_UNIX
    }
    return false;
  }
  bool needs_netlink() const {
    return expr.uses(FilterOp::kMark) || expr.uses(FilterOp::kCgroup) || expr.uses(FilterOp::kDev);
  }
};

// Parses ss's filter language. Words are split on whitespace wherever they come from (one
// quoted argument or many), a backslash escapes the next character, leading state/exclude
// words give the state mask, and the rest is the expression (grouped left to right: `a or b
// and c` is `(a or b) and c`, as ss does). Errors are usage errors naming the word and its
// position: `filter: unexpected "and" at word 3`.
Result<Filter> parse_filter(const FilterInput& input, const ParseOptions& options = {});
// The words of the expression language that are keywords (`dport`, `and`, `autobound`, ...;
// not the symbols such as `&&` or `>=`), for shell completion. `state` and `exclude` lead the
// state list and are not among them.
std::vector<std::string_view> filter_keywords();

// Passes on the records that match. `kernel_filtered`: the dump ran an exact program in the
// kernel (Program::exact, a live netlink source), so records that came from netlink are passed
// on as they are; records from /proc (the fallback) and everything else are evaluated here.
class FilteringVisitor final : public model::SocketVisitor {
 public:
  FilteringVisitor(const Expr& expr, const MatchContext& ctx, bool kernel_filtered,
                   model::SocketVisitor& next)
      : expr_(expr), ctx_(ctx), kernel_filtered_(kernel_filtered), next_(next) {}
  void on_socket(const model::SocketRecord& rec) override;
  bool on_restart(const model::DumpRequest& req) override { return next_.on_restart(req); }
  uint64_t proc_records() const { return proc_records_; }  // records with Origin::kProc seen

 private:
  const Expr& expr_;
  MatchContext ctx_;
  bool kernel_filtered_;
  model::SocketVisitor& next_;
  uint64_t proc_records_ = 0;
};

// True if this process has CAP_NET_ADMIN in its effective set (capget), which MARK_COND and
// the MARK attribute require.
bool has_cap_net_admin();

// Reads a -F file ("-" = standard input). Its lines are filter words; lines whose first
// non-blank character is '#' are comments.
Result<std::string> read_filter_file(const std::string& path);

}  // namespace tcpscope::diag
