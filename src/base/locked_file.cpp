// SPDX-License-Identifier: MIT
#include "base/locked_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "base/file.hpp"

namespace tcpscope {

namespace {

Status lock(int fd, const std::string& path) {
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) return fail(Error::from_errno("lock " + path, errno));
  }
  return {};
}

Status write_all(int fd, std::string_view content, const std::string& name) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Error(ErrorKind::kRuntime, "write " + name, errno));
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

Result<LockedFile> LockedFile::open(const std::string& path) {
  // A few rounds at most: each retry means another run replaced the file while we waited.
  for (int attempt = 0;; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(Error::from_errno("open " + path, errno));
    UniqueFd owner = UniqueFd::adopt(fd);
    TCPSCOPE_TRY(lock(owner.get(), path));
    struct stat st {};
    if (::fstat(owner.get(), &st) != 0) return fail(Error::from_errno("stat " + path, errno));
    struct stat now {};
    if (attempt < 8 &&
        (::lstat(path.c_str(), &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev)) {
      continue;  // replaced (or removed) while we waited for the lock
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != ::getuid()) {
      return fail(
          Error(ErrorKind::kRuntime,
                path + ": not a regular file of ours with a single link; refusing to use it"));
    }
    return LockedFile(std::move(owner), path, static_cast<int64_t>(st.st_mtime));
  }
}

Status LockedFile::read_all(std::string& out, size_t limit) const {
  out.clear();
  char buf[8192];
  off_t off = 0;
  for (;;) {
    const ssize_t n = ::pread(fd_.get(), buf, sizeof buf, off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Error::from_errno("read " + path_, errno));
    }
    if (n == 0) return {};
    out.append(buf, static_cast<size_t>(n));
    off += n;
    if (out.size() > limit) {
      out.clear();
      return fail(too_large(path_, limit));
    }
  }
}

Status LockedFile::replace(std::string_view content) {
  const size_t slash = path_.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
  std::vector<char> tmpl(path_.begin(), path_.end());
  const std::string suffix = ".tmp.XXXXXX";
  tmpl.insert(tmpl.end(), suffix.begin(), suffix.end());
  tmpl.push_back('\0');
  // mkostemp: O_EXCL and mode 0600, so the new file is ours and private like the old one.
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) return fail(Error::from_errno("create a temporary file next to " + path_, errno));
  UniqueFd tmp = UniqueFd::adopt(fd);
  const std::string tmp_path(tmpl.data());
  auto undo = [&](Error e) {
    ::unlink(tmp_path.c_str());
    return fail(std::move(e));
  };
  if (auto st = write_all(tmp.get(), content, tmp_path); !st) return undo(std::move(st.error()));
  if (::fsync(tmp.get()) != 0) return undo(Error(ErrorKind::kRuntime, "fsync " + tmp_path, errno));
  // Lock the new inode before it appears under the path, so that a run waiting on the path
  // gets it only after we are done.
  if (auto st = lock(tmp.get(), tmp_path); !st) return undo(std::move(st.error()));
  if (::rename(tmp_path.c_str(), path_.c_str()) != 0) {
    return undo(Error(ErrorKind::kRuntime, "rename " + tmp_path + " to " + path_, errno));
  }
  fd_ = std::move(tmp);
  // Make the rename itself durable; the content already is, so a failure here loses nothing.
  if (auto d = open_cloexec(dir.c_str(), O_RDONLY | O_DIRECTORY); d) ::fsync(d->get());
  return {};
}

}  // namespace tcpscope
