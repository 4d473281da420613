// SPDX-License-Identifier: MIT
// bench/floor: the cost floor for dumping the TCP socket table over sock_diag.
//
// One bare SOCK_DIAG_BY_FAMILY dump for AF_INET, then one for AF_INET6, IPPROTO_TCP, every
// state (0xFFF: bits 0..11, i.e. no TCP_NEW_SYN_RECV/BOUND_INACTIVE extras), no extensions,
// a 32 KiB receive buffer (the kernel's largest dump chunk), raw
// syscalls only; it just counts records per state and prints the counts. Whatever a real tool
// spends beyond this is user-space work: decoding, formatting, output.
//
// Usage: floor [--states MASK] [--ext MASK] [--family 4|6|both] [--bufsize BYTES] [--quiet]
//              [--proc-fds readlink|stat] [--no-dump]
// (defaults 0xfff, 0, both, 32768). Exit 1 on any error (NLMSG_ERROR, MSG_TRUNC, bad message).
//
// --proc-fds adds the floor of `-p`: one walk of /proc/PID/fd for every process (getdents64 on
// an O_DIRECTORY fd, then readlinkat(dirfd, "N") per entry, or fstatat(dirfd, "N") with `stat`)
// counting socket descriptors; nothing is stored or matched. --no-dump skips the dump.
#include <dirent.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

const char* const kStateNames[] = {"UNKNOWN",      "ESTAB",          "SYN-SENT",  "SYN-RECV",
                                   "FIN-WAIT-1",   "FIN-WAIT-2",     "TIME-WAIT", "UNCONN",
                                   "CLOSE-WAIT",   "LAST-ACK",       "LISTEN",    "CLOSING",
                                   "NEW-SYN-RECV", "BOUND-INACTIVE", "?14",       "?15"};

alignas(8) unsigned char g_buf[1 << 20];

// Returns the number of records, or -1 after printing an error.
long dump(int family, uint32_t states, uint8_t ext, size_t bufsize, uint64_t counts[16]) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) {
    perror("floor: socket");
    return -1;
  }
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
  } msg{};
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = 1;
  msg.req.sdiag_family = static_cast<uint8_t>(family);
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_ext = ext;
  msg.req.idiag_states = states;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd, &msg, sizeof msg, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0) {
    perror("floor: sendto");
    close(fd);
    return -1;
  }
  long records = 0;
  for (;;) {
    iovec iov{g_buf, bufsize};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    ssize_t n = recvmsg(fd, &mh, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("floor: recvmsg");
      close(fd);
      return -1;
    }
    if (mh.msg_flags & MSG_TRUNC) {
      fprintf(stderr, "floor: datagram truncated (buffer %zu)\n", bufsize);
      close(fd);
      return -1;
    }
    size_t left = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(g_buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        close(fd);
        return records;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* e = static_cast<nlmsgerr*>(NLMSG_DATA(h));
        fprintf(stderr, "floor: NLMSG_ERROR %s\n", strerror(-e->error));
        close(fd);
        return -1;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
          h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
        continue;
      auto* m = static_cast<inet_diag_msg*>(NLMSG_DATA(h));
      ++counts[m->idiag_state & 15];
      ++records;
    }
  }
}

// Walks /proc/*/fd; returns the number of socket descriptors seen (or -1).
long proc_fds(bool use_stat, long* processes, long* fds) {
  int proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) {
    perror("floor: /proc");
    return -1;
  }
  alignas(8) static char dents[32768], fdents[65536];
  long sockets = 0;
  for (;;) {
    long n = syscall(SYS_getdents64, proc, dents, sizeof dents);
    if (n <= 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<dirent64*>(dents + off);
      off += d->d_reclen;
      if (d->d_name[0] < '1' || d->d_name[0] > '9') continue;
      char path[300];
      snprintf(path, sizeof path, "%s/fd", d->d_name);
      int fd_dir = openat(proc, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd_dir < 0) continue;  // raced with exit, or a kernel thread
      ++*processes;
      for (;;) {
        long m = syscall(SYS_getdents64, fd_dir, fdents, sizeof fdents);
        if (m <= 0) break;
        for (long o = 0; o < m;) {
          auto* e = reinterpret_cast<dirent64*>(fdents + o);
          o += e->d_reclen;
          if (e->d_name[0] == '.') continue;
          ++*fds;
          if (use_stat) {
            struct stat st;
            if (fstatat(fd_dir, e->d_name, &st, 0) == 0 && S_ISSOCK(st.st_mode)) ++sockets;
          } else {
            char link[64];
            ssize_t l = readlinkat(fd_dir, e->d_name, link, sizeof link);
            if (l > 8 && memcmp(link, "socket:[", 8) == 0) ++sockets;
          }
        }
      }
      close(fd_dir);
    }
  }
  close(proc);
  return sockets;
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t states = 0xfff;
  uint8_t ext = 0;
  size_t bufsize = 32768;
  bool v4 = true, v6 = true, quiet = false, dump_table = true;
  int proc_mode = 0;  // 0 none, 1 readlink, 2 stat
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!strcmp(a, "--states") && v)
      states = static_cast<uint32_t>(strtoul(argv[++i], nullptr, 0));
    else if (!strcmp(a, "--ext") && v)
      ext = static_cast<uint8_t>(strtoul(argv[++i], nullptr, 0));
    else if (!strcmp(a, "--bufsize") && v)
      bufsize = strtoul(argv[++i], nullptr, 0);
    else if (!strcmp(a, "--family") && v) {
      ++i;
      v4 = !strcmp(v, "4") || !strcmp(v, "both");
      v6 = !strcmp(v, "6") || !strcmp(v, "both");
    } else if (!strcmp(a, "--proc-fds") && v) {
      ++i;
      proc_mode = !strcmp(v, "stat") ? 2 : 1;
    } else if (!strcmp(a, "--no-dump"))
      dump_table = false;
    else if (!strcmp(a, "--quiet"))
      quiet = true;
    else {
      fprintf(stderr,
              "usage: floor [--states MASK] [--ext MASK] [--family 4|6|both] "
              "[--bufsize BYTES] [--quiet] [--proc-fds readlink|stat] [--no-dump]\n");
      return 2;
    }
  }
  if (bufsize == 0 || bufsize > sizeof g_buf) bufsize = sizeof g_buf;
  uint64_t c4[16] = {}, c6[16] = {};
  long n4 = v4 && dump_table ? dump(AF_INET, states, ext, bufsize, c4) : 0;
  long n6 = v6 && dump_table ? dump(AF_INET6, states, ext, bufsize, c6) : 0;
  if (n4 < 0 || n6 < 0) return 1;
  long processes = 0, fds = 0, socket_fds = 0;
  if (proc_mode) socket_fds = proc_fds(proc_mode == 2, &processes, &fds);
  if (socket_fds < 0) return 1;
  if (quiet) return 0;
  if (proc_mode)
    printf("/proc: %ld processes, %ld fds, %ld socket fds\n", processes, fds, socket_fds);
  printf("%-14s %10s %10s\n", "state", "ipv4", "ipv6");
  for (int s = 0; s < 16; ++s)
    if (c4[s] || c6[s])
      printf("%-14s %10llu %10llu\n", kStateNames[s], static_cast<unsigned long long>(c4[s]),
             static_cast<unsigned long long>(c6[s]));
  printf("%-14s %10ld %10ld\n", "total", n4, n6);
  return 0;
}
