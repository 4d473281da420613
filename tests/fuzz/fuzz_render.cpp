// SPDX-License-Identifier: MIT
// Fuzzes the renderers: the input is a SocketRecord image (as a decoder would have filled it,
// lengths and counts clamped to what the decoder allows), followed by bytes used as interface,
// cgroup and service names. Every renderer runs with every option; the JSON must stay
// well-formed and each CSV row a single record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "../unit/json_checker.hpp"
#include "model/names.hpp"
#include "model/socket_record.hpp"
#include "render/address.hpp"
#include "render/csv.hpp"
#include "render/details.hpp"
#include "render/json.hpp"

namespace {

using tcpscope::model::SocketRecord;

class FuzzNames final : public tcpscope::model::NameLookup {
 public:
  std::string ifname_, cgroup_, service_;
  std::string_view ifname(uint32_t) override { return ifname_; }
  std::string_view cgroup_path(uint64_t) override { return cgroup_; }
  std::string_view service(uint16_t, uint8_t) override { return service_; }
};

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_render: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static_assert(std::is_trivially_copyable_v<SocketRecord>);
  SocketRecord r;
  if (size > 0) std::memcpy(&r, data, size < sizeof r ? size : sizeof r);
  // What the decoder guarantees.
  if (r.tcp_info_len > sizeof(tcpscope::model::TcpInfo)) r.tcp_info_len = sizeof(r.tcp_info);
  if (r.skmem_count > tcpscope::model::kSkMemMax) r.skmem_count = tcpscope::model::kSkMemMax;
  if (r.cong_len > r.cong.size() - 1) r.cong_len = static_cast<uint8_t>(r.cong.size() - 1);
  r.origin = static_cast<tcpscope::model::Origin>(static_cast<uint8_t>(r.origin) & 1);
  {
    // A bool holds 0 or 1 (the decoder writes one or the other): read the raw byte, not the bool.
    uint8_t b = 0;
    std::memcpy(&b, &r.mptcp, 1);
    r.mptcp = (b & 1) != 0;
  }

  FuzzNames names;
  if (size > sizeof r) {
    std::string_view tail(reinterpret_cast<const char*>(data) + sizeof r, size - sizeof r);
    const size_t third = tail.size() / 3;
    names.ifname_ = tail.substr(0, third);
    names.cgroup_ = tail.substr(third, third);
    names.service_ = tail.substr(2 * third);
  }

  fmt::memory_buffer buf;
  for (int variant = 0; variant < 16; ++variant) {
    tcpscope::render::DetailOptions o;
    o.numeric = (variant & 1) != 0;
    o.oneline = (variant & 2) != 0;
    o.newer_ss = (variant & 4) != 0;
    o.names = (variant & 8) != 0 ? &names : nullptr;
    o.options = o.extended = o.memory = o.info = o.tos = o.cgroup = o.inet_sockopt = true;
    buf.clear();
    for (auto side : {tcpscope::render::Side::kLocal, tcpscope::render::Side::kPeer}) {
      tcpscope::render::append_endpoint(buf, r, side, o.numeric, o.names);
    }
    tcpscope::render::append_details(buf, r, o);
    if (o.oneline) {
      // Only names (printed raw, as ss does) can bring a newline into a -O line.
      check(std::string_view(buf.data(), buf.size()).find('\n') == std::string_view::npos ||
                names.cgroup_.find('\n') != std::string::npos ||
                names.ifname_.find('\n') != std::string::npos ||
                names.service_.find('\n') != std::string::npos ||
                r.cong_name().find('\n') != std::string_view::npos,
            "newline in oneline output");
    }

    buf.clear();
    tcpscope::render::append_json(buf, r, o.names);
    check(tcpscope::testing::json_well_formed(std::string_view(buf.data(), buf.size())),
          "malformed JSON");

    buf.clear();
    tcpscope::render::append_csv_row(buf, r, o.names);
    check(buf.size() > 0 && buf.data()[buf.size() - 1] == '\n', "CSV row without line end");
  }
  return 0;
}
