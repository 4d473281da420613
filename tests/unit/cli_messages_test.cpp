// SPDX-License-Identifier: MIT
// The command line's messages (render/cli_messages.hpp) and the --count rule every command
// shares (base/duration.hpp): pure functions, so the rewriting of every parser wording is
// pinned here and the integration test only checks the shape of stderr.
#include "render/cli_messages.hpp"

#include <gtest/gtest.h>

#include <string>

#include "base/duration.hpp"
#include "render/json_writer.hpp"

namespace tcpscope::render {
namespace {

TEST(CountFlag, PositiveWholeNumbersOnly) {
  EXPECT_EQ(parse_count("1"), 1);
  EXPECT_EQ(parse_count("1000000000"), kMaxCount);
  for (const char* bad : {"0", "-1", "+1", "", " 1", "1 ", "1.5", "1e3", "abc", "1000000001",
                          "99999999999999999999999999999999999999999999999999"}) {
    EXPECT_EQ(parse_count(bad), std::nullopt) << bad;
  }
  const auto e = count_flag("0");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().kind(), ErrorKind::kUsage);
  EXPECT_EQ(e.error().what(),
            "--count must be a whole number from 1 to 1000000000 (without --count it runs until "
            "interrupted)");
}

TEST(DurationFlag, OneMessageWithTheMinimum) {
  EXPECT_EQ(duration_flag("--interval", "1s"), 1'000'000'000);
  EXPECT_EQ(duration_flag("--interval", "0").error().what(),
            "--interval: \"0\" is not a duration from 1ms to 24h (e.g. 1s, 500ms, 2m)");
  EXPECT_EQ(duration_flag("interval", "50ms", 100'000'000).error().what(),
            "interval: \"50ms\" is not a duration from 100ms to 24h (e.g. 1s, 500ms, 2m)");
  const auto e = duration_flag("--window", std::string(300, '9'));
  ASSERT_FALSE(e);
  EXPECT_LT(e.error().what().size(), 120u);
}

TEST(CliMessages, ExcerptEscapesAndBounds) {
  EXPECT_EQ(excerpt("abc"), "\"abc\"");
  EXPECT_EQ(excerpt(std::string("a\x01\"b", 4)), "\"a\\x01\\\"b\"");
  const std::string digits(300, '9');
  EXPECT_EQ(excerpt(digits), "\"" + std::string(40, '9') + "\"... (300 characters)");
}

TEST(CliMessages, ParserWordingsAreRewritten) {
  struct Case {
    const char* what;
    const char* error;
  };
  const Case cases[] = {
      {"--interval: At Most 1 required but received 2",
       "--interval given more than once (it takes one value)"},
      {"Could not convert: --max-listeners = abc", "--max-listeners: \"abc\" is not a valid value"},
      {"--count: Value 0 not in range 2.22507e-308 to 1.79769e+308",
       "--count: \"0\" is not a positive number"},
      {"--format: xml not in {table,json,csv}", "--format: \"xml\" is not one of table, json, csv"},
      {"--netns: 1 required TEXT missing", "--netns needs a value"},
      {"--json: too many inputs for a flag", "--json takes no value"},
      {"The following argument was not expected: nosuch",
       "unexpected argument \"nosuch\" (see tcpscope sysctl --help)"},
      {"--window excludes --since-boot",
       "--window excludes --since-boot (see tcpscope sysctl --help)"},
  };
  for (const auto& c : cases) {
    const CliMessage m = parse_error("sysctl", c.what);
    EXPECT_EQ(m.error, c.error) << c.what;
    EXPECT_EQ(m.hint, "") << c.what;
  }
}

TEST(CliMessages, AHugeNumberIsNeverEchoedWhole) {
  const std::string digits(300, '9');
  const CliMessage m = parse_error("agent", "Could not convert: --statsd-mtu = " + digits);
  EXPECT_EQ(m.error, "--statsd-mtu: \"" + std::string(40, '9') +
                         "\"... (300 characters) is not a valid value");
  const CliMessage other = parse_error("agent", "Something odd " + digits);
  EXPECT_LT(other.error.size(), 120u);
}

TEST(CliMessages, HabitsFromSsAndNstatGetAHint) {
  EXPECT_EQ(unknown_option("sockets", "-s").hint, "`tcpscope summary` prints what ss -s prints");
  EXPECT_EQ(unknown_option("sockets", "-s").error, "unknown option \"-s\"");
  EXPECT_NE(unknown_option("summary", "-K").hint.find("sockets -K"), std::string::npos);
  EXPECT_NE(unknown_option("summary", "--unix").hint.find("sockets -x"), std::string::npos);
  EXPECT_NE(unknown_option("sockets", "-d").hint.find("DCCP"), std::string::npos);
  EXPECT_EQ(unknown_option("sockets", "-x").hint, "");  // a sockets flag now
  EXPECT_NE(unknown_option("counters", "-d").hint.find("--interval"), std::string::npos);
  // No habit: one line that points at the help.
  const CliMessage m = unknown_option("sysctl", "-s");
  EXPECT_EQ(m.error, "unknown option \"-s\" (see tcpscope sysctl --help)");
  EXPECT_EQ(m.hint, "");
  // The parser's "not expected" goes the same way.
  EXPECT_EQ(parse_error("summary", "The following argument was not expected: -K").hint,
            unknown_option("summary", "-K").hint);
}

TEST(CliMessages, AppendedInTheProjectStyle) {
  fmt::memory_buffer out;
  append_cli_message(out, "tcpscope", {"unknown option \"-s\"", "`tcpscope summary` ..."});
  EXPECT_EQ(fmt::to_string(out),
            "tcpscope: error: unknown option \"-s\"\nhint: `tcpscope summary` ...\n");
  out.clear();
  append_version(out, "tcpscope-agent", "1.2.3");
  EXPECT_EQ(fmt::to_string(out), "tcpscope-agent 1.2.3\n");
}

TEST(CompactJson, WhitespaceOutsideStringsOnly) {
  fmt::memory_buffer out;
  append_compact_json(out, "{\n  \"a b\": [1, 2],\n  \"c\": \"x\\\" y\\n\"\n}\n");
  EXPECT_EQ(fmt::to_string(out), "{\"a b\":[1,2],\"c\":\"x\\\" y\\n\"}");
}

}  // namespace
}  // namespace tcpscope::render
