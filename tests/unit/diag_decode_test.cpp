// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>

#include "diag/decode.hpp"
#include "diag/request.hpp"
#include "netlink/message.hpp"
#include "nl_builder.hpp"

namespace tcpscope {
namespace {

using model::DecodeLevel;
using model::SocketRecord;
using testing::NlBuilder;

TEST(DiagDecode, DecodesBaseMessage) {
  NlBuilder b;
  auto m = NlBuilder::msg(AF_INET, 1, 8080, 40000, 0x1122334455667788ULL);
  m.id.idiag_src[0] = htonl(0x7f000001);
  m.id.idiag_dst[0] = htonl(0x7f000002);
  m.idiag_rqueue = 5;
  m.idiag_wqueue = 4;
  m.idiag_uid = 1000;
  m.idiag_inode = 4242;
  m.idiag_timer = 2;
  m.idiag_retrans = 3;
  m.idiag_expires = 29044;
  b.begin(m).end();
  SocketRecord r;
  ASSERT_TRUE(diag::decode_inet_diag(b.last_header(), IPPROTO_TCP, DecodeLevel::kFull, r));
  EXPECT_EQ(r.family, AF_INET);
  EXPECT_EQ(r.state, 1);
  EXPECT_EQ(r.sport, 8080);
  EXPECT_EQ(r.dport, 40000);
  EXPECT_EQ(r.cookie, 0x1122334455667788ULL);
  EXPECT_EQ(r.src[0], 127);
  EXPECT_EQ(r.src[3], 1);
  EXPECT_EQ(r.dst[3], 2);
  EXPECT_EQ(r.rqueue, 5u);
  EXPECT_EQ(r.wqueue, 4u);
  EXPECT_EQ(r.uid, 1000u);
  EXPECT_EQ(r.inode, 4242u);
  EXPECT_EQ(r.timer, 2);
  EXPECT_EQ(r.retrans, 3);
  EXPECT_EQ(r.expires_ms, 29044u);
  EXPECT_EQ(r.attrs, 0u);
}

TEST(DiagDecode, ZeroFillsShortTcpInfo) {
  NlBuilder b;
  std::array<uint8_t, 104> info{};  // a 3.14-era tcp_info
  info[0] = 1;
  uint32_t rto = 204000;
  std::memcpy(info.data() + 8, &rto, 4);
  SocketRecord r;
  r.tcp_info.bytes_acked = 999;  // left over from an earlier socket: must not survive
  b.begin(NlBuilder::msg(AF_INET, 1, 1, 2)).attr(INET_DIAG_INFO, info.data(), info.size()).end();
  ASSERT_TRUE(diag::decode_inet_diag(b.last_header(), IPPROTO_TCP, DecodeLevel::kFull, r));
  EXPECT_TRUE(r.has(model::kAttrInfo));
  EXPECT_EQ(r.tcp_info_len, 104);
  EXPECT_EQ(r.tcp_info.rto, 204000u);
  EXPECT_EQ(r.tcp_info.bytes_acked, 0u);
  EXPECT_TRUE(TCPSCOPE_TCPI_HAS(r.tcp_info_len, total_retrans));
  EXPECT_FALSE(TCPSCOPE_TCPI_HAS(r.tcp_info_len, pacing_rate));
  EXPECT_FALSE(TCPSCOPE_TCPI_HAS(r.tcp_info_len, snd_wnd));
}

TEST(DiagDecode, IgnoresTailOfLongerTcpInfo) {
  NlBuilder b;
  std::array<uint8_t, 320> info{};
  info.fill(0xab);
  b.begin(NlBuilder::msg(AF_INET6, 1, 1, 2)).attr(INET_DIAG_INFO, info.data(), info.size()).end();
  SocketRecord r;
  ASSERT_TRUE(diag::decode_inet_diag(b.last_header(), IPPROTO_TCP, DecodeLevel::kFull, r));
  EXPECT_EQ(r.tcp_info_len, sizeof(model::TcpInfo));
  EXPECT_EQ(r.tcp_info.received_ce_bytes, 0xababababu);
}

TEST(DiagDecode, SkipsUnknownAttributesAndReadsKnownOnes) {
  NlBuilder b;
  uint32_t unknown = 7;
  uint8_t shutdown = 3;
  uint32_t mark = 0x42;
  uint64_t cgroup = 12345;
  uint8_t v6only = 1;
  const char cong[] = "bbr";
  std::array<uint32_t, 9> skmem = {1, 2, 3, 4, 5, 6, 7, 8, 12};
  b.begin(NlBuilder::msg(AF_INET6, 10, 80, 0))
      .attr(200, &unknown, sizeof unknown)
      .attr_value(INET_DIAG_SHUTDOWN, shutdown)
      .attr_value(INET_DIAG_MARK, mark)
      .attr_value(21, cgroup)
      .attr_value(INET_DIAG_SKV6ONLY, v6only)
      .attr(INET_DIAG_CONG, cong, sizeof cong)
      .attr(INET_DIAG_SKMEMINFO, skmem.data(), sizeof skmem)
      .end();
  SocketRecord r;
  ASSERT_TRUE(diag::decode_inet_diag(b.last_header(), IPPROTO_TCP, DecodeLevel::kFull, r));
  EXPECT_EQ(r.shutdown, 3);
  EXPECT_EQ(r.mark, 0x42u);
  EXPECT_EQ(r.cgroup_id, 12345u);
  EXPECT_EQ(r.v6only, 1);
  EXPECT_EQ(r.cong_name(), "bbr");
  EXPECT_EQ(r.skmem_count, 9);
  EXPECT_EQ(r.skmem[model::kSkMemDrops], 12u);
  EXPECT_TRUE(r.has(model::kAttrCgroupId));
  EXPECT_FALSE(r.has(model::kAttrInfo));
}

TEST(DiagDecode, HeaderLevelSkipsAttributes) {
  NlBuilder b;
  uint8_t shutdown = 3;
  b.begin(NlBuilder::msg(AF_INET, 1, 1, 2)).attr_value(INET_DIAG_SHUTDOWN, shutdown).end();
  SocketRecord r;
  ASSERT_TRUE(diag::decode_inet_diag(b.last_header(), IPPROTO_TCP, DecodeLevel::kHeader, r));
  EXPECT_EQ(r.attrs, 0u);
}

TEST(DiagDecode, RejectsAttributeLongerThanMessage) {
  NlBuilder b;
  uint32_t v = 1;
  b.begin(NlBuilder::msg(AF_INET, 1, 1, 2)).attr_value(INET_DIAG_MARK, v).end();
  // Make the attribute claim more bytes than the message has.
  auto& bytes = b.bytes();
  const size_t attr_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(inet_diag_msg));
  uint16_t bogus = 64;
  std::memcpy(bytes.data() + attr_off, &bogus, 2);
  SocketRecord r;
  auto st = diag::decode_inet_diag(b.last_header(), IPPROTO_TCP, DecodeLevel::kFull, r);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind(), ErrorKind::kMalformed);
  EXPECT_NE(st.error().message().find("bad attribute length 64"), std::string::npos);
}

