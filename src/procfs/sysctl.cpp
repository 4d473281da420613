// SPDX-License-Identifier: MIT
#include "procfs/sysctl.hpp"

#include <fcntl.h>

#include <cerrno>
#include <vector>

#include "base/file.hpp"
#include "base/unique_fd.hpp"
#include "procfs/text.hpp"

namespace tcpscope::procfs {

namespace {

struct Scalar {
  std::string_view dir;   // under <proc_root>/sys/
  std::string_view leaf;  // the file in it
  std::optional<int64_t> Tunables::*field;
};

constexpr Scalar kScalars[] = {
    {"net/core", "somaxconn", &Tunables::somaxconn},
    {"net/ipv4", "tcp_max_syn_backlog", &Tunables::tcp_max_syn_backlog},
    {"net/ipv4", "tcp_syncookies", &Tunables::tcp_syncookies},
    {"net/ipv4", "tcp_max_tw_buckets", &Tunables::tcp_max_tw_buckets},
    {"net/ipv4", "tcp_max_orphans", &Tunables::tcp_max_orphans},
    {"net/ipv4", "tcp_fin_timeout", &Tunables::tcp_fin_timeout},
    {"net/ipv4", "tcp_tw_reuse", &Tunables::tcp_tw_reuse},
    {"net/ipv4", "tcp_synack_retries", &Tunables::tcp_synack_retries},
    {"net/ipv4", "tcp_syn_retries", &Tunables::tcp_syn_retries},
    {"net/ipv4", "tcp_abort_on_overflow", &Tunables::tcp_abort_on_overflow},
    {"net/ipv4", "tcp_orphan_retries", &Tunables::tcp_orphan_retries},
    {"net/ipv4", "tcp_retries2", &Tunables::tcp_retries2},
};

// The tunables' directories, each opened once per read_tunables() and its files opened relative
// to it. Looking a path up under /proc/sys costs, for each of its components, time linear in the
// number of network namespaces on the host (every namespace's sysctl entries hang under the
// same dentries, told apart at compare time): 57 us a file by full path against 4 us relative to
// its directory with 500 namespaces, which a tick over every namespace multiplies by 14 x N.
class SysctlDirs {
 public:
  explicit SysctlDirs(std::string_view proc_root) : root_(proc_root) {}

  // Reads <proc_root>/sys/<dir>/<leaf> into `buffer` (`path` names it); false when either does
  // not exist.
  Result<bool> read(std::string_view dir, std::string_view leaf, std::string& path,
                    std::string& buffer) {
    path.assign(root_).append("/sys/").append(dir);
    Dir* d = nullptr;
    for (Dir& x : dirs_) {
      if (x.name == dir) d = &x;
    }
    if (d == nullptr) {
      const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dirs_.push_back({dir, UniqueFd::adopt(fd), fd < 0 ? errno : 0});
      d = &dirs_.back();
    }
    path.append("/").append(leaf);
    if (!d->fd) {
      if (d->err == ENOENT) return false;
      return fail(Error::from_errno("open " + path, d->err));
    }
    leaf_.assign(leaf);
    const int fd = ::openat(d->fd.get(), leaf_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return false;
      return fail(Error::from_errno("open " + path, errno));
    }
    UniqueFd owner = UniqueFd::adopt(fd);
    if (auto st = read_fd(fd, path, buffer, kProcFileLimit); !st)
      return fail(std::move(st.error()));
    return true;
  }

