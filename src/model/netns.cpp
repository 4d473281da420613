// SPDX-License-Identifier: MIT
#include "model/netns.hpp"

namespace tcpscope::model {

std::string_view hash_kind_name(HashKind k) {
  switch (k) {
    case HashKind::kHost:
      return "host";
    case HashKind::kShared:
      return "shared";
    case HashKind::kOwn:
      return "own";
  }
  return "unknown";
}

std::string names_beyond(const NetnsNames& n, std::string_view shown) {
  std::string out;
  auto more = [&](std::string_view s) {
    if (!out.empty()) out += ", ";
    out += s;
  };
  // A label that two namespaces share carries "@inode" after the name it repeats.
  const std::string_view base = shown.substr(0, shown.rfind('@'));
  const std::string pod = n.k8s_namespace + "/" + n.pod;
  if (!n.pod.empty() && base != pod) more("pod " + pod);
  if (!n.container.empty() && base != n.container) {
    more((n.runtime.empty() ? std::string("container") : n.runtime) + " " + n.container);
  }
  return out;
}

}  // namespace tcpscope::model
