// SPDX-License-Identifier: MIT
// The unix, packet and MPTCP decoders on recorded dumps (tests/fixtures/nl/*.nl, made by
// make_family_fixtures.sh from tests/integration/familygen.py), and on built edge cases.
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/vm_sockets_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "diag/decode.hpp"
#include "diag/request.hpp"
#include "model/tables.hpp"
#include "render/json.hpp"
#include "render/other_sockets.hpp"
#include "source/replay_source.hpp"

namespace tcpscope {
namespace {

using model::SocketRecord;

struct Collect final : model::SocketVisitor {
  struct Row {
    SocketRecord rec;
    std::string name;
    std::vector<uint32_t> icons;
  };
  std::vector<Row> rows;
  void on_socket(const SocketRecord& r) override {
    Row row{r, std::string(r.unix_name()), {}};
    for (uint32_t i = 0; i < r.icons_count; ++i) row.icons.push_back(r.icon(i));
    row.rec.icons = nullptr;  // points into the datagram, gone after this call
    rows.push_back(std::move(row));
  }
};

std::vector<Collect::Row> replay(const char* file, model::DumpRequest req) {
  auto src = source::ReplaySource::open(std::string(TCPSCOPE_FIXTURES) + "/nl/" + file);
  EXPECT_TRUE(src) << (src ? "" : src.error().what());
  Collect c;
  req.states = model::kMaskAll;
  if (src) EXPECT_TRUE((*src)->dump(req, c));
  return c.rows;
}

TEST(FamilyDecode, UnixShapesFromARecordedDump) {
  model::DumpRequest req;
  req.family = AF_UNIX;
  const auto rows = replay("unix_full.nl", req);
  // familygen.py unix (see its docstring).
  ASSERT_EQ(rows.size(), 21u);
  const auto listener = std::find_if(rows.begin(), rows.end(), [](const Collect::Row& r) {
    return r.rec.state == 10 && r.name.find("/srv.sock") != std::string::npos;
  });
  ASSERT_NE(listener, rows.end());
  EXPECT_EQ(listener->rec.sock_type, SOCK_STREAM);
  EXPECT_EQ(listener->rec.rqueue, 2u);  // queued connections
  EXPECT_EQ(listener->rec.wqueue, 5u);  // backlog
  EXPECT_EQ(listener->icons.size(), 2u);
  EXPECT_TRUE(listener->rec.has(model::kAttrUnixVfs));
  EXPECT_NE(listener->rec.vfs_inode, 0u);
  const auto abstract = std::find_if(rows.begin(), rows.end(), [](const Collect::Row& r) {
    return r.rec.state == 10 && !r.name.empty() && r.name[0] == '\0';
  });
  ASSERT_NE(abstract, rows.end());
  EXPECT_EQ(abstract->name, std::string("\0tcpscope-abs\0x", 15));
  // The datagram socket with three 50-byte datagrams waiting, and its connected client.
  const auto dgram = std::find_if(rows.begin(), rows.end(), [](const Collect::Row& r) {
    return r.rec.sock_type == SOCK_DGRAM && r.name.find("/dgram.sock") != std::string::npos;
  });
  ASSERT_NE(dgram, rows.end());
  EXPECT_EQ(dgram->rec.rqueue, 50u);  // for a datagram socket: the next datagram's length
  const auto client = std::find_if(rows.begin(), rows.end(), [&](const Collect::Row& r) {
    return r.rec.peer_inode == dgram->rec.inode;
  });
  EXPECT_NE(client, rows.end());
  for (const auto& r : rows) {
    EXPECT_TRUE(r.rec.has(model::kAttrSkMeminfo));
    EXPECT_TRUE(r.rec.has(model::kAttrUnixRqlen));
    EXPECT_NE(model::netid_name(r.rec), "???");
  }
}

TEST(FamilyDecode, PacketSocketsFromARecordedDump) {
  model::DumpRequest req;
  req.family = AF_PACKET;
  const auto rows = replay("packet.nl", req);
  ASSERT_EQ(rows.size(), 3u);
  int bound_ip = 0;
  for (const auto& r : rows) {
    EXPECT_EQ(r.rec.family, AF_PACKET);
    EXPECT_TRUE(r.rec.has(model::kAttrPacketInfo));
    if (r.rec.raw_protocol == 0x0800 && r.rec.ifindex == 1) ++bound_ip;
  }
  EXPECT_EQ(bound_ip, 1);  // SOCK_RAW, ETH_P_IP, bound to lo
}

TEST(FamilyDecode, MptcpInfoFromARecordedDump) {
  model::DumpRequest req;
  req.family = AF_INET;
  req.protocol = IPPROTO_TCP;
  req.mptcp = true;
  const auto rows = replay("mptcp.nl", req);
  ASSERT_EQ(rows.size(), 5u);  // a listener and two connections, both ends
  for (const auto& r : rows) {
    EXPECT_TRUE(r.rec.mptcp);
    EXPECT_EQ(model::netid_name(r.rec), "mptcp");
    if (r.rec.state == 1) {
      EXPECT_TRUE(r.rec.has(model::kAttrMptcpInfo));
      EXPECT_NE(r.rec.mptcp_info.token, 0u);
      EXPECT_FALSE(r.rec.has(model::kAttrInfo));  // no tcp_info read from an mptcp_info
    }
  }
}

// A unix message whose name is longer than sun_path is cut at 108 bytes, never overflows.
TEST(FamilyDecode, UnixNameIsCutAtSunPath) {
  std::vector<std::byte> buf(1024, std::byte{0});
  auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
  auto* m = reinterpret_cast<unix_diag_msg*>(buf.data() + NLMSG_HDRLEN);
  m->udiag_family = AF_UNIX;
  m->udiag_type = SOCK_STREAM;
  m->udiag_state = 1;
  m->udiag_ino = 42;
  auto* a = reinterpret_cast<nlattr*>(buf.data() + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof *m));
  a->nla_type = UNIX_DIAG_NAME;
  a->nla_len = NLA_HDRLEN + 200;
  std::memset(reinterpret_cast<char*>(a) + NLA_HDRLEN, 'a', 200);
  nlh->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof *m) + NLA_ALIGN(a->nla_len);
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  SocketRecord r;
  ASSERT_TRUE(diag::decode_unix_diag(*nlh, r));
  EXPECT_EQ(r.name_len, model::kUnixNameMax);
  EXPECT_EQ(r.inode, 42u);
  // A truncated header is an error, not a read past the message.
  nlh->nlmsg_len = NLMSG_HDRLEN + 8;
  EXPECT_FALSE(diag::decode_unix_diag(*nlh, r));
}

