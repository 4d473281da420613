// SPDX-License-Identifier: MIT
#include "procfs/tunable_values.hpp"

#include <cerrno>

#include "base/file.hpp"
#include "procfs/sysctl.hpp"

namespace tcpscope::procfs {

namespace {

void sysctl_path(std::string& path, std::string_view proc_root, std::string_view name) {
  path.assign(proc_root).append("/sys/");
  for (char c : name) path.push_back(c == '.' ? '/' : c);
}

Status parse_into(const model::TunableInfo& info, std::string_view content, TunableValue& v,
                  const std::string& path) {
  if (info.count == 0) {
    v.text.assign(trim(content));
  } else if (auto st = parse_sysctl_ints(content, std::span<int64_t>(v.ints.data(), info.count));
             !st) {
    return fail(std::move(st.error()).context(path));
  }
  v.present = true;
  return {};
}

}  // namespace

Status read_tunable_values(std::string_view proc_root, std::span<const model::TunableInfo> catalog,
                           std::vector<TunableValue>& out, std::string& buffer) {
  out.resize(catalog.size());
  std::string path;
  for (size_t i = 0; i < catalog.size(); ++i) {
    const model::TunableInfo& info = catalog[i];
    TunableValue& v = out[i];
    v.present = false;
    v.text.clear();
    sysctl_path(path, proc_root, info.name);
    if (auto st = read_file(path.c_str(), buffer); !st) {
      if (st.error().err() == ENOENT) continue;
      return st;
    }
    if (auto st = parse_into(info, buffer, v, path); !st) return st;
  }
  return {};
}

Status TunableReader::read(std::vector<TunableValue>& out) {
  if (files_.empty()) {
    files_.resize(catalog_.size());
    std::string path;
    for (size_t i = 0; i < catalog_.size(); ++i) {
      sysctl_path(path, proc_root_, catalog_[i].name);
      auto f = RereadFile::open(path);
      if (f) {
        files_[i] = std::move(*f);
      } else if (f.error().err() != ENOENT) {
        files_.clear();
        return fail(std::move(f.error()));
      }
    }
  }
  out.resize(catalog_.size());
  for (size_t i = 0; i < catalog_.size(); ++i) {
    TunableValue& v = out[i];
    v.present = false;
    if (!files_[i].is_open()) continue;
    if (auto st = files_[i].read(buffer_); !st) return st;
    if (auto st = parse_into(catalog_[i], buffer_, v, files_[i].path()); !st) return st;
  }
  return {};
}

}  // namespace tcpscope::procfs
