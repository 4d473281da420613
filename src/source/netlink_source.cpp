#include "source/netlink_source.hpp"

namespace tcpscope::source {

Result<std::unique_ptr<NetlinkSource>> NetlinkSource::open(const std::string& record_file) {
  auto dumper = diag::DiagDumper::open();
  if (!dumper) return fail(std::move(dumper.error()));
  std::unique_ptr<RecordWriter> writer;
  if (!record_file.empty()) {
    auto w = RecordWriter::open(record_file);
    if (!w) return fail(std::move(w.error()));
    writer = std::move(*w);
  }
  return std::unique_ptr<NetlinkSource>(new NetlinkSource(std::move(*dumper), std::move(writer)));
}

Result<model::DumpStats> NetlinkSource::dump(const model::DumpRequest& req,
                                             model::SocketVisitor& visitor) {
  return dumper_.dump(req, visitor, writer_.get());
}

}  // namespace tcpscope::source
