// SPDX-License-Identifier: MIT
#include "source/netlink_source.hpp"

#include "procfs/host_state.hpp"
#include "source/host_record.hpp"

namespace tcpscope::source {

Result<std::unique_ptr<NetlinkSource>> NetlinkSource::open(const std::string& record_file,
                                                           const std::string& proc_root) {
  std::unique_ptr<RecordWriter> writer;
  if (!record_file.empty()) {
    writer = TCPSCOPE_TRY(RecordWriter::open(record_file));
    // Read before our netlink socket exists, as summary does, so "sockets: used" matches. A
    // host state that cannot be read is left out: the replay then says it is unknown.
    model::HostState host;
    if (auto h = procfs::read_host_state(proc_root)) host = *h;
    TCPSCOPE_TRY(
        writer->write_host_frame(kHostFrameKind, encode_host_record(host, current_ifnames())));
  }
  auto dumper = TCPSCOPE_TRY(diag::DiagDumper::open());
  return std::unique_ptr<NetlinkSource>(new NetlinkSource(std::move(dumper), std::move(writer)));
}

Result<model::DumpStats> NetlinkSource::dump(const model::DumpRequest& req,
                                             model::SocketVisitor& visitor) {
  auto stats = dumper_.dump(req, visitor, writer_.get());
  if (writer_) TCPSCOPE_TRY(writer_->flush());
  return stats;
}

}  // namespace tcpscope::source
