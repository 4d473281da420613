// SPDX-License-Identifier: MIT
#include "source/record_file.hpp"

#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tcpscope::source {

Result<std::unique_ptr<RecordWriter>> RecordWriter::open(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wbe");
  // kRuntime whatever the errno: a record file that cannot be opened is the user's problem to
  // fix, never a reason to fall back to another source.
  if (f == nullptr) return fail(Error(ErrorKind::kRuntime, "open record file " + path, errno));
  return std::unique_ptr<RecordWriter>(new RecordWriter(f, path));
}

RecordWriter::~RecordWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

Error RecordWriter::write_error() const {
  return Error(ErrorKind::kRuntime, "write record file " + path_, errno_ != 0 ? errno_ : EIO);
}

void RecordWriter::on_datagram(const model::DumpRequest& req, std::span<const std::byte> bytes) {
  if (file_ == nullptr || failed_) return;
  unsigned char head[16];
  std::memcpy(head, kRecordMagic, 4);
  head[4] = kRecordVersion;
  head[5] = req.family;
  head[6] = frame_protocol(req);
  head[7] = req.ext;
  const uint32_t states = req.states;
  const auto len = static_cast<uint32_t>(bytes.size());
  std::memcpy(head + 8, &states, 4);
  std::memcpy(head + 12, &len, 4);
  write_frame(head, bytes);
}

void RecordWriter::write_frame(const unsigned char (&head)[16], std::span<const std::byte> bytes) {
  static constexpr unsigned char kPad[4] = {};
  const size_t pad = (4 - bytes.size() % 4) % 4;
  errno = 0;
  if (std::fwrite(head, 1, sizeof head, file_) != sizeof head ||
      std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size() ||
      std::fwrite(kPad, 1, pad, file_) != pad) {
    failed_ = true;
    errno_ = errno;
  }
}

Status RecordWriter::write_host_frame(uint8_t kind, std::string_view payload) {
  if (file_ == nullptr || failed_) return flush();
  unsigned char head[16];
  std::memcpy(head, kRecordMagic, 4);
  head[4] = kRecordVersion;
  head[5] = 0;
  head[6] = 0;
  head[7] = kind;
  const uint32_t states = 0;
  const auto len = static_cast<uint32_t>(payload.size());
  std::memcpy(head + 8, &states, 4);
  std::memcpy(head + 12, &len, 4);
  write_frame(head, std::as_bytes(std::span(payload.data(), payload.size())));
  return flush();
}

Status RecordWriter::flush() {
  if (file_ == nullptr) return {};
  if (!failed_) {
    errno = 0;
    if (std::fflush(file_) != 0) {
      failed_ = true;
      errno_ = errno;
    }
  }
  if (failed_) return fail(write_error());
  return {};
}

Status RecordWriter::close() {
  if (file_ == nullptr) return {};
  auto flushed = flush();
  errno = 0;
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!flushed) return flushed;
  if (!closed) {
    failed_ = true;
    errno_ = errno;
    return fail(write_error());
  }
  return {};
}

Result<std::vector<RecordedDatagram>> split_record_file(std::span<const std::byte> file) {
  std::vector<RecordedDatagram> out;
  if (file.size() >= 4 && std::memcmp(file.data(), kRecordMagic, 4) != 0) {
    // An `ss -D` file: raw TCP datagrams back to back; the message walk splits them.
    out.push_back({0, IPPROTO_TCP, 0, file});
    return out;
  }
  size_t off = 0;
  while (off < file.size()) {
    if (file.size() - off < 16) {
      return fail(
          Error::malformed("record file: truncated frame header at offset " + std::to_string(off)));
    }
    const auto* h = reinterpret_cast<const unsigned char*>(file.data() + off);
    if (std::memcmp(h, kRecordMagic, 4) != 0) {
      return fail(
          Error::malformed("record file: bad frame magic at offset " + std::to_string(off)));
    }
    if (h[4] != kRecordVersion) {
      return fail(Error::malformed("record file: unsupported version " + std::to_string(h[4])));
    }
    uint32_t len = 0;
    std::memcpy(&len, h + 12, 4);
    const size_t padded = (static_cast<size_t>(len) + 3) & ~size_t{3};
    if (padded > file.size() - off - 16) {
      return fail(Error::malformed("record file: frame at offset " + std::to_string(off) +
                                   " claims " + std::to_string(len) + " bytes, file has " +
                                   std::to_string(file.size() - off - 16)));
    }
    out.push_back({h[5], h[6], h[7], file.subspan(off + 16, len)});
    off += 16 + padded;
  }
  return out;
}

}  // namespace tcpscope::source

namespace tcpscope::source {

Result<RecordReader> RecordReader::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(Error(ErrorKind::kRuntime, "open " + path, errno));
  RecordReader r;
  r.fd_ = UniqueFd::adopt(fd);
  r.name_ = path;
  std::byte probe[1];
  if (::pread(fd, probe, 0, 0) < 0) {
    return fail(Error(ErrorKind::kRuntime,
                      path + ": cannot be read again from the start (a pipe?); replay a file",
                      errno));
  }
  return r;
}

RecordReader RecordReader::from_bytes(std::vector<std::byte> bytes) {
  RecordReader r;
  r.mem_ = std::move(bytes);
  return r;
}

