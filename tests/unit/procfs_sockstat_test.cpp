// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "procfs/sockstat.hpp"

namespace tcpscope::procfs {
namespace {

const std::string kFixtures = std::string(TCPSCOPE_FIXTURES) + "/proc";

TEST(Sockstat, ReadsCapturedFiles) {
  std::string buffer;
  auto s = read_sockstat(kFixtures + "/netns1", buffer);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->sockets_used, 26u);
  EXPECT_EQ(s->tcp_inuse, 16u);
  EXPECT_EQ(s->tcp_orphan, 0u);
  EXPECT_EQ(s->tcp_tw, 1u);
  EXPECT_EQ(s->tcp_alloc, 67u);
  EXPECT_EQ(s->tcp_mem, 1157u);
  EXPECT_EQ(s->udp_inuse, 3u);
  EXPECT_EQ(s->udp_mem, 0u);
  EXPECT_EQ(s->udplite_inuse, 0u);
  EXPECT_EQ(s->raw_inuse, 0u);
  EXPECT_EQ(s->frag_inuse, 0u);
  EXPECT_EQ(s->frag_memory, 0u);
  EXPECT_EQ(s->tcp6_inuse, 5u);
  EXPECT_EQ(s->udp6_inuse, 2u);
  EXPECT_EQ(s->udplite6_inuse, 0u);
  EXPECT_EQ(s->raw6_inuse, 0u);
  EXPECT_EQ(s->frag6_inuse, 0u);
  EXPECT_EQ(s->frag6_memory, 0u);
  EXPECT_TRUE(s->has_ipv6);
}

TEST(Sockstat, AReaderKeepsItsFilesAndReadsTheSame) {
  std::string buffer;
  SockStatReader r(kFixtures + "/netns1");
  for (int i = 0; i < 2; ++i) {  // the second read goes through the files kept open
    auto s = r.read(buffer);
    ASSERT_TRUE(s.has_value()) << s.error().what();
    EXPECT_EQ(s->tcp_inuse, 16u);
    EXPECT_EQ(s->tcp6_inuse, 5u);
    EXPECT_TRUE(s->has_ipv6);
  }
  SockStatReader none("/nonexistent-tcpscope-root");
  EXPECT_FALSE(none.read(buffer).has_value());
}

TEST(Sockstat, ParsesEveryKey) {
  SockStat s;
  ASSERT_TRUE(
      parse_sockstat("sockets: used 1\n"
                     "TCP: inuse 2 orphan 3 tw 4 alloc 5 mem 6\n"
                     "UDP: inuse 7 mem 8\n"
                     "UDPLITE: inuse 9\n"
                     "RAW: inuse 10\n"
                     "FRAG: inuse 11 memory 12\n",
                     s));
  EXPECT_FALSE(s.has_ipv6);
  ASSERT_TRUE(
      parse_sockstat("TCP6: inuse 13\nUDP6: inuse 14\nUDPLITE6: inuse 15\n"
                     "RAW6: inuse 16\nFRAG6: inuse 17 memory 18446744073709551615",
                     s));
  EXPECT_EQ(s.sockets_used, 1u);
  EXPECT_EQ(s.tcp_inuse, 2u);
  EXPECT_EQ(s.tcp_orphan, 3u);
  EXPECT_EQ(s.tcp_tw, 4u);
  EXPECT_EQ(s.tcp_alloc, 5u);
  EXPECT_EQ(s.tcp_mem, 6u);
  EXPECT_EQ(s.udp_inuse, 7u);
  EXPECT_EQ(s.udp_mem, 8u);
  EXPECT_EQ(s.udplite_inuse, 9u);
  EXPECT_EQ(s.raw_inuse, 10u);
  EXPECT_EQ(s.frag_inuse, 11u);
  EXPECT_EQ(s.frag_memory, 12u);
  EXPECT_EQ(s.tcp6_inuse, 13u);
  EXPECT_EQ(s.udp6_inuse, 14u);
  EXPECT_EQ(s.udplite6_inuse, 15u);
  EXPECT_EQ(s.raw6_inuse, 16u);
  EXPECT_EQ(s.frag6_inuse, 17u);
  EXPECT_EQ(s.frag6_memory, UINT64_MAX);
  EXPECT_TRUE(s.has_ipv6);
}

TEST(Sockstat, SkipsUnknownSectionsAndKeys) {
  SockStat s;
  ASSERT_TRUE(
      parse_sockstat("garbage without colon\n"
                     "MPTCP: inuse x whatever\n"
                     "TCP: inuse 2 newkey 9 orphan 3\n"
                     "\n"
                     "   \n",
                     s));
  EXPECT_EQ(s.tcp_inuse, 2u);
  EXPECT_EQ(s.tcp_orphan, 3u);
}

TEST(Sockstat, NegativeValuesReadAsZero) {
  SockStat s;
  s.tcp_orphan = 7;
  ASSERT_TRUE(parse_sockstat("TCP: inuse 1 orphan -2\n", s));
  EXPECT_EQ(s.tcp_orphan, 0u);
}

TEST(Sockstat, MalformedNumbersAreErrors) {
  SockStat s;
  auto st = parse_sockstat("TCP: inuse 1x orphan 0\n", s);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().kind(), ErrorKind::kMalformed);
  EXPECT_EQ(st.error().message(),
            "malformed sockstat line: bad number: \"TCP: inuse 1x orphan 0\"");
  st = parse_sockstat("TCP: inuse 1 orphan\n", s);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(),
            "malformed sockstat line: key without a value: \"TCP: inuse 1 orphan\"");
  EXPECT_FALSE(parse_sockstat("UDP: inuse 18446744073709551616\n", s).has_value());
  EXPECT_FALSE(parse_sockstat("UDP: inuse -\n", s).has_value());
  EXPECT_FALSE(parse_sockstat("UDP: inuse +1\n", s).has_value());
  // Unknown keys in a known section still need a number.
  EXPECT_FALSE(parse_sockstat("TCP: future x\n", s).has_value());
}

TEST(Sockstat, MissingSockstat6IsNotAnError) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("tcpscope-sockstat-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "net");
  std::ofstream(dir / "net" / "sockstat")
      << "sockets: used 4\nTCP: inuse 1 orphan 0 tw 2 alloc 3 mem 5\n";
  std::string buffer;
  auto s = read_sockstat(dir.string(), buffer);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(s.has_value()) << s.error().what();
  EXPECT_EQ(s->sockets_used, 4u);
  EXPECT_EQ(s->tcp_tw, 2u);
  EXPECT_EQ(s->tcp_mem, 5u);
  EXPECT_EQ(s->tcp6_inuse, 0u);
  EXPECT_FALSE(s->has_ipv6);
}

TEST(Sockstat, MissingSockstatIsAnError) {
  // host/ holds only sysctls.
  std::string buffer;
  auto s = read_sockstat(kFixtures + "/host", buffer);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().err(), ENOENT);
  EXPECT_EQ(s.error().message(), "open " + kFixtures + "/host/net/sockstat");
}

}  // namespace
}  // namespace tcpscope::procfs
