// SPDX-License-Identifier: MIT
// Fuzz target: the filter parser, compiler and evaluator. The first byte picks the options
// (bits 0-1: -4/-6, bit 2: tcp, bit 3: udp, bit 4: the last piece is -F file content); the
// rest is split at NUL bytes into arguments. Parse errors are fine; crashes, sanitizer reports,
// a program the kernel's audit refuses (compile_filter aborts), or a program whose verdict
// differs from matches() are not.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../unit/filter_test_util.hpp"
#include "diag/bytecode.hpp"
#include "diag/filter.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpscope;
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string> args;
  while (true) {
    const size_t nul = rest.find('\0');
    args.emplace_back(rest.substr(0, nul));
    if (nul == std::string_view::npos) break;
    rest.remove_prefix(nul + 1);
  }
  std::string file;
  if ((flags & 0x10) != 0) {
    file = std::move(args.back());
    args.pop_back();
  }

  static testing::FakeResolver resolver;
  diag::ParseOptions options;
  options.family = std::array<uint8_t, 4>{AF_UNSPEC, AF_INET, AF_INET6, AF_UNSPEC}[flags & 3];
  options.tcp = (flags & 4) != 0;
  options.udp = (flags & 8) != 0;
  options.resolver = &resolver;
  auto f = diag::parse_filter(diag::FilterInput{args, file, "fuzz"}, options);
  if (!f) {
    if (f.error().kind() != ErrorKind::kUsage || f.error().message().empty()) __builtin_trap();
    return 0;
  }
  (void)diag::to_string(f->expr);

  // A few fixed records: v4, v6, v4-mapped, with marks, devices and cgroups.
  static const std::vector<model::SocketRecord> records = [] {
    std::vector<model::SocketRecord> v;
    testing::Random rnd(7);
    for (int i = 0; i < 24; ++i) v.push_back(rnd.record(i % 2 == 0 ? AF_INET : AF_INET6));
    return v;
  }();
  const diag::MatchContext ctx;
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    const diag::Program p = diag::compile_filter(f->expr, family);
    diag::CompileOptions relaxed;
    relaxed.mark = relaxed.cgroup = relaxed.dev = false;
    const diag::Program q = diag::compile_filter(f->expr, family, relaxed);
    for (const auto& r : records) {
      if (r.family != family) continue;
      const bool want = diag::matches(f->expr, r, ctx);
      for (const auto* prog : {&p, &q}) {
        bool got = prog->kind != diag::ProgramKind::kMatchNone;
        if (prog->kind == diag::ProgramKind::kBytecode) {
          got = testing::kernel_run(prog->bytecode, testing::entry_of(r, ctx));
        }
        if (prog->exact ? got != want : (want && !got)) __builtin_trap();
      }
    }
  }
  return 0;
}
