// SPDX-License-Identifier: MIT
#include "base/netns.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/unique_fd.hpp"

namespace tcpscope {

std::string netns_path(std::string_view name_or_path) {
  if (name_or_path.find('/') != std::string_view::npos) return std::string(name_or_path);
  return "/var/run/netns/" + std::string(name_or_path);
}

Status enter_netns(std::string_view name_or_path) {
  if (name_or_path.empty()) return fail(Error::usage("empty network namespace name"));
  const std::string path = netns_path(name_or_path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) {
      return fail(Error(ErrorKind::kRuntime, "network namespace \"" + std::string(name_or_path) +
                                                 "\" not found (" + path + ")"));
    }
    return fail(Error::from_errno("open network namespace " + path, e));
  }
  UniqueFd owner = UniqueFd::adopt(fd);
  // setns() says only EINVAL for a file that is not one; name the mistake instead.
  struct statfs fs {};
  if (::fstatfs(fd, &fs) == 0 && fs.f_type != NSFS_MAGIC) {
    return fail(Error(ErrorKind::kRuntime, path +
                                               " is not a network namespace (expected a file under "
                                               "/var/run/netns or /proc/PID/ns/net)"));
  }
  // NS_GET_NSTYPE: Linux 4.11; older kernels answer ENOTTY and setns() decides.
  if (const int type = ::ioctl(fd, NS_GET_NSTYPE); type >= 0 && type != CLONE_NEWNET) {
    return fail(Error(ErrorKind::kRuntime, path + " is a namespace, but not a network namespace"));
  }
  if (::setns(fd, CLONE_NEWNET) < 0) {
    return fail(Error::from_errno("enter network namespace " + path, errno));
  }
  return {};
}

void return_to_netns(int origin) {
  if (::setns(origin, CLONE_NEWNET) < 0) {
    std::fputs("tcpscope: error: cannot return to its own network namespace\n", stderr);
    std::abort();
  }
}

}  // namespace tcpscope
