// SPDX-License-Identifier: MIT
// bench/tablegen: builds a large TCP socket table in the current network namespace and holds it.
//
// Used by bench/run for the macro benchmarks. Unlike tests/integration/tablegen.cpp (small,
// exact scenarios), this one is about size and speed: N established loopback pairs (both ends
// held, so 2N sockets) plus M TIME-WAIT mini-sockets, built in well under a minute.
//
// Usage: tablegen [--pairs N] [--v6-pairs N] [--timewait M] [--workers-pairs K] [--no-refresh]
//   --pairs N          IPv4 established pairs (default 100000 = 200000 sockets)
//   --v6-pairs N       IPv6 established pairs over ::1 (default 0)
//   --timewait M       TIME-WAIT sockets to keep alive (default 20000)
//   --pairs-per-worker K  (default 9900: 2K + listener + stdio stays below the 20000-fd cap)
//   --no-refresh       build the TIME-WAIT sockets once; they expire after 60 s
//
// Layout (all loopback, no routes or addresses needed: 127.0.0.0/8 is local on `lo`):
//   worker w (IPv4): listener 127.0.0.1:(20000+w); client j binds 127.1.(w>>8).(w&255):(30000+j)
//                    with SO_REUSEADDR, connects, the listener accepts; both fds are held.
//   worker w (IPv6): listener [::1]:(20000+w); clients bind [::1]:(30000+j) with SO_REUSEADDR
//                    (unique 4-tuples because every worker has its own listener port).
//   TIME-WAIT worker: listener 127.0.0.2:19999; client t binds 127.3.(t/40000).1:(10000+t%40000),
//                    connects, is accepted, then the client closes first and the server second,
//                    so the client end becomes TIME-WAIT (held by the kernel, no fd).
// Explicit source addresses and ports make every 4-tuple unique by construction, so the
// kernel never searches the ephemeral range (ip_local_port_range is irrelevant) and the build
// rate does not degrade as the table grows.
//
// TIME-WAIT lasts a fixed 60 s (TCP_TIMEWAIT_LEN), shorter than a benchmark run. To keep the
// count steady the TIME-WAIT worker re-creates the oldest 1/120 of the tuples every 250 ms
// (each tuple is refreshed every 30 s): bind() with SO_REUSEADDR succeeds over the tuple's own
// TIME-WAIT socket and connect() to an explicitly bound port takes the TIME-WAIT slot over
// (tcp_twsk_unique with timestamps), so the count never doubles. Cost: ~670 short connections
// per second in one process, a few percent of one core; the count stays within a few hundred
// of M. tcp_max_tw_buckets of the namespace (131072 on a shared hash here) must be >= M.
//
// Prints progress to stderr, then `ready <sockets>` on stdout, holds until stdin reaches EOF or
// SIGTERM/SIGINT, then kills its workers and exits 0. Workers also die with the parent
// (PR_SET_PDEATHSIG). Plain POSIX + libc, no project code.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int kListenPortBase = 20000;
constexpr int kClientPortBase = 30000;
constexpr int kTwListenPort = 19999;
constexpr int kTwPortBase = 10000;
constexpr int kTwPortsPerAddr = 40000;
constexpr int kBatch = 1000;  // connects before draining the accept queue (somaxconn 4096)

[[noreturn]] void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "tablegen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  _exit(1);
}

double now_s() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

sockaddr_storage v4(uint32_t host_order_addr, int port, socklen_t& len) {
  sockaddr_storage ss{};
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(static_cast<uint16_t>(port));
  a->sin_addr.s_addr = htonl(host_order_addr);
  len = sizeof(sockaddr_in);
  return ss;
}

sockaddr_storage v6_loopback(int port, socklen_t& len) {
  sockaddr_storage ss{};
  auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
  a->sin6_family = AF_INET6;
  a->sin6_port = htons(static_cast<uint16_t>(port));
  a->sin6_addr = in6addr_loopback;
  len = sizeof(sockaddr_in6);
  return ss;
}

int make_listener(const sockaddr_storage& addr, socklen_t len) {
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (addr.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) != 0)
    die("bind listener: %s", strerror(errno));
  if (listen(fd, 4096) != 0) die("listen: %s", strerror(errno));
  return fd;
}

