// SPDX-License-Identifier: MIT
// Fuzzes the mptcp decoder: as one datagram of messages and as a recorded file (--replay), with
// every field of the record read back (the renderers' view) so that a bad length shows up.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_family_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tcpscope::model::DumpRequest req;
  req.family = AF_INET;
  req.protocol = IPPROTO_TCP;
  req.mptcp = true;
  req.states = tcpscope::model::kMaskAll;
  return tcpscope::fuzz::decode_family(data, size, req);
}
