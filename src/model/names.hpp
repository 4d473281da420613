// SPDX-License-Identifier: MIT
// NameLookup: the names a renderer may print but cannot compute itself (interface names, cgroup
// paths, service names). Behind an interface so that render stays pure: the real one
// (source/name_cache.hpp) asks the system once per key and caches; tests use a fake.
//
// Returned views stay valid until the NameLookup is destroyed (implementations never evict).
// An empty view means "no name": the renderer then prints its numeric fallback (ifN,
// unreachable:ID, the port number). Common mistake: calling these for every socket without a
// cache behind them; the real implementation caches hits and misses alike.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace tcpscope::model {

// Where a process runs when it runs in a container: the container (a name, or a short id) and
// its runtime, and the Kubernetes pod, named as `--netns all` names namespaces
// (source/netns_finder.hpp). All empty: not in a container, or not known.
struct ProcessPlace {
  std::string_view container;
  std::string_view runtime;  // "docker", "containerd", "cri-o", "podman", "lxc", "nspawn", ...
  std::string_view pod;
  std::string_view k8s_namespace;
};

class NameLookup {
 public:
  virtual ~NameLookup() = default;
  // Interface name for an ifindex ("lo"); empty when the index is unknown.
  virtual std::string_view ifname(uint32_t ifindex) = 0;
  // cgroup v2 path of a cgroup id, relative to the cgroup2 mount ("/", "/system.slice/x.service");
  // empty when the id cannot be resolved (e.g. the cgroup was removed).
  virtual std::string_view cgroup_path(uint64_t id) = 0;
  // Service name of a port as getservbyport(port, "tcp"|"udp") gives it; empty for ports in the
  // ephemeral range (ss keeps those numeric), unnamed ports and protocols other than TCP/UDP.
  // For IPPROTO_RAW the "port" is a raw socket's IP protocol: its name ("icmp"), or
  // "ipproto-N".
  virtual std::string_view service(uint16_t port, uint8_t protocol) = 0;
  // The container and pod of process `pid` (from its cgroup path and the kubelet's pod
  // directories); nothing by default.
  virtual ProcessPlace process_place(int32_t pid) {
    (void)pid;
    return {};
  }
};

// One process holding a socket (ss -p): its descriptor, and its command name in the lookup's
// name pool.
struct SocketOwner {
  uint32_t inode;
  int32_t pid;
  int32_t fd;
  uint32_t name_offset;
  uint16_t name_len;
};

// The processes holding each socket (source/process_map.hpp builds the real one).
class OwnerLookup {
 public:
  virtual ~OwnerLookup() = default;
  // Owners of `inode`, in ss's order (highest pid first, then highest fd first).
  virtual std::span<const SocketOwner> owners(uint32_t inode) const = 0;
  virtual std::string_view name(const SocketOwner& o) const = 0;
};

// Host names for -r (source/host_resolver.hpp asks the resolver once per address).
class HostLookup {
 public:
  virtual ~HostLookup() = default;
  // The host name of `addr`, or empty when it has none (or is a wildcard address).
  virtual std::string_view host(uint8_t family, const std::array<uint8_t, 16>& addr) = 0;
};

}  // namespace tcpscope::model
