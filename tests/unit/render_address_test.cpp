// SPDX-License-Identifier: MIT
// Address and port tokens as ss prints them, and plain addresses as inet_ntop does.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>

#include "render/address.hpp"
#include "unit/render_test_util.hpp"

namespace tcpscope::render {
namespace {

using model::SocketRecord;
using model::TcpState;
using testing::FakeNames;
using testing::tcp4;
using testing::tcp6;
using testing::v4;
using testing::v4_mapped;
using testing::v6;

std::string addr(const SocketRecord& r, Side side, model::NameLookup* names = nullptr) {
  fmt::memory_buffer b;
  append_address_token(b, r, side, names);
  return fmt::to_string(b);
}

std::string port(const SocketRecord& r, Side side, bool numeric,
                 model::NameLookup* names = nullptr) {
  fmt::memory_buffer b;
  append_port_token(b, r, side, numeric, names);
  return fmt::to_string(b);
}

std::string plain(uint8_t family, const std::array<uint8_t, 16>& a) {
  fmt::memory_buffer b;
  append_plain_address(b, family, a);
  return fmt::to_string(b);
}

std::string ntop(int family, const std::array<uint8_t, 16>& a) {
  char buf[INET6_ADDRSTRLEN];
  return inet_ntop(family, a.data(), buf, sizeof buf);
}

TEST(RenderAddress, Ipv4) {
  const SocketRecord r =
      tcp4(TcpState::kEstablished, v4(127, 0, 0, 1), 5555, v4(192, 0, 2, 200), 38140);
  EXPECT_EQ(addr(r, Side::kLocal), "127.0.0.1:");
  EXPECT_EQ(addr(r, Side::kPeer), "192.0.2.200:");
  EXPECT_EQ(port(r, Side::kLocal, true), "5555");
  EXPECT_EQ(port(r, Side::kPeer, true), "38140");
}

TEST(RenderAddress, Ipv4AnyIsDottedAndPortZeroIsStar) {
  const SocketRecord r = tcp4(TcpState::kListen, v4(0, 0, 0, 0), 80, v4(0, 0, 0, 0), 0);
  EXPECT_EQ(addr(r, Side::kLocal), "0.0.0.0:");
  EXPECT_EQ(addr(r, Side::kPeer), "0.0.0.0:");
  EXPECT_EQ(port(r, Side::kPeer, true), "*");
  EXPECT_EQ(port(r, Side::kPeer, false), "*");
}

TEST(RenderAddress, Ipv6Bracketed) {
  const SocketRecord r = tcp6(TcpState::kEstablished, v6({0, 0, 0, 0, 0, 0, 0, 1}), 5556,
                              v6({0x2001, 0xdb8, 0, 0, 1, 0, 0, 0xab}), 443);
  EXPECT_EQ(addr(r, Side::kLocal), "[::1]:");
  EXPECT_EQ(addr(r, Side::kPeer), "[2001:db8::1:0:0:ab]:");
}

TEST(RenderAddress, Ipv6AnyIsStarUnlessV6only) {
  SocketRecord r = tcp6(TcpState::kListen, {}, 5557, {}, 0);
  EXPECT_EQ(addr(r, Side::kLocal), "*:");
  EXPECT_EQ(addr(r, Side::kPeer), "*:");
  r.set(model::kAttrSkV6Only);
  r.v6only = 0;  // present but off: still dual-stack
  EXPECT_EQ(addr(r, Side::kLocal), "*:");
  r.v6only = 1;
  EXPECT_EQ(addr(r, Side::kLocal), "[::]:");
  EXPECT_EQ(addr(r, Side::kPeer), "[::]:");
}

TEST(RenderAddress, Ipv6LoopbackListenerPeerUsesTheSameFlag) {
  // ss: "[::1]:5556   [::]:*" -- the kernel sends v6only for LISTEN, so the peer :: of a
  // v6only listener prints as [::]; of a dual-stack one as *.
  SocketRecord r = tcp6(TcpState::kListen, v6({0, 0, 0, 0, 0, 0, 0, 1}), 5556, {}, 0);
  r.set(model::kAttrSkV6Only);
  r.v6only = 1;
  EXPECT_EQ(addr(r, Side::kLocal), "[::1]:");
  EXPECT_EQ(addr(r, Side::kPeer), "[::]:");
}

TEST(RenderAddress, WithoutTheFlagASpecificIpv6BindIsV6only) {
  // /proc has no v6only column; a socket bound to a specific IPv6 address is IPv6-only (the
  // kernel sets it at bind), so its wildcard peer prints as over netlink.
  SocketRecord r = tcp6(TcpState::kListen, v6({0, 0, 0, 0, 0, 0, 0, 1}), 8443, {}, 0);
  r.origin = model::Origin::kProc;
  EXPECT_EQ(addr(r, Side::kPeer), "[::]:");
  // A wildcard bind leaves it unknown: ss's dual-stack "*".
  r.src = {};
  EXPECT_EQ(addr(r, Side::kLocal), "*:");
  EXPECT_EQ(addr(r, Side::kPeer), "*:");
  // A v4-mapped bind is dual-stack by definition.
  r.src = v4_mapped(127, 0, 0, 1);
  EXPECT_EQ(addr(r, Side::kPeer), "*:");
}

TEST(RenderAddress, V4Mapped) {
  const SocketRecord r =
      tcp6(TcpState::kEstablished, v4_mapped(127, 0, 0, 1), 5557, v4_mapped(127, 0, 0, 1), 53006);
  EXPECT_EQ(addr(r, Side::kLocal), "[::ffff:127.0.0.1]:");
  EXPECT_EQ(addr(r, Side::kPeer), "[::ffff:127.0.0.1]:");
}

TEST(RenderAddress, InterfaceSuffixOnLocalSideOnly) {
  SocketRecord r = tcp4(TcpState::kListen, v4(127, 0, 0, 53), 53, v4(0, 0, 0, 0), 0);
  r.ifindex = 1;
  FakeNames names;
  names.ifnames[1] = "lo";
  EXPECT_EQ(addr(r, Side::kLocal, &names), "127.0.0.53%lo:");
  EXPECT_EQ(addr(r, Side::kPeer, &names), "0.0.0.0:");
  r.ifindex = 7;  // unknown to the lookup
  EXPECT_EQ(addr(r, Side::kLocal, &names), "127.0.0.53%if7:");
  EXPECT_EQ(addr(r, Side::kLocal, nullptr), "127.0.0.53%if7:");
  SocketRecord r6 = tcp6(TcpState::kListen, v6({0xfe80, 0, 0, 0, 0, 0, 0, 1}), 22, {}, 0);
  r6.ifindex = 1;
  EXPECT_EQ(addr(r6, Side::kLocal, &names), "[fe80::1]%lo:");
  EXPECT_EQ(addr(r6, Side::kPeer, &names), "[::]:");  // bound to one IPv6 address: v6only
}

TEST(RenderAddress, ServiceNamesUnlessNumeric) {
  SocketRecord r = tcp4(TcpState::kEstablished, v4(10, 0, 0, 1), 22, v4(10, 0, 0, 2), 40000);
  FakeNames names;
  names.services[(6u << 16) | 22] = "ssh";
  EXPECT_EQ(port(r, Side::kLocal, false, &names), "ssh");
  EXPECT_EQ(port(r, Side::kLocal, true, &names), "22");
  EXPECT_EQ(port(r, Side::kLocal, false, nullptr), "22");
  EXPECT_EQ(port(r, Side::kPeer, false, &names), "40000");  // no name: the number
  r.protocol = testing::kUdp;                               // looked up per protocol
  EXPECT_EQ(port(r, Side::kLocal, false, &names), "22");
  const int calls = names.calls;
  EXPECT_EQ(port(r, Side::kLocal, true, &names), "22");
  EXPECT_EQ(names.calls, calls);  // -n never asks
}

TEST(RenderAddress, Endpoint) {
  SocketRecord r = tcp6(TcpState::kListen, v6({0, 0, 0, 0, 0, 0, 0, 1}), 22, {}, 0);
  fmt::memory_buffer b;
  append_endpoint(b, r, Side::kLocal, true, nullptr);
  b.push_back(' ');
  append_endpoint(b, r, Side::kPeer, true, nullptr);
  EXPECT_EQ(fmt::to_string(b), "[::1]:22 [::]:*");
}

TEST(RenderAddress, PlainHasNoBracketsNorStar) {
  EXPECT_EQ(plain(testing::kAfInet6, {}), "::");
  EXPECT_EQ(plain(testing::kAfInet6, v4_mapped(10, 1, 2, 3)), "::ffff:10.1.2.3");
  EXPECT_EQ(plain(testing::kAfInet, v4(255, 255, 255, 255)), "255.255.255.255");
  EXPECT_EQ(plain(testing::kAfInet, v4(0, 0, 0, 0)), "0.0.0.0");
}

TEST(RenderAddress, PlainMatchesInetNtop) {
  // Shapes that exercise the "::" choice and the embedded-IPv4 forms.
  const std::array<std::array<uint16_t, 8>, 16> shapes = {{
      {0, 0, 0, 0, 0, 0, 0, 0},
      {0, 0, 0, 0, 0, 0, 0, 1},
      {1, 0, 0, 0, 0, 0, 0, 0},
      {0, 0, 0, 0, 0, 0, 0x0102, 0x0304},  // IPv4-compatible
      {0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304},
      {0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304},  // SIIT: no dotted quad
      {0, 0, 0, 0, 0, 0, 0, 0xffff},
      {0, 0, 0, 0, 0, 0, 1, 0},
      {1, 0, 0, 1, 0, 0, 0, 1},  // longer second run wins
      {1, 0, 0, 1, 0, 0, 1, 1},  // equal runs: the first wins
      {1, 0, 1, 0, 1, 0, 1, 0},  // single zeros are not compressed
      {0x2001, 0xdb8, 0, 0, 0, 0, 0, 0},
      {0xfe80, 0, 0, 0, 0x1234, 0x5678, 0x9abc, 0xdef0},
      {0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff},
      {0, 0x64, 0xff9b, 0, 0, 0, 0x0a00, 1},
      {0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 1},
  }};
  for (const auto& s : shapes) {
    const auto a = v6(s);
    EXPECT_EQ(plain(testing::kAfInet6, a), ntop(AF_INET6, a));
  }
  // And pseudo-random addresses with many zero groups.
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 50000; ++i) {
    std::array<uint16_t, 8> g{};
    for (auto& w : g) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = (x & 3) == 0 ? static_cast<uint16_t>(x >> 48) : 0;
      if ((x & 12) == 4) w = 0xffff;
    }
    const auto a = v6(g);
    ASSERT_EQ(plain(testing::kAfInet6, a), ntop(AF_INET6, a));
    ASSERT_EQ(plain(testing::kAfInet, a), ntop(AF_INET, a));
  }
}

TEST(RenderAddress, ListenerNameCarriesTheDeviceAsSsPrintsIt) {
  auto name = [](const model::ListenerInfo& l) {
    fmt::memory_buffer b;
    append_listener_name(b, l);
    return fmt::to_string(b);
  };
  model::ListenerInfo l;
  l.family = AF_INET;
  l.addr = v4(127, 0, 0, 1);
  l.port = 8080;
  EXPECT_EQ(name(l), "127.0.0.1:8080");
  l.ifindex = 1;
  l.device = {'l', 'o'};
  EXPECT_EQ(name(l), "127.0.0.1%lo:8080");
  model::ListenerInfo w;
  w.family = AF_INET6;
  w.port = 443;
  EXPECT_EQ(name(w), "[::]:443");
  w.ifindex = 2;
  w.device = {'e', 't', 'h', '0'};
  EXPECT_EQ(name(w), "[::]%eth0:443");
}

}  // namespace
}  // namespace tcpscope::render
