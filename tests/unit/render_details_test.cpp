// SPDX-License-Identifier: MIT
// The ss detail column (-o -e -m -i --tos --cgroup --inet-sockopt), byte for byte.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "render/details.hpp"
#include "unit/render_details_util.hpp"
#include "unit/render_test_util.hpp"

namespace tcpscope::render {
namespace {

using namespace testing_details;  // NOLINT(google-build-using-namespace)

// ---------------------------------------------------------------------------------------------
// -o timers

TEST(RenderTimer, ExpiryTextFollowsSs611) {
  EXPECT_EQ(expiry(0), "");
  EXPECT_EQ(expiry(5), "005ms");  // ss keeps three digits for a lone millisecond count
  EXPECT_EQ(expiry(200), "200ms");
  EXPECT_EQ(expiry(1000), "1sec");
  EXPECT_EQ(expiry(1500), "1.500sec");  // ss 6.1: 1.500ms
  EXPECT_EQ(expiry(9373), "9.373sec");  // ss 6.1: 9.373ms
  EXPECT_EQ(expiry(10000), "10sec");
  EXPECT_EQ(expiry(12345), "12sec");
  EXPECT_EQ(expiry(60000), "1min");
  EXPECT_EQ(expiry(61500), "1min1sec");
  EXPECT_EQ(expiry(568000), "9min28sec");
  EXPECT_EQ(expiry(600000), "10min");
  EXPECT_EQ(expiry(754000), "12min");
}

TEST(RenderTimer, NamesAndRetransCount) {
  SocketRecord r = estab();
  DetailOptions o;
  o.options = true;
  EXPECT_EQ(details(r, o), "");  // no timer, nothing printed
  r.timer = 1;
  r.expires_ms = 200;
  EXPECT_EQ(details(r, o), " timer:(on,200ms,0)");
  r.timer = 2;
  r.expires_ms = 568000;
  EXPECT_EQ(details(r, o), " timer:(keepalive,9min28sec,0)");
  r.timer = 3;
  r.expires_ms = 0;
  EXPECT_EQ(details(r, o), " timer:(timewait,,0)");
  r.timer = 4;
  r.expires_ms = 1500;
  r.retrans = 3;
  EXPECT_EQ(details(r, o), " timer:(persist,1.500sec,3)");
  r.timer = 5;
  EXPECT_EQ(details(r, o), " timer:(unknown,1.500sec,3)");
  r.timer = 200;
  EXPECT_EQ(details(r, o), " timer:(unknown,1.500sec,3)");
}

TEST(RenderTimer, OnlyWithOptionsOrExtended) {
  SocketRecord r = estab();
  r.timer = 1;
  r.expires_ms = 200;
  EXPECT_EQ(details(r, DetailOptions{}), "");
  DetailOptions e;
  e.extended = true;
  EXPECT_EQ(details(r, e), " timer:(on,200ms,0) ino:0 sk:0");
}

// ---------------------------------------------------------------------------------------------
// -e

TEST(RenderExtended, VerifiedSsRow) {
  // : timer:(keepalive,9min28sec,0) ino:422837 sk:3138 fwmark:0x42 cgroup:/ <->
  SocketRecord r = estab();
  r.timer = 2;
  r.expires_ms = 568000;
  r.inode = 422837;
  r.cookie = 0x3138;
  r.mark = 0x42;
  r.set(model::kAttrMark);
  r.cgroup_id = 1;
  r.set(model::kAttrCgroupId);
  r.set(model::kAttrShutdown);
  FakeNames names;
  names.cgroups[1] = "/";
  DetailOptions o;
  o.extended = true;
  o.names = &names;
  EXPECT_EQ(details(r, o),
            " timer:(keepalive,9min28sec,0) ino:422837 sk:3138 fwmark:0x42 cgroup:/ <->");
}

TEST(RenderExtended, UidOnlyWhenNonZeroAndCookieIsHex) {
  SocketRecord r = estab();
  r.uid = 1000;
  r.inode = 7;
  r.cookie = 0x1234567890abcdefULL;
  fmt::memory_buffer b;
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " uid:1000 ino:7 sk:1234567890abcdef");
}

TEST(RenderExtended, MarkOnlyWhenPresentAndNonZero) {
  SocketRecord r = estab();
  r.mark = 5;  // attribute absent
  fmt::memory_buffer b;
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0");
  r.set(model::kAttrMark);
  r.mark = 0;
  b.clear();
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0");
}

TEST(RenderExtended, CgroupFallsBackToUnreachable) {
  SocketRecord r = estab();
  r.cgroup_id = 0x8ed7;
  r.set(model::kAttrCgroupId);
  FakeNames names;
  fmt::memory_buffer b;
  append_extended(b, r, &names);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0 cgroup:unreachable:8ed7");
  b.clear();
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0 cgroup:unreachable:8ed7");
  names.cgroups[0x8ed7] = "/system.slice/nfs-server.service";
  b.clear();
  append_extended(b, r, &names);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0 cgroup:/system.slice/nfs-server.service");
}

TEST(RenderExtended, V6onlyOnlyForInet6WithAttribute) {
  SocketRecord r = tcp6(TcpState::kListen, {}, 22, {}, 0);
  fmt::memory_buffer b;
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0");
  r.set(model::kAttrSkV6Only);
  r.v6only = 1;
  b.clear();
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0 v6only:1");
  r.v6only = 0;
  b.clear();
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0 v6only:0");
  r.family = testing::kAfInet;  // an AF_INET record never prints it
  b.clear();
  append_extended(b, r, nullptr);
  EXPECT_EQ(fmt::to_string(b), " ino:0 sk:0");
}

TEST(RenderExtended, ShutdownArrows) {
  SocketRecord r = estab();
  const char* expected[] = {" ino:0 sk:0 <->", " ino:0 sk:0 -->", " ino:0 sk:0 <--",
                            " ino:0 sk:0 ---"};
  for (uint8_t mask = 0; mask < 4; ++mask) {
    r.set(model::kAttrShutdown);
    r.shutdown = mask;
    fmt::memory_buffer b;
    append_extended(b, r, nullptr);
    EXPECT_EQ(fmt::to_string(b), expected[mask]) << int{mask};
  }
}

// ---------------------------------------------------------------------------------------------
// --tos, --cgroup, --inet-sockopt

TEST(RenderTos, AltHexPrintsZeroAsZero) {
  SocketRecord r = tcp6(TcpState::kEstablished, {}, 1, {}, 2);
  DetailOptions o;
  o.tos = true;
  EXPECT_EQ(details(r, o), "");
  r.set(model::kAttrTos);
  r.set(model::kAttrClassId);
  EXPECT_EQ(details(r, o), " tos:0 class_id:0");
  r.set(model::kAttrTclass);
  r.tos = 0x10;
  r.tclass = 0xb8;
  r.class_id = 0x10001;
  EXPECT_EQ(details(r, o), " tos:0x10 tclass:0xb8 class_id:0x10001");
}

TEST(RenderCgroup, CgroupOptionPrintsAgainAfterExtended) {
  SocketRecord r = estab();
  r.cgroup_id = 1;
  r.set(model::kAttrCgroupId);
  FakeNames names;
  names.cgroups[1] = "/";
  DetailOptions o;
  o.cgroup = true;
  o.names = &names;
  EXPECT_EQ(details(r, o), " cgroup:/");
  o.extended = true;
  EXPECT_EQ(details(r, o), " ino:0 sk:0 cgroup:/ cgroup:/");
}

TEST(RenderSockopt, VerifiedFlags) {
  SocketRecord r = estab();
  r.set(model::kAttrSockOpt);
  r.sockopt = (1u << 1) | (1u << 4) | (1u << 6);  // is_icsk mc_loop mc_all
  DetailOptions o;
  o.inet_sockopt = true;
  EXPECT_EQ(details(r, o), "\n\tinet-sockopt: ( is_icsk mc_loop mc_all)");
  o.oneline = true;
  EXPECT_EQ(details(r, o), " inet-sockopt: ( is_icsk mc_loop mc_all)");
  r.sockopt = 0x7ff;
  EXPECT_EQ(details(r, o),
            " inet-sockopt: ( recverr is_icsk freebind hdrincl mc_loop transparent mc_all "
            "nodefrag bind_addr_no_port recverr_rfc4884 defer_connect)");
}

// ---------------------------------------------------------------------------------------------
// -m

TEST(RenderMemory, SkmemWithSevenEightAndNineEntries) {
  SocketRecord r = tcp4(TcpState::kListen, v4(0, 0, 0, 0), 80, v4(0, 0, 0, 0), 0);
  r.set(model::kAttrSkMeminfo);
  r.skmem = {1, 131072, 3, 16384, 5, 6, 7, 8, 9};
  DetailOptions o;
  o.memory = true;
  r.skmem_count = 9;
  EXPECT_EQ(details(r, o), "\n\t skmem:(r1,rb131072,t3,tb16384,f5,w6,o7,bl8,d9)");
  r.skmem_count = 8;
  EXPECT_EQ(details(r, o), "\n\t skmem:(r1,rb131072,t3,tb16384,f5,w6,o7,bl8)");
  r.skmem_count = 7;
  EXPECT_EQ(details(r, o), "\n\t skmem:(r1,rb131072,t3,tb16384,f5,w6,o7)");
}

TEST(RenderMemory, MeminfoFallbackAndNothing) {
  SocketRecord r = estab();
  DetailOptions o;
  o.memory = true;
  EXPECT_EQ(details(r, o), "\n\t");
  r.set(model::kAttrMeminfo);
  r.meminfo = {1, 2, 3, 4};
  EXPECT_EQ(details(r, o), "\n\t mem:(r1,w2,f3,t4)");
  o.memory = false;
  EXPECT_EQ(details(r, o), "");
}

TEST(RenderMemory, ComesBeforeTcpInfo) {
  SocketRecord r = estab();
  r.set(model::kAttrSkMeminfo);
  r.skmem_count = 9;
  set_info(r);
  r.tcp_info.snd_cwnd = 10;
  r.tcp_info.reordering = 3;
  DetailOptions o = info_opts();
  o.memory = true;
  EXPECT_EQ(details(r, o), "\n\t skmem:(r0,rb0,t0,tb0,f0,w0,o0,bl0,d0) cwnd:10");
}

// ---------------------------------------------------------------------------------------------
// -i: the block and its prefix

TEST(RenderInfo, VerifiedEstabRowNumeric) {
  EXPECT_EQ(details(verified_estab(), info_opts()),
            "\n\t bbr wscale:10,10 rto:204 rtt:0.034/0.019 mss:35328 pmtu:65535 rcvmss:536 "
            "advmss:65483 cwnd:11 bytes_sent:1000 bytes_acked:1001 segs_out:3 segs_in:2 "
            "data_segs_out:1 bbr:(bw:31402664792bps,mrtt:0.009,pacing_gain:2.88672,"
            "cwnd_gain:2.88672) send 91437176471bps lastsnd:23796 lastrcv:23796 lastack:23796 "
            "pacing_rate 196987158232bps delivery_rate 31402666664bps delivered:2 app_limited "
            "rcv_space:65495 rcv_ssthresh:65495 minrtt:0.009 snd_wnd:70656");
}

TEST(RenderInfo, VerifiedEstabRowWithOptionsAndUnits) {
  SocketRecord r = verified_estab();
  r.tcp_info.ato = 40000;
  DetailOptions o = info_opts(false);
  o.options = true;
  EXPECT_EQ(details(r, o),
            "\n\t ts sack bbr wscale:10,10 rto:204 rtt:0.034/0.019 ato:40 mss:35328 pmtu:65535 "
            "rcvmss:536 advmss:65483 cwnd:11 bytes_sent:1000 bytes_acked:1001 segs_out:3 "
            "segs_in:2 data_segs_out:1 bbr:(bw:31.4Gbps,mrtt:0.009,pacing_gain:2.88672,"
            "cwnd_gain:2.88672) send 91.4Gbps lastsnd:23796 lastrcv:23796 lastack:23796 "
            "pacing_rate 197Gbps delivery_rate 31.4Gbps delivered:2 app_limited "
            "rcv_space:65495 rcv_ssthresh:65495 minrtt:0.009 snd_wnd:70656");
}

TEST(RenderInfo, VerifiedListenerRow) {
  SocketRecord r = tcp4(TcpState::kListen, v4(127, 0, 0, 1), 5555, v4(0, 0, 0, 0), 0);
  set_info(r, 280);
  set_cong(r, "bbr");
  r.tcp_info.state = 10;
  r.tcp_info.snd_cwnd = 10;
  r.tcp_info.reordering = 3;
  r.tcp_info.unacked = 3;  // accept queue
  r.tcp_info.sacked = 7;   // backlog: hidden for LISTEN
  EXPECT_EQ(details(r, info_opts()), "\n\t bbr cwnd:10 unacked:3");
}

TEST(RenderInfo, OnelineDropsTheNewline) {
  DetailOptions o = info_opts();
  o.oneline = true;
  const std::string s = details(verified_estab(), o);
  EXPECT_EQ(s.rfind(" bbr wscale:10,10 rto:204 ", 0), 0u) << s;
  EXPECT_EQ(s.find('\n'), std::string::npos);
}

TEST(RenderInfo, TimeWaitGetsAnEmptyTabLine) {
  SocketRecord r = tcp4(TcpState::kTimeWait, v4(1, 2, 3, 4), 5, v4(6, 7, 8, 9), 10);
  r.timer = 3;
  r.expires_ms = 59000;
  DetailOptions o = info_opts();
  o.options = true;
  EXPECT_EQ(details(r, o), " timer:(timewait,59sec,0)\n\t");
}

TEST(RenderInfo, UdpHasNoInfoBlockButHasMemory) {
  SocketRecord r = estab();
  r.protocol = testing::kUdp;
  EXPECT_EQ(details(r, info_opts()), "");
  DetailOptions o = info_opts();
  o.memory = true;
  r.set(model::kAttrSkMeminfo);
  r.skmem_count = 9;
  EXPECT_EQ(details(r, o), "\n\t skmem:(r0,rb0,t0,tb0,f0,w0,o0,bl0,d0)");
}

TEST(RenderInfo, NothingWithoutInfoAttribute) {
  SocketRecord r = estab();
  r.tcp_info.snd_cwnd = 10;  // set but INET_DIAG_INFO absent
  set_cong(r, "cubic");
  EXPECT_EQ(info(r), "");
}

// ---------------------------------------------------------------------------------------------
// -i: one condition at a time

TEST(RenderInfo, OptionFlagsOnlyWithOptionsOrExtended) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  r.tcp_info.options = model::kTcpiOptTimestamps | model::kTcpiOptSack | model::kTcpiOptEcn |
                       model::kTcpiOptEcnSeen | model::kTcpiOptSynData | model::kTcpiOptUsecTs;
  EXPECT_EQ(info(r), "");
  DetailOptions o = info_opts();
  o.options = true;
  EXPECT_EQ(info(r, o), " ts sack ecn ecnseen fastopen");
  o.options = false;
  o.extended = true;
  EXPECT_EQ(info(r, o), " ts sack ecn ecnseen fastopen");
  o.newer_ss = true;
  EXPECT_EQ(info(r, o), " ts usec_ts sack ecn ecnseen fastopen");
}

