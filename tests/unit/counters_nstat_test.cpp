// SPDX-License-Identifier: MIT
// nstat compatibility: output bytes against what nstat 6.1 printed for the captured counters
// (tests/fixtures/proc/netns1-nstat*.{txt,json}, made with PROC_ROOT=netns1 nstat ...), delta and
// history semantics, and the history file's round trip through disk.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/file.hpp"
#include "base/locked_file.hpp"
#include "model/nstat.hpp"
#include "procfs/counter_sampler.hpp"
#include "render/counters.hpp"

namespace tcpscope::model::nstat {
namespace {

const std::string kProc = std::string(TCPSCOPE_FIXTURES) + "/proc";

// The formats are rendered into fmt buffers (render/counters.hpp); these tests compare strings.
void append_text(std::string& out, std::string_view header, const CounterSnapshot& snap,
                 std::span<const Row> rows) {
  fmt::memory_buffer b;
  render::append_nstat_text(b, header, snap, rows);
  out.append(b.data(), b.size());
}
void append_json(std::string& out, std::string_view source, const CounterSnapshot& snap,
                 std::span<const Row> rows, bool pretty) {
  fmt::memory_buffer b;
  render::append_nstat_json(b, source, snap, rows, pretty);
  out.append(b.data(), b.size());
}
void append_interval_json(std::string& out, std::string_view source, const CounterSnapshot& snap,
                          std::span<const Row> rows, double seconds, bool pretty) {
  fmt::memory_buffer b;
  render::append_nstat_interval_json(b, source, snap, rows, seconds, pretty);
  out.append(b.data(), b.size());
}
void append_history(std::string& out, std::string_view source, const CounterSnapshot& counters) {
  fmt::memory_buffer b;
  render::append_nstat_history(b, source, counters);
  out.append(b.data(), b.size());
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

CounterSnapshot fixture() {
  CounterSnapshot s;
  std::string buf;
  auto st = procfs::read_counter_snapshot(kProc + "/netns1", buf, s, 1);
  EXPECT_TRUE(st.has_value());
  return s;
}

CounterSnapshot snap(std::vector<std::pair<std::string, uint64_t>> counters) {
  CounterSnapshot s;
  s.begin(0);
  for (auto& [n, v] : counters) s.add(n, v);
  return s;
}

std::string text(const CounterSnapshot& cur, const CounterSnapshot* hist, Options o,
                 std::vector<std::string> patterns = {}) {
  std::vector<Row> rows;
  select_rows(cur, hist, o, CounterPatterns(std::move(patterns)), rows);
  std::string out;
  append_text(out, kSource, cur, rows);
  return out;
}

std::string json(const CounterSnapshot& cur, const CounterSnapshot* hist, Options o, bool pretty,
                 std::vector<std::string> patterns = {}) {
  std::vector<Row> rows;
  select_rows(cur, hist, o, CounterPatterns(std::move(patterns)), rows);
  std::string out;
  append_json(out, kSource, cur, rows, pretty);
  return out;
}

TEST(NstatOutput, AbsoluteZerosTextIsByteForByteNstat) {
  EXPECT_EQ(text(fixture(), nullptr, {.absolute = true, .zeros = true}),
            slurp(kProc + "/netns1-nstat.txt"));
}

TEST(NstatOutput, AbsoluteZerosJsonIsByteForByteNstat) {
  EXPECT_EQ(json(fixture(), nullptr, {.absolute = true, .zeros = true}, false),
            slurp(kProc + "/netns1-nstat-asz.json"));
}

TEST(NstatOutput, PatternsTextAndPrettyJsonAreByteForByteNstat) {
  const std::vector<std::string> pats = {"tcp*", "IPEXT*"};
  EXPECT_EQ(text(fixture(), nullptr, {.absolute = true}, pats),
            slurp(kProc + "/netns1-nstat-as-patterns.txt"));
  EXPECT_EQ(json(fixture(), nullptr, {.absolute = true}, true, pats),
            slurp(kProc + "/netns1-nstat-as-pretty-patterns.json"));
}

TEST(NstatOutput, EmptyOutputs) {
  auto cur = fixture();
  EXPECT_EQ(text(cur, nullptr, {}, {"NoSuchCounter"}), "#kernel\n");
  EXPECT_EQ(json(cur, nullptr, {}, false, {"NoSuchCounter"}), "{\"kernel\":{}}\n");
  // nstat -jp prints an empty object on the key's line.
  EXPECT_EQ(json(cur, nullptr, {}, true, {"NoSuchCounter"}), "{\n    \"kernel\": {}\n}\n");
}

TEST(NstatOutput, NeverShowsItsHiddenValuesExceptByExactName) {
  auto cur = fixture();
  const std::string all = text(cur, nullptr, {.absolute = true, .zeros = true});
  for (const char* n : {"IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax",
                        "TcpMaxConn", "TcpCurrEstab"}) {
    EXPECT_EQ(all.find(std::string("\n") + n + " "), std::string::npos) << n;
  }
  EXPECT_EQ(text(cur, nullptr, {.absolute = true, .zeros = true}, {"TcpCurr*", "tcprto*"}),
            "#kernel\n");
  // Asked for by name: shown, as its level (a delta of a gauge means nothing).
  auto hist = snap({{"TcpCurrEstab", 3}});
  EXPECT_EQ(text(cur, &hist, {}, {"tcpcurrestab"}),
            "#kernel\nTcpCurrEstab                    15                 0.0\n");
}

TEST(NstatDeltas, DeltaAgainstHistoryAndWholeValueForCountersNotInIt) {
  auto hist = snap({{"TcpActiveOpens", 5}, {"TcpInSegs", 40}});
  auto cur = snap({{"TcpActiveOpens", 9}, {"TcpPassiveOpens", 8}, {"TcpInSegs", 40}});
  EXPECT_EQ(text(cur, &hist, {}),
            "#kernel\n"
            "TcpActiveOpens                  4                  0.0\n"
            "TcpPassiveOpens                 8                  0.0\n");
  EXPECT_EQ(text(cur, &hist, {.zeros = true}),
            "#kernel\n"
            "TcpActiveOpens                  4                  0.0\n"
            "TcpPassiveOpens                 8                  0.0\n"
            "TcpInSegs                       0                  0.0\n");
  // -a: absolute even with a history.
  EXPECT_EQ(json(cur, &hist, {.absolute = true}, false),
            "{\"kernel\":{\"TcpActiveOpens\":9,\"TcpPassiveOpens\":8,\"TcpInSegs\":40}}\n");
}

TEST(NstatDeltas, CounterBelowHistoryIsZeroWithOverflowMarkAndStaysVisible) {
  auto hist = snap({{"TcpActiveOpens", 999999}, {"TcpPassiveOpens", 2}});
  auto cur = snap({{"TcpActiveOpens", 14}, {"TcpPassiveOpens", 14}});
  // nstat prints the first line only with -z; tcpscope always shows a reset.
  EXPECT_EQ(text(cur, &hist, {}),
            "#kernel\n"
            "TcpActiveOpens                  0                  0.0 (overflow)\n"
            "TcpPassiveOpens                 12                 0.0\n");
  EXPECT_EQ(json(cur, &hist, {}, false),
            "{\"kernel\":{\"TcpActiveOpens\":0,\"TcpPassiveOpens\":12}}\n");
}

TEST(NstatDeltas, LongNamesPushTheColumnsRight) {
  auto cur = snap({{"MPTcpExtMPCapableFallbackSYNACK", 7}, {"TcpExtTCPMemoryPressuresChrono", 1}});
  EXPECT_EQ(text(cur, nullptr, {}),
            "#kernel\n"
            "MPTcpExtMPCapableFallbackSYNACK 7                  0.0\n"
            "TcpExtTCPMemoryPressuresChrono  1                  0.0\n");
  auto big = snap({{"ThirtyTwoCharactersLongName12345", 18446744073709551615u}});
  EXPECT_EQ(text(big, nullptr, {}),
            "#kernel\nThirtyTwoCharactersLongName1234518446744073709551615   0.0\n");
}

TEST(NstatHistory, StoresCurrentValuesButUnmatchedCountersKeepTheirStoredValue) {
  auto hist = snap({{"TcpActiveOpens", 5}, {"TcpPassiveOpens", 3}, {"TcpExtTW", 1}});
  auto cur = snap({{"TcpActiveOpens", 9},
                   {"TcpPassiveOpens", 8},
                   {"TcpCurrEstab", 4},
                   {"TcpInSegs", 0},
                   {"TcpExtTW", 6},
                   {"TcpExtNew", 2}});
  CounterSnapshot next;
  next_history(cur, &hist, false, CounterPatterns({"TcpActive*"}), next);
  // Matched: current. Unmatched with a stored value: the stored value. Unmatched without one:
  // current. Zero: not stored. Hidden: never stored.
  std::string out;
  append_history(out, "kernel", next);
  EXPECT_EQ(out,
            "#kernel\n"
            "TcpActiveOpens                  9                  0.0\n"
            "TcpPassiveOpens                 3                  0.0\n"
            "TcpExtTW                        1                  0.0\n"
            "TcpExtNew                       2                  0.0\n");
  next_history(cur, &hist, true, CounterPatterns(), next);
  out.clear();
  append_history(out, "kernel", next);
  EXPECT_NE(out.find("\nTcpInSegs                       0                  0.0\n"),
            std::string::npos);
  EXPECT_EQ(out.find("TcpCurrEstab"), std::string::npos);
  // Without a usable history every counter stores its current value.
  next_history(cur, nullptr, false, CounterPatterns({"TcpActive*"}), next);
  EXPECT_EQ(next.value_of("TcpPassiveOpens"), 8u);
}

TEST(NstatHistory, LongNamesKeepASeparatorSoTheFileReadsBack) {
  auto cur = snap({{"ThirtyTwoCharactersLongName12345", 7}, {"TcpExtTW", 1}});
  std::string out;
  append_history(out, "kernel", cur);
  EXPECT_EQ(out,
            "#kernel\n"
            "ThirtyTwoCharactersLongName12345 7                  0.0\n"
            "TcpExtTW                        1                  0.0\n");
  History h;
  ASSERT_TRUE(parse_history(out, h).has_value());
  EXPECT_EQ(h.counters.value_of("ThirtyTwoCharactersLongName12345"), 7u);
}

TEST(NstatHistory, ParsesNstatFilesAndRejectsBadLinesWithTheirNumber) {
  History h;
  ASSERT_TRUE(parse_history("#kernel\n"
                            "IpInReceives                    3790               0.0\n"
                            "\n"
                            "TcpExtTW 12\n"
                            "TcpMaxConn 18446744073709551615 1.5\n",
                            h)
                  .has_value());
  EXPECT_EQ(h.source, "kernel");
  ASSERT_EQ(h.counters.size(), 3u);
  EXPECT_EQ(h.counters.value_of("IpInReceives"), 3790u);
  EXPECT_EQ(h.counters.value_of("TcpExtTW"), 12u);
  EXPECT_EQ(h.counters.value_of("TcpMaxConn"), UINT64_MAX);

  ASSERT_TRUE(parse_history("", h).has_value());
  EXPECT_TRUE(h.counters.empty());
  EXPECT_EQ(h.source, "");

  auto bad = parse_history("#kernel\nTcpExtTW 1\nTcpExtTWKilled\n", h);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kMalformed);
  EXPECT_NE(bad.error().what().find("line 3"), std::string::npos) << bad.error().what();
  bad = parse_history("TcpExtTW 12x\n", h);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().what().find("line 1"), std::string::npos);
  EXPECT_FALSE(parse_history("TcpExtTW 18446744073709551616\n", h).has_value());
  EXPECT_FALSE(parse_history("  #TcpExtTW 1\n", h).has_value());  // would read back as a source
}

TEST(NstatHistory, StaleWhenAnotherSourceOrAnotherNamespace) {
  EXPECT_FALSE(history_stale("", "kernel netns=1"));
  EXPECT_FALSE(history_stale("kernel", "kernel netns=1"));  // written by nstat
  EXPECT_FALSE(history_stale("kernel netns=1", "kernel"));
  EXPECT_FALSE(history_stale("kernel netns=1", "kernel netns=1"));
  EXPECT_TRUE(history_stale("kernel netns=1", "kernel netns=2"));
  EXPECT_TRUE(history_stale("14858.1804289383 sampling_interval=2 time_const=10", "kernel"));
  EXPECT_EQ(source_line(0), "kernel");
  EXPECT_EQ(source_line(4026531840), "kernel netns=4026531840");
}

TEST(NstatHistory, AgedOutWhenWrittenBeforeTheLastBoot) {
  // Booted at 1000 (now 5000, up 4000 s).
  EXPECT_TRUE(history_aged_out(999, 5000, 4000));
  EXPECT_TRUE(history_aged_out(1000, 5000, 4000));  // nstat's >=
  EXPECT_FALSE(history_aged_out(1001, 5000, 4000));
  EXPECT_FALSE(history_aged_out(0, 5000, -1));  // uptime unknown
}

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tcpscope-counters-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const char* f : {"/h", "/link", "/hard", "/target"}) ::unlink((dir_ + f).c_str());
    ::rmdir(dir_.c_str());
  }
  std::string dir_;
};

