// ProcessMap: socket inode -> the processes and descriptors that hold it (`-p`).
//
// Built with one pass over /proc/*/fd (readlinkat relative to each fd directory), only when
// asked. Lookups are binary searches over a sorted vector, so the cost is linear in the number
// of descriptors plus log n per socket (ss walks a 256-bucket chain per socket instead, which
// grows with sockets x descriptors). /proc/*/fd is host-wide: every process's descriptors are
// scanned whatever the network namespace. The result is a snapshot; descriptors opened later
// are missing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tcpscope::source {

struct SocketOwner {
  uint32_t inode;
  int32_t pid;
  int32_t fd;
  uint32_t name_offset;  // into ProcessMap's name pool
  uint16_t name_len;
};

class ProcessMap {
 public:
  static Result<ProcessMap> scan(const std::string& proc_root);

  // Owners of `inode`, in ss's order (highest pid first, then highest fd first).
  std::span<const SocketOwner> owners(uint32_t inode) const;
  std::string_view name(const SocketOwner& o) const {
    return std::string_view(names_).substr(o.name_offset, o.name_len);
  }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<SocketOwner> entries_;
  std::string names_;
};

}  // namespace tcpscope::source
