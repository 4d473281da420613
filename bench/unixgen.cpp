// SPDX-License-Identifier: MIT
// unixgen: a large table of unix stream sockets for bench/run's -x labels.
//
//   unixgen --sockets N --dir DIR
//
// Builds N unix sockets as N/2 connected pairs, spread over worker processes of at most 8,000
// pairs each (a process may hold 20,000 descriptors here). Each worker has a listener bound to
// DIR/w<i>.sock; half its pairs are connect()+accept() on it (the accepted end carries the
// path's name), half socketpair() (unnamed). Prints "ready" when every worker holds its sockets,
// then waits for its standard input to close (or SIGTERM) and stops the workers.
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr long kPairsPerWorker = 8000;

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

void worker(int index, long pairs, const std::string& dir, int ready_fd) {
  rlimit rl{};
  rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(2 * pairs + 64);
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit");
  const std::string path = dir + "/w" + std::to_string(index) + ".sock";
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  unlink(path.c_str());
  const int l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || bind(l, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(l, 128) != 0) {
    die("listener");
  }
  for (long i = 0; i < pairs; ++i) {
    if (i % 2 == 0) {
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) die("socketpair");
    } else {
      const int c = socket(AF_UNIX, SOCK_STREAM, 0);
      if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("connect");
      if (accept(l, nullptr, nullptr) < 0) die("accept");
    }
  }
  const char one = 'r';
  if (write(ready_fd, &one, 1) != 1) die("write");
  close(ready_fd);
  pause();  // until the parent's SIGTERM
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  long sockets = 0;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--sockets") == 0) sockets = std::atol(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  if (sockets <= 0) {
    std::fprintf(stderr, "usage: unixgen --sockets N --dir DIR\n");
    return 2;
  }
  long pairs = sockets / 2;
  int pipefd[2];
  if (pipe(pipefd) != 0) die("pipe");
  std::vector<pid_t> pids;
  for (int w = 0; pairs > 0; ++w) {
    const long n = pairs < kPairsPerWorker ? pairs : kPairsPerWorker;
    pairs -= n;
    const pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      close(pipefd[0]);
      worker(w, n, dir, pipefd[1]);
    }
    pids.push_back(pid);
  }
  close(pipefd[1]);
  for (size_t i = 0; i < pids.size(); ++i) {
    char c;
    if (read(pipefd[0], &c, 1) != 1) {
      std::fprintf(stderr, "unixgen: a worker failed\n");
      for (pid_t p : pids) kill(p, SIGKILL);
      return 1;
    }
  }
  std::fprintf(stderr, "unixgen: %ld sockets in %zu workers\n", sockets / 2 * 2, pids.size());
  std::printf("ready\n");
  std::fflush(stdout);
  char buf[64];
  while (read(STDIN_FILENO, buf, sizeof buf) > 0) {
  }
  for (pid_t p : pids) kill(p, SIGTERM);
  for (pid_t p : pids) waitpid(p, nullptr, 0);
  return 0;
}
