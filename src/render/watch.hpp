// SPDX-License-Identifier: MIT
// `tcpscope watch`'s output: one closed socket per JSON line or CSV row (the socket's fields as
// `sockets --json` / `--format csv` write them, after the time, the namespace and the
// direction), the record of lost events, and the per-interval summary (text and JSON).
#pragma once

#include <fmt/format.h>

#include <span>
#include <string_view>

#include "model/close_account.hpp"
#include "model/names.hpp"
#include "model/netns.hpp"
#include "model/socket_record.hpp"

namespace tcpscope::render {

// `netns`: the namespace's label, or empty for the one tcpscope runs in (JSON null).
// `ns_names` (--netns all): a namespace with a container or a pod also gets "container", "pod"
// and "k8s_namespace" after "netns".
void append_event_json(fmt::memory_buffer& out, const model::SocketRecord& rec, int64_t time_ns,
                       std::string_view netns, model::Direction d, model::NameLookup* names,
                       const model::NetnsNames* ns_names = nullptr);
void append_lost_json(fmt::memory_buffer& out, int64_t time_ns, std::string_view netns,
                      uint64_t overflows);
void append_event_csv_header(fmt::memory_buffer& out);
void append_event_csv(fmt::memory_buffer& out, const model::SocketRecord& rec, int64_t time_ns,
                      std::string_view netns, model::Direction d, model::NameLookup* names);

struct SummaryInterval {
  int64_t end_ns = 0;  // wall clock at the end of the interval
  double seconds = 0;
  std::string_view netns;
  const model::NetnsNames* names = nullptr;  // --netns all: the text names the container and pod
  std::span<const model::CloseSummary::Row> rows;
  const model::CloseAccount* other = nullptr;  // may be empty (closed == 0)
  uint64_t lost = 0;                           // overflows during the interval
};
void append_summary_text(fmt::memory_buffer& out, const SummaryInterval& s);
void append_summary_json(fmt::memory_buffer& out, const SummaryInterval& s);

}  // namespace tcpscope::render