TEST(RenderInfo, WscaleIndependentOfOptions) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  r.tcp_info.wscale = 0x97;  // snd 7, rcv 9
  EXPECT_EQ(info(r), "");    // WSCALE option bit not set
  r.tcp_info.options = model::kTcpiOptWscale;
  EXPECT_EQ(info(r), " wscale:7,9");
}

TEST(RenderInfo, RtoHiddenAtInitialThreeSeconds) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  r.tcp_info.rto = 3000000;
  EXPECT_EQ(info(r), "");
  r.tcp_info.rto = 201000;
  EXPECT_EQ(info(r), " rto:201");
  r.tcp_info.rto = 1632000;
  r.tcp_info.backoff = 3;
  EXPECT_EQ(info(r), " rto:1632 backoff:3");
}

TEST(RenderInfo, TimesAreMillisecondsWithPercentG) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  r.tcp_info.rtt = 14;
  r.tcp_info.rttvar = 200000;
  r.tcp_info.ato = 40000;
  r.tcp_info.rcv_rtt = 1234567;
  r.tcp_info.min_rtt = 204000;
  EXPECT_EQ(info(r), " rtt:0.014/200 ato:40 rcv_rtt:1234.57 minrtt:204");
}

TEST(RenderInfo, SsthreshHiddenWhenInfiniteOrZero) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  for (uint32_t v : {0u, 0xFFFFu, 0x7fffffffu, 0xffffffffu}) {
    r.tcp_info.snd_ssthresh = v;
    EXPECT_EQ(info(r), "") << v;
  }
  r.tcp_info.snd_ssthresh = 0xFFFE;
  EXPECT_EQ(info(r), " ssthresh:65534");
  r.tcp_info.snd_ssthresh = 7;
  EXPECT_EQ(info(r), " ssthresh:7");
}

