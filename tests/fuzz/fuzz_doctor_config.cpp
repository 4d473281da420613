// SPDX-License-Identifier: MIT
// Fuzz target: the doctor's threshold config (`doctor --config FILE`) over arbitrary content,
// after the text check every config reader runs first; the check's message must stay one line
// of printable ASCII whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/file.hpp"
#include "doctor/thresholds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpscope;
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  auto text = check_text(content, "fuzz.conf");
  if (!text) {
    for (char c : text.error().message()) {
      if (c < 0x20 || c > 0x7e) std::abort();  // raw bytes escaped into the message
    }
  }
  doctor::Thresholds t;
  (void)doctor::parse_threshold_config(t, content, "fuzz.conf");
  return 0;
}
