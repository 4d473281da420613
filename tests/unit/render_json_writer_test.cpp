// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>

#include "render/json_writer.hpp"

namespace tcpscope::render {
namespace {

std::string text(const fmt::memory_buffer& b) { return std::string(b.data(), b.size()); }

TEST(JsonWriter, CompactNestedContainers) {
  fmt::memory_buffer b;
  JsonWriter w(b);
  w.begin_object(Layout::kCompact);
  w.key("kernel").begin_object(Layout::kCompact);
  w.key("TcpInSegs").value(uint64_t{40});
  w.key("neg").value(int64_t{-3});
  w.end_object();
  w.key("list").begin_array(Layout::kCompact).value(1u).value(2u).end_array();
  w.key("empty").begin_object(Layout::kCompact).end_object();
  w.end_object();
  EXPECT_EQ(text(b), R"({"kernel":{"TcpInSegs":40,"neg":-3},"list":[1,2],"empty":{}})");
  EXPECT_TRUE(w.done());
}

TEST(JsonWriter, BlockIndentsPerLevelAndInlineStaysOnOneLine) {
  fmt::memory_buffer b;
  JsonWriter w(b, 2);
  w.begin_object(Layout::kBlock);
  w.key("netns").null();
  w.key("states").begin_object(Layout::kBlock);
  w.key("listen").begin_object(Layout::kInline).key("ipv4").value(2u).key("ipv6").value(0u);
  w.end_object();
  w.end_object();
  w.key("tcp_mem").begin_array(Layout::kInline).value(1u).value(2u).value(3u).end_array();
  w.key("none").begin_array(Layout::kBlock).end_array();
  w.end_object();
  EXPECT_EQ(text(b),
            "{\n"
            "  \"netns\": null,\n"
            "  \"states\": {\n"
            "    \"listen\": {\"ipv4\": 2, \"ipv6\": 0}\n"
            "  },\n"
            "  \"tcp_mem\": [1, 2, 3],\n"
            "  \"none\": []\n"
            "}");
}

TEST(JsonWriter, IprouteStyleFourSpaces) {
  fmt::memory_buffer b;
  JsonWriter w(b, 4);
  w.begin_object(Layout::kBlock);
  w.key("kernel").begin_object(Layout::kBlock).key("A").value(1u).key("B").value(2u).end_object();
  w.end_object();
  EXPECT_EQ(text(b), "{\n    \"kernel\": {\n        \"A\": 1,\n        \"B\": 2\n    }\n}");
}

TEST(JsonWriter, NumbersBooleansOptionalsAndRaw) {
  fmt::memory_buffer b;
  JsonWriter w(b);
  w.begin_array(Layout::kInline);
  w.fixed(2.5, 1).fixed(std::nan(""), 1).fixed(HUGE_VAL, 3);
  w.boolean(true).boolean(false);
  w.optional(std::optional<uint64_t>{}).optional(std::optional<uint64_t>{7});
  w.raw("12.00");
  w.end_array();
  EXPECT_EQ(text(b), "[2.5, null, null, true, false, null, 7, 12.00]");
}

TEST(JsonWriter, KeysAndStringsGoThroughTheOneEscaper) {
  fmt::memory_buffer b;
  JsonWriter w(b);
  w.begin_object(Layout::kCompact);
  w.key("a\"b").string("line\nbreak\ttab\x01\\ \xc3\xa9 \xff");
  w.end_object();
  EXPECT_EQ(text(b), R"({"a\"b":"line\nbreak\ttab\u0001\\ é \ufffd"})");
}

TEST(JsonWriter, TopLevelScalar) {
  fmt::memory_buffer b;
  JsonWriter w(b);
  w.string("x");
  EXPECT_EQ(text(b), "\"x\"");
  EXPECT_TRUE(w.done());
}

}  // namespace
}  // namespace tcpscope::render
