// Current values of the tunables in model::tunable_catalog(), read from <proc_root>/sys/.
//
// A sysctl whose file does not exist reads as not present: the normal case for global sysctls
// inside a child network namespace, and for sysctls newer than the running kernel. Read once per
// command (or per doctor tick): one open/read/close per tunable, one reused buffer.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "model/tunable_catalog.hpp"

namespace tcpscope::procfs {

struct TunableValue {
  bool present = false;
  std::array<int64_t, 3> ints{};  // the first info.count numbers
  std::string text;               // info.count == 0: the file's content, trimmed
};

// out[i] is the value of catalog[i]. Errors (unreadable or malformed file) name the file.
Status read_tunable_values(std::string_view proc_root, std::span<const model::TunableInfo> catalog,
                           std::vector<TunableValue>& out, std::string& buffer);

// "4096", "4096 131072 6291456", or the text; "" when not present.
std::string format_tunable(const model::TunableInfo& info, const TunableValue& value);

}  // namespace tcpscope::procfs
