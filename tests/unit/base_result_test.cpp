// SPDX-License-Identifier: MIT
// TCPSCOPE_TRY / TCPSCOPE_TRY_CTX: values pass through, failures return with context added.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace tcpscope {
namespace {

Result<int> number(bool ok) {
  if (!ok) return fail(Error::from_errno("receive from netlink", ENOBUFS));
  return 7;
}

Status step(bool ok) {
  if (!ok) return fail(Error::usage("bad filter"));
  return {};
}

Result<std::unique_ptr<int>> owned() { return std::make_unique<int>(3); }

Result<int> dump(bool ok) {
  const int n = TCPSCOPE_TRY_CTX(number(ok), "dump IPv4 TCP");
  return n + 1;
}

Result<int> collect(bool ok) {
  const int n = TCPSCOPE_TRY_CTX(dump(ok), "netns web-1");
  return n * 2;
}

Status both(bool first, bool second) {
  TCPSCOPE_TRY(step(first));
  TCPSCOPE_TRY_CTX(step(second), "second step");
  return {};
}

TEST(Result, TryYieldsTheValue) {
  ASSERT_TRUE(collect(true).has_value());
  EXPECT_EQ(*collect(true), 16);
}

TEST(Result, TryCtxAddsWhatEachLayerWasDoing) {
  const auto r = collect(false);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().what(),
            "netns web-1: dump IPv4 TCP: receive from netlink: No buffer space available");
  EXPECT_EQ(r.error().err(), ENOBUFS);
  EXPECT_EQ(r.error().kind(), ErrorKind::kRuntime);
}

TEST(Result, TryOnStatusAndMoveOnlyValues) {
  EXPECT_TRUE(both(true, true).has_value());
  const auto first = both(false, true);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().what(), "bad filter");
  EXPECT_EQ(first.error().kind(), ErrorKind::kUsage);
  const auto second = both(true, false);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().what(), "second step: bad filter");
  auto take = []() -> Result<int> {
    std::unique_ptr<int> p = TCPSCOPE_TRY(owned());
    return *p;
  };
  EXPECT_EQ(*take(), 3);
}

}  // namespace
}  // namespace tcpscope
