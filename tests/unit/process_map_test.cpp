// SPDX-License-Identifier: MIT
// ProcessMap's two walks. Without privilege: the method switch (TCPSCOPE_PROCESS_MAP), the
// /proc walk over a fake tree, and that kAuto never tries BPF on a redirected proc root. As
// root (skipped otherwise; also without kernel BTF or libbpf.so.1): the BPF walk equals the
// /proc walk on the live host, with this process, two forked children sharing its sockets
// (one with 40 threads, one of which has its own descriptor table) and an O_PATH descriptor of
// a socket file; and with CAP_BPF/CAP_PERFMON/CAP_SYS_ADMIN dropped, kAuto falls back to the
// /proc walk while a forced kBpf reports an error.
#include "source/process_map.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace tcpscope::source {
namespace {

using Row = std::tuple<uint32_t, int32_t, int32_t, std::string>;

std::vector<Row> rows(const ProcessMap& m) {
  std::vector<Row> out;
  for (const SocketOwner& o : m.entries()) {
    out.emplace_back(o.inode, o.pid, o.fd, std::string(m.name(o)));
  }
  return out;
}

std::string describe(const Row& r) {
  return "inode " + std::to_string(std::get<0>(r)) + " pid " + std::to_string(std::get<1>(r)) +
         " fd " + std::to_string(std::get<2>(r)) + " \"" + std::get<3>(r) + "\"";
}

// Rows in one list but not the other (both sorted the same way), at most 20 lines.
std::string diff(const std::vector<Row>& a, const std::vector<Row>& b) {
  std::string out;
  int lines = 0;
  size_t i = 0, j = 0;
  auto less = [](const Row& x, const Row& y) {
    if (std::get<0>(x) != std::get<0>(y)) return std::get<0>(x) < std::get<0>(y);
    if (std::get<1>(x) != std::get<1>(y)) return std::get<1>(x) > std::get<1>(y);
    if (std::get<2>(x) != std::get<2>(y)) return std::get<2>(x) > std::get<2>(y);
    return std::get<3>(x) < std::get<3>(y);
  };
  while ((i < a.size() || j < b.size()) && lines < 20) {
    if (j == b.size() || (i < a.size() && less(a[i], b[j]))) {
      out += "  only in bpf:  " + describe(a[i++]) + "\n";
      ++lines;
    } else if (i == a.size() || less(b[j], a[i])) {
      out += "  only in proc: " + describe(b[j++]) + "\n";
      ++lines;
    } else {
      ++i, ++j;
    }
  }
  return out;
}

uint32_t inode_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0);
  return static_cast<uint32_t>(st.st_ino);
}

class EnvGuard {
 public:
  explicit EnvGuard(const char* value) {
    if (const char* v = std::getenv(kName)) saved_ = v, had_ = true;
    if (value != nullptr) {
      ::setenv(kName, value, 1);
    } else {
      ::unsetenv(kName);
    }
  }
  ~EnvGuard() {
    if (had_) {
      ::setenv(kName, saved_.c_str(), 1);
    } else {
      ::unsetenv(kName);
    }
  }

 private:
  static constexpr const char* kName = "TCPSCOPE_PROCESS_MAP";
  std::string saved_;
  bool had_ = false;
};

// Why the BPF walk cannot be expected to work here, or "" when it must.
std::string bpf_unavailable() {
  if (::geteuid() != 0) return "needs root";
  if (::access("/sys/kernel/btf/vmlinux", R_OK) != 0) return "no kernel BTF";
  void* h = ::dlopen("libbpf.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) return "no libbpf.so.1";
  ::dlclose(h);
  return "";
}

TEST(ProcessMap, MethodFromEnvironment) {
  {
    EnvGuard env(nullptr);
    auto m = ProcessMap::method_from_env();
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, ProcessMapMethod::kAuto);
  }
  for (auto [text, want] :
       {std::pair{"", ProcessMapMethod::kAuto}, std::pair{"auto", ProcessMapMethod::kAuto},
        std::pair{"proc", ProcessMapMethod::kProc}, std::pair{"bpf", ProcessMapMethod::kBpf}}) {
    EnvGuard env(text);
    auto m = ProcessMap::method_from_env();
    ASSERT_TRUE(m) << text;
    EXPECT_EQ(*m, want) << text;
  }
  EnvGuard env("ebpf");
  auto m = ProcessMap::method_from_env();
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind(), ErrorKind::kUsage);
  auto s = ProcessMap::scan("/proc");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind(), ErrorKind::kUsage);
}

