// SPDX-License-Identifier: MIT
// tablegen: builds a socket table in the current network namespace and holds it.
//
// Used by the integration tests (tests/integration/test_*.py), which run it inside a fresh
// namespace with `ip netns exec`, wait for the line `ready` on stdout, snapshot the table with
// both ss and tcpscope, then close tablegen's stdin (or send SIGTERM) to tear everything down.
// Plain POSIX on purpose: no project code, so a bug in tcpscope cannot hide in its own test table.
//
// Usage: tablegen [--listen SPEC]... [--connect SPEC]... [--udp SPEC]... [--settle MS]
//
//   --listen ADDR,PORT[,backlog=N][,v6only=0|1][,dev=IF][,mark=N][,uid=N][,noaccept][,reuseport]
//       A TCP listener. ADDR is numeric (127.0.0.1, ::1, ::, 0.0.0.0). `noaccept` marks a
//       listener that tablegen never accept()s from (full accept queue, SYN-RECV scenarios).
//       `reuseport` sets SO_REUSEPORT, so several listeners can share ADDR,PORT (and device).
//   --connect ADDR,PORT[,count=N][,mode=estab|timewait|pending][,keepalive=SECS][,mark=N]
//             [,dev=IF][,uid=N][,unread=BYTES][,shutdown=wr|rd|rdwr]
//       N client connections to ADDR:PORT (IPv4 client for an IPv4 ADDR, IPv6 client otherwise,
//       so 127.0.0.1 to a [::] listener gives a v4-mapped accepted socket).
//       estab    (default) blocking connect, then accept() on this process's listener on PORT;
//                both ends are held.
//       timewait connect + accept all N, close every client, then every accepted socket: the
//                clients end in TIME-WAIT (port ephemeral -> PORT), nothing is held.
//       pending  non-blocking connect, never accepted, held (full accept queue; SYN-RECV when the
//                test drops the final ACK with nftables). tablegen waits briefly for the
//                handshakes that can complete.
//       keepalive/mark/dev/uid apply to the client socket; unread=BYTES has the client write BYTES
//       that the accepted socket never reads (its Recv-Q becomes BYTES); shutdown is applied to
//       the client after the connection is up.
//   --udp ADDR,PORT[,peer=PORT][,v6only=0|1][,fill=N][,mark=N][,dev=IF][,uid=N]
//       A bound UDP socket; with peer= it is connect()ed to ADDR:peer (ESTAB); fill=N queues N
//       64-byte datagrams in its receive queue (only without peer=).
//   --settle MS   sleep before printing `ready` (default 100).
//
// Holds everything until stdin reaches EOF or SIGTERM/SIGINT arrives, then exits 0. Errors go to
// stderr as one line and exit 1. Connections beyond ~18000 descriptors per process are made in
// forked workers (the per-process limit here is 20000); workers die with the parent.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

[[noreturn]] void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::fputs("tablegen: error: ", stderr);
  std::vfprintf(stderr, fmt, ap);
  std::fputc('\n', stderr);
  va_end(ap);
  std::exit(1);
}

[[noreturn]] void die_errno(const char* what, const std::string& ctx) {
  die("%s %s: %s", what, ctx.c_str(), std::strerror(errno));
}

long long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = AF_UNSPEC;
};

Addr make_addr(const std::string& text, int port) {
  Addr a;
  if (text.find(':') == std::string::npos) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&a.ss);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, text.c_str(), &s4->sin_addr) != 1)
      die("bad IPv4 address %s", text.c_str());
    a.len = sizeof(sockaddr_in);
    a.family = AF_INET;
  } else {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, text.c_str(), &s6->sin6_addr) != 1)
      die("bad IPv6 address %s", text.c_str());
    a.len = sizeof(sockaddr_in6);
    a.family = AF_INET6;
  }
  return a;
}

long parse_num(std::string_view s, const std::string& ctx) {
  if (s.empty()) die("empty number in %s", ctx.c_str());
  char* end = nullptr;
  std::string tmp(s);
  errno = 0;
  long v = std::strtol(tmp.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || v < 0) die("bad number '%s' in %s", tmp.c_str(), ctx.c_str());
  return v;
}

