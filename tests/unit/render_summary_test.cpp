// SPDX-License-Identifier: MIT
// summary's listener rows and JSON entries for listeners bound to a device.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "model/census.hpp"
#include "render/summary.hpp"
#include "unit/json_checker.hpp"
#include "unit/render_test_util.hpp"

namespace tcpscope::render {
namespace {

model::SocketRecord listener(uint16_t port, uint32_t ifindex) {
  model::SocketRecord r;
  r.family = AF_INET;
  r.protocol = IPPROTO_TCP;
  r.state = static_cast<uint8_t>(model::TcpState::kListen);
  r.sport = port;
  r.ifindex = ifindex;
  r.wqueue = 128;
  return r;
}

TEST(RenderSummary, ListenersOnDifferentDevicesHaveDistinctNames) {
  testing::FakeNames names;
  names.ifnames[2] = "eth0";
  model::Census c(&names);
  c.on_socket(listener(80, 2));
  c.on_socket(listener(80, 3));  // an index the lookup cannot name
  c.on_socket(listener(22, 0));
  const model::HostState h;

  fmt::memory_buffer text;
  append_summary_text(text, c, h);
  const std::string t = fmt::to_string(text);
  EXPECT_NE(t.find(" 0.0.0.0%eth0:80 "), std::string::npos) << t;
  EXPECT_NE(t.find(" 0.0.0.0%if3:80 "), std::string::npos) << t;
  EXPECT_NE(t.find(" 0.0.0.0:22 "), std::string::npos) << t;

  fmt::memory_buffer json;
  append_summary_json(json, c, h, "", "netlink");
  const std::string j = fmt::to_string(json);
  EXPECT_TRUE(testing::json_well_formed(j)) << j;
  EXPECT_NE(j.find("\"local_port\": 80, \"ifindex\": 2, \"interface\": \"eth0\", \"v6only\""),
            std::string::npos)
      << j;
  EXPECT_NE(j.find("\"local_port\": 80, \"ifindex\": 3, \"interface\": \"if3\", \"v6only\""),
            std::string::npos)
      << j;
  // A listener on no device has neither key.
  EXPECT_NE(j.find("\"local_port\": 22, \"v6only\""), std::string::npos) << j;
}

}  // namespace
}  // namespace tcpscope::render
