// SPDX-License-Identifier: MIT
#include "render/socket_output.hpp"

#include <fmt/format.h>

#include "model/tables.hpp"
#include "model/tcp_state.hpp"
#include "render/address.hpp"
#include "render/append.hpp"
#include "render/csv.hpp"
#include "render/json.hpp"
#include "render/other_sockets.hpp"

namespace tcpscope::render {

namespace {

using detail::put;
using model::SocketRecord;

constexpr size_t kFlushBytes = 1 << 20;

// ss -p's text: ` users:(("name",pid=N,fd=N),...)`.
void append_users_text(fmt::memory_buffer& t, const model::OwnerLookup& owners, uint32_t inode) {
  auto list = owners.owners(inode);
  if (list.empty()) return;
  put(t, " users:(");
  bool first = true;
  for (const auto& o : list) {
    if (!first) put(t, ',');
    first = false;
    put(t, "(\"");
    put(t, owners.name(o));
    put(t, "\",pid=");
    detail::put_int(t, o.pid);
    put(t, ",fd=");
    detail::put_int(t, o.fd);
    put(t, ')');
  }
  put(t, ')');
}

// `,"processes":[{"name":...,"pid":N,"fd":N},...]`; a process in a container also carries
// "container" and "runtime", and in a Kubernetes pod "pod" and "k8s_namespace".
void append_users_json(fmt::memory_buffer& b, const model::OwnerLookup& owners, uint32_t inode,
                       model::NameLookup* names) {
  put(b, ",\"processes\":");
  JsonWriter w(b);
  w.begin_array(Layout::kCompact);
  for (const auto& o : owners.owners(inode)) {
    w.begin_object(Layout::kCompact);
    w.key("name").string(owners.name(o));
    w.key("pid").value(int64_t{o.pid});
    w.key("fd").value(int64_t{o.fd});
    if (names != nullptr) {
      const model::ProcessPlace p = names->process_place(o.pid);
      if (!p.container.empty()) {
        w.key("container").string(p.container);
        w.key("runtime").string(p.runtime);
      }
      if (!p.pod.empty()) {
        w.key("pod").string(p.pod);
        w.key("k8s_namespace").string(p.k8s_namespace);
      }
    }
    w.end_object();
  }
  w.end_array();
}

class TablePrinter final : public SocketPrinter {
 public:
  TablePrinter(const SocketOutput& o, FILE* out, SocketLookups l)
      : table_(out, o.layout), details_(o.details), numeric_(o.numeric), l_(l) {
    details_.names = l.names;
  }

  void on_socket(const SocketRecord& r) override {
    auto& t = table_.text();
    table_.begin_row();
    put(t, model::netid_name(r));
    table_.end_cell(kColNetid);
    if (r.family == kAfUnix || r.family == kAfPacket || r.family == kAfVsock) {
      other_family_row(r);
      return;
    }
    put(t, model::ss_state_name(r.state));
    table_.end_cell(kColState);
    detail::put_int(t, static_cast<int32_t>(r.rqueue));  // ss prints queues with %d
    table_.end_cell(kColRecvQ);
    detail::put_int(t, static_cast<int32_t>(r.wqueue));
    table_.end_cell(kColSendQ);
    address(t, r, Side::kLocal);
    table_.end_cell(kColLocalAddr);
    append_port_token(t, r, Side::kLocal, numeric_, l_.names);
    table_.end_cell(kColLocalPort);
    address(t, r, Side::kPeer);
    table_.end_cell(kColPeerAddr);
    append_port_token(t, r, Side::kPeer, numeric_, l_.names);
    table_.end_cell(kColPeerPort);
    if (l_.owners != nullptr && r.inode != 0) append_users_text(t, *l_.owners, r.inode);
    append_details(t, r, details_);
    table_.end_details();
    table_.end_row();
  }
  bool finish() override { return table_.flush(); }