// "ADDR,PORT,key=val,flag" -> addr, port, options.
struct Spec {
  std::string text;
  std::string addr;
  int port = 0;
  std::vector<std::pair<std::string, std::string>> opts;

  std::optional<std::string> get(const std::string& key) const {
    for (const auto& [k, v] : opts)
      if (k == key) return v;
    return std::nullopt;
  }
  long num(const std::string& key, long def) const {
    auto v = get(key);
    return v ? parse_num(*v, text) : def;
  }
  bool flag(const std::string& key) const { return get(key).has_value(); }
};

Spec parse_spec(const std::string& text, const std::vector<std::string_view>& allowed) {
  Spec s;
  s.text = text;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    parts.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.size() < 2) die("spec '%s' needs ADDR,PORT", text.c_str());
  s.addr = parts[0];
  s.port = static_cast<int>(parse_num(parts[1], text));
  if (s.port > 65535) die("bad port in '%s'", text.c_str());
  for (size_t i = 2; i < parts.size(); ++i) {
    const auto& p = parts[i];
    size_t eq = p.find('=');
    std::string key = p.substr(0, eq);
    std::string val = eq == std::string::npos ? "" : p.substr(eq + 1);
    bool ok = false;
    for (auto a : allowed) ok = ok || key == a;
    if (!ok) die("unknown option '%s' in '%s'", key.c_str(), text.c_str());
    s.opts.emplace_back(key, val);
  }
  return s;
}

// Creates a socket whose owner uid is `uid` (the kernel takes it from the caller's fsuid).
int make_socket(int family, int type, long uid, const std::string& ctx) {
  if (uid >= 0) setfsuid(static_cast<uid_t>(uid));
  int fd = socket(family, type | SOCK_CLOEXEC, 0);
  int saved = errno;
  if (uid >= 0) setfsuid(0);
  errno = saved;
  if (fd < 0) die_errno("socket", ctx);
  return fd;
}

void setint(int fd, int level, int opt, int val, const char* name, const std::string& ctx) {
  if (setsockopt(fd, level, opt, &val, sizeof val) != 0) die_errno(name, ctx);
}

void apply_common(int fd, const Spec& s) {
  if (auto dev = s.get("dev")) {
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev->c_str(),
                   static_cast<socklen_t>(dev->size())) != 0)
      die_errno("SO_BINDTODEVICE", s.text);
  }
  if (s.flag("mark"))
    setint(fd, SOL_SOCKET, SO_MARK, static_cast<int>(s.num("mark", 0)), "SO_MARK", s.text);
}

struct Listener {
  int fd = -1;
  int family = AF_UNSPEC;
  int port = 0;
  bool accepts = true;
  std::string text;
};

std::vector<Listener> g_listeners;
std::vector<int> g_held;          // every descriptor kept open until exit
std::vector<pid_t> g_workers;     // forked workers holding their own descriptors
std::vector<int> g_worker_holds;  // write ends; workers exit when these close
constexpr size_t kFdBudget = 18000;

void make_listener(const Spec& s) {
  Addr a = make_addr(s.addr, s.port);
  int fd = make_socket(a.family, SOCK_STREAM, s.num("uid", -1), s.text);
  setint(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR", s.text);
  if (s.flag("reuseport")) setint(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", s.text);
  if (s.flag("v6only")) {
    if (a.family != AF_INET6) die("v6only on an IPv4 listener: %s", s.text.c_str());
    setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, static_cast<int>(s.num("v6only", 1)), "IPV6_V6ONLY",
           s.text);
  } else if (a.family == AF_INET6) {
    // Do not depend on net.ipv6.bindv6only: `::` without v6only= means dual-stack.
    setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY", s.text);
  }
  apply_common(fd, s);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) die_errno("bind", s.text);
  if (listen(fd, static_cast<int>(s.num("backlog", 128))) != 0) die_errno("listen", s.text);
  g_listeners.push_back({fd, a.family, s.port, !s.flag("noaccept"), s.text});
  g_held.push_back(fd);
}