TEST(ProcessMap, ForcedProcWalk) {
  EnvGuard env("proc");
  auto m = ProcessMap::scan("/proc");
  ASSERT_TRUE(m) << m.error().what();
  EXPECT_EQ(m->method(), ProcessMapMethod::kProc);
}

// A fake proc tree: kAuto must walk it (BPF knows nothing of it), with ss's owner order.
TEST(ProcessMap, AutoWalksRedirectedProcRoot) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("tcpscope-pmap-" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (int pid : {4242, 77}) {
    fs::create_directories(root / std::to_string(pid) / "fd");
  }
  std::ofstream(root / "4242" / "stat") << "4242 (fake (name)) S 1 1 1 0 -1\n";
  std::ofstream(root / "77" / "stat") << "77 (other) S 1 1 1 0 -1\n";
  fs::create_symlink("socket:[777]", root / "4242" / "fd" / "3");
  fs::create_symlink("socket:[777]", root / "4242" / "fd" / "12");
  fs::create_symlink("/dev/null", root / "4242" / "fd" / "4");
  fs::create_symlink("socket:[777]", root / "77" / "fd" / "9");
  fs::create_symlink("socket:[778]", root / "77" / "fd" / "10");
  fs::create_symlink("anon_inode:[eventfd]", root / "77" / "fd" / "11");

  EnvGuard env(nullptr);
  auto m = ProcessMap::scan(root.string());
  fs::remove_all(root);
  ASSERT_TRUE(m) << m.error().what();
  EXPECT_EQ(m->method(), ProcessMapMethod::kProc);
  EXPECT_EQ(rows(*m), (std::vector<Row>{{777, 4242, 12, "fake (name)"},
                                        {777, 4242, 3, "fake (name)"},
                                        {777, 77, 9, "other"},
                                        {778, 77, 10, "other"}}));
  auto owners = m->owners(777);
  ASSERT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners[0].fd, 12);
  EXPECT_TRUE(m->owners(779).empty());
}

// Children that hold sockets until the test ends; killed and reaped by pid whatever happens.
class Children {
 public:
  ~Children() {
    for (pid_t p : pids_) ::kill(p, SIGKILL);
    for (pid_t p : pids_) ::waitpid(p, nullptr, 0);
  }
  void add(pid_t p) { pids_.push_back(p); }

 private:
  std::vector<pid_t> pids_;
};

void write_all(int fd, const void* p, size_t n) {
  if (::write(fd, p, n) != static_cast<ssize_t>(n)) ::_exit(90);
}

// Child: names itself, optionally runs `threads` idle threads (one of them with its own
// descriptor table and a socket in it), reports that socket's inode (0 without threads) on
// `report`, then waits for EOF on `hold`.
[[noreturn]] void child_main(const char* name, int threads, int report, int hold) {
  ::prctl(PR_SET_NAME, name);
  uint32_t own_inode = 0;
  std::vector<std::thread> ts;
  if (threads > 0) {
    int ready[2];
    if (::pipe(ready) != 0) ::_exit(91);
    for (int i = 0; i < threads - 1; ++i) {
      ts.emplace_back([hold] {
        char c;
        while (::read(hold, &c, 1) > 0) {
        }
      });
    }
    ts.emplace_back([ready, hold] {
      // A thread with its own table: /proc never shows it (only leaders are listed), so the
      // BPF walk must skip it as well.
      if (::unshare(CLONE_FILES) != 0) ::_exit(92);
      int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      struct stat st {};
      if (s < 0 || ::fstat(s, &st) != 0) ::_exit(93);
      uint32_t ino = static_cast<uint32_t>(st.st_ino);
      write_all(ready[1], &ino, sizeof ino);
      char c;
      while (::read(hold, &c, 1) > 0) {
      }
    });
    if (::read(ready[0], &own_inode, sizeof own_inode) != sizeof own_inode) ::_exit(94);
  }
  write_all(report, &own_inode, sizeof own_inode);
  char c;
  while (::read(hold, &c, 1) > 0) {
  }
  ::_exit(0);  // the threads die with the process
}

