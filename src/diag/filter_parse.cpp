// SPDX-License-Identifier: MIT
// ss's filter language: words,
// state words, the expression grammar and its operands.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <limits>

#include "base/file.hpp"
#include "diag/filter.hpp"

namespace tcpscope::diag {

namespace {

// Deep enough for any hand-written expression; keeps the recursive parser, evaluator and
// compiler far from the stack limit on hostile input.
constexpr int kMaxDepth = 200;
constexpr size_t kMaxNodes = 4096;

struct Token {
  std::string text;
  uint32_t word = 0;  // 1-based position among all words
  uint32_t line = 0;  // 1-based line of the -F file; 0 for a command-line word
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Splits on whitespace; a backslash makes the next character part of the word (and is
// dropped), as ssfilter.y's get_token_from_line does.
void split_words(std::string_view s, uint32_t line, std::vector<Token>& out) {
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    if (i >= s.size()) break;
    Token t;
    t.line = line;
    while (i < s.size() && !is_space(s[i])) {
      if (s[i] == '\\') {
        ++i;
        if (i >= s.size()) break;
      }
      t.text.push_back(s[i]);
      ++i;
    }
    // A lone trailing backslash makes an empty word; ss skips it too.
    if (!t.text.empty()) out.push_back(std::move(t));
  }
}

void split_file(std::string_view file, std::vector<Token>& out) {
  uint32_t line = 0;
  while (!file.empty()) {
    const size_t nl = file.find('\n');
    std::string_view text = file.substr(0, nl);
    file = nl == std::string_view::npos ? std::string_view{} : file.substr(nl + 1);
    ++line;
    size_t k = 0;
    while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
    // Comments. ss also skips lines starting with '0' (a typo for '\0'); tcpscope does not.
    if (k < text.size() && text[k] == '#') continue;
    split_words(text, line, out);
  }
}

enum class Kw : uint8_t {
  kOperand,
  kNot,
  kAnd,
  kOr,
  kLParen,
  kRParen,
  kDst,
  kSrc,
  kDport,
  kSport,
  kDev,
  kFwmark,
  kCgroup,
  kAutobound,
  kGe,
  kLe,
  kNe,
  kEq,
  kGt,
  kLt,
};

struct KeywordEntry {
  std::string_view word;
  Kw kw;
};
constexpr KeywordEntry kWords[] = {
    {"!", Kw::kNot},
    {"not", Kw::kNot},
    {"&", Kw::kAnd},
    {"&&", Kw::kAnd},
    {"and", Kw::kAnd},
    {"|", Kw::kOr},
    {"||", Kw::kOr},
    {"or", Kw::kOr},
    {"(", Kw::kLParen},
    {")", Kw::kRParen},
    {"dst", Kw::kDst},
    {"src", Kw::kSrc},
    {"dport", Kw::kDport},
    {"sport", Kw::kSport},
    {"dev", Kw::kDev},
    {"fwmark", Kw::kFwmark},
    {"mark", Kw::kFwmark},
    {"cgroup", Kw::kCgroup},
    {">=", Kw::kGe},
    {"ge", Kw::kGe},
    {"geq", Kw::kGe},
    {"<=", Kw::kLe},
    {"le", Kw::kLe},
    {"leq", Kw::kLe},
    {"!=", Kw::kNe},
    {"ne", Kw::kNe},
    {"neq", Kw::kNe},
    {"=", Kw::kEq},
    {"==", Kw::kEq},
    {"eq", Kw::kEq},
    {">", Kw::kGt},
    {"gt", Kw::kGt},
    {"<", Kw::kLt},
    {"lt", Kw::kLt},
    {"autobound", Kw::kAutobound},
};

Kw classify(std::string_view w) {
  for (const auto& e : kWords) {
    if (e.word == w) return e.kw;
  }
  return Kw::kOperand;
}

// A C integer literal as strtoul(base 0) reads it: decimal, 0x hex, or leading-0 octal; no
// sign, nothing after it, at most `max`.
std::optional<uint64_t> parse_c_uint(std::string_view s, uint64_t max) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.size() > 1 && s[0] == '0') {
    base = 8;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

// ss's get_addr_ipv4: one to four dot-separated C literals <= 255; missing trailing bytes are
// zero ("127.1" is 127.1.0.0, "10" is 10.0.0.0).
bool parse_ipv4(std::string_view s, std::array<uint8_t, 16>& out) {
  out = {};
  for (int i = 0; i < 4; ++i) {
    const size_t dot = s.find('.');
    auto v = parse_c_uint(s.substr(0, dot), 255);
    if (!v) return false;
    out[i] = static_cast<uint8_t>(*v);
    if (dot == std::string_view::npos) return true;
    if (i == 3) return false;
    s.remove_prefix(dot + 1);
  }
  return false;
}

bool parse_ipv6(std::string_view s, std::array<uint8_t, 16>& out) {
  std::string z(s);
  return inet_pton(AF_INET6, z.c_str(), out.data()) == 1;
}

// A dotted IPv4 netmask (255.255.255.0) as a prefix length.
std::optional<uint8_t> netmask_bits(std::string_view s) {
  std::array<uint8_t, 16> a{};
  if (std::count(s.begin(), s.end(), '.') != 3 || !parse_ipv4(s, a)) return std::nullopt;
  const uint32_t m = uint32_t{a[0]} << 24 | uint32_t{a[1]} << 16 | uint32_t{a[2]} << 8 | a[3];
  const uint32_t inv = ~m;
  if ((inv & (inv + 1)) != 0) return std::nullopt;  // not contiguous ones then zeros
  return static_cast<uint8_t>(std::popcount(m));
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseOptions& opts, std::string_view file_name, Expr& out)
      : toks_(std::move(tokens)),
        opts_(opts),
        resolver_(opts.resolver != nullptr ? *opts.resolver : system_resolver()),
        file_name_(file_name),
        e_(out) {}

  Result<std::optional<model::StateMask>> states() {
    std::optional<model::StateMask> mask;
    while (pos_ < toks_.size()) {
      const Token& t = toks_[pos_];
      const bool is_state = t.text == "state";
      if (!is_state && t.text != "exclude" && t.text != "excl") break;
      ++pos_;
      if (pos_ >= toks_.size()) return fail(error(t, "needs a state name after it"));
      const Token& name = toks_[pos_++];
      auto bits = model::parse_state_name(name.text);
      if (!bits) return fail(error(name, "is not a state name"));
      if (!mask) mask = is_state ? 0 : model::kMaskAll;
      if (is_state) {
        *mask |= *bits;
      } else {
        *mask &= ~*bits;
      }
    }
    return mask;
  }

  Status expression() {
    if (pos_ >= toks_.size()) return {};
    auto root = list(0);
    if (!root) return fail(std::move(root.error()));
    if (pos_ < toks_.size()) return fail(unexpected(toks_[pos_]));
    e_.root = *root;
    return {};
  }

 private:
  Error error(const Token& t, std::string_view what) const {
    std::string m = "filter: \"" + t.text + "\" " + where(t) + " " + std::string(what);
    return Error::usage(std::move(m));
  }
  Error unexpected(const Token& t, std::string_view hint = {}) const {
    std::string m = "filter: unexpected \"" + t.text + "\" " + where(t);
    if (!hint.empty()) m += " (" + std::string(hint) + ")";
    return Error::usage(std::move(m));
  }
  Error missing(const Token& after, std::string_view what) const {
    return Error::usage("filter: missing " + std::string(what) + " after \"" + after.text + "\" " +
                        where(after));
  }
  std::string where(const Token& t) const {
    std::string s = "at word " + std::to_string(t.word);
    if (t.line != 0) {
      s += " (";
      s += file_name_.empty() ? std::string("filter file") : std::string(file_name_);
      s += " line " + std::to_string(t.line) + ")";
    }
    return s;
  }

  Kw peek() const { return pos_ < toks_.size() ? classify(toks_[pos_].text) : Kw::kOperand; }
  bool at_end() const { return pos_ >= toks_.size(); }

  Result<uint32_t> add(const FilterNode& n, const Token& at) {
    if (e_.nodes.size() >= kMaxNodes) return fail(error(at, "makes the expression too long"));
    return e_.add(n);
  }

  // list := expr | list OR expr | list AND expr | list expr, grouped left to right (ssfilter.y:
  // the right operand of each rule is a single expr, so there is no AND/OR precedence).
  Result<uint32_t> list(int depth) {
    auto lhs = expr(depth);
    if (!lhs) return lhs;
    uint32_t acc = *lhs;
    while (!at_end()) {
      const Kw k = peek();
      if (k == Kw::kRParen) break;
      FilterNode n;
      n.op = k == Kw::kOr ? FilterOp::kOr : FilterOp::kAnd;
      const Token& at = toks_[pos_];
      if (k == Kw::kOr || k == Kw::kAnd) {
        ++pos_;
        if (at_end()) return fail(missing(at, "an expression"));
      }
      auto rhs = expr(depth);
      if (!rhs) return rhs;
      n.lhs = acc;
      n.rhs = *rhs;
      auto r = add(n, at);
      if (!r) return r;
      acc = *r;
    }
    return acc;
  }

  Result<uint32_t> expr(int depth) {
    const Token& t = toks_[pos_];
    if (depth >= kMaxDepth) return fail(error(t, "is nested too deeply"));
    ++pos_;
    switch (classify(t.text)) {
      case Kw::kLParen: {
        if (at_end()) return fail(missing(t, "an expression"));
        auto inner = list(depth + 1);
        if (!inner) return inner;
        if (at_end()) return fail(error(t, "is not closed"));
        ++pos_;  // list() stops only at the end or at ")"
        return inner;
      }
      case Kw::kNot: {
        if (at_end()) return fail(missing(t, "an expression"));
        auto inner = expr(depth + 1);
        if (!inner) return inner;
        FilterNode n;
        n.op = FilterOp::kNot;
        n.lhs = *inner;
        return add(n, t);
      }
      case Kw::kDst:
      case Kw::kSrc:
        return host_term(t);
      case Kw::kDport:
      case Kw::kSport:
        return port_term(t);
      case Kw::kDev:
      case Kw::kFwmark:
      case Kw::kCgroup:
        return value_term(t);
      case Kw::kAutobound: {
        FilterNode n;
        n.op = FilterOp::kAutobound;
        return add(n, t);
      }
      case Kw::kOperand:
        if (t.text == "state" || t.text == "exclude" || t.text == "excl") {
          return fail(unexpected(t, "state words must come before the expression"));
        }
        return fail(unexpected(t));
      default:
        return fail(unexpected(t));
    }
  }

  // The operand word after `after`; `what` names it in messages.
  Result<const Token*> operand(const Token& after, std::string_view what) {
    if (at_end()) return fail(missing(after, what));
    const Token& t = toks_[pos_];
    if (classify(t.text) != Kw::kOperand) {
      return fail(unexpected(t, "expected " + std::string(what)));
    }
    ++pos_;
    return &t;
  }

  // (dst|src) ["="] HOST
  Result<uint32_t> host_term(const Token& kw) {
    const Token* last = &kw;
    if (!at_end() && peek() == Kw::kEq) last = &toks_[pos_++];
    if (!at_end() && peek() == Kw::kNe) {
      return fail(unexpected(toks_[pos_],
                             "dst/src take only \"=\"; write \"not " + kw.text + " ADDRESS\""));
    }
    auto op = operand(*last, "an address");
    if (!op) return fail(std::move(op.error()));
    std::vector<HostCond> conds;
    if (auto st = parse_host(**op, conds); !st) return fail(std::move(st.error()));
    if (e_.nodes.size() >= kMaxNodes) return fail(error(kw, "makes the expression too long"));
    return e_.add_host(classify(kw.text) == Kw::kDst ? FilterOp::kDst : FilterOp::kSrc, conds);
  }

  // (dport|sport) (>=|<=|>|<|[=]|!=) PORT
  Result<uint32_t> port_term(const Token& kw) {
    const bool dst = classify(kw.text) == Kw::kDport;
    const Token* last = &kw;
    Kw rel = Kw::kEq;
    if (!at_end()) {
      const Kw k = peek();
      if (k == Kw::kGe || k == Kw::kLe || k == Kw::kGt || k == Kw::kLt || k == Kw::kEq ||
          k == Kw::kNe) {
        rel = k;
        last = &toks_[pos_++];
      }
    }
    auto op = operand(*last, "a port");
    if (!op) return fail(std::move(op.error()));
    auto port = parse_port(**op);
    if (!port) return fail(std::move(port.error()));
    if (rel == Kw::kEq || rel == Kw::kNe) {
      HostCond c;
      c.port = *port;
      if (e_.nodes.size() >= kMaxNodes) return fail(error(kw, "makes the expression too long"));
      const uint32_t cond = e_.add_host(dst ? FilterOp::kDst : FilterOp::kSrc, {&c, 1});
      if (rel == Kw::kEq) return cond;
      FilterNode n;
      n.op = FilterOp::kNot;
      n.lhs = cond;
      return add(n, kw);
    }
    if (*port < 0) return fail(error(**op, "cannot bound a port range (use a number)"));
    // > P is not <= P, and < P is not >= P (ssfilter.y).
    const bool ge = rel == Kw::kGe || rel == Kw::kLt;
    FilterNode n;
    n.op = dst ? (ge ? FilterOp::kDportGe : FilterOp::kDportLe)
               : (ge ? FilterOp::kSportGe : FilterOp::kSportLe);
    n.port = static_cast<uint32_t>(*port);
    auto cmp = add(n, kw);
    if (!cmp || rel == Kw::kGe || rel == Kw::kLe) return cmp;
    FilterNode neg;
    neg.op = FilterOp::kNot;
    neg.lhs = *cmp;
    return add(neg, kw);
  }

  // (dev|fwmark|cgroup) ["="|"!="] VALUE
  Result<uint32_t> value_term(const Token& kw) {
    const Kw kind = classify(kw.text);
    const Token* last = &kw;
    bool negate = false;
    if (!at_end() && (peek() == Kw::kEq || peek() == Kw::kNe)) {
      negate = peek() == Kw::kNe;
      last = &toks_[pos_++];
    }
    FilterNode n;
    if (kind == Kw::kDev) {
      auto op = operand(*last, "an interface");
      if (!op) return fail(std::move(op.error()));
      n.op = FilterOp::kDev;
      if (auto idx = resolver_.ifindex((*op)->text)) {
        n.value = *idx;
      } else if (auto num = parse_c_uint((*op)->text, std::numeric_limits<uint32_t>::max())) {
        n.value = static_cast<uint32_t>(*num);
      } else {
        return fail(error(**op, "is not an interface name or index"));
      }
    } else if (kind == Kw::kFwmark) {
      auto op = operand(*last, "a mark");
      if (!op) return fail(std::move(op.error()));
      n.op = FilterOp::kMark;
      const std::string_view s = (*op)->text;
      const size_t slash = s.find('/');
      constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
      auto mark = parse_c_uint(s.substr(0, slash), kMax);
      std::optional<uint64_t> mask = kMax;
      if (slash != std::string_view::npos) mask = parse_c_uint(s.substr(slash + 1), kMax);
      if (!mark || !mask) return fail(error(**op, "is not a mark (VALUE or VALUE/MASK)"));
      n.value = static_cast<uint32_t>(*mark);
      n.mask = static_cast<uint32_t>(*mask);
    } else {
      auto op = operand(*last, "a cgroup path");
      if (!op) return fail(std::move(op.error()));
      n.op = FilterOp::kCgroup;
      auto id = resolver_.cgroup_id((*op)->text);
      if (!id) return fail(error(**op, "is not a cgroup: " + id.error().what()));
      n.cgroup_id = *id;
    }
    auto node = add(n, kw);
    if (!node || !negate) return node;
    FilterNode neg;
    neg.op = FilterOp::kNot;
    neg.lhs = *node;
    return add(neg, kw);
  }

  // PORT: [":"] (NUMBER | SERVICE | "*"); -1 = any.
  Result<int64_t> parse_port(const Token& t) { return port_text(t, t.text); }

  Result<int64_t> port_text(const Token& t, std::string_view s) {
    if (!s.empty() && s[0] == ':') s.remove_prefix(1);
    if (s.empty() || s == "*") return -1;
    if (s[0] >= '0' && s[0] <= '9') {
      // With unix tables a "port" may be an inode (ss compares them the same way).
      const uint64_t max = opts_.unix_ports ? 0xffffffffULL : 65535;
      auto v = parse_c_uint(s, max);
      if (!v) {
        return fail(error(t, opts_.unix_ports
                                 ? "has a port that is not a number from 0 to 4294967295"
                                 : "has a port that is not a number from 0 to 65535"));
      }
      return static_cast<int64_t>(*v);
    }
    // ss asks for each table dumped; two different answers are ambiguous.
    std::optional<uint16_t> udp, tcp;
    const bool both = opts_.tcp == opts_.udp;
    if (opts_.udp || both) udp = resolver_.service(s, "udp");
    if (opts_.tcp || both) tcp = resolver_.service(s, "tcp");
    if (udp && tcp && *udp != *tcp) return fail(error(t, "names a port that is ambiguous"));
    if (udp) return *udp;
    if (tcp) return *tcp;
    return fail(error(t, "does not look like a port"));
  }

  // HOST: [inet:|inet6:] ( "[" ADDR[/PLEN] "]" | "*" | ADDR[/PLEN] | NAME ) [":" PORT].
  Status parse_host(const Token& t, std::vector<HostCond>& out) {
    std::string_view s = t.text;
    uint8_t family = opts_.family;
    bool family_only = false;
    if (s.starts_with("unix:") || (family == AF_UNIX && !s.starts_with("inet"))) {
      // A unix name pattern (fnmatch), the whole rest of the word.
      if (s.starts_with("unix:")) s.remove_prefix(5);
      HostCond c;
      c.family = AF_UNIX;
      c.pattern = static_cast<uint32_t>(e_.patterns.size());
      e_.patterns.emplace_back(s);
      out.push_back(c);
      return {};
    }
    if (family == AF_UNIX) family = 0;
    if (s.starts_with("inet:")) {
      family = AF_INET;
      family_only = true;
      s.remove_prefix(5);
    } else if (s.starts_with("inet6:")) {
      family = AF_INET6;
      family_only = true;
      s.remove_prefix(6);
    } else {
      for (std::string_view other : {"link:", "netlink:", "vsock:"}) {
        if (s.starts_with(other)) {
          return fail(
              error(t, "is not an inet, inet6 or unix address (only those are filtered here)"));
        }
      }
    }

    // Split address and port. The port separator is the last ':' (after any '/'), so IPv6
    // addresses need brackets.
    std::string_view addr;
    std::string_view port;
    bool has_port = false;
    if (!s.empty() && s[0] == '[') {
      const size_t close = s.find(']');
      if (close == std::string_view::npos) return fail(error(t, "has no closing \"]\""));
      addr = s.substr(1, close - 1);
      std::string_view rest = s.substr(close + 1);
      if (!rest.empty()) {
        if (rest[0] != ':') return fail(error(t, "has text after \"]\" that is not \":PORT\""));
        port = rest.substr(1);
        has_port = true;
      }
      if (addr.empty()) return fail(error(t, "has an empty address in brackets"));
    } else if (!s.empty() && s[0] == '*') {
      addr = s.substr(0, 1);
      std::string_view rest = s.substr(1);
      if (!rest.empty()) {
        if (rest[0] != ':') return fail(error(t, "has text after \"*\" that is not \":PORT\""));
        port = rest.substr(1);
        has_port = true;
      }
    } else {
      const size_t slash = s.find('/');
      const size_t colon = s.rfind(':');
      if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
        addr = s.substr(0, colon);
        port = s.substr(colon + 1);
        has_port = true;
      } else {
        addr = s;
      }
    }

    HostCond base;
    base.family_only = family_only;
    if (has_port) {
      auto p = port_text(t, port);
      if (!p) return fail(std::move(p.error()));
      base.port = *p;
    }

    if (addr.empty() || addr == "*" || addr == "any" || addr == "all" || addr == "default") {
      // Any address; with inet:/inet6: any address of that family.
      if (family_only) base.family = family;
      out.push_back(base);
      return {};
    }

    // ADDR[/PLEN]
    const size_t slash = addr.find('/');
    const std::string_view a = addr.substr(0, slash);
    HostCond c = base;
    bool parsed = false;
    if (a.find(':') != std::string_view::npos) {
      if (family == AF_INET) return fail(error(t, "is not an IPv4 address"));
      parsed = parse_ipv6(a, c.addr);
      c.family = AF_INET6;
    } else if (!a.empty() &&
               a.find_first_not_of("0123456789.xXabcdefABCDEF") == std::string_view::npos &&
               parse_ipv4(a, c.addr)) {
      if (family == AF_INET6) return fail(error(t, "is not an IPv6 address"));
      parsed = true;
      c.family = AF_INET;
    }
    if (parsed) {
      const int bits = c.family == AF_INET ? 32 : 128;
      c.prefix_len = static_cast<uint8_t>(bits);
      if (slash != std::string_view::npos) {
        const std::string_view len = addr.substr(slash + 1);
        auto n = parse_c_uint(len, static_cast<uint64_t>(bits));
        std::optional<uint8_t> mask;
        if (!n && c.family == AF_INET) mask = netmask_bits(len);
        if (!n && !mask) return fail(error(t, "has a bad prefix length"));
        c.prefix_len = n ? static_cast<uint8_t>(*n) : *mask;
      }
      out.push_back(c);
      return {};
    }
    if (a.find(':') != std::string_view::npos || slash != std::string_view::npos ||
        a.find_first_not_of("0123456789.") == std::string_view::npos) {
      return fail(error(t, "is not an address or a prefix"));
    }

    // A host name: every address it resolves to (ss keeps them all too, but compiles only the
    // first into the kernel program; see docs/ss-differences.md).
    auto addrs = resolver_.host(a, family);
    if (addrs.empty()) {
      if (const std::string why = resolver_.host_error(); !why.empty()) {
        return fail(error(t, "could not be resolved as a host name (DNS: " + why + ")"));
      }
      return fail(error(t, "is not an address, a prefix or a known host name"));
    }
    for (const auto& r : addrs) {
      HostCond h = base;
      h.family = r.family;
      h.prefix_len = r.family == AF_INET ? 32 : 128;
      h.addr = r.bytes;
      if (r.family == AF_INET) std::fill(h.addr.begin() + 4, h.addr.end(), uint8_t{0});
      bool seen = false;
      for (const auto& o : out) {
        seen = seen || (o.family == h.family && o.addr == h.addr && o.port == h.port);
      }
      if (!seen) out.push_back(h);
    }
    return {};
  }