// Blocking connect from an explicitly bound source; returns the fd or -1 (errno set).
int connect_from(const sockaddr_storage& src, socklen_t src_len, const sockaddr_storage& dst,
                 socklen_t dst_len) {
  int fd = socket(src.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&src), src_len) != 0 ||
      connect(fd, reinterpret_cast<const sockaddr*>(&dst), dst_len) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

// Holds `pairs` established connections: listener + both ends. Never returns.
[[noreturn]] void run_estab_worker(int w, int pairs, bool ipv6, int ready_fd) {
  socklen_t llen = 0;
  sockaddr_storage laddr =
      ipv6 ? v6_loopback(kListenPortBase + w, llen) : v4(0x7f000001u, kListenPortBase + w, llen);
  int lfd = make_listener(laddr, llen);
  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(pairs) * 2);
  uint32_t src_addr = 0x7f010000u | static_cast<uint32_t>(w & 0xffff);  // 127.1.hi.lo
  for (int done = 0; done < pairs;) {
    int n = pairs - done < kBatch ? pairs - done : kBatch;
    for (int j = 0; j < n; ++j) {
      socklen_t slen = 0;
      sockaddr_storage src = ipv6 ? v6_loopback(kClientPortBase + done + j, slen)
                                  : v4(src_addr, kClientPortBase + done + j, slen);
      int fd = connect_from(src, slen, laddr, llen);
      if (fd < 0) die("worker %d: connect #%d: %s", w, done + j, strerror(errno));
      fds.push_back(fd);
    }
    for (int j = 0; j < n; ++j) {
      int fd = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) die("worker %d: accept: %s", w, strerror(errno));
      fds.push_back(fd);
    }
    done += n;
  }
  if (write(ready_fd, "k", 1) != 1) _exit(1);
  close(ready_fd);
  for (;;) pause();
}

struct TwMaker {
  int lfd = -1;
  sockaddr_storage laddr{};
  socklen_t llen = 0;

  // One connection on tuple t that ends with the client in TIME-WAIT. Returns false on error.
  bool make(int t) {
    socklen_t slen = 0;
    uint32_t addr = 0x7f030001u | (static_cast<uint32_t>(t / kTwPortsPerAddr) << 8);
    sockaddr_storage src = v4(addr, kTwPortBase + t % kTwPortsPerAddr, slen);
    int c = connect_from(src, slen, laddr, llen);
    if (c < 0) return false;
    int s = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    close(c);  // active close first: the client end goes FIN-WAIT-2, then TIME-WAIT
    if (s >= 0) close(s);
    return s >= 0;
  }
};

