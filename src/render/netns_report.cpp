// SPDX-License-Identifier: MIT
#include "render/netns_report.hpp"

#include <fmt/format.h>

namespace tcpscope::render {

std::string census_line(const model::CensusSource& c) {
  std::string hash;
  switch (c.hash.kind) {
    case model::HashKind::kOwn:
      hash = fmt::format("its own established hash ({} buckets)", c.hash.buckets());
      break;
    case model::HashKind::kHost:
      hash = "the host's established hash, which sharing namespaces walk too";
      break;
    case model::HashKind::kShared:
      hash = "shares the host's established hash";
      break;
  }
  if (c.walked) {
    return fmt::format("census: walked ({:.1f} ms of CPU; {})", c.walk_cpu_seconds * 1e3, hash);
  }
  return fmt::format(
      "census: not walked: {}; queues, counters, TIME-WAIT, orphans and memory come from reads "
      "that cost the same in every namespace (sockstat, snmp, the listening hash)",
      c.not_walked);
}

void json_census(JsonWriter& w, const model::CensusSource& c) {
  w.key("census").begin_object(Layout::kInline);
  w.key("hash").string(model::hash_kind_name(c.hash.kind));
  w.key("ehash_entries").value(c.hash.entries);
  w.key("walked").boolean(c.walked);
  w.key("walk_cpu_seconds");
  if (c.walked) {
    w.fixed(c.walk_cpu_seconds, 4);
  } else {
    w.null();
  }
  w.key("not_walked").string_or_null(c.not_walked);
  w.end_object();
}

void json_names(JsonWriter& w, const model::NetnsNames& n) {
  w.key("container").string_or_null(n.container);
  w.key("pod").string_or_null(n.pod);
  w.key("k8s_namespace").string_or_null(n.k8s_namespace);
}

}  // namespace tcpscope::render
