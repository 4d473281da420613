// SPDX-License-Identifier: MIT
// The doctor's reports, byte for byte: synthetic snapshots that make every check fire, pass and
// be skipped (and both kinds of note), each rendered as text, colored text and JSON, compared
// with tests/fixtures/doctor/*. Regenerate with tests/fixtures/doctor/make_golden.sh and review
// the diff.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>

#include "doctor/rules.hpp"
#include "doctor_test_util.hpp"
#include "json_checker.hpp"
#include "render/doctor_report.hpp"

namespace tcpscope::doctor {
namespace {

using namespace doctor_test;
using model::TcpState;

EndpointCount close_wait_port(uint16_t port, uint64_t count) {
  EndpointCount e;
  e.key.family = AF_INET;
  e.key.port = port;
  e.count = count;
  return e;
}

EndpointCount close_wait_remote(const char* remote, uint16_t port, uint64_t count) {
  EndpointCount e = endpoint(nullptr, remote, port, count);
  e.key.by_remote = 1;
  return e;
}

struct Case {
  const char* name;
  const char* netns;
  bool since_boot;
  std::function<void(Snapshot&, Thresholds&)> make;
};

const Case kCases[] = {
    {"healthy", "", false, [](Snapshot&, Thresholds&) {}},
    {"healthy_listeners", "", false,
     [](Snapshot& s, Thresholds&) {
       s.listeners.push_back(listener("0.0.0.0", 22, 0, 128));
       s.listeners.push_back(listener("127.0.0.1", 8080, 3, 4, std::nullopt));
       s.listeners.push_back(listener("::", 443, 64, 4096));
     }},
    // accept-queue-overflow (critical, both caps), accept-queue-saturated, syn-cookies
    // (critical: the founding incident), --since-boot totals.
    {"accept_queue", "ns1", true,
     [](Snapshot& s, Thresholds&) {
       s.tunables.somaxconn = 128;
       s.listeners.push_back(listener("127.0.0.1", 8080, 5, 4, 45));
       s.listeners.push_back(listener("10.0.0.1", 80, 129, 128, 7));
       s.listeners.push_back(listener("::1", 8443, 110, 128));
       s.listeners.push_back(listener("0.0.0.0", 22, 0, 128));
       s.listeners[0].info.syn_recv_v4 = 9;
       set(s, Counter::kListenOverflows, 45);
       set(s, Counter::kListenDrops, 52);
       set(s, Counter::kSyncookiesSent, 193);
       set(s, Counter::kSyncookiesRecv, 190);
       set(s, Counter::kSyncookiesFailed, 3);
       set(s, Counter::kReqQFullDoCookies, 193);
       s.counters.has_totals = true;
       for (size_t i = 0; i < kCounterCount; ++i) s.counters.total[i] = 1000 + i;
     }},
    // accept-queue-overflow (warning, no listener full now, somaxconn unknown),
    // syn-cookies (warning: only sent).
    {"accept_queue_warning", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.somaxconn.reset();
       s.listeners.push_back(listener("127.0.0.1", 8080, 2, 4, std::nullopt));
       set(s, Counter::kListenOverflows, 1);
       set(s, Counter::kSyncookiesSent, 12);
     }},
    {"accept_queue_burst_passed", "", false,
     [](Snapshot& s, Thresholds&) { set(s, Counter::kListenOverflows, 1); }},
    // syn-queue-drops (critical) with cookies off, both notes.
    {"syn_queue", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.tcp_syncookies = 0;
       s.tunables.tcp_abort_on_overflow = 1;
       s.listeners.push_back(listener("127.0.0.1", 8080, 1, 4, 6));
       s.listeners[0].info.syn_recv_v4 = 5;
       s.listeners.push_back(listener("127.0.0.1", 9090, 50, 100));
       set(s, Counter::kReqQFullDrop, 6);
       set(s, Counter::kListenDrops, 6);
     }},
    {"syn_queue_unknown_tunables", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.tcp_syncookies.reset();
       s.tunables.tcp_max_syn_backlog.reset();
       set(s, Counter::kReqQFullDrop, 1);
     }},
    {"syncookies_always", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.tcp_syncookies = 2;
       set(s, Counter::kSyncookiesSent, 50);
     }},
    // time-wait-overflow (covers time-wait-pressure), with the top remote endpoints.
    {"time_wait_overflow", "", true,
     [](Snapshot& s, Thresholds&) {
       s.counters.has_totals = true;
       s.counters.total[static_cast<size_t>(Counter::kTimeWaitOverflow)] = 77;
       s.tunables.tcp_max_tw_buckets = 1000;
       s.sockstat->tcp_tw = 1000;
       set(s, Counter::kTimeWaitOverflow, 3);
       for (int i = 0; i < 7; ++i) {
         const std::string a = "10.0.0." + std::to_string(i + 1);
         s.time_wait_by_remote.push_back(endpoint(nullptr, a.c_str(), 443, 700 - 10 * i));
       }
     }},
    {"time_wait_pressure", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.tcp_max_tw_buckets = 1000;
       s.sockstat->tcp_tw = 850;
       s.time_wait_by_remote.push_back(endpoint(nullptr, "10.0.0.5", 443, 700));
     }},
    {"time_wait_from_census", "", false,
     [](Snapshot& s, Thresholds&) {
       s.sockstat.reset();
       s.tunables.tcp_max_tw_buckets = 100;
       s.tcp[static_cast<size_t>(TcpState::kTimeWait)].v4 = 90;
     }},
    // ephemeral-port-pressure (critical) with the tally's error bound, close-wait-leak per
    // local port and per remote endpoint.
    {"ports_close_wait", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.ip_local_port_range = std::array<int64_t, 2>{40000, 40099};
       s.ports_by_destination.push_back(endpoint("127.0.0.1", "127.0.0.1", 8080, 96));
       s.ports_by_destination.push_back(endpoint("10.1.1.1", "10.2.2.2", 5432, 81));
       s.ports_by_destination.push_back(endpoint("10.1.1.1", "10.2.2.3", 5432, 12));
       s.tally_error_bound = 4;
       s.tcp[static_cast<size_t>(TcpState::kCloseWait)].v4 = 1500;
       s.close_wait.push_back(close_wait_port(8080, 1200));
       s.close_wait.push_back(close_wait_remote("10.9.9.9", 6379, 250));
       s.close_wait.push_back(close_wait_port(9000, 50));
     }},
    {"ports_warning_v6", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.ip_local_port_range = std::array<int64_t, 2>{40000, 40099};
       EndpointCount e;
       e.key.family = AF_INET6;
       ::inet_pton(AF_INET6, "fd00::1", e.key.local.data());
       ::inet_pton(AF_INET6, "fd00::2", e.key.remote.data());
       e.key.port = 80;
       e.count = 85;
       s.ports_by_destination.push_back(e);
       s.close_wait.push_back(close_wait_remote("10.9.9.9", 6379, 100));
     }},
    // orphans (critical: aborts on memory), tcp-memory-pressure (critical).
    {"memory", "", true,
     [](Snapshot& s, Thresholds&) {
       s.counters.has_totals = true;
       s.tunables.tcp_max_orphans = 1000;
       s.sockstat->tcp_orphan = 300;
       s.orphans_in_netns = 12;
       s.tunables.tcp_mem = std::array<int64_t, 3>{100, 200, 300};
       s.sockstat->tcp_mem = 280;
       set(s, Counter::kAbortOnMemory, 2);
       set(s, Counter::kMemoryPressures, 1);
       set(s, Counter::kPruneCalled, 40);
     }},
    {"memory_warning", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.tcp_max_orphans = 1000;
       s.sockstat->tcp_orphan = 260;
       s.tunables.tcp_mem = std::array<int64_t, 3>{100, 200, 300};
       s.sockstat->tcp_mem = 210;
     }},
    {"memory_counters_in_child_netns", "", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.tcp_max_orphans.reset();
       s.tunables.tcp_mem.reset();
       s.sockstat.reset();
       s.orphans_in_netns = 40;
       set(s, Counter::kMemoryPressures, 1);
     }},
    // retransmissions (critical), syn-retransmits (more than five half-open listeners),
    // timeouts (critical), backlog-drops.
    {"rates", "", false,
     [](Snapshot& s, Thresholds&) {
       set(s, Counter::kOutSegs, 10000);
       set(s, Counter::kRetransSegs, 1234);
       set(s, Counter::kSynRetrans, 40);
       set(s, Counter::kActiveOpens, 100);
       set(s, Counter::kPassiveOpens, 50);
       set(s, Counter::kTimeouts, 400);
       set(s, Counter::kBacklogDrop, 9);
       for (uint16_t i = 0; i < 7; ++i) {
         s.listeners.push_back(listener("0.0.0.0", static_cast<uint16_t>(8000 + i), 0, 128));
         s.listeners.back().info.syn_recv_v4 = 3u + i % 4;
       }
     }},
    {"rates_warning", "", false,
     [](Snapshot& s, Thresholds&) {
       set(s, Counter::kOutSegs, 10000);
       set(s, Counter::kRetransSegs, 250);
       set(s, Counter::kTimeouts, 12);
     }},
    // Global tunables unreadable (a child namespace): orphans, tcp-memory-pressure and
    // ephemeral-port-pressure skipped; a netns name that needs escaping.
    {"skipped", "lab \"a\\b\"\n", false,
     [](Snapshot& s, Thresholds&) {
       s.tunables.tcp_max_orphans.reset();
       s.tunables.tcp_mem.reset();
       s.tunables.ip_local_port_range.reset();
       s.orphans_in_netns = 20;
     }},
    // Thresholds from the configuration change the verdicts.
    {"thresholds", "", false,
     [](Snapshot& s, Thresholds& t) {
       t.accept_queue_fill = 40;
       t.backlog_drop_rate = 100;
       s.listeners.push_back(listener("127.0.0.1", 8080, 50, 100));
       set(s, Counter::kBacklogDrop, 9);
     }},
    // More listeners than a report lists.
    {"many_listeners", "", false,
     [](Snapshot& s, Thresholds&) {
       for (uint16_t p = 1000; p < 1000 + kReportListeners + 5; ++p) {
         s.listeners.push_back(listener("0.0.0.0", p, p % 7, 128));
       }
     }},
};

