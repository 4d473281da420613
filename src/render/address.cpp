// SPDX-License-Identifier: MIT
#include "render/address.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#include "model/tables.hpp"
#include "render/append.hpp"

namespace tcpscope::render {

namespace {

using detail::Cursor;
using detail::put;
using detail::put_int;

// Each octet's decimal text followed by '.', so that one 4-byte copy writes both; `len`
// counts the digits and the dot.
struct Octet {
  char text[4];
  uint8_t len;
};
constexpr auto kOctets = [] {
  std::array<Octet, 256> table{};
  for (unsigned v = 0; v < 256; ++v) {
    Octet& o = table[v];
    uint8_t n = 0;
    if (v >= 100) o.text[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) o.text[n++] = static_cast<char>('0' + v / 10 % 10);
    o.text[n++] = static_cast<char>('0' + v % 10);
    o.text[n++] = '.';
    o.len = n;
  }
  return table;
}();

// Writes the dotted quad and returns its end; writes up to one byte past it.
char* write_ipv4(char* p, const uint8_t* a) {
  for (int i = 0; i < 4; ++i) {
    const Octet& o = kOctets[a[i]];
    std::memcpy(p, o.text, sizeof o.text);
    p += o.len;
  }
  return p - 1;  // no dot after the last octet
}

char* write_hex16(char* p, unsigned w) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Lower-case hex without leading zeros, one digit for 0.
  const int digits = (std::bit_width(w | 1u) + 3) / 4;
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = kHex[w & 0xf];
    w >>= 4;
  }
  return p + digits;
}

// The run of zero groups that inet_ntop shortens to "::": the first longest run of at least two,
// for each of the 256 patterns of zero groups (bit i set: group i is zero). base 8: none.
struct ZeroRun {
  uint8_t base;
  uint8_t len;
};
constexpr auto kZeroRuns = [] {
  std::array<ZeroRun, 256> table{};
  for (unsigned mask = 0; mask < 256; ++mask) {
    int best_base = 8, best_len = 0;
    for (int i = 0; i < 8;) {
      if (((mask >> i) & 1u) == 0) {
        ++i;
        continue;
      }
      int j = i;
      while (j < 8 && ((mask >> j) & 1u) != 0) ++j;
      if (j - i > best_len) {
        best_base = i;
        best_len = j - i;
      }
      i = j;
    }
    if (best_len < 2) best_base = 8, best_len = 0;
    table[mask] = {static_cast<uint8_t>(best_base), static_cast<uint8_t>(best_len)};
  }
  return table;
}();

// The same text as glibc's inet_ntop(AF_INET6): the first longest run (>= 2) of zero groups
// becomes "::"; lower-case hex without leading zeros; an address whose first 96 bits are zero
// (IPv4-compatible, run of 6) or ::ffff:0:0/96 (IPv4-mapped) ends in dotted quad. Writes up to
// one byte past the end it returns.
char* write_ipv6(char* p, const uint8_t* a) {
  unsigned words[8];
  unsigned zero_mask = 0;
  for (int i = 0; i < 8; ++i) {
    words[i] = (unsigned{a[2 * i]} << 8) | a[2 * i + 1];
    zero_mask |= (words[i] == 0 ? 1u : 0u) << i;
  }
  const ZeroRun run = kZeroRuns[zero_mask];
  if (run.len == 0) {
    for (int i = 0; i < 8; ++i) {
      if (i != 0) *p++ = ':';
      p = write_hex16(p, words[i]);
    }
    return p;
  }
  // The groups before the run, "::", the groups after it.
  for (int i = 0; i < run.base; ++i) {
    p = write_hex16(p, words[i]);
    *p++ = ':';
  }
  if (run.base == 0) *p++ = ':';
  int i = run.base + run.len;
  if (run.base == 0 && (run.len == 6 || (run.len == 5 && words[5] == 0xffff))) {
    if (run.len == 5) {
      // Output text, not a C string: no terminator wanted.
      // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
      std::memcpy(p, ":ffff:", 6);
      p += 6;
    } else {
      *p++ = ':';
    }
    return write_ipv4(p, a + 12);
  }
  if (i == 8) {
    *p++ = ':';
    return p;
  }
  for (; i < 8; ++i) {
    *p++ = ':';
    p = write_hex16(p, words[i]);
  }
  return p;
}