struct Fixture {
  int pair[2] = {-1, -1};
  int listener = -1;
  int high_fd = -1;  // a dup of the listener far above the others
  int opath = -1;    // O_PATH descriptor of a bound unix socket's file (not a sockfs inode)
  int path_sock = -1;
  int hold[2] = {-1, -1};
  std::string path;
  uint32_t unshared_inode = 0;
  pid_t threaded = 0, plain = 0;
  Children children;

  ~Fixture() {
    for (int fd : {pair[0], pair[1], listener, high_fd, opath, path_sock, hold[0], hold[1]}) {
      if (fd >= 0) ::close(fd);
    }
    if (!path.empty()) ::unlink(path.c_str());
  }

  void start() {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
    listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 4), 0);
    high_fd = ::fcntl(listener, F_DUPFD_CLOEXEC, 700);
    ASSERT_GE(high_fd, 700);
    path = "/tmp/tcpscope-pmap-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    path_sock = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un u{};
    u.sun_family = AF_UNIX;
    std::strncpy(u.sun_path, path.c_str(), sizeof u.sun_path - 1);
    ASSERT_EQ(::bind(path_sock, reinterpret_cast<sockaddr*>(&u), sizeof u), 0);
    opath = ::open(path.c_str(), O_PATH | O_CLOEXEC);
    ASSERT_GE(opath, 0);
    ASSERT_EQ(::pipe2(hold, O_CLOEXEC), 0);
    int report[2];
    ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
    // fork() in a test binary: the children never return into gtest.
    threaded = ::fork();
    ASSERT_GE(threaded, 0);
    if (threaded == 0) {
      ::close(hold[1]);
      child_main("pmap-threads", 40, report[1], hold[0]);
    }
    children.add(threaded);
    plain = ::fork();
    ASSERT_GE(plain, 0);
    if (plain == 0) {
      ::close(hold[1]);
      child_main("pmap-plain", 0, report[1], hold[0]);
    }
    children.add(plain);
    ::close(report[1]);
    uint32_t got[2] = {0, 0};
    for (uint32_t& v : got) ASSERT_EQ(::read(report[0], &v, sizeof v), ssize_t{sizeof v});
    ::close(report[0]);
    unshared_inode = got[0] != 0 ? got[0] : got[1];
    ASSERT_NE(unshared_inode, 0u);
  }
};

