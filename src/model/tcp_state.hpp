// SPDX-License-Identifier: MIT
// TCP states as the kernel numbers them (include/net/tcp_states.h). The numbers double as bit
// positions in inet_diag's idiag_states mask. UDP reuses Established (connected) and Close
// (unconnected).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tcpscope::model {

enum class TcpState : uint8_t {
  kUnknown = 0,
  kEstablished = 1,
  kSynSent = 2,
  kSynRecv = 3,
  kFinWait1 = 4,
  kFinWait2 = 5,
  kTimeWait = 6,
  kClose = 7,
  kCloseWait = 8,
  kLastAck = 9,
  kListen = 10,
  kClosing = 11,
  kNewSynRecv = 12,     // kernel-internal request sockets; reported as kSynRecv
  kBoundInactive = 13,  // 6.8+ pseudo-state for bound, idle TCP sockets; reported as kClose
};

inline constexpr int kStateCount = 14;

using StateMask = uint32_t;
constexpr StateMask state_bit(TcpState s) { return StateMask{1} << static_cast<unsigned>(s); }

// Masks with ss's meaning. "All" stops at bit 11: request
// sockets come with bit 3, and bit 13 costs a walk of the bind hash.
inline constexpr StateMask kMaskAll = 0xFFF;
inline constexpr StateMask kMaskListening =
    state_bit(TcpState::kListen) | state_bit(TcpState::kClose);
inline constexpr StateMask kMaskDefault = 0xB37;  // connected, without SYN-RECV and TIME-WAIT

// ss's printed state names: "ESTAB", "SYN-SENT", ..., "UNCONN" for Close.
std::string_view ss_state_name(uint8_t state);
// Lower-case names for JSON/CSV: "established", "syn-sent", ..., "close".
std::string_view state_key(uint8_t state);

// Parses a state name or group as `ss state NAME` accepts it (case-insensitive):
// established, syn-sent, syn-recv, ..., all, connected, synchronized, bucket, big,
// bound-inactive. nullopt for an unknown name.
std::optional<StateMask> parse_state_name(std::string_view name);
// Every name parse_state_name() accepts, in ss's order (shell completion lists them).
std::vector<std::string_view> state_names();

}  // namespace tcpscope::model
