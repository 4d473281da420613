// The --record file format: a sequence of frames, one per netlink datagram received.
//
//   0       4   5   6   7   8               12              16
//   +-------+---+---+---+---+---------------+---------------+-----------------+
//   | "TSNL"|ver|fam|pro|ext| states (u32)  | length (u32)  | datagram bytes  |
//   +-------+---+---+---+---+---------------+---------------+-----------------+
//
// 1. "TSNL" magic; ver = 1.
// 2. fam/pro/ext/states: the request the datagram answered (host byte order).
// 3. length: datagram size in bytes; the datagram follows, padded with zeros to 4 bytes.
// A file made by `ss -D` (raw datagrams of a TCP dump, no frames) is read as TCP datagrams.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "diag/dump.hpp"

namespace tcpscope::source {

inline constexpr char kRecordMagic[4] = {'T', 'S', 'N', 'L'};
inline constexpr uint8_t kRecordVersion = 1;

class RecordWriter final : public diag::DumpRecorder {
 public:
  static Result<std::unique_ptr<RecordWriter>> open(const std::string& path);
  ~RecordWriter() override;
  void on_datagram(const model::DumpRequest& req, std::span<const std::byte> bytes) override;
  Status close();  // flushes; reports a write error once

 private:
  explicit RecordWriter(FILE* f, std::string path) : file_(f), path_(std::move(path)) {}
  FILE* file_;
  std::string path_;
  bool failed_ = false;
};

struct RecordedDatagram {
  uint8_t family = 0;  // 0 when unknown (ss -D files)
  uint8_t protocol = 0;
  std::span<const std::byte> bytes;
};

// Splits a whole recorded file into datagrams. Errors name the offset of a bad frame.
Result<std::vector<RecordedDatagram>> split_record_file(std::span<const std::byte> file);

}  // namespace tcpscope::source