  std::vector<Token> toks_;
  size_t pos_ = 0;
  const ParseOptions& opts_;
  FilterResolver& resolver_;
  std::string_view file_name_;
  Expr& e_;
};

}  // namespace

std::vector<std::string_view> filter_keywords() {
  std::vector<std::string_view> out;
  for (const auto& e : kWords) {
    if (e.word[0] >= 'a' && e.word[0] <= 'z') out.push_back(e.word);
  }
  return out;
}

Result<Filter> parse_filter(const FilterInput& input, const ParseOptions& options) {
  std::vector<Token> tokens;
  for (const auto& a : input.args) split_words(a, 0, tokens);
  split_file(input.file, tokens);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i].word = static_cast<uint32_t>(i + 1);

  Filter f;
  Parser p(std::move(tokens), options, input.file_name, f.expr);
  auto states = p.states();
  if (!states) return fail(std::move(states.error()));
  f.states = *states;
  if (auto st = p.expression(); !st) return fail(std::move(st.error()));
  return f;
}

Result<std::string> read_filter_file(const std::string& path) {
  const std::string name = path == "-" ? std::string("filter file (stdin)") : "filter file " + path;
  std::string out;
  if (path == "-") {
    if (auto st = read_fd(STDIN_FILENO, name, out, kConfigFileLimit); !st) {
      return fail(std::move(st.error()));
    }
  } else {
    auto fd = open_cloexec(path.c_str(), O_RDONLY);
    if (!fd) return fail(Error::from_errno("open filter file " + path, fd.error().err()));
    if (auto st = read_fd(fd->get(), name, out, kConfigFileLimit); !st) {
      return fail(std::move(st.error()));
    }
  }
  if (auto st = check_text(out, name); !st) return fail(std::move(st.error()));
  return out;
}

}  // namespace tcpscope::diag