// vsock (no module here to record from): a built message, decoded and printed as ss prints it.
TEST(FamilyDecode, VsockMessageAndItsRow) {
  std::vector<std::byte> buf(NLMSG_HDRLEN + sizeof(vsock_diag_msg), std::byte{0});
  auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
  nlh->nlmsg_len = static_cast<uint32_t>(buf.size());
  nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
  vsock_diag_msg m{};
  m.vdiag_family = AF_VSOCK;
  m.vdiag_type = SOCK_STREAM;
  m.vdiag_state = 10;
  m.vdiag_src_cid = 0xffffffffu;
  m.vdiag_src_port = 1234;
  m.vdiag_dst_cid = 0xffffffffu;
  m.vdiag_dst_port = 0xffffffffu;
  m.vdiag_ino = 77;
  std::memcpy(buf.data() + NLMSG_HDRLEN, &m, sizeof m);
  model::DumpRequest req;
  req.family = AF_VSOCK;
  SocketRecord r;
  ASSERT_TRUE(diag::decode_message(*nlh, req, r));
  EXPECT_EQ(model::netid_name(r), "v_str");
  EXPECT_EQ(r.vsock_src_port, 1234u);
  EXPECT_EQ(r.inode, 77u);
  fmt::memory_buffer out;
  render::append_json(out, r, nullptr);
  const std::string json(out.data(), out.size());
  EXPECT_NE(json.find("\"family\":\"vsock\",\"protocol\":\"stream\",\"state\":\"listen\","
                      "\"local_cid\":4294967295,\"local_port\":1234"),
            std::string::npos)
      << json;
  out.clear();
  render::append_vsock_id(out, r.vsock_src_cid);
  render::append_vsock_id(out, r.vsock_src_port);
  EXPECT_EQ(std::string(out.data(), out.size()), "*1234");
  nlh->nlmsg_len = NLMSG_HDRLEN + 12;  // cut: an error, no read past the message
  EXPECT_FALSE(diag::decode_message(*nlh, req, r));
}