 private:
  // A unix, packet or vsock row, after its Netid cell.
  void other_family_row(const SocketRecord& r) {
    auto& t = table_.text();
    put(t, model::ss_state_name(r.state));
    table_.end_cell(kColState);
    detail::put_int(t, static_cast<int32_t>(r.rqueue));
    table_.end_cell(kColRecvQ);
    detail::put_int(t, static_cast<int32_t>(r.wqueue));
    table_.end_cell(kColSendQ);
    if (r.family == kAfUnix) {
      append_unix_local_address(t, r);
      table_.end_cell(kColLocalAddr);
      detail::put_int(t, r.inode);
      table_.end_cell(kColLocalPort);
      put(t, "* ");
      table_.end_cell(kColPeerAddr);
      detail::put_int(t, r.peer_inode);
      table_.end_cell(kColPeerPort);
    } else if (r.family == kAfVsock) {
      // ss: "CID:" and "PORT" for each side; no details.
      append_vsock_id(t, r.vsock_src_cid);
      put(t, ':');
      table_.end_cell(kColLocalAddr);
      append_vsock_id(t, r.vsock_src_port);
      table_.end_cell(kColLocalPort);
      append_vsock_id(t, r.vsock_dst_cid);
      put(t, ':');
      table_.end_cell(kColPeerAddr);
      append_vsock_id(t, r.vsock_dst_port);
      table_.end_cell(kColPeerPort);
    } else {
      append_packet_local_address(t, r, numeric_);
      table_.end_cell(kColLocalAddr);
      append_packet_interface(t, r, l_.names);
      table_.end_cell(kColLocalPort);
      put(t, '*');
      table_.end_cell(kColPeerAddr);
      table_.end_cell(kColPeerPort);
    }
    if (l_.owners != nullptr && r.inode != 0) append_users_text(t, *l_.owners, r.inode);
    if (r.family == kAfUnix) {
      append_unix_details(t, r, details_);
    } else if (r.family == kAfPacket) {
      append_packet_details(t, r, details_);
    }
    table_.end_details();
    table_.end_row();
  }

  // With -r, a host name replaces the address (ss prints "name:" without brackets).
  void address(fmt::memory_buffer& t, const SocketRecord& r, Side side) {
    if (l_.hosts != nullptr) {
      const std::string_view host = l_.hosts->host(r.family, side == Side::kLocal ? r.src : r.dst);
      if (!host.empty()) {
        put(t, host);
        put(t, ':');
        return;
      }
    }
    append_address_token(t, r, side, l_.names);
  }

  TableWriter table_;
  DetailOptions details_;
  bool numeric_;
  SocketLookups l_;
};

class BufferedPrinter : public SocketPrinter {
 protected:
  explicit BufferedPrinter(FILE* out) : out_(out) {}
  bool write_out() {
    if (buf_.size() == 0) return ok_;
    if (std::fwrite(buf_.data(), 1, buf_.size(), out_) != buf_.size()) ok_ = false;
    buf_.clear();
    return ok_;
  }
  void maybe_flush() {
    if (buf_.size() >= kFlushBytes) write_out();
  }
  bool close() {
    write_out();
    return std::fflush(out_) == 0 && ok_;
  }
  FILE* out_;
  fmt::memory_buffer buf_;
  bool ok_ = true;
};

// A JSON array with one object per socket and line (valid JSON, and line-oriented for grep).
class JsonPrinter final : public BufferedPrinter {
 public:
  JsonPrinter(FILE* out, SocketLookups l) : BufferedPrinter(out), l_(l) { put(buf_, '['); }
  void on_socket(const SocketRecord& r) override {
    put(buf_, first_ ? "\n" : ",\n");
    first_ = false;
    append_json(buf_, r, l_.names);
    if (l_.owners != nullptr && r.inode != 0) {
      buf_.resize(buf_.size() - 1);  // reopen the object for its processes
      append_users_json(buf_, *l_.owners, r.inode, l_.names);
      put(buf_, '}');
    }
    maybe_flush();
  }
  bool finish() override {
    put(buf_, first_ ? "]\n" : "\n]\n");
    return close();
  }

 private:
  SocketLookups l_;
  bool first_ = true;
};

class CsvPrinter final : public BufferedPrinter {
 public:
  CsvPrinter(FILE* out, bool header, model::NameLookup* names)
      : BufferedPrinter(out), names_(names) {
    if (header) append_csv_header(buf_);
  }
  void on_socket(const SocketRecord& r) override {
    append_csv_row(buf_, r, names_);
    maybe_flush();
  }
  bool finish() override { return close(); }

 private:
  model::NameLookup* names_;
};

}  // namespace

std::unique_ptr<SocketPrinter> make_socket_printer(const SocketOutput& o, FILE* out,
                                                   SocketLookups lookups) {
  switch (o.format) {
    case SocketFormat::kJson:
      return std::make_unique<JsonPrinter>(out, lookups);
    case SocketFormat::kCsv:
      return std::make_unique<CsvPrinter>(out, o.header, lookups.names);
    case SocketFormat::kTable:
      break;
  }
  return std::make_unique<TablePrinter>(o, out, lookups);
}

}  // namespace tcpscope::render
