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

}  // namespace tcpscope::model
