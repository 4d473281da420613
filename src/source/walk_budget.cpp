// SPDX-License-Identifier: MIT
#include "source/walk_budget.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>

namespace tcpscope::source {

std::string WalkBudget::why_not(const model::EstablishedHash& h) const {
  std::string why = h.kind == model::HashKind::kHost ? "holds the host's established hash"
                                                     : "shares the host's established hash";
  why += " (a walk visits every socket of the host) and the walk budget";
  if (budget_s_ <= 0) return why + " is 0";
  char text[120];
  std::snprintf(text, sizeof text, " of %gs of CPU is spent (%llu walk%s took %.2fs)", budget_s_,
                static_cast<unsigned long long>(walks_), walks_ == 1 ? "" : "s", spent_s_);
  return why + text;
}

void WalkBudget::spend(const model::EstablishedHash& h, double cpu_s) {
  if (!h.walks_host_hash()) return;
  if (walks_ == 0 || cpu_s < cheapest_walk_s_) cheapest_walk_s_ = cpu_s;
  ++walks_;
  spent_s_ += cpu_s;
}

std::vector<size_t> walk_order(std::span<const model::EstablishedHash> hashes,
                               std::span<const uint64_t> sockets) {
  std::vector<size_t> order(hashes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const bool own_a = !hashes[a].walks_host_hash();
    const bool own_b = !hashes[b].walks_host_hash();
    if (own_a != own_b) return own_a;
    return sockets[a] > sockets[b];
  });
  return order;
}

}  // namespace tcpscope::source
