// SPDX-License-Identifier: MIT
#include "source/netns_finder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "base/file.hpp"
#include "base/netns.hpp"
#include "base/unique_fd.hpp"
#include "procfs/sockstat.hpp"
#include "procfs/sysctl.hpp"

namespace tcpscope::source {

namespace {

// Members whose cgroup is read to name a namespace (its lowest pids).
constexpr size_t kMembersTried = 8;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool is_hex_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), is_hex);
}

// A Kubernetes pod UID: 8-4-4-4-12 hex digits, the separators '-' (cgroupfs driver, pod log
// directories) or '_' (systemd driver, where '-' separates the slice's parts).
bool is_pod_uid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool sep = i == 8 || i == 13 || i == 18 || i == 23;
    if (sep ? (s[i] != '-' && s[i] != '_') : !is_hex(s[i])) return false;
  }
  return true;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// "prefix<id>suffix" -> id, or "" when `seg` is not of that form.
std::string_view between(std::string_view seg, std::string_view prefix, std::string_view suffix) {
  if (seg.size() <= prefix.size() + suffix.size() || !starts_with(seg, prefix) ||
      !ends_with(seg, suffix)) {
    return {};
  }
  return seg.substr(prefix.size(), seg.size() - prefix.size() - suffix.size());
}

// systemd escapes '-' in unit names as "\x2d".
std::string unescape_unit(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.substr(i, 4) == "\\x2d") {
      out.push_back('-');
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// The pod UID in a segment of a Kubernetes cgroup path: "kubepods-burstable-pod<uid>.slice"
// (systemd driver, '_' for '-') or "pod<uid>" (cgroupfs driver); "" when there is none.
std::string pod_uid_of(std::string_view seg) {
  if (ends_with(seg, ".slice")) seg.remove_suffix(6);
  const size_t at = seg.rfind("pod");
  if (at == std::string_view::npos || (at > 0 && seg[at - 1] != '-')) return {};
  const std::string_view uid = seg.substr(at + 3);
  if (!is_pod_uid(uid)) return {};
  std::string u(uid);
  std::replace(u.begin(), u.end(), '_', '-');
  return u;
}

// One cgroup path: what it says, and how specific that is (0: nothing).
int identify_path(std::string_view path, CgroupIdentity& id) {
  std::vector<std::string_view> segs;
  for (size_t start = 0; start <= path.size();) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (end > start) segs.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  int score = 0;
  bool in_kubepods = false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string_view seg = segs[i];
    const std::string_view prev = i > 0 ? segs[i - 1] : std::string_view();
    in_kubepods = in_kubepods || starts_with(seg, "kubepods");
    if (in_kubepods && id.pod_uid.empty()) {
      id.pod_uid = pod_uid_of(seg);
      if (!id.pod_uid.empty()) score = std::max(score, 1);
    }
    if (score >= 3) continue;  // the first container scope names it (podman nests "container")
    struct Pattern {
      std::string_view prefix, suffix, runtime;
    };
    // systemd driver scopes, then the cgroupfs drivers' directories.
    static constexpr Pattern kScopes[] = {
        {"docker-", ".scope", "docker"},
        {"cri-containerd-", ".scope", "containerd"},
        {"crio-", ".scope", "cri-o"},
        {"libpod-", ".scope", "podman"},
        {"systemd-nspawn@", ".service", "nspawn"},
        {"machine-", ".scope", "nspawn"},
        {"crio-", "", "cri-o"},
        {"libpod-", "", "podman"},
    };
    for (const auto& p : kScopes) {
      const std::string_view inner = between(seg, p.prefix, p.suffix);
      if (inner.empty() || starts_with(inner, "conmon-")) continue;
      const bool named = p.runtime == "nspawn";
      if (!named && !is_hex_id(inner)) continue;
      id.runtime = std::string(p.runtime);
      id.container_id = named ? unescape_unit(inner) : std::string(inner);
      score = 3;
      break;
    }
    if (score >= 3) continue;
    // cgroupfs drivers: ".../docker/<id>", kubepods' ".../pod<uid>/<id>".
    if (is_hex_id(seg)) {
      id.container_id = std::string(seg);
      id.runtime = prev == "docker" ? "docker" : (id.pod_uid.empty() ? "" : "kubernetes");
      score = 3;
    } else if (starts_with(seg, "lxc.payload.") && seg.size() > 12) {
      id.runtime = "lxc";
      id.container_id = std::string(seg.substr(12));
      score = 3;
    } else if (prev == "lxc" && i == 1) {
      id.runtime = "lxc";
      id.container_id = std::string(seg);
      score = 3;
    }
  }
  return score;
}

