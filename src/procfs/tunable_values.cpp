#include "procfs/tunable_values.hpp"

#include <cerrno>

#include "base/file.hpp"
#include "procfs/sysctl.hpp"

namespace tcpscope::procfs {

Status read_tunable_values(std::string_view proc_root, std::span<const model::TunableInfo> catalog,
                           std::vector<TunableValue>& out, std::string& buffer) {
  out.resize(catalog.size());
  std::string path;
  for (size_t i = 0; i < catalog.size(); ++i) {
    const model::TunableInfo& info = catalog[i];
    TunableValue& v = out[i];
    v.present = false;
    v.text.clear();
    path.assign(proc_root).append("/sys/");
    for (char c : info.name) path.push_back(c == '.' ? '/' : c);
    if (auto st = read_file(path.c_str(), buffer); !st) {
      if (st.error().err() == ENOENT) continue;
      return st;
    }
    if (info.count == 0) {
      v.text.assign(trim(buffer));
    } else if (auto st = parse_sysctl_ints(buffer, std::span<int64_t>(v.ints.data(), info.count));
               !st) {
      return fail(std::move(st.error()).context(path));
    }
    v.present = true;
  }
  return {};
}

std::string format_tunable(const model::TunableInfo& info, const TunableValue& value) {
  if (!value.present) return {};
  if (info.count == 0) return value.text;
  std::string s;
  for (uint8_t i = 0; i < info.count; ++i) {
    if (i) s.push_back(' ');
    s.append(std::to_string(value.ints[i]));
  }
  return s;
}

}  // namespace tcpscope::procfs