TEST(RenderInfo, SizesAndCounters) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.snd_mss = 1448;
  t.pmtu = 1500;
  t.rcv_mss = 536;
  t.advmss = 1448;
  t.snd_cwnd = 10;
  t.bytes_sent = 5000000000ULL;
  t.bytes_retrans = 2;
  t.bytes_acked = 3;
  t.bytes_received = 4;
  t.segs_out = 5;
  t.segs_in = 6;
  t.data_segs_out = 7;
  t.data_segs_in = 8;
  EXPECT_EQ(info(r),
            " mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10 bytes_sent:5000000000 "
            "bytes_retrans:2 bytes_acked:3 bytes_received:4 segs_out:5 segs_in:6 "
            "data_segs_out:7 data_segs_in:8");
}

TEST(RenderInfo, PercentDFieldsWrapLikeSs) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 0x80000000u;
  EXPECT_EQ(info(r), " reordering:-2147483648");
}

TEST(RenderInfo, SendRateNeedsRttMssAndCwnd) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.snd_cwnd = 10;
  t.snd_mss = 1000;
  EXPECT_EQ(info(r), " mss:1000 cwnd:10");  // no rtt: no send rate
  t.rtt = 1000;
  t.rttvar = 500;
  EXPECT_EQ(info(r), " rtt:1/0.5 mss:1000 cwnd:10 send 80000000bps");
  EXPECT_EQ(info(r, info_opts(false)), " rtt:1/0.5 mss:1000 cwnd:10 send 80Mbps");
}

