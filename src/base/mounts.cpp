// SPDX-License-Identifier: MIT
#include "base/mounts.hpp"

#include "base/file.hpp"

namespace tcpscope {

std::string unescape_mount_field(std::string_view s) {
  std::string r;
  r.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto octal = [&](size_t k) { return s[k] >= '0' && s[k] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      r.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      r.push_back(s[i]);
    }
  }
  return r;
}

std::string find_cgroup2_mount(const std::string& proc_root) {
  std::string buf;
  if (read_file((proc_root + "/self/mounts").c_str(), buf)) {
    std::string_view rest(buf);
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      // device mountpoint fstype options dump pass
      const size_t a = line.find(' ');
      if (a == std::string_view::npos) continue;
      const size_t b = line.find(' ', a + 1);
      if (b == std::string_view::npos) continue;
      const size_t c = line.find(' ', b + 1);
      const std::string_view fstype =
          line.substr(b + 1, c == std::string_view::npos ? c : c - b - 1);
      if (fstype == "cgroup2") return unescape_mount_field(line.substr(a + 1, b - a - 1));
    }
  }
  return "/sys/fs/cgroup";
}

}  // namespace tcpscope
