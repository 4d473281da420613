// SPDX-License-Identifier: MIT
// The explanation and tunable catalogs: lookups, consistency with each other and with the
// counter names of a real 6.18 kernel (the captured fixtures), and reading tunable values.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "base/reread_file.hpp"
#include "model/counter_catalog.hpp"
#include "model/counters.hpp"
#include "model/tunable_catalog.hpp"
#include "procfs/counter_sampler.hpp"
#include "procfs/tunable_values.hpp"

namespace tcpscope::model {
namespace {

const std::string kProc = std::string(TCPSCOPE_FIXTURES) + "/proc";

TEST(CounterCatalog, ExplainLookupByFullOrShortNameAnyCase) {
  const CounterInfo* a = find_counter_info("ListenOverflows");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->name, "TcpExtListenOverflows");
  EXPECT_EQ(find_counter_info("TcpExtListenOverflows"), a);
  EXPECT_EQ(find_counter_info("tcpextlistenoverflows"), a);
  EXPECT_EQ(find_counter_info("LISTENOVERFLOWS"), a);
  ASSERT_NE(find_counter_info("InSegs"), nullptr);
  EXPECT_EQ(find_counter_info("InSegs")->name, "TcpInSegs");
  EXPECT_EQ(find_counter_info("TW")->name, "TcpExtTW");
  EXPECT_EQ(find_counter_info("CurrEstab")->name, "TcpCurrEstab");
  EXPECT_TRUE(find_counter_info("CurrEstab")->gauge);
  EXPECT_EQ(find_counter_info("NoSuchCounter"), nullptr);
  EXPECT_EQ(find_counter_info("Overflows"), nullptr);  // no partial matches
  EXPECT_EQ(find_counter_info(""), nullptr);
}

TEST(CounterCatalog, CoversTheWellKnownCounters) {
  for (const char* n : {"ListenOverflows",
                        "ListenDrops",
                        "SyncookiesSent",
                        "SyncookiesRecv",
                        "SyncookiesFailed",
                        "TCPReqQFullDoCookies",
                        "TCPReqQFullDrop",
                        "TCPSynRetrans",
                        "RetransSegs",
                        "TCPTimeouts",
                        "PruneCalled",
                        "RcvPruned",
                        "TW",
                        "TWRecycled",
                        "TWKilled",
                        "TCPTimeWaitOverflow",
                        "TCPAbortOnMemory",
                        "TCPAbortOnTimeout",
                        "TCPAbortOnClose",
                        "TCPAbortOnData",
                        "TCPAbortOnLinger",
                        "TCPMemoryPressures",
                        "TCPBacklogDrop",
                        "EmbryonicRsts",
                        "AttemptFails",
                        "EstabResets",
                        "CurrEstab",
                        "ActiveOpens",
                        "PassiveOpens",
                        "InSegs",
                        "OutSegs",
                        "OutRsts",
                        "InErrs"}) {
    const CounterInfo* c = find_counter_info(n);
    ASSERT_NE(c, nullptr) << n;
    EXPECT_FALSE(c->increments.empty()) << n;
    EXPECT_FALSE(c->meaning.empty()) << n;
  }
}

TEST(CounterCatalog, NamesAreUniqueRealAndConsistent) {
  // Every catalog name is a counter of the captured 6.18 kernel files.
  CounterSnapshot snap;
  std::string buf;
  ASSERT_TRUE(procfs::read_counter_snapshot(kProc + "/netns1", buf, snap, 1).has_value());
  std::set<std::string, std::less<>> names, shorts;
  for (const CounterInfo& c : counter_catalog()) {
    EXPECT_TRUE(snap.find(c.name).has_value()) << c.name;
    EXPECT_TRUE(names.emplace(c.name).second) << "duplicate " << c.name;
    std::string lower_short;
    for (char ch : c.short_name) lower_short.push_back(static_cast<char>(std::tolower(ch)));
    EXPECT_TRUE(shorts.insert(lower_short).second) << "ambiguous short name " << c.short_name;
    EXPECT_TRUE(c.name.ends_with(c.short_name)) << c.name;
    EXPECT_EQ(c.gauge, counter_is_gauge(c.name)) << c.name;
    // Related tunables exist in the tunable catalog.
    for (std::string_view s : c.sysctls) {
      if (!s.empty()) EXPECT_NE(find_tunable(s), nullptr) << c.name << " -> " << s;
    }
  }
}

TEST(TunableCatalog, LookupAndShape) {
  const TunableInfo* t = find_tunable("net.core.somaxconn");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(find_tunable("somaxconn"), t);
  EXPECT_EQ(t->scope, TunableScope::kNetns);
  EXPECT_TRUE(t->has_default);
  EXPECT_EQ(t->default_values[0], 4096);
  EXPECT_EQ(find_tunable("tcp_mem")->scope, TunableScope::kGlobal);
  EXPECT_EQ(find_tunable("tcp_mem")->count, 3);
  EXPECT_EQ(find_tunable("tcp_max_orphans")->scope, TunableScope::kGlobal);
  EXPECT_EQ(find_tunable("ip_local_port_range")->count, 2);
  EXPECT_EQ(find_tunable("tcp_congestion_control")->count, 0);
  EXPECT_EQ(find_tunable("nope"), nullptr);
  std::set<std::string_view> seen;
  for (const TunableInfo& i : tunable_catalog()) {
    EXPECT_TRUE(seen.insert(i.name).second) << i.name;
    EXPECT_FALSE(i.meaning.empty()) << i.name;
    EXPECT_TRUE(i.has_default || !i.default_note.empty()) << i.name << ": no default, no note";
    EXPECT_TRUE(i.name.starts_with("net.")) << i.name;
  }
}

TEST(TunableValues, ChildNamespaceLacksGlobals) {
  std::vector<procfs::TunableValue> v;
  std::string buf;
  auto cat = tunable_catalog();
  ASSERT_TRUE(procfs::read_tunable_values(kProc + "/netns1", cat, v, buf).has_value());
  ASSERT_EQ(v.size(), cat.size());
  auto value = [&](std::string_view name) -> const procfs::TunableValue& {
    return v[static_cast<size_t>(find_tunable(name) - cat.data())];
  };
  EXPECT_TRUE(value("somaxconn").present);
  EXPECT_EQ(value("somaxconn").ints[0], 4096);
  EXPECT_FALSE(value("tcp_mem").present);
  EXPECT_FALSE(value("tcp_max_orphans").present);
  EXPECT_EQ(
      model::format_tunable(*find_tunable("ip_local_port_range"), value("ip_local_port_range")),
      "32768 60999");
  EXPECT_EQ(model::format_tunable(*find_tunable("tcp_mem"), value("tcp_mem")), "");
}

TEST(TunableValues, InitialNamespaceHasGlobals) {
  std::vector<procfs::TunableValue> v;
  std::string buf;
  auto cat = tunable_catalog();
  ASSERT_TRUE(procfs::read_tunable_values(kProc + "/host", cat, v, buf).has_value());
  const auto i = static_cast<size_t>(find_tunable("tcp_mem") - cat.data());
  ASSERT_TRUE(v[i].present);
  EXPECT_EQ(model::format_tunable(cat[i], v[i]), "287898 383867 575796");
}

TEST(TunableValues, ReaderKeepingFilesOpenReadsTheSameAsOneShot) {
  auto cat = tunable_catalog();
  for (const char* root : {"/netns1", "/host"}) {
    std::vector<procfs::TunableValue> once, kept;
    std::string buf;
    ASSERT_TRUE(procfs::read_tunable_values(kProc + root, cat, once, buf).has_value());
    procfs::TunableReader reader(kProc + root, cat);
    for (int round = 0; round < 2; ++round) {
      ASSERT_TRUE(reader.read(kept).has_value());
      ASSERT_EQ(kept.size(), once.size());
      for (size_t i = 0; i < cat.size(); ++i) {
        EXPECT_EQ(kept[i].present, once[i].present) << root << " " << cat[i].name;
        EXPECT_EQ(model::format_tunable(cat[i], kept[i]), model::format_tunable(cat[i], once[i]))
            << root << " " << cat[i].name;
      }
    }
  }
}

TEST(RereadFile, EveryReadStartsAtOffsetZeroAndSeesNewContent) {
  char tmpl[] = "/tmp/tcpscope-reread-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string path = tmpl;
  std::ofstream(path) << "4096\n";
  auto f = RereadFile::open(path);
  ASSERT_TRUE(f.has_value());
  std::string buf;
  ASSERT_TRUE(f->read(buf).has_value());
  EXPECT_EQ(buf, "4096\n");
  ASSERT_TRUE(f->read(buf).has_value());
  EXPECT_EQ(buf, "4096\n");  // not at EOF the second time
  std::ofstream(path) << std::string(10000, 'x');
  ASSERT_TRUE(f->read(buf).has_value());
  EXPECT_EQ(buf.size(), 10000u);  // grows past the first buffer size
  ::unlink(path.c_str());
  auto missing = RereadFile::open("/nonexistent-tcpscope/x");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().err(), ENOENT);
}

}  // namespace
}  // namespace tcpscope::model