uint64_t identity_of(const struct stat& st) {
  return (static_cast<uint64_t>(st.st_dev) << 32) ^ st.st_ino;
}

// The identity of the namespace file at `path`, when it is one.
std::optional<uint64_t> namespace_identity(const std::string& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0 || fs.f_type != NSFS_MAGIC) return std::nullopt;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return identity_of(st);
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') out.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// Docker's own name of a container ("/name" in config.v2.json), "" when unreadable.
std::string docker_name(const std::string& docker_root, const std::string& id) {
  std::string text;
  const std::string path = docker_root + "/containers/" + id + "/config.v2.json";
  if (!read_file(path.c_str(), text, kConfigFileLimit)) return {};
  const size_t at = text.find("\"Name\":\"");
  if (at == std::string::npos) return {};
  size_t start = at + 8;
  if (start < text.size() && text[start] == '/') ++start;
  const size_t end = text.find('"', start);
  if (end == std::string::npos || end - start > 255) return {};
  std::string name = text.substr(start, end - start);
  // A name with escapes is not what an operator typed: keep the id then.
  if (name.find('\\') != std::string::npos) return {};
  return name;
}

// A namespace as discovered, before naming: every member pid, lowest first.
struct Found {
  NamespaceInfo info;
  std::vector<int32_t> pids;
};

Result<std::vector<Found>> discover(const FinderOptions& o) {
  std::vector<Found> out;
  std::map<uint64_t, size_t> by_identity;
  auto add = [&](uint64_t identity, std::string path) -> Found& {
    auto [it, fresh] = by_identity.try_emplace(identity, out.size());
    if (fresh) {
      Found f;
      f.info.identity = identity;
      f.info.path = std::move(path);
      out.push_back(std::move(f));
    }
    return out[it->second];
  };
  const auto own = namespace_identity(o.proc_root + "/self/ns/net");
  if (!own) {
    return fail(Error(ErrorKind::kRuntime,
                      "cannot read " + o.proc_root + "/self/ns/net (is /proc mounted?)"));
  }
  add(*own, "").info.own = true;
  for (const std::string& dir : o.bind_dirs) {
    const bool docker = dir.find("docker") != std::string::npos;
    for (const std::string& name : list_dir(dir)) {
      std::string path = dir;
      path += '/';
      path += name;
      const auto id = namespace_identity(path);
      if (!id) continue;
      NamespaceInfo& n = add(*id, path).info;
      if (n.netns.empty()) n.netns = docker ? "docker/" + name : name;
    }
  }
  if (o.processes) {
    const int32_t self = ::getpid();
    for (const std::string& entry : list_dir(o.proc_root)) {
      if (entry.empty() || entry.size() > 9 || !std::all_of(entry.begin(), entry.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
          })) {
        continue;
      }
      const auto pid = static_cast<int32_t>(std::strtol(entry.c_str(), nullptr, 10));
      if (pid == self) continue;  // we may be inside another namespace for a moment
      const std::string path = o.proc_root + "/" + entry + "/ns/net";
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) continue;  // gone, or not ours to see
      add(identity_of(st), path).pids.push_back(pid);
    }
  }
  for (Found& f : out) {
    std::sort(f.pids.begin(), f.pids.end());
    if (!f.pids.empty()) f.info.pid = f.pids.front();
  }
  return out;
}

