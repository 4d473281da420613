// SPDX-License-Identifier: MIT
// The TCP and socket tunables tcpscope knows: name, shape of the value,
// scope, kernel default and a one-line meaning. One table, used by `tcpscope sysctl`, by
// `counters --explain` (the tunables related to a counter) and later by the doctor.
//
// Scope: "netns" sysctls exist in every network namespace with their own value; "global" ones
// exist only in the initial namespace (reading them in a child gives ENOENT), and their value
// applies to every namespace. A default is either fixed (has_default) or computed by the kernel
// at boot or from build options (default_note says how).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "model/host.hpp"

namespace tcpscope::model {

enum class TunableScope : uint8_t { kNetns, kGlobal };

struct TunableInfo {
  std::string_view name;  // "net.ipv4.tcp_syncookies"; the file is /proc/sys/ + dots as slashes
  uint8_t count = 1;      // numbers in the file (1..3); 0 for a text value
  TunableScope scope = TunableScope::kNetns;
  bool has_default = false;
  std::array<int64_t, 3> default_values{};  // first `count` used when has_default
  std::string_view default_note;            // how the default is computed, or a remark on it
  std::string_view meaning;                 // one line
};

std::span<const TunableInfo> tunable_catalog();

// By full name ("net.core.somaxconn") or the last component ("somaxconn"); nullptr if unknown.
const TunableInfo* find_tunable(std::string_view name);

std::string_view scope_name(TunableScope s);

// "4096", "4096 131072 6291456", or the text; "" when not present.
std::string format_tunable(const TunableInfo& info, const TunableValue& value);
// Whether the value is the kernel default; nullopt when the default is not a fixed value (or
// the value is missing).
std::optional<bool> is_default(const TunableInfo& info, const TunableValue& value);

// Why a global tunable has no value in a child namespace: one sentence for users.
inline constexpr std::string_view kGlobalUnavailable =
    "global sysctl: it exists only in the initial network namespace, and its host-wide value "
    "applies here too; read it outside --netns (or on the host)";

}  // namespace tcpscope::model
