// SPDX-License-Identifier: MIT
#include "procfs/proc_net.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "model/tcp_state.hpp"
#include "procfs/text.hpp"

namespace tcpscope::procfs {

namespace {

using model::SocketRecord;
using model::TcpState;

// TCP_INFINITE_SSTHRESH (include/net/tcp.h): what tcp_info reports before the first loss.
constexpr uint32_t kInfiniteSsthresh = 0x7fffffff;
constexpr uint64_t kMsPerTick = 1000 / kUserHz;
constexpr uint64_t kUsPerTick = 1000000 / kUserHz;

Error bad_line(std::string_view what, std::string_view line) {
  std::string m("malformed socket line: ");
  m.append(what).append(": ").append(quote(line));
  return Error::malformed(std::move(m));
}

uint32_t saturate_u32(uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(v); }

// "0100007F:1F90" (IPv4) or 32 hex digits ":" port (IPv6). The kernel prints each 32-bit word of
// the address as the hex of its in-memory value (%08X of a __be32), so storing the parsed value
// back with memcpy restores the network-order bytes on either endianness (on little-endian this
// is the byte swap of every 8-digit group).
bool parse_endpoint(std::string_view tok, uint8_t family, std::array<uint8_t, 16>& addr,
                    uint16_t& port) {
  const size_t colon = tok.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view hex = tok.substr(0, colon);
  const size_t words = family == AF_INET ? 1 : 4;
  if (hex.size() != words * 8) return false;
  for (size_t i = 0; i < words; ++i) {
    auto w = parse_u32(hex.substr(i * 8, 8), 16);
    if (!w) return false;
    std::memcpy(addr.data() + i * 4, &*w, 4);
  }
  const std::string_view p = tok.substr(colon + 1);
  if (p.size() > 4) return false;
  auto v = parse_u32(p, 16);
  if (!v) return false;
  port = static_cast<uint16_t>(*v);
  return true;
}

// "AAAAAAAA:BBBBBBBB" (tx_queue:rx_queue) or "TT:WWWWWWWW" (tr:tm->when).
bool split_pair(std::string_view tok, std::string_view& a, std::string_view& b) {
  const size_t colon = tok.find(':');
  if (colon == std::string_view::npos) return false;
  a = tok.substr(0, colon);
  b = tok.substr(colon + 1);
  return true;
}

}  // namespace

Result<bool> parse_proc_net_line(std::string_view line, uint8_t family, uint8_t protocol,
                                 model::SocketRecord& out) {
  out = SocketRecord{};
  if (family != AF_INET && family != AF_INET6) {
    return fail(Error::usage("parse /proc/net line: family " + std::to_string(family) +
                             " is neither AF_INET nor AF_INET6"));
  }
  if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP && protocol != IPPROTO_RAW) {
    return fail(Error::usage("parse /proc/net line: protocol " + std::to_string(protocol) +
                             " is neither TCP, UDP nor raw"));
  }

  std::string_view rest = line;
  const std::string_view sl = next_token(rest);
  if (sl.empty() || sl == "sl") return false;  // blank line or the header
  if (sl.size() < 2 || sl.back() != ':' || !parse_u64(sl.substr(0, sl.size() - 1))) {
    return fail(bad_line("expected \"N:\" slot number first", line));
  }

  const std::string_view local = next_token(rest);
  const std::string_view remote = next_token(rest);
  const std::string_view st = next_token(rest);
  const std::string_view queues = next_token(rest);
  const std::string_view timer = next_token(rest);
  const std::string_view retrnsmt = next_token(rest);
  const std::string_view uid = next_token(rest);
  const std::string_view timeout = next_token(rest);
  const std::string_view inode = next_token(rest);
  const std::string_view ref = next_token(rest);
  const std::string_view pointer = next_token(rest);
  if (pointer.empty()) return fail(bad_line("truncated: fewer than 12 columns", line));

  out.family = family;
  out.protocol = protocol;
  out.origin = model::Origin::kProc;
  if (!parse_endpoint(local, family, out.src, out.sport)) {
    return fail(bad_line("bad local address", line));
  }
  if (!parse_endpoint(remote, family, out.dst, out.dport)) {
    return fail(bad_line("bad remote address", line));
  }

  auto state = parse_u32(st, 16);
  if (!state || *state == 0 || *state >= static_cast<uint32_t>(model::kStateCount)) {
    return fail(bad_line("bad state", line));
  }
  out.state = static_cast<uint8_t>(*state);
  const bool listener = out.state == static_cast<uint8_t>(TcpState::kListen);

