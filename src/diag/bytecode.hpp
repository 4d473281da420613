// SPDX-License-Identifier: MIT
// INET_DIAG_REQ_BYTECODE programs: compiling a filter expression, the kernel's audit, and a
// disassembler.
//
// Every instruction starts with a 4-byte op, host byte order, then its operand:
//
//   0       1       2               4
//   +-------+-------+---------------+---------------------------------------+
//   | code  | yes   | no (u16)      | operand (0, 4, 8, 12 or 24 bytes)     |
//   +-------+-------+---------------+---------------------------------------+
//
// 1. The kernel starts at offset 0 with len = program length; a true condition advances by
//    `yes`, a false one by `no`; it stops when len <= 0 and accepts iff len == 0.
// 2. By convention `yes` is the instruction's own length and "reject" jumps to end + 4.
// 3. Operands: port comparisons carry a second op whose `no` is the port; S_COND/D_COND a
//    hostcond {u8 family, u8 prefix_len, u16 pad, s32 port (-1 any), 0/4/16 address bytes};
//    DEV_COND a u32 ifindex; MARK_COND {u32 mark, u32 mask}; CGROUP_COND a u64 id.
//
// The compiler follows ss's composition (each sub-program accepts by falling off its end and
// rejects by jumping 4 past it; AND relocates the left side's rejects, OR inserts a JMP, NOT
// appends JMP yes=4 no=8), so programs for the same expression are byte for byte ss's, with
// three differences: `dev` compiles (DEV_COND, kernel >= 4.8; ss sends no program at all),
// every address of a multi-address host name is compiled (ss repeats the first), and
// conditions that cannot match sockets of the dumped family are folded away.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "diag/filter.hpp"

namespace tcpscope::diag {

// INET_DIAG_BC_* (linux/inet_diag.h).
enum BcCode : uint8_t {
  kBcNop = 0,
  kBcJmp = 1,
  kBcSGe = 2,
  kBcSLe = 3,
  kBcDGe = 4,
  kBcDLe = 5,
  kBcAuto = 6,
  kBcSCond = 7,
  kBcDCond = 8,
  kBcDevCond = 9,
  kBcMarkCond = 10,
  kBcSEq = 11,
  kBcDEq = 12,
  kBcCgroupCond = 13,
};

// Longest program: `no` is a u16 that may point 4 past the end, and lengths are multiples of 4.
inline constexpr size_t kMaxProgramLength = 65528;

enum class ProgramKind : uint8_t {
  kMatchAll,   // every socket of the family may match: dump without a program
  kMatchNone,  // no socket of the family can match: skip the dump
  kBytecode,   // send `bytecode`
};

struct Program {
  ProgramKind kind = ProgramKind::kMatchAll;
  std::vector<std::byte> bytecode;  // kBytecode only; passes audit_bytecode()
  // True when the kernel's verdict is the expression's (the caller then shows every record the
  // dump returns, without evaluating again). False when parts were left to user space: the
  // program then accepts a superset, and matches() must run on each record.
  bool exact = true;
};

// What the kernel may be asked to evaluate. A condition kind that is not allowed is left to
// user space: the program accepts as if it were true where that widens the result (false under
// a NOT), and the Program is not exact. Use mark = false without CAP_NET_ADMIN (MARK_COND makes
// the kernel refuse the whole request with EPERM), and all false for a kernel that rejected a
// program with EINVAL.
struct CompileOptions {
  bool mark = true;
  bool cgroup = true;  // CGROUP_COND: kernel >= 5.8
  bool dev = true;     // DEV_COND: kernel >= 4.8
};

// Compiles `expr` for a dump of `family` (AF_INET or AF_INET6).
Program compile_filter(const Expr& expr, uint8_t family, const CompileOptions& options = {});

// The kernel's inet_diag_bc_audit: Ok, or an error with errno EINVAL (or EPERM
// for MARK_COND when !cap_net_admin) naming the offset and the rule broken.
Status audit_bytecode(std::span<const std::byte> program, bool cap_net_admin = true);

// One line per instruction: "@16 JMP yes=4 no=20". Malformed input ends with a "@N ?" line.
std::string disassemble(std::span<const std::byte> program);

}  // namespace tcpscope::diag