TEST(RenderInfo, VegasRttDrivesSendRate) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.snd_cwnd = 10;
  t.snd_mss = 1000;
  t.rtt = 1000;
  t.rttvar = 0;
  r.set(model::kAttrVegasInfo);
  r.vegas = {1, 5, 2000, 900};
  EXPECT_EQ(info(r), " rtt:1/0 mss:1000 cwnd:10 send 40000000bps");
  r.vegas.rtt = 0x7fffffff;  // "no estimate": tcp_info's rtt again
  EXPECT_EQ(info(r), " rtt:1/0 mss:1000 cwnd:10 send 80000000bps");
  r.vegas = {0, 5, 2000, 900};  // disabled
  EXPECT_EQ(info(r), " rtt:1/0 mss:1000 cwnd:10 send 80000000bps");
}

TEST(RenderInfo, DctcpEnabledAndFallback) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  set_cong(r, "dctcp");
  r.set(model::kAttrDctcpInfo);
  r.dctcp = {1, 2, 3, 4, 5};
  EXPECT_EQ(info(r), " dctcp dctcp:(ce_state:2,alpha:3,ab_ecn:4,ab_tot:5)");
  r.dctcp.enabled = 0;
  EXPECT_EQ(info(r), " dctcp dctcp:fallback_mode");
}

