// SPDX-License-Identifier: MIT
// The ss detail column: everything ss 6.1 prints after the peer port for an INET socket
//, appended to the caller's buffer with no allocation.
//
//   append_details(buf, rec, opts);   // " timer:(on,200ms,0) ino:42 sk:1 <->\n\t cubic wscale:..."
//
// The users list of -p (§2.6 item 1) is not ours: the caller writes it before calling this.
// Deviations from ss 6.1 are listed in docs/ss-differences.md (timer expiry text, /proc
// records, md5keys and tcp-ulp not shown). Common mistake: passing a record whose attributes
// were not requested; presence (rec.has / tcp_info_len) decides what prints, the options only
// switch whole groups on, so request the matching idiag_ext bits (model/dump.hpp).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

#include "model/names.hpp"
#include "model/socket_record.hpp"

namespace tcpscope::render {

struct DetailOptions {
  bool numeric = false;       // -n: -i rates as exact integers ("%.0f") instead of k/M/G/T
  bool options = false;       // -o: timer; with -i also ts/sack/ecn/ecnseen/fastopen
  bool extended = false;      // -e: uid ino sk fwmark cgroup v6only shutdown; implies `options`
  bool memory = false;        // -m: skmem:(...) (or mem:(...)) block
  bool info = false;          // -i: tcp_info block (not for UDP)
  bool tos = false;           // --tos: tos/tclass/class_id
  bool cgroup = false;        // --cgroup: cgroup:PATH (again, if -e printed it too)
  bool inet_sockopt = false;  // --inet-sockopt
  bool oneline = false;       // -O: no newline+TAB before the -m/-i block
  // Also print what ss >= 6.6 adds to -i and 6.1 does not: usec_ts (6.8), rcv_wnd, rehash.
  // Off by default so that -i lines match ss 6.1 byte for byte.
  bool newer_ss = false;
  model::NameLookup* names = nullptr;  // cgroup paths; nullptr prints unreachable:ID
};

// Appends the whole detail text (timer, -e fields, --tos, --cgroup, --inet-sockopt, then the
// "\n\t"-prefixed -m/-i block). Appends nothing when no option applies.
void append_details(fmt::memory_buffer& out, const model::SocketRecord& rec,
                    const DetailOptions& opts);

// The pieces, for renderers that lay them out differently (ss >= 6.8 puts -p in its own column).
// " timer:(on,200ms,0)" if rec.timer != 0.
void append_timer(fmt::memory_buffer& out, const model::SocketRecord& rec);
// " uid:1000 ino:42 sk:1a fwmark:0x42 cgroup:/ v6only:0 <->" (-e).
void append_extended(fmt::memory_buffer& out, const model::SocketRecord& rec,
                     model::NameLookup* names);
// " skmem:(r0,rb131072,...)" or " mem:(r0,w0,f0,t0)" (-m); nothing if neither is present.
void append_memory(fmt::memory_buffer& out, const model::SocketRecord& rec);
// The tcp_info items of -i (" cubic wscale:7,7 rto:204 ..."); nothing without INET_DIAG_INFO.
void append_tcp_info(fmt::memory_buffer& out, const model::SocketRecord& rec,
                     const DetailOptions& opts);

// Timer expiry text (ss >= 6.11): "" for 0, "200ms", "9.373sec", "12sec", "1min1sec", "10min".
void append_timer_expiry(fmt::memory_buffer& out, uint32_t ms);
// ss's rate text without the "bps" suffix: "%.0f" with numeric, else "%.3g" + k/M/G/T.
void append_rate(fmt::memory_buffer& out, double bits_per_sec, bool numeric);
// Timer names as ss 6.1 prints them: off on keepalive timewait persist, "unknown" for >= 5.
std::string_view timer_name(uint8_t timer);

}  // namespace tcpscope::render
