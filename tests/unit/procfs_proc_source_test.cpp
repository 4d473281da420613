// SPDX-License-Identifier: MIT
// ProcSource over the captured proc root tests/fixtures/proc/netns1 (see its README.md).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "model/dump.hpp"
#include "source/proc_source.hpp"

namespace tcpscope::source {
namespace {

using model::DumpRequest;
using model::SocketRecord;
using model::StateMask;
using model::TcpState;

const std::string kRoot = std::string(TCPSCOPE_FIXTURES) + "/proc/netns1";

struct Collect : model::SocketVisitor {
  std::vector<SocketRecord> records;
  void on_socket(const SocketRecord& rec) override { records.push_back(rec); }
};

DumpRequest request(uint8_t family, uint8_t protocol, StateMask states) {
  DumpRequest r;
  r.family = family;
  r.protocol = protocol;
  r.states = states;
  return r;
}

std::vector<SocketRecord> dump_ok(ProcSource& src, const DumpRequest& req) {
  Collect c;
  auto stats = src.dump(req, c);
  EXPECT_TRUE(stats.has_value()) << (stats ? "" : stats.error().what());
  if (stats) {
    EXPECT_EQ(stats->messages, c.records.size());
  }
  return c.records;
}

// (state, sport, dport, Recv-Q, Send-Q, inode) of every TCP/IPv4 row, as
// `PROC_ROOT=netns1 ss -tanoe` prints them (netns1-ss-proc.txt).
using Row = std::tuple<int, int, int, uint32_t, uint32_t, uint32_t>;
const std::vector<Row> kTcp4Rows = {
    {10, 8082, 0, 0, 0, 10331},          {10, 8083, 0, 0, 0, 10336},
    {10, 8080, 0, 3, 0, 10325},          {10, 9000, 0, 0, 0, 10334},
    {1, 8080, 40010, 0, 0, 0},           {1, 8083, 40040, 4096, 0, 10338},
    {1, 40060, 8081, 0, 0, 10343},       {3, 9000, 40030, 0, 0, 0},
    {1, 40030, 9000, 0, 0, 10335},       {1, 40001, 8080, 0, 0, 10326},
    {1, 40002, 8080, 0, 0, 10327},       {1, 40003, 8080, 0, 0, 10328},
    {1, 40010, 8080, 0, 0, 10330},       {1, 8080, 40003, 0, 0, 0},
    {1, 8080, 40002, 0, 0, 0},           {6, 40020, 8082, 0, 0, 0},
    {1, 40040, 8083, 0, 2803712, 10337}, {1, 8080, 40001, 1000, 0, 10329},
};

std::vector<Row> rows(const std::vector<SocketRecord>& recs) {
  std::vector<Row> out;
  for (const auto& r : recs) {
    out.emplace_back(r.state, r.sport, r.dport, r.rqueue, r.wqueue, r.inode);
  }
  return out;
}

TEST(ProcSource, DumpsEveryTcp4RowLikeSs) {
  ProcSource src(kRoot);
  EXPECT_EQ(src.name(), "proc");
  auto recs = dump_ok(src, request(AF_INET, IPPROTO_TCP, model::kMaskAll));
  EXPECT_EQ(rows(recs), kTcp4Rows);  // file order, same numbers as ss
  for (const auto& r : recs) {
    EXPECT_EQ(r.family, AF_INET);
    EXPECT_EQ(r.protocol, IPPROTO_TCP);
    EXPECT_EQ(r.origin, model::Origin::kProc);
  }
}

TEST(ProcSource, AppliesStateMask) {
  ProcSource src(kRoot);
  auto count = [&](StateMask m) { return dump_ok(src, request(AF_INET, IPPROTO_TCP, m)).size(); };
  EXPECT_EQ(count(model::kMaskDefault), 12u);  // ESTABLISHED only here
  EXPECT_EQ(count(model::kMaskListening), 4u);
  EXPECT_EQ(count(model::state_bit(TcpState::kTimeWait)), 1u);
  EXPECT_EQ(count(0), 0u);
  // Request sockets: st=03 in /proc, selected by bit 3 or by bit 12 as inet_diag does.
  EXPECT_EQ(count(model::state_bit(TcpState::kSynRecv)), 1u);
  EXPECT_EQ(count(model::state_bit(TcpState::kNewSynRecv)), 1u);
  auto syn = dump_ok(src, request(AF_INET, IPPROTO_TCP, model::state_bit(TcpState::kSynRecv)));
  ASSERT_EQ(syn.size(), 1u);
  EXPECT_EQ(syn[0].sport, 9000);
  EXPECT_EQ(syn[0].dport, 40030);
}

TEST(ProcSource, DumpsTcp6) {
  ProcSource src(kRoot);
  auto recs = dump_ok(src, request(AF_INET6, IPPROTO_TCP, model::kMaskAll));
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].family, AF_INET6);
  EXPECT_EQ(recs[0].sport, 8443);
  EXPECT_EQ(recs[1].sport, 8081);
  EXPECT_EQ(recs[1].rqueue, 1u);
  EXPECT_TRUE(recs[4].is_v4_mapped_src());
  EXPECT_EQ(recs[4].dport, 40060);
}

