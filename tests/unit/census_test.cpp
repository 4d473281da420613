// SPDX-License-Identifier: MIT
#include "model/census.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "diag/dump.hpp"

namespace tcpscope::model {
namespace {

SocketRecord rec(uint8_t family, TcpState state, std::array<uint8_t, 16> src, uint16_t sport) {
  SocketRecord r;
  r.family = family;
  r.protocol = IPPROTO_TCP;
  r.state = static_cast<uint8_t>(state);
  r.src = src;
  r.sport = sport;
  return r;
}

std::array<uint8_t, 16> v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

TEST(Census, AttributesSynRecvToExactThenWildcardThenDualStackListener) {
  Census c;
  auto l1 = rec(AF_INET, TcpState::kListen, v4(127, 0, 0, 1), 8080);
  l1.rqueue = 5;
  l1.wqueue = 4;
  c.on_socket(l1);
  c.on_socket(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 8080));
  auto dual = rec(AF_INET6, TcpState::kListen, {}, 9090);
  dual.v6only = 0;
  dual.set(kAttrSkV6Only);
  c.on_socket(dual);

  c.on_socket(rec(AF_INET, TcpState::kSynRecv, v4(127, 0, 0, 1), 8080));  // exact
  c.on_socket(rec(AF_INET, TcpState::kSynRecv, v4(127, 0, 0, 2), 8080));  // wildcard
  c.on_socket(rec(AF_INET, TcpState::kSynRecv, v4(127, 0, 0, 3), 9090));  // dual-stack
  c.on_socket(rec(AF_INET, TcpState::kSynRecv, v4(127, 0, 0, 3), 7070));  // no listener

  ASSERT_EQ(c.listeners().size(), 3u);
  EXPECT_EQ(c.listeners()[0].syn_recv(), 1u);
  EXPECT_EQ(c.listeners()[1].syn_recv(), 1u);
  EXPECT_EQ(c.listeners()[2].syn_recv(), 1u);
  EXPECT_EQ(c.syn_recv_unattributed(), 1u);
  EXPECT_TRUE(c.listeners()[0].accept_queue_full());
  EXPECT_DOUBLE_EQ(c.listeners()[0].fill_percent(), 125.0);
  EXPECT_EQ(c.tcp()[static_cast<int>(TcpState::kSynRecv)].v4, 4u);
  EXPECT_EQ(c.tcp()[static_cast<int>(TcpState::kListen)].total(), 3u);
}

class Devices final : public NameLookup {
 public:
  std::string_view ifname(uint32_t ifindex) override {
    ++calls;
    return ifindex == 2 ? "eth0" : ifindex == 3 ? "a-name-too-long-for-ifnamsiz" : "";
  }
  std::string_view cgroup_path(uint64_t) override { return {}; }
  std::string_view service(uint16_t, uint8_t) override { return {}; }
  int calls = 0;
};

SocketRecord on_device(SocketRecord r, uint32_t ifindex) {
  r.ifindex = ifindex;
  return r;
}

TEST(Census, NamesTheDeviceOfABoundListener) {
  Devices names;
  Census c(&names);
  c.on_socket(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80));
  c.on_socket(on_device(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80), 2));
  c.on_socket(on_device(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80), 3));
  c.on_socket(on_device(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80), 4294967295u));
  ASSERT_EQ(c.listeners().size(), 4u);
  EXPECT_EQ(c.listeners()[0].interface(), "");
  EXPECT_EQ(c.listeners()[1].interface(), "eth0");
  EXPECT_EQ(c.listeners()[2].interface(), "a-name-too-long");  // IFNAMSIZ - 1 bytes
  EXPECT_EQ(c.listeners()[3].interface(), "if4294967295");     // unknown index: ss's form
  EXPECT_EQ(names.calls, 3);                                   // only for bound listeners

  Census unnamed;  // no lookup: the index
  unnamed.on_socket(on_device(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80), 7));
  EXPECT_EQ(unnamed.listeners()[0].interface(), "if7");
}