using NstatHistoryFile = TempDir;

TEST_F(NstatHistoryFile, RoundTripThroughDisk) {
  const std::string path = dir_ + "/h";
  auto cur = fixture();
  {
    auto f = LockedFile::open(path);
    ASSERT_TRUE(f.has_value()) << f.error().what();
    std::string content;
    ASSERT_TRUE(f->read_all(content, kHistoryFileLimit).has_value());
    EXPECT_EQ(content, "");  // created empty
    CounterSnapshot next;
    next_history(cur, nullptr, true, CounterPatterns(), next);
    content.clear();
    append_history(content, source_line(77), next);
    ASSERT_TRUE(f->replace(content + content + "tail").has_value());
    ASSERT_TRUE(f->replace(content).has_value());  // a shorter content leaves no old tail
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto f = LockedFile::open(path);
  ASSERT_TRUE(f.has_value());
  std::string content;
  ASSERT_TRUE(f->read_all(content, kHistoryFileLimit).has_value());
  History h;
  ASSERT_TRUE(parse_history(content, h).has_value());
  EXPECT_EQ(h.source, "kernel netns=77");
  // Everything but the seven hidden values, in order, with the same values.
  size_t j = 0;
  for (size_t i = 0; i < cur.size(); ++i) {
    if (nstat_hides(cur.name(i))) continue;
    ASSERT_LT(j, h.counters.size());
    EXPECT_EQ(h.counters.name(j), cur.name(i));
    EXPECT_EQ(h.counters.value(j), cur.value(i));
    ++j;
  }
  EXPECT_EQ(j, h.counters.size());
  // A delta against the stored history is all zeros.
  EXPECT_EQ(text(cur, &h.counters, {}), "#kernel\n");
}

TEST_F(NstatHistoryFile, RefusesSymlinksAndHardLinks) {
  const std::string target = dir_ + "/target";
  ASSERT_EQ(::close(::open(target.c_str(), O_CREAT | O_WRONLY, 0600)), 0);
  ASSERT_EQ(::symlink(target.c_str(), (dir_ + "/link").c_str()), 0);
  auto f = LockedFile::open(dir_ + "/link");
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().err(), ELOOP);
  ASSERT_EQ(::link(target.c_str(), (dir_ + "/hard").c_str()), 0);
  f = LockedFile::open(dir_ + "/hard");
  ASSERT_FALSE(f.has_value());
  EXPECT_NE(f.error().what().find("refusing"), std::string::npos);
}