// Names `n` from the cgroups of its lowest members and the pod log directories (read once per
// call into `pod_dirs`).
void name_from_members(const FinderOptions& o, const std::vector<int32_t>& pids, NamespaceInfo& n,
                       std::optional<std::vector<std::string>>& pod_dirs) {
  CgroupIdentity id;
  std::string text;
  for (size_t i = 0; i < pids.size() && i < kMembersTried; ++i) {
    const std::string cg = o.proc_root + "/" + std::to_string(pids[i]) + "/cgroup";
    if (!read_file(cg.c_str(), text, kConfigFileLimit)) continue;
    id = parse_cgroup(text);
    if (!id.container_id.empty() || !id.pod_uid.empty()) break;
  }
  n.runtime = id.runtime;
  n.container_id = id.container_id;
  n.pod_uid = id.pod_uid;
  ContainerNames c = container_names(o, id, pod_dirs);
  n.container = std::move(c.container);
  n.pod = std::move(c.pod);
  n.k8s_namespace = std::move(c.k8s_namespace);
}

// Own first, then by label; repeated labels told apart by the inode.
std::vector<NamespaceInfo> finish(std::vector<Found>& found) {
  std::vector<NamespaceInfo> out;
  out.reserve(found.size());
  for (Found& f : found) out.push_back(std::move(f.info));
  std::stable_sort(out.begin() + 1, out.end(), [](const NamespaceInfo& a, const NamespaceInfo& b) {
    return a.label() < b.label();
  });
  std::vector<std::string> labels;
  labels.reserve(out.size());
  for (const NamespaceInfo& n : out) labels.push_back(n.label());
  for (size_t i = 0; i < out.size(); ++i) {
    const bool repeated =
        (i > 0 && labels[i] == labels[i - 1]) || (i + 1 < out.size() && labels[i] == labels[i + 1]);
    if (repeated) out[i].disambiguator = "@" + std::to_string(out[i].identity & 0xffffffffU);
  }
  return out;
}

}  // namespace

CgroupIdentity parse_cgroup(std::string_view content) {
  CgroupIdentity best;
  int best_score = 0;
  for (size_t start = 0; start < content.size();) {
    const size_t end = std::min(content.find('\n', start), content.size());
    const std::string_view line = content.substr(start, end - start);
    start = end + 1;
    const size_t c1 = line.find(':');
    const size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    CgroupIdentity id;
    const int score = identify_path(line.substr(c2 + 1), id);
    if (score > best_score ||
        (score == best_score && score > 0 && !id.pod_uid.empty() && best.pod_uid.empty())) {
      best = id;
      best_score = score;
    }
  }
  return best;
}

ContainerNames container_names(const FinderOptions& o, const CgroupIdentity& id,
                               std::optional<std::vector<std::string>>& pod_dirs) {
  ContainerNames n;
  if (!id.container_id.empty()) {
    if (id.runtime == "docker") n.container = docker_name(o.docker_root, id.container_id);
    if (n.container.empty()) {
      n.container = is_hex_id(id.container_id) ? id.container_id.substr(0, 12) : id.container_id;
    }
  }
  if (!id.pod_uid.empty()) {
    if (!pod_dirs) pod_dirs = list_dir(o.pod_log_root);
    for (const std::string& d : *pod_dirs) {
      const auto p = parse_pod_dir(d);
      if (p && p->uid == id.pod_uid) {
        n.pod = p->pod;
        n.k8s_namespace = p->k8s_namespace;
      }
    }
  }
  return n;
}

std::optional<PodDir> parse_pod_dir(std::string_view name) {
  // The namespace and the pod name are DNS labels (no '_'); the UID comes last.
  const size_t a = name.find('_');
  const size_t b = name.rfind('_');
  if (a == std::string_view::npos || a == b || a == 0 || b + 1 >= name.size() || b == a + 1) {
    return std::nullopt;
  }
  return PodDir{std::string(name.substr(0, a)), std::string(name.substr(a + 1, b - a - 1)),
                std::string(name.substr(b + 1))};
}

std::string NamespaceInfo::label() const {
  if (own) return "host";
  std::string l;
  if (!netns.empty()) {
    l = netns;
  } else if (!pod.empty()) {
    l = k8s_namespace + "/" + pod;
  } else if (!container.empty()) {
    l = container;
  } else if (pid > 0) {
    l = "pid:" + std::to_string(pid);
  } else {
    l = "netns:[" + std::to_string(identity & 0xffffffffU) + "]";
  }
  return l + disambiguator;
}

std::string NamespaceInfo::description() const { return names().description; }

