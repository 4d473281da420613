// SPDX-License-Identifier: MIT
// Helpers of the -i/-o/-e/-m renderer tests (render_details_test.cpp, render_rate_format_test.cpp).
#pragma once

#include <string>

#include "render/details.hpp"
#include "unit/render_test_util.hpp"

namespace tcpscope::render::testing_details {

using model::SocketRecord;
using model::TcpState;
using testing::FakeNames;
using testing::set_cong;
using testing::set_info;
using testing::tcp4;
using testing::tcp6;
using testing::v4;
using testing::verified_estab;

inline std::string details(const SocketRecord& r, const DetailOptions& o) {
  fmt::memory_buffer b;
  append_details(b, r, o);
  return fmt::to_string(b);
}

inline DetailOptions info_opts(bool numeric = true) {
  DetailOptions o;
  o.info = true;
  o.numeric = numeric;
  return o;
}

// Only the -i items, without the "\n\t" prefix.
inline std::string info(const SocketRecord& r, DetailOptions o = info_opts()) {
  fmt::memory_buffer b;
  append_tcp_info(b, r, o);
  return fmt::to_string(b);
}

inline std::string expiry(uint32_t ms) {
  fmt::memory_buffer b;
  append_timer_expiry(b, ms);
  return fmt::to_string(b);
}

inline std::string rate(double bps, bool numeric) {
  fmt::memory_buffer b;
  append_rate(b, bps, numeric);
  return fmt::to_string(b);
}

inline SocketRecord estab() {
  return tcp4(TcpState::kEstablished, v4(10, 0, 0, 1), 40000, v4(10, 0, 0, 2), 80);
}

}  // namespace tcpscope::render::testing_details
