// SPDX-License-Identifier: MIT
// parse_proc_net_line on lines captured in tests/fixtures/proc/netns1 (see its README.md) and on
// synthetic edge cases.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "model/socket_record.hpp"
#include "model/tcp_info_fields.hpp"
#include "procfs/proc_net.hpp"

namespace tcpscope::procfs {
namespace {

using model::SocketRecord;

std::array<uint8_t, 16> addr(const char* text) {
  std::array<uint8_t, 16> a{};
  if (std::string_view(text).find(':') != std::string_view::npos) {
    EXPECT_EQ(inet_pton(AF_INET6, text, a.data()), 1) << text;
  } else {
    EXPECT_EQ(inet_pton(AF_INET, text, a.data()), 1) << text;
  }
  return a;
}

SocketRecord parse_ok(std::string_view line, uint8_t family, uint8_t protocol) {
  SocketRecord r;
  auto res = parse_proc_net_line(line, family, protocol, r);
  EXPECT_TRUE(res.has_value()) << (res ? "" : res.error().what());
  if (res) {
    EXPECT_TRUE(*res) << "line treated as header: " << line;
  }
  return r;
}

std::string parse_error(std::string_view line, uint8_t family = AF_INET,
                        uint8_t protocol = IPPROTO_TCP) {
  SocketRecord r;
  auto res = parse_proc_net_line(line, family, protocol, r);
  EXPECT_FALSE(res.has_value()) << "accepted: " << line;
  if (res) return {};
  EXPECT_EQ(res.error().kind(), ErrorKind::kMalformed);
  return res.error().what();
}

// Lines copied verbatim from the fixture files (including /proc/net/tcp's trailing padding).
constexpr std::string_view kTcpHeader =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode                                                     ";
constexpr std::string_view kListener =
    "   2: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000     0        0 "
    "10325 4 000000004476eefc 100 0 0 10 0                     ";
constexpr std::string_view kUnreadChild =
    "  17: 0100007F:1F90 0100007F:9C41 01 00000000:000003E8 00:00000000 00000000     0        0 "
    "10329 1 000000002db00306 20 4 32 10 -1                    ";
constexpr std::string_view kZeroWindow =
    "  16: 0100007F:9C68 0100007F:1F93 01 002AC800:00000000 04:00000002 00000000     0        1 "
    "10337 2 00000000f728ccda 20 0 0 12 -1                     ";
constexpr std::string_view kKeepalive =
    "  12: 0100007F:9C4A 0100007F:1F90 01 00000000:00000000 02:0000E9C4 00000000     0        0 "
    "10330 2 0000000065190170 20 0 0 10 -1                     ";
constexpr std::string_view kTimeWait =
    "  15: 0100007F:9C54 0100007F:1F92 06 00000000:00000000 03:000016D9 00000000     0        0 0 "
    "3 0000000074d8d85f                                      ";
constexpr std::string_view kSynRecv =
    "   7: 0100007F:2328 0100007F:9C5E 03 00000000:00000000 01:00000097 00000001     0        0 0 "
    "0 000000002a3d04cc                                      ";
constexpr std::string_view kTcp6Listener =
    "   0: 00000000000000000000000001000000:20FB 00000000000000000000000000000000:0000 0A "
    "00000000:00000000 00:00000000 00000000     0        0 10339 1 00000000128881e3 100 0 0 10 0";
constexpr std::string_view kTcp6Mapped =
    "   4: 0000000000000000FFFF00000100007F:1F91 0000000000000000FFFF00000100007F:9C7C 01 "
    "00000000:00000000 00:00000000 00000000     0        0 0 1 00000000df2a550f 20 0 0 10 -1";
constexpr std::string_view kUdpQueued =
    " 7919: 0100007F:14E9 00000000:0000 07 00000000:00000840 00:00000000 00000000 65534        0 "
    "10344 2 000000003c8543db 0         ";
constexpr std::string_view kUdpConnected =
    " 7921: 0100007F:14EB 0100007F:14E9 01 00000000:00000000 00:00000000 00000000     0        0 "
    "10345 2 00000000774eaa56 0         ";
constexpr std::string_view kUdp6Connected =
    " 7922: 00000000000000000000000001000000:14EC 00000000000000000000000001000000:14EA 01 "
    "00000000:00000000 00:00000000 00000000     0        0 10348 2 00000000470357be 0";

TEST(ProcNet, SkipsHeaderAndBlankLines) {
  SocketRecord r;
  r.sport = 99;
  auto res = parse_proc_net_line(kTcpHeader, AF_INET, IPPROTO_TCP, r);
  ASSERT_TRUE(res.has_value());
  EXPECT_FALSE(*res);
  EXPECT_EQ(r.sport, 0);  // reset even when nothing is parsed
  for (std::string_view blank : {"", "   ", "\t \r"}) {
    res = parse_proc_net_line(blank, AF_INET, IPPROTO_TCP, r);
    ASSERT_TRUE(res.has_value());
    EXPECT_FALSE(*res);
  }
  res = parse_proc_net_line(
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when ref pointer drops",
      AF_INET, IPPROTO_UDP, r);
  ASSERT_TRUE(res.has_value());
  EXPECT_FALSE(*res);
}

TEST(ProcNet, ParsesListenerLine) {
  SocketRecord r = parse_ok(kListener, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.family, AF_INET);
  EXPECT_EQ(r.protocol, IPPROTO_TCP);
  EXPECT_EQ(r.origin, model::Origin::kProc);
  EXPECT_EQ(r.state, 10);
  EXPECT_EQ(r.sport, 8080);
  EXPECT_EQ(r.dport, 0);
  EXPECT_EQ(r.src, addr("127.0.0.1"));
  EXPECT_EQ(r.dst, addr("0.0.0.0"));
  EXPECT_EQ(r.rqueue, 3u);  // accept-queue length
  EXPECT_EQ(r.wqueue, 0u);  // /proc has no backlog
  EXPECT_EQ(r.timer, 0);
  EXPECT_EQ(r.expires_ms, 0u);
  EXPECT_EQ(r.retrans, 0);
  EXPECT_EQ(r.uid, 0u);
  EXPECT_EQ(r.inode, 10325u);
  EXPECT_EQ(r.cookie, 0x4476eefcu);
  ASSERT_TRUE(r.has(model::kAttrInfo));
  EXPECT_EQ(r.tcp_info_len, kProcTcpInfoLen);
  EXPECT_EQ(kProcTcpInfoLen, 84);
  EXPECT_EQ(r.tcp_info.state, 10);
  EXPECT_EQ(r.tcp_info.rto, 1000000u);  // 100 ticks = 1 s
  EXPECT_EQ(r.tcp_info.ato, 0u);
  EXPECT_EQ(r.tcp_info.snd_cwnd, 10u);
  EXPECT_EQ(r.tcp_info.snd_ssthresh, 0x7fffffffu);  // column is the fastopen limit for listeners
  EXPECT_EQ(r.tcp_info.unacked, 3u);
  EXPECT_EQ(r.tcp_info.sacked, 0u);
  EXPECT_EQ(r.attrs, 1u << model::kAttrInfo);
}

TEST(ProcNet, ParsesEstablishedWithUnreadData) {
  SocketRecord r = parse_ok(kUnreadChild, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.state, 1);
  EXPECT_EQ(r.sport, 8080);
  EXPECT_EQ(r.dport, 40001);
  EXPECT_EQ(r.dst, addr("127.0.0.1"));
  EXPECT_EQ(r.rqueue, 1000u);
  EXPECT_EQ(r.wqueue, 0u);
  EXPECT_EQ(r.inode, 10329u);
  EXPECT_EQ(r.cookie, 0x2db00306u);
  EXPECT_EQ(r.tcp_info.rto, 200000u);
  EXPECT_EQ(r.tcp_info.ato, 40000u);
  EXPECT_EQ(r.tcp_info.snd_cwnd, 10u);
  EXPECT_EQ(r.tcp_info.snd_ssthresh, 0x7fffffffu);  // -1: initial slow start
  EXPECT_EQ(r.tcp_info.unacked, 0u);
}

TEST(ProcNet, ParsesZeroWindowProbeTimer) {
  SocketRecord r = parse_ok(kZeroWindow, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.sport, 40040);
  EXPECT_EQ(r.dport, 8083);
  EXPECT_EQ(r.wqueue, 2803712u);  // tx_queue comes first in /proc
  EXPECT_EQ(r.rqueue, 0u);
  EXPECT_EQ(r.timer, 4);
  EXPECT_EQ(r.expires_ms, 20u);
  EXPECT_EQ(r.retrans, 1);  // probes, as inet_diag reports for timer 4
  EXPECT_EQ(r.tcp_info.probes, 1);
  EXPECT_EQ(r.tcp_info.retransmits, 0);
  EXPECT_EQ(r.tcp_info.snd_cwnd, 12u);
  EXPECT_EQ(r.inode, 10337u);
}

TEST(ProcNet, ParsesKeepaliveTimer) {
  SocketRecord r = parse_ok(kKeepalive, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.sport, 40010);
  EXPECT_EQ(r.timer, 2);
  EXPECT_EQ(r.expires_ms, 598440u);  // 0xE9C4 ticks
  EXPECT_EQ(r.retrans, 0);
}

TEST(ProcNet, ParsesTimeWaitWithoutTcpInfo) {
  SocketRecord r = parse_ok(kTimeWait, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.state, 6);
  EXPECT_EQ(r.sport, 40020);
  EXPECT_EQ(r.dport, 8082);
  EXPECT_EQ(r.timer, 3);
  EXPECT_EQ(r.expires_ms, 58490u);
  EXPECT_EQ(r.inode, 0u);
  EXPECT_EQ(r.cookie, 0x74d8d85fu);
  EXPECT_FALSE(r.has(model::kAttrInfo));
  EXPECT_EQ(r.tcp_info_len, 0);
  EXPECT_EQ(r.attrs, 0u);
}

TEST(ProcNet, ParsesRequestSocket) {
  SocketRecord r = parse_ok(kSynRecv, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.state, 3);
  EXPECT_EQ(r.sport, 9000);
  EXPECT_EQ(r.dport, 40030);
  EXPECT_EQ(r.timer, 1);
  EXPECT_EQ(r.expires_ms, 1510u);
  EXPECT_EQ(r.retrans, 1);  // SYN-ACK retransmits
  EXPECT_EQ(r.inode, 0u);
  EXPECT_EQ(r.cookie, 0x2a3d04ccu);
  EXPECT_FALSE(r.has(model::kAttrInfo));
}

TEST(ProcNet, ParsesIpv6Listener) {
  SocketRecord r = parse_ok(kTcp6Listener, AF_INET6, IPPROTO_TCP);
  EXPECT_EQ(r.family, AF_INET6);
  EXPECT_EQ(r.state, 10);
  EXPECT_EQ(r.src, addr("::1"));
  EXPECT_EQ(r.dst, addr("::"));
  EXPECT_EQ(r.sport, 8443);
  EXPECT_EQ(r.inode, 10339u);
  EXPECT_EQ(r.cookie, 0x128881e3u);
  EXPECT_FALSE(r.is_v4_mapped_src());
}

TEST(ProcNet, ParsesIpv4MappedIpv6Addresses) {
  SocketRecord r = parse_ok(kTcp6Mapped, AF_INET6, IPPROTO_TCP);
  EXPECT_EQ(r.src, addr("::ffff:127.0.0.1"));
  EXPECT_EQ(r.dst, addr("::ffff:127.0.0.1"));
  EXPECT_TRUE(r.is_v4_mapped_src());
  EXPECT_EQ(r.sport, 8081);
  EXPECT_EQ(r.dport, 40060);
  EXPECT_EQ(r.inode, 0u);  // still in the accept queue
}

TEST(ProcNet, ParsesUdpLines) {
  SocketRecord r = parse_ok(kUdpQueued, AF_INET, IPPROTO_UDP);
  EXPECT_EQ(r.protocol, IPPROTO_UDP);
  EXPECT_EQ(r.state, 7);
  EXPECT_EQ(r.sport, 5353);
  EXPECT_EQ(r.src, addr("127.0.0.1"));
  EXPECT_EQ(r.rqueue, 2112u);
  EXPECT_EQ(r.uid, 65534u);
  EXPECT_EQ(r.inode, 10344u);
  EXPECT_EQ(r.cookie, 0x3c8543dbu);
  EXPECT_FALSE(r.has(model::kAttrInfo));

  r = parse_ok(kUdpConnected, AF_INET, IPPROTO_UDP);
  EXPECT_EQ(r.state, 1);
  EXPECT_EQ(r.sport, 5355);
  EXPECT_EQ(r.dport, 5353);
  EXPECT_EQ(r.dst, addr("127.0.0.1"));

  r = parse_ok(kUdp6Connected, AF_INET6, IPPROTO_UDP);
  EXPECT_EQ(r.src, addr("::1"));
  EXPECT_EQ(r.dst, addr("::1"));
  EXPECT_EQ(r.sport, 5356);
  EXPECT_EQ(r.dport, 5354);
  EXPECT_EQ(r.inode, 10348u);
}

TEST(ProcNet, UdpWithoutDropsColumnIsAccepted) {
  // Kernels before 2.6.27 had no drops column.
  SocketRecord r = parse_ok(
      "  1: 0100007F:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000  0  0 77 2 "
      "ffff88003c8543db",
      AF_INET, IPPROTO_UDP);
  EXPECT_EQ(r.inode, 77u);
  EXPECT_EQ(r.cookie, 0xffff88003c8543dbu);
}

TEST(ProcNet, IgnoresExtraTrailingColumns) {
  std::string line(kUnreadChild);
  line += " 7 8 future";
  SocketRecord r = parse_ok(line, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.rqueue, 1000u);
  EXPECT_EQ(r.tcp_info.snd_cwnd, 10u);
}

TEST(ProcNet, ParsesWithoutNewlineOrWithCarriageReturn) {
  std::string line(kTimeWait);
  line += "\r";
  SocketRecord r = parse_ok(line, AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.cookie, 0x74d8d85fu);
}

TEST(ProcNet, HugeValuesSaturateOrFail) {
  // tm->when beyond 32-bit milliseconds saturates.
  SocketRecord r = parse_ok(
      "0: 0100007F:0050 00000000:0000 01 00000000:00000000 02:FFFFFFFFFFFFFFFF 00000000 0 0 1 1 "
      "0 4294967295999 4294967295 0 4294967295 2147483647",
      AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.expires_ms, UINT32_MAX);
  EXPECT_EQ(r.tcp_info.rto, UINT32_MAX);
  EXPECT_EQ(r.tcp_info.ato, UINT32_MAX);
  EXPECT_EQ(r.tcp_info.snd_cwnd, UINT32_MAX);
  EXPECT_EQ(r.tcp_info.snd_ssthresh, 0x7fffffffu);
  EXPECT_EQ(r.cookie, 0u);
  // Fields the kernel prints as 32-bit (or 8-bit) values cannot be wider.
  {
    EXPECT_EQ(parse_error("0: 0100007F:0050 00000000:0000 01 100000000:00000000 00:0 0 0 0 1 1 0"),
              "malformed socket line: bad tx_queue:rx_queue: \"0: 0100007F:0050 00000000:0000 01 "
              "100000000:00000000 00:0 0 0 0 1 1 0\"");
    EXPECT_NE(parse_error("0: 0100007F:0050 00000000:0000 01 0:0 00:0 100 0 0 1 1 0")
                  .find("bad retrnsmt"),
              std::string::npos);
    EXPECT_NE(parse_error("0: 0100007F:0050 00000000:0000 01 0:0 00:0 0 4294967296 0 1 1 0")
                  .find("bad uid"),
              std::string::npos);
    EXPECT_NE(parse_error("0: 0100007F:0050 00000000:0000 01 0:0 00:0 0 0 0 4294967296 1 0")
                  .find("bad inode"),
              std::string::npos);
    EXPECT_NE(parse_error("0: 0100007F:0050 00000000:0000 01 0:0 100:0 0 0 0 1 1 0")
                  .find("bad tr:tm->when"),
              std::string::npos);
    EXPECT_NE(parse_error("0: 0100007F:0050 00000000:0000 01 0:0 00:0 0 0 0 1 1 "
                          "10000000000000000")
                  .find("bad socket pointer"),
              std::string::npos);
  }
}

TEST(ProcNet, RejectsTruncatedLines) {
  // Every prefix of a valid line that stops inside the 12 mandatory columns is an error.
  // (Cuts inside the last column, the pointer, leave a shorter but valid hex number.)
  const size_t pointer_at = kTimeWait.find("0000000074d8d85f");
  for (size_t n = kTimeWait.find('1') + 1; n < pointer_at; ++n) {
    const std::string_view cut = kTimeWait.substr(0, n);
    SocketRecord r;
    auto res = parse_proc_net_line(cut, AF_INET, IPPROTO_TCP, r);
    EXPECT_FALSE(res.has_value()) << "accepted prefix of " << n << " bytes: " << cut;
  }
  EXPECT_EQ(parse_error("   1: 0100007F:1F90"),
            "malformed socket line: truncated: fewer than 12 columns: \"   1: 0100007F:1F90\"");
  // A TCP full-socket tail cut short.
  std::string line(kUnreadChild.substr(0, kUnreadChild.find(" 10 -1")));
  EXPECT_NE(parse_error(line).find("truncated TCP columns"), std::string::npos);
}

TEST(ProcNet, RejectsBadHex) {
  EXPECT_NE(parse_error("   0: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
                        "00000000 0 0 1 1 0")
                .find("bad local address"),
            std::string::npos);
  EXPECT_NE(parse_error("   0: 0100007F:1F90 00000000:0000 0A 00000000:0000000Z 00:00000000 "
                        "00000000 0 0 1 1 0")
                .find("bad tx_queue:rx_queue"),
            std::string::npos);
  EXPECT_NE(parse_error("   0: 0100007F:1F90 00000000:-001 0A 00000000:00000000 00:00000000 "
                        "00000000 0 0 1 1 0")
                .find("bad remote address"),
            std::string::npos);
  // Port wider than 16 bits, address of the wrong length for the family, missing colon.
  EXPECT_NE(parse_error("   0: 0100007F:11F90 00000000:0000 0A 0:0 00:0 0 0 0 1 1 0")
                .find("bad local address"),
            std::string::npos);
  EXPECT_NE(parse_error("   0: 0100007F:1F90 00000000:0000 0A 0:0 00:0 0 0 0 1 1 0", AF_INET6)
                .find("bad local address"),
            std::string::npos);
  EXPECT_NE(parse_error("   0: 0100007F1F90 00000000:0000 0A 0:0 00:0 0 0 0 1 1 0")
                .find("bad local address"),
            std::string::npos);
  // "0x" prefixes and signs are not hex digits.
  EXPECT_NE(
      parse_error("   0: 0100007F:1F90 00000000:0000 0x0A 0:0 00:0 0 0 0 1 1 0").find("bad state"),
      std::string::npos);
  EXPECT_NE(
      parse_error("   0: 0100007F:1F90 00000000:0000 +1 0:0 00:0 0 0 0 1 1 0").find("bad state"),
      std::string::npos);
  // State 0 and states beyond the kernel's list.
  EXPECT_NE(
      parse_error("   0: 0100007F:1F90 00000000:0000 00 0:0 00:0 0 0 0 1 1 0").find("bad state"),
      std::string::npos);
  EXPECT_NE(
      parse_error("   0: 0100007F:1F90 00000000:0000 0E 0:0 00:0 0 0 0 1 1 0").find("bad state"),
      std::string::npos);
  // The slot number must be "N:".
  EXPECT_NE(
      parse_error("   x: 0100007F:1F90 00000000:0000 01 0:0 00:0 0 0 0 1 1 0").find("slot number"),
      std::string::npos);
  EXPECT_NE(parse_error("0100007F:1F90 00000000:0000 01 0:0 00:0 0 0 0 1 1 0").find("slot"),
            std::string::npos);
}

TEST(ProcNet, AcceptsRestrictedOrUnhashedPointer) {
  SocketRecord r =
      parse_ok("0: 0100007F:0050 00000000:0000 0A 0:0 00:0 0 0 0 5 1 (____ptrval____) 100 0 0 10 0",
               AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.cookie, 0u);
  EXPECT_EQ(r.inode, 5u);
}

TEST(ProcNet, PositiveSsthreshIsKept) {
  SocketRecord r = parse_ok("0: 0100007F:0050 0100007F:0051 01 0:0 00:0 0 0 0 5 1 0 30 4 1 7 21",
                            AF_INET, IPPROTO_TCP);
  EXPECT_EQ(r.tcp_info.snd_ssthresh, 21u);
  EXPECT_EQ(r.tcp_info.rto, 300000u);
  EXPECT_EQ(r.tcp_info.snd_cwnd, 7u);
}

TEST(ProcNet, ErrorQuotesLongLinesCut) {
  std::string line = "   0: zz " + std::string(400, 'A');
  const std::string e = parse_error(line);
  EXPECT_LT(e.size(), 250u);
  EXPECT_EQ(e.substr(e.size() - 4), "\"...");
}

TEST(ProcNet, RejectsUnknownFamilyOrProtocol) {
  SocketRecord r;
  auto res = parse_proc_net_line(kListener, AF_UNIX, IPPROTO_TCP, r);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().kind(), ErrorKind::kUsage);
  res = parse_proc_net_line(kListener, AF_INET, IPPROTO_SCTP, r);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().kind(), ErrorKind::kUsage);
}

