// SPDX-License-Identifier: MIT
// ProcessMap: socket inode -> the processes and descriptors that hold it (`-p`).
//
// Two ways to build it, same result (except for races with processes that come and go):
//  * the BPF walk (process_map_bpf.cpp): an iter/task_file program enumerates every descriptor
//    in the kernel and emits only sockets, read back in large reads. No path lookups: much
//    cheaper in kernel time on hosts with many descriptors. Needs CAP_BPF + CAP_PERFMON (or
//    CAP_SYS_ADMIN), kernel BTF and libbpf.so.1 at run time (dlopen'ed only here, never linked).
//  * the /proc walk: one pass over /proc/*/fd (readlinkat relative to each fd directory).
// `scan` tries the BPF walk when it can apply (the real /proc, the initial pid namespace, the
// capabilities) and silently walks /proc otherwise; TCPSCOPE_PROCESS_MAP=proc|bpf|auto forces
// one (tests; `bpf` then reports why it failed instead of falling back).
//
// The owners are one sorted vector with a hash index on the inode, so the cost is linear in the
// number of descriptors plus O(1) per socket (ss walks a 256-bucket chain per socket instead,
// which grows with sockets x descriptors). Both walks are host-wide: every process's descriptors
// whatever the network namespace. The result is a snapshot; descriptors opened later are
// missing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/names.hpp"

namespace tcpscope::source {

using SocketOwner = model::SocketOwner;  // name_offset indexes ProcessMap's name pool

enum class ProcessMapMethod : uint8_t { kAuto, kProc, kBpf };

class ProcessMap final : public model::OwnerLookup {
 public:
  // The method TCPSCOPE_PROCESS_MAP asks for (unset or empty: kAuto); a usage error otherwise.
  static Result<ProcessMapMethod> method_from_env();

  // Honours TCPSCOPE_PROCESS_MAP.
  static Result<ProcessMap> scan(const std::string& proc_root);
  // kAuto: the BPF walk when it applies and works, else the /proc walk under proc_root.
  // kBpf: the BPF walk or its error (proc_root unused). kProc: the /proc walk.
  static Result<ProcessMap> scan(const std::string& proc_root, ProcessMapMethod method);

  // Owners of `inode`, in ss's order (highest pid first, then highest fd first).
  std::span<const SocketOwner> owners(uint32_t inode) const override;
  std::string_view name(const SocketOwner& o) const override {
    return std::string_view(names_).substr(o.name_offset, o.name_len);
  }
  size_t size() const { return entries_.size(); }
  // Every entry, sorted by inode, then as owners() orders them.
  std::span<const SocketOwner> entries() const { return entries_; }
  // The walk that built this map: kProc or kBpf.
  ProcessMapMethod method() const { return method_; }

 private:
  static Result<ProcessMap> scan_proc(const std::string& proc_root);
  static Result<ProcessMap> scan_bpf();  // process_map_bpf.cpp
  // Whether kAuto should try the BPF walk at all (cheap checks, no libbpf).
  static bool bpf_applies(const std::string& proc_root);
  // Sorts the entries and builds the inode index.
  void sort_entries();
  // Fibonacci hashing: consecutive inode numbers (sockets get them in runs) spread evenly.
  size_t slot(uint32_t inode) const { return (inode * 2654435769U) >> index_shift_; }

  static constexpr uint32_t kNoEntry = UINT32_MAX;
  std::vector<SocketOwner> entries_;
  std::vector<uint32_t> index_;  // open addressing over entries_ (see sort_entries)
  int index_shift_ = 32;
  std::string names_;
  ProcessMapMethod method_ = ProcessMapMethod::kProc;
};

}  // namespace tcpscope::source
