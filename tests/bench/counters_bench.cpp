// SPDX-License-Identifier: MIT
// Micro-benchmarks (Google Benchmark) for the counter path of `counters`, the doctor and the agent:
//   BM_CounterSample        read /proc/net/{snmp,snmp6,netstat} into a reused snapshot and diff
//                           it with the previous one (procfs::CounterSampler: one tick, files
//                           kept open)
//   BM_CounterReadOnce      the same read as `counters` does it once (open, read, close)
//   BM_TunableRead/...      every tunable of model::tunable_catalog(): kept open (TunableReader)
//                           or opened each time (read_tunable_values, what `sysctl` does)
//   BM_CountersAndTunables  sampler + TunableReader: the in-process cost of one doctor/agent
//                           tick (target <= 200 us)
//   BM_NstatRender          select + format every counter as `counters -az` text and JSON
// Live /proc of the namespace the benchmark runs in (PROC_ROOT overrides). Results and the
// whole-process comparison with nstat: bench/COUNTERS.md.
// Run: build-release/tests/bench/counters_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/counters.hpp"
#include "model/nstat.hpp"
#include "model/tunable_catalog.hpp"
#include "procfs/counter_sampler.hpp"
#include "procfs/tunable_values.hpp"
#include "render/counters.hpp"

namespace {

using namespace tcpscope;

std::string proc_root() {
  const char* e = std::getenv("PROC_ROOT");
  return e != nullptr && *e != '\0' ? e : "/proc";
}

void check(const Status& st, benchmark::State& state) {
  if (!st) state.SkipWithError(st.error().what().c_str());
}

void BM_CounterSample(benchmark::State& state) {
  procfs::CounterSampler s(proc_root());
  check(s.sample(), state);
  for (auto _ : state) {
    check(s.sample(), state);
    benchmark::DoNotOptimize(s.deltas().changes().data());
  }
  state.counters["counters"] = static_cast<double>(s.current().size());
}
BENCHMARK(BM_CounterSample)->Unit(benchmark::kMicrosecond);

void BM_CounterReadOnce(benchmark::State& state) {
  const std::string root = proc_root();
  model::CounterSnapshot snap;
  std::string buffer;
  for (auto _ : state) {
    check(procfs::read_counter_snapshot(root, buffer, snap, 1), state);
    benchmark::DoNotOptimize(snap.size());
  }
}
BENCHMARK(BM_CounterReadOnce)->Unit(benchmark::kMicrosecond);

void BM_TunableRead(benchmark::State& state) {
  const std::string root = proc_root();
  const bool kept_open = state.range(0) != 0;
  procfs::TunableReader reader(root, model::tunable_catalog());
  std::vector<procfs::TunableValue> values;
  std::string buffer;
  for (auto _ : state) {
    if (kept_open) {
      check(reader.read(values), state);
    } else {
      check(procfs::read_tunable_values(root, model::tunable_catalog(), values, buffer), state);
    }
    benchmark::DoNotOptimize(values.data());
  }
  state.counters["tunables"] = static_cast<double>(values.size());
}
BENCHMARK(BM_TunableRead)->ArgName("kept_open")->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond);

void BM_CountersAndTunables(benchmark::State& state) {
  const std::string root = proc_root();
  procfs::CounterSampler s(root);
  check(s.sample(), state);
  procfs::TunableReader reader(root, model::tunable_catalog());
  std::vector<procfs::TunableValue> values;
  for (auto _ : state) {
    check(s.sample(), state);
    check(reader.read(values), state);
    benchmark::DoNotOptimize(s.deltas().changes().data());
    benchmark::DoNotOptimize(values.data());
  }
}
BENCHMARK(BM_CountersAndTunables)->Unit(benchmark::kMicrosecond);

void BM_NstatRender(benchmark::State& state) {
  procfs::CounterSampler s(proc_root());
  check(s.sample(), state);
  const model::CounterPatterns none;
  std::vector<model::nstat::Row> rows;
  fmt::memory_buffer out;
  for (auto _ : state) {
    model::nstat::select_rows(s.current(), nullptr, {.absolute = true, .zeros = true}, none, rows);
    out.clear();
    render::append_nstat_text(out, model::nstat::kSource, s.current(), rows);
    render::append_nstat_json(out, model::nstat::kSource, s.current(), rows, false);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["rows"] = static_cast<double>(rows.size());
}
BENCHMARK(BM_NstatRender)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
