// SPDX-License-Identifier: MIT
// The agent's tick schedule on a fake clock: which ticks are full, when the next one is due,
// what an overrun or a stall skips and counts, and what a reload that changes the intervals does.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "agent/schedule.hpp"

namespace tcpscope {
namespace {

using agent::Schedule;
using agent::Tick;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kStart = 5'000 * kSec;  // any point on the monotonic clock

// "F" / "L" per tick taken at each of `times` ("-" when nothing was due).
std::string kinds_at(Schedule& s, const std::vector<int64_t>& times) {
  std::string out;
  for (int64_t t : times) {
    const auto tick = s.due(t);
    out += tick ? (tick->full ? "F" : "L") : "-";
  }
  return out;
}

TEST(AgentSchedule, FirstTickIsFullAndDueAtTheStart) {
  Schedule s(10 * kSec, 1 * kSec, kStart);
  EXPECT_EQ(s.next_due_ns(), kStart);
  EXPECT_EQ(s.ticks_per_full(), 10);
  const auto t = s.due(kStart);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->number, 0);
  EXPECT_EQ(t->skipped, 0u);
  EXPECT_EQ(s.next_due_ns(), kStart + kSec);
}

TEST(AgentSchedule, NothingDueBeforeTheNextTickNorTwiceForOneWake) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  EXPECT_FALSE(s.due(kStart - 1));
  ASSERT_TRUE(s.due(kStart));
  EXPECT_FALSE(s.due(kStart));  // a second wake at the same time (a signal) runs nothing
  EXPECT_FALSE(s.due(kStart + kSec - 1));
  const auto t = s.due(kStart + kSec);  // exactly on time
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 1);
  EXPECT_FALSE(t->full);
  EXPECT_FALSE(s.due(kStart + kSec));
  EXPECT_EQ(s.next_due_ns(), kStart + 2 * kSec);
  EXPECT_EQ(s.skipped_total(), 0u);
}

TEST(AgentSchedule, EveryNthTickIsFull) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  std::vector<int64_t> times;
  for (int i = 0; i < 10; ++i) times.push_back(kStart + i * kSec + 3'000'000);  // 3 ms late
  EXPECT_EQ(kinds_at(s, times), "FLLLFLLLFL");
  EXPECT_EQ(s.skipped_total(), 0u);
}

TEST(AgentSchedule, EqualIntervalsMakeEveryTickFull) {
  Schedule s(2 * kSec, 2 * kSec, kStart);
  EXPECT_EQ(s.ticks_per_full(), 1);
  EXPECT_EQ(kinds_at(s, {kStart, kStart + kSec, kStart + 2 * kSec, kStart + 4 * kSec + 1}), "F-FF");
}

TEST(AgentSchedule, SubSecondIntervals) {
  const int64_t ms = 1'000'000;
  Schedule s(300 * ms, 100 * ms, kStart);
  EXPECT_EQ(kinds_at(s, {kStart, kStart + 100 * ms, kStart + 200 * ms, kStart + 300 * ms,
                         kStart + 399 * ms, kStart + 400 * ms}),
            "FLLF-L");
  EXPECT_EQ(s.next_due_ns(), kStart + 500 * ms);
}

TEST(AgentSchedule, OverrunOfLessThanAnIntervalRunsTheMissedTickLateSkippingNothing) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  ASSERT_TRUE(s.due(kStart));
  // Tick 0 took 1.5 s: tick 1 fell due during it and runs as soon as it ends.
  const auto t = s.due(kStart + 1'500'000'000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 1);
  EXPECT_FALSE(t->full);
  EXPECT_EQ(t->skipped, 0u);
  // The cadence stays anchored at the start: tick 2 at 2 s, not 1.5 s + 1 s.
  EXPECT_EQ(s.next_due_ns(), kStart + 2 * kSec);
  EXPECT_FALSE(s.due(kStart + 2 * kSec - 1));
  EXPECT_EQ(s.skipped_total(), 0u);
}

