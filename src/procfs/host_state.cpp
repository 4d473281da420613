// SPDX-License-Identifier: MIT
#include "procfs/host_state.hpp"

#include <string>

#include "base/file.hpp"
#include "procfs/snmp.hpp"
#include "procfs/sockstat.hpp"
#include "procfs/sysctl.hpp"

namespace tcpscope::procfs {

Result<model::HostState> read_host_state(const std::string& proc_root) {
  model::HostState h;
  std::string buffer;
  if (auto s = read_sockstat(proc_root, buffer)) {
    h.sockstat = *s;
    h.has_sockstat = true;
  } else {
    return fail(std::move(s.error()));
  }
  auto t = read_tunables(proc_root);
  if (!t) return fail(std::move(t.error()));
  h.tunables = *t;
  const std::string snmp = proc_root + "/net/snmp";
  if (read_file(snmp.c_str(), buffer)) {
    auto v = find_counter(buffer, "TcpCurrEstab");
    if (!v) return fail(std::move(v.error()).context(snmp));
    h.curr_estab = *v;
  }
  return h;
}

}  // namespace tcpscope::procfs
