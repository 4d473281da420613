// SPDX-License-Identifier: MIT
// Reads what `summary` and the doctor need besides the socket dump: /proc/net/sockstat{,6},
// Tcp CurrEstab from /proc/net/snmp, and the tunables.
#pragma once

#include <string>

#include "base/result.hpp"
#include "model/host.hpp"

namespace tcpscope::procfs {

// Errors name the file; a missing snmp file leaves curr_estab unset.
Result<model::HostState> read_host_state(const std::string& proc_root);

}  // namespace tcpscope::procfs
