// SPDX-License-Identifier: MIT
// What a replay needs besides the socket dump, carried in the record file as a frame with
// protocol 0 (record_file.hpp): the host numbers and limits `summary` shows (sockstat, Tcp
// CurrEstab, the tunables) and the interface names of the recording namespace, so that a replay
// on another host neither shows this host's numbers nor its interface names.
//
// The payload is text, one "key value..." line each, unknown keys ignored (a later version may
// add some): "sockstat.tcp_inuse 12", "tunable.somaxconn 4096", "tcp_mem 1 2 3",
// "ifname 2 eth0". A value missing from the payload stays unknown.
//
// The tcp_info length needs no line: every socket's INET_DIAG_INFO attribute in the recorded
// datagrams carries the kernel's own length, and the decoder copies min(len, sizeof) as live.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "model/host.hpp"

namespace tcpscope::source {

inline constexpr uint8_t kHostFrameKind = 1;  // the frame's ext byte

struct RecordedHost {
  model::HostState host;  // has_sockstat false / nullopt where the record had no value
  std::map<uint32_t, std::string> ifnames;
};

std::string encode_host_record(const model::HostState& host,
                               const std::map<uint32_t, std::string>& ifnames);
// Errors name the line; the payload is checked to be text first.
Status decode_host_record(std::string_view payload, RecordedHost& out);

// The interface names of the current network namespace (if_nameindex(3)).
std::map<uint32_t, std::string> current_ifnames();

}  // namespace tcpscope::source