 private:
  struct Dir {
    std::string_view name;
    UniqueFd fd;
    int err = 0;
  };
  std::string_view root_;
  std::vector<Dir> dirs_;
  std::string leaf_;
};

Error bad_content(std::string_view what, std::string_view content) {
  std::string m("malformed sysctl value: ");
  m.append(what).append(": ").append(quote(content));
  return Error::malformed(std::move(m));
}

// Reads <proc_root>/sys/<name> into `buffer`; false when the file does not exist.
Result<bool> read_optional(std::string_view proc_root, std::string_view name, std::string& path,
                           std::string& buffer) {
  path.assign(proc_root).append("/sys/").append(name);
  if (auto st = read_file(path.c_str(), buffer); !st) {
    if (st.error().err() == ENOENT) return false;
    return fail(std::move(st.error()));
  }
  return true;
}

template <size_t N>
Status read_array(SysctlDirs& dirs, std::string_view leaf, std::string& path, std::string& buffer,
                  std::optional<std::array<int64_t, N>>& out) {
  auto found = dirs.read("net/ipv4", leaf, path, buffer);
  if (!found) return fail(std::move(found.error()));
  if (!*found) return {};
  std::array<int64_t, N> values{};
  if (auto st = parse_sysctl_ints(buffer, values); !st) {
    return fail(std::move(st.error()).context(path));
  }
  out = values;
  return {};
}

}  // namespace

Status parse_sysctl_ints(std::string_view content, std::span<int64_t> out) {
  // Multi-value files separate with tabs and end with '\n': every kind of space separates here.
  auto space = [](char c) { return is_blank(c) || c == '\n'; };
  size_t pos = 0;
  auto next = [&]() {
    while (pos < content.size() && space(content[pos])) ++pos;
    const size_t b = pos;
    while (pos < content.size() && !space(content[pos])) ++pos;
    return content.substr(b, pos - b);
  };
  auto wrong_count = [&] {
    return fail(bad_content("expected " + std::to_string(out.size()) + " numbers", content));
  };
  for (int64_t& slot : out) {
    const std::string_view tok = next();
    if (tok.empty()) return wrong_count();
    auto v = parse_i64(tok);
    if (!v) return fail(bad_content("not a number", content));
    slot = *v;
  }
  if (!next().empty()) return wrong_count();
  return {};
}

Result<int64_t> parse_sysctl_int(std::string_view content) {
  int64_t v = 0;
  if (auto st = parse_sysctl_ints(content, std::span<int64_t>(&v, 1)); !st) {
    return fail(std::move(st.error()));
  }
  return v;
}

Result<std::optional<int64_t>> read_sysctl_int(std::string_view proc_root, std::string_view name,
                                               std::string& buffer) {
  std::string path;
  auto found = read_optional(proc_root, name, path, buffer);
  if (!found) return fail(std::move(found.error()));
  if (!*found) return std::optional<int64_t>();
  auto v = parse_sysctl_int(buffer);
  if (!v) return fail(std::move(v.error()).context(path));
  return std::optional<int64_t>(*v);
}

Result<model::EstablishedHash> read_established_hash(std::string_view proc_root,
                                                     std::string& buffer) {
  auto entries = read_sysctl_int(proc_root, "net/ipv4/tcp_ehash_entries", buffer);
  if (!entries) return fail(std::move(entries.error()));
  std::string path;
  auto initial = read_optional(proc_root, "net/ipv4/tcp_max_orphans", path, buffer);
  if (!initial) return fail(std::move(initial.error()));
  model::EstablishedHash h;
  h.entries = entries->value_or(0);
  if (*initial) {
    h.kind = model::HashKind::kHost;
  } else {
    h.kind = h.entries > 0 ? model::HashKind::kOwn : model::HashKind::kShared;
  }
  return h;
}

Result<Tunables> read_tunables(std::string_view proc_root) {
  Tunables t;
  std::string path;
  std::string buffer;
  SysctlDirs dirs(proc_root);
  for (const Scalar& s : kScalars) {
    auto found = dirs.read(s.dir, s.leaf, path, buffer);
    if (!found) return fail(std::move(found.error()));
    if (!*found) continue;
    auto v = parse_sysctl_int(buffer);
    if (!v) return fail(std::move(v.error()).context(path));
    t.*s.field = *v;
  }
  if (auto st = read_array(dirs, "tcp_mem", path, buffer, t.tcp_mem); !st) {
    return fail(std::move(st.error()));
  }
  if (auto st = read_array(dirs, "ip_local_port_range", path, buffer, t.ip_local_port_range); !st) {
    return fail(std::move(st.error()));
  }
  return t;
}

}  // namespace tcpscope::procfs