TEST(RenderInfo, BbrGainsOnlyWhenNonZero) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  r.set(model::kAttrBbrInfo);
  r.bbr = {0, 0, 0, 0, 0};
  EXPECT_EQ(info(r, info_opts(false)), " bbr:(bw:0bps,mrtt:0)");
  r.bbr = {125, 1, 1500, 256, 0};  // bw = 2^32 + 125 bytes/s
  EXPECT_EQ(info(r), " bbr:(bw:34359739368bps,mrtt:1.5,pacing_gain:1)");
}

TEST(RenderInfo, LastTimesEachOnlyWhenNonZero) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  r.tcp_info.last_data_recv = 12;
  EXPECT_EQ(info(r), " lastrcv:12");
  r.tcp_info.last_ack_sent = 99;  // never printed by ss
  r.tcp_info.last_data_sent = 1;
  r.tcp_info.last_ack_recv = 2;
  EXPECT_EQ(info(r), " lastsnd:1 lastrcv:12 lastack:2");
}

TEST(RenderInfo, PacingRateAndMaxHiddenWhenUnlimited) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.pacing_rate = ~uint64_t{0};
  t.max_pacing_rate = 1000;
  EXPECT_EQ(info(r), "");
  t.pacing_rate = 125;
  EXPECT_EQ(info(r), " pacing_rate 1000bps/8000bps");
  EXPECT_EQ(info(r, info_opts(false)), " pacing_rate 1kbps/8kbps");
  t.max_pacing_rate = ~uint64_t{0};
  EXPECT_EQ(info(r), " pacing_rate 1000bps");
  t.max_pacing_rate = 0;
  EXPECT_EQ(info(r), " pacing_rate 1000bps");
}

