#include "render/csv.hpp"

#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/append.hpp"
#include "render/details.hpp"
#include "render/tcpi_fields.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using detail::put_int;
using detail::TcpiField;
using model::SocketRecord;

// The tcp_info columns, in this order after the fixed ones (names as in JSON's "tcp_info").
#define F TCPSCOPE_TCPI_FIELD
constexpr TcpiField kTcpiColumns[] = {
    F("rto_us", rto),
    F("rtt_us", rtt),
    F("rttvar_us", rttvar),
    F("min_rtt_us", min_rtt),
    F("snd_mss", snd_mss),
    F("rcv_mss", rcv_mss),
    F("snd_cwnd", snd_cwnd),
    F("snd_ssthresh", snd_ssthresh),
    F("unacked", unacked),
    F("lost", lost),
    F("retrans", retrans),
    F("total_retrans", total_retrans),
    F("bytes_sent", bytes_sent),
    F("bytes_retrans", bytes_retrans),
    F("bytes_acked", bytes_acked),
    F("bytes_received", bytes_received),
    F("segs_out", segs_out),
    F("segs_in", segs_in),
    F("data_segs_out", data_segs_out),
    F("data_segs_in", data_segs_in),
    F("delivered", delivered),
    F("pacing_rate_bytes_per_sec", pacing_rate),
    F("delivery_rate_bytes_per_sec", delivery_rate),
    F("busy_time_us", busy_time),
    F("rwnd_limited_us", rwnd_limited),
    F("sndbuf_limited_us", sndbuf_limited),
    F("last_data_sent_ms", last_data_sent),
    F("last_data_recv_ms", last_data_recv),
    F("last_ack_recv_ms", last_ack_recv),
    F("notsent_bytes", notsent_bytes),
    F("reordering", reordering),
    F("rcv_space", rcv_space),
    F("snd_wnd", snd_wnd),
    F("rcv_wnd", rcv_wnd),
};
#undef F

constexpr std::string_view kFixedHeader =
    "netid,state,recv_q,send_q,local_address,local_port,peer_address,peer_port,interface,uid,"
    "inode,cookie,timer,timer_expires_ms,timer_retrans,cgroup_id,cgroup,congestion";

std::string_view netid(uint8_t protocol) {
  switch (protocol) {
    case 6:
      return "tcp";
    case 17:
      return "udp";
    default:
      return "???";
  }
}

}  // namespace

void append_csv_field(fmt::memory_buffer& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    put(out, s);
    return;
  }
  put(out, '"');
  for (char c : s) {
    if (c == '"') put(out, '"');
    put(out, c);
  }
  put(out, '"');
}

void append_csv_header(fmt::memory_buffer& out) {
  put(out, kFixedHeader);
  for (const TcpiField& f : kTcpiColumns) {
    put(out, ',');
    put(out, f.key);
  }
  put(out, '\n');
}

void append_csv_row(fmt::memory_buffer& out, const SocketRecord& rec, model::NameLookup* names) {
  put(out, netid(rec.protocol));
  put(out, ',');
  put(out, model::state_key(rec.state));
  put(out, ',');
  put_int(out, rec.rqueue);
  put(out, ',');
  put_int(out, rec.wqueue);
  put(out, ',');
  append_plain_address(out, rec.family, rec.src);
  put(out, ',');
  put_int(out, rec.sport);
  put(out, ',');
  append_plain_address(out, rec.family, rec.dst);
  put(out, ',');
  put_int(out, rec.dport);
  put(out, ',');
  if (rec.ifindex != 0) {
    const std::string_view name = names != nullptr ? names->ifname(rec.ifindex) : "";
    if (!name.empty()) {
      append_csv_field(out, name);  // device names may contain ',' and '"'
    } else {
      put(out, "if");
      put_int(out, rec.ifindex);
    }
  }
  put(out, ',');
  put_int(out, rec.uid);
  put(out, ',');
  put_int(out, rec.inode);
  put(out, ',');
  if (rec.origin == model::Origin::kNetlink) put_int(out, rec.cookie);
  put(out, ',');
  if (rec.timer != 0) {
    put(out, timer_name(rec.timer));
    put(out, ',');
    put_int(out, rec.expires_ms);
    put(out, ',');
    put_int(out, rec.retrans);
  } else {
    put(out, ",,");
  }
  put(out, ',');
  if (rec.has(model::kAttrCgroupId)) {
    put_int(out, rec.cgroup_id);
    put(out, ',');
    if (names != nullptr) append_csv_field(out, names->cgroup_path(rec.cgroup_id));
  } else {
    put(out, ',');
  }
  put(out, ',');
  if (rec.has(model::kAttrCong)) append_csv_field(out, rec.cong_name());
  for (const TcpiField& f : kTcpiColumns) {
    put(out, ',');
    if (detail::tcpi_present(rec, f)) put_int(out, detail::tcpi_read(rec.tcp_info, f));
  }
  put(out, '\n');
}

}  // namespace tcpscope::render
