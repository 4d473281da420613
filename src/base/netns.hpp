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

}  // namespace tcpscope