TEST(Census, AttributesSynRecvToTheListenerOnTheRequestsDevice) {
  Census c;
  // Same address and port three times: no device, eth0 (2), eth1 (3).
  c.on_socket(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80));
  c.on_socket(on_device(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80), 2));
  c.on_socket(on_device(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 80), 3));
  // A request carrying a device came from a listener bound to it (ir_iif), even where an
  // exact address on no device exists.
  c.on_socket(rec(AF_INET, TcpState::kListen, v4(10, 0, 0, 1), 80));

  c.on_socket(on_device(rec(AF_INET, TcpState::kSynRecv, v4(10, 0, 0, 1), 80), 3));
  c.on_socket(on_device(rec(AF_INET, TcpState::kSynRecv, v4(10, 0, 0, 2), 80), 3));
  c.on_socket(on_device(rec(AF_INET, TcpState::kSynRecv, v4(10, 0, 0, 2), 80), 2));
  c.on_socket(rec(AF_INET, TcpState::kSynRecv, v4(10, 0, 0, 1), 80));  // no device: exact
  c.on_socket(rec(AF_INET, TcpState::kSynRecv, v4(10, 0, 0, 9), 80));  // no device: wildcard
  // A device with no listener of its own (an unbound IPv6 listener's link-local peer, a VRF
  // master with tcp_l3mdev_accept): the listeners on no device.
  c.on_socket(on_device(rec(AF_INET, TcpState::kSynRecv, v4(10, 0, 0, 9), 80), 9));

  ASSERT_EQ(c.listeners().size(), 4u);
  EXPECT_EQ(c.listeners()[0].syn_recv(), 2u);  // 0.0.0.0:80
  EXPECT_EQ(c.listeners()[1].syn_recv(), 1u);  // 0.0.0.0%eth0:80
  EXPECT_EQ(c.listeners()[2].syn_recv(), 2u);  // 0.0.0.0%eth1:80
  EXPECT_EQ(c.listeners()[3].syn_recv(), 1u);  // 10.0.0.1:80
  EXPECT_EQ(c.syn_recv_unattributed(), 0u);

  // A request on a device whose listener is not there (a bound listener on another device
  // only): unattributed.
  Census d;
  d.on_socket(on_device(rec(AF_INET, TcpState::kListen, v4(0, 0, 0, 0), 81), 2));
  d.on_socket(on_device(rec(AF_INET, TcpState::kSynRecv, v4(10, 0, 0, 1), 81), 3));
  EXPECT_EQ(d.listeners()[0].syn_recv(), 0u);
  EXPECT_EQ(d.syn_recv_unattributed(), 1u);
}

TEST(Census, CountsOrphansOnlyInClosingStatesWithoutInode) {
  Census c;
  auto r = rec(AF_INET, TcpState::kFinWait1, {}, 1);
  c.on_socket(r);  // inode 0: orphan
  r.inode = 5;
  c.on_socket(r);  // held by a process
  c.on_socket(rec(AF_INET6, TcpState::kLastAck, {}, 1));
  c.on_socket(rec(AF_INET, TcpState::kTimeWait, {}, 1));  // inode 0 but not an orphan
  EXPECT_EQ(c.orphans(), 2u);
}

TEST(Census, RestartForgetsOnlyTheInterruptedFamily) {
  Census c;
  c.on_socket(rec(AF_INET, TcpState::kEstablished, {}, 1));
  c.on_socket(rec(AF_INET6, TcpState::kEstablished, {}, 1));
  DumpRequest req;
  req.family = AF_INET6;
  req.protocol = IPPROTO_TCP;
  req.states = kMaskAll & ~state_bit(TcpState::kListen);
  EXPECT_TRUE(c.on_restart(req));
  EXPECT_EQ(c.tcp()[1].v4, 1u);
  EXPECT_EQ(c.tcp()[1].v6, 0u);
}

TEST(RepeatFilter, DropsOnlyRepeatsFromThePreviousDatagram) {
  diag::RepeatFilter f;
  EXPECT_FALSE(f.seen_before(1));
  EXPECT_FALSE(f.seen_before(2));
  f.next_datagram();
  EXPECT_TRUE(f.seen_before(2));  // resumed bucket repeated a socket
  EXPECT_FALSE(f.seen_before(3));
  f.next_datagram();
  EXPECT_FALSE(f.seen_before(1));  // two datagrams back: not a resume repeat
  EXPECT_TRUE(f.seen_before(3));
  EXPECT_FALSE(f.seen_before(0));  // no cookie, no identity
  f.next_datagram();
  EXPECT_FALSE(f.seen_before(0));
}

TEST(StateNames, ParsesSsNamesAndGroups) {
  EXPECT_EQ(parse_state_name("established"), 0x2u);
  EXPECT_EQ(parse_state_name("SYN-RECV"), 0x8u);
  EXPECT_EQ(parse_state_name("connected"), 0xB7Fu);
  EXPECT_EQ(parse_state_name("synchronized"), 0xB7Bu);
  EXPECT_EQ(parse_state_name("bucket"), 0x48u);
  EXPECT_EQ(parse_state_name("big"), 0xFB7u);
  EXPECT_EQ(parse_state_name("all"), 0xFFFu);
  EXPECT_FALSE(parse_state_name("nosuchstate"));
  EXPECT_EQ(ss_state_name(3), "SYN-RECV");
  EXPECT_EQ(ss_state_name(7), "UNCONN");
}

}  // namespace
}  // namespace tcpscope::model
