// SPDX-License-Identifier: MIT
// bench/runstat: runs one command with stdout (and optionally stderr) sent to /dev/null and
// prints its cost from wait4()'s rusage on one line:
//
//   <user_s> <sys_s> <maxrss_kib> <wall_s> <exit_status>
//
// user+sys are the kernel's precise per-task runtime (the split between them is sampled, the sum
// is exact), so sub-10 ms commands are measured better than with /usr/bin/time's %U/%S.
// ru_maxrss is the child's peak RSS; it includes the ~1 MiB this tiny process has mapped at fork
// time only if that is larger than the command's own peak (the kernel takes the max at exec).
//
// Usage: runstat [--keep-stderr] -- COMMAND [ARGS...]
// Run it under `ip netns exec NS` so the command inherits the namespace without paying for
// `ip` itself.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  bool keep_stderr = false;
  int i = 1;
  for (; i < argc; ++i) {
    if (!strcmp(argv[i], "--keep-stderr"))
      keep_stderr = true;
    else if (!strcmp(argv[i], "--")) {
      ++i;
      break;
    } else
      break;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: runstat [--keep-stderr] -- COMMAND [ARGS...]\n");
    return 2;
  }
  timespec t0{}, t1{};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    perror("runstat: fork");
    return 1;
  }
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    if (!keep_stderr) dup2(null, 2);
    execvp(argv[i], argv + i);
    perror("runstat: exec");
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("runstat: wait4");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double wall = static_cast<double>(t1.tv_sec - t0.tv_sec) +
                static_cast<double>(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("%.6f %.6f %ld %.6f %d\n",
         static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6,
         static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6,
         ru.ru_maxrss, wall, code);
  return 0;
}
