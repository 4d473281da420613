// SPDX-License-Identifier: MIT
#include "source/netns_finder.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace tcpscope::source {
namespace {

const std::string kId = "4f1c2b7d9e0a3c5b6d8e7f90a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e";
const std::string kUid = "0d3c1f1e-7b2a-4c8e-9f6d-1a2b3c4d5e6f";

TEST(ParseCgroup, NamesEachRuntimeFromItsCgroupPath) {
  struct Case {
    std::string content, runtime, id, pod;
  } cases[] = {
      {"0::/system.slice/docker-" + kId + ".scope\n", "docker", kId, ""},
      {"0::/docker/" + kId + "\n", "docker", kId, ""},
      {"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
           std::string("0d3c1f1e_7b2a_4c8e_9f6d_1a2b3c4d5e6f") + ".slice/cri-containerd-" + kId +
           ".scope\n",
       "containerd", kId, kUid},
      {"0::/kubepods.slice/kubepods-pod0d3c1f1e_7b2a_4c8e_9f6d_1a2b3c4d5e6f.slice/crio-" + kId +
           ".scope\n",
       "cri-o", kId, kUid},
      {"0::/kubepods/burstable/pod" + kUid + "/" + kId + "\n", "kubernetes", kId, kUid},
      {"0::/machine.slice/libpod-" + kId + ".scope/container\n", "podman", kId, ""},
      {"0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope\n",
       "podman", kId, ""},
      {"0::/lxc.payload.web1/init.scope\n", "lxc", "web1", ""},
      {"12:memory:/lxc/db2\n0::/\n", "lxc", "db2", ""},
      {"0::/machine.slice/systemd-nspawn@build\\x2dbox.service/payload\n", "nspawn", "build-box",
       ""},
      {"0::/machine.slice/machine-vm1.scope\n", "nspawn", "vm1", ""},
      // cgroup v1: the unified line says nothing, a controller's line does.
      {"9:name=systemd:/docker/" + kId + "\n4:memory:/docker/" + kId + "\n0::/\n", "docker", kId,
       ""},
      {"0::/user.slice/user-0.slice/session-1.scope\n", "", "", ""},
      {"0::/system.slice/libpod-conmon-" + kId + ".scope\n", "", "", ""},
      // cgroupfs drivers of CRI-O and podman: the directory without ".scope".
      {"0::/kubepods/besteffort/pod" + kUid + "/crio-" + kId + "\n", "cri-o", kId, kUid},
      {"0::/libpod_parent/libpod-" + kId + "\n", "podman", kId, ""},
      {"0::/kubepods/burstable/pod" + kUid + "/crio-conmon-" + kId + "\n", "", "", kUid},
      // "pod" outside kubepods, or not followed by a UID, is no pod.
      {"0::/system.slice/podman-" + kUid + ".scope\n", "", "", ""},
      {"0::/kubepods.slice/kubepods-podnotauid.slice\n", "", "", ""},
      {"garbage without colons\n::\n0::\n", "", "", ""},
  };
  for (const auto& c : cases) {
    const CgroupIdentity id = parse_cgroup(c.content);
    EXPECT_EQ(id.runtime, c.runtime) << c.content;
    EXPECT_EQ(id.container_id, c.id) << c.content;
    EXPECT_EQ(id.pod_uid, c.pod) << c.content;
  }
}

TEST(ParseCgroup, ThePodSliceAloneNamesThePod) {
  const CgroupIdentity id = parse_cgroup(
      "0::/kubepods.slice/kubepods-besteffort.slice/"
      "kubepods-besteffort-pod0d3c1f1e_7b2a_4c8e_9f6d_1a2b3c4d5e6f.slice\n");
  EXPECT_EQ(id.pod_uid, kUid);
  EXPECT_EQ(id.container_id, "");
}

TEST(ParsePodDir, SplitsNamespacePodAndUid) {
  const auto p = parse_pod_dir("kube-system_coredns-5d78c9869d-abcde_" + kUid);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->k8s_namespace, "kube-system");
  EXPECT_EQ(p->pod, "coredns-5d78c9869d-abcde");
  EXPECT_EQ(p->uid, kUid);
  EXPECT_FALSE(parse_pod_dir("nounderscore"));
  EXPECT_FALSE(parse_pod_dir("one_two"));
  EXPECT_FALSE(parse_pod_dir("_pod_uid"));
  EXPECT_FALSE(parse_pod_dir("ns__uid"));
}