TEST(AgentSchedule, OverrunOfOneWholeIntervalSkipsOneTick) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  ASSERT_TRUE(s.due(kStart));
  ASSERT_TRUE(s.due(kStart + kSec));
  // Tick 1 took 2.2 s (until 3.2 s): ticks 2 and 3 fell due; 3 runs, 2 is skipped.
  const auto t = s.due(kStart + 3 * kSec + 200'000'000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 3);
  EXPECT_FALSE(t->full);
  EXPECT_EQ(t->skipped, 1u);
  EXPECT_EQ(s.skipped_total(), 1u);
  EXPECT_EQ(s.next_due_ns(), kStart + 4 * kSec);
  const auto u = s.due(kStart + 4 * kSec);
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->full);  // tick 4: the cadence of full ticks is unchanged
  EXPECT_EQ(u->skipped, 0u);
  EXPECT_EQ(s.skipped_total(), 1u);
}

TEST(AgentSchedule, OverrunOfManyIntervalsRunsOnlyTheNewest) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  ASSERT_TRUE(s.due(kStart));
  // Tick 0 took 6.7 s: ticks 1..6 fell due; 6 runs, 1..5 are skipped; 4 was full, so 6 is.
  const auto t = s.due(kStart + 6'700'000'000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 6);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->skipped, 5u);
  EXPECT_EQ(s.skipped_total(), 5u);
  EXPECT_FALSE(s.due(kStart + 6'700'000'000));
  EXPECT_EQ(s.next_due_ns(), kStart + 7 * kSec);
  // Back on the cadence: 7 listener, 8 full.
  EXPECT_EQ(kinds_at(s, {kStart + 7 * kSec, kStart + 8 * kSec}), "LF");
  EXPECT_EQ(s.skipped_total(), 5u);
}

TEST(AgentSchedule, ASkippedFullTickMakesTheOneThatRunsFull) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  EXPECT_EQ(kinds_at(s, {kStart, kStart + kSec, kStart + 2 * kSec, kStart + 3 * kSec}), "FLLL");
  // Tick 3 overran past 5 s: 4 (full) is skipped, 5 runs full.
  const auto t = s.due(kStart + 5 * kSec + 1);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 5);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->skipped, 1u);
  // The next full tick is 8, not 5 + 4.
  EXPECT_EQ(kinds_at(s, {kStart + 6 * kSec, kStart + 7 * kSec, kStart + 8 * kSec}), "LLF");
}

TEST(AgentSchedule, SkippedListenerTicksOnlyLeaveAListenerTick) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  ASSERT_TRUE(s.due(kStart));
  ASSERT_TRUE(s.due(kStart + kSec));
  const auto t = s.due(kStart + 3 * kSec);  // 2 skipped, 3 runs; no multiple of 4 among them
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 3);
  EXPECT_FALSE(t->full);
  EXPECT_EQ(t->skipped, 1u);
}

TEST(AgentSchedule, SkippedTicksAddUp) {
  Schedule s(10 * kSec, 1 * kSec, kStart);
  ASSERT_TRUE(s.due(kStart));
  ASSERT_TRUE(s.due(kStart + 3 * kSec));                 // 1, 2 skipped
  ASSERT_TRUE(s.due(kStart + 4 * kSec));                 // on time
  ASSERT_TRUE(s.due(kStart + 9 * kSec));                 // 5..8 skipped
  ASSERT_TRUE(s.due(kStart + 11 * kSec + 999'999'999));  // 10 skipped (full), 11 runs full
  EXPECT_EQ(s.skipped_total(), 2u + 4u + 1u);
}

