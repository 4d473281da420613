// The census dumps shared by `summary` and `doctor`: listeners first (only the listening hash,
// with SKMEMINFO for per-listener drops), then every other TCP state at header level (no
// attribute walk), then UDP. Each visitor sees every record; a filter (summary only) narrows
// the states and applies its expression to each dump.
#pragma once

#include <cstdint>

#include "base/result.hpp"
#include "cli/filtering.hpp"
#include "model/dump.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::cli {

struct CensusDumps {
  bool listeners = true;  // TCP LISTEN, with SKMEMINFO
  bool tcp_rest = true;   // every other TCP state but CLOSE
  bool udp = true;
};

// `filter` may be null (no filter). Adds the repeats the dumps dropped to `duplicates`.
Status take_census(source::SocketSource& src, ActiveFilter* filter, model::SocketVisitor& visitor,
                   uint64_t& duplicates, CensusDumps which = {});

}  // namespace tcpscope::cli