bool is_any6(const std::array<uint8_t, 16>& a) {
  uint64_t half[2];
  std::memcpy(half, a.data(), sizeof half);
  return (half[0] | half[1]) == 0;
}

// The socket's v6only flag. Records without it (/proc has no such column) still tell it when
// bound to a specific IPv6 address: the kernel makes such a socket IPv6-only at bind
// (__inet6_bind sets sk_ipv6only unless the address is v4-mapped), so an IPv6 listener read from
// /proc prints "[::1]:8443 [::]:*" as over netlink. Only a wildcard bind leaves it unknown.
bool ipv6_only(const model::SocketRecord& rec) {
  if (rec.has(model::kAttrSkV6Only)) return rec.v6only != 0;
  const auto& a = rec.src;
  const bool v4_mapped = std::all_of(a.begin(), a.begin() + 10, [](uint8_t b) { return b == 0; }) &&
                         a[10] == 0xff && a[11] == 0xff;
  return !is_any6(a) && !v4_mapped;
}

// Room for an address token written in place: brackets, the longest plain address, the byte
// that write_ipv4 may write past its end, and the ':'.
constexpr size_t kAddressRoom = kMaxPlainAddressLen + 8;

}  // namespace

void append_plain_address(fmt::memory_buffer& out, uint8_t family,
                          const std::array<uint8_t, 16>& addr) {
  Cursor c(out, kAddressRoom);
  c.p = family == AF_INET ? write_ipv4(c.p, addr.data()) : write_ipv6(c.p, addr.data());
}

void append_listener_name(fmt::memory_buffer& out, const model::ListenerInfo& l) {
  const bool v6 = l.family == AF_INET6;
  if (v6) put(out, '[');
  append_plain_address(out, l.family, l.addr);
  if (v6) put(out, ']');
  if (l.ifindex != 0) {
    put(out, '%');
    put(out, l.interface());
  }
  put(out, ':');
  put_int(out, l.port);
}

void append_address_token(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                          model::NameLookup* names) {
  const auto& addr = side == Side::kLocal ? rec.src : rec.dst;
  const bool device = side == Side::kLocal && rec.ifindex != 0;
  {
    Cursor c(out, kAddressRoom);
    if (rec.family == AF_INET) {
      c.p = write_ipv4(c.p, addr.data());
    } else {
      // ss uses the socket's v6only flag for both columns, so a dual-stack listener reads
      // "*:5557 *:*" and a v6only one "[::]:5558 [::]:*".
      if (!ipv6_only(rec) && is_any6(addr)) {
        c.ch('*');
      } else {
        c.ch('[');
        c.p = write_ipv6(c.p, addr.data());
        c.ch(']');
      }
    }
    if (!device) {
      c.ch(':');
      return;
    }
  }
  put(out, '%');
  append_ifname(out, rec.ifindex, names);
  put(out, ':');
}

void append_port_token(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                       bool numeric, model::NameLookup* names) {
  const uint16_t port = side == Side::kLocal ? rec.sport : rec.dport;
  if (port == 0) {
    put(out, '*');
    return;
  }
  if (!numeric && names != nullptr) {
    const std::string_view name = names->service(port, rec.protocol);
    if (!name.empty()) {
      put(out, name);
      return;
    }
  }
  put_int(out, port);
}

void append_ifname(fmt::memory_buffer& out, uint32_t ifindex, model::NameLookup* names) {
  const std::string_view name = names != nullptr ? names->ifname(ifindex) : "";
  if (!name.empty()) {
    put(out, name);
  } else {
    put(out, "if");
    put_int(out, ifindex);
  }
}

void append_socket_name(fmt::memory_buffer& out, const model::SocketRecord& rec) {
  put(out, model::netid_name(rec));
  put(out, ' ');
  const auto endpoint = [&](const std::array<uint8_t, 16>& a, uint16_t port) {
    const bool v6 = rec.family == AF_INET6;
    if (v6) put(out, '[');
    append_plain_address(out, rec.family, a);
    if (v6) put(out, ']');
    put(out, ':');
    put_int(out, port);
  };
  endpoint(rec.src, rec.sport);
  if (rec.dport != 0 || !is_any6(rec.dst)) {
    put(out, " -> ");
    endpoint(rec.dst, rec.dport);
  }
}

void append_endpoint(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                     bool numeric, model::NameLookup* names) {
  append_address_token(out, rec, side, names);
  append_port_token(out, rec, side, numeric, names);
}

}  // namespace tcpscope::render
