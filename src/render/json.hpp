// SPDX-License-Identifier: MIT
// JSON rendering of one socket: a single object with every field the record carries, streamed
// into the caller's buffer (no DOM). Field names and units: docs/json.md.
//
//   fmt::memory_buffer buf;
//   append_json(buf, rec, names);   // {"family":"ipv4","protocol":"tcp","state":"listen",...}
//
// The caller frames the objects (JSON Lines: one per line; or a '[' ... ',' ... ']' array) and
// flushes the buffer when it grows large. Absent fields are left out, never written as 0:
// "absent" means the attribute did not come back or the kernel's tcp_info was too short.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "model/names.hpp"
#include "model/socket_record.hpp"
#include "render/json_writer.hpp"  // append_json_string

namespace tcpscope::render {

// Appends one JSON object (no trailing newline). `names` resolves ifname and cgroup; nullptr
// leaves those two keys out.
void append_json(fmt::memory_buffer& out, const model::SocketRecord& rec, model::NameLookup* names);

}  // namespace tcpscope::render
