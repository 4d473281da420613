// SPDX-License-Identifier: MIT
// HostResolver: reverse DNS for `-r`, one lookup per distinct address (hits and misses cached),
// as ss does. v4-mapped IPv6 addresses are looked up as IPv4.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "model/names.hpp"

namespace tcpscope::source {

class HostResolver final : public model::HostLookup {
 public:
  // The host name of `addr`, or empty when it has none (or is a wildcard address).
  std::string_view host(uint8_t family, const std::array<uint8_t, 16>& addr) override;

 private:
  std::map<std::pair<uint8_t, std::array<uint8_t, 16>>, std::string> cache_;
};

}  // namespace tcpscope::source