TEST(RenderInfo, DeliveryAndAppLimited) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.delivery_rate = 100;
  t.delivered = 7;
  t.delivered_ce = 2;
  t.flags = 1;
  EXPECT_EQ(info(r), " delivery_rate 800bps delivered:7 delivered_ce:2 app_limited");
  t.flags = 6;  // fastopen_client_fail bits only
  EXPECT_EQ(info(r), " delivery_rate 800bps delivered:7 delivered_ce:2");
}

TEST(RenderInfo, BusyAndLimitedShares) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.rwnd_limited = 250000;  // without busy time nothing prints
  EXPECT_EQ(info(r), "");
  t.busy_time = 1000000;
  EXPECT_EQ(info(r), " busy:1000ms rwnd_limited:250ms(25.0%)");
  t.sndbuf_limited = 1999;
  EXPECT_EQ(info(r), " busy:1000ms rwnd_limited:250ms(25.0%) sndbuf_limited:1ms(0.2%)");
}

TEST(RenderInfo, LossStateAndSackedHiddenForListen) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.unacked = 1;
  t.total_retrans = 5;
  t.lost = 2;
  t.sacked = 3;
  t.dsack_dups = 4;
  t.fackets = 6;
  t.reord_seen = 8;
  EXPECT_EQ(info(r), " unacked:1 retrans:0/5 lost:2 sacked:3 dsack_dups:4 fackets:6 reord_seen:8");
  r.state = testing::st(TcpState::kListen);
  EXPECT_EQ(info(r), " unacked:1 retrans:0/5 lost:2 dsack_dups:4 fackets:6 reord_seen:8");
}

TEST(RenderInfo, ReorderingHiddenOnlyAtThree) {
  SocketRecord r = estab();
  set_info(r);
  r.tcp_info.reordering = 3;
  EXPECT_EQ(info(r), "");
  r.tcp_info.reordering = 0;
  EXPECT_EQ(info(r), " reordering:0");
  r.tcp_info.reordering = 4;
  EXPECT_EQ(info(r), " reordering:4");
}

TEST(RenderInfo, ReceiverSideAndWindows) {
  SocketRecord r = estab();
  set_info(r);
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.rcv_space = 14600;
  t.rcv_ssthresh = 64076;
  t.notsent_bytes = 10;
  t.min_rtt = ~uint32_t{0};  // "no sample": hidden
  t.rcv_ooopack = 3;
  t.snd_wnd = 65536;
  t.rcv_wnd = 65535;
  t.rehash = 2;
  EXPECT_EQ(info(r), " rcv_space:14600 rcv_ssthresh:64076 notsent:10 rcv_ooopack:3 snd_wnd:65536");
  DetailOptions o = info_opts();
  o.newer_ss = true;
  EXPECT_EQ(info(r, o),
            " rcv_space:14600 rcv_ssthresh:64076 notsent:10 rcv_ooopack:3 snd_wnd:65536 "
            "rcv_wnd:65535 rehash:2");
}

