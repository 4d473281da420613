// SPDX-License-Identifier: MIT
// `summary --netns all`: one line per network namespace, saying which numbers every namespace
// got (reads that cost the same whatever its established hash) and which came from a walk of
// every socket state; and the same as JSON (schema in docs/cli.md). Pure.
#pragma once

#include <fmt/format.h>

#include "model/netns_summary.hpp"

namespace tcpscope::render {

void append_netns_summary_text(fmt::memory_buffer& out, const model::NetnsSummaryRun& run);
void append_netns_summary_json(fmt::memory_buffer& out, const model::NetnsSummaryRun& run);

}  // namespace tcpscope::render
