// SPDX-License-Identifier: MIT
// The doctor's rules on synthetic snapshots: every finding, and the edges of its thresholds.
#include <gtest/gtest.h>

#include "doctor/rules.hpp"
#include "doctor/snapshot_build.hpp"
#include "doctor_test_util.hpp"
#include "json_checker.hpp"
#include "render/doctor_report.hpp"

namespace tcpscope::doctor {
namespace {

using namespace doctor_test;
using model::TcpState;

TEST(DoctorRules, HealthySnapshotPassesEveryCheck) {
  const Report r = diagnose(healthy(), Thresholds{});
  EXPECT_TRUE(r.findings.empty());
  EXPECT_TRUE(r.notes.empty());
  EXPECT_EQ(r.passed.size(), check_ids().size());
  EXPECT_EQ(exit_status(r), 0);
}

TEST(DoctorRules, AcceptQueueOverflowNamesTheListenerAndTheBacklogCap) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("127.0.0.1", 8080, 5, 4, 45));
  s.listeners.push_back(listener("0.0.0.0", 22, 0, 128, 0));
  set(s, Counter::kListenOverflows, 45);
  set(s, Counter::kListenDrops, 45);
  const Report r = diagnose(s, Thresholds{});
  const Finding* f = find(r, "accept-queue-overflow");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  ASSERT_EQ(f->listeners.size(), 1u);
  EXPECT_EQ(f->listeners[0].address, "127.0.0.1:8080");
  EXPECT_EQ(f->listeners[0].accept_queue, 5u);
  EXPECT_EQ(f->listeners[0].accept_queue_limit, 4u);
  EXPECT_EQ(f->listeners[0].drops_in_window, 45u);
  EXPECT_EQ(f->listeners[0].capped_by, "backlog");
  EXPECT_NE(f->fix.find("listen() backlog (4) is the cap"), std::string::npos);
  EXPECT_NE(f->fix.find("accept faster"), std::string::npos);
  EXPECT_NE(f->fix.find("tcp_max_syn_backlog does not change it"), std::string::npos);
  EXPECT_EQ(exit_status(r), 2);
  EXPECT_FALSE(passed(r, "accept-queue-overflow"));
}

TEST(DoctorRules, AcceptQueueOverflowCappedBySomaxconn) {
  Snapshot s = healthy();
  s.tunables.somaxconn = 128;
  s.listeners.push_back(listener("127.0.0.1", 80, 129, 128, 3));
  set(s, Counter::kListenOverflows, 3);
  const Report rep = diagnose(s, Thresholds{});
  const Finding* f = find(rep, "accept-queue-overflow");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->listeners[0].capped_by, "somaxconn");
  EXPECT_NE(f->fix.find("net.core.somaxconn (128) is the cap"), std::string::npos);
}

TEST(DoctorRules, AcceptQueueOverflowSeverityEdge) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("127.0.0.1", 8080, 2, 4, 1));  // not full now
  set(s, Counter::kListenOverflows, 1);                         // 0.5/s < 1/s
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "accept-queue-overflow")->severity, Severity::kWarning);
  set(s, Counter::kListenOverflows, 2);  // exactly 1/s
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "accept-queue-overflow")->severity,
            Severity::kCritical);
  set(s, Counter::kListenOverflows, 0);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "accept-queue-overflow"), nullptr);
}

TEST(DoctorRules, SaturatedAtTheFillThreshold) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("127.0.0.1", 8080, 79, 100));
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "accept-queue-saturated"), nullptr);
  s.listeners[0].info.accept_queue = 80;
  const Report rep = diagnose(s, Thresholds{});
  const Finding* f = find(rep, "accept-queue-saturated");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->listeners[0].address, "127.0.0.1:8080");
  Thresholds t;
  t.accept_queue_fill = 90;
  EXPECT_EQ(find(diagnose(s, t), "accept-queue-saturated"), nullptr);
}

TEST(DoctorRules, SaturatedIsNotRepeatedForAnOverflowingListener) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("127.0.0.1", 8080, 5, 4, 9));
  set(s, Counter::kListenOverflows, 9);
  const Report r = diagnose(s, Thresholds{});
  EXPECT_NE(find(r, "accept-queue-overflow"), nullptr);
  EXPECT_EQ(find(r, "accept-queue-saturated"), nullptr);
}

