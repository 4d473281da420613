#include "render/address.hpp"

#include <sys/socket.h>

#include "render/append.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using detail::put_int;

char* write_ipv4(char* p, const uint8_t* a) {
  for (int i = 0; i < 4; ++i) {
    if (i != 0) *p++ = '.';
    unsigned v = a[i];
    if (v >= 100) {
      *p++ = static_cast<char>('0' + v / 100);
      v %= 100;
      *p++ = static_cast<char>('0' + v / 10);
      *p++ = static_cast<char>('0' + v % 10);
    } else if (v >= 10) {
      *p++ = static_cast<char>('0' + v / 10);
      *p++ = static_cast<char>('0' + v % 10);
    } else {
      *p++ = static_cast<char>('0' + v);
    }
  }
  return p;
}

char* write_hex16(char* p, unsigned w) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned d = (w >> shift) & 0xf;
    if (d != 0 || started || shift == 0) {
      *p++ = kHex[d];
      started = true;
    }
  }
  return p;
}

// The same text as glibc's inet_ntop(AF_INET6): the first longest run (>= 2) of zero groups
// becomes "::"; lower-case hex without leading zeros; an address whose first 96 bits are zero
// (IPv4-compatible, run of 6) or ::ffff:0:0/96 (IPv4-mapped) ends in dotted quad.
char* write_ipv6(char* p, const uint8_t* a) {
  unsigned words[8];
  for (int i = 0; i < 8; ++i) words[i] = (unsigned{a[2 * i]} << 8) | a[2 * i + 1];

  int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (words[i] == 0) {
      if (cur_base == -1) {
        cur_base = i;
        cur_len = 1;
      } else {
        ++cur_len;
      }
    } else if (cur_base != -1) {
      if (best_base == -1 || cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
      }
      cur_base = -1;
    }
  }
  if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
    best_base = cur_base;
    best_len = cur_len;
  }
  if (best_base != -1 && best_len < 2) best_base = -1;

  for (int i = 0; i < 8; ++i) {
    if (best_base != -1 && i >= best_base && i < best_base + best_len) {
      if (i == best_base) *p++ = ':';
      continue;
    }
    if (i != 0) *p++ = ':';
    if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
      return write_ipv4(p, a + 12);
    }
    p = write_hex16(p, words[i]);
  }
  if (best_base != -1 && best_base + best_len == 8) *p++ = ':';
  return p;
}

bool is_any6(const std::array<uint8_t, 16>& a) {
  for (uint8_t b : a)
    if (b != 0) return false;
  return true;
}

}  // namespace

void append_plain_address(fmt::memory_buffer& out, uint8_t family,
                          const std::array<uint8_t, 16>& addr) {
  char buf[64];
  char* end = family == AF_INET ? write_ipv4(buf, addr.data()) : write_ipv6(buf, addr.data());
  out.append(buf, end);
}

void append_address_token(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                          model::NameLookup* names) {
  const auto& addr = side == Side::kLocal ? rec.src : rec.dst;
  if (rec.family == AF_INET) {
    append_plain_address(out, rec.family, addr);
  } else {
    // ss uses the socket's v6only flag for both columns, so a dual-stack listener reads
    // "*:5557 *:*" and a v6only one "[::]:5558 [::]:*".
    const bool v6only = rec.has(model::kAttrSkV6Only) && rec.v6only != 0;
    if (!v6only && is_any6(addr)) {
      put(out, '*');
    } else {
      put(out, '[');
      append_plain_address(out, rec.family, addr);
      put(out, ']');
    }
  }
  if (side == Side::kLocal && rec.ifindex != 0) {
    put(out, '%');
    const std::string_view name = names != nullptr ? names->ifname(rec.ifindex) : "";
    if (!name.empty()) {
      put(out, name);
    } else {
      put(out, "if");
      put_int(out, rec.ifindex);
    }
  }
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

void append_endpoint(fmt::memory_buffer& out, const model::SocketRecord& rec, Side side,
                     bool numeric, model::NameLookup* names) {
  append_address_token(out, rec, side, names);
  append_port_token(out, rec, side, numeric, names);
}

}  // namespace tcpscope::render
