// Fuzz target: the /proc/net/snmp|netstat table parser, the snmp6 list parser and find_counter.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "procfs/snmp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  uint64_t sum = 0;
  auto fn = [&](std::string_view name, uint64_t value) {
    // Names must be non-empty and bounded; touching every byte lets ASan check the view.
    if (name.empty() || name.size() > tcpscope::procfs::kMaxCounterName) __builtin_trap();
    for (char c : name) sum += static_cast<unsigned char>(c);
    sum += value;
  };
  (void)tcpscope::procfs::parse_snmp_table(content, fn);
  (void)tcpscope::procfs::parse_snmp_list(content, fn);
  (void)tcpscope::procfs::find_counter(content, "TcpCurrEstab");
  volatile uint64_t sink = sum;
  (void)sink;
  return 0;
}
