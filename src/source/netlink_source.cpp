#include "source/netlink_source.hpp"

namespace tcpscope::source {

Result<std::unique_ptr<NetlinkSource>> NetlinkSource::open(const std::string& record_file) {
  auto dumper = TCPSCOPE_TRY(diag::DiagDumper::open());
  std::unique_ptr<RecordWriter> writer;
  if (!record_file.empty()) writer = TCPSCOPE_TRY(RecordWriter::open(record_file));
  return std::unique_ptr<NetlinkSource>(new NetlinkSource(std::move(dumper), std::move(writer)));
}

Result<model::DumpStats> NetlinkSource::dump(const model::DumpRequest& req,
                                             model::SocketVisitor& visitor) {
  return dumper_.dump(req, visitor, writer_.get());
}

}  // namespace tcpscope::source
