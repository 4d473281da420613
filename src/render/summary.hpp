// SPDX-License-Identifier: MIT
// `summary`: ss -s's lines, the census of the socket dump (states by family, listeners with
// their accept queues and SYN-RECV requests) and the limits that bound them, as text and as JSON
// (schema in docs/cli.md). Pure: both write into a buffer.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "model/census.hpp"
#include "model/host.hpp"
#include "model/tables.hpp"

namespace tcpscope::render {

// ss -s's own lines ("Total: ...", "TCP: ...", the transport table).
void append_ss_summary_text(fmt::memory_buffer& out, const model::HostState& h);

// `others`: the counts of the unix, packet, raw and MPTCP dumps (nullptr: not counted).
void append_summary_text(fmt::memory_buffer& out, const model::Census& c, const model::HostState& h,
                         const model::TableCensus* others = nullptr);
// `netns` "" is written as null; `source` names where the sockets came from.
void append_summary_json(fmt::memory_buffer& out, const model::Census& c, const model::HostState& h,
                         std::string_view netns, std::string_view source,
                         const model::TableCensus* others = nullptr);

}  // namespace tcpscope::render