// The titles agree with the listener lines under them: no "no drops yet" over a line that
// shows drops, no "full" for a listener that has room.
TEST(DoctorRules, AcceptQueueTitlesAgreeWithTheDropCounts) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("127.0.0.1", 8080, 90, 100, 3));  // drops, but no overflow
  const Report sat = diagnose(s, Thresholds{});
  const Finding* f = find(sat, "accept-queue-saturated");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->title, "Accept queue of 127.0.0.1:8080 is 90% full, 3 drops in the window");
  s.listeners[0].drops_in_window = 0;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "accept-queue-saturated")->title,
            "Accept queue of 127.0.0.1:8080 is 90% full (no drops yet)");

  Snapshot o = healthy();
  o.listeners.push_back(listener("127.0.0.1", 8080, 2, 4, 1));  // dropped, not full now
  set(o, Counter::kListenOverflows, 1);
  set(o, Counter::kListenDrops, 1);
  const Report over = diagnose(o, Thresholds{});
  EXPECT_EQ(find(over, "accept-queue-overflow")->title,
            "Accept queue of 127.0.0.1:8080 dropped 1 connection in the window");
}

TEST(DoctorRules, SynCookiesWarningWhenOnlySent) {
  Snapshot s = healthy();
  set(s, Counter::kSyncookiesSent, 123);
  const Report rep = diagnose(s, Thresholds{});
  const Finding* f = find(rep, "syn-cookies");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_NE(f->fix.find("tcp_max_syn_backlog does not size the SYN queue"), std::string::npos);
}

TEST(DoctorRules, SynCookiesWithOverflowsIsTheFoundingIncident) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("127.0.0.1", 8080, 9, 8, 400));
  set(s, Counter::kSyncookiesSent, 193);
  set(s, Counter::kSyncookiesRecv, 193);
  set(s, Counter::kListenOverflows, 434);
  const Report r = diagnose(s, Thresholds{});
  const Finding* f = find(r, "syn-cookies");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kCritical);
  EXPECT_NE(f->title.find("handshakes the clients consider complete are being dropped"),
            std::string::npos);
  EXPECT_NE(f->title.find("connect timeouts"), std::string::npos);
  EXPECT_EQ(r.findings.front().severity, Severity::kCritical);
}

TEST(DoctorRules, SynCookiesAlwaysOnIsANoteNotAWarning) {
  Snapshot s = healthy();
  s.tunables.tcp_syncookies = 2;
  set(s, Counter::kSyncookiesSent, 50);
  set(s, Counter::kSyncookiesRecv, 50);
  const Report r = diagnose(s, Thresholds{});
  EXPECT_EQ(find(r, "syn-cookies"), nullptr);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0].id, CheckId::kNoteSyncookies);
}

TEST(DoctorRules, SynQueueDropsExplainTheRealLimits) {
  Snapshot s = healthy();
  s.tunables.tcp_syncookies = 0;
  set(s, Counter::kReqQFullDrop, 1);
  const Report rep = diagnose(s, Thresholds{});
  const Finding* f = find(rep, "syn-queue-drops");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);  // 0.5/s
  EXPECT_NE(f->fix.find("SYN-queue limit is the listener's backlog"), std::string::npos);
  EXPECT_NE(f->fix.find("tcp_max_syn_backlog only matters with cookies off"), std::string::npos);
  set(s, Counter::kReqQFullDrop, 2);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "syn-queue-drops")->severity, Severity::kCritical);
}

TEST(DoctorRules, TimeWaitPressureAtTheFillThreshold) {
  Snapshot s = healthy();
  s.tunables.tcp_max_tw_buckets = 1000;
  s.sockstat->tcp_tw = 799;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "time-wait-pressure"), nullptr);
  s.sockstat->tcp_tw = 800;
  s.time_wait_by_remote.push_back(endpoint(nullptr, "10.0.0.5", 443, 700));
  const Report r = diagnose(s, Thresholds{});
  const Finding* f = find(r, "time-wait-pressure");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(f->endpoints.size(), 1u);
  EXPECT_EQ(f->endpoints[0].remote, "10.0.0.5:443");
  EXPECT_EQ(f->endpoints[0].count, 700u);
  EXPECT_EQ(find(r, "time-wait-overflow"), nullptr);
}

