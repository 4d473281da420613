// SPDX-License-Identifier: MIT
// `sysctl`: the tunables of model::tunable_catalog() with their values, kernel defaults, scope
// and meaning, as a text table or JSON (schema in docs/cli.md). Pure: both write into a buffer.
#pragma once

#include <fmt/format.h>

#include <span>
#include <string_view>

#include "model/host.hpp"
#include "model/tunable_catalog.hpp"

namespace tcpscope::render {

// One shown tunable and its value.
struct TunableRow {
  const model::TunableInfo* info;
  const model::TunableValue* value;
};

void append_sysctl_text(fmt::memory_buffer& out, std::span<const TunableRow> rows);
// `netns` "" is written as null.
void append_sysctl_json(fmt::memory_buffer& out, std::span<const TunableRow> rows,
                        std::string_view netns);

}  // namespace tcpscope::render