TEST(AgentSchedule, AStallOfAnHourRunsOneTick) {
  // The process was stopped (SIGSTOP, a debugger) for an hour after tick 2.
  Schedule s(10 * kSec, 1 * kSec, kStart);
  EXPECT_EQ(kinds_at(s, {kStart, kStart + kSec, kStart + 2 * kSec}), "FLL");
  const auto t = s.due(kStart + 3602 * kSec + 500'000'000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 3602);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->skipped, 3599u);  // ticks 3..3601
  EXPECT_EQ(s.skipped_total(), 3599u);
  EXPECT_EQ(s.next_due_ns(), kStart + 3603 * kSec);
  EXPECT_FALSE(s.due(kStart + 3603 * kSec - 1));
  // 3603..3609 listener, 3610 full.
  std::vector<int64_t> times;
  for (int i = 3603; i <= 3610; ++i) times.push_back(kStart + i * kSec);
  EXPECT_EQ(kinds_at(s, times), "LLLLLLLF");
}

TEST(AgentSchedule, AStallAtTheLongestIntervalsDoesNotOverflow) {
  // 24 h full, 100 ms listener (the configuration's extremes), stalled for 30 days.
  const int64_t day = 86'400 * kSec;
  Schedule s(day, 100'000'000, kStart);
  ASSERT_TRUE(s.due(kStart));
  const auto t = s.due(kStart + 30 * day);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 30 * 864'000);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->skipped, static_cast<uint64_t>(30 * 864'000 - 1));
}

TEST(AgentSchedule, RestartWithChangedIntervalsStartsOverAtOnceAndKeepsTheCount) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  EXPECT_EQ(kinds_at(s, {kStart, kStart + kSec}), "FL");
  ASSERT_TRUE(s.due(kStart + 4 * kSec));  // 2, 3 skipped
  EXPECT_EQ(s.skipped_total(), 2u);
  // SIGHUP at 4.3 s: interval 6 s, listener interval 2 s.
  const int64_t r = kStart + 4'300'000'000;
  s.restart(6 * kSec, 2 * kSec, r);
  EXPECT_EQ(s.ticks_per_full(), 3);
  EXPECT_EQ(s.tick_ns(), 2 * kSec);
  EXPECT_EQ(s.next_due_ns(), r);
  const auto t = s.due(r);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->number, 0);
  EXPECT_EQ(t->skipped, 0u);
  // The new cadence counts from the restart, not from the old start.
  EXPECT_FALSE(s.due(r + 2 * kSec - 1));
  EXPECT_EQ(kinds_at(s, {r + 2 * kSec, r + 4 * kSec, r + 6 * kSec, r + 8 * kSec}), "LLFL");
  EXPECT_EQ(s.skipped_total(), 2u);  // kept across the restart
  // An overrun after the restart adds to it.
  const auto u = s.due(r + 14 * kSec);  // 5, 6 (full) skipped; 7 runs full
  ASSERT_TRUE(u);
  EXPECT_EQ(u->number, 7);
  EXPECT_TRUE(u->full);
  EXPECT_EQ(s.skipped_total(), 4u);
}

TEST(AgentSchedule, RestartBeforeTheFirstTickRanStillRunsOneFullTick) {
  Schedule s(4 * kSec, 1 * kSec, kStart);
  s.restart(2 * kSec, 1 * kSec, kStart + 100);
  EXPECT_FALSE(s.due(kStart + 99));
  const auto t = s.due(kStart + 100);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->number, 0);
  EXPECT_EQ(kinds_at(s, {kStart + 100 + kSec, kStart + 100 + 2 * kSec}), "LF");
  EXPECT_EQ(s.skipped_total(), 0u);
}

TEST(AgentSchedule, AWakeLongAfterTheRestartSkipsFromTheRestart) {
  Schedule s(3 * kSec, 1 * kSec, kStart);
  ASSERT_TRUE(s.due(kStart));
  s.restart(3 * kSec, 1 * kSec, kStart + 10 * kSec);
  // The loop got to the clock only 2.5 s after the restart: 0, 1 skipped, 2 runs; 0 was full.
  const auto t = s.due(kStart + 12'500'000'000);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->number, 2);
  EXPECT_TRUE(t->full);
  EXPECT_EQ(t->skipped, 2u);
  EXPECT_EQ(s.skipped_total(), 2u);
}

}  // namespace
}  // namespace tcpscope