TEST(DoctorRules, TimeWaitOverflowFromTheCounterOrTheCap) {
  Snapshot s = healthy();
  set(s, Counter::kTimeWaitOverflow, 1);
  Report r = diagnose(s, Thresholds{});
  ASSERT_NE(find(r, "time-wait-overflow"), nullptr);
  EXPECT_FALSE(passed(r, "time-wait-pressure"));  // covered, not "all clear"
  set(s, Counter::kTimeWaitOverflow, 0);
  s.tunables.tcp_max_tw_buckets = 500;
  s.sockstat->tcp_tw = 500;
  r = diagnose(s, Thresholds{});
  ASSERT_NE(find(r, "time-wait-overflow"), nullptr);
  EXPECT_EQ(find(r, "time-wait-pressure"), nullptr);
}

TEST(DoctorRules, EphemeralPortPressurePerDestination) {
  Snapshot s = healthy();
  s.tunables.ip_local_port_range = std::array<int64_t, 2>{40000, 40099};  // 100 ports
  s.ports_by_destination.push_back(endpoint("127.0.0.1", "127.0.0.1", 8080, 79));
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "ephemeral-port-pressure"), nullptr);
  s.ports_by_destination[0].count = 80;
  const Report rep = diagnose(s, Thresholds{});
  const Finding* f = find(rep, "ephemeral-port-pressure");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->endpoints[0].local, "127.0.0.1");
  EXPECT_EQ(f->endpoints[0].remote, "127.0.0.1:8080");
  EXPECT_EQ(f->endpoints[0].limit, 100u);
  s.ports_by_destination[0].count = 95;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "ephemeral-port-pressure")->severity,
            Severity::kCritical);
}

TEST(DoctorRules, OrphansFillAndAbortOnMemory) {
  Snapshot s = healthy();
  s.tunables.tcp_max_orphans = 1000;
  s.sockstat->tcp_orphan = 249;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "orphans"), nullptr);
  s.sockstat->tcp_orphan = 250;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "orphans")->severity, Severity::kWarning);
  s.sockstat->tcp_orphan = 500;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "orphans")->severity, Severity::kCritical);
  s.sockstat->tcp_orphan = 0;
  set(s, Counter::kAbortOnMemory, 1);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "orphans")->severity, Severity::kCritical);
}

TEST(DoctorRules, GlobalTunablesMissingInAChildNamespaceAreSkipped) {
  Snapshot s = healthy();
  s.tunables.tcp_max_orphans.reset();
  s.tunables.tcp_mem.reset();
  const Report r = diagnose(s, Thresholds{});
  EXPECT_TRUE(r.findings.empty());
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_FALSE(passed(r, "orphans"));
  EXPECT_EQ(exit_status(r), 0);
}

TEST(DoctorRules, TcpMemoryPressure) {
  Snapshot s = healthy();
  s.tunables.tcp_mem = std::array<int64_t, 3>{100, 200, 300};
  s.sockstat->tcp_mem = 199;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "tcp-memory-pressure"), nullptr);
  s.sockstat->tcp_mem = 200;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "tcp-memory-pressure")->severity, Severity::kWarning);
  s.sockstat->tcp_mem = 270;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "tcp-memory-pressure")->severity, Severity::kCritical);
  s.sockstat->tcp_mem = 0;
  set(s, Counter::kMemoryPressures, 1);
  EXPECT_NE(find(diagnose(s, Thresholds{}), "tcp-memory-pressure"), nullptr);
  set(s, Counter::kMemoryPressures, 0);
  set(s, Counter::kPruneCalled, 19);  // 9.5/s < 10/s
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "tcp-memory-pressure"), nullptr);
  set(s, Counter::kPruneCalled, 20);
  EXPECT_NE(find(diagnose(s, Thresholds{}), "tcp-memory-pressure"), nullptr);
}

TEST(DoctorRules, CloseWaitLeakPerLocalPort) {
  Snapshot s = healthy();
  EndpointCount e;
  e.key.family = AF_INET;
  e.key.port = 8080;
  e.count = 99;
  s.close_wait.push_back(e);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "close-wait-leak"), nullptr);
  s.close_wait[0].count = 100;
  const Report rep = diagnose(s, Thresholds{});
  const Finding* f = find(rep, "close-wait-leak");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity, Severity::kWarning);
  EXPECT_EQ(f->endpoints[0].local, "*:8080");
  EXPECT_NE(f->title.find("on local port 8080"), std::string::npos);
  s.close_wait[0].count = 1000;
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "close-wait-leak")->severity, Severity::kCritical);
}

