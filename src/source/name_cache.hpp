// SPDX-License-Identifier: MIT
// NameCache: the real model::NameLookup. Asks the system once per key and remembers the answer,
// hits and misses alike, so rendering 200k sockets costs one lookup per distinct name.
//
//   interfaces  if_indextoname(3);
//   cgroups     one walk of the cgroup2 mount (found in /proc/self/mounts, else
//               /sys/fs/cgroup) on first use, learning each directory's id with
//               name_to_handle_at(2) as ss does; an unknown id triggers one more walk per
//               NameCache (for cgroups created since), then stays unknown;
//   services    getservbyport_r(3) for "tcp"/"udp", except ports inside
//               /proc/sys/net/ipv4/ip_local_port_range (1024-4999 if unreadable), like ss;
//   processes   the container and pod of a pid: one read of /proc/PID/cgroup per pid, docker's
//               config.v2.json per docker container, and the pod log directories' listing
//               once (source/netns_finder.hpp, with its roots from the environment).
//
// Constructing one does no I/O. Not thread-safe: one per rendering thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/names.hpp"
#include "source/netns_finder.hpp"

namespace tcpscope::source {

class NameCache final : public model::NameLookup {
 public:
  struct Options {
    std::string proc_root = "/proc";  // like iproute2's PROC_ROOT
    std::string cgroup_root;          // cgroup2 mount; empty: find it via proc_root/self/mounts
  };

  NameCache() : NameCache(Options{}) {}
  explicit NameCache(Options options) : options_(std::move(options)) {}

  std::string_view ifname(uint32_t ifindex) override;
  std::string_view cgroup_path(uint64_t id) override;
  std::string_view service(uint16_t port, uint8_t protocol) override;
  model::ProcessPlace process_place(int32_t pid) override;

  // A replay: interface names come from the record only, and cgroup ids are not named at all;
  // the running system is not asked (its interfaces and cgroup hierarchy are not the recording
  // host's, nor the same boot's).
  void use_recorded_ifnames(const std::map<uint32_t, std::string>& names);

  // The ephemeral port range in force (read on first use).
  std::pair<uint16_t, uint16_t> ephemeral_range();

 private:
  void walk_cgroups();

  Options options_;
  std::unordered_map<uint32_t, std::string> ifnames_;
  bool ifnames_recorded_ = false;                      // a replay (use_recorded_ifnames)
  std::unordered_map<uint64_t, std::string> cgroups_;  // node-based: views stay valid
  int cgroup_walks_ = 0;
  std::unordered_map<uint32_t, std::string> services_;  // key: protocol << 16 | port
  bool range_loaded_ = false;
  uint16_t ephemeral_lo_ = 1024;
  uint16_t ephemeral_hi_ = 4999;
  struct Place {
    std::string container, runtime, pod, k8s_namespace;
  };
  std::unordered_map<int32_t, Place> places_;  // node-based: views stay valid
  std::optional<FinderOptions> finder_;        // the roots, from the environment at first use
  std::optional<std::vector<std::string>> pod_dirs_;
};

}  // namespace tcpscope::source
