// SPDX-License-Identifier: MIT
#include "source/name_cache.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <charconv>
#include <cstring>

#include "base/file.hpp"
#include "base/mounts.hpp"
#include "base/unique_fd.hpp"
#include "source/netns_finder.hpp"

namespace tcpscope::source {

namespace {

// Deep enough for any real hierarchy; stops a pathological one from exhausting the stack.
constexpr int kMaxCgroupDepth = 64;

// The cgroup id of an open cgroup2 directory, and its mount id (to stay on one mount, like
// nftw's FTW_MOUNT in ss). On cgroup2 the file handle is the 64-bit kernfs node id, which is
// what INET_DIAG_CGROUP_ID reports.
bool cgroup_id_of(int fd, uint64_t& id, int& mount_id) {
  alignas(file_handle) unsigned char storage[sizeof(file_handle) + sizeof(uint64_t)];
  auto* fh = reinterpret_cast<file_handle*>(storage);
  fh->handle_bytes = sizeof(uint64_t);
  if (name_to_handle_at(fd, "", fh, &mount_id, AT_EMPTY_PATH) != 0) return false;
  if (fh->handle_bytes < sizeof(uint64_t)) return false;
  std::memcpy(&id, fh->f_handle, sizeof id);
  return true;
}

struct CgroupWalk {
  std::unordered_map<uint64_t, std::string>& map;
  int root_mount;

  void record(uint64_t id, const std::string& path) {
    auto [it, inserted] = map.try_emplace(id, path);
    // Fill a cached miss, but never reassign a known path: views of it may be held.
    if (!inserted && it->second.empty()) it->second = path;
  }

  void walk(int dirfd, std::string& path, int depth) {
    if (depth >= kMaxCgroupDepth) return;
    const int list_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (list_fd < 0) return;
    DIR* dir = fdopendir(list_fd);  // owns list_fd from here
    if (dir == nullptr) {
      ::close(list_fd);
      return;
    }
    while (const dirent* e = readdir(dir)) {
      if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
      if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
      const int raw = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (raw < 0) continue;  // not a directory (DT_UNKNOWN), or gone meanwhile
      const UniqueFd child = UniqueFd::adopt(raw);
      uint64_t id = 0;
      int mount = 0;
      if (!cgroup_id_of(child.get(), id, mount) || mount != root_mount) continue;
      const size_t keep = path.size();
      if (path != "/") path += '/';
      path += e->d_name;
      record(id, path);
      walk(child.get(), path, depth + 1);
      path.resize(keep);
    }
    closedir(dir);
  }
};

}  // namespace

void NameCache::use_recorded_ifnames(const std::map<uint32_t, std::string>& names) {
  ifnames_.clear();
  for (const auto& [index, name] : names) ifnames_[index] = name;
  ifnames_recorded_ = true;
}

std::string_view NameCache::ifname(uint32_t ifindex) {
  auto [it, inserted] = ifnames_.try_emplace(ifindex);
  if (inserted && !ifnames_recorded_) {
    char buf[IF_NAMESIZE] = {};
    if (if_indextoname(ifindex, buf) != nullptr) it->second = buf;
  }
  return it->second;
}

void NameCache::walk_cgroups() {
  ++cgroup_walks_;
  const std::string root =
      options_.cgroup_root.empty() ? find_cgroup2_mount(options_.proc_root) : options_.cgroup_root;
  const int raw = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (raw < 0) return;
  const UniqueFd fd = UniqueFd::adopt(raw);
  uint64_t id = 0;
  int mount = 0;
  if (!cgroup_id_of(fd.get(), id, mount)) return;
  CgroupWalk w{cgroups_, mount};
  std::string path = "/";
  w.record(id, path);
  w.walk(fd.get(), path, 0);
}

std::string_view NameCache::cgroup_path(uint64_t id) {
  if (ifnames_recorded_) return "";  // a replay: ids of the recording host, unnamed here
  if (cgroup_walks_ == 0) walk_cgroups();
  auto it = cgroups_.find(id);
  if (it == cgroups_.end() && cgroup_walks_ < 2) {
    // Created after the first walk? Look once more; after that unknown ids stay unknown
    // (sockets outlive their cgroup directories).
    walk_cgroups();
    it = cgroups_.find(id);
  }
  if (it == cgroups_.end()) it = cgroups_.try_emplace(id).first;  // cache the miss
  return it->second;
}

std::pair<uint16_t, uint16_t> NameCache::ephemeral_range() {
  if (!range_loaded_) {
    range_loaded_ = true;
    std::string buf;
    if (read_file((options_.proc_root + "/sys/net/ipv4/ip_local_port_range").c_str(), buf)) {
      const char* p = buf.data();
      const char* end = buf.data() + buf.size();
      unsigned lo = 0, hi = 0;
      while (p < end && (*p == ' ' || *p == '\t')) ++p;
      auto r1 = std::from_chars(p, end, lo);
      p = r1.ptr;
      while (p < end && (*p == ' ' || *p == '\t')) ++p;
      auto r2 = std::from_chars(p, end, hi);
      if (r1.ec == std::errc{} && r2.ec == std::errc{} && lo >= 1 && lo <= hi && hi <= 65535) {
        ephemeral_lo_ = static_cast<uint16_t>(lo);
        ephemeral_hi_ = static_cast<uint16_t>(hi);
      }
    }
  }
  return {ephemeral_lo_, ephemeral_hi_};
}

std::string_view NameCache::service(uint16_t port, uint8_t protocol) {
  if (protocol == IPPROTO_RAW) {
    // A raw socket's "port" is its IP protocol: named as iproute2's inet_proto_n2a names it.
    auto [it, inserted] = services_.try_emplace((uint32_t{protocol} << 16) | port);
    if (inserted) {
      protoent pe{};
      protoent* result = nullptr;
      char buf[1024];
      if (port <= 255 && getprotobynumber_r(port, &pe, buf, sizeof buf, &result) == 0 &&
          result != nullptr && result->p_name != nullptr) {
        it->second = result->p_name;
      } else {
        it->second = "ipproto-" + std::to_string(port);
      }
    }
    return it->second;
  }
  const char* proto = protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : nullptr;
  if (proto == nullptr) return {};
  const auto [lo, hi] = ephemeral_range();
  if (port >= lo && port <= hi) return {};
  auto [it, inserted] = services_.try_emplace((uint32_t{protocol} << 16) | port);
  if (inserted) {
    servent se{};
    servent* result = nullptr;
    char buf[1024];
    if (getservbyport_r(htons(port), proto, &se, buf, sizeof buf, &result) == 0 &&
        result != nullptr && result->s_name != nullptr) {
      it->second = result->s_name;
    }
  }
  return it->second;
}

model::ProcessPlace NameCache::process_place(int32_t pid) {
  auto [it, inserted] = places_.try_emplace(pid);
  Place& p = it->second;
  if (inserted && pid > 0) {
    if (!finder_) {
      finder_ = finder_options_from_env();
      finder_->proc_root = options_.proc_root;
    }
    std::string text;
    const std::string path = options_.proc_root + "/" + std::to_string(pid) + "/cgroup";
    if (read_file(path.c_str(), text, 64 << 10)) {
      const CgroupIdentity id = parse_cgroup(text);
      ContainerNames n = container_names(*finder_, id, pod_dirs_);
      p.runtime = id.runtime;
      p.container = std::move(n.container);
      p.pod = std::move(n.pod);
      p.k8s_namespace = std::move(n.k8s_namespace);
    }
  }
  return {p.container, p.runtime, p.pod, p.k8s_namespace};
}

}  // namespace tcpscope::source