Listener* find_listener(const Addr& dst, int port) {
  Listener* best = nullptr;
  for (auto& l : g_listeners) {
    if (l.port != port) continue;
    if (dst.family == l.family) return &l;
    if (!best && l.family == AF_INET6 && dst.family == AF_INET) best = &l;  // dual-stack
    if (!best && l.family == AF_INET && dst.family == AF_INET6) best = &l;  // ::ffff: client
  }
  return best;
}

int accept_one(Listener& l, const std::string& ctx) {
  while (true) {
    int c = accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) return c;
    if (errno != EINTR) die_errno("accept", ctx);
  }
}

int client_socket(const Spec& s, const Addr& dst, bool nonblock) {
  int fd = make_socket(dst.family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), s.num("uid", -1),
                       s.text);
  apply_common(fd, s);
  if (s.flag("keepalive")) {
    setint(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE", s.text);
    setint(fd, IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(s.num("keepalive", 600)), "TCP_KEEPIDLE",
           s.text);
  }
  return fd;
}

void write_all(int fd, long bytes, const std::string& ctx) {
  std::vector<char> buf(65536, 'x');
  while (bytes > 0) {
    size_t n = static_cast<size_t>(std::min<long>(bytes, static_cast<long>(buf.size())));
    ssize_t w = write(fd, buf.data(), n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die_errno("write", ctx);
    }
    bytes -= w;
  }
}

// Waits until `fd` has exactly `bytes` readable bytes queued (loopback delivery is nearly
// immediate, but the test must not snapshot a half-filled queue).
void wait_queued(int fd, long bytes, const std::string& ctx) {
  long long deadline = now_ms() + 3000;
  while (true) {
    int q = 0;
    if (ioctl(fd, FIONREAD, &q) != 0) die_errno("FIONREAD", ctx);
    if (q == bytes) return;
    if (now_ms() > deadline) die("receive queue has %d bytes, want %ld: %s", q, bytes, ctx.c_str());
    sleep_ms(5);
  }
}

void do_shutdown(int fd, const Spec& s) {
  auto how = s.get("shutdown");
  if (!how) return;
  int h = *how == "wr" ? SHUT_WR : *how == "rd" ? SHUT_RD : *how == "rdwr" ? SHUT_RDWR : -1;
  if (h < 0) die("bad shutdown= in %s", s.text.c_str());
  if (shutdown(fd, h) != 0) die_errno("shutdown", s.text);
}

// estab: count blocking connects, each accepted on the matching listener; all held.
void run_estab(const Spec& s, long count, std::vector<int>& held) {
  Addr dst = make_addr(s.addr, s.port);
  Listener* l = find_listener(dst, s.port);
  if (!l || !l->accepts) die("no accepting listener in this tablegen for %s", s.text.c_str());
  long unread = s.num("unread", 0);
  for (long i = 0; i < count; ++i) {
    int c = client_socket(s, dst, false);
    if (connect(c, reinterpret_cast<sockaddr*>(&dst.ss), dst.len) != 0)
      die_errno("connect", s.text);
    int a = accept_one(*l, s.text);
    held.push_back(c);
    held.push_back(a);
    if (unread > 0) {
      write_all(c, unread, s.text);
      wait_queued(a, unread, s.text);
    }
    do_shutdown(c, s);
  }
}