TEST(DoctorRules, RetransmissionRatioNeedsEnoughSegments) {
  Snapshot s = healthy();
  set(s, Counter::kOutSegs, 999);
  set(s, Counter::kRetransSegs, 500);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "retransmissions"), nullptr);
  set(s, Counter::kOutSegs, 10000);
  set(s, Counter::kRetransSegs, 199);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "retransmissions"), nullptr);
  set(s, Counter::kRetransSegs, 200);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "retransmissions")->severity, Severity::kWarning);
  set(s, Counter::kRetransSegs, 1000);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "retransmissions")->severity, Severity::kCritical);
}

TEST(DoctorRules, SynRetransmitsAndTimeouts) {
  Snapshot s = healthy();
  set(s, Counter::kSynRetrans, 9);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "syn-retransmits"), nullptr);
  set(s, Counter::kSynRetrans, 10);
  set(s, Counter::kActiveOpens, 100);
  EXPECT_NE(find(diagnose(s, Thresholds{}), "syn-retransmits"), nullptr);  // 10%
  set(s, Counter::kActiveOpens, 101);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "syn-retransmits"), nullptr);
  set(s, Counter::kTimeouts, 9);  // 4.5/s
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "timeouts"), nullptr);
  set(s, Counter::kTimeouts, 10);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "timeouts")->severity, Severity::kWarning);
  set(s, Counter::kTimeouts, 200);
  EXPECT_EQ(find(diagnose(s, Thresholds{}), "timeouts")->severity, Severity::kCritical);
}

TEST(DoctorRules, BacklogDrops) {
  Snapshot s = healthy();
  set(s, Counter::kBacklogDrop, 1);
  EXPECT_NE(find(diagnose(s, Thresholds{}), "backlog-drops"), nullptr);
  Thresholds t;
  t.backlog_drop_rate = 1;
  EXPECT_EQ(find(diagnose(s, t), "backlog-drops"), nullptr);
}

TEST(DoctorRules, NotesForSettingsThatChangeBehaviour) {
  Snapshot s = healthy();
  s.tunables.tcp_abort_on_overflow = 1;
  s.tunables.tcp_syncookies = 0;
  s.listeners.push_back(listener("127.0.0.1", 8080, 0, 100));
  Report r = diagnose(s, Thresholds{});
  ASSERT_EQ(r.notes.size(), 1u);  // the listener is idle
  EXPECT_EQ(r.notes[0].id, CheckId::kNoteAbortOnOverflow);
  s.listeners[0].info.accept_queue = 50;
  r = diagnose(s, Thresholds{});
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_EQ(r.notes[1].id, CheckId::kNoteSyncookies);
  EXPECT_EQ(exit_status(r), 0);  // notes never change the status
}

TEST(DoctorRules, FindingsAreWorstFirst) {
  Snapshot s = healthy();
  set(s, Counter::kBacklogDrop, 1);  // warning, checked last
  s.listeners.push_back(listener("127.0.0.1", 8080, 5, 4, 9));
  set(s, Counter::kListenOverflows, 9);  // critical
  const Report r = diagnose(s, Thresholds{});
  ASSERT_GE(r.findings.size(), 2u);
  EXPECT_EQ(r.findings.front().severity, Severity::kCritical);
  EXPECT_EQ(r.findings.back().severity, Severity::kWarning);
}

TEST(DoctorFormat, TextAndJson) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("127.0.0.1", 8080, 5, 4, 45));
  set(s, Counter::kListenOverflows, 45);
  s.counters.has_totals = true;
  const Report r = diagnose(s, Thresholds{});
  fmt::memory_buffer text;
  render::doctor_text(text, r, render::DoctorFormatOptions{});
  const std::string t(text.data(), text.size());
  EXPECT_NE(t.find("CRITICAL accept-queue-overflow"), std::string::npos);
  EXPECT_NE(t.find("all clear: accept-queue-saturated"), std::string::npos);
  EXPECT_EQ(t.find("\x1b["), std::string::npos);  // no color unless asked
  fmt::memory_buffer json;
  render::doctor_json(json, r, render::DoctorFormatOptions{false, "ns1", true});
  const std::string j(json.data(), json.size());
  EXPECT_TRUE(tcpscope::testing::json_well_formed(j)) << j;
  EXPECT_NE(j.find("\"status\": \"critical\""), std::string::npos);
  EXPECT_NE(j.find("\"unit\": \"since boot\""), std::string::npos);
  EXPECT_NE(j.find("\"capped_by\": \"backlog\""), std::string::npos);
}

