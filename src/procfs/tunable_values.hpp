// SPDX-License-Identifier: MIT
// Current values of the tunables in model::tunable_catalog(), read from <proc_root>/sys/.
//
// A sysctl whose file does not exist reads as not present: the normal case for global sysctls
// inside a child network namespace, and for sysctls newer than the running kernel.
// read_tunable_values() is for one-shot commands (one open/read/close per tunable);
// TunableReader keeps the files open for readers that poll every tick (doctor, agent).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/reread_file.hpp"
#include "base/result.hpp"
#include "model/host.hpp"
#include "model/tunable_catalog.hpp"

namespace tcpscope::procfs {

using TunableValue = model::TunableValue;

// out[i] is the value of catalog[i]. Errors (unreadable or malformed file) name the file.
Status read_tunable_values(std::string_view proc_root, std::span<const model::TunableInfo> catalog,
                           std::vector<TunableValue>& out, std::string& buffer);

// The same, with the files kept open between reads (a missing file is not looked for again).
class TunableReader {
 public:
  TunableReader(std::string proc_root, std::span<const model::TunableInfo> catalog)
      : proc_root_(std::move(proc_root)), catalog_(catalog) {}
  Status read(std::vector<TunableValue>& out);

 private:
  std::string proc_root_;
  std::span<const model::TunableInfo> catalog_;
  std::vector<RereadFile> files_;  // empty until the first read
  std::string buffer_;
};

}  // namespace tcpscope::procfs
