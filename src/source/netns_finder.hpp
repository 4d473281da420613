// SPDX-License-Identifier: MIT
// Every network namespace of the host, found once, and named as operators know it.
//
// Found: the bind mounts under /var/run/netns (ip netns, the CNI plugins of containerd and
// CRI-O) and /var/run/docker/netns, and the namespaces of running processes (/proc/*/ns/net),
// which finds podman, LXC, systemd-nspawn and unnamed ones; deduplicated by the namespace's
// identity (device and inode of its nsfs file).
//
// Named: the ip-netns name where there is one; otherwise from a member process's cgroup path,
// the container (docker, containerd, CRI-O, podman/libpod, LXC, systemd-nspawn) and, for
// Kubernetes, the pod's namespace and name from the kubelet's local pod directories
// (/var/log/pods/<namespace>_<pod>_<uid>), matched by the pod UID in the cgroup path. Local
// files only. Docker's container names come from /var/lib/docker/containers/<id>/config.v2.json
// when readable; otherwise a container is its short id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace tcpscope::source {

struct CgroupIdentity {
  std::string runtime;       // "docker", "containerd", "cri-o", "podman", "lxc", "nspawn", ""
  std::string container_id;  // the id (64 hex) or, for LXC and nspawn, the name
  std::string pod_uid;       // Kubernetes pod UID with dashes, "" when none
};

// The container a process belongs to, from the content of /proc/PID/cgroup (every line is
// looked at: cgroup v2's "0::/..." and v1's controllers; the most specific match wins).
CgroupIdentity parse_cgroup(std::string_view proc_pid_cgroup);

// A kubelet pod log directory's name, "<namespace>_<pod>_<uid>": its three parts.
struct PodDir {
  std::string k8s_namespace;
  std::string pod;
  std::string uid;
};
std::optional<PodDir> parse_pod_dir(std::string_view name);

struct NamespaceInfo {
  std::string path;  // a path that opens it: a bind mount, or /proc/PID/ns/net
  uint64_t identity = 0;
  bool own = false;          // tcpscope's own namespace
  std::string netns;         // its ip-netns name (or "docker/<name>"), "" when none
  int32_t pid = 0;           // a member process, 0 when none was found
  std::string runtime;       // from that process's cgroup
  std::string container;     // the container's name, or its short id
  std::string container_id;  // the full id
  std::string pod;           // Kubernetes
  std::string k8s_namespace;
  std::string pod_uid;

  // The name shown: "host" for tcpscope's own; the ip-netns name; "k8s_namespace/pod"; the
  // container; "pid:N"; else "netns:[inode]".
  std::string label() const;
  // The label with what else is known: "cni-1f3e... (pod prod/api-1, containerd 4f1c2b7d9e0a)".
  std::string description() const;
};

struct FinderOptions {
  std::string proc_root = "/proc";
  std::vector<std::string> bind_dirs = {"/var/run/netns", "/var/run/docker/netns"};
  std::string pod_log_root = "/var/log/pods";
  std::string docker_root = "/var/lib/docker";
  bool processes = true;  // also walk /proc/*/ns/net
};

// Every namespace, tcpscope's own first, then by label.
Result<std::vector<NamespaceInfo>> find_namespaces(const FinderOptions& o = {});

}  // namespace tcpscope::source
