// SPDX-License-Identifier: MIT
// Where the cgroup2 hierarchy is mounted, from <proc_root>/self/mounts (used to turn cgroup ids
// into paths and paths into ids).
#pragma once

#include <string>
#include <string_view>

namespace tcpscope {

// The mount point of the first cgroup2 file system; "/sys/fs/cgroup" when none is listed.
std::string find_cgroup2_mount(const std::string& proc_root = "/proc");

// Undoes the octal escapes (\040 for a space, ...) of a /proc/self/mounts field.
std::string unescape_mount_field(std::string_view s);

}  // namespace tcpscope