TEST(NstatInterval, RowsAreChangesWithRatesAndJsonLinesShape) {
  CounterSnapshot prev = snap({{"TcpActiveOpens", 1}, {"TcpInSegs", 10}, {"TcpCurrEstab", 2}});
  CounterSnapshot cur;
  cur.begin(2'000'000'000);
  cur.add("TcpActiveOpens", 1);
  cur.add("TcpInSegs", 15);
  cur.add("TcpCurrEstab", 3);
  // Give prev a timestamp: 1 s before.
  CounterSnapshot p2;
  p2.begin(1'000'000'000);
  for (size_t i = 0; i < prev.size(); ++i) p2.add(prev.name(i), prev.value(i));
  CounterDeltas d;
  d.compute(p2, cur);
  std::vector<Row> rows;
  select_interval_rows(cur, d, {}, CounterPatterns(), rows);
  ASSERT_EQ(rows.size(), 1u);
  std::string out;
  append_text(out, "kernel +1.000s", cur, rows);
  EXPECT_EQ(out, "#kernel +1.000s\nTcpInSegs                       5                  5.0\n");
  out.clear();
  append_interval_json(out, kSource, cur, rows, d.elapsed_seconds(), false);
  EXPECT_EQ(out,
            "{\"kernel\":{\"TcpInSegs\":5},\"rates\":{\"TcpInSegs\":5.00},\"seconds\":1.000}\n");
  out.clear();
  append_interval_json(out, kSource, cur, rows, d.elapsed_seconds(), true);
  EXPECT_EQ(out,
            "{\n    \"kernel\": {\n        \"TcpInSegs\": 5\n    },\n    \"rates\": {\n"
            "        \"TcpInSegs\": 5.00\n    },\n    \"seconds\": 1.000\n}\n");
  select_interval_rows(cur, d, {.zeros = true}, CounterPatterns(), rows);
  EXPECT_EQ(rows.size(), 2u);  // TcpCurrEstab stays hidden
  select_interval_rows(cur, d, {}, CounterPatterns({"TcpCurrEstab"}), rows);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].value, 3u);  // the level
}

}  // namespace
}  // namespace tcpscope::model::nstat
