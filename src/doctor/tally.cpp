// SPDX-License-Identifier: MIT
#include "doctor/tally.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "model/tcp_state.hpp"

namespace tcpscope::doctor {

namespace {

uint32_t hash_key(const EndpointKey& k) {
  // FNV-1a over the key's bytes (fields, not padding).
  uint32_t h = 2166136261u;
  auto mix = [&h](uint8_t b) {
    h ^= b;
    h *= 16777619u;
  };
  mix(k.family);
  mix(k.by_remote);
  mix(static_cast<uint8_t>(k.port >> 8));
  mix(static_cast<uint8_t>(k.port));
  for (uint8_t b : k.local) mix(b);
  for (uint8_t b : k.remote) mix(b);
  return h;
}

size_t addr_len(uint8_t family) { return family == AF_INET6 ? 16 : 4; }

}  // namespace

HeavyHitters::HeavyHitters() : slots_(kTable), spare_(kTable) {}

void HeavyHitters::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  used_ = 0;
  decrements_ = 0;
  fed_ = 0;
}

uint32_t HeavyHitters::find_slot(const EndpointKey& k) const {
  uint32_t i = hash_key(k) & (kTable - 1);
  while (slots_[i].count != 0 && !(slots_[i].key == k)) i = (i + 1) & (kTable - 1);
  return i;
}

void HeavyHitters::add(const EndpointKey& k) {
  ++fed_;
  uint32_t i = find_slot(k);
  if (slots_[i].count != 0) {
    ++slots_[i].count;
    return;
  }
  if (used_ < kSlots) {
    slots_[i] = Slot{k, 1};
    ++used_;
    return;
  }
  // Misra-Gries: a new key with every counter taken decrements all counters (the new key's own
  // occurrence is consumed by the decrement). Amortised O(1): at most N / (kSlots + 1) passes.
  decrement_all();
}

void HeavyHitters::decrement_all() {
  ++decrements_;
  std::fill(spare_.begin(), spare_.end(), Slot{});
  used_ = 0;
  for (const Slot& s : slots_) {
    if (s.count <= 1) continue;
    uint32_t i = hash_key(s.key) & (kTable - 1);
    while (spare_[i].count != 0) i = (i + 1) & (kTable - 1);
    spare_[i] = Slot{s.key, s.count - 1};
    ++used_;
  }
  slots_.swap(spare_);
}

void HeavyHitters::forget_family(uint8_t family) {
  std::fill(spare_.begin(), spare_.end(), Slot{});
  used_ = 0;
  for (const Slot& s : slots_) {
    if (s.count == 0 || s.key.family == family) continue;
    uint32_t i = hash_key(s.key) & (kTable - 1);
    while (spare_[i].count != 0) i = (i + 1) & (kTable - 1);
    spare_[i] = s;
    ++used_;
  }
  slots_.swap(spare_);
}

std::vector<EndpointCount> HeavyHitters::top(size_t n) const {
  std::vector<EndpointCount> all;
  all.reserve(used_);
  for (const Slot& s : slots_) {
    if (s.count != 0) all.push_back({s.key, s.count});
  }
  const size_t k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                    [](const EndpointCount& a, const EndpointCount& b) {
                      if (a.count != b.count) return a.count > b.count;
                      if (a.key.port != b.key.port) return a.key.port < b.key.port;
                      return a.key.remote < b.key.remote;
                    });
  all.resize(k);
  return all;
}

void PressureTally::on_socket(const model::SocketRecord& r) {
  if (r.protocol != IPPROTO_TCP) return;
  using model::TcpState;
  const auto st = static_cast<TcpState>(r.state);
  if (st == TcpState::kListen || st == TcpState::kSynRecv || st == TcpState::kClose) return;
  const size_t n = addr_len(r.family);
  EndpointKey k;
  k.family = r.family;
  if (st == TcpState::kTimeWait) {
    k.port = r.dport;
    std::copy_n(r.dst.begin(), n, k.remote.begin());
    tw_.add(k);
  }
  if (st == TcpState::kCloseWait) {
    EndpointKey c;
    c.family = r.family;
    if (ephemeral(r.sport)) {
      c.by_remote = 1;
      c.port = r.dport;
      std::copy_n(r.dst.begin(), n, c.remote.begin());
    } else {
      c.port = r.sport;
    }
    cw_.add(c);
  }
  // Every socket with a local ephemeral port occupies one 4-tuple slot towards its destination
  // (TIME-WAIT too, unless tcp_tw_reuse lets connect() take it over).
  if (ephemeral(r.sport)) {
    std::copy_n(r.src.begin(), n, k.local.begin());
    k.port = r.dport;
    std::copy_n(r.dst.begin(), n, k.remote.begin());
    dest_.add(k);
  }
}

bool PressureTally::on_restart(const model::DumpRequest& req) {
  tw_.forget_family(req.family);
  dest_.forget_family(req.family);
  cw_.forget_family(req.family);
  return true;
}

uint64_t PressureTally::error_bound() const {
  return std::max({tw_.error_bound(), dest_.error_bound(), cw_.error_bound()});
}

}  // namespace tcpscope::doctor
