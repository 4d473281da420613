// SPDX-License-Identifier: MIT
// CSV: fixed header, exact rows, RFC 4180 quoting.
#include <gtest/gtest.h>

#include <string>

#include "render/csv.hpp"
#include "unit/render_test_util.hpp"

namespace tcpscope::render {
namespace {

using model::SocketRecord;
using model::TcpState;
using testing::FakeNames;
using testing::tcp4;
using testing::v4;

constexpr int kTcpiColumns = 34;

std::string row(const SocketRecord& r, model::NameLookup* names = nullptr) {
  fmt::memory_buffer b;
  append_csv_row(b, r, names);
  return fmt::to_string(b);
}

std::string field(std::string_view s) {
  fmt::memory_buffer b;
  append_csv_field(b, s);
  return fmt::to_string(b);
}

size_t count(const std::string& s, char c) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), c));
}

TEST(RenderCsv, EmptyFieldsIncludingADefaultView) {
  // A lookup that knows no name may return a default view (no data pointer): an empty field.
  EXPECT_EQ(field(std::string_view()), "");
  EXPECT_EQ(field(""), "");
}

TEST(RenderCsv, Header) {
  fmt::memory_buffer b;
  append_csv_header(b);
  EXPECT_EQ(fmt::to_string(b),
            "netid,state,recv_q,send_q,local_address,local_port,peer_address,peer_port,interface,"
            "uid,inode,cookie,timer,timer_expires_ms,timer_retrans,cgroup_id,cgroup,congestion,"
            "rto_us,rtt_us,rttvar_us,min_rtt_us,snd_mss,rcv_mss,snd_cwnd,snd_ssthresh,unacked,"
            "lost,retrans,total_retrans,bytes_sent,bytes_retrans,bytes_acked,bytes_received,"
            "segs_out,segs_in,data_segs_out,data_segs_in,delivered,pacing_rate_bytes_per_sec,"
            "delivery_rate_bytes_per_sec,busy_time_us,rwnd_limited_us,sndbuf_limited_us,"
            "last_data_sent_ms,last_data_recv_ms,last_ack_recv_ms,notsent_bytes,reordering,"
            "rcv_space,snd_wnd,rcv_wnd,peer_inode,protocol_number\n");
}

TEST(RenderCsv, RowWithoutTcpInfoHasEmptyColumns) {
  SocketRecord r = tcp4(TcpState::kListen, v4(127, 0, 0, 1), 5555, v4(0, 0, 0, 0), 0);
  r.rqueue = 3;
  r.wqueue = 7;
  r.uid = 1000;
  r.inode = 42;
  r.cookie = 0x3138;
  EXPECT_EQ(row(r), "tcp,listen,3,7,127.0.0.1,5555,0.0.0.0,0,,1000,42,12600,,,,,,," +
                        std::string(kTcpiColumns - 1, ',') + ",,\n");
}

TEST(RenderCsv, RowWithTcpInfo) {
  SocketRecord r = testing::verified_estab();
  r.timer = 1;
  r.expires_ms = 200;
  r.set(model::kAttrCgroupId);
  r.cgroup_id = 1;
  FakeNames names;
  names.cgroups[1] = "/";
  EXPECT_EQ(row(r, &names),
            "tcp,established,0,0,127.0.0.1,55038,127.0.0.1,5555,,0,0,0,on,200,0,1,/,bbr,"
            "204000,34,19,9,35328,536,11,2147483647,0,0,0,0,1000,0,1001,0,3,2,1,0,2,24623394779,"
            "3925333333,0,0,0,23796,23796,23796,0,3,65495,70656,65536,,\n");
}

TEST(RenderCsv, ShortTcpInfoLeavesLaterColumnsEmpty) {
  SocketRecord r = testing::verified_estab();
  testing::set_info(r, 104);
  const std::string s = row(r);
  EXPECT_EQ(s,
            "tcp,established,0,0,127.0.0.1,55038,127.0.0.1,5555,,0,0,0,,,,,,bbr,"
            "204000,34,19,,35328,536,11,2147483647,0,0,0,0,,,,,,,,,,,,,,,23796,23796,23796,,3,"
            "65495,,,,\n");
}

TEST(RenderCsv, ProcRecordHasNoCookieAndFewTcpInfoColumns) {
  SocketRecord r = tcp4(TcpState::kEstablished, v4(1, 1, 1, 1), 1, v4(2, 2, 2, 2), 2);
  r.origin = model::Origin::kProc;
  testing::set_info(r, 84);
  r.tcp_info.rto = 204000;
  r.tcp_info.snd_cwnd = 10;
  r.tcp_info.snd_ssthresh = 7;
  r.tcp_info.snd_mss = 1448;  // not a /proc field: stays empty
  EXPECT_EQ(row(r), "tcp,established,0,0,1.1.1.1,1,2.2.2.2,2,,0,0,,,,,,,,204000,,,,,,10,7" +
                        std::string(kTcpiColumns - 8, ',') + ",,\n");
}

TEST(RenderCsv, QuotingRfc4180) {
  EXPECT_EQ(field("plain"), "plain");
  EXPECT_EQ(field(""), "");
  EXPECT_EQ(field("a,b"), "\"a,b\"");
  EXPECT_EQ(field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(field("line\nbreak"), "\"line\nbreak\"");
  EXPECT_EQ(field("cr\r"), "\"cr\r\"");
  EXPECT_EQ(field(" spaced "), " spaced ");
}

TEST(RenderCsv, HostileNamesAreQuotedAndColumnCountHolds) {
  SocketRecord r = tcp4(TcpState::kListen, v4(127, 0, 0, 1), 80, v4(0, 0, 0, 0), 0);
  r.ifindex = 3;
  r.set(model::kAttrCgroupId);
  r.cgroup_id = 9;
  FakeNames names;
  names.ifnames[3] = "e\"t,h0";
  names.cgroups[9] = "/a,b\nc";
  const std::string s = row(r, &names);
  EXPECT_NE(s.find(",\"e\"\"t,h0\",0,"), std::string::npos) << s;
  EXPECT_NE(s.find(",9,\"/a,b\nc\","), std::string::npos) << s;
  // Outside quotes there are exactly 53 separators (the last two: peer_inode, protocol_number).
  size_t separators = 0;
  bool in_quotes = false;
  for (char c : s) {
    if (c == '"') in_quotes = !in_quotes;
    if (c == ',' && !in_quotes) ++separators;
  }
  EXPECT_EQ(separators, 19u + kTcpiColumns);
  r.ifindex = 4;  // unknown: ifN
  EXPECT_NE(row(r, &names).find(",if4,"), std::string::npos);
  EXPECT_EQ(count(row(r, nullptr), '\n'), 1u);
}

}  // namespace
}  // namespace tcpscope::render
