// SPDX-License-Identifier: MIT
// NameCache against this machine and against a small fake /proc tree.
#include "source/name_cache.hpp"

#include <gtest/gtest.h>
#include <netdb.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace tcpscope::source {
namespace {

namespace fs = std::filesystem;

class TempProc {
 public:
  TempProc() {
    root_ = fs::temp_directory_path() /
            ("tcpscope_names_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    fs::create_directories(root_ / "sys/net/ipv4");
  }
  ~TempProc() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void write_range(const std::string& text) {
    std::ofstream(root_ / "sys/net/ipv4/ip_local_port_range") << text;
  }
  std::string path() const { return root_.string(); }

 private:
  static inline int counter_ = 0;
  fs::path root_;
};

NameCache::Options with_proc(const std::string& root) {
  NameCache::Options o;
  o.proc_root = root;
  return o;
}

TEST(NameCache, EphemeralRangeFromProc) {
  TempProc proc;
  proc.write_range("32768\t60999\n");
  NameCache names(with_proc(proc.path()));
  EXPECT_EQ(names.ephemeral_range(), (std::pair<uint16_t, uint16_t>{32768, 60999}));
}

TEST(NameCache, EphemeralRangeDefaultsLikeSs) {
  TempProc proc;  // no file
  NameCache missing(with_proc(proc.path() + "/nonexistent"));
  EXPECT_EQ(missing.ephemeral_range(), (std::pair<uint16_t, uint16_t>{1024, 4999}));
  proc.write_range("garbage\n");
  NameCache garbage(with_proc(proc.path()));
  EXPECT_EQ(garbage.ephemeral_range(), (std::pair<uint16_t, uint16_t>{1024, 4999}));
}

TEST(NameCache, ServicesOutsideTheEphemeralRangeOnly) {
  if (getservbyport(htons(22), "tcp") == nullptr) GTEST_SKIP() << "no ssh in /etc/services";
  TempProc proc;
  proc.write_range("20 30\n");
  NameCache eph(with_proc(proc.path()));
  EXPECT_EQ(eph.service(22, 6), "");  // inside 20-30: numeric
  proc.write_range("32768 60999\n");
  NameCache names(with_proc(proc.path()));
  EXPECT_EQ(names.service(22, 6), "ssh");
  EXPECT_EQ(names.service(22, 6), "ssh");  // cached
  EXPECT_EQ(names.service(22, 1), "");     // not TCP/UDP
  EXPECT_EQ(names.service(40000, 6), "");  // ephemeral
}

TEST(NameCache, LoopbackInterface) {
  NameCache names;
  EXPECT_EQ(names.ifname(1), "lo");
  EXPECT_EQ(names.ifname(0x7ffffff0), "");  // unknown, and the miss is cached
  EXPECT_EQ(names.ifname(0x7ffffff0), "");
}

TEST(NameCache, CgroupRootIsSlash) {
  // Find the cgroup2 mount the same way the cache does; skip where there is none.
  std::ifstream mounts("/proc/self/mounts");
  std::string dev, dir, type, rest;
  std::string cgroup2;
  while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
    if (type == "cgroup2") {
      cgroup2 = dir;
      break;
    }
  }
  if (cgroup2.empty()) GTEST_SKIP() << "no cgroup2 mount";
  NameCache names;
  // The root cgroup of cgroup2 has id 1.
  EXPECT_EQ(names.cgroup_path(1), "/");
  EXPECT_EQ(names.cgroup_path(0xffffffffffffULL), "");  // unknown id: empty, cached
  EXPECT_EQ(names.cgroup_path(0xffffffffffffULL), "");
}

TEST(NameCache, CgroupWithoutMountIsUnknown) {
  NameCache::Options o;
  o.cgroup_root = "/nonexistent/cgroup";
  NameCache names(o);
  EXPECT_EQ(names.cgroup_path(1), "");
}

TEST(NameCache, ProcessPlaceFromCgroupAndPodDirectory) {
  TempProc proc;
  const fs::path root(proc.path());
  const std::string uid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  const std::string cid(64, 'a');
  fs::create_directories(root / "41");
  std::ofstream(root / "41/cgroup")
      << "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_"
         "8796_a5b4c3d2e1f0.slice/cri-containerd-"
      << cid << ".scope\n";
  fs::create_directories(root / "42");
  std::ofstream(root / "42/cgroup") << "0::/user.slice/user-0.slice/session-1.scope\n";
  fs::create_directories(root / "pods" / ("prod_api-7_" + uid));
  ::setenv("TCPSCOPE_POD_LOG_ROOT", (root / "pods").c_str(), 1);
  NameCache names(with_proc(proc.path()));
  const model::ProcessPlace p = names.process_place(41);
  ::unsetenv("TCPSCOPE_POD_LOG_ROOT");
  EXPECT_EQ(p.container, cid.substr(0, 12));
  EXPECT_EQ(p.runtime, "containerd");
  EXPECT_EQ(p.pod, "api-7");
  EXPECT_EQ(p.k8s_namespace, "prod");
  // Cached: the same answer without the files.
  fs::remove_all(root / "41");
  EXPECT_EQ(names.process_place(41).pod, "api-7");
  const model::ProcessPlace none = names.process_place(42);
  EXPECT_TRUE(none.container.empty() && none.pod.empty() && none.runtime.empty());
  EXPECT_TRUE(names.process_place(99).container.empty());  // no such process
}

}  // namespace
}  // namespace tcpscope::source
