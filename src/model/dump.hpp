// SPDX-License-Identifier: MIT
// What a socket dump is asked for, and how a consumer receives it.
//
// A SocketSource runs one DumpRequest (one family, one protocol) and calls the visitor once per
// socket with a reused SocketRecord. Visitors must not keep references into the record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "model/socket_record.hpp"
#include "model/tcp_state.hpp"

namespace tcpscope::model {

// Extension bits of inet_diag_req_v2::idiag_ext (bit A-1 asks for attribute A).
inline constexpr uint8_t kExtMeminfo = 0x01;
inline constexpr uint8_t kExtInfo = 0x02;
inline constexpr uint8_t kExtVegas = 0x04;  // also DCTCP and BBR info
inline constexpr uint8_t kExtCong = 0x08;
inline constexpr uint8_t kExtTos = 0x10;
inline constexpr uint8_t kExtTclass = 0x20;  // also CLASS_ID
inline constexpr uint8_t kExtSkMeminfo = 0x40;

// How much of each message to decode. kHeader skips the attribute walk entirely: enough for
// counting states, queues and listeners.
enum class DecodeLevel : uint8_t { kHeader, kFull };

// unix_diag's udiag_show bits (linux/unix_diag.h) and packet_diag's pdiag_show bits.
inline constexpr uint32_t kUnixShowName = 0x01;
inline constexpr uint32_t kUnixShowVfs = 0x02;
inline constexpr uint32_t kUnixShowPeer = 0x04;
inline constexpr uint32_t kUnixShowIcons = 0x08;
inline constexpr uint32_t kUnixShowRqlen = 0x10;
inline constexpr uint32_t kUnixShowMeminfo = 0x20;
inline constexpr uint32_t kUnixShowUid = 0x40;
inline constexpr uint32_t kPacketShowInfo = 0x01;
inline constexpr uint32_t kPacketShowRingCfg = 0x04;
inline constexpr uint32_t kPacketShowFanout = 0x08;
inline constexpr uint32_t kPacketShowMeminfo = 0x10;
inline constexpr uint32_t kPacketShowFilter = 0x20;

struct DumpRequest {
  uint8_t family = 0;    // AF_INET, AF_INET6 (inet_diag), AF_UNIX (unix_diag), AF_PACKET
  uint8_t protocol = 0;  // inet: IPPROTO_TCP, _UDP, _RAW, _SCTP; 0 for the other families
  bool mptcp = false;    // inet: IPPROTO_MPTCP (sent as INET_DIAG_REQ_PROTOCOL; protocol TCP)
  uint8_t ext = 0;
  uint32_t show = 0;  // AF_UNIX: kUnixShow* bits; AF_PACKET: kPacketShow* bits
  StateMask states = kMaskDefault;
  DecodeLevel level = DecodeLevel::kFull;
  std::span<const std::byte> bytecode;  // INET_DIAG_REQ_BYTECODE program, may be empty
};

struct DumpStats {
  uint64_t messages = 0;     // socket messages decoded
  uint64_t datagrams = 0;    // netlink reads
  uint64_t duplicates = 0;   // repeats dropped (see docs/architecture.md, "dump consistency")
  uint64_t restarts = 0;     // dumps restarted after NLM_F_DUMP_INTR
  bool interrupted = false;  // NLM_F_DUMP_INTR seen and not retried
};

class SocketVisitor {
 public:
  virtual ~SocketVisitor() = default;
  virtual void on_socket(const SocketRecord& rec) = 0;
  // Called when an interrupted dump is about to be re-run. Return false if what was already
  // seen cannot be taken back (streamed output); the dump then continues and is flagged.
  virtual bool on_restart(const DumpRequest& /*req*/) { return false; }
};

// Feeds one dump to two visitors (a census and a tally in one pass); a restart is accepted only
// when both can take it back.
class TeeVisitor final : public SocketVisitor {
 public:
  TeeVisitor(SocketVisitor& a, SocketVisitor& b) : a_(a), b_(b) {}
  void on_socket(const SocketRecord& r) override {
    a_.on_socket(r);
    b_.on_socket(r);
  }
  bool on_restart(const DumpRequest& req) override {
    const bool ra = a_.on_restart(req);
    const bool rb = b_.on_restart(req);
    return ra && rb;
  }

 private:
  SocketVisitor& a_;
  SocketVisitor& b_;
};

}  // namespace tcpscope::model