// The two walks on the live host. Other processes come and go: a difference is retried a few
// times before it counts.
TEST(ProcessMap, BpfWalkEqualsProcWalk) {
  if (auto why = bpf_unavailable(); !why.empty()) GTEST_SKIP() << why;
  Fixture f;
  ASSERT_NO_FATAL_FAILURE(f.start());

  std::string last;
  bool same = false;
  for (int attempt = 0; attempt < 8 && !same; ++attempt) {
    if (attempt > 0) ::usleep(100 * 1000);
    auto b = ProcessMap::scan("/proc", ProcessMapMethod::kBpf);
    auto p = ProcessMap::scan("/proc", ProcessMapMethod::kProc);
    ASSERT_TRUE(b) << b.error().what();
    ASSERT_TRUE(p) << p.error().what();
    ASSERT_EQ(b->method(), ProcessMapMethod::kBpf);
    ASSERT_EQ(p->method(), ProcessMapMethod::kProc);
    last = diff(rows(*b), rows(*p));
    same = last.empty();
    if (!same) continue;

    // What this test's own processes must look like in both (same, so check one).
    const ProcessMap& m = *b;
    const int32_t self = ::getpid();
    const int32_t hi = std::max(f.threaded, f.plain), lo = std::min(f.threaded, f.plain);
    auto shared = m.owners(inode_of(f.pair[0]));
    ASSERT_EQ(shared.size(), 3u);
    EXPECT_EQ(shared[0].pid, hi);
    EXPECT_EQ(shared[1].pid, lo);
    EXPECT_EQ(shared[2].pid, self);
    for (const SocketOwner& o : shared) EXPECT_EQ(o.fd, f.pair[0]);
    EXPECT_EQ(m.name(shared[0]), hi == f.threaded ? "pmap-threads" : "pmap-plain");
    auto l = m.owners(inode_of(f.listener));
    ASSERT_EQ(l.size(), 6u);  // two fds in each of three processes
    EXPECT_EQ(l[0].fd, f.high_fd);
    EXPECT_EQ(l[1].fd, f.listener);
    EXPECT_EQ(l[4].pid, self);
    // One entry per process, not per thread: 40 threads, still two fds.
    size_t threaded_entries = 0;
    for (const SocketOwner& o : l) threaded_entries += o.pid == f.threaded;
    EXPECT_EQ(threaded_entries, 2u);
    EXPECT_TRUE(m.owners(f.unshared_inode).empty()) << "a non-leader thread's own table";
    EXPECT_TRUE(m.owners(inode_of(f.opath)).empty()) << "an O_PATH socket file";
    auto ps = m.owners(inode_of(f.path_sock));
    ASSERT_EQ(ps.size(), 3u);
  }
  EXPECT_TRUE(same) << "BPF walk vs /proc walk, last attempt:\n" << last;
}

// Above kBpfMinOpenFiles open files on the host, kAuto takes the BPF walk.
TEST(ProcessMap, AutoUsesBpfOnManyFiles) {
  if (auto why = bpf_unavailable(); !why.empty()) GTEST_SKIP() << why;
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit more{16384, std::max<rlim_t>(old.rlim_max, 16384)};
  if (::setrlimit(RLIMIT_NOFILE, &more) != 0) GTEST_SKIP() << "cannot raise RLIMIT_NOFILE";
  std::vector<int> fds;
  // Each open() is its own struct file (a dup would share one): fs.file-nr counts files.
  for (int i = 0; i < 9000; ++i) {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  EnvGuard env(nullptr);
  auto m = ProcessMap::scan("/proc");
  for (int fd : fds) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &old);
  ASSERT_EQ(fds.size(), 9000u);
  ASSERT_TRUE(m) << m.error().what();
  EXPECT_EQ(m->method(), ProcessMapMethod::kBpf);
}

// Without the capabilities (dropped in a child), kAuto silently walks /proc and a forced kBpf
// fails with a message.
TEST(ProcessMap, FallsBackWithoutCapabilities) {
  if (auto why = bpf_unavailable(); !why.empty()) GTEST_SKIP() << why;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2]{};
    if (::syscall(SYS_capget, &h, d) != 0) ::_exit(10);
    d[0].effective &= ~(1u << 21);               // CAP_SYS_ADMIN
    d[1].effective &= ~((1u << 6) | (1u << 7));  // CAP_PERFMON (38), CAP_BPF (39)
    if (::syscall(SYS_capset, &h, d) != 0) ::_exit(11);
    auto forced = ProcessMap::scan("/proc", ProcessMapMethod::kBpf);
    if (forced) ::_exit(12);
    if (forced.error().message().find("BPF process map") == std::string::npos) ::_exit(13);
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct stat st {};
    if (s < 0 || ::fstat(s, &st) != 0) ::_exit(14);
    auto a = ProcessMap::scan("/proc", ProcessMapMethod::kAuto);
    if (!a) ::_exit(15);
    if (a->method() != ProcessMapMethod::kProc) ::_exit(16);
    auto owners = a->owners(static_cast<uint32_t>(st.st_ino));
    if (owners.size() != 1 || owners[0].pid != ::getpid() || owners[0].fd != s) ::_exit(17);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the _exit codes in the child";
}

}  // namespace
}  // namespace tcpscope::source
