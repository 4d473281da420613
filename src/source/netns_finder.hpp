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
// when readable; otherwise a container is its short id. The members tried are the lowest pids
// of the namespace (a process that merely entered it, such as `ip netns exec`, has the cgroup of
// whoever started it: the first member whose cgroup names a container wins).
//
// Labels are unique within one result: two namespaces that would get the same one (a pod
// recreated under its name while the old one is still going away) are told apart by "@inode".
//
// The hash (model::EstablishedHash: shared with the host, or its own) can only be read from
// inside a namespace: probe_hashes() enters each one on the calling thread and returns.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/netns.hpp"

namespace tcpscope::source {

struct CgroupIdentity {
  std::string runtime;       // "docker", "containerd", "cri-o", "podman", "lxc", "nspawn",
                             // "kubernetes" (a pod's container under the cgroupfs driver), ""
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
  std::string path;  // a path that opens it: a bind mount, or /proc/PID/ns/net ("" for our own)
  uint64_t identity = 0;
  bool own = false;          // tcpscope's own namespace
  std::string netns;         // its ip-netns name (or "docker/<name>"), "" when none
  int32_t pid = 0;           // the lowest member pid, 0 when none was found
  std::string runtime;       // from a member's cgroup
  std::string container;     // the container's name, or its short id
  std::string container_id;  // the full id
  std::string pod;           // Kubernetes
  std::string k8s_namespace;
  std::string pod_uid;
  std::string disambiguator;                   // "@inode" when another namespace has the same label
  std::optional<model::EstablishedHash> hash;  // probe_hashes(); unset when it could not read
  std::optional<uint64_t> time_wait;           // probe_hashes(): its sockstat `tw`

  // The name shown: "host" for tcpscope's own; the ip-netns name; "k8s_namespace/pod"; the
  // container; "pid:N"; else "netns:[inode]" (then the disambiguator, if any).
  std::string label() const;
  // The label with what else is known: "cni-1f3e... (pod prod/api-1, containerd 4f1c2b7d9e0a)".
  std::string description() const;
  model::NetnsNames names() const;
};

struct FinderOptions;

// The names of a container from its cgroup identity: the docker name from docker's
// config.v2.json (else the id's first 12 hex digits, or the LXC/nspawn name), the pod and its
// Kubernetes namespace from the pod log directory with the pod's UID (`pod_dirs`: that
// directory's listing, read on first need and kept by the caller).
struct ContainerNames {
  std::string container;
  std::string pod;
  std::string k8s_namespace;
};
ContainerNames container_names(const FinderOptions& o, const CgroupIdentity& id,
                               std::optional<std::vector<std::string>>& pod_dirs);

struct FinderOptions {
  std::string proc_root = "/proc";
  std::vector<std::string> bind_dirs = {"/var/run/netns", "/var/run/docker/netns"};
  std::string pod_log_root = "/var/log/pods";
  std::string docker_root = "/var/lib/docker";
  bool processes = true;  // also walk /proc/*/ns/net
};

// The defaults, with TCPSCOPE_POD_LOG_ROOT and TCPSCOPE_DOCKER_ROOT in place of
// /var/log/pods and /var/lib/docker when set: for tests, which lay out a fake kubelet or docker
// tree (docs/agent.md, "Names").
FinderOptions finder_options_from_env();

// Finds and names, keeping the names of the namespaces it saw last time (by identity and lowest
// member pid), so that a rescan every tick reads the cgroup and pod files only for new ones.
class NamespaceFinder {
 public:
  explicit NamespaceFinder(FinderOptions o = {}) : o_(std::move(o)) {}
  // Every namespace, tcpscope's own first, then by label.
  Result<std::vector<NamespaceInfo>> find();

 private:
  struct Named {
    int32_t pid = 0;
    NamespaceInfo names;  // runtime, container, pod... of that member
  };
  FinderOptions o_;
  std::map<uint64_t, Named> cache_;
};

// One-shot: every namespace, tcpscope's own first, then by label.
Result<std::vector<NamespaceInfo>> find_namespaces(const FinderOptions& o = {});

// Reads each namespace's model::EstablishedHash and its TIME-WAIT count from inside it (setns on
// the calling thread, then back; CAP_SYS_ADMIN). A namespace that cannot be entered keeps them
// unset. Aborts when it cannot return to its own namespace (reading on in the wrong one would
// mislabel everything).
void probe_hashes(std::vector<NamespaceInfo>& all);

// A one-shot run over every namespace (doctor and summary --netns all): find_namespaces() with
// the options of finder_options_from_env(), then probe_hashes().
Result<std::vector<NamespaceInfo>> find_and_probe();

// The host's established hash as `all` (probed) shows it: the namespaces that walk it and those
// with their own, its buckets (the host's tcp_ehash_entries), the sockets in it (`host_alloc`,
// sockstat's host-wide TCP alloc, plus every walking namespace's TIME-WAIT).
model::SharedHash shared_hash_of(std::span<const NamespaceInfo> all, uint64_t host_alloc);

// The namespace the calling thread is in (after `--netns`), named as find_namespaces() names it
// (`own` left false, so the label is its ip-netns name, pod or container); nullopt when it is the
// namespace of pid 1 (the host's; when pid 1 can be looked at) or cannot be read.
std::optional<NamespaceInfo> describe_current(const FinderOptions& o = {});

}  // namespace tcpscope::source
