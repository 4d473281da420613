// SPDX-License-Identifier: MIT
// The tcp_info catalog drives every output: each simple item of the -i line is printed from its
// catalog line, JSON and CSV use its keys, and docs/json.md documents the same keys, kernel
// versions and CSV columns.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "model/tcp_info_fields.hpp"
#include "render/csv.hpp"
#include "render/details.hpp"
#include "render/json.hpp"
#include "render_test_util.hpp"

namespace tcpscope::model {
namespace {

using namespace tcpscope::testing;

std::string docs_json() {
  std::ifstream in(std::string(TCPSCOPE_DOCS) + "/json.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_field(TcpInfo& t, const TcpiField& f, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(&t) + f.offset;
  std::memcpy(p, &v, f.size);  // little endian: the low bytes
}

// A value no field hides and no format changes: 7 (ms items print 0.007).
SocketRecord all_sevens() {
  SocketRecord r = tcp4(TcpState::kEstablished, v4(10, 0, 0, 1), 1, v4(10, 0, 0, 2), 2);
  set_info(r);
  for (const TcpiField& f : kTcpiFields) write_field(r.tcp_info, f, 7);
  return r;
}

TEST(TcpInfoCatalog, EverySimpleTextItemIsPrintedFromItsLine) {
  const SocketRecord r = all_sevens();
  render::DetailOptions o;
  o.info = true;
  o.newer_ss = true;
  fmt::memory_buffer b;
  render::append_tcp_info(b, r, o);
  const std::string line(b.data(), b.size());
  size_t simple = 0;
  for (const TcpiField& f : kTcpiFields) {
    if (f.text == TcpiText::kNone || f.text == TcpiText::kCustom) continue;
    ++simple;
    const std::string want = std::string(f.label) + (f.text == TcpiText::kMs ? "0.007" : "7");
    EXPECT_NE((line + " ").find(want + " "), std::string::npos) << f.key << " in: " << line;
  }
  EXPECT_GE(simple, 30u);
  // Without newer_ss, the items ss 6.1 does not print are left out.
  o.newer_ss = false;
  b.clear();
  render::append_tcp_info(b, r, o);
  const std::string old(b.data(), b.size());
  for (const TcpiField& f : kTcpiFields) {
    if (f.newer_ss) EXPECT_EQ(old.find(f.label), std::string::npos) << f.key;
  }
}

TEST(TcpInfoCatalog, AFieldBeyondTheKernelsLengthIsAbsentEverywhere) {
  SocketRecord r = all_sevens();
  r.tcp_info_len = static_cast<uint16_t>(offsetof(TcpInfo, pacing_rate));  // a 3.14 kernel
  fmt::memory_buffer j;
  render::append_json(j, r, nullptr);
  const std::string json(j.data(), j.size());
  for (const TcpiField& f : kTcpiJsonNumbers) {
    const bool sent = f.offset + f.size <= r.tcp_info_len;
    const std::string key = "\"" + std::string(f.key) + "\":";
    if (sent) {
      EXPECT_NE(json.find(key + "7"), std::string::npos) << f.key;
    } else {
      EXPECT_EQ(json.find(key), std::string::npos) << f.key;
    }
  }
}

TEST(TcpInfoCatalog, KernelVersionsGrowWithTheStruct) {
  // A field later in the struct never predates one before it.
  auto version = [](std::string_view v) {
    if (v.empty()) return 0;
    const size_t dot = v.find('.');
    return std::stoi(std::string(v.substr(0, dot))) * 100 +
           std::stoi(std::string(v.substr(dot + 1)));
  };
  int last = 0;
  for (const TcpiField& f : kTcpiJsonNumbers) {
    if (f.since.empty()) continue;
    EXPECT_GE(version(f.since), last) << f.key;
    last = version(f.since);
  }
}

TEST(TcpInfoCatalog, DocsListEveryJsonKeyWithItsKernel) {
  const std::string all = docs_json();
  // The tcp_info table: from its header row to the first blank line.
  const size_t begin = all.find("| Key | Kernel field | Since | Notes |");
  ASSERT_NE(begin, std::string::npos);
  const std::string doc = all.substr(begin, all.find("\n\n", begin) - begin);
  for (const TcpiField& f : kTcpiJsonNumbers) {
    const std::string key = "`" + std::string(f.key) + "`";
    const size_t at = doc.find(key);
    ASSERT_NE(at, std::string::npos) << f.key << " is not in docs/json.md's tcp_info table";
    if (f.since.empty()) continue;
    const size_t start = doc.rfind('\n', at) + 1;
    const std::string row = doc.substr(start, doc.find('\n', at) - start);
    EXPECT_NE(row.find("| " + std::string(f.since) + " |"), std::string::npos)
        << f.key << ": docs/json.md's row does not say " << f.since << ": " << row;
  }
}

TEST(TcpInfoCatalog, DocsListTheCsvColumnsInOrder) {
  fmt::memory_buffer b;
  render::append_csv_header(b);
  std::string header(b.data(), b.size());
  std::string documented;
  for (const uint8_t i : kTcpiCsvOrder) {
    if (!documented.empty()) documented += ", ";
    documented += "`" + std::string(kTcpiFields[i].key) + "`";
  }
  EXPECT_NE(docs_json().find(documented), std::string::npos) << documented;
  for (const uint8_t i : kTcpiCsvOrder) {
    EXPECT_NE(header.find("," + std::string(kTcpiFields[i].key)), std::string::npos);
  }
}

}  // namespace
}  // namespace tcpscope::model
