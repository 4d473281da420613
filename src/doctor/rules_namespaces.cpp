// SPDX-License-Identifier: MIT
// The note on namespaces that share the host's established hash (shared-socket-hash): not a
// fault of any one namespace, but what every per-namespace tool pays on a container host.
#include <fmt/format.h>

#include <string>

#include "doctor/rule_builder.hpp"

namespace tcpscope::doctor::detail {

void note_shared_hash(Builder& b) {
  const auto& s = b.s_;
  if (!s.shared_hash) return;
  const SharedHash& h = *s.shared_hash;
  if (static_cast<double>(h.namespaces) < b.t_.shared_hash_namespaces ||
      static_cast<double>(h.sockets) < b.t_.shared_hash_sockets) {
    return;
  }
  Finding& f = b.note(
      CheckId::kNoteSharedSocketHash,
      fmt::format("{} network namespaces share the host's established hash of {} sockets: a dump "
                  "of any of them walks them all",
                  h.namespaces, h.sockets));
  f.evidence.push_back(fmt::format(
      "{} namespaces walk the host's hash ({} buckets; net.ipv4.tcp_ehash_entries reads -{} "
      "inside them), {} have a hash of their own",
      h.namespaces, h.buckets, h.buckets, h.own_hash));
  f.evidence.push_back(
      fmt::format("the hash holds {} TCP sockets (sockstat: every namespace's, TIME-WAIT included)",
                  h.sockets));
  if (h.walk_seconds > 0) {
    f.evidence.push_back(fmt::format(
        "the cheapest walk measured here: {:.1f} ms of CPU; a pass over every namespace (ss -N in "
        "each, an exporter per pod) costs at least {:.1f} s",
        h.walk_seconds * 1e3, h.walk_seconds * static_cast<double>(h.namespaces)));
  }
  if (h.child_ehash_entries) {
    f.evidence.push_back(fmt::format(
        "net.ipv4.tcp_child_ehash_entries = {} on the host{}", *h.child_ehash_entries,
        *h.child_ehash_entries == 0 ? " (namespaces created now share its hash too)" : ""));
  }
  f.metrics.push_back({"namespaces_sharing", static_cast<double>(h.namespaces), ""});
  f.metrics.push_back({"namespaces_own_hash", static_cast<double>(h.own_hash), ""});
  f.metrics.push_back({"hash_sockets", static_cast<double>(h.sockets), ""});
  f.metrics.push_back({"hash_buckets", static_cast<double>(h.buckets), ""});
  if (h.walk_seconds > 0) f.metrics.push_back({"walk_seconds", h.walk_seconds, ""});
  f.explanation =
      "A dump of any TCP state but LISTEN walks the namespace's established hash; one that shares\n"
      "the host's skips every other namespace's socket one by one, whatever it holds itself.";
  f.fix =
      "Set net.ipv4.tcp_child_ehash_entries on the host (Linux 6.1+; sysctl.d, before the "
      "container runtime starts): every namespace created afterwards gets a hash of its own of "
      "that many buckets (rounded up to a power of two), and its dump walks only its own sockets. "
      "Namespaces that exist keep the host's until they are recreated.\n"
      "Memory per namespace: 8 bytes a bucket, plus 4 bytes a lock (32 locks per CPU, at most one "
      "per bucket): 1024 buckets take 8 KiB (+ 256 B of locks on 2 CPUs), 65536 take 512 KiB.\n"
      "The namespace's tcp_max_tw_buckets (buckets / 2) and tcp_max_syn_backlog (buckets / 128, "
      "at least 128) defaults follow its size: give a busy namespace enough buckets, or raise "
      "tcp_max_tw_buckets in it.";
}

}  // namespace tcpscope::doctor::detail
