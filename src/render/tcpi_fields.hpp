// Table-driven access to TcpInfo fields for the JSON and CSV renderers (internal to src/render/).
//
// A field is shown only when the record carries INET_DIAG_INFO and the kernel's tcp_info was
// long enough to contain it (tcp_info_len); a /proc record has only rto, ato, snd_cwnd and
// snd_ssthresh, whatever its tcp_info_len says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "model/socket_record.hpp"
#include "model/tcp_info.hpp"

namespace tcpscope::render::detail {

struct TcpiField {
  std::string_view key;
  uint16_t offset;
  uint8_t size;  // 1, 2, 4 or 8
};

#define TCPSCOPE_TCPI_FIELD(key, member)                                      \
  ::tcpscope::render::detail::TcpiField {                                     \
    key, static_cast<uint16_t>(offsetof(::tcpscope::model::TcpInfo, member)), \
        static_cast<uint8_t>(sizeof(::tcpscope::model::TcpInfo::member))      \
  }

inline bool proc_has_field(uint16_t offset) {
  using model::TcpInfo;
  return offset == offsetof(TcpInfo, rto) || offset == offsetof(TcpInfo, ato) ||
         offset == offsetof(TcpInfo, snd_cwnd) || offset == offsetof(TcpInfo, snd_ssthresh);
}

inline bool tcpi_present(const model::SocketRecord& rec, uint16_t offset, size_t size) {
  if (!rec.has(model::kAttrInfo)) return false;
  if (!model::tcp_info_has(rec.tcp_info_len, offset, size)) return false;
  return rec.origin != model::Origin::kProc || proc_has_field(offset);
}

inline bool tcpi_present(const model::SocketRecord& rec, const TcpiField& f) {
  return tcpi_present(rec, f.offset, f.size);
}

inline uint64_t tcpi_read(const model::TcpInfo& t, const TcpiField& f) {
  const auto* base = reinterpret_cast<const unsigned char*>(&t) + f.offset;
  switch (f.size) {
    case 1:
      return *base;
    case 2: {
      uint16_t v;
      std::memcpy(&v, base, sizeof v);
      return v;
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, base, sizeof v);
      return v;
    }
    default: {
      uint64_t v;
      std::memcpy(&v, base, sizeof v);
      return v;
    }
  }
}

}  // namespace tcpscope::render::detail