TEST(RenderInfo, ShortTcpInfoNeverPrintsLaterFields) {
  // A <= 3.14 kernel sends 104 bytes: everything from pacing_rate on is absent, even if the
  // bytes behind it were non-zero.
  SocketRecord r = verified_estab();
  set_info(r, 104);
  r.tcp_info.total_retrans = 4;
  r.tcp_info.dsack_dups = 9;
  r.tcp_info.rcv_wnd = 1;
  EXPECT_EQ(info(r),
            " bbr wscale:10,10 rto:204 rtt:0.034/0.019 mss:35328 pmtu:65535 rcvmss:536 "
            "advmss:65483 cwnd:11 bbr:(bw:31402664792bps,mrtt:0.009,pacing_gain:2.88672,"
            "cwnd_gain:2.88672) send 91437176471bps lastsnd:23796 lastrcv:23796 lastack:23796 "
            "app_limited retrans:0/4 rcv_space:65495 rcv_ssthresh:65495");
}

TEST(RenderInfo, EachLengthCutsExactlyAtFieldEnds) {
  SocketRecord r = estab();
  auto& t = r.tcp_info;
  t.reordering = 3;
  t.snd_wnd = 1;      // 228..232
  t.rcv_ooopack = 2;  // 224..228
  set_info(r, 231);
  EXPECT_EQ(info(r), " rcv_ooopack:2");
  set_info(r, 232);
  EXPECT_EQ(info(r), " rcv_ooopack:2 snd_wnd:1");
  set_info(r, 0);  // INFO present but empty: only what is not tcp_info
  set_cong(r, "cubic");
  EXPECT_EQ(info(r), " cubic");
}

TEST(RenderInfo, ProcRecordsShowOnlyWhatProcHas) {
  SocketRecord r = estab();
  r.origin = model::Origin::kProc;
  set_info(r, 84);
  auto& t = r.tcp_info;
  t.rto = 204000;  // the /proc source converts jiffies to microseconds
  t.ato = 40000;
  t.snd_cwnd = 10;
  t.snd_ssthresh = 7;
  t.reordering = 0;  // /proc has no reordering: never "reordering:0" as ss's /proc path prints
  t.snd_mss = 1448;
  EXPECT_EQ(details(r, info_opts()), "\n\t rto:204 ato:40 cwnd:10 ssthresh:7");
  t.snd_ssthresh = 0xffffffff;  // /proc's -1
  t.rto = 3000000;
  EXPECT_EQ(info(r), " ato:40 cwnd:10");
}

TEST(RenderDetails, NoOptionsNoText) {
  SocketRecord r = verified_estab();
  r.timer = 1;
  EXPECT_EQ(details(r, DetailOptions{}), "");
}

TEST(RenderDetails, OrderOfGroups) {
  SocketRecord r = verified_estab();
  r.timer = 1;
  r.expires_ms = 200;
  r.inode = 9;
  r.cookie = 0xab;
  r.set(model::kAttrTos);
  r.set(model::kAttrCgroupId);
  r.cgroup_id = 1;
  r.set(model::kAttrSockOpt);
  r.sockopt = 2;
  r.set(model::kAttrSkMeminfo);
  r.skmem_count = 9;
  FakeNames names;
  names.cgroups[1] = "/";
  DetailOptions o = info_opts();
  o.extended = true;
  o.tos = true;
  o.cgroup = true;
  o.inet_sockopt = true;
  o.memory = true;
  o.names = &names;
  const std::string s = details(r, o);
  EXPECT_EQ(
      s.rfind(" timer:(on,200ms,0) ino:9 sk:ab cgroup:/ tos:0 cgroup:/\n\tinet-sockopt: "
              "( is_icsk)\n\t skmem:(r0,rb0,t0,tb0,f0,w0,o0,bl0,d0) ts sack bbr wscale:10,10 ",
              0),
      0u)
      << s;
}

}  // namespace
}  // namespace tcpscope::render
