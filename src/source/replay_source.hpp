// ReplaySource: sockets from a file written by --record (or by `ss -D`), decoded exactly as a
// live dump is. The state mask is applied here (the recording may hold more states than asked).
#pragma once

#include <string>
#include <vector>

#include "model/socket_record.hpp"
#include "source/record_file.hpp"
#include "source/socket_source.hpp"

namespace tcpscope::source {

class ReplaySource final : public SocketSource {
 public:
  static Result<std::unique_ptr<ReplaySource>> open(const std::string& path);
  // For tests and fuzzers: replay bytes already in memory.
  static Result<std::unique_ptr<ReplaySource>> from_bytes(std::vector<std::byte> bytes);

  Result<model::DumpStats> dump(const model::DumpRequest& req,
                                model::SocketVisitor& visitor) override;
  std::string_view name() const override { return "replay"; }

 private:
  explicit ReplaySource(std::vector<std::byte> bytes) : bytes_(std::move(bytes)) {}
  std::vector<std::byte> bytes_;
  std::vector<RecordedDatagram> datagrams_;
  model::SocketRecord record_;
};

}  // namespace tcpscope::source