void run_timewait(const Spec& s, long count) {
  Addr dst = make_addr(s.addr, s.port);
  Listener* l = find_listener(dst, s.port);
  if (!l || !l->accepts) die("no accepting listener in this tablegen for %s", s.text.c_str());
  constexpr long kBatch = 5000;
  for (long done = 0; done < count;) {
    long n = std::min(kBatch, count - done);
    std::vector<int> clients, servers;
    for (long i = 0; i < n; ++i) {
      int c = client_socket(s, dst, false);
      if (connect(c, reinterpret_cast<sockaddr*>(&dst.ss), dst.len) != 0)
        die_errno("connect", s.text);
      clients.push_back(c);
      servers.push_back(accept_one(*l, s.text));
    }
    // Client closes first (FIN_WAIT2), the server then closes (LAST_ACK), so the client side ends
    // in TIME-WAIT and the server side disappears.
    for (int c : clients) close(c);
    sleep_ms(50);
    for (int a : servers) close(a);
    done += n;
  }
  sleep_ms(50);
}

void run_pending(const Spec& s, long count, std::vector<int>& held) {
  Addr dst = make_addr(s.addr, s.port);
  std::vector<int> fds;
  for (long i = 0; i < count; ++i) {
    int c = client_socket(s, dst, true);
    if (connect(c, reinterpret_cast<sockaddr*>(&dst.ss), dst.len) != 0 && errno != EINPROGRESS)
      die_errno("connect", s.text);
    fds.push_back(c);
    held.push_back(c);
  }
  // Give the handshakes that can complete time to do so; the rest stay SYN-SENT.
  long long deadline = now_ms() + s.num("wait", 300);
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLOUT, 0});
  while (now_ms() < deadline) {
    for (auto& p : pfds) p.revents = 0;
    int left = 0;
    for (auto& p : pfds) left += p.fd >= 0;
    if (left == 0) break;
    int r = poll(pfds.data(), pfds.size(), 20);
    if (r < 0 && errno != EINTR) die_errno("poll", s.text);
    for (auto& p : pfds)
      if (p.fd >= 0 && (p.revents & (POLLOUT | POLLERR | POLLHUP))) p.fd = -1;
  }
}

// Runs `fn(chunk, held)` in a forked worker that holds the chunk's descriptors until the parent
// goes away. Returns once the worker reports it has built its part of the table.
template <typename Fn>
void in_worker(const Spec& s, long chunk, Fn fn) {
  int done[2], hold[2];
  if (pipe2(done, O_CLOEXEC) != 0 || pipe2(hold, O_CLOEXEC) != 0) die_errno("pipe", s.text);
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die_errno("fork", s.text);
  if (pid == 0) {
    // The parent blocks SIGTERM for its signalfd; a worker must die of it (or of its parent's
    // exit).
    sigset_t all;
    sigemptyset(&all);
    sigaddset(&all, SIGTERM);
    sigaddset(&all, SIGINT);
    sigprocmask(SIG_UNBLOCK, &all, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == 1) _exit(0);
    close(done[0]);
    close(hold[1]);
    for (int w : g_worker_holds) close(w);
    std::vector<int> held;
    fn(chunk, held);
    char ok = 'k';
    if (write(done[1], &ok, 1) != 1) _exit(1);
    char b;
    while (read(hold[0], &b, 1) < 0 && errno == EINTR) {
    }
    _exit(0);
  }
  close(done[1]);
  close(hold[0]);
  char b = 0;
  ssize_t r;
  while ((r = read(done[0], &b, 1)) < 0 && errno == EINTR) {
  }
  close(done[0]);
  if (r != 1) die("worker for %s failed", s.text.c_str());
  g_workers.push_back(pid);
  g_worker_holds.push_back(hold[1]);
}

void make_connections(const Spec& s) {
  long count = s.num("count", 1);
  std::string mode = s.get("mode").value_or("estab");
  if (mode == "timewait") {
    run_timewait(s, count);
    return;
  }
  if (mode != "estab" && mode != "pending") die("bad mode in %s", s.text.c_str());
  long per = mode == "estab" ? 2 : 1;
  auto fn = [&](long n, std::vector<int>& held) {
    if (mode == "estab")
      run_estab(s, n, held);
    else
      run_pending(s, n, held);
  };
  while (count > 0) {
    size_t room = g_held.size() < kFdBudget ? kFdBudget - g_held.size() : 0;
    long fit = static_cast<long>(room) / per;
    if (count <= fit) {
      fn(count, g_held);
      return;
    }
    long chunk = std::min<long>(count, static_cast<long>(kFdBudget) / per);
    in_worker(s, chunk, fn);
    count -= chunk;
  }
}