TEST(ProcSource, DumpsUdpWithUnconnectedAsClose) {
  ProcSource src(kRoot);
  auto all = dump_ok(src, request(AF_INET, IPPROTO_UDP, model::kMaskAll));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].protocol, IPPROTO_UDP);
  EXPECT_EQ(all[0].sport, 5353);
  EXPECT_EQ(all[0].rqueue, 2112u);
  EXPECT_EQ(all[0].uid, 65534u);
  auto unconnected = dump_ok(src, request(AF_INET, IPPROTO_UDP, model::kMaskListening));
  ASSERT_EQ(unconnected.size(), 2u);
  EXPECT_EQ(unconnected[0].sport, 5353);
  EXPECT_EQ(unconnected[1].sport, 5360);
  auto v6 = dump_ok(src, request(AF_INET6, IPPROTO_UDP, model::kMaskAll));
  ASSERT_EQ(v6.size(), 2u);
  EXPECT_EQ(v6[0].sport, 5354);
  EXPECT_EQ(v6[0].state, 7);
  EXPECT_EQ(v6[1].state, 1);
}

TEST(ProcSource, ReusesBufferAcrossDumps) {
  ProcSource src(kRoot);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(dump_ok(src, request(AF_INET, IPPROTO_TCP, model::kMaskAll)).size(), 18u);
    EXPECT_EQ(dump_ok(src, request(AF_INET6, IPPROTO_UDP, model::kMaskAll)).size(), 2u);
  }
}

TEST(ProcSource, UnsupportedProtocolIsAnError) {
  ProcSource src(kRoot);
  Collect c;
  auto res = src.dump(request(AF_INET, IPPROTO_SCTP, model::kMaskAll), c);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().kind(), ErrorKind::kUnsupported);
  EXPECT_EQ(res.error().message(), "no /proc fallback for family 2 protocol 132");
}

TEST(ProcSource, MissingFileNamesThePath) {
  ProcSource src("/nonexistent-tcpscope-root");
  Collect c;
  auto res = src.dump(request(AF_INET6, IPPROTO_TCP, model::kMaskAll), c);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().kind(), ErrorKind::kUnsupported);  // ENOENT: e.g. IPv6 disabled
  EXPECT_EQ(res.error().err(), ENOENT);
  EXPECT_EQ(res.error().message(), "open /nonexistent-tcpscope-root/net/tcp6");
}

TEST(ProcSource, MalformedLineNamesFileAndLine) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tcpscope-procsrc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "net");
  {
    std::ofstream f(dir / "net" / "tcp");
    f << "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
         "timeout inode\n"
      << "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
         "      0 1 1 0000000000000001 100 0 0 10 0\n"
      << "   1: 0100007F:1F91 00000000:0000 0A 00000000:0000000\n";
  }
  ProcSource src(dir.string());
  Collect c;
  auto res = src.dump(request(AF_INET, IPPROTO_TCP, model::kMaskAll), c);
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().kind(), ErrorKind::kMalformed);
  EXPECT_EQ(res.error().message(),
            (dir / "net" / "tcp").string() +
                ":3: malformed socket line: truncated: fewer than 12 columns: \"   1: "
                "0100007F:1F91 00000000:0000 0A 00000000:0000000\"");
  EXPECT_EQ(c.records.size(), 1u);  // the good line before it was delivered
}

}  // namespace
}  // namespace tcpscope::source