  std::string_view tx_tok, rx_tok, tr_tok, when_tok;
  if (!split_pair(queues, tx_tok, rx_tok)) return fail(bad_line("bad tx_queue:rx_queue", line));
  auto tx = parse_u32(tx_tok, 16);
  auto rx = parse_u32(rx_tok, 16);
  if (!tx || !rx) return fail(bad_line("bad tx_queue:rx_queue", line));
  out.rqueue = *rx;
  out.wqueue = listener ? 0 : *tx;  // a listener's backlog is not in /proc

  if (!split_pair(timer, tr_tok, when_tok)) return fail(bad_line("bad tr:tm->when", line));
  auto tr = parse_u32(tr_tok, 16);
  auto when = parse_u64(when_tok, 16);
  if (!tr || *tr > 0xff || !when) return fail(bad_line("bad tr:tm->when", line));
  out.timer = static_cast<uint8_t>(*tr);
  // tm->when is clamped at 0 by the kernel (jiffies_delta_to_clock_t); a huge value saturates.
  out.expires_ms =
      *when > UINT32_MAX / kMsPerTick ? UINT32_MAX : static_cast<uint32_t>(*when * kMsPerTick);

  auto retransmits = parse_u32(retrnsmt, 16);
  if (!retransmits || *retransmits > 0xff) return fail(bad_line("bad retrnsmt", line));
  auto user = parse_u32(uid);
  if (!user) return fail(bad_line("bad uid", line));
  out.uid = *user;
  auto probes = parse_u32(timeout);
  if (!probes || *probes > 0xff) return fail(bad_line("bad timeout (probes)", line));
  // inet_diag reports icsk_probes_out for the keepalive and zero-window-probe timers.
  out.retrans = static_cast<uint8_t>(out.timer == 2 || out.timer == 4 ? *probes : *retransmits);
  auto ino = parse_u32(inode);
  if (!ino) return fail(bad_line("bad inode", line));
  out.inode = *ino;
  if (!parse_i64(ref)) return fail(bad_line("bad reference count", line));
  // %pK prints 16 hex digits (zeros under kptr_restrict); since pointer hashing (4.15) %p
  // printed "(ptrval)" / "(____ptrval____)" until the hashing key existed, early after boot.
  if (pointer.front() == '(') {
    out.cookie = 0;
  } else if (auto p = parse_u64(pointer, 16)) {
    out.cookie = *p;
  } else {
    return fail(bad_line("bad socket pointer", line));
  }

  // A raw socket's local "port" is its IP protocol (inet_num), as over raw_diag.
  if (protocol == IPPROTO_RAW) out.raw_protocol = out.sport;
  if (protocol != IPPROTO_TCP) {
    const std::string_view drops = next_token(rest);  // absent before 2.6.27
    if (!drops.empty() && !parse_u32(drops)) return fail(bad_line("bad drops", line));
    return true;
  }

  // TCP: full sockets carry five more columns; request and TIME-WAIT sockets none.
  const std::string_view rto = next_token(rest);
  if (rto.empty()) return true;
  const std::string_view ato = next_token(rest);
  const std::string_view qack = next_token(rest);
  const std::string_view cwnd = next_token(rest);
  const std::string_view ssthresh = next_token(rest);
  if (ssthresh.empty())
    return fail(bad_line("truncated TCP columns (rto ato qack cwnd ssthresh)", line));
  auto rto_v = parse_u64(rto);
  auto ato_v = parse_u64(ato);
  auto qack_v = parse_u32(qack);
  auto cwnd_v = parse_u32(cwnd);
  auto ssthresh_v = parse_i64(ssthresh);
  if (!rto_v || !ato_v || !qack_v || !cwnd_v || !ssthresh_v) {
    return fail(bad_line("bad TCP columns (rto ato qack cwnd ssthresh)", line));
  }
  model::TcpInfo& ti = out.tcp_info;
  ti.state = out.state;
  ti.retransmits = static_cast<uint8_t>(*retransmits);
  ti.probes = static_cast<uint8_t>(*probes);
  ti.rto =
      *rto_v > UINT32_MAX / kUsPerTick ? UINT32_MAX : static_cast<uint32_t>(*rto_v * kUsPerTick);
  ti.ato =
      *ato_v > UINT32_MAX / kUsPerTick ? UINT32_MAX : static_cast<uint32_t>(*ato_v * kUsPerTick);
  ti.snd_cwnd = *cwnd_v;
  if (listener) {
    ti.unacked = out.rqueue;
    ti.snd_ssthresh = kInfiniteSsthresh;  // the column holds the fastopen queue limit
  } else if (*ssthresh_v < 0) {
    ti.snd_ssthresh = kInfiniteSsthresh;
  } else {
    ti.snd_ssthresh = saturate_u32(static_cast<uint64_t>(*ssthresh_v));
  }
  out.tcp_info_len = kProcTcpInfoLen;
  out.set(model::kAttrInfo);
  return true;
}

}  // namespace tcpscope::procfs
