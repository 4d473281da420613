// SPDX-License-Identifier: MIT
// Fuzz target: the --replay reader (source/record_file.hpp: RecordReader, frame by frame through a
// bounded buffer) and the host data frame it carries (source/host_record.hpp).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "source/host_record.hpp"
#include "source/record_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpscope;
  std::vector<std::byte> bytes(size);
  if (size != 0) std::memcpy(bytes.data(), data, size);
  auto reader = source::RecordReader::from_bytes(std::move(bytes));
  source::RecordedDatagram d;
  for (int pass = 0; pass < 2; ++pass) {
    reader.rewind();
    for (;;) {
      auto more = reader.next(d);
      if (!more || !*more) break;
      if (d.bytes.size() > source::kMaxRecordedDatagram) std::abort();
      if (d.protocol == 0) {
        source::RecordedHost host;
        const std::string_view text(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size());
        if (source::decode_host_record(text, host)) {
          // What was read encodes and reads back the same.
          source::RecordedHost again;
          if (!source::decode_host_record(source::encode_host_record(host.host, host.ifnames),
                                          again))
            std::abort();
          if (again.ifnames != host.ifnames) std::abort();
        }
      }
    }
  }
  source::RecordedHost host;
  (void)source::decode_host_record(std::string_view(reinterpret_cast<const char*>(data), size),
                                   host);
  return 0;
}
