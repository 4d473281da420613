// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <thread>

#include "top/collector.hpp"

namespace tcpscope::top {
namespace {

CollectorOptions replay(const std::string& file) {
  CollectorOptions o;
  o.source.kind = source::SourceKind::kReplay;
  o.source.replay_file = std::string(TCPSCOPE_FIXTURES) + "/nl/" + file;
  o.replay_step_s = 1.5;
  return o;
}

TEST(TopCollector, ARefreshOfAReplayHasTheTableTheListenersAndFromTheSecondOnTheDoctor) {
  auto c = Collector::open(replay("table_full.nl"));
  ASSERT_TRUE(c) << c.error().what();
  auto s1 = (*c)->refresh();
  EXPECT_EQ(s1->refresh, 1U);
  EXPECT_EQ(s1->status, "");
  EXPECT_EQ(s1->source, "replay");
  EXPECT_FALSE(s1->has_doctor);
  EXPECT_FALSE(s1->has_change);
  ASSERT_TRUE(s1->conns);
  EXPECT_EQ(s1->conns->rows.size(), 13U);  // every TCP socket but the 4 listeners
  EXPECT_EQ(s1->listeners.size(), 4U);
  EXPECT_EQ(s1->listeners[0].info.port, 8083);  // the full one first
  auto s2 = (*c)->refresh();
  EXPECT_EQ(s2->refresh, 2U);
  EXPECT_TRUE(s2->has_doctor);
  EXPECT_TRUE(s2->has_change);
  EXPECT_DOUBLE_EQ(s2->seconds, 1.5);  // the replay's clock: one step per refresh
  for (const auto& r : s2->conns->rows) {
    if (r.has_info()) EXPECT_TRUE(r.has_rates());
  }
  ASSERT_FALSE(s2->doctor.findings.empty());
  EXPECT_EQ(s2->doctor.findings[0].id, model::doctor::CheckId::kAcceptQueueSaturated);
  // Counters are live data: a replay has none.
  for (const auto& k : s2->counters) EXPECT_FALSE(k.has_rate);
}

TEST(TopCollector, ABadFilterIsAnErrorAndTheOneInForceStays) {
  auto c = Collector::open(replay("table_full.nl"));
  ASSERT_TRUE(c);
  auto bad = (*c)->parse_filter("dport = :notaport");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().what().find("port"), std::string::npos);
  auto good = (*c)->parse_filter("dport = :8083");
  ASSERT_TRUE(good) << good.error().what();
  (*c)->set_filter(std::move(*good));
  auto s = (*c)->refresh();
  EXPECT_EQ(s->filter, "dport = :8083");
  EXPECT_EQ(s->conns->rows.size(), 3U);
  // The census still counts every socket.
  EXPECT_EQ(s->tcp[static_cast<size_t>(model::TcpState::kEstablished)].total(), 10U);
  auto states = (*c)->parse_filter("state time-wait");
  ASSERT_TRUE(states);
  (*c)->set_filter(std::move(*states));
  EXPECT_EQ((*c)->refresh()->conns->rows.size(), 2U);
  auto none = (*c)->parse_filter("  ");
  ASSERT_TRUE(none);
  (*c)->set_filter(std::move(*none));
  EXPECT_EQ((*c)->refresh()->conns->rows.size(), 13U);
}

TEST(TopCollector, AMissingReplayFileIsAnErrorAtOpen) {
  auto c = Collector::open(replay("no-such-file.nl"));
  ASSERT_FALSE(c);
}

TEST(TopRunner, PublishesRefreshesOnItsThreadAndStops) {
  auto c = Collector::open(replay("table_full.nl"));
  ASSERT_TRUE(c);
  Runner r(**c, 0.05);
  EXPECT_EQ(r.latest(), nullptr);
  r.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (r.generation() < 3 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{r.notify_fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    r.drain();
  }
  ASSERT_GE(r.generation(), 3U);
  ASSERT_NE(r.latest(), nullptr);
  EXPECT_GE(r.latest()->refresh, 3U);
  // Paused: no refresh until asked.
  r.set_paused(true);
  r.set_interval(0.01);
  const uint64_t at = r.generation();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(r.generation(), at + 1);  // one may have been under way
  const uint64_t paused_at = r.generation();
  r.refresh_now();
  const auto deadline2 = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (r.generation() == paused_at && std::chrono::steady_clock::now() < deadline2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(r.generation(), paused_at + 1);
  r.stop();
}

}  // namespace
}  // namespace tcpscope::top

namespace tcpscope::top {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_in_place(const std::string& path, const std::string& bytes) {
  // The same file (inode), rewritten: the replay reads it again at each dump.
  std::ofstream out(path, std::ios::binary | std::ios::in | std::ios::out | std::ios::trunc);
  out << bytes;
}

TEST(TopCollector, AFailedRefreshKeepsTheLastGoodDataSaysWhyAndTheNextOneRecovers) {
  const std::string good = read_all(std::string(TCPSCOPE_FIXTURES) + "/nl/table_full.nl");
  ASSERT_GT(good.size(), 100U);
  char dir[] = "/tmp/tcpscope-top-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/table.nl";
  write_in_place(path, good);
  CollectorOptions o;
  o.source.kind = source::SourceKind::kReplay;
  o.source.replay_file = path;
  auto c = Collector::open(o);
  ASSERT_TRUE(c) << c.error().what();
  auto s1 = (*c)->refresh();
  ASSERT_EQ(s1->status, "");
  // A frame cut in half: the next dump fails part-way.
  write_in_place(path, good.substr(0, good.size() / 2 + 3));
  auto s2 = (*c)->refresh();
  EXPECT_NE(s2->status, "");
  EXPECT_TRUE((*c)->last_error().has_value());
  EXPECT_EQ(s2->refresh, 2U);
  ASSERT_TRUE(s2->conns);
  EXPECT_EQ(s2->conns->rows.size(), s1->conns->rows.size());  // the last good table
  EXPECT_EQ(s2->listeners.size(), s1->listeners.size());
  write_in_place(path, good);
  auto s3 = (*c)->refresh();
  EXPECT_EQ(s3->status, "");
  EXPECT_FALSE((*c)->last_error().has_value());
  EXPECT_EQ(s3->conns->rows.size(), 13U);
  std::remove(path.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace tcpscope::top
