// SPDX-License-Identifier: MIT
#include "source/netns_finder.hpp"

#include <dirent.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "base/file.hpp"

namespace tcpscope::source {

namespace {

bool is_hex_id(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// "prefix<id>suffix" -> id, or "" when `seg` is not of that form.
std::string_view between(std::string_view seg, std::string_view prefix, std::string_view suffix) {
  if (!starts_with(seg, prefix) || !ends_with(seg, suffix) ||
      seg.size() < prefix.size() + suffix.size()) {
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

// One cgroup path: what it says, and how specific that is (0: nothing).
int identify_path(std::string_view path, CgroupIdentity& id) {
  std::vector<std::string_view> segs;
  for (size_t start = 0; start <= path.size();) {
    const size_t end = std::min(path.find('/', start), path.size());
    if (end > start) segs.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  int score = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string_view seg = segs[i];
    const std::string_view prev = i > 0 ? segs[i - 1] : std::string_view();
    // Kubernetes: "kubepods-burstable-pod<uid_with_underscores>.slice" (systemd driver) or
    // "pod<uid>" (cgroupfs driver).
    if (starts_with(seg, "kubepods") || starts_with(prev, "kubepods") || starts_with(seg, "pod")) {
      const size_t at = seg.rfind("pod");
      if (at != std::string_view::npos) {
        std::string_view uid = seg.substr(at + 3);
        if (ends_with(uid, ".slice")) uid.remove_suffix(6);
        if (uid.size() >= 32) {
          std::string u(uid);
          std::replace(u.begin(), u.end(), '_', '-');
          id.pod_uid = u;
          score = std::max(score, 1);
        }
      }
    }
    struct Pattern {
      std::string_view prefix, suffix, runtime;
    };
    static constexpr Pattern kScopes[] = {
        {"docker-", ".scope", "docker"},
        {"cri-containerd-", ".scope", "containerd"},
        {"crio-", ".scope", "cri-o"},
        {"libpod-", ".scope", "podman"},
        {"systemd-nspawn@", ".service", "nspawn"},
        {"machine-", ".scope", "nspawn"},
    };
    for (const auto& p : kScopes) {
      const std::string_view inner = between(seg, p.prefix, p.suffix);
      if (inner.empty() || starts_with(inner, "conmon-")) continue;
      if (p.runtime != "nspawn" && !is_hex_id(inner)) continue;
      id.runtime = std::string(p.runtime);
      id.container_id = p.runtime == "nspawn" ? unescape_unit(inner) : std::string(inner);
      score = 3;
    }
    // cgroupfs drivers: ".../docker/<id>", ".../libpod_parent/libpod-<id>", kubepods' "<id>".
    if (is_hex_id(seg) && score < 3) {
      id.container_id = std::string(seg);
      id.runtime = prev == "docker" ? "docker" : (id.pod_uid.empty() ? "" : "kubernetes");
      score = 3;
    }
    if (starts_with(seg, "lxc.payload.") && score < 3) {
      id.runtime = "lxc";
      id.container_id = std::string(seg.substr(12));
      score = 3;
    } else if (prev == "lxc" && i == 1 && score < 3) {
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
  if (!netns.empty()) return netns;
  if (!pod.empty()) return k8s_namespace + "/" + pod;
  if (!container.empty()) return container;
  if (pid > 0) return "pid:" + std::to_string(pid);
  return "netns:[" + std::to_string(identity & 0xffffffffU) + "]";
}

std::string NamespaceInfo::description() const {
  const std::string l = label();
  std::string extra;
  auto more = [&](const std::string& s) { extra += (extra.empty() ? "" : ", ") + s; };
  if (!pod.empty() && l != k8s_namespace + "/" + pod) more("pod " + k8s_namespace + "/" + pod);
  if (!container.empty() && l != container) {
    more((runtime.empty() ? std::string("container") : runtime) + " " + container);
  }
  return extra.empty() ? l : l + " (" + extra + ")";
}

Result<std::vector<NamespaceInfo>> find_namespaces(const FinderOptions& o) {
  std::vector<NamespaceInfo> out;
  std::map<uint64_t, size_t> by_identity;
  auto add = [&](uint64_t identity, std::string path) -> NamespaceInfo& {
    auto [it, fresh] = by_identity.try_emplace(identity, out.size());
    if (fresh) {
      NamespaceInfo n;
      n.identity = identity;
      n.path = std::move(path);
      out.push_back(std::move(n));
    }
    return out[it->second];
  };
  const auto own = namespace_identity(o.proc_root + "/self/ns/net");
  if (!own) {
    return fail(Error(ErrorKind::kRuntime,
                      "cannot read " + o.proc_root + "/self/ns/net (is /proc mounted?)"));
  }
  add(*own, "").own = true;
  for (const std::string& dir : o.bind_dirs) {
    const bool docker = dir.find("docker") != std::string::npos;
    for (const std::string& name : list_dir(dir)) {
      std::string path = dir;
      path += '/';
      path += name;
      const auto id = namespace_identity(path);
      if (!id) continue;
      NamespaceInfo& n = add(*id, path);
      if (n.netns.empty() && !n.own) n.netns = docker ? "docker/" + name : name;
    }
  }
  if (o.processes) {
    for (const std::string& entry : list_dir(o.proc_root)) {
      if (entry.empty() || !std::all_of(entry.begin(), entry.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c)) != 0;
          })) {
        continue;
      }
      const std::string path = o.proc_root + "/" + entry + "/ns/net";
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) continue;  // gone, or not ours to see
      NamespaceInfo& n = add(identity_of(st), path);
      const int32_t pid = std::stoi(entry);
      if (n.pid == 0 || pid < n.pid) n.pid = pid;
    }
  }
  std::vector<std::string> pod_dirs;
  bool pod_dirs_read = false;
  for (NamespaceInfo& n : out) {
    if (n.pid == 0 || n.own) continue;
    std::string text;
    const std::string cg = o.proc_root + "/" + std::to_string(n.pid) + "/cgroup";
    if (!read_file(cg.c_str(), text, kConfigFileLimit)) continue;
    const CgroupIdentity id = parse_cgroup(text);
    n.runtime = id.runtime;
    n.container_id = id.container_id;
    n.pod_uid = id.pod_uid;
    if (!id.container_id.empty()) {
      if (id.runtime == "docker") n.container = docker_name(o.docker_root, id.container_id);
      if (n.container.empty()) {
        n.container = is_hex_id(id.container_id) ? id.container_id.substr(0, 12) : id.container_id;
      }
    }
    if (!id.pod_uid.empty()) {
      if (!pod_dirs_read) {
        pod_dirs = list_dir(o.pod_log_root);
        pod_dirs_read = true;
      }
      for (const std::string& d : pod_dirs) {
        const auto p = parse_pod_dir(d);
        if (p && p->uid == id.pod_uid) {
          n.pod = p->pod;
          n.k8s_namespace = p->k8s_namespace;
        }
      }
    }
  }
  std::stable_sort(out.begin() + 1, out.end(), [](const NamespaceInfo& a, const NamespaceInfo& b) {
    return a.label() < b.label();
  });
  return out;
}

}  // namespace tcpscope::source