// Creates `count` TIME-WAIT sockets, reports ready, then keeps them alive (refresh) forever.
[[noreturn]] void run_tw_worker(int count, bool refresh, int ready_fd) {
  TwMaker m;
  m.laddr = v4(0x7f000002u, kTwListenPort, m.llen);
  m.lfd = make_listener(m.laddr, m.llen);
  int failed = 0;
  for (int t = 0; t < count; ++t)
    if (!m.make(t)) ++failed;
  if (failed) fprintf(stderr, "tablegen: %d TIME-WAIT connections failed\n", failed);
  if (write(ready_fd, "k", 1) != 1) _exit(1);
  close(ready_fd);
  if (!refresh || count == 0) {
    for (;;) pause();
  }
  // Refresh the oldest slice every 250 ms; a full cycle is 120 slices = 30 s < 60 s lifetime.
  constexpr int kSlices = 120;
  int next = 0;
  double tick = now_s();
  long refresh_failed = 0;
  for (;;) {
    tick += 0.25;
    double d = tick - now_s();
    if (d > 0) {
      timespec ts{static_cast<time_t>(d),
                  static_cast<long>((d - static_cast<double>(static_cast<time_t>(d))) * 1e9)};
      nanosleep(&ts, nullptr);
    }
    int per_slice = (count + kSlices - 1) / kSlices;
    for (int i = 0; i < per_slice; ++i) {
      if (!m.make(next)) {
        if (++refresh_failed <= 5)
          fprintf(stderr, "tablegen: refresh #%d: %s\n", next, strerror(errno));
      }
      next = (next + 1) % count;
    }
  }
}

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  long pairs = 100000, v6_pairs = 0, timewait = 20000, per_worker = 9900;
  bool refresh = true;
  for (int i = 1; i < argc; ++i) {
    auto num = [&](const char* name) {
      if (i + 1 >= argc) die("%s needs a value", name);
      return strtol(argv[++i], nullptr, 10);
    };
    if (!strcmp(argv[i], "--pairs"))
      pairs = num("--pairs");
    else if (!strcmp(argv[i], "--v6-pairs"))
      v6_pairs = num("--v6-pairs");
    else if (!strcmp(argv[i], "--timewait"))
      timewait = num("--timewait");
    else if (!strcmp(argv[i], "--pairs-per-worker"))
      per_worker = num("--pairs-per-worker");
    else if (!strcmp(argv[i], "--no-refresh"))
      refresh = false;
    else
      die("unknown argument %s (see the header of bench/tablegen.cpp)", argv[i]);
  }
  if (pairs < 0 || v6_pairs < 0 || timewait < 0 || per_worker <= 0 || per_worker > 9990)
    die("bad sizes");
  if (timewait > 4 * kTwPortsPerAddr * 250L) die("--timewait too large");

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  int ready_pipe[2];
  if (pipe2(ready_pipe, O_CLOEXEC) != 0) die("pipe: %s", strerror(errno));
  pid_t parent = getpid();
  std::vector<pid_t> kids;
  auto spawn = [&](auto&& body) {
    pid_t pid = fork();
    if (pid < 0) die("fork: %s", strerror(errno));
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      close(ready_pipe[0]);
      close(0);
      body(ready_pipe[1]);
    }
    kids.push_back(pid);
  };

  double t0 = now_s();
  int w = 0;
  for (long left = pairs; left > 0; left -= per_worker, ++w) {
    int n = static_cast<int>(left < per_worker ? left : per_worker);
    int id = w;
    spawn([=](int fd) { run_estab_worker(id, n, false, fd); });
  }
  int w6 = 0;
  for (long left = v6_pairs; left > 0; left -= per_worker, ++w6) {
    int n = static_cast<int>(left < per_worker ? left : per_worker);
    int id = w6;
    spawn([=](int fd) { run_estab_worker(id, n, true, fd); });
  }
  spawn([=](int fd) { run_tw_worker(static_cast<int>(timewait), refresh, fd); });
  close(ready_pipe[1]);

  size_t ready = 0;
  while (ready < kids.size() && !g_stop) {
    char buf[64];
    ssize_t n = read(ready_pipe[0], buf, sizeof buf);
    if (n > 0) {
      ready += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // EOF before every worker reported: one died.
    int status = 0;
    pid_t dead = waitpid(-1, &status, WNOHANG);
    fprintf(stderr, "tablegen: a worker exited early (pid %d status %d)\n", dead, status);
    for (pid_t k : kids) kill(k, SIGKILL);
    return 1;
  }
  close(ready_pipe[0]);
  if (g_stop) {
    for (pid_t k : kids) kill(k, SIGKILL);
    return 0;
  }
  long sockets = 2 * (pairs + v6_pairs) + timewait;
  fprintf(stderr, "tablegen: %ld pairs (+%ld v6) + %ld TIME-WAIT in %zu workers, %.2f s\n", pairs,
          v6_pairs, timewait, kids.size(), now_s() - t0);
  printf("ready %ld\n", sockets);
  fflush(stdout);

  // Hold until stdin EOF or a signal; also notice a worker dying.
  while (!g_stop) {
    pollfd p{0, POLLIN, 0};
    int r = poll(&p, 1, 1000);
    if (r > 0) {
      char buf[256];
      ssize_t n = read(0, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    int status = 0;
    pid_t dead = waitpid(-1, &status, WNOHANG);
    if (dead > 0) {
      fprintf(stderr, "tablegen: worker %d died (status %d)\n", dead, status);
      break;
    }
  }
  for (pid_t k : kids) kill(k, SIGKILL);
  for (size_t i = 0; i < kids.size(); ++i) waitpid(-1, nullptr, 0);
  return 0;
}
