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

std::string_view names_beyond_label(const NetnsNames& n) {
  // description = label + " (" + extras + ")"
  if (n.description.size() <= n.netns.size() + 3) return {};
  return std::string_view(n.description)
      .substr(n.netns.size() + 2, n.description.size() - n.netns.size() - 3);
}

}  // namespace tcpscope::model
