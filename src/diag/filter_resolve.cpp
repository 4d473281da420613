// SPDX-License-Identifier: MIT
// The system's answers to the filter parser's name lookups.
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/file.hpp"
#include "base/mounts.hpp"
#include "diag/filter.hpp"

namespace tcpscope::diag {

namespace {

class SystemResolver final : public FilterResolver {
 public:
  std::vector<Address> host(std::string_view name, uint8_t family) override {
    std::vector<Address> out;
    host_error_.clear();
    const std::string n(name);
    // IPv4 first, then IPv6, as ss's two gethostbyname2 calls.
    for (int fam : {AF_INET, AF_INET6}) {
      if (family != AF_UNSPEC && family != fam) continue;
      addrinfo hints{};
      hints.ai_family = fam;
      hints.ai_socktype = SOCK_STREAM;
      addrinfo* res = nullptr;
      if (const int rc = getaddrinfo(n.c_str(), nullptr, &hints, &res); rc != 0) {
        // EAI_NODATA / EAI_ADDRFAMILY: the name exists without an address of this family.
        if (rc != EAI_NODATA && rc != EAI_ADDRFAMILY) {
          host_error_ = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
        }
        continue;
      }
      for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        Address a{static_cast<uint8_t>(fam), {}};
        if (ai->ai_family == AF_INET && ai->ai_addrlen >= sizeof(sockaddr_in)) {
          sockaddr_in sin;
          std::memcpy(&sin, ai->ai_addr, sizeof sin);
          std::memcpy(a.bytes.data(), &sin.sin_addr, 4);
        } else if (ai->ai_family == AF_INET6 && ai->ai_addrlen >= sizeof(sockaddr_in6)) {
          sockaddr_in6 sin6;
          std::memcpy(&sin6, ai->ai_addr, sizeof sin6);
          std::memcpy(a.bytes.data(), &sin6.sin6_addr, 16);
        } else {
          continue;
        }
        out.push_back(a);
      }
      freeaddrinfo(res);
    }
    if (!out.empty()) host_error_.clear();
    return out;
  }

  std::string host_error() const override { return host_error_; }

  std::optional<uint16_t> service(std::string_view name, std::string_view proto) override {
    const std::string n(name);
    const std::string p(proto);
    servent se{};
    servent* result = nullptr;
    char buf[1024];
    if (getservbyname_r(n.c_str(), p.c_str(), &se, buf, sizeof buf, &result) != 0 ||
        result == nullptr) {
      return std::nullopt;
    }
    return ntohs(static_cast<uint16_t>(result->s_port));
  }

  std::optional<uint32_t> ifindex(std::string_view name) override {
    if (name.empty() || name.size() >= IF_NAMESIZE) return std::nullopt;
    const std::string n(name);
    const unsigned idx = if_nametoindex(n.c_str());
    if (idx == 0) return std::nullopt;
    return idx;
  }

  // ss resolves the path against the real file system first, so `cgroup /` names the root
  // directory's inode, not the root cgroup (see docs/ss-differences.md). Here a path is always
  // relative to the cgroup2 mount; a path that starts with the mount point also works.
  Result<uint64_t> cgroup_id(std::string_view path) override {
    const std::string mount = find_cgroup2_mount();
    std::string rel(path);
    if (rel.starts_with(mount) && (rel.size() == mount.size() || rel[mount.size()] == '/')) {
      rel.erase(0, mount.size());
    }
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    auto dir = open_cloexec(mount.c_str(), O_RDONLY | O_DIRECTORY);
    if (!dir) return fail(std::move(dir.error()));
    alignas(file_handle) unsigned char storage[sizeof(file_handle) + sizeof(uint64_t)];
    auto* fh = reinterpret_cast<file_handle*>(storage);
    fh->handle_bytes = sizeof(uint64_t);
    int mount_id = 0;
    const int flags = rel.empty() ? AT_EMPTY_PATH : 0;
    if (name_to_handle_at(dir->get(), rel.c_str(), fh, &mount_id, flags) != 0) {
      return fail(Error::from_errno(mount + "/" + rel, errno));
    }
    if (fh->handle_bytes != sizeof(uint64_t)) {
      return fail(Error::malformed(mount + "/" + rel + ": not a cgroup2 directory"));
    }
    uint64_t id = 0;
    std::memcpy(&id, fh->f_handle, sizeof id);
    return id;
  }

 private:
  std::string host_error_;
};

}  // namespace

bool has_cap_net_admin() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

FilterResolver& system_resolver() {
  static SystemResolver r;
  return r;
}

}  // namespace tcpscope::diag
