// SPDX-License-Identifier: MIT
// The socket printers: ss -p's users text in the table, the processes array in JSON, and -r.
#include <gtest/gtest.h>
#include <stdio.h>

#include <string>
#include <vector>

#include "json_checker.hpp"
#include "render/socket_output.hpp"
#include "render_test_util.hpp"

namespace tcpscope::render {
namespace {

using namespace tcpscope::testing;

class FakeOwners final : public model::OwnerLookup {
 public:
  std::span<const model::SocketOwner> owners(uint32_t inode) const override {
    return inode == 42 ? std::span<const model::SocketOwner>(list_)
                       : std::span<const model::SocketOwner>();
  }
  std::string_view name(const model::SocketOwner& o) const override {
    return std::string_view(pool_).substr(o.name_offset, o.name_len);
  }

 private:
  std::string pool_ = "nginxsshd";
  std::vector<model::SocketOwner> list_ = {{42, 900, 7, 0, 5}, {42, 12, 3, 5, 4}};
};

class FakeHosts final : public model::HostLookup {
 public:
  std::string_view host(uint8_t, const std::array<uint8_t, 16>& a) override {
    return a[0] == 127 ? "localhost" : "";
  }
};

std::string print(SocketFormat f, const model::SocketRecord& r, SocketLookups l) {
  char* text = nullptr;
  size_t len = 0;
  FILE* out = open_memstream(&text, &len);
  SocketOutput o;
  o.format = f;
  o.numeric = true;
  o.layout.show_netid = false;
  o.layout.header = false;
  {
    auto p = make_socket_printer(o, out, l);
    p->on_socket(r);
    EXPECT_TRUE(p->finish());
  }
  std::fclose(out);
  std::string s(text, len);
  std::free(text);
  return s;
}

TEST(RenderSocketOutput, UsersTextInSsOrderAndFormat) {
  model::SocketRecord r = tcp4(model::TcpState::kListen, v4(127, 0, 0, 1), 80, v4(0, 0, 0, 0), 0);
  r.inode = 42;
  FakeOwners owners;
  const std::string s = print(SocketFormat::kTable, r, {nullptr, &owners, nullptr});
  EXPECT_NE(s.find(" users:((\"nginx\",pid=900,fd=7),(\"sshd\",pid=12,fd=3))"), std::string::npos)
      << s;
  r.inode = 43;  // nobody holds it: nothing printed
  EXPECT_EQ(print(SocketFormat::kTable, r, {nullptr, &owners, nullptr}).find("users:"),
            std::string::npos);
}

TEST(RenderSocketOutput, ProcessesInJson) {
  model::SocketRecord r = tcp4(model::TcpState::kListen, v4(127, 0, 0, 1), 80, v4(0, 0, 0, 0), 0);
  r.inode = 42;
  FakeOwners owners;
  const std::string s = print(SocketFormat::kJson, r, {nullptr, &owners, nullptr});
  EXPECT_NE(
      s.find(
          R"(,"processes":[{"name":"nginx","pid":900,"fd":7},{"name":"sshd","pid":12,"fd":3}]})"),
      std::string::npos)
      << s;
  EXPECT_TRUE(json_well_formed(s));
}

TEST(RenderSocketOutput, ProcessesInJsonNameTheirContainerAndPod) {
  model::SocketRecord r = tcp4(model::TcpState::kListen, v4(127, 0, 0, 1), 80, v4(0, 0, 0, 0), 0);
  r.inode = 42;
  FakeOwners owners;
  FakeNames names;
  names.places[900] = {"4f1c2b7d9e0a", "containerd", "api-1", "prod"};
  const std::string s = print(SocketFormat::kJson, r, {&names, &owners, nullptr});
  EXPECT_NE(s.find(R"(,"processes":[{"name":"nginx","pid":900,"fd":7,"container":"4f1c2b7d9e0a",)"
                   R"("runtime":"containerd","pod":"api-1","k8s_namespace":"prod"},)"
                   R"({"name":"sshd","pid":12,"fd":3}]})"),
            std::string::npos)
      << s;
  EXPECT_TRUE(json_well_formed(s));
}

TEST(RenderSocketOutput, ResolvedHostReplacesTheAddress) {
  const model::SocketRecord r =
      tcp4(model::TcpState::kEstablished, v4(127, 0, 0, 1), 80, v4(10, 0, 0, 2), 4000);
  FakeHosts hosts;
  const std::string s = print(SocketFormat::kTable, r, {nullptr, nullptr, &hosts});
  EXPECT_NE(s.find("localhost:80"), std::string::npos) << s;
  EXPECT_NE(s.find("10.0.0.2:4000"), std::string::npos) << s;  // no name: the address
}

}  // namespace
}  // namespace tcpscope::render
