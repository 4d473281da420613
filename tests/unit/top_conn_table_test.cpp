// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <random>

#include "model/conn_table.hpp"
#include "model/conn_view.hpp"
#include "model/tcp_info_fields.hpp"

namespace tcpscope::model {
namespace {

// A TCP connection record with tcp_info up to bytes_received (kernel 4.1+).
SocketRecord conn(uint64_t cookie, uint16_t sport, uint16_t dport, uint64_t acked,
                  uint64_t received, uint32_t retrans = 0, TcpState st = TcpState::kEstablished) {
  SocketRecord r;
  r.family = AF_INET;
  r.protocol = IPPROTO_TCP;
  r.state = static_cast<uint8_t>(st);
  r.src = {127, 0, 0, 1};
  r.dst = {127, 0, 0, 2};
  r.sport = sport;
  r.dport = dport;
  r.cookie = cookie;
  r.inode = static_cast<uint32_t>(cookie + 1000);
  r.set(kAttrInfo);
  r.tcp_info_len = static_cast<uint16_t>(offsetof(TcpInfo, bytes_received) + 8);
  r.tcp_info.bytes_acked = acked;
  r.tcp_info.bytes_received = received;
  r.tcp_info.total_retrans = retrans;
  r.tcp_info.rtt = 1500;
  r.tcp_info.snd_cwnd = 10;
  return r;
}

std::shared_ptr<const ConnTable> build(std::shared_ptr<const ConnTable> prev,
                                       std::shared_ptr<const ProcessTable> procs, double now,
                                       const std::vector<SocketRecord>& recs) {
  ConnTableBuilder b(std::move(prev), std::move(procs), now);
  b.begin_dump();
  for (const auto& r : recs) b.on_socket(r);
  return b.finish();
}

const ConnRow* find(const ConnTable& t, uint64_t cookie) {
  for (const auto& r : t.rows) {
    if (r.cookie == cookie) return &r;
  }
  return nullptr;
}

TEST(ConnTable, RatesComeFromTheSameCookieInThePreviousTable) {
  auto t1 =
      build(nullptr, nullptr, 10.0, {conn(1, 40000, 80, 1000, 500), conn(2, 40001, 80, 0, 0)});
  EXPECT_EQ(t1->seconds, 0);
  for (const auto& r : t1->rows) EXPECT_FALSE(r.has_rates());
  auto t2 = build(t1, nullptr, 12.0,
                  {conn(2, 40001, 80, 4000, 2000, 3), conn(1, 40000, 80, 3000, 500, 1),
                   conn(3, 40002, 80, 9999, 9999)});
  EXPECT_DOUBLE_EQ(t2->seconds, 2.0);
  const ConnRow* a = find(*t2, 1);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->has_rates());
  EXPECT_FLOAT_EQ(a->tx_rate, 1000);  // (3000 - 1000) / 2 s
  EXPECT_FLOAT_EQ(a->rx_rate, 0);
  EXPECT_FLOAT_EQ(a->retrans_rate, 0.5);
  EXPECT_EQ(a->first_seen_ds, 100U);  // carried from the first table (10 s)
  const ConnRow* b = find(*t2, 2);
  EXPECT_FLOAT_EQ(b->tx_rate, 2000);
  EXPECT_FLOAT_EQ(b->rx_rate, 1000);
  EXPECT_EQ(b->retrans_total, 3U);
  // New since the last table: no rate (its bytes may predate the window), first seen now.
  const ConnRow* c = find(*t2, 3);
  EXPECT_FALSE(c->has_rates());
  EXPECT_EQ(c->first_seen_ds, 120U);
  // A connection that is gone is simply not in the next table.
  auto t3 = build(t2, nullptr, 14.0, {conn(3, 40002, 80, 10999, 9999)});
  ASSERT_EQ(t3->rows.size(), 1U);
  EXPECT_FLOAT_EQ(t3->rows[0].tx_rate, 500);
}

TEST(ConnTable, FindsEveryPreviousRowWhateverTheOrder) {
  // Reversed, then shuffled: past the look-ahead, every lookup goes through the index.
  std::vector<SocketRecord> first;
  for (uint64_t c = 1; c <= 1000; ++c) first.push_back(conn(c * 7919, 1, 2, c, 0));
  auto t1 = build(nullptr, nullptr, 1.0, first);
  std::vector<SocketRecord> second(first.rbegin(), first.rend());
  std::shuffle(second.begin() + 500, second.end(), std::mt19937(3));
  for (auto& r : second) r.tcp_info.bytes_acked += 100;
  auto t2 = build(t1, nullptr, 2.0, second);
  ASSERT_EQ(t2->rows.size(), 1000U);
  for (const auto& r : t2->rows) {
    EXPECT_TRUE(r.has_rates()) << r.cookie;
    EXPECT_FLOAT_EQ(r.tx_rate, 100) << r.cookie;
  }
}

TEST(ConnTable, ACounterGoingBackwardsCountsZeroAndListenersAreLeftOut) {
  auto t1 = build(nullptr, nullptr, 1.0, {conn(7, 1, 2, 5000, 5000)});
  SocketRecord listener = conn(8, 80, 0, 0, 0, 0, TcpState::kListen);
  auto t2 = build(t1, nullptr, 2.0, {conn(7, 1, 2, 100, 6000), listener});
  ASSERT_EQ(t2->rows.size(), 1U);
  EXPECT_FLOAT_EQ(t2->rows[0].tx_rate, 0);
  EXPECT_FLOAT_EQ(t2->rows[0].rx_rate, 1000);
}

TEST(ConnTable, WithoutTcpInfoThereAreNoRatesAndNoInfo) {
  SocketRecord tw = conn(5, 1, 2, 0, 0, 0, TcpState::kTimeWait);
  tw.attrs = 0;
  auto t1 = build(nullptr, nullptr, 1.0, {tw});
  auto t2 = build(t1, nullptr, 2.0, {tw});
  EXPECT_FALSE(t2->rows[0].has_info());
  EXPECT_FALSE(t2->rows[0].has_rates());
  // A kernel too old for bytes_received (tcp_info shorter than the field): no info either.
  SocketRecord old = conn(6, 1, 2, 10, 10);
  old.tcp_info_len = static_cast<uint16_t>(offsetof(TcpInfo, bytes_acked));
  auto t3 = build(nullptr, nullptr, 1.0, {old});
  EXPECT_FALSE(t3->rows[0].has_info());
}

TEST(ConnTable, OwnersAreLookedUpForNewRowsAndAgainWhenTheProcessTableChanges) {
  auto p1 = std::make_shared<ProcessTable>();
  p1->add(1001, 42, "nginx");
  p1->add(1001, 41, "nginx-old");  // a second owner of the same socket: the first added wins
  p1->finish();
  auto t1 = build(nullptr, p1, 1.0, {conn(1, 1, 2, 0, 0)});
  EXPECT_EQ(t1->process_name(t1->rows[0]), "nginx");
  EXPECT_EQ(t1->process_pid(t1->rows[0]), 42);
  // Same process table: the owner is carried (no lookup) and a new row is looked up.
  auto t2 = build(t1, p1, 2.0, {conn(1, 1, 2, 0, 0), conn(2, 1, 3, 0, 0)});
  EXPECT_EQ(t2->process_name(*find(*t2, 1)), "nginx");
  EXPECT_EQ(t2->process_name(*find(*t2, 2)), "");  // inode 1002 has no owner
  auto p2 = std::make_shared<ProcessTable>();
  p2->add(1002, 7, "curl");
  p2->finish();
  auto t3 = build(t2, p2, 3.0, {conn(1, 1, 2, 0, 0), conn(2, 1, 3, 0, 0)});
  EXPECT_EQ(t3->process_name(*find(*t3, 1)), "");  // nginx closed it since
  EXPECT_EQ(t3->process_name(*find(*t3, 2)), "curl");
  EXPECT_EQ(p2->processes().size(), 1U);
}

TEST(ConnTable, ARestartedDumpDropsOnlyItsOwnRows) {
  ConnTableBuilder b(nullptr, nullptr, 1.0);
  b.begin_dump();
  b.on_socket(conn(1, 1, 2, 0, 0));
  b.begin_dump();
  b.on_socket(conn(2, 1, 3, 0, 0));
  EXPECT_TRUE(b.on_restart(DumpRequest{}));
  b.on_socket(conn(3, 1, 4, 0, 0));
  auto t = b.finish();
  ASSERT_EQ(t->rows.size(), 2U);
  EXPECT_EQ(t->rows[0].cookie, 1U);
  EXPECT_EQ(t->rows[1].cookie, 3U);
}

TEST(AddressTable, InternsEachAddressOnceAcrossGrowth) {
  AddressTable t;
  for (int round = 0; round < 2; ++round) {
    for (uint32_t i = 0; i < 5000; ++i) {
      std::array<uint8_t, 16> a{};
      a[0] = 10;
      a[2] = static_cast<uint8_t>(i >> 8);
      a[3] = static_cast<uint8_t>(i);
      EXPECT_EQ(t.intern(AF_INET, a), i);
    }
  }
  EXPECT_EQ(t.size(), 5000U);
  // The same bytes in another family are another address.
  std::array<uint8_t, 16> zero{};
  const uint32_t v4 = t.intern(AF_INET, zero);
  EXPECT_NE(t.intern(AF_INET6, zero), v4);
}

std::shared_ptr<const ConnTable> random_table(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<SocketRecord> first;
  std::vector<SocketRecord> second;
  for (size_t i = 0; i < n; ++i) {
    const auto port = static_cast<uint16_t>(rng() % 20);
    const auto st = static_cast<TcpState>(1 + rng() % 8);
    first.push_back(
        conn(i + 1, static_cast<uint16_t>(30000 + i), port, rng() % 100, rng() % 100, 0, st));
    second.push_back(conn(i + 1, static_cast<uint16_t>(30000 + i), port, 100 + rng() % 100000,
                          100 + rng() % 100000, rng() % 3, st));
    second.back().dst[3] = static_cast<uint8_t>(rng() % 5);
    second.back().tcp_info.rtt = rng() % 3000;
  }
  return build(build(nullptr, nullptr, 1.0, first), nullptr, 2.0, second);
}

TEST(ConnView, AWindowOfTheOrderIsThatSliceOfTheFullSort) {
  auto t = random_table(500, 1);
  for (const auto& col : kConnColumns) {
    for (bool desc : {true, false}) {
      ViewOptions o;
      o.sort = col.id;
      o.descending = desc;
      std::vector<uint32_t> all;
      sorted_rows(*t, o, all);
      ASSERT_EQ(all.size(), 500U);
      std::vector<uint32_t> scratch;
      std::vector<uint32_t> window;
      for (size_t offset : {size_t{0}, size_t{37}, size_t{490}, size_t{600}}) {
        const size_t n = select_rows(*t, o, offset, 20, scratch, window);
        EXPECT_EQ(n, 500U);
        const size_t end = std::min<size_t>(500, offset + 20);
        std::vector<uint32_t> expect(
            all.begin() + static_cast<ptrdiff_t>(std::min<size_t>(offset, 500)),
            all.begin() + static_cast<ptrdiff_t>(std::max(end, std::min<size_t>(offset, 500))));
        EXPECT_EQ(window, expect) << col.key << " offset " << offset;
      }
    }
  }
}

TEST(ConnView, SortsNumbersLargestFirstAndRowsWithoutRatesLast) {
  auto t1 = build(nullptr, nullptr, 1.0, {conn(1, 1, 1, 0, 0), conn(2, 1, 2, 0, 0)});
  auto t2 = build(t1, nullptr, 2.0,
                  {conn(1, 1, 1, 100, 0), conn(2, 1, 2, 900, 0), conn(3, 1, 3, 5000, 0)});
  ViewOptions o;  // tx, descending
  std::vector<uint32_t> rows;
  sorted_rows(*t2, o, rows);
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(t2->rows[rows[0]].cookie, 2U);
  EXPECT_EQ(t2->rows[rows[1]].cookie, 1U);
  EXPECT_EQ(t2->rows[rows[2]].cookie, 3U);  // new: no rate yet
  o.states = state_bit(TcpState::kTimeWait);
  sorted_rows(*t2, o, rows);
  EXPECT_TRUE(rows.empty());
}

TEST(ConnView, GroupsSumTheirMembers) {
  auto t = random_table(300, 2);
  for (GroupBy g : {GroupBy::kProcess, GroupBy::kRemoteHost, GroupBy::kRemotePort}) {
    ViewOptions o;
    o.group = g;
    std::vector<ConnGroup> groups;
    grouped_rows(*t, o, groups);
    uint64_t count = 0;
    double tx = 0;
    for (const auto& grp : groups) {
      count += grp.count;
      tx += grp.tx_rate;
    }
    double want = 0;
    for (const auto& r : t->rows) want += r.has_rates() ? r.tx_rate : 0;
    EXPECT_EQ(count, 300U) << group_name(g);
    EXPECT_NEAR(tx, want, want * 1e-9) << group_name(g);
    for (size_t i = 1; i < groups.size(); ++i) {
      EXPECT_GE(groups[i - 1].tx_rate, groups[i].tx_rate) << group_name(g);
    }
  }
  ViewOptions by_port;
  by_port.group = GroupBy::kRemotePort;
  std::vector<ConnGroup> groups;
  grouped_rows(*t, by_port, groups);
  EXPECT_EQ(groups.size(), 20U);  // ports 0..19
  by_port.group = GroupBy::kProcess;
  grouped_rows(*t, by_port, groups);
  EXPECT_EQ(groups.size(), 1U);  // no process table: every row's owner is unknown
}

TEST(ConnView, ColumnAndGroupNamesRoundTrip) {
  for (const auto& c : kConnColumns) EXPECT_EQ(column_from_key(c.key), c.id);
  EXPECT_EQ(column_from_key("nope"), ConnColumn::kCount);
  for (int g = 0; g < static_cast<int>(GroupBy::kCount); ++g) {
    EXPECT_EQ(group_from_name(group_name(static_cast<GroupBy>(g))), static_cast<GroupBy>(g));
  }
  EXPECT_EQ(group_from_name("cgroup"), GroupBy::kCount);
}

}  // namespace
}  // namespace tcpscope::model
