// SPDX-License-Identifier: MIT
// JSON objects: exact text for small records, well-formedness for big ones, escaping.
#include <gtest/gtest.h>

#include <string>

#include "render/json.hpp"
#include "unit/json_checker.hpp"
#include "unit/render_test_util.hpp"

namespace tcpscope::render {
namespace {

using model::SocketRecord;
using model::TcpState;
using testing::FakeNames;
using testing::json_well_formed;
using testing::set_info;
using testing::tcp4;
using testing::tcp6;
using testing::v4;
using testing::v4_mapped;
using testing::verified_estab;

std::string json(const SocketRecord& r, model::NameLookup* names = nullptr) {
  fmt::memory_buffer b;
  append_json(b, r, names);
  return fmt::to_string(b);
}

std::string quoted(std::string_view s) {
  fmt::memory_buffer b;
  append_json_string(b, s);
  return fmt::to_string(b);
}

TEST(JsonChecker, AcceptsAndRejects) {
  EXPECT_TRUE(json_well_formed(R"({"a":[1,-2.5e+3,true,null,"x\u00e9"],"b":{}})"));
  EXPECT_FALSE(json_well_formed(R"({"a":1,})"));
  EXPECT_FALSE(json_well_formed(R"({"a":1}{)"));
  EXPECT_FALSE(json_well_formed(R"({"a":01})"));
  EXPECT_FALSE(json_well_formed(R"({"a":1,"a":2})"));
  EXPECT_FALSE(json_well_formed("{\"a\":\"\x01\"}"));
  EXPECT_FALSE(json_well_formed("{\"a\":\"\xff\"}"));
  EXPECT_FALSE(json_well_formed(R"({"a":inf})"));
}

TEST(RenderJson, MinimalRecordExact) {
  SocketRecord r = tcp4(TcpState::kListen, v4(127, 0, 0, 1), 5555, v4(0, 0, 0, 0), 0);
  r.rqueue = 3;
  r.wqueue = 7;
  r.uid = 1000;
  r.inode = 42;
  r.cookie = 0x3138;
  EXPECT_EQ(json(r),
            R"({"family":"ipv4","protocol":"tcp","state":"listen","local_address":"127.0.0.1",)"
            R"("local_port":5555,"peer_address":"0.0.0.0","peer_port":0,"recv_q":3,"send_q":7,)"
            R"("uid":1000,"inode":42,"cookie":12600})");
}

TEST(RenderJson, OptionalPartsExact) {
  SocketRecord r =
      tcp6(TcpState::kEstablished, v4_mapped(127, 0, 0, 1), 5557, v4_mapped(127, 0, 0, 1), 53006);
  r.ifindex = 1;
  r.timer = 2;
  r.expires_ms = 568000;
  r.set(model::kAttrMark);
  r.mark = 0x42;
  r.set(model::kAttrCgroupId);
  r.cgroup_id = 1;
  r.set(model::kAttrSkV6Only);
  r.set(model::kAttrShutdown);
  r.shutdown = 2;
  r.set(model::kAttrTos);
  r.tos = 0x10;
  r.set(model::kAttrTclass);
  r.set(model::kAttrClassId);
  r.set(model::kAttrSockOpt);
  r.sockopt = (1u << 1) | (1u << 8);
  r.set(model::kAttrMeminfo);
  r.meminfo = {1, 2, 3, 4};
  r.set(model::kAttrSkMeminfo);
  r.skmem_count = 8;
  r.skmem = {1, 2, 3, 4, 5, 6, 7, 8, 99};
  testing::set_cong(r, "bbr");
  r.set(model::kAttrBbrInfo);
  r.bbr = {125, 1, 1500, 739, 512};
  r.set(model::kAttrVegasInfo);
  r.vegas = {1, 2, 3, 4};
  r.set(model::kAttrDctcpInfo);
  r.dctcp = {1, 2, 3, 4, 5};
  FakeNames names;
  names.ifnames[1] = "lo";
  names.cgroups[1] = "/";
  EXPECT_EQ(json(r, &names),
            R"({"family":"ipv6","protocol":"tcp","state":"established",)"
            R"("local_address":"::ffff:127.0.0.1","local_port":5557,)"
            R"("peer_address":"::ffff:127.0.0.1","peer_port":53006,"ifindex":1,"ifname":"lo",)"
            R"("recv_q":0,"send_q":0,"timer":{"name":"keepalive","expires_ms":568000,"retrans":0},)"
            R"("uid":0,"inode":0,"cookie":0,"mark":66,"cgroup_id":1,"cgroup":"/","v6only":false,)"
            R"("shutdown":{"recv":false,"send":true},"tos":16,"tclass":0,"class_id":0,)"
            R"("sockopt":{"recverr":false,"is_icsk":true,"freebind":false,"hdrincl":false,)"
            R"("mc_loop":false,"transparent":false,"mc_all":false,"nodefrag":false,)"
            R"("bind_address_no_port":true,"recverr_rfc4884":false,"defer_connect":false},)"
            R"("meminfo":{"rmem":1,"wmem":2,"fmem":3,"tmem":4},)"
            R"("skmem":{"rmem_alloc":1,"rcvbuf":2,"wmem_alloc":3,"sndbuf":4,"fwd_alloc":5,)"
            R"("wmem_queued":6,"optmem":7,"backlog":8},"congestion":"bbr",)"
            R"("bbr":{"bw_bytes_per_sec":4294967421,"min_rtt_us":1500,"pacing_gain":2.88671875,)"
            R"("cwnd_gain":2},"vegas":{"enabled":true,"rtt_count":2,"rtt_us":3,"min_rtt_us":4},)"
            R"("dctcp":{"enabled":true,"ce_state":2,"alpha":3,"ab_ecn":4,"ab_tot":5}})");
  // Without a lookup the names are left out, the numbers stay.
  const std::string no_names = json(r);
  EXPECT_EQ(no_names.find("\"ifname\""), std::string::npos);
  EXPECT_EQ(no_names.find("\"cgroup\""), std::string::npos);
  EXPECT_NE(no_names.find("\"ifindex\":1,"), std::string::npos);
  EXPECT_NE(no_names.find("\"cgroup_id\":1,"), std::string::npos);
  EXPECT_TRUE(json_well_formed(no_names));
}

TEST(RenderJson, TcpInfoFullIsWellFormedWithUnitNames) {
  SocketRecord r = verified_estab();
  set_info(r, 280);
  r.tcp_info.total_rto_time = 5;
  const std::string s = json(r);
  EXPECT_TRUE(json_well_formed(s)) << s;
  for (const char* key :
       {"\"rto_us\":204000", "\"rtt_us\":34", "\"rttvar_us\":19", "\"last_data_sent_ms\":23796",
        "\"pacing_rate_bytes_per_sec\":24623394779",
        "\"max_pacing_rate_bytes_per_sec\":18446744073709551615", "\"min_rtt_us\":9",
        "\"delivery_rate_bytes_per_sec\":3925333333", "\"snd_wnd\":70656", "\"rcv_wnd\":65536",
        "\"total_rto_time_ms\":5", "\"received_ce_bytes\":0", "\"snd_ssthresh\":2147483647",
        "\"reordering\":3", "\"snd_wscale\":10,\"rcv_wscale\":10",
        "\"delivery_rate_app_limited\":true", "\"state\":\"established\"", "\"ca_state\":\"open\"",
        "\"options\":{\"timestamps\":true,\"sack\":true,\"wscale\":true,\"ecn\":false,"}) {
    EXPECT_NE(s.find(key), std::string::npos) << key << " in " << s;
  }
  EXPECT_EQ(s.find("accecn"), std::string::npos);
}

TEST(RenderJson, ShortTcpInfoOmitsLaterFields) {
  SocketRecord r = verified_estab();
  set_info(r, 104);
  r.tcp_info.total_retrans = 4;
  const std::string s = json(r);
  EXPECT_TRUE(json_well_formed(s)) << s;
  EXPECT_NE(s.find("\"total_retrans\":4}"), std::string::npos) << s;  // last field present
  const std::string info = s.substr(s.find("\"tcp_info\":"));
  for (const char* key : {"\"pacing_rate_bytes_per_sec\"", "\"bytes_acked\"", "\"segs_out\"",
                          "\"min_rtt_us\"", "\"delivery_rate_bytes_per_sec\"", "\"bytes_sent\"",
                          "\"snd_wnd\"", "\"rcv_wnd\"", "\"total_rto\""}) {
    EXPECT_EQ(info.find(key), std::string::npos) << key;
  }
  EXPECT_NE(info.find("\"rcv_space\":65495"), std::string::npos);
}

TEST(RenderJson, EmptyTcpInfoIsAnEmptyObject) {
  SocketRecord r = tcp4(TcpState::kEstablished, v4(1, 1, 1, 1), 1, v4(2, 2, 2, 2), 2);
  set_info(r, 0);
  const std::string s = json(r);
  EXPECT_NE(s.find(",\"tcp_info\":{}}"), std::string::npos) << s;
  EXPECT_TRUE(json_well_formed(s));
}

TEST(RenderJson, ProcRecordHasNoCookieAndOnlyProcTcpInfo) {
  SocketRecord r = tcp4(TcpState::kEstablished, v4(1, 1, 1, 1), 1, v4(2, 2, 2, 2), 2);
  r.origin = model::Origin::kProc;
  set_info(r, 84);
  r.tcp_info.rto = 204000;
  r.tcp_info.ato = 40000;
  r.tcp_info.snd_cwnd = 10;
  r.tcp_info.snd_ssthresh = 7;
  r.tcp_info.state = static_cast<uint8_t>(TcpState::kEstablished);
  r.tcp_info.unacked = 5;  // /proc has it for listeners only
  const std::string s = json(r);
  EXPECT_EQ(s.find("cookie"), std::string::npos);
  EXPECT_NE(
      s.find(R"("tcp_info":{"state":"established","retransmits":0,"probes":0,"rto_us":204000,)"
             R"("ato_us":40000,"snd_ssthresh":7,"snd_cwnd":10}})"),
      std::string::npos)
      << s;
}

TEST(RenderJson, StringEscaping) {
  EXPECT_EQ(quoted(""), R"("")");
  EXPECT_EQ(quoted("/system.slice/a b.service"), R"("/system.slice/a b.service")");
  EXPECT_EQ(quoted("q\"b\\s/"), R"("q\"b\\s/")");
  EXPECT_EQ(quoted("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(quoted(std::string_view("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f)"
                                                             "\x7f\"");
  EXPECT_EQ(quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");  // valid UTF-8 passes
  EXPECT_EQ(quoted("a\xff"
                   "b"),
            R"("a\ufffdb")");
  EXPECT_EQ(quoted("\xc3"), R"("\ufffd")");                                // truncated sequence
  EXPECT_EQ(quoted("\xc0\xaf"), R"("\ufffd\ufffd")");                      // overlong
  EXPECT_EQ(quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");            // surrogate
  EXPECT_EQ(quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
}

TEST(RenderJson, HostileNamesStayWellFormed) {
  SocketRecord r = tcp4(TcpState::kListen, v4(127, 0, 0, 1), 80, v4(0, 0, 0, 0), 0);
  r.ifindex = 3;
  r.set(model::kAttrCgroupId);
  r.cgroup_id = 9;
  testing::set_cong(r, "c\"o\\n\x01\xff");
  FakeNames names;
  names.ifnames[3] = "e\"t,h\n0";
  names.cgroups[9] = "/we\\ird\x7f/\xe2\x82/\"}";
  const std::string s = json(r, &names);
  EXPECT_TRUE(json_well_formed(s)) << s;
  EXPECT_NE(s.find(R"("ifname":"e\"t,h\n0")"), std::string::npos) << s;
  EXPECT_NE(s.find(R"("congestion":"c\"o\\n\u0001\ufffd")"), std::string::npos) << s;
}

TEST(RenderJson, AppendsWithoutClearing) {
  fmt::memory_buffer b;
  b.push_back('[');
  SocketRecord r = tcp4(TcpState::kListen, v4(127, 0, 0, 1), 80, v4(0, 0, 0, 0), 0);
  append_json(b, r, nullptr);
  b.push_back(',');
  append_json(b, verified_estab(), nullptr);
  b.push_back(']');
  EXPECT_TRUE(json_well_formed(fmt::to_string(b)));
}

}  // namespace
}  // namespace tcpscope::render
