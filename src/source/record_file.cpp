#include "source/record_file.hpp"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace tcpscope::source {

Result<std::unique_ptr<RecordWriter>> RecordWriter::open(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wbe");
  if (f == nullptr) return fail(Error::from_errno("open record file " + path, errno));
  return std::unique_ptr<RecordWriter>(new RecordWriter(f, path));
}

RecordWriter::~RecordWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void RecordWriter::on_datagram(const model::DumpRequest& req, std::span<const std::byte> bytes) {
  if (file_ == nullptr || failed_) return;
  unsigned char head[16];
  std::memcpy(head, kRecordMagic, 4);
  head[4] = kRecordVersion;
  head[5] = req.family;
  head[6] = req.protocol;
  head[7] = req.ext;
  const uint32_t states = req.states;
  const auto len = static_cast<uint32_t>(bytes.size());
  std::memcpy(head + 8, &states, 4);
  std::memcpy(head + 12, &len, 4);
  static constexpr unsigned char kPad[4] = {};
  const size_t pad = (4 - bytes.size() % 4) % 4;
  if (std::fwrite(head, 1, sizeof head, file_) != sizeof head ||
      std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size() ||
      std::fwrite(kPad, 1, pad, file_) != pad) {
    failed_ = true;
  }
}

Status RecordWriter::close() {
  if (file_ == nullptr) return {};
  const bool bad = std::fclose(file_) != 0 || failed_;
  file_ = nullptr;
  if (bad) return fail(Error::from_errno("write record file " + path_, errno ? errno : EIO));
  return {};
}

Result<std::vector<RecordedDatagram>> split_record_file(std::span<const std::byte> file) {
  std::vector<RecordedDatagram> out;
  if (file.size() >= 4 && std::memcmp(file.data(), kRecordMagic, 4) != 0) {
    // An `ss -D` file: raw TCP datagrams back to back; the message walk splits them.
    out.push_back({0, IPPROTO_TCP, file});
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
    out.push_back({h[5], h[6], file.subspan(off + 16, len)});
    off += 16 + padded;
  }
  return out;
}

}  // namespace tcpscope::source
