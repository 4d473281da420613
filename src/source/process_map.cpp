// SPDX-License-Identifier: MIT
#include "source/process_map.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "base/unique_fd.hpp"

namespace tcpscope::source {

namespace {

bool parse_int(const char* s, int32_t& out) {
  const char* end = s + std::strlen(s);
  auto [p, ec] = std::from_chars(s, end, out);
  return ec == std::errc() && p == end;
}

// "socket:[12345]" -> 12345
bool socket_inode(std::string_view link, uint32_t& inode) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link.size() < kPrefix.size() + 2 || link.substr(0, kPrefix.size()) != kPrefix ||
      link.back() != ']') {
    return false;
  }
  const char* b = link.data() + kPrefix.size();
  const char* e = link.data() + link.size() - 1;
  auto [p, ec] = std::from_chars(b, e, inode);
  return ec == std::errc() && p == e;
}

// The command name between the first '(' and the last ')' of /proc/PID/stat.
bool read_comm(int pid_dir, std::string& pool, uint32_t& off, uint16_t& len) {
  int fd = ::openat(pid_dir, "stat", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  UniqueFd owner = UniqueFd::adopt(fd);
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  std::string_view s(buf, static_cast<size_t>(n));
  size_t open = s.find('(');
  size_t close = s.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return false;
  }
  std::string_view comm = s.substr(open + 1, close - open - 1);
  off = static_cast<uint32_t>(pool.size());
  len = static_cast<uint16_t>(comm.size());
  pool.append(comm);
  return true;
}

}  // namespace

Result<ProcessMapMethod> ProcessMap::method_from_env() {
  const char* v = std::getenv("TCPSCOPE_PROCESS_MAP");
  const std::string_view s = v == nullptr ? std::string_view() : std::string_view(v);
  if (s.empty() || s == "auto") return ProcessMapMethod::kAuto;
  if (s == "proc") return ProcessMapMethod::kProc;
  if (s == "bpf") return ProcessMapMethod::kBpf;
  return fail(Error::usage("TCPSCOPE_PROCESS_MAP: expected auto, proc or bpf, got '" +
                           std::string(s) + "'"));
}

Result<ProcessMap> ProcessMap::scan(const std::string& proc_root) {
  auto method = method_from_env();
  if (!method) return fail(std::move(method.error()));
  return scan(proc_root, *method);
}

Result<ProcessMap> ProcessMap::scan(const std::string& proc_root, ProcessMapMethod method) {
  switch (method) {
    case ProcessMapMethod::kProc:
      return scan_proc(proc_root);
    case ProcessMapMethod::kBpf:
      return scan_bpf();
    case ProcessMapMethod::kAuto:
      break;
  }
  if (bpf_applies(proc_root)) {
    auto m = scan_bpf();
    if (m) return m;
    // Any failure (libbpf missing, a verifier or BTF mismatch, a refused capability inside a
    // container, a read error) leaves the /proc walk, which needs nothing.
  }
  return scan_proc(proc_root);
}

void ProcessMap::sort_entries() {
  std::sort(entries_.begin(), entries_.end(), [](const SocketOwner& a, const SocketOwner& b) {
    if (a.inode != b.inode) return a.inode < b.inode;
    if (a.pid != b.pid) return a.pid > b.pid;
    return a.fd > b.fd;
  });
  // The index: open addressing, at most half full, each slot the position of an inode's first
  // entry. A dump looks sockets up in hash-bucket order, random with respect to inodes; a
  // binary search over 200k entries costs ~10 cache misses per socket, this one or two.
  size_t slots = 16;
  while (slots < 2 * entries_.size()) slots *= 2;
  index_.assign(slots, kNoEntry);
  index_shift_ = 32 - std::countr_zero(slots);
  const size_t mask = slots - 1;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (i > 0 && entries_[i].inode == entries_[i - 1].inode) continue;
    size_t s = slot(entries_[i].inode);
    while (index_[s] != kNoEntry) s = (s + 1) & mask;
    index_[s] = static_cast<uint32_t>(i);
  }
}

Result<ProcessMap> ProcessMap::scan_proc(const std::string& proc_root) {
  ProcessMap map;
  map.method_ = ProcessMapMethod::kProc;
  int root_fd = ::open(proc_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) return fail(Error::from_errno("open " + proc_root, errno));
  UniqueFd root_owner = UniqueFd::adopt(root_fd);
  DIR* root = ::fdopendir(::dup(root_fd));
  if (root == nullptr) return fail(Error::from_errno("read " + proc_root, errno));

  char link[64];
  while (dirent* pe = ::readdir(root)) {
    int32_t pid = 0;
    if (!parse_int(pe->d_name, pid)) continue;
    int pid_fd = ::openat(root_fd, pe->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pid_fd < 0) continue;  // exited, or not ours to see
    UniqueFd pid_owner = UniqueFd::adopt(pid_fd);
    int fds_fd = ::openat(pid_fd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fds_fd < 0) continue;
    DIR* fds = ::fdopendir(fds_fd);
    if (fds == nullptr) {
      ::close(fds_fd);
      continue;
    }
    bool have_name = false;
    uint32_t name_off = 0;
    uint16_t name_len = 0;
    while (dirent* fe = ::readdir(fds)) {
      int32_t fdnum = 0;
      if (fe->d_name[0] == '.' || !parse_int(fe->d_name, fdnum)) continue;
      ssize_t n = ::readlinkat(fds_fd, fe->d_name, link, sizeof link);
      if (n <= 0 || static_cast<size_t>(n) >= sizeof link) continue;
      uint32_t inode = 0;
      if (!socket_inode(std::string_view(link, static_cast<size_t>(n)), inode)) continue;
      if (!have_name) {
        have_name = read_comm(pid_fd, map.names_, name_off, name_len);
        if (!have_name) break;  // the process went away
      }
      map.entries_.push_back({inode, pid, fdnum, name_off, name_len});
    }
    ::closedir(fds);
  }
  ::closedir(root);
  map.sort_entries();
  return map;
}

std::span<const SocketOwner> ProcessMap::owners(uint32_t inode) const {
  if (index_.empty()) return {};
  const size_t mask = index_.size() - 1;
  for (size_t s = slot(inode); index_[s] != kNoEntry; s = (s + 1) & mask) {
    const size_t lo = index_[s];
    if (entries_[lo].inode != inode) continue;
    size_t hi = lo + 1;
    while (hi < entries_.size() && entries_[hi].inode == inode) ++hi;
    return std::span<const SocketOwner>(entries_).subspan(lo, hi - lo);
  }
  return {};
}

}  // namespace tcpscope::source
