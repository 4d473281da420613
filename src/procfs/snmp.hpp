// SPDX-License-Identifier: MIT
// Counter files of /proc/net, named the way nstat names them.
//
//   table format (/proc/net/snmp, /proc/net/netstat): pairs of lines
//       TcpExt: SyncookiesSent SyncookiesRecv ...      <- names
//       TcpExt: 0 0 ...                                <- values, same order
//     counter name = prefix + name: "TcpExtSyncookiesSent", "TcpCurrEstab".
//   list format (/proc/net/snmp6, /proc/net/dev_snmp6/*): "Ip6InReceives   \t3" per line.
//
// Values are unsigned 64-bit; a leading '-' wraps like nstat's strtoull ("-1", printed for
// Tcp MaxConn, is 2^64-1). Names are paired with values by position in the lines read, never by
// a hard-coded index: kernels add and reorder counters. The callback gets a name that is valid
// only during the call (it points into a stack buffer); nothing is allocated per counter.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "base/result.hpp"

namespace tcpscope::procfs {

// A non-owning reference to a callable `void(std::string_view name, uint64_t value)`, like C++26
// std::function_ref. Pass a lambda directly; do not keep a CounterFn beyond the call.
class CounterFn {
 public:
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, CounterFn> &&
           std::is_invocable_v<F&, std::string_view, uint64_t>)
      CounterFn(F&& f)  // NOLINT: implicit on purpose, to bind lambdas; never a CounterFn (above)
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, std::string_view name, uint64_t value) {
          (*static_cast<std::remove_reference_t<F>*>(obj))(name, value);
        }) {}

  void operator()(std::string_view name, uint64_t value) const { call_(obj_, name, value); }

 private:
  void* obj_;
  void (*call_)(void*, std::string_view, uint64_t);
};

// Longest table counter name (prefix + name) accepted; longer ones are a kMalformed error. The
// longest on 6.18 has 31 characters (MPTcpExtMPCapableFallbackSYNACK). snmp6 names are passed
// through as they are, without this limit.
inline constexpr size_t kMaxCounterName = 128;

// Parses /proc/net/snmp or /proc/net/netstat content. Blank lines are skipped. Errors (kMalformed,
// naming the line): a line without a "Prefix:" first token, a header without its value line, a
// value line with another prefix or another number of fields, a value that is not a number.
Status parse_snmp_table(std::string_view content, CounterFn fn);

// Parses /proc/net/snmp6 content: one "name value" per line, blank lines skipped.
Status parse_snmp_list(std::string_view content, CounterFn fn);

// The value of one counter, by its nstat name (e.g. "TcpCurrEstab"), in table content;
// nullopt when absent.
Result<std::optional<uint64_t>> find_counter(std::string_view table_content, std::string_view name);

// Reads <proc_root>/net/snmp, snmp6 and netstat in that order (nstat's output order: Ip, Icmp,
// IcmpMsg, Tcp, Udp, UdpLite, Ip6..., TcpExt, IpExt, MPTcpExt) into `fn`. A file that does not
// exist (snmp6 without IPv6) is skipped. `buffer` is reused; errors name the file.
Status read_counters(std::string_view proc_root, std::string& buffer, CounterFn fn);

}  // namespace tcpscope::procfs
