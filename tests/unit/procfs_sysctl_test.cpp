// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "procfs/sysctl.hpp"

namespace tcpscope::procfs {
namespace {

const std::string kFixtures = std::string(TCPSCOPE_FIXTURES) + "/proc";

TEST(Sysctl, ReadsChildNamespaceWithoutGlobalSysctls) {
  auto t = read_tunables(kFixtures + "/netns1");
  ASSERT_TRUE(t.has_value()) << t.error().what();
  EXPECT_EQ(t->somaxconn, 4096);
  EXPECT_EQ(t->tcp_max_syn_backlog, 2048);
  EXPECT_EQ(t->tcp_syncookies, 1);
  EXPECT_EQ(t->tcp_max_tw_buckets, 131072);
  EXPECT_EQ(t->tcp_fin_timeout, 60);
  EXPECT_EQ(t->tcp_tw_reuse, 2);
  EXPECT_EQ(t->tcp_synack_retries, 5);
  EXPECT_EQ(t->tcp_syn_retries, 6);
  EXPECT_EQ(t->tcp_abort_on_overflow, 0);
  EXPECT_EQ(t->tcp_orphan_retries, 0);
  EXPECT_EQ(t->tcp_retries2, 15);
  ASSERT_TRUE(t->ip_local_port_range.has_value());
  EXPECT_EQ(*t->ip_local_port_range, (std::array<int64_t, 2>{32768, 60999}));
  // Global sysctls do not exist in a child namespace.
  EXPECT_EQ(t->tcp_max_orphans, std::nullopt);
  EXPECT_EQ(t->tcp_mem, std::nullopt);
}

TEST(Sysctl, ReadsInitialNamespaceGlobals) {
  auto t = read_tunables(kFixtures + "/host");
  ASSERT_TRUE(t.has_value()) << t.error().what();
  EXPECT_EQ(t->tcp_max_orphans, 131072);
  ASSERT_TRUE(t->tcp_mem.has_value());
  EXPECT_EQ(*t->tcp_mem, (std::array<int64_t, 3>{287898, 383867, 575796}));
  EXPECT_EQ(t->somaxconn, 4096);
}

TEST(Sysctl, MissingRootGivesAllNullopt) {
  auto t = read_tunables("/nonexistent-tcpscope-root");
  ASSERT_TRUE(t.has_value()) << t.error().what();
  EXPECT_EQ(t->somaxconn, std::nullopt);
  EXPECT_EQ(t->tcp_mem, std::nullopt);
  EXPECT_EQ(t->ip_local_port_range, std::nullopt);
}

TEST(Sysctl, ReadsOneValue) {
  std::string buffer;
  auto v = read_sysctl_int(kFixtures + "/netns1", "net/core/somaxconn", buffer);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 4096);
  v = read_sysctl_int(kFixtures + "/netns1", "net/ipv4/tcp_mem", buffer);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, std::nullopt);
  // Three numbers where one is expected: the error names the file.
  v = read_sysctl_int(kFixtures + "/host", "net/ipv4/tcp_mem", buffer);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().message(), kFixtures +
                                     "/host/sys/net/ipv4/tcp_mem: malformed sysctl value: "
                                     "expected 1 numbers: \"287898?383867?575796?\"");
}

TEST(Sysctl, ParsesValues) {
  EXPECT_EQ(parse_sysctl_int("4096\n"), 4096);
  EXPECT_EQ(parse_sysctl_int("  -1 \n"), -1);
  EXPECT_EQ(parse_sysctl_int("0"), 0);
  EXPECT_EQ(parse_sysctl_int("9223372036854775807\n"), INT64_MAX);
  std::array<int64_t, 3> mem{};
  ASSERT_TRUE(parse_sysctl_ints("287898\t383867\t575796\n", mem));
  EXPECT_EQ(mem, (std::array<int64_t, 3>{287898, 383867, 575796}));
  std::array<int64_t, 2> range{};
  ASSERT_TRUE(parse_sysctl_ints("32768 60999", range));
  EXPECT_EQ(range, (std::array<int64_t, 2>{32768, 60999}));
}

TEST(Sysctl, RejectsMalformedValues) {
  for (std::string_view bad :
       {"", "\n", "abc\n", "12abc\n", "1 2\n", "0x10\n", "+-1", "9223372036854775808\n"}) {
    auto v = parse_sysctl_int(bad);
    EXPECT_FALSE(v.has_value()) << "accepted \"" << bad << "\"";
    if (!v) {
      EXPECT_EQ(v.error().kind(), ErrorKind::kMalformed);
    }
  }
  std::array<int64_t, 3> mem{};
  auto st = parse_sysctl_ints("1\t2\n", mem);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(), "malformed sysctl value: expected 3 numbers: \"1?2?\"");
  st = parse_sysctl_ints("1\t2\t3\t4\n", mem);
  EXPECT_FALSE(st.has_value());
  st = parse_sysctl_ints("1\tx\t3\n", mem);
  ASSERT_FALSE(st.has_value());
  EXPECT_EQ(st.error().message(), "malformed sysctl value: not a number: \"1?x?3?\"");
}

// A /proc tree with only the two files read_established_hash() looks at.
struct HashTree {
  std::filesystem::path root;
  HashTree(std::string_view name, std::optional<std::string> ehash, bool initial) {
    root = std::filesystem::temp_directory_path() /
           (std::string("tcpscope-ehash-") + std::string(name) + "-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root / "sys/net/ipv4");
    if (ehash) std::ofstream(root / "sys/net/ipv4/tcp_ehash_entries") << *ehash;
    if (initial) std::ofstream(root / "sys/net/ipv4/tcp_max_orphans") << "131072\n";
  }
  ~HashTree() { std::filesystem::remove_all(root); }
};

TEST(Sysctl, TellsTheHostsSharedAndOwnEstablishedHash) {
  std::string buffer;
  struct Case {
    std::string_view name;
    std::optional<std::string> ehash;
    bool initial;
    model::HashKind kind;
    int64_t entries;
    bool walks_host;
  } cases[] = {
      {"host", "262144\n", true, model::HashKind::kHost, 262144, true},
      {"shared", "-262144\n", false, model::HashKind::kShared, -262144, true},
      {"own", "1024\n", false, model::HashKind::kOwn, 1024, false},
      // Before Linux 6.1 there is no such sysctl: one hash for every namespace.
      {"old-host", std::nullopt, true, model::HashKind::kHost, 0, true},
      {"old-child", std::nullopt, false, model::HashKind::kShared, 0, true},
  };
  for (const auto& c : cases) {
    HashTree t(c.name, c.ehash, c.initial);
    auto h = read_established_hash(t.root.string(), buffer);
    ASSERT_TRUE(h.has_value()) << c.name << ": " << h.error().what();
    EXPECT_EQ(h->kind, c.kind) << c.name;
    EXPECT_EQ(h->entries, c.entries) << c.name;
    EXPECT_EQ(h->walks_host_hash(), c.walks_host) << c.name;
    EXPECT_EQ(h->buckets(), c.entries < 0 ? -c.entries : c.entries) << c.name;
  }
  HashTree bad("bad", "many\n", false);
  EXPECT_FALSE(read_established_hash(bad.root.string(), buffer).has_value());
}

}  // namespace
}  // namespace tcpscope::procfs