TEST(DoctorReport, NamesTheDeviceOfABoundListener) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("0.0.0.0", 80, 2, 4));
  s.listeners.push_back(listener("0.0.0.0", 80, 1, 4));
  s.listeners[0].info.ifindex = 3;
  s.listeners[0].info.device = {'e', 't', 'h', '0'};
  ListenerSample v6 = listener("0.0.0.0", 443, 0, 4);
  v6.info.family = AF_INET6;
  v6.info.addr = {};
  v6.info.ifindex = 4;
  v6.info.device = {'e', 't', 'h', '1'};
  s.listeners.push_back(v6);
  const Report r = diagnose(s, Thresholds{});
  ASSERT_EQ(r.listeners.size(), 3u);
  EXPECT_EQ(r.listeners[0].address, "0.0.0.0%eth0:80");
  EXPECT_EQ(r.listeners[0].interface, "eth0");
  EXPECT_EQ(r.listeners[1].address, "0.0.0.0:80");
  EXPECT_EQ(r.listeners[1].interface, "");
  EXPECT_EQ(r.listeners[2].address, "[::]%eth1:443");
  fmt::memory_buffer json;
  render::doctor_json(json, r, render::DoctorFormatOptions{});
  const std::string j(json.data(), json.size());
  EXPECT_TRUE(tcpscope::testing::json_well_formed(j)) << j;
  EXPECT_NE(j.find("{\"address\": \"0.0.0.0%eth0:80\", \"port\": 80, \"interface\": \"eth0\", "
                   "\"accept_queue\": 2,"),
            std::string::npos)
      << j;
  // No interface key for a listener on no device: reports without one keep their shape.
  EXPECT_NE(j.find("{\"address\": \"0.0.0.0:80\", \"port\": 80, \"accept_queue\": 1,"),
            std::string::npos)
      << j;
}

TEST(DoctorReport, ListsEveryListenerFullestFirstUpToTheCap) {
  Snapshot s = healthy();
  s.listeners.push_back(listener("0.0.0.0", 22, 0, 128));
  s.listeners.push_back(listener("127.0.0.1", 8080, 3, 4, std::nullopt));
  s.listeners.push_back(listener("0.0.0.0", 443, 64, 128));
  const Report r = diagnose(s, Thresholds{});
  EXPECT_EQ(r.listeners_total, 3u);
  ASSERT_EQ(r.listeners.size(), 3u);
  EXPECT_EQ(r.listeners[0].address, "127.0.0.1:8080");  // 75% full
  EXPECT_EQ(r.listeners[1].address, "0.0.0.0:443");     // 50%
  EXPECT_EQ(r.listeners[2].address, "0.0.0.0:22");
  EXPECT_FALSE(r.listeners[0].drops_in_window);
  fmt::memory_buffer json;
  render::doctor_json(json, r, render::DoctorFormatOptions{});
  const std::string j(json.data(), json.size());
  EXPECT_TRUE(tcpscope::testing::json_well_formed(j)) << j;
  EXPECT_NE(j.find("\"listeners_total\": 3,\n  \"listeners\": [\n    {\"address\": "
                   "\"127.0.0.1:8080\", \"port\": 8080, \"accept_queue\": 3, "
                   "\"accept_queue_limit\": 4, \"fill_percent\": 75.0, \"syn_recv\": 0, "
                   "\"drops_in_window\": null, \"capped_by\": \"backlog\"}"),
            std::string::npos)
      << j;

  for (uint16_t port = 1000; port < 1000 + kReportListeners + 5; ++port) {
    s.listeners.push_back(listener("0.0.0.0", port, 0, 128));
  }
  const Report many = diagnose(s, Thresholds{});
  EXPECT_EQ(many.listeners_total, kReportListeners + 8);
  EXPECT_EQ(many.listeners.size(), kReportListeners);
  EXPECT_EQ(many.listeners[0].address, "127.0.0.1:8080");
}

