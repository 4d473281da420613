// SPDX-License-Identifier: MIT
#include "model/tcp_state.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace tcpscope::model {

namespace {
constexpr std::array<std::string_view, kStateCount> kSsNames = {
    "UNKNOWN",    "ESTAB",     "SYN-SENT",     "SYN-RECV",      "FIN-WAIT-1",
    "FIN-WAIT-2", "TIME-WAIT", "UNCONN",       "CLOSE-WAIT",    "LAST-ACK",
    "LISTEN",     "CLOSING",   "NEW-SYN-RECV", "BOUND-INACTIVE"};
constexpr std::array<std::string_view, kStateCount> kKeys = {
    "unknown",    "established", "syn-sent",     "syn-recv",      "fin-wait-1",
    "fin-wait-2", "time-wait",   "close",        "close-wait",    "last-ack",
    "listen",     "closing",     "new-syn-recv", "bound-inactive"};

struct NamedMask {
  std::string_view name;
  StateMask mask;
};

constexpr StateMask bit(TcpState s) { return state_bit(s); }
constexpr StateMask kConnected = kMaskAll & ~(bit(TcpState::kClose) | bit(TcpState::kListen));
constexpr StateMask kSynchronized = kConnected & ~bit(TcpState::kSynSent);
constexpr StateMask kBucket = bit(TcpState::kSynRecv) | bit(TcpState::kTimeWait);

constexpr NamedMask kNames[] = {
    {"established", bit(TcpState::kEstablished)},
    {"syn-sent", bit(TcpState::kSynSent)},
    {"syn-recv", bit(TcpState::kSynRecv)},
    {"syn-rcv", bit(TcpState::kSynRecv)},
    {"fin-wait-1", bit(TcpState::kFinWait1)},
    {"fin-wait-2", bit(TcpState::kFinWait2)},
    {"time-wait", bit(TcpState::kTimeWait)},
    {"closed", bit(TcpState::kClose)},
    {"close", bit(TcpState::kClose)},
    {"unconnected", bit(TcpState::kClose)},
    {"close-wait", bit(TcpState::kCloseWait)},
    {"last-ack", bit(TcpState::kLastAck)},
    {"listening", bit(TcpState::kListen)},
    {"listen", bit(TcpState::kListen)},
    {"closing", bit(TcpState::kClosing)},
    {"all", kMaskAll},
    {"connected", kConnected},
    {"synchronized", kSynchronized},
    {"bucket", kBucket},
    {"big", kMaskAll & ~kBucket},
    {"bound-inactive", bit(TcpState::kBoundInactive)},
};
}  // namespace

std::string_view ss_state_name(uint8_t state) {
  return state < kStateCount ? kSsNames[state] : "UNKNOWN";
}

std::string_view state_key(uint8_t state) { return state < kStateCount ? kKeys[state] : "unknown"; }

std::optional<StateMask> parse_state_name(std::string_view name) {
  std::string lower(name);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& n : kNames) {
    if (n.name == lower) return n.mask;
  }
  return std::nullopt;
}

std::vector<std::string_view> state_names() {
  std::vector<std::string_view> out;
  for (const auto& n : kNames) out.push_back(n.name);
  return out;
}

}  // namespace tcpscope::model