TEST(DiagDecode, RejectsShortMessage) {
  std::vector<std::byte> bytes(NLMSG_HDRLEN + 20);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(bytes.size());
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  std::memcpy(bytes.data(), &h, sizeof h);
  SocketRecord r;
  auto st = diag::decode_inet_diag(*reinterpret_cast<nlmsghdr*>(bytes.data()), IPPROTO_TCP,
                                   DecodeLevel::kFull, r);
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("too short"), std::string::npos);
}

TEST(NetlinkWalk, StopsAtDoneAndSkipsOtherSequences) {
  NlBuilder b;
  b.begin(NlBuilder::msg(AF_INET, 1, 1, 2), 1).end();
  b.begin(NlBuilder::msg(AF_INET, 1, 3, 4), 99).end();  // stale dump
  b.begin(NlBuilder::msg(AF_INET, 1, 5, 6), 1).end();
  b.done(0, 1);
  int seen = 0;
  auto r = netlink::walk_datagram(b.bytes(), {0, 1, true}, [&](const nlmsghdr&) -> Status {
    ++seen;
    return {};
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->end, netlink::WalkEnd::kDone);
  EXPECT_EQ(seen, 2);
}

TEST(NetlinkWalk, DoneWithErrnoIsAnError) {
  NlBuilder b;
  b.done(-ENOENT, 1);
  auto r = netlink::walk_datagram(b.bytes(), {0, 1, true},
                                  [&](const nlmsghdr&) -> Status { return {}; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err(), ENOENT);
  EXPECT_EQ(r.error().kind(), ErrorKind::kUnsupported);
}

TEST(NetlinkWalk, NlmsgErrorIsAnError) {
  NlBuilder b;
  b.error(-EPERM, 1);
  auto r = netlink::walk_datagram(b.bytes(), {0, 1, true},
                                  [&](const nlmsghdr&) -> Status { return {}; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kPermission);
}

TEST(NetlinkWalk, FlagsDumpInterrupted) {
  NlBuilder b;
  b.begin(NlBuilder::msg(AF_INET, 1, 1, 2), 1, 0, NLM_F_MULTI | NLM_F_DUMP_INTR).end();
  auto r = netlink::walk_datagram(b.bytes(), {0, 1, true},
                                  [&](const nlmsghdr&) -> Status { return {}; });
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->dump_interrupted);
  EXPECT_EQ(r->end, netlink::WalkEnd::kMore);
}

TEST(NetlinkWalk, TruncatedMessageIsAnErrorNotAnOverread) {
  NlBuilder b;
  b.begin(NlBuilder::msg(AF_INET, 1, 1, 2), 1).end();
  auto bytes = b.bytes();
  bytes.resize(bytes.size() - 8);  // the datagram ends inside the message
  auto r =
      netlink::walk_datagram(bytes, {0, 1, true}, [&](const nlmsghdr&) -> Status { return {}; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind(), ErrorKind::kMalformed);
  EXPECT_NE(r.error().message().find("bad netlink message length"), std::string::npos);
  std::vector<std::byte> tiny(6);
  auto r2 =
      netlink::walk_datagram(tiny, {0, 1, true}, [&](const nlmsghdr&) -> Status { return {}; });
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message().find("truncated netlink message"), std::string::npos);
  // A length with the top bit set must not pass as a negative int would (found by fuzzing).
  auto huge = b.bytes();
  const uint32_t len = 0xacfffffe;
  std::memcpy(huge.data(), &len, sizeof len);
  auto r3 =
      netlink::walk_datagram(huge, {0, 1, true}, [&](const nlmsghdr&) -> Status { return {}; });
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().kind(), ErrorKind::kMalformed);
}

TEST(DiagRequest, LaysOutRequestAndBytecode) {
  model::DumpRequest req;
  req.family = AF_INET6;
  req.protocol = IPPROTO_TCP;
  req.ext = 0x0e;
  req.states = 0xb37;
  std::array<std::byte, 8> prog{};
  req.bytecode = prog;
  std::vector<std::byte> out;
  auto msg = diag::build_dump_request(req, 77, out);
  ASSERT_EQ(msg.size(), 16u + 56u + 4u + 8u);
  nlmsghdr h;
  std::memcpy(&h, msg.data(), sizeof h);
  EXPECT_EQ(h.nlmsg_len, msg.size());
  EXPECT_EQ(h.nlmsg_type, SOCK_DIAG_BY_FAMILY);
  EXPECT_EQ(h.nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(h.nlmsg_seq, 77u);
  inet_diag_req_v2 r;
  std::memcpy(&r, msg.data() + 16, sizeof r);
  EXPECT_EQ(r.sdiag_family, AF_INET6);
  EXPECT_EQ(r.sdiag_protocol, IPPROTO_TCP);
  EXPECT_EQ(r.idiag_ext, 0x0e);
  EXPECT_EQ(r.idiag_states, 0xb37u);
  nlattr a;
  std::memcpy(&a, msg.data() + 72, sizeof a);
  EXPECT_EQ(a.nla_type, INET_DIAG_REQ_BYTECODE);
  EXPECT_EQ(a.nla_len, 12);
}

}  // namespace
}  // namespace tcpscope