TEST(FamilyDecode, DestroyRequestCarriesTheWholeId) {
  SocketRecord r;
  r.family = AF_INET;
  r.protocol = IPPROTO_TCP;
  r.sport = 5000;
  r.dport = 40000;
  r.src = {127, 0, 0, 1};
  r.dst = {127, 0, 0, 2};
  r.cookie = 0x0000000100000002ULL;
  std::vector<std::byte> out;
  const auto msg = diag::build_destroy_request(r, 7, out);
  const auto* nlh = reinterpret_cast<const nlmsghdr*>(msg.data());
  EXPECT_EQ(nlh->nlmsg_type, SOCK_DESTROY);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  inet_diag_req_v2 req;
  std::memcpy(&req, msg.data() + NLMSG_HDRLEN, sizeof req);
  EXPECT_EQ(req.sdiag_protocol, IPPROTO_TCP);
  EXPECT_EQ(req.id.idiag_sport, htons(5000));
  EXPECT_EQ(req.id.idiag_dport, htons(40000));
  EXPECT_EQ(req.id.idiag_cookie[0], 2u);
  EXPECT_EQ(req.id.idiag_cookie[1], 1u);
  r.origin = model::Origin::kProc;  // no cookie from /proc
  diag::build_destroy_request(r, 8, out);
  std::memcpy(&req, out.data() + NLMSG_HDRLEN, sizeof req);
  EXPECT_EQ(req.id.idiag_cookie[0], INET_DIAG_NOCOOKIE);
}

TEST(TableSelection, FollowsSsRules) {
  using model::Table;
  model::TableSelection a;
  a.add_table(Table::kTcp);
  ASSERT_FALSE(a.add_query("udp"));  // the first -A clears -t
  auto s = a.resolve(std::nullopt);
  EXPECT_EQ(s.tables, model::table_bit(Table::kUdp));
  EXPECT_EQ(s.states, model::kMaskConnected);
  model::TableSelection b;
  b.set_all();
  ASSERT_FALSE(b.add_query("unix,!u_str"));
  s = b.resolve(std::nullopt);
  EXPECT_EQ(s.tables,
            model::table_bit(Table::kUnixDgram) | model::table_bit(Table::kUnixSeqpacket));
  EXPECT_EQ(s.states, model::kMaskAll);
  EXPECT_EQ(*b.add_query("tcp,bogus"), "bogus");
  model::TableSelection c;
  c.add_family(model::kFamPacket);
  s = c.resolve(std::nullopt);
  EXPECT_EQ(s.tables, model::kPacketTables);
  EXPECT_EQ(s.states, model::state_bit(model::TcpState::kClose));
  model::TableSelection d;  // -w: raw only (the inet family is already served)
  d.add_table(Table::kRaw);
  EXPECT_EQ(d.resolve(std::nullopt).tables, model::table_bit(Table::kRaw));
  model::TableSelection e;  // nothing: TCP and UDP
  EXPECT_EQ(e.resolve(std::nullopt).tables,
            model::table_bit(Table::kTcp) | model::table_bit(Table::kUdp));
}

}  // namespace
}  // namespace tcpscope
