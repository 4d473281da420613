// SPDX-License-Identifier: MIT
// closegen: opens and closes loopback TCP connections as fast as asked, to measure readers of
// the kernel's socket-destroy events (`tcpscope watch`, `ss -E`).
//
// Usage: closegen --procs P --rate R --seconds S [--port BASE] [--bytes N]
//   P worker processes, each with its own listener on 127.0.0.1:BASE+i; each loops: connect,
//   accept, the client sends N bytes (default 0), the server closes, the client closes. R is the
//   total target in connections per second (0: as fast as possible), shared by the workers and
//   paced in 10 ms slices. Every connection frees two sockets (two events). Run it in a
//   namespace with net.ipv4.tcp_max_tw_buckets=0 so no TIME-WAIT piles up and ports stay free.
// Prints "done CONNECTIONS SECONDS" (the sum of the workers) on stdout at the end.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Args {
  int procs = 2;
  double rate = 0;
  double seconds = 10;
  int port = 40000;
  int bytes = 0;
};

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

long worker(const Args& a, int index) {
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0) die("socket");
  int one = 1;
  ::setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(a.port + index));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
  if (::listen(l, 128) < 0) die("listen");
  std::vector<char> payload(static_cast<size_t>(std::max(a.bytes, 1)), 'x');
  const double per_worker = a.rate / a.procs;
  const auto start = std::chrono::steady_clock::now();
  const auto end = start + std::chrono::duration<double>(a.seconds);
  long done = 0;
  char buf[65536];
  while (std::chrono::steady_clock::now() < end) {
    if (per_worker > 0) {
      // Pace: never ahead of rate * elapsed (10 ms slices).
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (static_cast<double>(done) >= per_worker * elapsed) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
    }
    const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) die("socket");
    if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("connect");
    const int s = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) die("accept");
    if (a.bytes > 0) {
      if (::send(c, payload.data(), static_cast<size_t>(a.bytes), 0) < 0) die("send");
      int got = 0;
      while (got < a.bytes) {
        const ssize_t n = ::recv(s, buf, sizeof buf, 0);
        if (n <= 0) break;
        got += static_cast<int>(n);
      }
    }
    ::close(s);
    ::close(c);
    ++done;
  }
  ::close(l);
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--procs")
      a.procs = std::atoi(v);
    else if (k == "--rate")
      a.rate = std::atof(v);
    else if (k == "--seconds")
      a.seconds = std::atof(v);
    else if (k == "--port")
      a.port = std::atoi(v);
    else if (k == "--bytes")
      a.bytes = std::atoi(v);
    else {
      std::fprintf(stderr, "closegen: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (a.procs < 1 || a.procs > 64) {
    std::fprintf(stderr, "closegen: --procs from 1 to 64\n");
    return 2;
  }
  std::vector<int> pipes;
  std::vector<pid_t> pids;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < a.procs; ++i) {
    int fds[2];
    if (::pipe(fds) < 0) die("pipe");
    const pid_t p = ::fork();
    if (p < 0) die("fork");
    if (p == 0) {
      ::close(fds[0]);
      const long n = worker(a, i);
      (void)!::write(fds[1], &n, sizeof n);
      ::_exit(0);
    }
    ::close(fds[1]);
    pipes.push_back(fds[0]);
    pids.push_back(p);
  }
  long total = 0;
  for (int fd : pipes) {
    long n = 0;
    if (::read(fd, &n, sizeof n) == sizeof n) total += n;
    ::close(fd);
  }
  for (pid_t p : pids) ::waitpid(p, nullptr, 0);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("done %ld %.3f\n", total, secs);
  return 0;
}
