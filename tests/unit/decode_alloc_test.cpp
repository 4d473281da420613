// SPDX-License-Identifier: MIT
// The decode path allocates nothing per socket: a replayed dump of many sockets is decoded and
// visited with zero heap allocations once the source is set up.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "model/census.hpp"
#include "nl_builder.hpp"
#include "source/replay_source.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<size_t> g_allocations{0};
}  // namespace

// Every form of new and delete is replaced, so that memory from one is never freed by another
// (libstdc++ uses the nothrow forms for temporary buffers).
namespace {
void* counted_alloc(size_t n) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace tcpscope {
namespace {

TEST(DecodeAlloc, ReplayAndCensusAllocateNothingPerSocket) {
  testing::NlBuilder b;
  std::array<uint8_t, 280> info{};
  uint8_t shutdown = 0;
  for (uint32_t i = 0; i < 2000; ++i) {
    auto m = testing::NlBuilder::msg(AF_INET, i % 3 == 0 ? 6 : 1, static_cast<uint16_t>(1000 + i),
                                     80, i + 1);
    b.begin(m)
        .attr(INET_DIAG_INFO, info.data(), info.size())
        .attr_value(INET_DIAG_SHUTDOWN, shutdown)
        .end();
  }
  b.done();
  auto src = source::ReplaySource::from_bytes(b.bytes());
  ASSERT_TRUE(src);
  model::Census census;
  model::DumpRequest req;
  req.family = AF_INET;
  req.protocol = IPPROTO_TCP;
  req.states = model::kMaskAll;
  req.level = model::DecodeLevel::kFull;

  g_allocations = 0;
  g_counting = true;
  auto stats = (*src)->dump(req, census);
  g_counting = false;
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->messages, 2000u);
  EXPECT_EQ(g_allocations.load(), 0u);
  EXPECT_EQ(census.tcp()[1].v4, 1333u);
  EXPECT_EQ(census.tcp()[6].v4, 667u);
}

// The unix decoder too: the name goes into the record's fixed buffer, a listener's pending
// connections are read where they lie in the message.
TEST(DecodeAlloc, UnixReplayAllocatesNothingPerSocket) {
  auto src = source::ReplaySource::open(std::string(TCPSCOPE_FIXTURES) + "/nl/unix_full.nl");
  ASSERT_TRUE(src);
  struct Touch final : model::SocketVisitor {
    uint64_t sum = 0;
    void on_socket(const model::SocketRecord& r) override {
      for (char c : r.unix_name()) sum += static_cast<unsigned char>(c);
      for (uint32_t i = 0; i < r.icons_count; ++i) sum += r.icon(i);
      sum += r.peer_inode;
    }
  } touch;
  model::DumpRequest req;
  req.family = AF_UNIX;
  req.states = model::kMaskAll;
  g_allocations = 0;
  g_counting = true;
  auto stats = (*src)->dump(req, touch);
  g_counting = false;
  ASSERT_TRUE(stats);
  EXPECT_GT(stats->messages, 10u);
  EXPECT_EQ(g_allocations.load(), 0u);
  EXPECT_NE(touch.sum, 0u);
}

}  // namespace
}  // namespace tcpscope
