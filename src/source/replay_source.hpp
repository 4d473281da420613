// SPDX-License-Identifier: MIT
// ReplaySource: sockets from a file written by --record (or by `ss -D`), decoded exactly as a
// live dump is. The state mask is applied here (the recording may hold more states than asked).
// The file is streamed (source/record_file.hpp: RecordReader), read again for each dump.
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
  const RecordedHost* recorded_host() const override { return has_host_ ? &host_ : nullptr; }

 private:
  explicit ReplaySource(RecordReader reader) : reader_(std::move(reader)) {}
  // One pass without decoding: a bad frame is reported before anything is printed.
  Status validate();
  RecordReader reader_;
  model::SocketRecord record_;
  RecordedHost host_;
  bool has_host_ = false;
};

}  // namespace tcpscope::source