Result<size_t> RecordReader::pread_all(uint64_t offset, std::span<std::byte> dst) {
  size_t done = 0;
  while (done < dst.size()) {
    const ssize_t n =
        ::pread(fd_.get(), dst.data() + done, dst.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(Error(ErrorKind::kRuntime, "read " + name_, errno));
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<size_t> RecordReader::read_at(uint64_t offset, std::span<std::byte> dst) {
  if (!fd_.valid()) {
    if (offset >= mem_.size()) return size_t{0};
    const size_t n = std::min(dst.size(), mem_.size() - static_cast<size_t>(offset));
    std::memcpy(dst.data(), mem_.data() + offset, n);
    return n;
  }
  // Frames are small (a few hundred bytes to 32 KiB): read the file in windows of kWindow bytes
  // rather than two preads per frame, which cost more than the decoding.
  if (dst.size() > kWindow) return pread_all(offset, dst);
  if (offset < window_offset_ || offset + dst.size() > window_offset_ + window_.size()) {
    window_.resize(kWindow);
    const size_t n = TCPSCOPE_TRY(pread_all(offset, window_));
    window_.resize(n);
    window_offset_ = offset;
  }
  const size_t avail = static_cast<size_t>(window_offset_ + window_.size() - offset);
  const size_t n = std::min(dst.size(), avail);
  std::memcpy(dst.data(), window_.data() + (offset - window_offset_), n);
  return n;
}

Result<bool> RecordReader::next(RecordedDatagram& out) {
  if (!probed_) {
    std::byte magic[4];
    const size_t n = TCPSCOPE_TRY(read_at(0, magic));
    // Anything that does not start with the magic is read as an `ss -D` file; garbage then
    // fails at its first message header.
    ss_format_ = n == 4 && std::memcmp(magic, kRecordMagic, 4) != 0;
    probed_ = true;
  }
  auto r = ss_format_ ? next_ss_message(out) : next_frame(out);
  if (!r) return fail(std::move(r.error()).context(name_));
  return r;
}

Result<bool> RecordReader::next_frame(RecordedDatagram& out) {
  unsigned char h[16];
  const size_t got = TCPSCOPE_TRY(read_at(offset_, std::as_writable_bytes(std::span(h))));
  if (got == 0) return false;
  if (got < sizeof h) {
    return fail(Error::malformed("truncated frame header at offset " + std::to_string(offset_)));
  }
  if (std::memcmp(h, kRecordMagic, 4) != 0) {
    return fail(Error::malformed("bad frame magic at offset " + std::to_string(offset_)));
  }
  if (h[4] != kRecordVersion) {
    return fail(Error::malformed("unsupported version " + std::to_string(h[4]) + " at offset " +
                                 std::to_string(offset_)));
  }
  uint32_t len = 0;
  std::memcpy(&len, h + 12, 4);
  if (len > kMaxRecordedDatagram) {
    return fail(Error::malformed("frame at offset " + std::to_string(offset_) + " claims " +
                                 std::to_string(len) + " bytes, more than the " +
                                 std::to_string(kMaxRecordedDatagram) + " a datagram can have"));
  }
  const size_t padded = (static_cast<size_t>(len) + 3) & ~size_t{3};
  buffer_.resize(padded);
  const size_t body = TCPSCOPE_TRY(read_at(offset_ + sizeof h, buffer_));
  if (body < padded) {
    return fail(Error::malformed("frame at offset " + std::to_string(offset_) + " claims " +
                                 std::to_string(len) + " bytes, file has " + std::to_string(body)));
  }
  out = {h[5], h[6], h[7], std::span<const std::byte>(buffer_).first(len)};
  offset_ += sizeof h + padded;
  return true;
}

Result<bool> RecordReader::next_ss_message(RecordedDatagram& out) {
  nlmsghdr h{};
  const size_t got = TCPSCOPE_TRY(read_at(offset_, std::as_writable_bytes(std::span(&h, 1))));
  if (got == 0) return false;
  if (got < sizeof h) {
    return fail(Error::malformed("truncated netlink message header at offset " +
                                 std::to_string(offset_) + " (an ss -D file?)"));
  }
  if (h.nlmsg_len < sizeof h || h.nlmsg_len > kMaxRecordedDatagram) {
    return fail(Error::malformed("bad netlink message length " + std::to_string(h.nlmsg_len) +
                                 " at offset " + std::to_string(offset_) +
                                 " (not a record file, nor an ss -D file)"));
  }
  const size_t len = h.nlmsg_len;
  buffer_.resize(len);
  const size_t got_all = TCPSCOPE_TRY(read_at(offset_, buffer_));
  if (got_all < len) {
    return fail(Error::malformed("netlink message at offset " + std::to_string(offset_) +
                                 " claims " + std::to_string(len) + " bytes, file has " +
                                 std::to_string(got_all)));
  }
  // Each message is handed on alone, so that a replay walks on past the NLMSG_DONE of the
  // first dump (ss -D writes every dump it makes into one file).
  out = {0, IPPROTO_TCP, 0, std::span<const std::byte>(buffer_)};
  offset_ += NLMSG_ALIGN(len);
  return true;
}

}  // namespace tcpscope::source
