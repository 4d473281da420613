// SPDX-License-Identifier: MIT
// CSV rendering: a fixed, documented column set (docs/json.md, "CSV columns"), one row per
// socket, RFC 4180 quoting, LF line ends. Absent values are empty fields, never 0.
//
//   append_csv_header(buf);
//   for each record: append_csv_row(buf, rec, names);
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "model/names.hpp"
#include "model/socket_record.hpp"

namespace tcpscope::render {

// The header row, "netid,state,recv_q,...\n".
void append_csv_header(fmt::memory_buffer& out);

// One row, ending in '\n'. `names` gives the interface and cgroup columns; nullptr leaves the
// interface as ifN and the cgroup path empty.
void append_csv_row(fmt::memory_buffer& out, const model::SocketRecord& rec,
                    model::NameLookup* names);

// One field with RFC 4180 quoting: wrapped in double quotes, with inner quotes doubled, when it
// contains a comma, a double quote, CR or LF; else as it is.
void append_csv_field(fmt::memory_buffer& out, std::string_view s);

}  // namespace tcpscope::render
