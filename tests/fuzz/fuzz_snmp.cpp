// SPDX-License-Identifier: MIT
// Fuzz target: the /proc/net/snmp|netstat table parser, the snmp6 list parser and find_counter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/snmp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  uint64_t sum = 0;
  // Touching every byte of a name lets ASan check the view. Table names are built in a bounded
  // buffer; list names are views into the input.
  auto table_fn = [&](std::string_view name, uint64_t value) {
    if (name.empty() || name.size() > tcpscope::procfs::kMaxCounterName) __builtin_trap();
    for (char c : name) sum += static_cast<unsigned char>(c);
    sum += value;
  };
  auto list_fn = [&](std::string_view name, uint64_t value) {
    if (name.empty()) __builtin_trap();
    for (char c : name) sum += static_cast<unsigned char>(c);
    sum += value;
  };
  (void)tcpscope::procfs::parse_snmp_table(content, table_fn);
  (void)tcpscope::procfs::parse_snmp_list(content, list_fn);
  (void)tcpscope::procfs::find_counter(content, "TcpCurrEstab");
  volatile uint64_t sink = sum;
  (void)sink;
  return 0;
}