model::NetnsNames NamespaceInfo::names() const {
  model::NetnsNames n{label(), container, runtime, pod, k8s_namespace, {}};
  const std::string extra = model::names_beyond(n, n.netns);
  n.description = extra.empty() ? n.netns : n.netns + " (" + extra + ")";
  return n;
}

FinderOptions finder_options_from_env() {
  FinderOptions o;
  if (const char* p = std::getenv("TCPSCOPE_POD_LOG_ROOT"); p != nullptr && *p != '\0') {
    o.pod_log_root = p;
  }
  if (const char* p = std::getenv("TCPSCOPE_DOCKER_ROOT"); p != nullptr && *p != '\0') {
    o.docker_root = p;
  }
  return o;
}

Result<std::vector<NamespaceInfo>> NamespaceFinder::find() {
  auto found = discover(o_);
  if (!found) return fail(std::move(found.error()));
  std::optional<std::vector<std::string>> pod_dirs;
  std::map<uint64_t, Named> next;
  for (Found& f : *found) {
    NamespaceInfo& n = f.info;
    if (n.own || n.pid == 0) continue;
    auto it = cache_.find(n.identity);
    if (it == cache_.end() || it->second.pid != n.pid) {
      name_from_members(o_, f.pids, n, pod_dirs);
    } else {
      const NamespaceInfo& c = it->second.names;
      n.runtime = c.runtime;
      n.container = c.container;
      n.container_id = c.container_id;
      n.pod = c.pod;
      n.k8s_namespace = c.k8s_namespace;
      n.pod_uid = c.pod_uid;
    }
    next[n.identity] = Named{n.pid, n};
  }
  cache_ = std::move(next);
  return finish(*found);
}

Result<std::vector<NamespaceInfo>> find_namespaces(const FinderOptions& o) {
  NamespaceFinder f(o);
  return f.find();
}

void probe_hashes(std::vector<NamespaceInfo>& all) {
  std::string buffer;
  UniqueFd origin;
  auto read = [&](NamespaceInfo& n) {
    if (auto h = procfs::read_established_hash("/proc", buffer)) n.hash = *h;
    if (auto st = procfs::read_sockstat("/proc", buffer)) n.time_wait = st->tcp_tw;
  };
  for (NamespaceInfo& n : all) {
    if (n.own) {
      read(n);
      continue;
    }
    UniqueFd fd = UniqueFd::adopt(::open(n.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) continue;
    if (!origin) {
      origin = UniqueFd::adopt(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!origin) return;
    }
    if (::setns(fd.get(), CLONE_NEWNET) < 0) continue;
    read(n);
    return_to_netns(origin.get());
  }
}

Result<std::vector<NamespaceInfo>> find_and_probe() {
  auto all = find_namespaces(finder_options_from_env());
  if (all) probe_hashes(*all);
  return all;
}

model::SharedHash shared_hash_of(std::span<const NamespaceInfo> all, uint64_t host_alloc) {
  model::SharedHash h;
  h.sockets = host_alloc;
  for (const NamespaceInfo& n : all) {
    if (!n.hash) continue;
    if (n.hash->kind == model::HashKind::kHost) h.buckets = n.hash->entries;
    if (!n.hash->walks_host_hash()) {
      ++h.own_hash;
      continue;
    }
    ++h.namespaces;
    h.sockets += n.time_wait.value_or(0);
    if (h.buckets == 0) h.buckets = n.hash->buckets();
  }
  return h;
}

std::optional<NamespaceInfo> describe_current(const FinderOptions& o) {
  auto found = discover(o);
  if (!found || found->empty()) return std::nullopt;
  // pid 1's namespace is the host's: nothing to add to its name. (pid 1 may not be ours to
  // look at: then no such test.)
  struct stat init {};
  if (::stat((o.proc_root + "/1/ns/net").c_str(), &init) == 0 &&
      (*found)[0].info.identity == identity_of(init)) {
    return std::nullopt;
  }
  Found& f = (*found)[0];
  f.info.own = false;
  std::optional<std::vector<std::string>> pod_dirs;
  if (f.info.pid > 0) name_from_members(o, f.pids, f.info, pod_dirs);
  return f.info;
}

}  // namespace tcpscope::source