struct Rendered {
  std::string text;
  std::string color;
  std::string json;
};

Rendered render(const Case& c) {
  Snapshot s = healthy();
  Thresholds t;
  c.make(s, t);
  const Report r = diagnose(s, t);
  Rendered out;
  for (int i = 0; i < 3; ++i) {
    fmt::memory_buffer b;
    const render::DoctorFormatOptions o{i == 1, c.netns, c.since_boot};
    if (i == 2) {
      render::doctor_json(b, r, o);
    } else {
      render::doctor_text(b, r, o);
    }
    (i == 0 ? out.text : i == 1 ? out.color : out.json) = std::string(b.data(), b.size());
  }
  return out;
}

std::string golden_path(const Case& c, std::string_view suffix) {
  return std::string(TCPSCOPE_FIXTURES) + "/doctor/" + c.name + std::string(suffix);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DoctorGolden, EveryReportIsUnchanged) {
  const bool update = std::getenv("TCPSCOPE_UPDATE_GOLDEN") != nullptr;
  for (const Case& c : kCases) {
    const Rendered r = render(c);
    EXPECT_TRUE(tcpscope::testing::json_well_formed(r.json)) << c.name << "\n" << r.json;
    const std::pair<std::string_view, const std::string*> files[] = {
        {".txt", &r.text}, {".color.txt", &r.color}, {".json", &r.json}};
    for (const auto& [suffix, content] : files) {
      const std::string path = golden_path(c, suffix);
      if (update) {
        std::ofstream(path, std::ios::binary) << *content;
        continue;
      }
      EXPECT_EQ(read_all(path), *content) << path;
    }
  }
}

// The golden cases between them make every check fire, pass and be skipped somewhere.
TEST(DoctorGolden, CasesCoverEveryCheck) {
  std::set<CheckId> fired, passed_ids, skipped_ids;
  for (const Case& c : kCases) {
    Snapshot s = healthy();
    Thresholds t;
    c.make(s, t);
    const Report r = diagnose(s, t);
    for (const auto& f : r.findings) fired.insert(f.id);
    for (const auto& id : r.passed) passed_ids.insert(id);
    for (const auto& sk : r.skipped) skipped_ids.insert(sk.id);
  }
  for (CheckId id : check_ids()) {
    EXPECT_TRUE(fired.contains(id)) << check_key(id);
    EXPECT_TRUE(passed_ids.contains(id)) << check_key(id);
  }
  EXPECT_EQ(skipped_ids.size(), 3u);
}

}  // namespace
}  // namespace tcpscope::doctor