bool has_field(const SocketRecord& r, size_t offset) {
  return model::tcpi_present(r, model::kTcpiFields[model::tcpi_index(offset)]);
}

TEST(ProcNet, ProcTcpInfoFields) {
  using model::TcpInfo;
  const SocketRecord listener = parse_ok(kListener, AF_INET, IPPROTO_TCP);
  const SocketRecord estab = parse_ok(kUnreadChild, AF_INET, IPPROTO_TCP);
  const SocketRecord tw = parse_ok(kTimeWait, AF_INET, IPPROTO_TCP);
  for (size_t off : {offsetof(TcpInfo, state), offsetof(TcpInfo, retransmits),
                     offsetof(TcpInfo, probes), offsetof(TcpInfo, rto), offsetof(TcpInfo, ato),
                     offsetof(TcpInfo, snd_ssthresh), offsetof(TcpInfo, snd_cwnd)}) {
    EXPECT_TRUE(has_field(listener, off)) << off;
    EXPECT_TRUE(has_field(estab, off)) << off;
    EXPECT_FALSE(has_field(tw, off)) << off;
  }
  EXPECT_TRUE(has_field(listener, offsetof(TcpInfo, unacked)));
  EXPECT_FALSE(has_field(estab, offsetof(TcpInfo, unacked)));
  for (size_t off : {offsetof(TcpInfo, rtt), offsetof(TcpInfo, snd_mss), offsetof(TcpInfo, sacked),
                     offsetof(TcpInfo, pacing_rate)}) {
    EXPECT_FALSE(has_field(listener, off)) << off;
    EXPECT_FALSE(has_field(estab, off)) << off;
  }
}

// The catalog's /proc column and the parser agree: every field the catalog says /proc lacks is
// left zero by the parser, so nothing the parser fills goes unshown and nothing unshown is set.
TEST(ProcNet, CatalogProcColumnMatchesTheParser) {
  for (std::string_view line : {kListener, kUnreadChild}) {
    const SocketRecord r = parse_ok(line, AF_INET, IPPROTO_TCP);
    size_t shown = 0;
    for (const model::TcpiField& f : model::kTcpiFields) {
      if (model::tcpi_present(r, f)) {
        ++shown;
      } else {
        EXPECT_EQ(model::tcpi_read(r.tcp_info, f), 0u) << f.key << " is filled but not shown";
      }
    }
    EXPECT_GE(shown, 7u);
  }
}

}  // namespace
}  // namespace tcpscope::procfs