void make_udp(const Spec& s) {
  Addr a = make_addr(s.addr, s.port);
  int fd = make_socket(a.family, SOCK_DGRAM, s.num("uid", -1), s.text);
  if (a.family == AF_INET6)
    setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, static_cast<int>(s.num("v6only", 0)), "IPV6_V6ONLY",
           s.text);
  apply_common(fd, s);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) die_errno("bind", s.text);
  g_held.push_back(fd);
  if (s.flag("peer")) {
    Addr p = make_addr(s.addr, static_cast<int>(s.num("peer", 0)));
    if (connect(fd, reinterpret_cast<sockaddr*>(&p.ss), p.len) != 0) die_errno("connect", s.text);
  }
  long fill = s.num("fill", 0);
  if (fill > 0) {
    if (s.flag("peer")) die("fill= needs an unconnected socket: %s", s.text.c_str());
    int tx = make_socket(a.family, SOCK_DGRAM, -1, s.text);
    char buf[64];
    std::memset(buf, 'u', sizeof buf);
    for (long i = 0; i < fill; ++i)
      if (sendto(tx, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&a.ss), a.len) != sizeof buf)
        die_errno("sendto", s.text);
    close(tx);
    long long deadline = now_ms() + 3000;
    // FIONREAD on UDP gives the next datagram's size; count queued datagrams via SIOCINQ-free
    // polling: just wait until something is readable and give the rest a moment.
    pollfd p{fd, POLLIN, 0};
    while (poll(&p, 1, 50) == 0 && now_ms() < deadline) {
    }
    if (!(p.revents & POLLIN)) die("datagrams did not arrive: %s", s.text.c_str());
  }
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals first so they are only ever seen through the signalfd below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();

  std::vector<Spec> listens, connects, udps;
  long settle = 100;
  static const std::vector<std::string_view> kListenOpts = {
      "backlog", "v6only", "dev", "mark", "uid", "noaccept", "reuseport"};
  static const std::vector<std::string_view> kConnectOpts = {
      "count", "mode", "keepalive", "mark", "dev", "uid", "unread", "shutdown", "wait"};
  static const std::vector<std::string_view> kUdpOpts = {"peer", "v6only", "fill",
                                                         "mark", "dev",    "uid"};
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::puts(
          "usage: tablegen [--listen SPEC]... [--connect SPEC]... [--udp SPEC]... "
          "[--settle MS]  (see the comment at the top of tablegen.cpp)");
      return 0;
    }
    if (i + 1 >= argc) die("%s needs a value", argv[i]);
    std::string val = argv[++i];
    if (arg == "--listen")
      listens.push_back(parse_spec(val, kListenOpts));
    else if (arg == "--connect")
      connects.push_back(parse_spec(val, kConnectOpts));
    else if (arg == "--udp")
      udps.push_back(parse_spec(val, kUdpOpts));
    else if (arg == "--settle")
      settle = parse_num(val, "--settle");
    else
      die("unknown argument %s", argv[i - 1]);
  }

  for (const auto& s : listens) make_listener(s);
  for (const auto& s : connects) make_connections(s);
  for (const auto& s : udps) make_udp(s);
  sleep_ms(settle);

  int sfd = signalfd(-1, &stop, SFD_CLOEXEC);
  if (sfd < 0) die_errno("signalfd", "");
  std::printf("ready\n");
  std::fflush(stdout);

  pollfd p[2] = {{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}};
  char buf[256];
  bool running = true;
  while (running) {
    int r = poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents) break;
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
      if (p[0].revents & POLLNVAL) {
        p[0].fd = -1;  // no stdin at all: wait for a signal only
        continue;
      }
      ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) running = false;
    }
  }
  for (int w : g_worker_holds) close(w);
  for (pid_t pid : g_workers) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  return 0;
}
