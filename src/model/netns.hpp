// SPDX-License-Identifier: MIT
// A network namespace as the reports name it, and which established hash its TCP sockets live
// in: plain data shared by the namespace finder (source/), the reports (render/), the doctor and
// the agent.
//
// Why the hash matters: a sock_diag dump of any TCP state but LISTEN walks the namespace's
// established hash, skipping the sockets of other namespaces one by one. A namespace created the
// usual way shares the host's hash (its net.ipv4.tcp_ehash_entries reads negative), so a dump of
// a namespace holding 20 sockets walks every socket of the host. One created while
// net.ipv4.tcp_child_ehash_entries was set in its parent (Linux 6.1+) has a hash of its own
// (positive), and its dump walks only its own sockets. The listening hash, /proc/net/sockstat,
// /proc/net/snmp and the counters cost the same in either case.
//
// Common mistake: taking `entries > 0` for "own hash": the host namespace reads positive too (the
// host's hash is its own, and every sharing namespace walks it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpscope::model {

enum class HashKind : uint8_t {
  kHost,    // the initial namespace: the host's hash, which sharing namespaces walk too
  kShared,  // shares the host's hash (tcp_ehash_entries < 0, or a kernel before 6.1)
  kOwn,     // a hash of its own (tcp_ehash_entries > 0 in a child namespace)
};

// "host", "shared", "own".
std::string_view hash_kind_name(HashKind k);

struct EstablishedHash {
  HashKind kind = HashKind::kShared;
  int64_t entries = 0;  // net.ipv4.tcp_ehash_entries as read (negative: the host's, shared); 0
                        // when the kernel has no such sysctl (before 6.1)

  // A dump of this namespace walks the host's established hash, whatever the namespace holds.
  bool walks_host_hash() const { return kind != HashKind::kOwn; }
  // Buckets of the hash a dump walks.
  int64_t buckets() const { return entries < 0 ? -entries : entries; }
};

// How operators know a namespace. Empty strings where nothing is known.
struct NetnsNames {
  std::string netns;          // the label: "host", an ip-netns name, "docker/NAME", a pod...
  std::string container;      // the container's name (or short id)
  std::string runtime;        // "docker", "containerd", "cri-o", "podman", "lxc", "nspawn"...
  std::string pod;            // Kubernetes pod name
  std::string k8s_namespace;  // Kubernetes namespace of the pod
  std::string description;    // "cni-1f3e... (pod prod/api-1, containerd 4f1c2b7d9e0a)"
};

// What else names a namespace shown as `shown`: "pod prod/api-1, containerd 4f1c2b7d9e0a", leaving
// out what `shown` already says (the pod, or the container); "" when nothing.
std::string names_beyond(const NetnsNames& n, std::string_view shown);

// Where a report's socket-state numbers came from: a walk of the established hash, or only the
// reads that cost the same in every namespace (sockstat, snmp, the listening hash).
struct CensusSource {
  EstablishedHash hash;
  bool walked = false;
  double walk_cpu_seconds = 0;  // CPU time of the walk (the dumps of every state but LISTEN)
  std::string not_walked;       // why not, when not walked
};

// The host's established hash as a run over every namespace sees it: how many namespaces walk it,
// what it holds (the doctor's shared-socket-hash note).
struct SharedHash {
  uint64_t namespaces = 0;  // namespaces whose dumps walk the host's hash (the host's included)
  uint64_t own_hash = 0;    // namespaces with a hash of their own
  int64_t buckets = 0;      // the host's net.ipv4.tcp_ehash_entries
  uint64_t sockets = 0;     // TCP sockets in it: sockstat alloc (host-wide) + every TIME-WAIT
  double walk_seconds = 0;  // CPU time of the cheapest walk of it in the same run, 0 if none
  std::optional<int64_t> child_ehash_entries;  // the host's net.ipv4.tcp_child_ehash_entries
};

}  // namespace tcpscope::model
