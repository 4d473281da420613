// SPDX-License-Identifier: MIT
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
// 4. pro is the request's protocol byte, except for requests it cannot tell apart: MPTCP
//    (whose byte is TCP's) is 0xFE, and AF_UNIX / AF_PACKET dumps (protocol 0) are 1
//    (frame_protocol()).
// 5. A frame with protocol 0 is not a datagram but host data that a replay needs (kind in ext,
//    see host_record.hpp); readers that do not know it skip it, as they skip any protocol they
//    were not asked for.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "diag/dump.hpp"

namespace tcpscope::source {

inline constexpr char kRecordMagic[4] = {'T', 'S', 'N', 'L'};
inline constexpr uint8_t kRecordVersion = 1;

// The "pro" byte of the frames answering `req` (point 4 above).
constexpr uint8_t frame_protocol(const model::DumpRequest& req) {
  if (req.mptcp) return 0xFE;
  if (req.family != 2 && req.family != 10) return 1;  // AF_UNIX, AF_PACKET
  return req.protocol;
}

class RecordWriter final : public diag::DumpRecorder {
 public:
  static Result<std::unique_ptr<RecordWriter>> open(const std::string& path);
  ~RecordWriter() override;
  void on_datagram(const model::DumpRequest& req, std::span<const std::byte> bytes) override;
  // A frame of host data (protocol 0, ext = kind; host_record.hpp), written before the dumps.
  Status write_host_frame(uint8_t kind, std::string_view payload);
  // Pushes what was written to the kernel; the first write error, once (a full disk, EIO).
  // Called after every dump, so that a failed record fails the command that asked for it.
  Status flush();
  Status close();  // flushes and closes; reports a write error once

 private:
  explicit RecordWriter(FILE* f, std::string path) : file_(f), path_(std::move(path)) {}
  Error write_error() const;
  void write_frame(const unsigned char (&head)[16], std::span<const std::byte> bytes);
  FILE* file_;
  std::string path_;
  bool failed_ = false;
  int errno_ = 0;
};

struct RecordedDatagram {
  uint8_t family = 0;    // 0 when unknown (ss -D files)
  uint8_t protocol = 0;  // 0: a frame of host data, not a datagram
  uint8_t ext = 0;       // the request's extensions; the kind of a host data frame
  std::span<const std::byte> bytes;
};

// The largest datagram (or, in an `ss -D` file, message) a record may hold. The kernel never
// builds a dump chunk larger than the reader's buffer (32 KiB here and in ss); anything much
// larger is a corrupt or foreign file.
inline constexpr size_t kMaxRecordedDatagram = size_t{1} << 20;

// Reads a record file one datagram at a time into one reused buffer of at most
// kMaxRecordedDatagram bytes: a record is never held whole, so a huge file, a sparse one or
// /dev/zero costs no memory (the last two end at the first frame, which is not valid).
// Errors name the byte offset of the bad frame.
class RecordReader {
 public:
  // Opens `path`; the file must allow positioned reads (a regular file or a device), since
  // every dump reads it again from the start.
  static Result<RecordReader> open(const std::string& path);
  // For tests and fuzzers: a record already in memory.
  static RecordReader from_bytes(std::vector<std::byte> bytes);

  void rewind() { offset_ = 0; }
  // The next datagram into `out` (its bytes valid until the next call); false at the end.
  Result<bool> next(RecordedDatagram& out);
  const std::string& name() const { return name_; }

 private:
  RecordReader() = default;
  static constexpr size_t kWindow = size_t{256} << 10;
  // Up to dst.size() bytes at `offset`; fewer only at the end of the file.
  Result<size_t> read_at(uint64_t offset, std::span<std::byte> dst);
  Result<size_t> pread_all(uint64_t offset, std::span<std::byte> dst);
  Result<bool> next_frame(RecordedDatagram& out);
  Result<bool> next_ss_message(RecordedDatagram& out);

  UniqueFd fd_;                  // a file, or
  std::vector<std::byte> mem_;   // the bytes (from_bytes)
  std::string name_ = "record";  // for errors
  bool probed_ = false;
  bool ss_format_ = false;  // an `ss -D` file: raw messages, no frames
  uint64_t offset_ = 0;
  std::vector<std::byte> buffer_;  // capacity kept; <= kMaxRecordedDatagram
  std::vector<std::byte> window_;  // file bytes from window_offset_; <= kWindow
  uint64_t window_offset_ = 0;
};

// Splits a whole recorded file in memory into datagrams (tests). Errors name the offset of a
// bad frame.
Result<std::vector<RecordedDatagram>> split_record_file(std::span<const std::byte> file);

}  // namespace tcpscope::source