TEST(DoctorRules, SharedSocketHashIsANoteAtBothThresholds) {
  Snapshot s = healthy();
  SharedHash h;
  h.namespaces = 20;
  h.own_hash = 1;
  h.buckets = 262144;
  h.sockets = 50'000;
  h.walk_seconds = 0.07;
  h.child_ehash_entries = 0;
  s.shared_hash = h;
  Report r = diagnose(s, Thresholds{});
  ASSERT_EQ(r.notes.size(), 1u);
  const Finding& n = r.notes[0];
  EXPECT_EQ(check_key(n.id), "shared-socket-hash");
  EXPECT_EQ(n.severity, Severity::kOk);
  EXPECT_EQ(exit_status(r), 0);  // a note never changes the status
  EXPECT_EQ(n.title,
            "20 network namespaces share the host's established hash of 50000 sockets: a dump of "
            "any of them walks them all");
  EXPECT_NE(n.evidence[2].find("70.0 ms of CPU"), std::string::npos) << n.evidence[2];
  EXPECT_NE(n.evidence[2].find("at least 1.4 s"), std::string::npos) << n.evidence[2];
  EXPECT_NE(n.fix.find("net.ipv4.tcp_child_ehash_entries"), std::string::npos);
  EXPECT_NE(n.fix.find("8 bytes a bucket"), std::string::npos);
  EXPECT_EQ(r.passed.size(), check_ids().size());
  for (auto [namespaces, sockets] : {std::pair{19, 50'000}, std::pair{20, 49'999}}) {
    s.shared_hash->namespaces = static_cast<uint64_t>(namespaces);
    s.shared_hash->sockets = static_cast<uint64_t>(sockets);
    EXPECT_TRUE(diagnose(s, Thresholds{}).notes.empty()) << namespaces << " " << sockets;
  }
  Thresholds t;
  t.shared_hash_namespaces = 5;
  t.shared_hash_sockets = 1000;
  s.shared_hash->namespaces = 5;
  s.shared_hash->sockets = 1000;
  EXPECT_EQ(diagnose(s, t).notes.size(), 1u);
}

TEST(DoctorRules, WithoutAWalkTheChecksAWalkJudgesAreSkipped) {
  Snapshot s = healthy();
  s.census_walked = false;
  s.not_walked = "shares the host's established hash; not walked";
  s.listeners.push_back(listener("127.0.0.1", 8080, 5, 4, 45));
  set(s, Counter::kListenOverflows, 45);
  const Report r = diagnose(s, Thresholds{});
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(check_key(r.skipped[0].id), "ephemeral-port-pressure");
  EXPECT_EQ(check_key(r.skipped[1].id), "close-wait-leak");
  EXPECT_EQ(r.skipped[1].reason, s.not_walked);
  // What needs no walk is still judged: the queues and the counters.
  ASSERT_NE(find(r, "accept-queue-overflow"), nullptr);
  EXPECT_EQ(exit_status(r), 2);
}

TEST(DoctorSnapshot, BetweenWalksTheLastWalksPartsAreCarried) {
  Snapshot walked = healthy();
  walked.tcp[static_cast<size_t>(TcpState::kCloseWait)].v4 = 150;
  walked.orphans_in_netns = 3;
  walked.close_wait.push_back(endpoint(nullptr, nullptr, 8080, 150));
  walked.tally_error_bound = 2;
  ListenerSample a = listener("127.0.0.1", 8080, 1, 128);
  a.info.cookie = 7;
  a.info.syn_recv_v4 = 9;
  walked.listeners.push_back(a);
  Snapshot now = healthy();
  ListenerSample fresh = listener("127.0.0.1", 8080, 100, 128);  // the same socket, fuller now
  fresh.info.cookie = 7;
  ListenerSample newer = listener("127.0.0.1", 9090, 0, 128);
  newer.info.cookie = 8;
  now.listeners = {fresh, newer};
  carry_walk(now, walked);
  EXPECT_EQ(now.state(TcpState::kCloseWait), 150u);
  EXPECT_EQ(now.orphans_in_netns, 3u);
  EXPECT_EQ(now.close_wait.size(), 1u);
  EXPECT_EQ(now.tally_error_bound, 2u);
  EXPECT_EQ(now.listeners[0].info.accept_queue, 100u);  // fresh
  EXPECT_EQ(now.listeners[0].info.syn_recv(), 9u);      // from the walk
  EXPECT_EQ(now.listeners[1].info.syn_recv(), 0u);      // newer than the walk
  EXPECT_TRUE(now.census_walked);
  const Report r = diagnose(now, Thresholds{});
  ASSERT_NE(find(r, "close-wait-leak"), nullptr);
}

}  // namespace
}  // namespace tcpscope::doctor
