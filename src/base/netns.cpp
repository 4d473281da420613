#include "base/netns.hpp"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

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
  if (::setns(fd, CLONE_NEWNET) < 0) {
    return fail(Error::from_errno("enter network namespace " + path, errno));
  }
  return {};
}

}  // namespace tcpscope