TEST(FindNamespaces, FindsItsOwnNamespaceFirstAsHost) {
  FinderOptions o;
  o.bind_dirs = {};
  o.pod_log_root = "/nonexistent";
  auto all = find_namespaces(o);
  ASSERT_TRUE(all) << all.error().what();
  ASSERT_FALSE(all->empty());
  EXPECT_TRUE((*all)[0].own);
  EXPECT_EQ((*all)[0].label(), "host");
  for (size_t i = 1; i < all->size(); ++i) EXPECT_FALSE((*all)[i].own);
  // Identities are unique.
  for (size_t i = 0; i < all->size(); ++i) {
    for (size_t j = i + 1; j < all->size(); ++j) {
      EXPECT_NE((*all)[i].identity, (*all)[j].identity);
    }
  }
  o.proc_root = "/nonexistent";
  EXPECT_FALSE(find_namespaces(o));
}

TEST(NamespaceInfo, LabelPrefersTheNameAnOperatorKnows) {
  NamespaceInfo n;
  n.identity = 4026532000;
  EXPECT_EQ(n.label(), "netns:[4026532000]");
  n.pid = 42;
  EXPECT_EQ(n.label(), "pid:42");
  n.container = "web";
  EXPECT_EQ(n.label(), "web");
  n.pod = "api-1";
  n.k8s_namespace = "prod";
  EXPECT_EQ(n.label(), "prod/api-1");
  EXPECT_EQ(n.description(), "prod/api-1 (container web)");
  n.netns = "cni-1f3e";
  n.runtime = "containerd";
  EXPECT_EQ(n.label(), "cni-1f3e");
  EXPECT_EQ(n.description(), "cni-1f3e (pod prod/api-1, containerd web)");
  const model::NetnsNames names = n.names();
  EXPECT_EQ(names.netns, "cni-1f3e");
  EXPECT_EQ(names.container, "web");
  EXPECT_EQ(names.runtime, "containerd");
  EXPECT_EQ(names.pod, "api-1");
  EXPECT_EQ(names.k8s_namespace, "prod");
  EXPECT_EQ(names.description, n.description());
  n.own = true;
  EXPECT_EQ(n.label(), "host");
}

TEST(NamespaceInfo, ARepeatedLabelKeepsItsInode) {
  NamespaceInfo n;
  n.identity = 4026532000;
  n.pod = "db-0";
  n.k8s_namespace = "prod";
  n.disambiguator = "@4026532000";
  EXPECT_EQ(n.label(), "prod/db-0@4026532000");
  EXPECT_EQ(n.description(), "prod/db-0@4026532000");
}

TEST(FinderOptions, TestRootsComeFromTheEnvironment) {
  ::setenv("TCPSCOPE_POD_LOG_ROOT", "/tmp/pods", 1);
  ::setenv("TCPSCOPE_DOCKER_ROOT", "", 1);
  const FinderOptions o = finder_options_from_env();
  EXPECT_EQ(o.pod_log_root, "/tmp/pods");
  EXPECT_EQ(o.docker_root, "/var/lib/docker");
  ::unsetenv("TCPSCOPE_POD_LOG_ROOT");
  ::unsetenv("TCPSCOPE_DOCKER_ROOT");
  EXPECT_EQ(finder_options_from_env().pod_log_root, "/var/log/pods");
}

TEST(FindNamespaces, OurOwnNamespaceHasItsHashProbed) {
  FinderOptions o;
  o.bind_dirs = {};
  o.processes = false;
  auto all = find_namespaces(o);
  ASSERT_TRUE(all) << all.error().what();
  ASSERT_EQ(all->size(), 1u);
  probe_hashes(*all);
  // Readable wherever /proc/sys is mounted, whichever hash this namespace has.
  EXPECT_TRUE((*all)[0].hash.has_value());
}

}  // namespace
}  // namespace tcpscope::source
