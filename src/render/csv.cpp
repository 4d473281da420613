// SPDX-License-Identifier: MIT
#include "render/csv.hpp"

#include "model/tables.hpp"
#include "model/tcp_info_fields.hpp"
#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/append.hpp"
#include "render/details.hpp"
#include "render/other_sockets.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using detail::put_int;
using model::SocketRecord;

constexpr std::string_view kFixedHeader =
    "netid,state,recv_q,send_q,local_address,local_port,peer_address,peer_port,interface,uid,"
    "inode,cookie,timer,timer_expires_ms,timer_retrans,cgroup_id,cgroup,congestion";

// The columns after the tcp_info ones (added at the end: the column set only grows).
constexpr std::string_view kTailHeader = ",peer_inode,protocol_number";

// netid,state,recv_q,send_q, of every row.
void head_columns(fmt::memory_buffer& out, const SocketRecord& rec) {
  put(out, model::netid_name(rec));
  put(out, ',');
  put(out, model::state_key(rec.state));
  put(out, ',');
  put_int(out, rec.rqueue);
  put(out, ',');
  put_int(out, rec.wqueue);
  put(out, ',');
}

// A unix or packet row: name (unix) or interface (packet), inodes, queues; the inet-only
// columns stay empty.
void other_family_row(fmt::memory_buffer& out, const SocketRecord& rec, model::NameLookup* names) {
  head_columns(out, rec);
  if (rec.family == kAfUnix && rec.has(model::kAttrUnixName) && rec.name_len != 0) {
    fmt::memory_buffer name;
    append_unix_name(name, rec);
    append_csv_field(out, {name.data(), name.size()});
  }
  if (rec.family == kAfVsock) {  // context ids and ports, numerically
    put_int(out, rec.vsock_src_cid);
    put(out, ',');
    put_int(out, rec.vsock_src_port);
    put(out, ',');
    put_int(out, rec.vsock_dst_cid);
    put(out, ',');
    put_int(out, rec.vsock_dst_port);
    put(out, ',');
  } else {
    put(out, ",,,,");  // local_port, peer_address, peer_port
  }
  if (rec.family == kAfPacket && rec.ifindex != 0) {
    const std::string_view name = names != nullptr ? names->ifname(rec.ifindex) : "";
    if (!name.empty()) {
      append_csv_field(out, name);
    } else {
      put(out, "if");
      put_int(out, rec.ifindex);
    }
  }
  put(out, ',');
  if (rec.has(model::kAttrUid)) put_int(out, rec.uid);
  put(out, ',');
  put_int(out, rec.inode);
  put(out, ',');
  put_int(out, rec.cookie);
  put(out, ",,,,,,");  // timer (3), cgroup (2), congestion
  for (size_t i = 0; i < model::kTcpiCsvOrder.size(); ++i) put(out, ',');
  put(out, ',');
  if (rec.family == kAfUnix && rec.has(model::kAttrUnixPeer)) put_int(out, rec.peer_inode);
  put(out, ',');
  if (rec.family == kAfPacket) put_int(out, rec.raw_protocol);
  put(out, '\n');
}

}  // namespace

void append_csv_field(fmt::memory_buffer& out, std::string_view s) {
  if (s.empty()) return;  // a default view may have no data pointer at all
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
  // The tcp_info columns: the catalog's, in its CSV order, named as in JSON.
  for (const uint8_t i : model::kTcpiCsvOrder) {
    put(out, ',');
    put(out, model::kTcpiFields[i].key);
  }
  put(out, kTailHeader);
  put(out, '\n');
}

void append_csv_row(fmt::memory_buffer& out, const SocketRecord& rec, model::NameLookup* names) {
  if (rec.family == kAfUnix || rec.family == kAfPacket || rec.family == kAfVsock) {
    other_family_row(out, rec, names);
    return;
  }
  head_columns(out, rec);
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
  for (const uint8_t i : model::kTcpiCsvOrder) {
    const model::TcpiField& f = model::kTcpiFields[i];
    put(out, ',');
    if (model::tcpi_present(rec, f)) put_int(out, model::tcpi_read(rec.tcp_info, f));
  }
  put(out, ',');  // peer_inode: unix only
  put(out, ',');
  if (model::table_of(rec) == model::Table::kRaw) put_int(out, rec.raw_protocol);
  put(out, '\n');
}

}  // namespace tcpscope::render
