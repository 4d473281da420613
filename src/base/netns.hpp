// SPDX-License-Identifier: MIT
// Entering a network namespace, as `ss -N` and `ip netns exec` do.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tcpscope {

// `name_or_path`: a name under /var/run/netns, or a path (anything with a '/'), such as
// /proc/PID/ns/net. Affects the calling thread and everything it opens afterwards (netlink
// sockets, /proc/net, /proc/sys/net).
Status enter_netns(std::string_view name_or_path);

std::string netns_path(std::string_view name_or_path);

// Goes back into `origin` (an fd of the caller's own network namespace), or aborts saying so:
// whatever ran next would read one namespace under another's name.
void return_to_netns(int origin);

// Runs f() (returning Status) inside the network namespace at `path` ("" for the caller's own)
// and comes back to `origin`. When the namespace cannot be entered, f does not run and the error
// is returned.
template <typename F>
Status in_netns(const std::string& path, int origin, F&& f) {
  if (path.empty()) return f();
  if (auto st = enter_netns(path); !st) return st;
  Status st = f();
  return_to_netns(origin);
  return st;
}

}  // namespace tcpscope
